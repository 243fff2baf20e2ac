"""The finish of the report files (issue 13): Excel headers stand over their values and a
figure never runs into the text beside it; the narrative writes one quantity with one
precision; the Word footer's page number is the footer's size; English days read one way in
every format. Each test opens the written file again (openpyxl, python-docx, pypdf)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
from babel.dates import get_month_names

from evaluation.measures.catalogue import load_catalogue
from evaluation.periods import parse_periods
from evaluation.periods.labels import label
from evaluation.reports import narrative
from evaluation.reports.docx import FOOTER_PT, write_docx
from evaluation.reports.model import Report, build_report
from evaluation.reports.pack import write_report
from evaluation.reports.xlsx import DATE_FORMATS, HEAD_FILL, write_xlsx
from evaluation.sharing.releases.model import approval_day
from evaluation.store.database import Store
from evaluation.vocabulary import numbers
from evaluation.vocabulary.language import using

NOW = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)
SEPTEMBER = dt.date(2025, 9, 30)


def _report(store: Store, templates, tid: str, spec: str, lang: str = "en") -> Report:
    period = parse_periods(spec)[0]
    return build_report(store, templates.get(tid), "P-A", period, now=NOW, lang=lang)


@pytest.fixture(scope="module")
def annual(oracle_store: Store, report_templates) -> Report:
    return _report(oracle_store, report_templates, "ministry-annual", "FY2024-04")


@pytest.fixture(scope="module")
def september(oracle_store: Store, report_templates) -> Report:
    """A report whose period ends on 30 September, with the data annex (dates in cells)."""
    return _report(oracle_store, report_templates, "standard", "2025-04-01..2025-09-30")


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("finish")


# -- Excel ------------------------------------------------------------------------------------
def _header_cells(ws) -> list:
    return [
        c
        for row in ws.iter_rows()
        for c in row
        if c.fill is not None and str(c.fill.fgColor.rgb).endswith(HEAD_FILL)
    ]


def _column_below(ws, head) -> list:
    """The cells under a table's header cell, down to the first empty one."""
    cells = []
    for r in range(head.row + 1, ws.max_row + 1):
        cell = ws.cell(row=r, column=head.column)
        if cell.value is None:
            break
        cells.append(cell)
    return cells


def _shown_right(cell) -> bool:
    """Whether Excel shows ``cell`` right-aligned (a number under "general" is)."""
    horizontal = cell.alignment.horizontal
    if horizontal in (None, "general"):
        return isinstance(cell.value, int | float | dt.date) and not isinstance(cell.value, bool)
    return horizontal == "right"


@pytest.mark.parametrize("which", ["annual", "september"])
def test_every_excel_header_is_aligned_as_its_column(which: str, request, out: Path) -> None:
    report = request.getfixturevalue(which)
    wb = openpyxl.load_workbook(write_xlsx(report, out / f"{which}.xlsx"))
    checked = 0
    for ws in wb:
        for head in _header_cells(ws):
            below = _column_below(ws, head)
            if not below:
                continue
            sides = {_shown_right(c) for c in below}
            assert len(sides) == 1, (ws.title, head.value, [c.value for c in below])
            assert _shown_right(head) in sides, (ws.title, head.value, head.alignment.horizontal)
            checked += 1
    assert checked > 20


def test_excel_definitions_keep_the_version_apart_from_the_name(annual: Report, out: Path) -> None:
    wb = openpyxl.load_workbook(write_xlsx(annual, out / "definitions.xlsx"))
    ws = wb["Definitions"]
    header = [c.value for c in ws[2]]
    assert header[:3] == ["Indicator", "Version", "Name"]
    first = ws[3]
    assert first[0].value == "C01" and first[1].value == 1 and first[2].value == "New exit cases"
    version, name = ws.cell(row=2, column=2), ws.cell(row=2, column=3)
    assert version.alignment.horizontal == "right" and first[1].alignment.horizontal == "right"
    # the name is set off from the right-aligned version before it, its header too
    for cell in (name, *(row[2] for row in ws.iter_rows(min_row=3, max_row=ws.max_row))):
        if cell.value is None:
            continue
        assert cell.alignment.horizontal == "left" and cell.alignment.indent >= 1, cell.value
    # no text anywhere jams a figure into a word
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [t for t in texts if re.match(r"^\d+[A-Za-z]", t)]


