"""Funder-ready reports: templates, the report model, XLSX and HTML files opened again, the CLI,
the joint protection of everything a report publishes, and a golden file per template.

Stores are built from the hand-made oracle package (``tests/fixtures/oracle``). DOCX and PDF are
checked in ``test_report_docx_pdf.py``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.intake.ingest import ingest
from evaluation.measures.catalogue import load_catalogue
from evaluation.measures.engine import IndicatorRequest, compute, compute_together
from evaluation.periods import parse_periods
from evaluation.reports.model import Report, ReportError, build_report, trend_periods
from evaluation.reports.pack import write_packs, write_report
from evaluation.reports.spec import (
    TemplateError,
    load_templates,
    period_choices,
)
from evaluation.sharing.disclosure import attack
from evaluation.store.access import Scope
from evaluation.store.database import Store
from tests.conftest import (
    ORACLE_RELEASED,
    approve_releases,
    copy_store,
    first_report_choice,
)

ROOT = Path(__file__).resolve().parents[1]
ORACLE = ROOT / "tests" / "fixtures" / "oracle"
SNAPSHOTS = ROOT / "tests" / "snapshots" / "reports"
NOW = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)
GOLDEN_PERIODS = {
    "ministry-annual": "FY2024-04",
    "eu-interim": "2025-H1",
    "municipality-quarterly": "2025-Q1",
    "evaluator-annex": "2025-H1",
    "standard": "2025-Q2",
}
HOSTILE_NAME = '=HYPERLINK("http://example.org/x","open") <script>alert(1)</script> {{ 7*7 }}'
CASE_LEVEL = {
    "case_id",
    "case_key",
    "case_ref",
    "opened_on",
    "closed_on",
    "birth_year",
    "contact_on",
    "event_on",
}


@pytest.fixture(scope="module")
def ministry(oracle_store: Store, report_templates) -> Report:
    return build_report(
        oracle_store,
        report_templates.get("ministry-annual"),
        "P-A",
        parse_periods("FY2024-04")[0],
        now=NOW,
    )


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The oracle package with a programme name that is a formula, a script and a template."""
    folder = tmp_path_factory.mktemp("hostile") / "package"
    shutil.copytree(ORACLE, folder)
    programmes = pd.read_csv(folder / "programmes.csv", dtype=str, keep_default_na=False)
    programmes.loc[programmes.programme_id == "P-A", "programme_name"] = HOSTILE_NAME
    programmes.to_csv(folder / "programmes.csv", index=False)
    path = folder.parent / "store.duckdb"
    with Store.open(path) as s:
        result = ingest(folder, s)
        assert result.status == "loaded", result.sentence()
        approve_releases(s, ORACLE_RELEASED)  # its reports are shared: released first
    return path


# --------------------------------------------------------------------------------------------
# Templates


def test_the_shipped_templates_load_and_cover_the_funders(report_templates) -> None:
    ids = {t.id for t in report_templates}
    assert {
        "ministry-annual",
        "eu-interim",
        "municipality-quarterly",
        "evaluator-annex",
        "standard",
    } <= ids
    assert report_templates.get("ministry-annual").period.type == "financial_year"
    assert report_templates.get("ministry-annual").period.start_month == 4
    assert report_templates.get("eu-interim").period.type == "half_year"
    assert report_templates.get("municipality-quarterly").counts_only
    assert report_templates.get(None).id == "standard"
    assert all(t.audience == "shared" for t in report_templates)


def test_a_bad_template_is_refused_with_file_line_and_reason(tmp_path: Path) -> None:
    def problems(extra: str) -> str:
        (tmp_path / "bad.yaml").write_text(
            "id: bad-one\ntitle: A bad template\nfunder: {name: Somebody}\n"
            "period: {type: quarter}\ncounts_only: true\nheadline: [C01, O01]\n"
            "sections:\n  - heading: Things\n    indicators: [C01, X99]\n"
            "    splits: [shoe_size]\n" + extra,
            encoding="utf-8",
        )
        with pytest.raises(TemplateError) as err:
            load_templates(tmp_path)
        return str(err.value)

    assert "bad.yaml:11: formats.1" in problems("formats: [xlsx, odt]\n")  # not a format
    text = problems("")
    assert "bad.yaml:6: headline.1: O01 is a proportion, but the template is counts only" in text
    assert "bad.yaml:9: sections.0.indicators.1: “X99” is not an indicator" in text
    assert "bad.yaml:10: sections.0.splits.0: “shoe_size” is not a split" in text
    with pytest.raises(TemplateError, match="there is no report template “nope”"):
        load_templates().get("nope")


def test_a_template_takes_only_its_kind_of_period(oracle_store: Store, report_templates) -> None:
    ministry = report_templates.get("ministry-annual")
    assert ministry.period.accepts(parse_periods("FY2024-04")[0])
    assert not ministry.period.accepts(parse_periods("FY2024-01")[0])
    assert not ministry.period.accepts(parse_periods("2024-Q2")[0])
    with pytest.raises(ReportError, match="financial years starting in April"):
        build_report(oracle_store, ministry, "P-A", parse_periods("2024")[0])
    choices = period_choices(ministry, dt.date(2025, 6, 30), dt.date(2020, 1, 1))
    assert [p.spec for p in choices[:2]] == ["FY2024-04", "FY2023-04"]
    assert [p.label for p in choices[:2]] == ["FY 2024/25", "FY 2023/24"]
    assert all(p.end <= dt.date(2025, 6, 30) for p in choices)
    half = period_choices(report_templates.get("eu-interim"), dt.date(2025, 6, 30))
    assert half[0].spec == "2025-H1" and half[0].label == "2025 H1"


def test_trend_periods_end_with_the_report_period() -> None:
    from evaluation.reports.spec import ReportTemplate, Section

    t = ReportTemplate(
        id="t-x",
        title="Trend",
        funder={"name": "Funder F"},
        sections=[Section(heading="S1", indicators=["C01"])],
    )
    fy = parse_periods("FY2024-04")[0]
    quarters = trend_periods(t, fy)
    assert [q.label for q in quarters] == [
        "2023 Q2",
        "2023 Q3",
        "2023 Q4",
        "2024 Q1",
        "2024 Q2",
        "2024 Q3",
        "2024 Q4",
        "2025 Q1",
    ]
    # the last four quarters partition the financial year exactly (suppression relies on it)
    assert quarters[4].start == fy.start and quarters[-1].end == fy.end


