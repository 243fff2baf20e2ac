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
Word file says what the XLSX, HTML and PDF files say, in the report's language (written within
``using(report.lang)``). Tables have fixed column widths measured from their texts
(``column_widths``): every column is at least as wide as its longest word, so Word never breaks
a word of a header ("Indicato/r"); the rest of the page width goes to the columns with the most
text. python-docx and docxtpl are imported inside the functions, so importing
``evaluation.reports`` stays cheap.
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from evaluation.reports.model import Cell, Report, ReportError, Table
from evaluation.reports.narrative import day_text, period_label
from evaluation.vocabulary import marks
from evaluation.vocabulary.hyphens import hyphenator
from evaluation.vocabulary.language import N_, _, current, using
from evaluation.vocabulary.numbers import MISSING

GREY = (0x77, 0x77, 0x77)
HEADER_FILL = "D9E2F3"
DRAFT_FILL = "FFF2CC"
CHART_WIDTH_CM = 15.0
TABLE_PT = 9.0
"""The size of a table's text (the ``Table Grid`` style)."""
TEXT_WIDTH_MM = 170.0
"""The width of an A4 page within its 20 mm margins."""
CELL_PAD_MM = 2 * 1.9 + 0.6
"""Word's default cell margins (1.9 mm each side) and a little room."""
MAX_COLUMN_MM = 70.0


def is_numeric(cell: Cell) -> bool:
    """Whether a cell sits right-aligned: a figure, an interval or a placeholder of a figure
    (never a text such as the age band ``18–24``)."""
    return cell.fmt != "text" or cell.value is None


@functools.cache
def _font(bold: bool) -> Any:
    from PIL import ImageFont

    from evaluation.reports.pdf import font_files

    files = font_files()
    return ImageFont.truetype(str(files.get("B" if bold else "") or files[""]), 100)


def text_width_mm(text: str, *, bold: bool = False, size: float = TABLE_PT) -> float:
    """How wide ``text`` is set in DejaVu Sans at ``size`` points, in mm: wider than Calibri
    (Word's default), so a column this wide holds the text in Word too."""
    return _length(text, bold) / 100 * size * 25.4 / 72


@functools.lru_cache(maxsize=2**16)
def _length(text: str, bold: bool) -> float:
    """``text``'s length at 100 points, measured once: a table measures each cell, its words
    and its longest words again when it hyphenates them (~50 µs a measurement). Text over
    several lines is as wide as its widest line (the font's layout refuses a line break)."""
    font = _font(bold)
    return max((float(font.getlength(line)) for line in text.splitlines()), default=0.0)


def pieces(text: str) -> list[str]:
    """The parts of ``text`` a line never breaks within: its words, a hyphenated word cut
    after each hyphen (Word breaks a line there: ``95-%-`` ``Intervall``)."""
    return re.findall(r"[^\s-]*-|[^\s-]+", text) or [""]


def column_widths(table: Table, total: float = TEXT_WIDTH_MM) -> list[float]:
    """The widths (mm) of ``table``'s columns, summing to ``total``: each at least the longest
    word of its header (in bold) and, when they all fit, of its cells; the rest shared like the
    PDF's columns (by the amount of text each holds)."""
    from evaluation.reports.pdf import cap_words, fit_columns

    n = len(table.header)
    head = [max(text_width_mm(w, bold=True) for w in pieces(h)) for h in table.header]
    head = [w + CELL_PAD_MM for w in head]
    figures = [numeric_column(table, k) for k in range(n)]
    body, desired, amount = list(head), [0.0] * n, [0.0] * n
    rows = [[(h, True) for h in table.header]]
    rows += [[(c.text, False) for c in row] for row in table.rows]
    for row in rows:
        for k, (text, bold) in enumerate(row):
            words = [w for w in pieces(text) if "_" not in w] or [""]  # a code may break
            longest = max(text_width_mm(w, bold=bold) for w in words) + CELL_PAD_MM
            width = text_width_mm(text, bold=bold) + CELL_PAD_MM
            if figures[k] and not bold:  # a figure is one piece ("61.656 EUR"), never broken
                longest = width
            body[k] = max(body[k], longest)
            if figures[k]:
                head[k] = max(head[k], longest)
            elif longest > head[k]:  # a word is hyphenated, never cut within a syllable
                parts = [p for w in words for p in syllables(w, current())]
                least = max(text_width_mm(p, bold=bold) for p in parts) + CELL_PAD_MM
                head[k] = max(head[k], least)
            desired[k] = max(desired[k], min(width, MAX_COLUMN_MM))
            amount[k] += width
    body = cap_words(head, body, total, amount)  # the longest are hyphenated, never a header's
    return fit_columns(body, desired, amount, total)


