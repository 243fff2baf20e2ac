"""Screenshots of the real dashboard for the README, taken in headless Chromium at 1280 px.

    python scripts/screenshots.py                       # a fresh demo store in a temporary folder
    python scripts/screenshots.py --db /tmp/demo/x.duckdb --out docs/images

Starts ``python -m evaluation serve --demo`` (which loads the fictional demo data into an empty
store first, about a minute), opens each page of ``SHOTS`` with the role named there through the
demo role switcher, waits until the page is done drawing (``scripts/appdriver.py``) and saves
``docs/images/<name>``. To add a page, add one ``Shot`` (a page of the navigation that
``appdriver.PAGES`` does not know yet is given as a ``Spec``).

The upload pictures (``upload.png``, ``problems.png``) need a package uploaded and are taken by
the browser journeys: ``SCREENSHOTS=1 python -m pytest tests/test_browser.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.appdriver import PAGES, VIEWPORT, Driver, Spec, launch, serve  # noqa: E402


@dataclass(frozen=True)
class Shot:
    name: str
    """The file written in ``--out``."""
    role: str
    """The start of the role's label in the demo switcher."""
    page: Spec
    height: int | None = None
    """The window's height in pixels; None: tall enough for the whole page (up to 2400)."""


SHOTS: tuple[Shot, ...] = (
    Shot("explorer.png", "CSO manager", PAGES["Indicator explorer"], height=1200),
    Shot("comparison.png", "Funder", PAGES["Comparison"], height=1150),
    # Shot("reports.png", "Funder", Spec("Reports", "Reports")),
)
NEUTRAL = PAGES["Indicator catalogue"]  # every role may open it: roles are switched on it


def take(db: Path, out: Path, shots: tuple[Shot, ...] = SHOTS) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with serve(db, out / ".screenshots-server.log", demo=True) as url, sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context(viewport=VIEWPORT)
        driver = Driver.open(context, url)
        driver.first_page("Upload")
        role = "CSO manager"  # demo mode opens as the CSO manager
        for shot in shots:
            if shot.role != role:
                driver.open_page(NEUTRAL)
                driver.switch_role(shot.role, NEUTRAL.title)
                role = shot.role
            if shot.height:
                driver.page.set_viewport_size({"width": VIEWPORT["width"], "height": shot.height})
            driver.open_page(shot.page)
            path = out / shot.name
            driver.screenshot(path, full=shot.height is None)
            driver.page.set_viewport_size(VIEWPORT)
            written.append(path)
            print(f"Wrote {path}.")
        assert not driver.errors, driver.errors
        context.close()
        browser.close()
    (out / ".screenshots-server.log").unlink(missing_ok=True)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="a demo store (default: a fresh one in a temporary folder)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.db is not None:
        take(args.db.resolve(), args.out.resolve())
        return
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        take(Path(tmp) / "demo.duckdb", args.out.resolve())


if __name__ == "__main__":
    main()
