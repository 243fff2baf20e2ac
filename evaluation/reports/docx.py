"""A report as an editable Word document: the format funders' officers copy from and annotate.

``write_docx`` lays out a ``Report`` (see ``model``) with python-docx: a cover, the summary
table, the drafted narrative (marked as a draft to be checked), the sections with their tables
and charts, and the annexes the template lists. Headings use Word's own styles (Heading 1/2), so
the navigation pane and a table of contents work, and the text stays editable: the point of the
Word format is that the organisation finishes the report in it.

A funder that prescribes its own Word layout gets it filled instead: when the template names a
``docx_template``, ``write_docx`` renders that file with docxtpl, with the context
``docx_context`` builds (every name is listed in ``scripts/make_docx_template.py``). Jinja's
autoescape is on, so a programme name such as ``<w:p>`` or ``{{ 7*7 }}`` is written as text,
never as XML and never evaluated.

Nothing here computes or formats a figure: every text comes from the ``Report``'s cells, so the
Word file says what the XLSX, HTML and PDF files say. python-docx and docxtpl are imported
inside the functions, so importing ``evaluation.reports`` stays cheap.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from evaluation.reports.model import Cell, Report, ReportError, Table

GREY = (0x77, 0x77, 0x77)
HEADER_FILL = "D9E2F3"
DRAFT_FILL = "FFF2CC"
CHART_WIDTH_CM = 15.0
_INTERVAL = re.compile(r"[\d.,]+–[\d.,]+ ?%?")


def is_numeric(cell: Cell) -> bool:
    """Whether a cell sits right-aligned: a figure, a placeholder of a figure or an interval."""
    if cell.fmt != "text" or cell.value is None:
        return True
    return isinstance(cell.value, str) and _INTERVAL.fullmatch(cell.value) is not None


def numeric_column(table: Table, n: int) -> bool:
    """Whether column ``n`` holds figures only (its header then sits right-aligned too)."""
    return bool(table.rows) and all(is_numeric(row[n]) for row in table.rows)


def period_text(report: Report) -> str:
    """``FY2024-04 (1 April 2024 to 31 March 2025)``."""
    p = report.period
    return f"{p.label} ({_day(p.start)} to {_day(p.end)})"


def _day(d: Any) -> str:
    return f"{d.day} {d.strftime('%B')} {d.year}"


def audience_line(report: Report) -> str:
    if report.audience == "shared":
        return (
            "For sharing with the funder: numbers so small that they could point to "
            "individuals are hidden (marked “hidden”)."
        )
    return "Internal report: figures are not suppressed. Do not share it outside the organisation."


def cover_fields(report: Report) -> list[tuple[str, str]]:
    """The cover's lines after the title, as label and text (shared by Word and PDF)."""
    return [
        ("Funder", report.funder),
        ("Programme", f"{report.programme} ({report.programme_id})"),
        ("Organisation", report.organisation),
        ("Period", period_text(report)),
        ("Data as of", report.data_as_of.isoformat() if report.data_as_of else "not known"),
        ("Generated at", report.generated_at.isoformat(sep=" ").replace("+00:00", " UTC")),
        ("Audience", audience_line(report)),
        *([("Release", report.release)] if report.release else []),
    ]


def annex_heading(report: Report, annex: str) -> str:
    w = report.template.wording
    return {
        "definitions": w.definitions_heading,
        "data_quality": w.data_quality_heading,
        "method": w.method_heading,
        "provenance": w.provenance_heading,
        "data": w.data_heading,
    }[annex]


DATA_SENTENCE = (
    "The tidy data behind every figure of this report (one row per indicator, "
    "period and split) is in the XLSX workbook and the CSV file of the report "
    "pack."
)


# --------------------------------------------------------------------------------------------
# Writing