SOFT_HYPHEN = "\u00ad"


@functools.cache
def syllables(word: str, lang: str) -> tuple[str, ...]:
    """The parts a line may end after in ``word``, at ``lang``'s hyphenation points, each but
    the last with the hyphen then set (``Ausstiegs-``, ``fäl-``, ``len``)."""
    dictionary = hyphenator(lang)
    if dictionary is None or "_" in word:
        return (word,)
    parts = dictionary.inserted(word, hyphen=SOFT_HYPHEN).split(SOFT_HYPHEN)
    return (*(f"{p}-" for p in parts[:-1]), parts[-1])


def hyphenated(text: str, width_mm: float, *, bold: bool = False) -> str:
    """``text`` with soft hyphens in each word too long for a column ``width_mm`` wide, at the
    language's hyphenation points (Pyphen's LibreOffice dictionaries): where the page is too
    narrow for every longest word (German compounds in a six-column table), Word breaks
    "Ausstiegs-fällen" as a typesetter would, never "Indicato/r"."""
    room = width_mm - CELL_PAD_MM
    words = text.split(" ")
    if all(text_width_mm(w, bold=bold) <= room for w in words):
        return text
    dictionary = hyphenator(current())
    if dictionary is None:
        return text
    return " ".join(
        dictionary.inserted(w, hyphen=SOFT_HYPHEN)
        if "_" not in w and text_width_mm(w, bold=bold) > room
        else w
        for w in words
    )


def numeric_column(table: Table, n: int) -> bool:
    """Whether column ``n`` holds figures only (its header then sits right-aligned too)."""
    return bool(table.rows) and all(is_numeric(row[n]) for row in table.rows)


def period_text(report: Report) -> str:
    """``FY 2024/25 (1 April 2024 to 31 March 2025)`` in the language of the moment."""
    p = report.period
    return _(
        "{period} ({start} to {end})",
        period=period_label(p),
        start=day_text(p.start),
        end=day_text(p.end),
    )


def moment_text(report: Report) -> str:
    """When the report was made: ``15 January 2026, 09:30 UTC``."""
    at = report.generated_at
    return _("{date}, {time} UTC", date=day_text(at.date()), time=at.strftime("%H:%M"))


def audience_line(report: Report) -> str:
    if report.audience == "shared":
        return _(
            "For sharing with the funder: numbers so small that they could point to "
            "individuals are hidden (marked “hidden”)."
        )
    return _(
        "Internal report: figures are not suppressed. Do not share it outside the organisation."
    )


def cover_fields(report: Report) -> list[tuple[str, str]]:
    """The cover's lines after the title, as label and text (shared by every format)."""
    return [
        (_("Funder"), report.funder),
        (_("Programme"), f"{report.programme} ({report.programme_id})"),
        (_("Organisation"), report.organisation),
        (_("Period"), period_text(report)),
        (_("Data as of"), day_text(report.data_as_of)),
        (_("Generated at"), moment_text(report)),
        (_("Audience"), audience_line(report)),
        *([(_("Figures from"), report.release)] if report.release else []),
    ]


def annex_heading(report: Report, annex: str) -> str:
    w = report.template.wording
    headings = {
        "definitions": w.definitions_heading,
        "data_quality": w.data_quality_heading,
        "method": w.method_heading,
        "provenance": w.provenance_heading,
        "data": w.data_heading,
    }
    return _(headings[annex])