def test_excel_summary_figure_headers_are_right_aligned(annual: Report, out: Path) -> None:
    wb = openpyxl.load_workbook(write_xlsx(annual, out / "summary.xlsx"))
    ws = wb["Summary"]
    heads = {c.value: c.alignment.horizontal for c in ws[2] if c.value}
    assert heads["Indicator"] == "left" and heads["Unit"] == "left"
    figures = [h for h in heads if h not in ("Indicator", "Unit")]
    assert figures and all(heads[h] == "right" for h in figures), heads


def test_excel_data_sheet_headers_are_aligned_as_their_values(september: Report, out: Path) -> None:
    wb = openpyxl.load_workbook(write_xlsx(september, out / "data.xlsx"))
    ws = wb["Data"]
    right = 0
    for head in ws[1]:
        column = ws.iter_rows(min_row=2, min_col=head.column, max_col=head.column)
        shown = [c.value for (c,) in column if c.value is not None]
        if shown and all(isinstance(v, int | float | dt.date) for v in shown):
            assert head.alignment.horizontal == "right", head.value
            right += 1
        elif any(isinstance(v, str) for v in shown):
            assert head.alignment.horizontal in (None, "general", "left"), head.value
    assert right >= 3  # value, numerator, denominator at least


# -- Narrative --------------------------------------------------------------------------------
def _turnover():
    catalogue = load_catalogue()
    return next(i for i in catalogue if i.kind not in ("count", "proportion") and "head" in i.unit)


def test_a_sentence_gives_its_numbers_one_precision() -> None:
    ind = _turnover()
    now = narrative.Figure(0.44, None, None, None, None, "ok", False, None)
    before = narrative.Figure(0.1, None, None, None, None, "ok", False, None)
    period, previous = parse_periods("FY2024-04")[0], parse_periods("FY2023-04")[0]
    with using("en"):
        text = narrative.sentence(ind, now, before, period, previous, target=0.5)
    assert "0.44" in text and "(0.10 " in text and "0.50" in text, text
    with using("de"):
        text = narrative.sentence(ind, now, before, period, previous)
    assert "0,44" in text and "(0,10 " in text and "(0,1 " not in text, text


@pytest.mark.parametrize("lang", ["en", "de"])
def test_every_narrative_sentence_has_one_precision(
    oracle_store: Store, report_templates, lang: str
) -> None:
    decimal = r"\d+\.(\d+)" if lang == "en" else r"\d+,(\d+)"
    sentences = []
    for tid, spec in [("ministry-annual", "FY2024-04"), ("standard", "2025-Q2")]:
        report = _report(oracle_store, report_templates, tid, spec, lang)
        sentences += report.narrative + [t for s in report.sections for t in s.narrative]
    mixed = [t for t in sentences if len({len(m) for m in re.findall(decimal, t)}) > 1]
    assert not mixed
    assert any(re.search(decimal, t) for t in sentences)  # the check saw decimals


def test_decimals_for_is_the_most_any_number_needs() -> None:
    assert numbers.decimals_for([0.44, 0.1, None]) == 2
    assert numbers.decimals_for([13.5, 10.25]) == 1
    assert numbers.decimals_for([21, 33]) == 0
    assert numbers.number(0.1, "en", places=2) == "0.10"
    assert numbers.number(1234.5, "de", places=1) == "1.234,5"
    assert numbers.number(21, "en", places=0) == "21"
    assert numbers.number(0, "en", places=1) == "0"  # nothing is not rounded