def write_docx(report: Report, path: Path) -> Path:
    """Write the report as a Word document at ``path`` and return the path.

    With a template that names a ``docx_template`` the funder's Word file is filled instead of
    the platform's own layout.
    """
    path = Path(path)
    if report.template.docx_template:
        return _fill_template(report, path)
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(20)
    sec.top_margin = sec.bottom_margin = Mm(20)
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    doc.styles["Table Grid"].font.size = Pt(9)
    props = doc.core_properties
    props.title = f"{report.title} – {report.programme} – {report.period.label}"
    props.author = report.organisation
    props.subject = report.funder
    props.comments = "Generated by exit-evaluation"
    _footer(doc, f"{report.programme} – {report.period.label}")

    _cover(doc, report)
    w = report.template.wording
    doc.add_heading(w.summary_heading, level=1)
    _table(doc, report.summary, title=False)
    doc.add_heading(w.narrative_heading, level=1)
    _draft_notice(doc, report.draft_notice)
    for text in report.narrative:
        doc.add_paragraph(text)
    for section in report.sections:
        doc.add_heading(section.heading, level=1)
        if section.intro:
            doc.add_paragraph(section.intro)
        for text in section.narrative:
            doc.add_paragraph(text)
        for table in section.tables:
            _table(doc, table, title=True)
        for chart in section.charts:
            doc.add_picture(io.BytesIO(report.chart_png(chart)), width=Mm(CHART_WIDTH_CM * 10))
    for annex in report.template.annexes:
        doc.add_heading(annex_heading(report, annex), level=1)
        if annex == "definitions":
            _table(doc, report.definitions, title=False)
        elif annex == "data_quality":
            for table in report.data_quality:
                _table(doc, table, title=True)
            for note in report.data_quality_notes:
                doc.add_paragraph(note, style="List Bullet")
        elif annex == "method":
            for text in report.method:
                doc.add_paragraph(text)
        elif annex == "provenance":
            _pairs(doc, report.provenance)
        elif annex == "data":
            doc.add_paragraph(DATA_SENTENCE)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def _cover(doc: Any, report: Report) -> None:
    from docx.enum.text import WD_BREAK
    from docx.shared import Mm, Pt

    logo = report.logo
    if logo is not None:
        doc.add_picture(str(logo), height=Mm(20))
    doc.add_heading(report.title, level=0)
    p = doc.add_paragraph()
    run = p.add_run(report.funder)
    run.font.size = Pt(14)
    p = doc.add_paragraph()
    run = p.add_run(f"{report.programme} — {report.period.label}")
    run.bold = True
    run.font.size = Pt(16)
    for label, text in cover_fields(report):
        p = doc.add_paragraph()
        p.add_run(f"{label}: ").bold = True
        p.add_run(text)
    doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)