# --------------------------------------------------------------------------------------------
# The report model


def _cell_map(report: Report) -> dict[tuple[str, str], object]:
    out = {}
    for row in report.summary.rows:
        out[(row[0].text.split()[0], "now")] = row[2]
        out[(row[0].text.split()[0], "before")] = row[
            4 if len(row) > 4 and report.summary.header[3] == "95 % interval" else 3
        ]
    return out


def test_report_numbers_equal_the_engines(oracle_store: Store, ministry: Report) -> None:
    """Every figure shown equals the engine's unprotected figure for the same request; every
    hidden one is hidden in the report's data too."""
    period, previous = ministry.period, ministry.previous_period
    truth = compute(
        oracle_store,
        IndicatorRequest(
            periods=(period, previous),
            indicators=("C01", "C03", "O01", "O02", "O06", "C06"),
            programmes=("P-A",),
        ),
    )
    checked = 0
    for row in ministry.summary.rows:
        ind = row[0].text.split()[0]
        for cell, p in ((row[2], period), (row[4], previous)):
            data = ministry.data[
                (ministry.data.indicator_id == ind)
                & (ministry.data.period_start == p.start)
                & (ministry.data.period_end == p.end)
                & ministry.data.split.isna()
            ]
            assert len(data) == 1
            hidden = bool(data.suppressed.iloc[0])
            assert (cell.state == "hidden") == hidden
            if hidden:
                assert cell.text == "hidden" and cell.number is None
                assert math.isnan(data.value.iloc[0])
                continue
            true = truth[(truth.indicator_id == ind) & (truth.period_start == p.start)].value
            if cell.number is None:
                assert math.isnan(true.iloc[0])
            else:
                assert cell.number == pytest.approx(true.iloc[0])
                checked += 1
    assert checked >= 4
    assert any(c.state == "hidden" for r in ministry.summary.rows for c in r)


def test_everything_a_report_publishes_withstands_an_attack_together(oracle_store: Store) -> None:
    """A total, its split by gender and its quarters are one table to an attacker."""
    periods = tuple(parse_periods("2024,2024-Q1,2024-Q2,2024-Q3,2024-Q4"))
    inds = ("C01", "C03", "O01")
    shared = Scope.everything("shared")
    reqs = [
        IndicatorRequest(periods=periods, indicators=inds, scope=shared),
        IndicatorRequest(periods=periods, indicators=inds, split_by=("gender",), scope=shared),
    ]
    total, by_gender = compute_together(oracle_store, reqs)
    internal = [
        compute(
            oracle_store, IndicatorRequest(periods=periods, indicators=inds, split_by=r.split_by)
        )
        for r in reqs
    ]

    def stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
        a = frames[0].copy()
        a["gender"] = "*"
        return pd.concat([a, frames[1]], ignore_index=True)

    published, original = stack([total, by_gender]), stack(internal)
    assert published.suppressed.any()
    catalogue = load_catalogue()
    bounds = attack(
        published, {i.id: i for i in catalogue.latest()}, original=original, splits=["gender"]
    )
    assert bounds
    for low, high in bounds.values():
        assert high - low >= 5 or high == 0
    # and the figures shown are the engine's own
    shown = ~published.suppressed
    assert (
        published.loc[shown, "value"].fillna(-1).tolist()
        == original.loc[shown, "value"].fillna(-1).tolist()
    )


@pytest.mark.slow
def test_a_funder_cannot_report_on_a_programme_outside_their_scope(
    oracle_store: Store, report_templates
) -> None:
    scope = Scope(programmes=frozenset({"P-B"}), audience="shared")
    with pytest.raises(ReportError, match="P-A is not among the programmes you may see"):
        build_report(
            oracle_store,
            report_templates.get("standard"),
            "P-A",
            parse_periods("2025-Q2")[0],
            scope=scope,
        )
    report = build_report(
        oracle_store,
        report_templates.get("standard"),
        "P-B",
        parse_periods("2025-Q2")[0],
        scope=scope,
    )
    assert set(report.data.programme_id) == {"P-B"}
    assert report.audience == "shared"


@pytest.mark.slow
def test_an_internal_template_read_by_a_funder_is_still_shared(
    oracle_store: Store, report_templates
) -> None:
    internal = report_templates.get("standard").model_copy(update={"audience": "internal"})
    mine = build_report(oracle_store, internal, "P-A", parse_periods("2025-Q2")[0])
    assert mine.audience == "internal" and not mine.data.suppressed.any()
    theirs = build_report(
        oracle_store, internal, "P-A", parse_periods("2025-Q2")[0], scope=Scope.everything("shared")
    )
    assert theirs.audience == "shared" and theirs.data.suppressed.any()


def test_the_tidy_data_has_no_case_level_columns(ministry: Report) -> None:
    assert not CASE_LEVEL & set(ministry.data.columns)
    assert set(ministry.data.programme_id) == {"P-A"}


# --------------------------------------------------------------------------------------------
# Narrative


NUMBER = re.compile(r"\d[\d,.]*")


def test_the_narrative_never_states_a_hidden_figure(ministry: Report) -> None:
    hidden = {row[0].text.split()[0] for row in ministry.summary.rows if row[2].state == "hidden"}
    assert hidden
    labels = {ministry.period.label, ministry.previous_period.label}
    for text in ministry.narrative:
        ind = re.search(r"\((\w\d\d)\)", text)
        if ind and ind.group(1) in hidden:
            assert "hidden to protect small numbers" in text
            bare = re.sub(r"\(\w\d\d\)", "", text)
            for label in labels:
                bare = bare.replace(label, "")
            numbers = set(NUMBER.findall(bare))
            assert not numbers - {"3", "7"}, text  # "within 3 days" in a name
    for section in ministry.sections:
        for text in section.narrative:
            assert "DRAFT" not in text  # the notice is separate, the sentences are plain


