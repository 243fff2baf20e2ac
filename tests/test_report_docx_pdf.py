"""Word and PDF reports, read back: what the funder opens says what the Report says.

A store is built from the oracle fixture package, reports are built with ``build_report`` (the
figures come from the engine), written as DOCX and PDF, and then opened again with python-docx
and pypdf: the cover names the programme, funder and period; every summary cell appears, and
the suppressed ones as "hidden"; every chart is an image; the narrative appears with its draft
notice; the annex headings are there. A funder's own Word template (``eu-interim.docx``) is
filled with no tag left over, and text from the data is written literally (never as XML, never
evaluated as a template).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from evaluation.periods import parse_periods
from evaluation.reports.docx import annex_heading, docx_context, write_docx
from evaluation.reports.model import Report, build_report
from evaluation.reports.pdf import write_pdf
from evaluation.store.database import Store

ANNUAL = ("ministry-annual", "P-A", "FY2024-04")
EU = ("eu-interim", "P-A", "2025-H1")


@pytest.fixture(scope="module")
def reports(oracle_store: Store, report_templates) -> Callable[..., Report]:
    """The report of a (template, programme, period) in a language (``None``: the language of
    the moment), built once per module and shared by the tests that read it."""
    made: dict[tuple[tuple[str, str, str], str | None], Report] = {}

    def get(what: tuple[str, str, str], lang: str | None = None) -> Report:
        if (what, lang) not in made:
            template, programme, period = what
            made[what, lang] = build_report(
                oracle_store,
                report_templates.get(template),
                programme,
                parse_periods(period)[0],
                lang=lang,
            )
        return made[what, lang]

    return get


@pytest.fixture(scope="module")
def annual(reports: Callable[..., Report]) -> Report:
    return reports(ANNUAL)


@pytest.fixture(scope="module")
def eu(reports: Callable[..., Report]) -> Report:
    return reports(EU)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("files")


@pytest.fixture(scope="module")
def annual_docx(annual: Report, out: Path):
    path = write_docx(annual, out / "annual.docx")
    assert path == out / "annual.docx"
    return Document(str(path))


@pytest.fixture(scope="module")
def annual_pdf(annual: Report, out: Path) -> PdfReader:
    path = write_pdf(annual, out / "annual.pdf")
    assert path.read_bytes().startswith(b"%PDF-")
    return PdfReader(str(path))


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def docx_text(doc) -> str:
    """Every paragraph of the body, of its tables and of the header/footer."""
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    for sec in doc.sections:
        parts.extend(p.text for p in sec.footer.paragraphs)
        parts.extend(p.text for p in sec.header.paragraphs)
    return "\n".join(parts)


def pdf_text(reader: PdfReader) -> str:
    return norm(" ".join(page.extract_text() or "" for page in reader.pages))


def table_texts(table) -> list[list[str]]:
    """The cells as a reader sees them: a soft hyphen is where a line may break, not a letter."""
    return [[c.text.replace("\u00ad", "") for c in row.cells] for row in table.rows]


def report_texts(table) -> list[list[str]]:
    return [list(table.header), *[[c.text for c in row] for row in table.rows]]


# -- the fixture holds what the checks need ---------------------------------------------------
def test_the_report_has_hidden_cells_charts_and_a_narrative(annual: Report) -> None:
    states = [c.state for row in annual.summary.rows for c in row]
    assert "hidden" in states and "ok" in states
    assert len(annual.charts) == 8 and all(c.points() for c in annual.charts)
    left_out = " ".join(n for s in annual.sections for n in s.chart_notes)
    assert left_out.count("(") >= 16 and "hidden to protect small numbers" in left_out
    assert annual.narrative and annual.draft_notice


# -- Word -------------------------------------------------------------------------------------
def test_docx_cover_names_programme_funder_and_period(annual: Report, annual_docx) -> None:
    cover = []
    for p in annual_docx.paragraphs:
        cover.append(p.text)
        if p.style.name.startswith("Heading 1"):
            break
    text = "\n".join(cover)
    for expected in (
        annual.title,
        annual.funder,
        annual.programme,
        annual.programme_id,
        annual.organisation,
        annual.period.label,
        "1 April 2024",
        "31 March 2025",
        "30 June 2025",
    ):
        assert expected in text, expected
    assert annual_docx.core_properties.author == annual.organisation


def test_docx_summary_table_is_the_reports_summary(annual: Report, annual_docx) -> None:
    assert table_texts(annual_docx.tables[0]) == report_texts(annual.summary)


def test_docx_hidden_cells_say_hidden_in_grey_italics(annual: Report, annual_docx) -> None:
    grid = annual_docx.tables[0]
    hidden = 0
    for r, row in enumerate(annual.summary.rows, start=1):
        for c, cell in enumerate(row):
            if cell.state != "hidden":
                continue
            hidden += 1
            out = grid.rows[r].cells[c]
            assert out.text == "hidden"
            run = out.paragraphs[0].runs[0]
            assert run.italic and run.font.color.rgb is not None
    assert hidden > 0


def test_docx_numbers_are_right_aligned(annual: Report, annual_docx) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    row = annual_docx.tables[0].rows[1].cells
    assert row[2].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert row[0].paragraphs[0].alignment != WD_ALIGN_PARAGRAPH.RIGHT


def test_docx_every_section_table_and_chart(annual: Report, annual_docx) -> None:
    tables = [report_texts(t) for s in annual.sections for t in s.tables]
    written = [table_texts(t) for t in annual_docx.tables]
    for t in tables:
        assert t in written
    assert len(annual_docx.inline_shapes) == len(annual.charts)
    headings = [p.text for p in annual_docx.paragraphs if p.style.name == "Heading 1"]
    assert [s.heading for s in annual.sections] == [
        h for h in headings if h in {s.heading for s in annual.sections}
    ]


def test_docx_narrative_with_draft_notice(annual: Report, annual_docx) -> None:
    paragraphs = [p.text for p in annual_docx.paragraphs]
    at = paragraphs.index(annual.template.wording.narrative_heading)
    assert paragraphs[at + 1] == f"DRAFT — {annual.draft_notice}"
    assert paragraphs[at + 2 : at + 2 + len(annual.narrative)] == annual.narrative
    for s in annual.sections:
        for sentence in s.narrative:
            assert sentence in paragraphs


def test_docx_annexes(annual: Report, annual_docx) -> None:
    headings = [p.text for p in annual_docx.paragraphs if p.style.name == "Heading 1"]
    for annex in annual.template.annexes:
        assert annex_heading(annual, annex) in headings
    written = [table_texts(t) for t in annual_docx.tables]
    assert report_texts(annual.definitions) in written
    assert [[k, v] for k, v in annual.provenance] in written
    text = docx_text(annual_docx)
    for line in [*annual.method, *annual.data_quality_notes]:
        assert line in text


def _table_by_objects(doc, table) -> None:
    """A report table written with python-docx's objects, cell by cell: the oracle of the
    one-piece XML that ``write_docx`` writes (``docx.table_xml``)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    from evaluation.reports.docx import (
        GREY,
        HEADER_FILL,
        TABLE_PT,
        column_widths,
        hyphenated,
        is_numeric,
        numeric_column,
        set_widths,
        shade,
    )

    grid = doc.add_table(rows=1 + len(table.rows), cols=len(table.header))
    grid.style = doc.styles["Table Grid"]
    widths = column_widths(table)
    set_widths(grid, widths)
    head = grid.rows[0]
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    head._tr.get_or_add_trPr().append(flag)
    for n, (cell, text) in enumerate(zip(head.cells, table.header, strict=True)):
        shade(cell._tc.get_or_add_tcPr(), HEADER_FILL)
        para = cell.paragraphs[0]
        run = para.add_run(text)
        run.bold = True
        run.font.size = Pt(TABLE_PT)
        if numeric_column(table, n):
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for line, row in zip(grid.rows[1:], table.rows, strict=True):
        for cell, value, width in zip(line.cells, row, widths, strict=True):
            para = cell.paragraphs[0]
            run = para.add_run(hyphenated(value.text, width))
            run.font.size = Pt(TABLE_PT)
            if is_numeric(value):
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if value.state in ("hidden", "no_data"):
                run.italic = True
                run.font.color.rgb = RGBColor(*GREY)