DATA_SENTENCE = N_(
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
    with using(report.lang):
        return _write_docx(report, Path(path))


def _write_docx(report: Report, path: Path) -> Path:
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
    props.title = f"{report.title} – {report.programme} – {report.period_label}"
    props.author = report.organisation
    props.subject = report.funder
    props.comments = _("Generated by exit-evaluation")
    _footer(doc, f"{report.programme} – {report.period_label}")

    _cover(doc, report)
    w = report.template.wording
    doc.add_heading(report.summary.title, level=1)
    _table(doc, report.summary, title=False)
    doc.add_heading(_(w.narrative_heading), level=1)
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
        for text in section.chart_notes:
            doc.add_paragraph(text).runs[0].italic = True
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
            doc.add_paragraph(_(DATA_SENTENCE))
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
    run = p.add_run(f"{report.programme} — {report.period_label}")
    run.bold = True
    run.font.size = Pt(16)
    for label, text in cover_fields(report):
        p = doc.add_paragraph()
        p.add_run(f"{label}: ").bold = True
        p.add_run(text)
    doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)


FOOTER_PT = 8
"""The size of the footer's text, its page number included."""


def _footer(doc: Any, text: str) -> None:
    """The footer line ``Programme – period – page 3``, all of it at ``FOOTER_PT``: the Footer
    style, the paragraph mark and every run of the page number field carry the size, so no
    reader draws the number in the body's larger type."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    size = Pt(FOOTER_PT)
    doc.styles["Footer"].font.size = size
    p = doc.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _mark_size(p, size)
    p.add_run(_("{text} – page ", text=text)).font.size = size
    add_page_number(p, size)


def _mark_size(paragraph: Any, size: Any) -> None:
    """The size of ``paragraph``'s mark (the pilcrow), which Word uses for an empty line."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        ppr.append(rpr)
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(size.pt * 2)))
    rpr.append(sz)


def add_page_number(paragraph: Any, size: Any) -> None:
    """Word's PAGE field at the end of ``paragraph`` (the page number, kept current by Word),
    as a whole field: begin, instruction, separator, a result (``1`` until Word updates it),
    end, each its own run of ``size`` (a reader that shows the result in a run without a size
    would show it in the paragraph style's size)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    parts = (("begin", None), (None, " PAGE "), ("separate", None), ("text", "1"), ("end", None))
    for kind, text in parts:
        run = paragraph.add_run()
        run.font.size = size
        if kind == "text":
            run.text = text
            continue
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
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
    p.add_run(_("DRAFT — ")).bold = True
    p.add_run(notice).italic = True


def _table(doc: Any, table: Table, *, title: bool) -> None:
    """A report table: written as one piece of WordprocessingML (``table_xml``) and parsed
    once, where python-docx's objects cost ~1 ms a cell (a third of the document's time)."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn
    from docx.shared import Pt

    if title:
        doc.add_paragraph().add_run(table.title).bold = True
    style = doc.styles["Table Grid"].style_id
    grid = parse_xml(table_xml(table, column_widths(table), style))
    body = doc.element.body
    end = body.find(qn("w:sectPr"))  # the section's settings stay the body's last child
    if end is None:
        body.append(grid)
    else:
        end.addprevious(grid)
    if not table.rows:
        doc.add_paragraph(_("No rows.")).runs[0].italic = True
    if table.note:
        p = doc.add_paragraph()
        run = p.add_run(table.note)
        run.italic = True
        run.font.size = Pt(8.5)
    else:
        doc.add_paragraph()


