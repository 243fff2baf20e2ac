"""End-to-end journeys through the real dashboard in headless Chromium (Playwright, sync API).

One Streamlit server per module runs ``streamlit_app.py`` against a fresh store holding the
minimal package (organisation Brückenbau, programmes P-OPEN and P-CJS) and two accounts: a CSO
manager of the first demo organisation and a funder of P-CJS only; each journey opens its own
browser context (its own Streamlit session). When a page is done drawing is decided by
``scripts/appdriver.py``, shared with the page benchmark and the screenshot script. Debian's
Chromium is used because Playwright cannot download browsers here. ``SCREENSHOTS=1`` also saves
the pictures in ``docs/images/`` (``upload.png``, ``problems.png``); by default the tests write
nothing into the repository.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

sync_api = pytest.importorskip("playwright.sync_api")
Browser, Page = sync_api.Browser, sync_api.Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # scripts/appdriver.py
from scripts.appdriver import (  # noqa: E402
    CHROMIUM_ARGS,
    VIEWPORT,
    Driver,
    free_port,
    healthy,
    server_flags,
    stop,
)
from tests.conftest import approve_releases  # noqa: E402

MINIMAL = ROOT / "tests" / "fixtures" / "minimal"
IMAGES = ROOT / "docs" / "images"
START_TIMEOUT = 60  # seconds until the server's health check answers
CHECK_TIMEOUT = 60_000  # ms: checking a package runs Great Expectations (3-8 s the first time)
UI_TIMEOUT = 20_000  # ms: a rerun, a page switch, a chart drawn
FAKE_NAME = "Erika Mustermann"
USER, PASSWORD = "manager.test", "correct horse battery"
FUNDER, FUNDER_SCOPE = "funder.test", "P-CJS"
ADMIN = "admin.test"
OUTSIDE = ("P-OPEN", "Open Door Exit (fictional)")  # the minimal package's other programme
# Columns of the cases and contacts tables that identify a case or date one.
CASE_LEVEL = {
    "case_ref",
    "case_key",
    "case_id",
    "first_request_on",
    "opened_on",
    "plan_agreed_on",
    "closed_on",
    "contact_on",
}

# This module's own expect(), so its longer default timeout does not leak into other tests.
expect = type(sync_api.expect)()
expect.set_options(timeout=UI_TIMEOUT)


def _chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.skip("Debian's chromium is not installed; .ci/run installs it")


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return _chromium()


@pytest.fixture(scope="module")
def app_url(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real dashboard on a free port, over an empty store of its own."""
    from evaluation.demo.generate import DEMO_ORGANISATIONS
    from evaluation.intake.ingest import ingest
    from evaluation.store.database import Store
    from evaluation.store.users import Operator, add_user

    tmp = tmp_path_factory.mktemp("browser")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with Store.open(tmp / "store.duckdb") as store:  # the CSO manager of the first demo org
        assert ingest(MINIMAL, store, actor="test").status == "loaded"
        add_user(
            store, USER, "cso_manager", DEMO_ORGANISATIONS[:1], PASSWORD, actor=Operator("test")
        )
        add_user(store, FUNDER, "funder", (FUNDER_SCOPE,), PASSWORD, actor=Operator("test"))
        add_user(store, ADMIN, "admin", (), PASSWORD, actor=Operator("test"))  # sees it all
        approve_releases(store)  # the periods the pages show first, as the demo approves them
    env = {**os.environ, "EVALUATION_DB": str(tmp / "store.duckdb")}
    env.pop("EVALUATION_DEMO", None)
    log = (tmp / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            *server_flags(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = (tmp / "streamlit.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"the dashboard did not start (exit code {proc.poll()}):\n{output}")
            time.sleep(0.25)
        yield url
    finally:
        stop(proc)
        log.close()


# Fixture names differ from pytest-playwright's (browser, page), should that plugin be installed.
@pytest.fixture(scope="module")
def chromium(chromium_path: str) -> Iterator[Browser]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _signed_in(chromium: Browser, app_url: str, user: str, first: str) -> Iterator[Driver]:
    """A fresh browser context (so a fresh Streamlit session), signed in as ``user``, on the
    page whose heading is ``first``."""
    context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(UI_TIMEOUT)
    driver = Driver.open(context, app_url)
    p = driver.page
    expect(p.get_by_role("heading", name="Sign in")).to_be_visible()
    p.get_by_label("User name").fill(user)
    p.get_by_label("Password", exact=True).fill(PASSWORD)
    p.get_by_role("button", name="Sign in").click()
    expect(p.get_by_role("heading", name=first)).to_be_visible()
    yield driver
    assert not driver.errors, driver.errors
    context.close()


@pytest.fixture
def driver(chromium: Browser, app_url: str) -> Iterator[Driver]:
    """The CSO manager, signed in, on the Upload page."""
    yield from _signed_in(chromium, app_url, USER, "Upload a programme data package")


@pytest.fixture
def app(driver: Driver) -> Page:
    return driver.page


def _idle(page: Page) -> None:
    """Wait until Streamlit has finished its rerun (the "Running..." widget is gone)."""
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=CHECK_TIMEOUT)


def _screenshot(page: Page, name: str) -> None:
    """Save the whole main area as ``docs/images/<name>`` when ``SCREENSHOTS=1``."""
    if os.environ.get("SCREENSHOTS") != "1":
        return
    _idle(page)
    # no tooltip or hover effect left over from the last click
    page.mouse.move(VIEWPORT["width"] - 10, VIEWPORT["height"] - 10)
    expect(page.get_by_test_id("stTooltipContent")).to_have_count(0)
    # The main area scrolls inside the window: make the window tall enough to show all of it.
    height = page.get_by_test_id("stMain").evaluate("el => el.scrollHeight")
    page.set_viewport_size(
        {"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], min(int(height), 2400))}
    )
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=IMAGES / name, animations="disabled")
    page.set_viewport_size(VIEWPORT)


def _upload(page: Page, path: Path) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(path)


def _download(page: Page, button: str | sync_api.Locator, to: Path) -> Path:
    clickable = page.get_by_role("button", name=button) if isinstance(button, str) else button
    with page.expect_download(timeout=UI_TIMEOUT) as info:
        clickable.click()
    download = info.value
    assert download.failure() is None, download.failure()
    path = to / download.suggested_filename
    download.save_as(path)
    return path


def _cells(path: Path) -> list[list[object]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [list(r) for ws in wb.worksheets for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _bad_zip(path: Path) -> Path:
    """The minimal package as a .zip with ``minutes=0`` in contacts row 3 and a name column."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for csv_path in sorted(MINIMAL.glob("*.csv")):
            with csv_path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            if csv_path.stem == "contacts":
                rows[1]["minutes"] = "0"  # file row 3
            if csv_path.stem == "cases":
                for i, row in enumerate(rows):
                    row["client_name"] = f"{FAKE_NAME} {i}"
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            zf.writestr(csv_path.name, out.getvalue())
    return path


def _grid(table: sync_api.Locator) -> list[dict[str, str]]:
    """The rows of an ``st.dataframe`` as shown: the grid draws on a canvas, and keeps its
    visible cells in the DOM for screen readers."""
    return table.evaluate("""el => {
        const head = [...el.querySelectorAll('thead th')].map(h => h.textContent);
        return [...el.querySelectorAll('tbody tr')].map(tr => Object.fromEntries(
            [...tr.querySelectorAll('td')].map((td, i) => [head[i], td.textContent])));
    }""")


def _number(text: object) -> float | None:
    """A number as a file or the grid writes it ("1,234", "21.0", empty: none)."""
    text = "" if text is None else str(text).replace(",", "").strip()
    return None if text in ("", "nan", "None") else float(text)


def _frame(path: Path) -> pd.DataFrame:
    """A downloaded file as a table: CSV, Parquet or every sheet of a workbook."""
    if path.suffix == ".csv":
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".xlsx":
        return pd.concat(
            [
                pd.read_excel(path, sheet_name=None, dtype=str)[name]
                for name in openpyxl.load_workbook(path, read_only=True).sheetnames
            ]
        )
    raise AssertionError(f"an unexpected download: {path.name}")


def test_cso_manager_loads_a_package_and_sees_it(driver: Driver, tmp_path: Path) -> None:
    page = driver.page
    from evaluation.demo.generate import generate, write_package

    pkg = generate(seed=7)[0]
    workbook = write_package(pkg, tmp_path / f"{pkg.name}.xlsx", "xlsx")

    # The blank template comes straight from the Upload page.
    template = _download(page, "Blank template workbook", tmp_path)
    assert template.suffix == ".xlsx"
    wb = openpyxl.load_workbook(template, read_only=True)
    try:
        assert "cases" in wb.sheetnames
    finally:
        wb.close()

    # Upload: the package is checked and found clean.
    _upload(page, workbook)
    expect(
        page.get_by_test_id("stAlertContentSuccess").filter(
            has_text=f"{workbook.name}: no problems found"
        )
    ).to_be_visible(timeout=CHECK_TIMEOUT)
    load = page.get_by_role("button", name="Load into the store")
    expect(load).to_be_enabled()
    _screenshot(page, "upload.png")

    # Load it: the confirmation names the file and the organisation.
    load.click()
    loaded = page.get_by_test_id("stAlertContentSuccess").filter(has_text=f"Loaded {workbook.name}")
    expect(loaded).to_be_visible(timeout=CHECK_TIMEOUT)
    expect(loaded).to_contain_text(pkg.organisation)

    # Submissions lists it.
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_role("link", name="Submissions").click()
    expect(page.get_by_role("heading", name="Submissions")).to_be_visible()
    table = page.get_by_test_id("stDataFrame")
    expect(table).to_be_visible()
    # The grid draws on a canvas; its cells are also in the DOM for screen readers.
    # (the file's name: the first column; the organisation's is further right, off-screen at
    # 1280 px, where the grid leaves cells out of the DOM)
    expect(table.get_by_text(workbook.name, exact=True)).to_have_count(1)
    chosen = page.get_by_role("combobox", name="Rows per table of the package")
    programmes = pkg.tables["programmes"]["programme_name"].to_pylist()  # by name, never an id
    first = "|".join(re.escape(name) for name in programmes)
    expect(chosen).to_have_value(re.compile(f"^({first}).*, data as of "))
    expect(page.get_by_test_id("stPlotlyChart").locator(".js-plotly-plot")).to_be_visible()

    # Data overview draws the new cases per quarter.
    nav.get_by_role("link", name="Data overview").click()
    expect(page.get_by_role("heading", name="Data overview")).to_be_visible()
    expect(page.get_by_text("No programme has data in the store yet")).to_have_count(0)
    chart = page.get_by_test_id("stPlotlyChart").locator(".js-plotly-plot")
    expect(chart).to_be_visible()
    expect(chart.locator(".bars g.point").first).to_be_attached()

    # The explorer draws the default indicators for the latest complete quarter; its CSV holds
    # exactly the rows the page shows, for this organisation's programmes, and no case rows.
    driver.open_page("Indicator explorer")
    charts = page.get_by_test_id("stPlotlyChart").locator(".js-plotly-plot")
    expect(charts.first.locator(".main-svg").first).to_be_attached()
    first = page.get_by_test_id("stHeading").filter(has_text=re.compile(r"^C01")).first
    expect(first).to_be_visible()
    bars = charts.first.evaluate("el => el.data.filter(t => t.type === 'bar').flatMap(t => t.y)")
    shown = _grid(page.get_by_test_id("stDataFrame").first)
    assert shown and len(shown) == len(bars)
    csv_file = _download(page, "Download internal CSV", tmp_path)
    assert csv_file.suffix == ".csv"
    rows = pd.read_csv(csv_file, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert not CASE_LEVEL & set(rows.columns)
    assert set(rows["programme_id"]) == set(pkg.tables["programmes"]["programme_id"].to_pylist())
    c01 = rows[rows["indicator_id"] == "C01"]
    assert sorted(  # the file keeps the codes and carries the names the table shows beside them
        (r["programme"], r["period"], _number(r["value"])) for _, r in c01.iterrows()
    ) == sorted((r["Programme"], r["Period"], _number(r["Value"])) for r in shown)
    assert csv_file.stem.endswith("-internal-not-for-sharing")  # a CSO manager's, unsuppressed
    assert sorted(_number(v) for v in c01["value"]) == sorted(_number(v) for v in bars)


def test_package_with_problems_cannot_be_loaded(app: Page, tmp_path: Path) -> None:
    page = app
    package = _bad_zip(tmp_path / "broken-package.zip")
    _upload(page, package)

    summary = page.get_by_test_id("stAlertContentError").filter(
        has_text=f"{package.name}: 2 problems to fix in 2 tables"
    )
    expect(summary).to_be_visible(timeout=CHECK_TIMEOUT)
    expect(summary).to_contain_text("Nothing can be loaded until they are fixed")
    expect(page.get_by_text("Some problems suggest personal data")).to_be_visible()
    expect(page.get_by_text("1. Columns: 1 to fix")).to_be_visible()  # in the order to fix
    expect(page.get_by_text("2. Values: 1 to fix")).to_be_visible()
    expect(page.get_by_text('("client_name") looks like it holds personal data')).to_be_visible()
    expect(page.get_by_text("has values outside 1–1440")).to_be_visible()
    expect(page.get_by_role("button", name="Load into the store")).to_be_disabled()
    expect(page.get_by_text(FAKE_NAME)).to_have_count(0)  # the report never quotes the values
    _screenshot(page, "problems.png")

    problem_list = _download(page, "Problem list (.xlsx)", tmp_path)
    assert problem_list.name == "broken-package-problems.xlsx"
    rows = _cells(problem_list)
    header = rows[0]
    found = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    assert [(p["No."], p["Step"], p["Table"], p["Column"]) for p in found] == [
        (1, "1. Columns", "cases", None),
        (2, "2. Values", "contacts", "minutes"),
    ]
    minutes = next(p for p in found if p["Column"] == "minutes")
    assert str(minutes["Rows"]) == "3"
    assert all(p["Severity"] == "Error" for p in found)
    assert not [c for r in rows for c in r if c is not None and FAKE_NAME in str(c)]

    # Nothing reached the store.
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Submissions").click()
    expect(page.get_by_role("heading", name="Submissions")).to_be_visible()
    listing = page.get_by_test_id("stDataFrame").or_(page.get_by_text("Nothing has been loaded"))
    expect(listing).to_be_visible()
    expect(page.get_by_text(package.name)).to_have_count(0)


def test_a_funder_downloads_only_aggregates_of_their_scope(
    chromium: Browser, app_url: str, tmp_path: Path
) -> None:
    """Every page a funder can open, every download button on it: no case-level column, no
    programme outside the funder's scope, small numbers hidden."""
    signed_in = _signed_in(chromium, app_url, FUNDER, "Data overview")
    driver = next(signed_in)
    page = driver.page
    nav = page.get_by_test_id("stSidebarNav").get_by_role("link")
    titles = [t.strip().splitlines()[-1] for t in nav.all_inner_texts()]  # after the icon
    assert set(titles) == {
        "Data overview",
        "Indicator explorer",
        "Comparison",
        "Reports",
        "Indicator catalogue",
        "Upload a return",
    }
    downloaded: list[Path] = []
    for title in titles:
        driver.open_page(title)
        text = page.get_by_test_id("stMain").inner_text()
        assert not [o for o in OUTSIDE if o in text], title
        buttons = page.get_by_test_id("stDownloadButton").get_by_role("button")
        for n in range(buttons.count()):
            folder = tmp_path / f"{title}-{n}"
            folder.mkdir()
            path = _download(page, buttons.nth(n), folder)
            downloaded.append(path)
            if path.suffix == ".zip":  # a report pack: every file of it, read back
                _check_report_pack(path)
                continue
            frame = _frame(path)
            assert len(frame), path.name
            assert not CASE_LEVEL & {str(c) for c in frame.columns}, path.name
            assert set(frame["programme_id"].astype(str)) <= {FUNDER_SCOPE, "*"}, path.name
            cells = [str(c) for c in frame.to_numpy().ravel()]
            assert not [o for o in OUTSIDE if any(o in c for c in cells)], path.name
            if "suppressed" in frame.columns:  # the shared audience: hidden means empty
                hidden = frame[frame["suppressed"].astype(str).str.lower() == "true"]
                for column in ("numerator", "denominator", "value"):
                    numbers = pd.to_numeric(hidden[column].replace("", None), errors="coerce")
                    assert numbers.isna().all(), (path.name, column)
    assert sorted(p.suffix for p in downloaded) == [".csv", ".parquet", ".zip"]
    next(signed_in, None)  # close the context


def _check_report_pack(path: Path) -> None:
    """A report pack a funder downloads: only their programme, no case-level columns, and the
    shared audience (small numbers hidden)."""
    import docx
    import pypdf

    folder = path.parent / "pack"
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        zf.extractall(folder)
    assert names and all(FUNDER_SCOPE in n for n in names), names
    for name in names:
        file = folder / name
        if file.suffix == ".xlsx":
            wb = openpyxl.load_workbook(file, read_only=True)
            text = " ".join(
                str(c)
                for ws in wb.worksheets
                for row in ws.iter_rows(values_only=True)
                for c in row
                if c is not None
            )
        elif file.suffix == ".docx":
            d = docx.Document(str(file))
            text = " ".join(
                [p.text for p in d.paragraphs]
                + [c.text for t in d.tables for r in t.rows for c in r.cells]
            )
        elif file.suffix == ".pdf":
            text = " ".join(p.extract_text() for p in pypdf.PdfReader(file).pages)
        else:
            text = file.read_text(encoding="utf-8", errors="replace")
        assert not [o for o in OUTSIDE if o in text], name
        # no case reference of the package (A-001 …) and no case-level table in the pack
        assert not re.search(r"\b[A-Z]-\d{3}\b", text), name
        assert "small numbers" in text.lower(), name  # the shared audience says so
        if file.suffix == ".xlsx":
            for ws in openpyxl.load_workbook(file, read_only=True).worksheets:
                header = next(ws.iter_rows(values_only=True), ())
                assert not CASE_LEVEL & {str(h) for h in header if h}, (name, ws.title)


# -- nothing cut off -------------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TEXT_PAGES = {  # page: what it must show (so there is text to check)
    "overview.py": '[data-testid="stDataFrame"]',
    "programme.py": '[data-testid="stMetric"]',
    "explorer.py": '[data-testid="stDownloadButton"]',
    "reports.py": '[data-testid="stTable"]',
}

# Every element of the main area whose text is cut: clipped (an ellipsis, or hidden overflow)
# and wider than its box; charts, grids (drawn on a canvas) and code left out. Then every
# static table wider than its place, and every word of a heading that is split over two lines.
CUT_TEXT = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const found = [];
  const skip = '[data-testid="stPlotlyChart"], [data-testid="stDataFrame"], svg, pre, '
    + '[data-testid="stCode"], [data-testid="stTable"]';
  for (const el of main.querySelectorAll('*')) {
    if (el.closest(skip)) continue;
    const style = getComputedStyle(el);
    const clips = style.textOverflow === 'ellipsis' || ['hidden', 'clip'].includes(style.overflowX);
    const text = clips ? (el.innerText || '').trim() : '';
    if (text && el.scrollWidth > el.clientWidth + 1)
      found.push(`cut: ${text.slice(0, 80)} (${el.scrollWidth} > ${el.clientWidth} px)`);
  }
  for (const box of main.querySelectorAll('[data-testid="stTable"]')) {
    const table = box.querySelector('table');
    if (table && table.scrollWidth > box.clientWidth + 1)
      found.push(`table wider than the page: ${table.scrollWidth} > ${box.clientWidth} px`);
  }
  return found;
}"""
SPLIT_WORDS = """() => {
  const found = [];
  for (const h of document.querySelectorAll('[data-testid="stMain"] :is(h1, h2, h3)')) {
    const walker = document.createTreeWalker(h, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.data.matchAll(/[^\\s-]+/g)) {  // a break after "-" is fine
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) found.push(`split: ${word[0]}`);
      }
    }
  }
  return found;
}"""


# How wide each text is written in a grid's header font (it draws on a canvas), padding included.
HEADER_WIDTHS = """(texts) => {
  const context = document.createElement('canvas').getContext('2d');
  context.font = '400 14px "Source Sans"';
  return texts.map(t => Math.ceil(context.measureText(t).width) + 2 * 8);
}"""


def test_no_text_is_cut_off_in_german(chromium: Browser, app_url: str) -> None:
    """The overview, programme, explorer and reports pages in German, as the administrator
    sees them (the package's figures, none hidden): at 1280 × 800 no button label, tile title
    or static table is cut off, nor would an explorer's header be (German words are long); at
    a phone's width (390 px) no heading breaks a word in the middle."""
    from evaluation.views import explore
    from evaluation.vocabulary.language import _, using
    from scripts.appdriver import ANY_PAGE
    from streamlit_app import PAGES

    context = chromium.new_context(viewport=DESKTOP, locale="de-DE")
    context.set_default_timeout(UI_TIMEOUT)
    try:
        driver = Driver.open(context, app_url)
        p = driver.page
        with using("de"):  # the browser's language, as nobody chose one
            sign_in, name, password = _("Sign in"), _("User name"), _("Password")
        expect(p.get_by_role("heading", name=sign_in)).to_be_visible()
        p.get_by_label(name).fill(ADMIN)
        p.get_by_label(password, exact=True).fill(PASSWORD)
        p.get_by_role("button", name=sign_in).click()
        driver.settle(ANY_PAGE, 0.0, 0)
        links = [page.file for page in PAGES if "admin" in page.roles]
        problems: list[str] = []
        for file, shows in TEXT_PAGES.items():
            driver.open_link(links.index(file), ANY_PAGE)
            expect(p.locator(shows).first).to_be_visible()
            if file == "explorer.py":  # each header fits the least width the explorer gives it
                for lang in ("en", "de"):
                    with using(lang):
                        least = explore.table_widths(["gender"])
                    needs = p.evaluate(HEADER_WIDTHS, list(least))
                    problems += [
                        f"explorer's {h!r} needs {n} px, has {least[h]}"
                        for h, n in zip(least, needs, strict=True)
                        if n > least[h]
                    ]
            problems += [f"{file} at 1280 px: {t}" for t in p.evaluate(CUT_TEXT)]
            p.set_viewport_size(PHONE)
            driver.quiet()
            problems += [f"{file} at 390 px: {t}" for t in p.evaluate(SPLIT_WORDS)]
            p.set_viewport_size(DESKTOP)
            driver.quiet()
        assert not problems, "\n".join(problems)
        assert not driver.errors, driver.errors
    finally:
        context.close()


UPLOADER_WORDS = """el => {
  const box = el.querySelector('[data-testid=stFileUploaderDropzone]');
  const parts = [box.querySelector('button p'),
                 box.querySelector('[data-testid=stFileUploaderDropzoneInstructions] span')];
  return parts.map(p => ({
    own: getComputedStyle(p).visibility,
    shown: getComputedStyle(p, '::after').content,
    seen: getComputedStyle(p, '::after').visibility,
  }));
}"""


def test_the_upload_box_speaks_the_readers_language(chromium: Browser, app_url: str) -> None:
    """Streamlit's upload box says "Upload" and "200MB per file • XLSX, ZIP" in English on
    every page (its frontend has no words to set): in German the box reads "Datei auswählen"
    and "bis 200 MB je Datei · XLSX, ZIP", Streamlit's English hidden, as a person sees it."""
    from evaluation.vocabulary.language import _, using

    context = chromium.new_context(viewport=DESKTOP, locale="de-DE")
    context.set_default_timeout(UI_TIMEOUT)
    try:
        driver = Driver.open(context, app_url)
        p = driver.page
        with using("de"):
            sign_in, name, password = _("Sign in"), _("User name"), _("Password")
        p.get_by_label(name).fill(USER)
        p.get_by_label(password, exact=True).fill(PASSWORD)
        p.get_by_role("button", name=sign_in).click()
        box = p.locator(".st-key-upload_file")  # the CSO manager's first page: Upload
        expect(box.get_by_test_id("stFileUploaderDropzone")).to_be_visible()
        button, limit = box.evaluate(UPLOADER_WORDS)
        assert (button["own"], button["seen"]) == ("hidden", "visible")
        assert button["shown"] == '"Datei auswählen"'
        assert (limit["own"], limit["seen"]) == ("hidden", "visible")
        assert limit["shown"] == '"bis 200 MB je Datei · XLSX, ZIP"'
        assert not driver.errors, driver.errors
    finally:
        context.close()