@pytest.mark.parametrize("lang", ["en", "de"])
def test_docx_tables_are_the_xml_python_docx_objects_write(
    reports: Callable[..., Report], lang: str
) -> None:
    """Every table of the report, and one of awkward texts (markup characters, a tab, a line
    break, spaces at the ends, a word too long for its column, an empty cell), is the same
    XML, element for element, as python-docx's objects write cell by cell."""
    from docx.oxml.ns import qn
    from lxml import etree

    from evaluation.reports.docx import column_widths, table_xml
    from evaluation.reports.model import Cell, Table
    from evaluation.vocabulary.language import using

    report = reports(ANNUAL, lang)
    awkward = Table(
        "awkward",
        ("Name <&>", "Wert", "Ausstiegsbegleitungsfallzahlen"),
        (
            (Cell("a\tb\nc & <d>", "text"), Cell(None, "number", "no_data"), Cell(3.0, "number")),
            (Cell(" both ends ", "text"), Cell(4.0, "number", "hidden"), Cell("", "text")),
            (
                Cell("Ausstiegsbegleitungsfallzahlenberechnungsgrundlage " * 3, "text"),
                Cell(5.0, "number"),
                Cell("x", "text"),
            ),
        ),
    )
    tables = [report.summary, *[t for s in report.sections for t in s.tables], awkward]
    tables += [report.definitions, *report.data_quality]
    with using(report.lang):
        for table in tables:
            oracle = Document()
            _table_by_objects(oracle, table)
            want = etree.fromstring(etree.tostring(oracle.element.body.find(qn("w:tbl"))))
            ours = Document()
            style = ours.styles["Table Grid"].style_id
            got = etree.fromstring(table_xml(table, column_widths(table), style))
            assert shape(got) == shape(want), table.title