def table_xml(table: Table, widths: list[float], style: str) -> str:
    """``table`` as a ``w:tbl`` element, the very XML python-docx's objects write for it
    (a test compares them): the ``style`` (its id), fixed column ``widths`` (mm, as
    ``set_widths`` sets them), a shaded bold header row that repeats on every page, figures
    right-aligned, hidden and missing figures grey and italic, every run at ``TABLE_PT``,
    long words hyphenated (``hyphenated``)."""
    from docx.oxml.ns import nsdecls
    from docx.shared import Mm

    twips = [Mm(w).twips for w in widths]
    size = f'<w:sz w:val="{round(TABLE_PT * 2)}"/>'
    grey = "{:02X}{:02X}{:02X}".format(*GREY)
    right = '<w:pPr><w:jc w:val="right"/></w:pPr>'

    def cell(width: int, text: str, *, aligned: bool, props: str, shade: str = "") -> str:
        return (
            f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{shade}</w:tcPr>'
            f"<w:p>{right if aligned else ''}<w:r><w:rPr>{props}</w:rPr>{run_xml(text)}</w:r>"
            "</w:p></w:tc>"
        )

    head_shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{HEADER_FILL}"/>'
    parts = [
        f"<w:tbl {nsdecls('w')}><w:tblPr>"
        f'<w:tblStyle w:val={quoteattr(style)}/><w:tblW w:type="auto" w:w="0"/>'
        '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
        'w:noHBand="0" w:noVBand="1" w:val="04A0"/><w:tblLayout w:type="fixed"/></w:tblPr>'
        "<w:tblGrid>",
        *(f'<w:gridCol w:w="{w}"/>' for w in twips),
        '</w:tblGrid><w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>',
    ]
    for n, (text, width) in enumerate(zip(table.header, twips, strict=True)):
        parts.append(
            cell(
                width,
                text,
                aligned=numeric_column(table, n),
                props=f"<w:b/>{size}",
                shade=head_shade,
            )
        )
    parts.append("</w:tr>")
    for row in table.rows:
        parts.append("<w:tr>")
        for value, width, mm in zip(row, twips, widths, strict=True):
            gap = value.state in ("hidden", "no_data")
            props = f'<w:i/><w:color w:val="{grey}"/>{size}' if gap else size
            parts.append(
                cell(width, hyphenated(value.text, mm), aligned=is_numeric(value), props=props)
            )
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    return "".join(parts)


def run_xml(text: str) -> str:
    """A run's content for ``text``, as python-docx writes it: ``w:t`` pieces (spaces kept
    where they lead or trail), a tab as ``w:tab``, a line end as ``w:br``."""
    out = []
    for piece in re.split(r"([\t\r\n])", text):
        if piece == "\t":
            out.append("<w:tab/>")
        elif piece in ("\r", "\n"):
            out.append("<w:br/>")
        elif piece:
            keep = ' xml:space="preserve"' if piece.strip() != piece else ""
            out.append(f"<w:t{keep}>{escape(piece)}</w:t>")
    return "".join(out)


def fit_table(grid: Any, total: float) -> None:
    """Fit a filled Word table (a funder's layout, whose columns docxtpl repeated) to its
    texts like the platform's own tables: widths measured (``column_widths``), its first row
    taken as the header, long words hyphenated, so Word never breaks "Ausstiegsf/älle"."""
    texts = [[cell.text for cell in row.cells] for row in grid.rows]
    if not texts or not texts[0] or any(len(row) != len(texts[0]) for row in texts):
        return  # merged cells: left as the layout has them
    body = tuple(tuple(Cell(t, "number" if figure_like(t) else "text") for t in r) for r in texts)
    model = Table("", tuple(texts[0]), body[1:])
    widths = column_widths(model, total)
    set_widths(grid, widths)
    for row in grid.rows[1:]:
        for cell, width in zip(row.cells, widths, strict=True):
            for para in cell.paragraphs:
                for run in para.runs:
                    run.text = hyphenated(run.text, width, bold=bool(run.bold))


FIGURE = re.compile(r"[-+]?\d[\d.,\s]*(?:–\d[\d.,]*)?(?:\s?%|\s?[A-Za-z]{1,3}\.?)?")
"""A figure as a cell writes it: ``1.234``, ``-2,6``, ``48–83 %``, ``+5 pp``, ``12 EUR``."""


def figure_like(text: str) -> bool:
    """Whether a filled cell's text is a figure or stands for one (hidden, no data, –)."""
    text = text.strip()
    return text in (marks.hidden(), marks.no_data(), MISSING) or bool(FIGURE.fullmatch(text))