def test_the_narrative_states_figures_with_changes_and_never_judges(ministry: Report) -> None:
    first = ministry.narrative[0]
    assert first.startswith("In FY 2024/25, the programme opened 21 new exit cases")
    assert "than in FY 2023/24 (19)" in first
    for text in ministry.narrative + [s for sec in ministry.sections for s in sec.narrative]:
        assert not re.search(r"\b(improv|success|fail|excellent|poor|because of)", text, re.I)
    o12 = [
        s
        for sec in ministry.sections
        for s in sec.narrative
        if ("(O12)" in s or "reoffending" in s.lower()) and "hidden to protect" not in s
    ]
    assert all("Known reoffending only" in s for s in o12)
    # a stated figure is followed by the indicator's caveats; a hidden one is named only
    from evaluation.reports.narrative import Figure, sentence

    ind = load_catalogue().get("O12")
    shown = Figure(0.25, 3, 12, 0.09, 0.53, "ok", False, 1.0)
    said = sentence(ind, shown, shown, ministry.period, ministry.previous_period)
    assert "Known reoffending only" in said and "25 %" in said
    hidden = Figure(None, None, None, None, None, "ok", True, None)
    said = sentence(ind, hidden, shown, ministry.period, ministry.previous_period)
    assert "hidden to protect small numbers" in said and "%" not in said


@pytest.mark.slow
def test_a_partial_period_is_said_to_be_partial(oracle_store: Store, report_templates) -> None:
    report = build_report(
        oracle_store,
        report_templates.get("standard"),
        "P-A",
        parse_periods("2025-04-01..2025-09-30")[0],
    )
    assert any("not over in the data" in n for n in report.data_quality_notes)
    counted = [
        s for s in report.narrative if s.startswith("In 2025-04-01..2025-09-30") or ": " in s
    ]
    assert any("may still change" in s for s in counted)
    assert not any("target" in s and "met" in s for s in counted if "may still" in s)


# --------------------------------------------------------------------------------------------
# XLSX and HTML, opened again


def _all_values(wb: openpyxl.Workbook) -> list[object]:
    return [
        c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    ]


def test_the_xlsx_has_every_part_and_the_reports_numbers(
    ministry: Report,
    tmp_path: Path,
) -> None:
    [path] = write_report(ministry, tmp_path, ["xlsx"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "Cover",
        "Summary",
        "Cases and reach",
        "Work with clients",
        "Outcomes",
        "Capacity building and funding",
        "Definitions",
        "Data quality",
        "Method",
    ]
    cover = wb["Cover"]
    assert cover["A1"].value == ministry.title
    assert any(str(c.value).startswith("DRAFT") for c in cover["A"] if c.value)
    summary = wb["Summary"]
    assert summary.freeze_panes == "B3"
    assert summary.page_setup.orientation == "landscape"
    assert summary.print_title_rows == "$2:$2"
    for r, row in enumerate(ministry.summary.rows, start=3):
        got = summary.cell(row=r, column=3)
        want = row[2]
        if want.state == "hidden":
            assert got.value == "hidden"
        elif want.number is not None:
            assert got.value == pytest.approx(want.number)
            if want.fmt == "percent":
                assert got.number_format == "0 %"
    charts = sum(len(ws._charts) for ws in wb.worksheets)
    # 19 with nothing to show (hidden, no data, or only zeros) are a sentence
    assert charts == len(ministry.charts) == 8
    assert [ch for ch in wb["Work with clients"]._charts if ch.tagname == "lineChart"]
    outcomes = wb["Outcomes"]  # every outcome hidden or missing: a sentence, no empty chart
    assert not outcomes._charts
    assert any(str(c.value).startswith("No charts of ") for c in outcomes["A"] if c.value)
    capacity = wb["Capacity building and funding"]
    f01 = next(
        r for r in capacity.iter_rows(min_row=1, max_col=3) if str(r[0].value).startswith("F01 ")
    )
    assert f01[2].value == 68_300  # F01 of P-A, FY2024-04: a number in its currency format
    assert f01[2].number_format == '#,##0 "EUR"'
    kinds = {"line": 0, "bar": 0}
    for name in zipfile.ZipFile(path).namelist():
        if name.startswith("xl/charts/chart"):
            xml = zipfile.ZipFile(path).read(name).decode()
            kinds["line"] += "<lineChart>" in xml
            kinds["bar"] += "<barChart>" in xml
            if "<lineChart>" in xml:
                assert '<smooth val="1"' not in xml and '<smooth val="0"' in xml
    assert kinds["line"] and kinds["bar"] and sum(kinds.values()) == 8
    assert not any(isinstance(v, str) and v.startswith("=") for v in _all_values(wb))


@pytest.mark.slow
def test_every_text_cell_of_a_hostile_programme_comes_out_inert(
    hostile_db: Path, tmp_path: Path
) -> None:
    report_templates = load_templates()
    with Store.open(hostile_db, read_only=True) as s:
        report = build_report(
            s, report_templates.get("evaluator-annex"), "P-A", parse_periods("2025-H1")[0]
        )
    assert report.programme == HOSTILE_NAME
    paths = write_report(report, tmp_path, ["xlsx", "html"])
    wb = openpyxl.load_workbook(paths[0])
    values = _all_values(wb)
    assert "'" + HOSTILE_NAME in [str(v).split(" (P-A)")[0] for v in values]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate)
    html = paths[1].read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    csv = next(p for p in tmp_path.iterdir() if p.name.endswith("_data.csv"))
    assert not any(
        line.startswith(("=", "+", "-", "@"))
        for field in pd.read_csv(csv, dtype=str).fillna("").to_numpy().ravel()
        for line in [field]
    )


def test_the_html_is_one_self_contained_file_with_interactive_charts(
    ministry: Report, tmp_path: Path
) -> None:
    [path] = write_report(ministry, tmp_path, ["html"])
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?:", html)
    assert ("Plotly.newPlot" in html and "plotly.js v" in html.lower()) or "Plotly" in html
    assert html.count('type="application/json" id="chart-') == len(ministry.charts)
    for row in ministry.summary.rows:
        assert f">{row[2].text}<" in html
    assert "DRAFT — " in html
    for heading in ("Definitions", "Data quality", "Method", "Provenance"):
        assert f">{heading}</h2>" in html
    for _, value in ministry.provenance:
        assert value.split(",")[0].replace("&", "&amp;") in html