def shape(element) -> tuple:
    """A (plain lxml) element as its name, attributes, text and children, whatever namespaces
    are declared around it."""
    return (
        element.tag,
        sorted(element.attrib.items()),
        element.text or "",
        [shape(child) for child in element],
    )


def test_docx_page_is_a4_with_a_page_number_footer(annual: Report, annual_docx) -> None:
    sec = annual_docx.sections[0]
    assert abs(sec.page_width.mm - 210) < 1 and abs(sec.page_height.mm - 297) < 1
    footer = sec.footer.paragraphs[0]
    assert annual.period.label in footer.text
    assert "PAGE" in footer._p.xml


# -- PDF --------------------------------------------------------------------------------------
def test_pdf_cover_and_metadata(annual: Report, annual_pdf: PdfReader) -> None:
    cover = norm(annual_pdf.pages[0].extract_text())
    for expected in (
        annual.title,
        annual.funder,
        annual.programme,
        annual.period.label,
        "1 April 2024",
        annual.organisation,
    ):
        assert norm(expected) in cover, expected
    meta = annual_pdf.metadata
    assert meta.author == annual.organisation
    assert meta.creator == "exit-evaluation"
    assert annual.programme in meta.title


def test_pdf_every_summary_cell_and_hidden(annual: Report, annual_pdf: PdfReader) -> None:
    page = norm(annual_pdf.pages[1].extract_text())
    assert page.startswith(annual.summary.title)
    for row in annual.summary.rows:
        for cell in row:
            assert norm(cell.text) in page, cell.text
    # each row, in order: a hidden figure is printed as "hidden"
    pos = 0
    for row in annual.summary.rows:
        for cell in row[2:]:
            found = page.find(norm(cell.text), pos)
            assert found >= 0, (row[0].text, cell.text)
            pos = found + len(norm(cell.text))
    assert page.count("hidden") >= sum(c.state == "hidden" for r in annual.summary.rows for c in r)