# -- Word -------------------------------------------------------------------------------------
def test_word_footer_page_number_is_the_footers_size(annual: Report, out: Path) -> None:
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = docx.Document(str(write_docx(annual, out / "footer.docx")))
    assert doc.styles["Footer"].font.size == Pt(FOOTER_PT)
    p = doc.sections[0].footer.paragraphs[0]
    runs = p._p.findall(qn("w:r"))  # every run, the field's too
    kinds = [f.get(qn("w:fldCharType")) for r in runs for f in r.findall(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"]
    assert any("PAGE" in (t.text or "") for r in runs for t in r.findall(qn("w:instrText")))
    sizes = []
    for r in runs:
        sz = r.find(qn("w:rPr") + "/" + qn("w:sz"))
        sizes.append(None if sz is None else int(sz.get(qn("w:val"))) / 2)
    assert sizes == [FOOTER_PT] * len(runs) and len(runs) >= 5
    assert all(run.font.size == Pt(FOOTER_PT) for run in p.runs)
    mark = p._p.pPr.find(qn("w:rPr") + "/" + qn("w:sz"))
    assert mark is not None and int(mark.get(qn("w:val"))) / 2 == FOOTER_PT


# -- English days -----------------------------------------------------------------------------
def test_every_english_day_path_writes_september_one_way() -> None:
    with using("en"):
        assert numbers.day(SEPTEMBER) == "30 Sep 2025"
        assert numbers.day(SEPTEMBER, "en_GB") == "30 Sep 2025"
        assert numbers.day(SEPTEMBER, width="long") == "30 September 2025"
        assert numbers.moment(dt.datetime(2025, 9, 30, 14, 5)) == "30 Sep 2025, 14:05"
        assert narrative.day_text(SEPTEMBER) == "30 September 2025"
        assert approval_day(SEPTEMBER) == "30 Sep 2025"
        period = parse_periods("2025-04-01..2025-09-30")[0]
        assert label(period).endswith("30 Sep 2025")
    assert DATE_FORMATS["en"] == "d mmm yyyy"  # Excel's mmm: "Sep"
    with using("de"):
        assert narrative.day_text(SEPTEMBER) == "30.09.2025"


MONTH = re.compile(r"\b\d{1,2} ([A-Z][a-z]+)\.? (?:– \d{1,2} [A-Z][a-z]+ )?\d{4}\b")


def _pack_texts(paths: dict[str, Path]) -> list[str]:
    import docx
    import pypdf

    texts: list[str] = []
    wb = openpyxl.load_workbook(paths[".xlsx"])
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    texts.append(c.value)
                elif isinstance(c.value, dt.date | dt.datetime):
                    assert c.number_format == DATE_FORMATS["en"], c.number_format
    doc = docx.Document(str(paths[".docx"]))
    texts += [p.text for p in doc.paragraphs]
    texts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    texts += [p.text for s in doc.sections for p in s.footer.paragraphs]
    texts += [p.extract_text() or "" for p in pypdf.PdfReader(str(paths[".pdf"])).pages]
    texts.append(paths[".html"].read_text(encoding="utf-8"))
    return [t.replace("\u00ad", "") for t in texts]


def test_an_english_pack_writes_every_day_one_way(september: Report, out: Path) -> None:
    folder = out / "pack-en"
    folder.mkdir()
    paths = {p.suffix: p for p in write_report(september, folder, ["xlsx", "docx", "html", "pdf"])}
    texts = _pack_texts(paths)
    abbreviated = set(get_month_names("abbreviated", locale="en").values())
    wide = set(get_month_names("wide", locale="en").values())
    months = {m for t in texts for m in MONTH.findall(t)}
    assert "Sep" in months and "September" in months  # the check saw both widths
    assert months <= abbreviated | wide, months - abbreviated - wide
    joined = "\n".join(texts)
    assert not re.search(r"\bSept\b", joined)
    assert not re.search(
        r"\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}, \d{4}", joined
    )