@pytest.mark.slow
def test_a_template_with_a_data_annex_writes_the_tidy_csv(
    oracle_store: Store, report_templates, tmp_path: Path
) -> None:
    report = build_report(
        oracle_store, report_templates.get("evaluator-annex"), "P-A", parse_periods("2025-H1")[0]
    )
    paths = write_report(report, tmp_path, ["xlsx"])
    csv = [p for p in paths if p.suffix == ".csv"]
    assert len(csv) == 1
    data = pd.read_csv(csv[0])
    assert len(data) == len(report.data)
    assert {"gender", "age_band", "region"} <= set(data.split.dropna())
    wb = openpyxl.load_workbook(paths[0], read_only=True)
    assert wb["Data"].max_row == len(report.data) + 1


# --------------------------------------------------------------------------------------------
# The command line and the batch


def _ministry_annual_args(db: Path, out: Path, formats: str) -> list[str]:
    """``report`` for programme P-A's financial year from April 2024, ministry-annual."""
    return [
        *("report", "--db", str(db), "--programme", "P-A", "--period", "FY2024-04"),
        *("--template", "ministry-annual", "--out", str(out), "--formats", formats),
    ]


@pytest.mark.slow
def test_report_cli_writes_the_pack(
    oracle_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pack"
    # a shared report's read goes on the store's audit trail: a copy of the store
    db = copy_store(oracle_db, tmp_path / "store.duckdb")
    code = main(_ministry_annual_args(db, out, "xlsx,html"))
    assert code == 0, capsys.readouterr().err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["ministry-annual_P-A_FY2024-04.html", "ministry-annual_P-A_FY2024-04.xlsx"]
    assert "Wrote 2 files" in capsys.readouterr().err
    with Store.open(db) as store:
        reads = (
            store.cursor()
            .execute("SELECT actor, target FROM audit_log WHERE action = 'shared_read'")
            .fetchall()
        )
    assert reads and set(reads) == {("cli", "file:pack")}


@pytest.mark.slow
def test_the_report_cli_writes_a_pdf_without_importing_plotly(
    oracle_db: Path, tmp_path: Path
) -> None:
    """The PDF's charts are drawn with matplotlib in worker processes, whose fork server imports
    it while the command imports and computes; Plotly (0.1–0.3 s to import) is the dashboard's
    and the HTML report's. So a fresh CLI process writing a PDF loads neither, and the PDF
    has its charts."""
    import subprocess
    import sys

    db = copy_store(oracle_db, tmp_path / "store.duckdb")
    out = tmp_path / "pack"
    args = _ministry_annual_args(db, out, "pdf")
    script = (
        "import sys\nfrom evaluation.cli import main\n"
        f"code = main({args!r})\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & {'plotly', 'matplotlib'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["0", "[]"], done.stdout
    assert [p.name for p in out.iterdir()] == ["ministry-annual_P-A_FY2024-04.pdf"]
    from pypdf import PdfReader

    pdf = PdfReader(str(out / "ministry-annual_P-A_FY2024-04.pdf"))
    assert sum(len(page.images) for page in pdf.pages) >= 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--programme", "P-A", "--period", "2024-Q2", "--template", "ministry-annual"],
            "reports financial years starting in April",
        ),
        (["--programme", "P-Z", "--period", "2025-Q1"], "P-Z is not among the programmes"),
        (
            ["--programme", "P-A", "--period", "2025-Q1", "--template", "nope"],
            "there is no report template",
        ),
        (["--programme", "P-A", "--period", "2025-Q1", "--formats", "odt"], "is not one of them"),
        (["--programme", "P-A", "--period", "2025-Q7"], "2025-Q7"),
    ],
)
def test_report_cli_refuses_with_a_sentence(
    oracle_db: Path,
    tmp_path: Path,
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "nothing"
    code = main(["report", "--db", str(oracle_db), "--out", str(out), *args])
    err = capsys.readouterr().err
    assert code == 1, err
    assert message in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.slow
def test_the_batch_writes_every_programmes_report_like_the_single_one(
    oracle_store: Store, report_templates, tmp_path: Path
) -> None:
    template = report_templates.get("municipality-quarterly")
    period = parse_periods("2025-Q1")[0]
    seen: list[float] = []
    paths = write_packs(
        oracle_store,
        template,
        period,
        tmp_path / "all",
        formats=["xlsx"],
        progress=lambda _m, f: seen.append(f),
        workers=2,
    )
    assert sorted(p.name for p in paths) == [
        f"municipality-quarterly_{p}_2025-Q1.xlsx" for p in ("P-A", "P-B", "P-C", "P-D")
    ]
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    # the batch computes all programmes in one pass; the figures are those of a single report
    single = build_report(oracle_store, template, "P-B", period)
    wb = openpyxl.load_workbook(tmp_path / "all" / "municipality-quarterly_P-B_2025-Q1.xlsx")
    got = [[c.value for c in row[:4]] for row in wb["Summary"].iter_rows(min_row=3, max_row=7)]
    want = [
        [
            row[0].text,
            row[1].text,
            row[2].number if row[2].number is not None else row[2].text,
            row[3].number if row[3].number is not None else row[3].text,
        ]
        for row in single.summary.rows
    ]
    assert got == want


# --------------------------------------------------------------------------------------------
# Golden files: structure and numbers, not bytes


def _golden(report: Report) -> dict:
    def table(t) -> dict:
        return {
            "title": t.title,
            "header": list(t.header),
            "rows": [[c.text for c in row] for row in t.rows],
        }

    return {
        "title": report.title,
        "funder": report.funder,
        "period": report.period.label,
        "previous": report.previous_period.label,
        "audience": report.audience,
        "summary": table(report.summary),
        "narrative": report.narrative,
        "sections": [
            {
                "heading": s.heading,
                "tables": [table(t) for t in s.tables],
                "charts": [
                    {
                        "title": c.title,
                        "kind": c.kind,
                        "categories": list(c.categories),
                        "values": [
                            [None if v is None else round(v, 6) for v in se.values]
                            for se in c.series
                        ],
                    }
                    for c in s.charts
                ],
                "narrative": s.narrative,
                "chart_notes": s.chart_notes,
            }
            for s in report.sections
        ],
        "definitions": [row[0].text for row in report.definitions.rows],
        "data_quality": [table(t) for t in report.data_quality],
        "data_quality_notes": report.data_quality_notes,
        "data": {
            "rows": len(report.data),
            "hidden": int(report.data.suppressed.sum()),
            "columns": list(report.data.columns),
        },
    }


@pytest.mark.slow
@pytest.mark.parametrize("template_id", sorted(GOLDEN_PERIODS))
def test_golden_report(oracle_store: Store, report_templates, template_id: str) -> None:
    report = build_report(
        oracle_store,
        report_templates.get(template_id),
        "P-A",
        parse_periods(GOLDEN_PERIODS[template_id])[0],
        now=NOW,
    )
    got = json.loads(json.dumps(_golden(report), default=str))
    path = SNAPSHOTS / f"{template_id}.json"
    update = os.environ.get("UPDATE_SNAPSHOTS") == "1"  # "0" or "" must not rewrite them
    if update or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        if not update:
            pytest.fail(f"wrote the missing golden file {path.name}; check it and commit it")
    assert got == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_chart_images_drawn_in_worker_processes_are_the_charts(
    ministry: Report, tmp_path: Path
) -> None:
    from evaluation.reports.charts import _png, clear_pngs, to_figure
    from evaluation.reports.pack import draw_charts

    ministry.chart_images.clear()
    clear_pngs()  # none kept from earlier tests: the workers draw them all
    draw_charts(ministry, 2, min_parallel=1)
    assert len(ministry.chart_images) == len(ministry.charts) == 8
    first = ministry.charts[0]
    assert ministry.chart_png(first)[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(ministry.chart_png(first)) == len(_png(to_figure(first)))


def test_chart_images_are_drawn_once_per_content_and_language(
    oracle_store: Store, report_templates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report's charts are drawn in this process (a pool costs more than a report's charts),
    once: the same report computed again (a second pack, a template switched back) finds every
    image kept by its content; another language is another image."""
    from evaluation.reports import charts
    from evaluation.reports.pack import MIN_PARALLEL_CHARTS, draw_charts

    def build() -> Report:
        template = report_templates.get("ministry-annual")
        return build_report(oracle_store, template, "P-A", parse_periods("FY2024-04")[0], now=NOW)

    charts.clear_pngs()
    first = build()
    assert len(first.charts) < MIN_PARALLEL_CHARTS
    draw_charts(first, 2)
    assert len(first.chart_images) == len(first.charts)

    def no_drawing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a chart was drawn again")

    again = build()
    monkeypatch.setattr(charts, "to_figure", no_drawing)
    draw_charts(again, 2)
    assert [again.chart_images[id(c)] for c in again.charts] == [
        first.chart_images[id(c)] for c in first.charts
    ]
    chart = first.charts[0]
    assert charts.png_key(chart, lang="de") != charts.png_key(chart, lang="en")
    assert charts.png_key(chart) != charts.png_key(chart, width=3.0)


@pytest.mark.slow
@pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")),
    reason="LibreOffice is not installed (.ci/run installs it)",
)
def test_libreoffice_opens_the_reports_excel_and_word_files(
    ministry: Report, tmp_path: Path
) -> None:
    """LibreOffice converts both files to PDF, and the summary's figures are in what it drew."""
    import subprocess

    import pypdf

    office = shutil.which("soffice") or shutil.which("libreoffice")
    paths = write_report(ministry, tmp_path, ["xlsx", "docx"])
    out = tmp_path / "pdf"
    for path in paths:
        subprocess.run(
            [
                office,
                "--headless",
                f"-env:UserInstallation=file://{tmp_path}/lo",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                str(path),
            ],
            check=True,
            timeout=240,
            capture_output=True,
        )
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(out / f"{path.stem}.pdf").pages)
        assert ministry.programme in text, path.name
        if path.suffix == ".docx":  # the Word layout prints every summary figure
            for row in ministry.summary.rows:
                assert row[2].text in text, (path.name, row[0].text)


def test_the_funders_logo_is_on_every_formats_cover(
    oracle_store: Store, report_templates, tmp_path: Path
) -> None:
    """A template's logo slot: a file beside the template, shown on the cover of each format."""
    import base64

    import docx
    import pypdf

    from evaluation.reports.charts import ChartSpec, Series, to_png
    from evaluation.reports.spec import Funder

    logo = to_png(ChartSpec("Logo", "bar", ("a",), (Series("s", (1.0,)),)), width=2, height=1)
    (tmp_path / "logo.png").write_bytes(logo)
    base = report_templates.get("municipality-quarterly")
    template = base.model_copy(
        update={
            "funder": Funder(name=base.funder.name, logo="logo.png"),
            "folder": tmp_path,
            "formats": ["xlsx", "docx", "html", "pdf"],
        }
    )
    report = build_report(oracle_store, template, "P-A", parse_periods("2025-Q1")[0])
    assert report.logo == tmp_path / "logo.png"
    paths = {p.suffix: p for p in write_report(report, tmp_path / "out", template.formats)}
    charts = len(report.charts)
    assert len(docx.Document(str(paths[".docx"])).inline_shapes) == charts + 1
    assert len(pypdf.PdfReader(paths[".pdf"]).pages[0].images) == 1
    assert len(openpyxl.load_workbook(paths[".xlsx"])["Cover"]._images) == 1
    assert base64.b64encode(logo).decode()[:200] in paths[".html"].read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Every template's pack in both languages, opened again: what a reader meets (issue 13)

PACK_LANGS = ("en", "de")
FAST_PACKS = {("ministry-annual", "en"), ("ministry-annual", "de")}
"""The everyday lane checks the ministry's pack (the most charts, hidden headline figures) in
both languages; the slow lane every template in both."""


def _pack_params() -> list:
    return [
        pytest.param(
            (tid, lang),
            id=f"{tid}-{lang}",
            marks=() if (tid, lang) in FAST_PACKS else pytest.mark.slow,
        )
        for tid in sorted(GOLDEN_PERIODS)
        for lang in PACK_LANGS
    ]


@pytest.fixture(scope="module", params=_pack_params())
def pack(request, oracle_store: Store, report_templates, tmp_path_factory) -> tuple:
    """(report, {suffix: path}): one programme's pack in every format, in one language."""
    tid, lang = request.param
    report = build_report(
        oracle_store,
        report_templates.get(tid),
        "P-A",
        parse_periods(GOLDEN_PERIODS[tid])[0],
        now=NOW,
        lang=lang,
    )
    out = tmp_path_factory.mktemp(f"pack-{tid}-{lang}")
    paths = {p.suffix: p for p in write_report(report, out, ["xlsx", "docx", "html", "pdf"])}
    return report, paths


def _xlsx_texts(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [str(v) for v in _all_values(wb) if isinstance(v, str)]


def _docx_texts(path: Path) -> list[str]:
    import docx

    doc = docx.Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    texts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    for sec in doc.sections:
        texts += [p.text for p in sec.footer.paragraphs]
        texts += [p.text for p in sec.header.paragraphs]
    return [t.replace("\u00ad", "") for t in texts]  # a soft hyphen: where a line may break


def _pdf_texts(path: Path) -> list[str]:
    import pypdf

    return [p.extract_text() or "" for p in pypdf.PdfReader(str(path)).pages]


def _html_texts(path: Path) -> list[str]:
    """The page's visible texts and every text of its charts (titles, axes, notes)."""
    from html.parser import HTMLParser

    texts: list[str] = []

    class Reader(HTMLParser):
        skip: str | None = None
        spec = False

        def handle_starttag(self, tag, attrs):
            kind = dict(attrs).get("type", "")
            if tag in ("script", "style"):
                self.skip = tag
                self.spec = kind == "application/json"

        def handle_endtag(self, tag):
            if tag == self.skip:
                self.skip, self.spec = None, False

        def handle_data(self, data):
            if self.spec:
                texts.extend(_strings(json.loads(data)))
            elif not self.skip:
                texts.append(data)

    Reader().feed(path.read_text(encoding="utf-8"))
    return texts


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _format_texts(report: Report, paths: dict) -> dict[str, str]:
    """Every format's text, the reproduction command of the provenance taken out (a command
    for a machine: it names the period by its SPEC on purpose)."""
    command = _norm(dict(report.provenance)[_provenance_key(report, "Reproduce")])
    out = {}
    for suffix, read in (
        (".xlsx", _xlsx_texts),
        (".docx", _docx_texts),
        (".pdf", _pdf_texts),
        (".html", _html_texts),
    ):
        out[suffix] = _norm(" \n ".join(read(paths[suffix]))).replace(command, "")
    return out


def _provenance_key(report: Report, key: str) -> str:
    from evaluation.vocabulary.language import _, using

    with using(report.lang):
        return _(key)


def test_a_pack_shows_no_code_in_any_format(pack: tuple) -> None:
    from tests.raw_codes import raw_codes

    report, paths = pack
    for suffix, text in _format_texts(report, paths).items():
        assert not raw_codes(text), (suffix, sorted(set(raw_codes(text)))[:10])


def test_a_pack_in_german_reads_german(pack: tuple) -> None:
    """Headings, table headers, notices, dates and numbers in the report's language."""
    import docx

    from evaluation.vocabulary.language import _, using

    report, paths = pack
    texts = _format_texts(report, paths)
    with using(report.lang):
        words = [_("Funder"), _("Generated at"), _("Indicator"), report.summary.title]
        draft = _("DRAFT — {notice}", notice=report.draft_notice)
        as_of = report.data_as_of.strftime("%d.%m.%Y" if report.lang == "de" else "%-d %B %Y")
    if report.template.docx_template:  # the funder's own Word layout has its own words
        texts.pop(".docx")
    for suffix, text in texts.items():
        for word in words:
            assert word in text, (suffix, word)
        if report.narrative:
            assert _norm(draft) in text, suffix
        assert as_of in text, (suffix, as_of)
    assert f'<html lang="{report.lang}">' in paths[".html"].read_text(encoding="utf-8")
    tables = docx.Document(str(paths[".docx"])).tables
    heads = [[c.text for c in t.rows[0].cells] for t in tables]
    assert list(report.summary.header) in heads
    if report.lang == "de":
        for english in ("Funder", "Generated at", "DRAFT", "Narrative (draft)", "page 2 of"):
            for suffix, text in texts.items():
                assert english not in text, (suffix, english)
        figures = [c.text for row in report.summary.rows for c in row if c.number is not None]
        assert not [f for f in figures if re.search(r"\d\.\d|\d,\d{3}\b", f)], figures


def _english_phrases() -> set[str]:
    """What the German catalogues translate, in English: every piece of three words or more
    between a message's places (shorter ones can be German too: "Name", "Status")."""
    from babel.messages.pofile import read_po

    from evaluation.vocabulary.language import LOCALE_DIR

    found: set[str] = set()
    for po in sorted((LOCALE_DIR / "de").glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle):
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                for ident in ids:
                    if not ident or ident in strings:
                        continue
                    for piece in re.split(r"\{[^}]*\}", ident):
                        piece = _norm(piece.strip(" .,:;()–—-"))
                        if len(piece.split()) >= 3:
                            found.add(piece)
    return found


def test_a_german_pack_has_no_english_sentence(pack: tuple) -> None:
    """Not one sentence of the English catalogue in any format of a German pack: the funder's
    own Word layout (its header and footer too), the charts of the HTML, the Excel sheets."""
    from evaluation.reports.docx import LAYOUT_WORDS

    report, paths = pack
    if report.lang != "de":
        pytest.skip("a German pack")
    phrases = _english_phrases()
    assert len(phrases) > 200
    words = [*LAYOUT_WORDS.values(), "Indicator", "hidden", "no data", "page"]
    texts = _format_texts(report, paths)
    for suffix, text in texts.items():
        found = sorted(p for p in phrases if p in text)
        assert not found, (suffix, found[:5])
    # the page's own words (its charts' texts hold plotly's names: "bar", a trace's role)
    html = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", " ", paths[".html"].read_text())
    texts[".html"] = _norm(re.sub(r"<[^>]+>", " ", html))
    for suffix, text in texts.items():
        for word in words:
            assert not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text), (suffix, word)


def test_a_pack_names_every_split_value(pack: tuple) -> None:
    """A split's values by their names in the report's language (``Female``, ``Weiblich``),
    never the code (``female``, ``diverse``), in the tables and in the tidy data."""
    from evaluation.reports.model import YES_NO, readable_data
    from evaluation.vocabulary.codes import code_label, code_order
    from evaluation.vocabulary.language import _, using

    report, paths = pack
    tables = [t for s in report.sections for t in s.tables if t.key.startswith("by-")]
    if not tables:
        pytest.skip("the template splits no table")
    with using(report.lang):
        for table in tables:
            split = table.key.removeprefix("by-")
            names = {code_label(split, c) for c in code_order(split)} | {code_label(split, None)}
            names |= {_(word) for word in YES_NO.values()}  # returnee: Yes, No
            codes = set(code_order(split)) | set(YES_NO) | {"True", "False"}
            for row in table.rows:
                if not code_order(split) and row[1].text.lower() not in YES_NO:
                    continue  # a column of free values (a region's NUTS code): as given
                assert row[1].text in names and row[1].text not in codes - names, (
                    table.title,
                    row[1].text,
                )
        data = readable_data(report)
    shown = {str(v) for v in data.iloc[:, list(report.data.columns).index("split_value")]}
    raw = {c for t in tables for c in code_order(t.key.removeprefix("by-"))} | set(YES_NO)
    assert not shown & raw, sorted(shown & raw)
    written = " ".join(_xlsx_texts(paths[".xlsx"]))
    for table in tables:
        for row in table.rows:
            assert row[1].text in written


def test_a_pack_draws_no_empty_chart(pack: tuple) -> None:
    import docx
    import pypdf

    report, paths = pack
    assert all(c.points() and c.empty_sentence is None for c in report.charts)
    for section in report.sections:  # a chart left out is said, once per section
        assert len(section.chart_notes) <= 1
    charts = len(report.charts)
    assert len(docx.Document(str(paths[".docx"])).inline_shapes) == charts
    reader = pypdf.PdfReader(str(paths[".pdf"]))
    assert sum(len(p.images) for p in reader.pages) == charts
    for page in reader.pages[1:]:  # no page is a page of pictures of nothing
        assert len(_norm(page.extract_text() or "")) > 80 or page.images
    wb = openpyxl.load_workbook(paths[".xlsx"])
    assert sum(len(ws._charts) for ws in wb.worksheets) == charts
    html = paths[".html"].read_text(encoding="utf-8")
    specs = re.findall(r'type="application/json" id="chart-\d+-spec">(.*?)</script>', html)
    assert len(specs) == charts
    for spec in specs:
        data = json.loads(spec)["data"]
        assert any(y is not None for trace in data for y in trace.get("y", []))


def test_a_pack_never_jams_a_value_and_its_interval(pack: tuple) -> None:
    """An interval is two number cells in Excel (never text beside the figure), and a rate is
    written in one style (``48 %``) in every format."""
    report, paths = pack
    wb = openpyxl.load_workbook(paths[".xlsx"])
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    assert not re.fullmatch(r"[\d.,]+\s?%?\s?[\d.,]*–[\d.,]+ ?%", c.value), (
                        ws.title,
                        c.coordinate,
                        c.value,
                    )
                elif isinstance(c.value, float) and "%" in c.number_format:
                    assert c.number_format == "0 %", (ws.title, c.coordinate)
                elif isinstance(c.value, float) and "." in c.number_format:
                    assert "#" in c.number_format and "0.0" in c.number_format
    if not report.template.counts_only:
        summary = wb.worksheets[1]
        head = [c.value for c in summary[2]]
        at = next(
            k for k, h in enumerate(head) if h and str(h).startswith(report.summary.header[3])
        )
        assert head[at + 1] != head[at] and str(head[at + 1]).startswith(report.summary.header[3])
        for row in summary.iter_rows(min_row=3, max_row=2 + len(report.summary.rows)):
            low, high = row[at].value, row[at + 1].value
            if isinstance(low, float):
                assert isinstance(high, float) and low <= high
                assert row[at].number_format == row[at + 1].number_format == "0 %"
    import docx

    jammed = re.compile(r"[\d.,]+\s?%\s?[\d.,]+–[\d.,]+ ?%")
    cells = [
        c.text for t in docx.Document(str(paths[".docx"])).tables for r in t.rows for c in r.cells
    ]
    cells += re.findall(r"<td[^>]*>(.*?)</td>", paths[".html"].read_text(encoding="utf-8"))
    assert not [c for c in cells if jammed.search(c)]
    for suffix, text in _format_texts(report, paths).items():
        assert not re.search(r"\d%", text), suffix  # "48 %", never "48%"


def _word_mm(text: str, bold: bool, points: float = 9.0) -> float:
    from PIL import ImageFont

    from evaluation.reports.pdf import font_files

    font = ImageFont.truetype(str(font_files()["B" if bold else ""]), 100)
    return font.getlength(text) / 100 * points * 25.4 / 72


def test_a_pack_word_tables_never_break_a_word(pack: tuple) -> None:
    """Every Word table has fixed column widths, each wider than its longest word (measured in
    DejaVu Sans, wider than Word's Calibri) and Word's cell margins: no "Indicato/r"."""
    import docx
    from docx.oxml.ns import qn

    _report, paths = pack
    doc = docx.Document(str(paths[".docx"]))  # the funder's own layout's tables too
    assert doc.tables
    for table in doc.tables:
        layout = table._tbl.tblPr.find(qn("w:tblLayout"))
        assert layout is not None and layout.get(qn("w:type")) == "fixed"
        widths = [col.w.mm if col.w is not None else 0.0 for col in table._tbl.tblGrid.gridCol_lst]
        assert sum(widths) <= 171
        for n, row in enumerate(table.rows):
            for k, cell in enumerate(row.cells):
                bold = n == 0 or any(r.bold for p in cell.paragraphs for r in p.runs)
                # Word breaks at "-" and at a soft hyphen (where it then sets a hyphen)
                for word in re.findall(r"[^\s\-\u00ad]*[-\u00ad]|[^\s\-\u00ad]+", cell.text):
                    if n and "_" in word:
                        continue  # a code, which test_a_pack_shows_no_code_in_any_format finds
                    need = _word_mm(word, bold) + 2 * 1.9
                    assert widths[k] >= need, (table.rows[0].cells[k].text, word, widths[k])


def test_a_pack_narrative_says_each_sentence_once(pack: tuple) -> None:
    report, paths = pack
    sentences = [*report.narrative, *(s for sec in report.sections for s in sec.narrative)]
    assert len(sentences) == len(set(sentences))
    parts = [
        _norm(x)
        for t in sentences
        for x in re.split(r"(?<=[a-zäöüß)%])\. (?=[A-ZÄÖÜ])", t)
        if x.strip()
    ]
    assert len(parts) == len(set(parts)), [p for p in parts if parts.count(p) > 1][:3]
    text = _norm(" ".join(_docx_texts(paths[".docx"])))
    for sentence in sentences:
        assert text.count(_norm(sentence)) == 1, sentence


def test_a_pack_narrative_says_in_a_period_as_its_language_does(pack: tuple) -> None:
    """ "In FY 2024/25, the programme …" and "Im GJ 2024/25 betreute …": the period takes the
    words its kind takes (never "im Zeitraum GJ 2024/25"), and an English sentence's opening
    period is set off by a comma, so a figure never follows it ("In 2026 H1 0 …")."""
    report, _paths = pack
    sentences = [*report.narrative, *(s for sec in report.sections for s in sec.narrative)]
    assert sentences
    named = r"(GJ|FY|Q\d|\d\. Hj\.|\d{4}\b)"  # periods named by a word, not by their days
    for sentence in sentences:
        assert not re.search(rf"\b(im Zeitraum|in the period) {named}", sentence), sentence
        if sentence.startswith("In "):
            assert re.match(r"In [^,]+?(Q\d|H\d|/\d\d|\d{4}), ", sentence), sentence


def test_a_pack_names_its_hidden_headline_indicators(pack: tuple) -> None:
    from evaluation.vocabulary import marks
    from evaluation.vocabulary.language import using

    report, paths = pack
    with using(report.lang):
        word = marks.hidden()
    hidden = [row[0].text.split()[0] for row in report.summary.rows if row[2].state == "hidden"]
    heads = [row[0].text.split()[0] for row in report.summary.rows]
    assert len(heads) == len(report.template.headline)  # every headline indicator has its row
    for ind in hidden:
        assert f"({ind})" in report.summary.note
        said = [s for s in report.narrative if f"({ind})" in s]
        assert len(said) == 1 and word in said[0].lower(), (ind, said)
    if hidden:
        text = _format_texts(report, paths)[".pdf"]
        assert f"({hidden[0]})" in text


def test_a_pack_html_is_small(pack: tuple) -> None:
    """plotly.js once and compressed: a report with dozens of charts stays near 2 MB (it was
    4.9 MB with plotly.js inlined as text)."""
    from evaluation.reports.html import MAX_BYTES

    report, paths = pack
    size = paths[".html"].stat().st_size
    assert size < MAX_BYTES, size
    html = paths[".html"].read_text(encoding="utf-8")
    assert html.count('id="plotly-gz"') == (1 if report.charts else 0)
    assert "Plotly.newPlot" in html


def test_the_html_unpacks_plotly_it_carries() -> None:
    """The compressed plotly.js in the page is plotly.js itself."""
    import base64
    import gzip

    from plotly.offline import get_plotlyjs

    from evaluation.reports.html import plotly_gz

    code, version = plotly_gz()
    assert gzip.decompress(base64.b64decode(code)).decode("utf-8") == get_plotlyjs()
    assert version


def test_report_cli_writes_in_german_and_refuses_a_language_it_does_not_speak(
    oracle_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import docx

    out = tmp_path / "de"
    # a shared report's read goes on the store's audit trail: a copy of the store
    db = copy_store(oracle_db, tmp_path / "store.duckdb")
    args = ["report", "--db", str(db), "--programme", "P-A", "--period", "2025-Q1"]
    args += ["--template", "municipality-quarterly", "--out", str(out), "--formats", "docx"]
    assert main([*args, "--lang", "xx"]) == 1
    assert "“xx” is not one of them" in capsys.readouterr().err
    assert main([*args, "--lang", "de"]) == 0, capsys.readouterr().err
    (path,) = out.iterdir()
    text = " ".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "Zuwendungsgeber" in text and "Funder" not in text


@pytest.mark.slow
def test_the_batch_hands_its_language_to_every_worker(
    oracle_store: Store, report_templates, tmp_path: Path
) -> None:
    import docx

    paths = write_packs(
        oracle_store,
        report_templates.get("municipality-quarterly"),
        parse_periods("2025-Q1")[0],
        tmp_path,
        formats=["docx"],
        workers=2,
        lang="de",
    )
    assert len(paths) == 4
    for path in paths:
        text = " ".join(p.text for p in docx.Document(str(path)).paragraphs)
        assert "Zuwendungsgeber" in text and "Funder:" not in text, path.name


def test_the_reports_page_writes_the_pack_on_a_click(
    oracle_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Choosing a template costs the report, not its files: the page hands the download button
    a function that writes the zip when clicked (and keeps it for the next click), in the
    report's language whichever thread calls it."""
    from evaluation.app import state

    db = tmp_path / "store.duckdb"
    for file in oracle_db.parent.glob(f"{oracle_db.name}*"):
        shutil.copy(file, tmp_path / file.name.replace(oracle_db.name, db.name))
    monkeypatch.setenv("EVALUATION_DB", str(db))
    scope, template, period, version = first_report_choice("P-A")
    later = state.report_pack_later(scope, template.id, "P-A", period, version, ("html", "pdf"))
    assert callable(later)
    data = later()
    assert later() is data  # kept for the next click
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(n.rsplit(".", 1)[1] for n in zf.namelist()) == ["csv", "html", "pdf"]
    state.clear_caches()


def test_a_german_report_names_the_demo_mark_in_german(
    oracle_store: Store, report_templates
) -> None:
    """The oracle's organisation is stored "Oracle Test Org (fictional)"; a German report says
    "(fiktiv)" on its cover and in its document properties, an English one "(fictional)"."""
    template = report_templates.get("ministry-annual")
    period = parse_periods("FY2024-04")[0]
    german = build_report(oracle_store, template, "P-A", period, now=NOW, lang="de")
    assert german.organisation.endswith("(fiktiv)") and "(fictional)" not in german.organisation
    assert "(fictional)" not in german.funder
    english = build_report(oracle_store, template, "P-A", period, now=NOW, lang="en")
    assert english.organisation.endswith("(fictional)")