def test_pdf_narrative_sections_charts_annexes(annual: Report, annual_pdf: PdfReader) -> None:
    text = pdf_text(annual_pdf)
    assert norm(f"DRAFT — {annual.draft_notice}") in text
    for sentence in annual.narrative:
        assert norm(sentence) in text
    for s in annual.sections:
        assert s.heading in text
        for sentence in s.narrative:
            assert norm(sentence) in text
    for annex in annual.template.annexes:
        assert annex_heading(annual, annex) in text
    images = sum(len(page.images) for page in annual_pdf.pages)
    assert images == len(annual.charts)
    assert (
        f"{annual.programme} – {annual.period.label} – page 2 of {len(annual_pdf.pages)}"
        in norm(annual_pdf.pages[1].extract_text())
    )
    outline = [item.title for item in annual_pdf.outline if not isinstance(item, list)]
    assert annual.template.wording.summary_heading in outline


@pytest.mark.slow
def test_pdf_table_header_repeats_on_the_next_page(annual: Report, annual_pdf: PdfReader) -> None:
    head = " ".join(annual.definitions.header)
    pages = [norm(p.extract_text()) for p in annual_pdf.pages]
    assert sum(head in p for p in pages) >= 2


@pytest.mark.slow
def test_pdf_writes_unicode(annual: Report, out: Path) -> None:
    original = annual.programme
    annual.programme = "Ausstieg – Köln € … “Weg”"
    try:
        path = write_pdf(annual, out / "unicode.pdf")
    finally:
        annual.programme = original
    cover = norm(PdfReader(str(path)).pages[0].extract_text())
    assert "Ausstieg – Köln € … “Weg”" in cover


@pytest.mark.slow
def test_pdf_is_fast_once_charts_are_drawn(annual: Report, out: Path) -> None:
    for chart in annual.charts:
        annual.chart_png(chart)
    start = time.perf_counter()
    write_pdf(annual, out / "timed.pdf")
    # well under a second on a quiet machine; generous here for loaded CI runners
    assert time.perf_counter() - start < 5


@pytest.mark.slow
def test_a_report_without_cases_writes(oracle_store: Store, report_templates, out: Path) -> None:
    report = build_report(
        oracle_store,
        report_templates.get("municipality-quarterly"),
        "P-D",
        parse_periods("2025-Q1")[0],
    )
    doc = Document(str(write_docx(report, out / "pd.docx")))
    assert report.programme in docx_text(doc)
    assert len(doc.inline_shapes) == len(report.charts)
    reader = PdfReader(str(write_pdf(report, out / "pd.pdf")))
    assert report.programme in pdf_text(reader)
    assert sum(len(p.images) for p in reader.pages) == len(report.charts)


# -- the cover, in every language --------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "de"])
def test_pdf_cover_labels_never_run_into_their_values(
    reports: Callable[..., Report], out: Path, lang: str
) -> None:
    """The cover's label column fits its longest label in the report's language: the German
    "Zuwendungsgeber:" and "Empfängerkreis:" once ran into their values."""
    from fpdf import FPDF

    from evaluation.reports.docx import cover_fields
    from evaluation.reports.pdf import FONT, font_files
    from evaluation.vocabulary.language import using

    report = reports(ANNUAL, lang)
    reader = PdfReader(str(write_pdf(report, out / f"cover-{lang}.pdf")))
    runs: list[tuple[float, float, str]] = []

    def visit(text, _cm, tm, _font, _size) -> None:
        if text.strip():
            runs.append((float(tm[4]), float(tm[5]), text.strip()))

    reader.pages[0].extract_text(visitor_text=visit)
    measure = FPDF(unit="pt")
    measure.add_font(FONT, "B", str(font_files()["B"]))
    measure.set_font(FONT, "B", 10)
    with using(lang):
        labels = [f"{label}:" for label, _text in cover_fields(report)]
    assert lang == "en" or "Zuwendungsgeber:" in labels  # the longest, in German
    for label in labels:
        x, y, _text = next(r for r in runs if r[2] == label)
        values = [vx for vx, vy, _t in runs if abs(vy - y) < 0.5 and vx > x]
        assert values, label
        assert min(values) - x >= measure.get_string_width(label) + 1, (label, min(values) - x)