def _footer(doc: Any, text: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run(f"{text} – page ").font.size = Pt(8)
    run = p.add_run()
    run.font.size = Pt(8)
    add_page_number(run)


def add_page_number(run: Any) -> None:
    """Word's PAGE field in ``run`` (the page number, kept current by Word)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind, instr in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = instr
        run._r.append(el)


def shade(properties: Any, fill: str) -> None:
    """Fill a paragraph or table cell: ``properties`` is its ``pPr`` or ``tcPr`` element."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    properties.append(shd)


def _draft_notice(doc: Any, notice: str) -> None:
    p = doc.add_paragraph()
    shade(p._p.get_or_add_pPr(), DRAFT_FILL)
    p.add_run("DRAFT — ").bold = True
    p.add_run(notice).italic = True


def _table(doc: Any, table: Table, *, title: bool) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    if title:
        doc.add_paragraph().add_run(table.title).bold = True
    grid = doc.add_table(rows=1 + len(table.rows), cols=len(table.header))
    grid.style = doc.styles["Table Grid"]
    rows = grid.rows
    head = rows[0]
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    head._tr.get_or_add_trPr().append(flag)
    for n, (cell, text) in enumerate(zip(head.cells, table.header, strict=True)):
        shade(cell._tc.get_or_add_tcPr(), HEADER_FILL)
        para = cell.paragraphs[0]
        para.add_run(text).bold = True
        if numeric_column(table, n):
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    grey = RGBColor(*GREY)
    for line, row in zip(rows[1:], table.rows, strict=True):
        for cell, value in zip(line.cells, row, strict=True):
            para = cell.paragraphs[0]
            run = para.add_run(value.text)
            if is_numeric(value):
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if value.state in ("hidden", "no_data"):
                run.italic = True
                run.font.color.rgb = grey
    if not table.rows:
        doc.add_paragraph("No rows.").runs[0].italic = True
    if table.note:
        p = doc.add_paragraph()
        run = p.add_run(table.note)
        run.italic = True
        run.font.size = Pt(8.5)
    else:
        doc.add_paragraph()


def _pairs(doc: Any, pairs: list[tuple[str, str]]) -> None:
    grid = doc.add_table(rows=len(pairs), cols=2)
    grid.style = doc.styles["Table Grid"]
    for line, (key, value) in zip(grid.rows, pairs, strict=True):
        a, b = line.cells
        a.paragraphs[0].add_run(key).bold = True
        b.paragraphs[0].add_run(value)


# --------------------------------------------------------------------------------------------
# A funder's own Word template (docxtpl)


def _table_context(table: Table) -> dict[str, Any]:
    return {
        "title": table.title,
        "header": list(table.header),
        "rows": [[c.text for c in row] for row in table.rows],
        "note": table.note,
    }


def docx_context(report: Report, doc: Any) -> dict[str, Any]:
    """The names a Word template (docxtpl) can use; ``doc`` is the ``DocxTemplate`` (for the
    charts' ``InlineImage``). Every value is text, a list of texts, a table
    (``title``, ``header``, ``rows`` as lists of texts, ``note``) or an image."""
    from docx.shared import Mm
    from docxtpl import InlineImage

    w = report.template.wording
    logo = report.logo
    sections = [
        {
            "heading": s.heading,
            "intro": s.intro,
            "narrative": list(s.narrative),
            "tables": [_table_context(t) for t in s.tables],
            "charts": [
                InlineImage(doc, io.BytesIO(report.chart_png(c)), width=Mm(150)) for c in s.charts
            ],
            "chart_titles": [c.title for c in s.charts],
        }
        for s in report.sections
    ]
    return {
        "title": report.title,
        "funder": report.funder,
        "funder_short": report.template.funder.short_name or report.funder,
        "logo": InlineImage(doc, str(logo), height=Mm(20)) if logo else "",
        "programme": report.programme,
        "programme_id": report.programme_id,
        "organisation": report.organisation,
        "period": report.period.label,
        "period_start": report.period.start.isoformat(),
        "period_end": report.period.end.isoformat(),
        "period_text": period_text(report),
        "previous_period": report.previous_period.label,
        "data_as_of": report.data_as_of.isoformat() if report.data_as_of else "not known",
        "generated_at": report.generated_at.isoformat(sep=" ").replace("+00:00", " UTC"),
        "audience": report.audience,
        "audience_line": audience_line(report),
        "summary_heading": w.summary_heading,
        "summary": _table_context(report.summary),
        "narrative_heading": w.narrative_heading,
        "narrative": list(report.narrative),
        "draft_notice": report.draft_notice,
        "sections": sections,
        "annexes": list(report.template.annexes),
        "definitions_heading": w.definitions_heading,
        "definitions": _table_context(report.definitions),
        "data_quality_heading": w.data_quality_heading,
        "data_quality": [_table_context(t) for t in report.data_quality],
        "data_quality_notes": list(report.data_quality_notes),
        "method_heading": w.method_heading,
        "method": list(report.method),
        "provenance_heading": w.provenance_heading,
        "provenance": [{"key": k, "value": v} for k, v in report.provenance],
        "data_heading": w.data_heading,
        "data_sentence": DATA_SENTENCE,
    }


def _fill_template(report: Report, path: Path) -> Path:
    from docxtpl import DocxTemplate

    source = report.template.resolve(report.template.docx_template)
    if source is None or not source.is_file():
        raise ReportError(
            f"The Word template {report.template.docx_template} of the report "
            f"template {report.template.id} is missing."
        )
    doc = DocxTemplate(str(source))
    doc.render(docx_context(report, doc), autoescape=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