def set_widths(grid: Any, widths: list[float]) -> None:
    """Fix the columns of a Word table at ``widths`` (mm): the grid, every cell (Word reads
    the cells, LibreOffice the grid) and a fixed layout, so Word does not re-fit them."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    grid.autofit = False
    props = grid._tbl.tblPr
    for old in props.findall(qn("w:tblLayout")):
        props.remove(old)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    props.append(layout)
    cols = grid._tbl.tblGrid
    while len(cols.gridCol_lst) < len(widths):  # docxtpl repeats cells, not grid columns
        cols.add_gridCol()
    for extra in cols.gridCol_lst[len(widths) :]:
        cols.remove(extra)
    for col, width in zip(cols.gridCol_lst, widths, strict=True):
        col.w = Mm(width)
    for row in grid.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Mm(width)


def _pairs(doc: Any, pairs: list[tuple[str, str]]) -> None:
    from docx.shared import Pt

    grid = doc.add_table(rows=len(pairs), cols=2)
    grid.style = doc.styles["Table Grid"]
    wide = max(text_width_mm(w, bold=True) for k, _v in pairs for w in pieces(k)) + CELL_PAD_MM
    wide = min(max(wide, 30.0), TEXT_WIDTH_MM / 3)
    set_widths(grid, [wide, TEXT_WIDTH_MM - wide])
    for line, (key, value) in zip(grid.rows, pairs, strict=True):
        a, b = line.cells
        run = a.paragraphs[0].add_run(key)
        run.bold = True
        run.font.size = Pt(TABLE_PT)
        b.paragraphs[0].add_run(value).font.size = Pt(TABLE_PT)


# --------------------------------------------------------------------------------------------
# A funder's own Word template (docxtpl)


def _table_context(table: Table) -> dict[str, Any]:
    return {
        "title": table.title,
        "header": list(table.header),
        "rows": [[c.text for c in row] for row in table.rows],
        "note": table.note,
    }


LAYOUT_WORDS: dict[str, str] = {
    "project": N_("Project"),
    "beneficiary": N_("Beneficiary organisation"),
    "reporting_period": N_("Reporting period"),
    "data_as_of": N_("Data as of"),
    "generated": N_("Report generated"),
    "previous_period": N_("Previous period"),
    "audience": N_("Audience"),
    "results": N_("Results"),
    "annex": N_("Annex"),
    "page": N_("page"),
    "draft": N_("DRAFT"),
}
"""The fixed words of a funder's Word layout (its labels and headings), by name: a layout
writes ``{{ words.project }}``, never the English word, so it reads in the report's language."""


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
            "chart_notes": list(s.chart_notes),
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
        "period": report.period_label,
        "period_start": day_text(report.period.start),
        "period_end": day_text(report.period.end),
        "period_text": period_text(report),
        "previous_period": period_label(report.previous_period),
        "data_as_of": day_text(report.data_as_of),
        "generated_at": moment_text(report),
        "audience": report.audience,
        "audience_line": audience_line(report),
        "summary_heading": report.summary.title,
        "summary": _table_context(report.summary),
        "narrative_heading": _(w.narrative_heading),
        "narrative": list(report.narrative),
        "draft_notice": report.draft_notice,
        "sections": sections,
        "annexes": list(report.template.annexes),
        "definitions_heading": _(w.definitions_heading),
        "definitions": _table_context(report.definitions),
        "data_quality_heading": _(w.data_quality_heading),
        "data_quality": [_table_context(t) for t in report.data_quality],
        "data_quality_notes": list(report.data_quality_notes),
        "method_heading": _(w.method_heading),
        "method": list(report.method),
        "provenance_heading": _(w.provenance_heading),
        "provenance": [{"key": k, "value": v} for k, v in report.provenance],
        "data_heading": _(w.data_heading),
        "data_sentence": _(DATA_SENTENCE),
        "words": {name: _(text) for name, text in LAYOUT_WORDS.items()},
    }


def _fill_template(report: Report, path: Path) -> Path:
    from docxtpl import DocxTemplate

    source = report.template.resolve(report.template.docx_template)
    if source is None or not source.is_file():
        raise ReportError(
            _(
                "The Word template {file} of the report template {template} is missing.",
                file=report.template.docx_template,
                template=report.template.id,
            )
        )
    doc = DocxTemplate(str(source))
    doc.render(docx_context(report, doc), autoescape=True)
    filled = doc.docx
    section = filled.sections[0]
    room = (section.page_width - section.left_margin - section.right_margin) / 36000  # mm
    for grid in filled.tables:
        fit_table(grid, room)
    props = filled.core_properties
    props.title = f"{report.title} – {report.programme} – {report.period_label}"
    props.author = report.organisation
    props.subject = report.funder
    props.comments = _("Generated by exit-evaluation")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