def test_pdf_cover_label_column_is_measured_not_fixed() -> None:
    from fpdf import FPDF

    from evaluation.reports.pdf import FONT, cover_label_width, font_files

    pdf = FPDF(unit="mm")
    pdf.add_font(FONT, "B", str(font_files()["B"]))
    short = cover_label_width(pdf, ["Funder", "Period"])
    long = cover_label_width(pdf, ["Zuwendungsgeber", "Empfängerkreis"])
    pdf.set_font(FONT, "B", 10)
    assert long > pdf.get_string_width("Zuwendungsgeber:") > short
    assert cover_label_width(pdf, ["x" * 200]) <= pdf.epw / 3


def _font_document(texts: list[str], add: Callable[..., None]) -> bytes:
    """A small PDF of ``texts`` in the three report styles, its fonts given by ``add``."""
    import datetime as dt

    from fpdf import FPDF

    from evaluation.reports.pdf import FONT, STYLES

    pdf = FPDF()
    for style in STYLES:
        add(pdf, style)
    pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    pdf.add_page()
    for i, text in enumerate(texts):
        pdf.set_font(FONT, STYLES[i % len(STYLES)], 8 + 3 * (i % 4))
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 6, f"{pdf.get_string_width(text):.3f}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_pdf_fonts_parsed_once_write_what_fpdf_add_font_writes() -> None:
    """Every PDF of a process takes its fonts from one parse of them (``add_parsed_font``); a
    document written after others, which used other characters, sizes and glyphs the font
    lacks, is byte for byte the document fpdf2's own ``add_font`` writes."""
    from evaluation.reports.pdf import FONT, add_parsed_font, font_files

    def by_fpdf(pdf, style: str) -> None:
        files = font_files()
        pdf.add_font(FONT, style, str(files.get(style) or files[""]))

    texts = [
        "Zuwendungsgeber – Empfängerkreis: 1 234,5 € … ÄÖÜß",
        "Ausstiegsbegleitung (Fälle)",
        "Ω ≥ 5 · “quoted” ‘single’ — ½ ¾",
        "Missing glyphs: 漢字 and 🙂, then plain text again",
    ]
    others = ["Ŧħé ŏťĥěř đōčŭɱēñŧ: " + chr(0x0400 + i) * 3 for i in range(40)]
    _font_document(others, add_parsed_font)  # the process's fonts used before
    expected = _font_document(texts, by_fpdf)
    assert _font_document(texts, add_parsed_font) == expected
    _font_document(others[::-1], add_parsed_font)
    assert _font_document(texts, add_parsed_font) == expected
    assert _font_document(others, add_parsed_font) == _font_document(others, by_fpdf)


def test_pdf_tables_break_words_at_syllables_never_within_one(
    reports: Callable[..., Report], out: Path
) -> None:
    """A German definitions table (seven columns of compounds): every line of every cell is a
    whole word or a piece ending at a hyphenation point, and no header word is broken."""
    from evaluation.reports import pdf as pdf_module
    from evaluation.vocabulary.hyphens import hyphenator

    report = reports(ANNUAL, "de")
    lines: list[tuple[str, list[str]]] = []
    wrap = pdf_module._Writer.wrap

    def spy(self, cell, width, **kwargs):
        got = wrap(self, cell, width, **kwargs)
        lines.append((cell.text, got))
        return got

    pdf_module._Writer.wrap = spy  # type: ignore[method-assign]
    try:
        write_pdf(report, out / "syllables.pdf")
    finally:
        pdf_module._Writer.wrap = wrap  # type: ignore[method-assign]
    dictionary = hyphenator("de")
    headers = {h for t in [report.summary, report.definitions] for h in t.header}
    assert lines
    broken = 0
    for text, got in lines:
        tokens = [
            (tok, k == len(line.split()) - 1) for line in got for k, tok in enumerate(line.split())
        ]
        at = 0
        for word in text.split():
            done = 0  # how much of the word the lines have given
            while True:
                tok, line_end = tokens[at]
                at += 1
                if tok == word[done:]:
                    break
                # a break within a word: at the line's end, with a hyphen, at a syllable
                assert text not in headers, (text, got)  # a header is never broken
                assert line_end and tok.endswith("-"), (word, tok, got)
                assert word[done:].startswith(tok[:-1]), (word, tok, got)
                done += len(tok) - 1
                assert done in dictionary.positions(word), (word, tok, got)
                broken += 1
        assert at == len(tokens), (text, got)
    assert broken  # the German compounds of the definitions do need it


