"""Screenshots of every page for every role, in English and German, and of every report format.

The real dashboard (``python -m evaluation serve --demo``, one server for the module) on the demo
store, in headless Debian Chromium (Playwright, ``scripts/appdriver.py`` decides when a page is
done). One browser per language, whose own language is English or German (the dashboard takes the
browser's language when nobody chose one), walks every role of the demo's role switcher and every
page that role may open, at 1280 × 800, and saves the whole page as
``docs/images/<lang>/<role>/<page>.png``; the first page of each role also at a phone's width
(390 × 844) as ``<page>-phone.png``. While walking it collects what a person must never meet: a
Streamlit exception or error box, and a raw code (``tests/raw_codes.py``) in the page's visible
text. Every page is visited before the test fails, and the failure lists them all.

The reports: one template (``ministry-annual``) for one programme of the demo, in both languages,
every page of its PDF, Word and Excel files (the latter two printed by LibreOffice) as
``docs/images/<lang>/reports/<format>-<page>.png`` (pages rendered by ``pdftoppm`` or PyMuPDF,
whichever is installed; without either the report pictures are skipped), and its HTML page.

The pictures are part of the repository, so a change that makes a page worse shows in review.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # scripts/appdriver.py, streamlit_app.py
from scripts.appdriver import ANY_PAGE, Driver, chromium_path, launch, serve  # noqa: E402
from tests.raw_codes import raw_codes  # noqa: E402

IMAGES = ROOT / "docs" / "images"
LANGUAGES = {"en": "en-GB", "de": "de-DE"}  # the browser's own language
ROLES = ("cso_manager", "admin", "funder", "evaluator")  # the demo switcher's order
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TALLEST = 3200  # px: a full-page picture is cut there
TEMPLATE = "ministry-annual"
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def _router() -> Any:
    """``streamlit_app`` (imported, it only declares its pages and roles)."""
    return importlib.import_module("streamlit_app")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the fictional demo data (what ``serve --demo`` loads on its first start)."""
    from evaluation.demo.load import load_demo
    from evaluation.store.database import Store

    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.duckdb"
    with Store.open(db) as store:
        load_demo(store, folder / "demo", seed=7, scale="demo")
    return db


def _shoot(driver: Driver, path: Path) -> None:
    """The whole page as it is now: the window as tall as the page's main area (up to
    ``TALLEST``), then back. Charts keep their width, so they need not draw again."""
    page = driver.page
    size = page.viewport_size or DESKTOP
    page.mouse.move(size["width"] - 5, size["height"] - 5)  # no hover box over a chart
    height = int(page.get_by_test_id("stMain").evaluate("el => el.scrollHeight"))
    tall = max(size["height"], min(height, TALLEST))
    if tall != size["height"]:
        page.set_viewport_size({"width": size["width"], "height": tall})
        page.wait_for_timeout(250)
    path.parent.mkdir(parents=True, exist_ok=True)
    _compact(page.screenshot(animations="disabled"), path)
    if tall != size["height"]:
        page.set_viewport_size(size)


def _compact(png: bytes, path: Path) -> None:
    """Save a picture with at most 256 colours: a third of the bytes, the same to read (the
    pictures are kept in the repository and change with the pages)."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        small = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
        small.save(path, optimize=True)


def _check(driver: Driver, where: str, problems: list[str]) -> None:
    """What a person must not meet on the page that is open: an error, a raw code."""
    page = driver.page
    for box in page.locator(ERRORS).all():
        problems.append(f"{where}: error shown: {box.inner_text()[:1200]!r}")
    text = page.get_by_test_id("stMain").inner_text()
    for code in sorted(set(raw_codes(text))):
        line = next((ln for ln in text.splitlines() if code in ln), "")
        problems.append(f"{where}: raw code {code!r} in {line[:160]!r}")
    problems += [f"{where}: script error in the browser: {e}" for e in driver.errors]
    driver.errors.clear()


def _walk(url: str, lang: str, problems: list[str]) -> list[Path]:
    """Every role and page in one language, in a browser of its own (so the two languages can
    walk at the same time, each in its own thread); the pictures written."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            return _walk_in(browser, url, lang, problems)
        finally:
            browser.close()


def _walk_in(browser: Any, url: str, lang: str, problems: list[str]) -> list[Path]:
    from evaluation.vocabulary.language import _, using

    router = _router()
    written: list[Path] = []
    context = browser.new_context(viewport=DESKTOP, locale=LANGUAGES[lang])
    try:
        driver = Driver.open(context, url)
        driver.settle(ANY_PAGE, 0.0, 0)
        with using(lang):
            title = _(router.APP_TITLE)
        header = driver.page.get_by_test_id("stSidebar").locator("h2").first.inner_text()
        assert header.strip() == title, f"the {lang} browser got {header!r}"
        for role_index, role in enumerate(ROLES):
            pages = [p for p in router.PAGES if role in p.roles]
            if role_index:  # switch on a page every role may open
                here = [p.file for p in router.PAGES if ROLES[role_index - 1] in p.roles]
                driver.open_link(here.index("catalogue.py"), ANY_PAGE)
                driver.switch_role_at(role_index, ANY_PAGE)
            for index, page in enumerate(pages):
                name = page.file.removesuffix(".py")
                where = f"{lang}/{role}/{name}"
                started = time.monotonic()
                try:
                    driver.open_link(index, ANY_PAGE)
                except Exception as exc:  # a page that never finishes: say so, go on
                    problems.append(f"{where}: not done: {exc}")
                    continue
                opened = time.monotonic()
                _check(driver, where, problems)
                path = IMAGES / lang / role / f"{name}.png"
                _shoot(driver, path)
                print(f"{where}: {opened - started:.1f} s + {time.monotonic() - opened:.1f} s")
                written.append(path)
                if index == 0:
                    driver.page.set_viewport_size(PHONE)
                    driver.quiet()
                    phone = path.with_name(f"{name}-phone.png")
                    _shoot(driver, phone)
                    written.append(phone)
                    driver.page.set_viewport_size(DESKTOP)
                    driver.quiet()
    finally:
        context.close()
    return written


