"""Pictures of the first page of each report format, for ``docs/reports.md``.

    python scripts/report_screenshots.py --db data/evaluation.duckdb   # the demo store

Writes one programme's ``ministry-annual`` pack and saves ``docs/images/report-<format>.png``:
the PDF's first page rendered by pypdfium2, the Word and Excel files' first printed page by
LibreOffice (``soffice --headless --convert-to pdf``, then pypdfium2), the HTML page by headless
Chromium (Playwright with Debian's ``/usr/bin/chromium``). Tools it does not find are named and
their pictures skipped; it needs ``pip install pypdfium2`` besides the test extras.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
IMAGES = ROOT / "docs" / "images"


def _pdf_page(pdf: Path, png: Path, width: int = 900) -> None:
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    page = doc[0]
    scale = width / page.get_width()
    page.render(scale=scale).to_pil().save(png)


def _office(file: Path, png: Path, out: Path) -> bool:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print(f"LibreOffice is not installed: no picture of {file.suffix}", file=sys.stderr)
        return False
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out), str(file)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    _pdf_page(out / f"{file.stem}.pdf", png)
    return True


def _html(file: Path, png: Path) -> None:
    from playwright.sync_api import sync_playwright

    from scripts.appdriver import launch

    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1100, "height": 1300})
        page.goto(file.as_uri())
        page.wait_for_selector(".main-svg")
        page.screenshot(path=str(png))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "evaluation.duckdb")
    parser.add_argument("--programme", default=None)
    parser.add_argument("--template", default="ministry-annual")
    args = parser.parse_args()

    from evaluation.reports.model import build_report
    from evaluation.reports.pack import write_report
    from evaluation.reports.spec import load_templates, period_choices
    from evaluation.store.database import Store

    template = load_templates().get(args.template)
    IMAGES.mkdir(parents=True, exist_ok=True)
    with Store.open(args.db, read_only=True) as store, tempfile.TemporaryDirectory() as tmp:
        cur = store.cursor()
        pid = (
            args.programme
            or cur.execute("SELECT min(programme_id) FROM current_programmes").fetchall()[0][0]
        )
        as_of = cur.execute("SELECT max(data_as_of) FROM submissions").fetchall()[0][0]
        period = period_choices(template, as_of)[0]
        report = build_report(store, template, pid, period)
        paths = {
            p.suffix[1:]: p
            for p in write_report(report, Path(tmp), ["xlsx", "docx", "html", "pdf"])
        }
        _pdf_page(paths["pdf"], IMAGES / "report-pdf.png")
        for fmt in ("docx", "xlsx"):
            _office(paths[fmt], IMAGES / f"report-{fmt}.png", Path(tmp))
        _html(paths["html"], IMAGES / "report-html.png")
    print(f"Pictures of {template.id}, {pid}, {period.label} in {IMAGES}")


if __name__ == "__main__":
    main()