# -- a funder's Word template (docxtpl) -------------------------------------------------------
@pytest.fixture(scope="module")
def eu_docx(eu: Report, out: Path):
    assert eu.template.docx_template == "eu-interim.docx"
    return Document(str(write_docx(eu, out / "eu.docx")))


@pytest.mark.slow
def test_docx_template_is_filled_without_leftover_tags(eu: Report, eu_docx) -> None:
    text = docx_text(eu_docx)
    assert "{{" not in text and "{%" not in text and "%}" not in text
    for expected in (
        eu.programme,
        eu.funder,
        eu.organisation,
        eu.period.label,
        f"DRAFT — {eu.draft_notice}",
        *eu.narrative,
    ):
        assert expected in text, expected
    assert "Interim technical report" in text
    assert len(eu_docx.inline_shapes) == len(eu.charts)
    written = [table_texts(t) for t in eu_docx.tables]
    assert report_texts(eu.summary) in written
    for s in eu.sections:
        assert s.heading in text
        for t in s.tables:
            assert report_texts(t) in written
    assert report_texts(eu.definitions) in written
    for k, v in eu.provenance:
        assert f"{k}: {v}" in text


@pytest.mark.slow
def test_docx_template_in_german_is_german_throughout(
    reports: Callable[..., Report], out: Path
) -> None:
    """The funder's own layout has words of its own (cover labels, "Results", "Annex", the
    footer's "page"): a German report says them in German, through the reports catalogue."""
    from evaluation.reports.docx import LAYOUT_WORDS
    from evaluation.vocabulary.language import _, using

    report = reports(EU, "de")
    doc = Document(str(write_docx(report, out / "eu-de.docx")))
    text = docx_text(doc).replace("\u00ad", "")
    for word in [*LAYOUT_WORDS.values(), "Interim technical report", "DRAFT"]:
        assert not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text), word
    with using("de"):
        for word in LAYOUT_WORDS.values():
            assert _(word) != word and _(word) in text, word
    assert report.title in text and report.title != "Interim technical report"
    assert doc.core_properties.title.startswith(report.title)


@pytest.mark.slow
def test_docx_template_hidden_cells_say_hidden(eu: Report, eu_docx) -> None:
    written = next(t for t in eu_docx.tables if table_texts(t) == report_texts(eu.summary))
    for r, row in enumerate(eu.summary.rows, start=1):
        for c, cell in enumerate(row):
            if cell.state == "hidden":
                assert written.rows[r].cells[c].text == "hidden"


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "<w:p>Evil</w:p> & Co",
        "{{ 7*7 }} {% if true %}x{% endif %}",
        "</w:t></w:r><w:r><w:t>injected",
    ],
)
def test_docx_template_writes_data_literally(eu: Report, out: Path, name: str) -> None:
    from docxtpl import DocxTemplate

    original = eu.programme
    eu.programme = name
    try:
        tpl = DocxTemplate(str(eu.template.resolve(eu.template.docx_template)))
        context = docx_context(eu, tpl)
        assert context["programme"] == name
        path = write_docx(eu, out / "evil.docx")
    finally:
        eu.programme = original
    doc = Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    assert name in paragraphs
    text = docx_text(doc)
    # the cover's programme paragraph holds exactly the name: not evaluated, not XML
    assert "{{ programme }}" not in text
    assert "injected" not in text.replace(name, "")
    assert "Evil" not in text.replace(name, "")