def test_every_page_of_every_role_in_both_languages(demo_db: Path, tmp_path: Path) -> None:
    try:
        chromium_path()
    except SystemExit:
        pytest.skip("Debian's chromium is not installed; .ci/run installs it")
    problems: list[str] = []
    written: list[Path] = []
    started = time.monotonic()
    with serve(demo_db, tmp_path / "server.log", demo=True) as url:
        _router()  # imported once, before the threads
        with ThreadPoolExecutor(len(LANGUAGES)) as pool:
            walks = [pool.submit(_walk, url, lang, problems) for lang in LANGUAGES]
            for walk in walks:
                written += walk.result()
    took = time.monotonic() - started
    print(f"{len(written)} pictures in {took:.0f} s")
    assert written
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


# -- the reports -----------------------------------------------------------------------------


def _pdf_pages(pdf: Path, prefix: Path, width: int = 900) -> list[Path]:
    """Every page of ``pdf`` as ``<prefix>-<n>.png`` (``pdftoppm``, else PyMuPDF)."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    for old in prefix.parent.glob(f"{prefix.name}-*.png"):
        old.unlink()
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-scale-to-x",
                str(width),
                "-scale-to-y",
                "-1",
                str(pdf),
                str(prefix),
            ],
            check=True,
            timeout=120,
        )
        made = sorted(prefix.parent.glob(f"{prefix.name}-*.png"))
        out = []
        for path in made:  # pdftoppm pads page numbers to the page count's width
            number = int(path.stem.rsplit("-", 1)[1])
            named = path.with_name(f"{prefix.name}-{number}.png")
            _compact(path.read_bytes(), named)
            if named != path:
                path.unlink()
            out.append(named)
        return out
    import fitz  # type: ignore[import-not-found]  # PyMuPDF

    out = []
    with fitz.open(pdf) as doc:
        for number, page in enumerate(doc, start=1):
            zoom = width / page.rect.width
            path = prefix.with_name(f"{prefix.name}-{number}.png")
            _compact(page.get_pixmap(matrix=fitz.Matrix(zoom, zoom)).tobytes("png"), path)
            out.append(path)
    return out


def _pdf_renderer() -> bool:
    if shutil.which("pdftoppm"):
        return True
    try:
        importlib.import_module("fitz")
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def report_files(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """One programme's ``TEMPLATE`` pack in each language: {lang: {format: path}}."""
    from evaluation.reports.model import build_report
    from evaluation.reports.pack import write_report
    from evaluation.reports.spec import load_templates, period_choices
    from evaluation.store.database import Store
    from evaluation.vocabulary.language import using

    template = load_templates().get(TEMPLATE)
    out = tmp_path_factory.mktemp("reports")
    files: dict[str, dict[str, Path]] = {}
    with Store.open(demo_db, read_only=True) as store:
        cur = store.cursor()
        programme = cur.execute("SELECT min(programme_id) FROM current_programmes").fetchall()
        as_of = cur.execute("SELECT max(data_as_of) FROM submissions").fetchall()[0][0]
        period = period_choices(template, as_of)[0]
        for lang in LANGUAGES:
            with using(lang):
                report = build_report(cur, template, programme[0][0], period, lang=lang)
                paths = write_report(report, out / lang, ["pdf", "docx", "xlsx", "html"])
            files[lang] = {p.suffix.lstrip("."): p for p in paths}
    yield files


def test_report_pages_in_both_languages(report_files: dict, tmp_path: Path) -> None:
    if not _pdf_renderer():
        pytest.skip("neither pdftoppm (poppler-utils) nor PyMuPDF is installed")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    written: list[Path] = []
    for lang, files in report_files.items():
        folder = IMAGES / lang / "reports"
        written += _pdf_pages(files["pdf"], folder / "pdf")
        if soffice:  # Word and Excel as LibreOffice prints them
            for file in (files["docx"], files["xlsx"]):
                fmt = file.suffix.lstrip(".")
                printed = tmp_path / lang / fmt  # one folder each: both print as <stem>.pdf
                subprocess.run(
                    [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(printed), file],
                    check=True,
                    capture_output=True,
                    timeout=240,
                )
                written += _pdf_pages(printed / f"{file.stem}.pdf", folder / fmt)
        written.append(_html_page(files["html"], folder / "html.png"))
    assert written and all(p.stat().st_size > 1000 for p in written)


def _html_page(html: Path, png: Path) -> Path:
    from playwright.sync_api import sync_playwright

    try:
        chromium_path()
    except SystemExit:
        pytest.skip("Debian's chromium is not installed")
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1300})
            page.goto(html.as_uri())
            page.wait_for_load_state("networkidle")
            png.parent.mkdir(parents=True, exist_ok=True)
            _compact(page.screenshot(full_page=True), png)
        finally:
            browser.close()
    return png
