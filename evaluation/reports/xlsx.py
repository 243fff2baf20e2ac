"""A report as an Excel workbook (openpyxl): the format funders re-use numbers from.

Sheets: *Cover* (who, what period, the drafted narrative), *Summary*, one sheet per section
(its tables, then its charts as native Excel line and bar charts drawn from a chart-data block
on the same sheet, so a funder can restyle them), *Definitions*, *Data quality*, *Method*
(method and provenance) and *Data* (the tidy rows behind every figure, in words). Numbers are
stored as numbers with formats (``0 %``, ``#,##0 "EUR"``), never as text, in the one style of
``vocabulary.numbers`` (a whole number has no decimals, another one decimal; a rate is a whole
percent with a space before the sign); a rate's 95 % interval is two number cells, its low and
its high end, never a text beside the figure; a hidden figure is the word "hidden" in grey.
Every text is in the report's language (written within ``using(report.lang)``) and goes
through ``safe_cell`` (formula injection). Headers are frozen, every sheet prints landscape on
one page width with its header repeated.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import textwrap
from pathlib import Path

from evaluation.reports.charts import ChartSpec
from evaluation.reports.docx import numeric_column
from evaluation.reports.model import Cell, Report, Table, readable_data
from evaluation.views.spreadsheet import safe_cell
from evaluation.vocabulary import marks
from evaluation.vocabulary.language import N_, _, using
from evaluation.vocabulary.numbers import MISSING

NUMBER_FORMATS = {
    "percent": "0 %",
    "number": "#,##0",
    "eur": '#,##0 "EUR"',
    "days": "#,##0",
    "months": "#,##0",
    "points": '+0" pp";-0" pp";0" pp"',
    "change": "+#,##0;-#,##0;0",
}
"""The format of a whole number of each kind; ``number_format`` adds the decimals another
number needs (as ``vocabulary.numbers`` writes it: one, or up to two below 1)."""
DATE_FORMATS = {"en": "d mmm yyyy", "de": "dd.mm.yyyy"}
"""How a date cell reads in each language (another language: ISO)."""
LOW, HIGH = N_("{header}, low"), N_("{header}, high")
"""The headers of an interval's two columns."""


def number_format(fmt: str, value: float) -> str:
    """The Excel format of ``value`` shown as ``fmt``, in the style of ``vocabulary.numbers``."""
    base = NUMBER_FORMATS.get(fmt, "General")
    if fmt not in ("number", "days", "months", "change") or float(value).is_integer():
        return base
    decimals = "0.0#" if abs(value) < 1 else "0.0"
    return base.replace("#,##0", "#,##" + decimals)


HEAD_FILL = "1F4E79"
BAND_FILL = "EEF3F8"
GREY = "7F7F7F"
MAX_SHEET_TITLE = 31


LINE_PT = 15.0
"""The height of one line of text in a row (Calibri 11)."""
TEXT_CHARS = 1.15
"""Characters of text a column holds per unit of its width (the width of a digit)."""


def _width(ws, col: int) -> float:
    """A column's width in characters (Excel's default where none is set)."""
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(col)
    if letter in ws.column_dimensions and ws.column_dimensions[letter].width:
        return float(ws.column_dimensions[letter].width)
    return 8.43


def lines(text: str, chars: float) -> int:
    """How many lines ``text`` wraps to in a cell ``chars`` characters wide."""
    room = max(1, int(chars))
    return sum(
        len(textwrap.wrap(p, room, break_long_words=False)) or 1 for p in str(text).split("\n")
    )


def _fit_row(ws, row: int, count: int) -> None:
    """Make ``row`` tall enough for ``count`` lines (Excel and LibreOffice do not grow a row
    for wrapped text that a program wrote: the text would run over the next row)."""
    if count > 1:
        height = LINE_PT * count
        ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 0, height)


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="D9D9D9")
    return {
        "title": Font(size=16, bold=True, color=HEAD_FILL),
        "h2": Font(size=12, bold=True, color=HEAD_FILL),
        "head_font": Font(bold=True, color="FFFFFF"),
        "head_fill": PatternFill("solid", fgColor=HEAD_FILL),
        "band": PatternFill("solid", fgColor=BAND_FILL),
        "hidden": Font(italic=True, color=GREY),
        "note": Font(italic=True, size=9, color=GREY),
        "draft": Font(italic=True, color="9C5700"),
        "draft_fill": PatternFill("solid", fgColor="FFF2CC"),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "border": Border(bottom=thin),
    }


def _value(cell: Cell) -> object:
    """What goes into the Excel cell: a number with its format, or inert text."""
    number = cell.number
    if cell.state == "hidden":
        return marks.hidden()
    if number is not None and cell.fmt != "text":
        return number * 100 if cell.fmt == "points" else number
    return safe_cell(cell.text)


def _interval_columns(table: Table) -> list[bool]:
    """Which columns hold intervals (each written as two columns: low and high)."""
    return [any(row[n].fmt == "interval" for row in table.rows) for n in range(len(table.header))]


def _cells(cell: Cell, interval: bool) -> list[tuple[object, str | None, bool]]:
    """The Excel cells of one table cell: (value, number format or None, grey)."""
    if not interval:
        number = cell.number
        fmt = number_format(cell.fmt, number) if number is not None and cell.fmt != "text" else None
        return [(_value(cell), fmt, cell.state == "hidden")]
    if cell.state == "hidden":
        return [(marks.hidden(), None, True)] * 2
    bounds = cell.bounds
    if bounds is None:
        return [(safe_cell(cell.text), None, False)] * 2
    return [(b, NUMBER_FORMATS["percent"], False) for b in bounds]


def _write_table(ws, table: Table, row: int, st: dict, *, title: bool = True) -> int:
    """Write ``table`` from ``row``; returns the first free row after it (and a blank)."""
    if title:
        ws.cell(row=row, column=1, value=safe_cell(table.title)).font = st["h2"]
        row += 1
    intervals = _interval_columns(table)
    names: list[str] = []
    for name, interval in zip(table.header, intervals, strict=True):
        names += [_(LOW, header=name), _(HIGH, header=name)] if interval else [name]
    figures = [numeric_column(table, n) for n, iv in enumerate(intervals) for _k in range(1 + iv)]
    aligned = _alignments(figures)
    tall = 1
    for c, name in enumerate(names, start=1):
        cell = ws.cell(row=row, column=c, value=safe_cell(name))
        cell.font, cell.fill = st["head_font"], st["head_fill"]
        cell.alignment = aligned[c - 1]["head"]
        tall = max(tall, lines(name, _width(ws, c) * 0.95))  # bold
    _fit_row(ws, row, tall)
    for r, cells in enumerate(table.rows):
        row += 1
        written = [x for cell, iv in zip(cells, intervals, strict=True) for x in _cells(cell, iv)]
        tall = 1
        for c, (value, fmt, grey) in enumerate(written, start=1):
            out = ws.cell(row=row, column=c, value=value)
            if grey:
                out.font = st["hidden"]
                out.alignment = aligned[c - 1]["figure"]
            elif fmt is not None:
                out.number_format = fmt
                out.alignment = aligned[c - 1]["figure"]
            elif figures[c - 1]:  # "–", "no data" where a figure stands: right, as figures
                out.alignment = aligned[c - 1]["figure"]
                if value != MISSING:
                    out.font = st["hidden"]
            else:
                out.alignment = aligned[c - 1]["text"]
                tall = max(tall, lines(str(value), _width(ws, c) * TEXT_CHARS))
            if r % 2:
                out.fill = st["band"]
        _fit_row(ws, row, tall)
    if table.note:
        row += 1
        _note(ws, row, table.note, st, len(names))
    return row + 2


def _alignments(figures: list[bool]) -> list[dict[str, object]]:
    """How each written column of a table (``figures``: whether it holds figures) aligns its
    header (``head``), its figures (``figure``) and its texts (``text``): a column of figures
    is right-aligned, header and all, so the header stands over its numbers; any other column
    is left-aligned and wraps. A text column right of a column of figures is indented by one
    character, so a figure never touches the text beside it (a version ``1`` and the name
    ``New exit cases`` never read ``1New exit cases``)."""
    from openpyxl.styles import Alignment

    head = Alignment(wrap_text=True, vertical="top", horizontal="right")
    right = Alignment(vertical="top", horizontal="right")
    out = []
    for c, numeric in enumerate(figures):
        indent = 1 if c > 0 and figures[c - 1] and not numeric else 0
        text = Alignment(wrap_text=True, vertical="top", horizontal="left", indent=indent)
        out.append({"head": head if numeric else text, "figure": right, "text": text})
    return out


def _note(ws, row: int, text: str, st: dict, columns: int) -> None:
    """A table's note under it, wrapped over the table's width (one long line would make the
    printed page as wide as the note, and every figure on it tiny)."""
    cell = ws.cell(row=row, column=1, value=safe_cell(text))
    cell.font = st["note"]
    cell.alignment = st["wrap"]
    columns = max(columns, 2)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    chars = sum(_width(ws, c) for c in range(1, columns + 1)) * 1.15  # 9 pt
    count = lines(text, chars)
    ws.row_dimensions[row].height = 12 * count + 2


def _paragraphs(ws, row: int, texts: list[str], st: dict, *, columns: int, line: int) -> int:
    """Each text in the rows after ``row``, wrapped in a cell merged over ``columns`` and tall
    enough for lines of about ``line`` characters; returns the last row written."""
    for text in texts:
        row += 1
        cell = ws.cell(row=row, column=1, value=safe_cell(text))
        cell.alignment = st["wrap"]
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
        ws.row_dimensions[row].height = LINE_PT * lines(text, line)
    return row


def _widths(ws, widths: dict[int, float]) -> None:
    from openpyxl.utils import get_column_letter

    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


def _print_setup(ws, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.5
    if title_rows:
        ws.print_title_rows = title_rows


def _shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters: cut after a whole word and marked with "…",
    never in the middle of a word or with a trailing space ("Arbeit mit den Klientinnen und ")."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head.strip():
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;–—-") + "…"


def _sheet_title(text: str, taken: set[str]) -> str:
    clean = "".join(ch for ch in text if ch not in "[]:*?/\\").strip() or "Section"
    name = _shorten(clean, MAX_SHEET_TITLE)
    n = 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name = _shorten(clean, MAX_SHEET_TITLE - len(suffix)) + suffix
        n += 1
    taken.add(name.lower())
    return name


def _chart_block(ws, spec: ChartSpec, row: int, col: int) -> tuple[int, int]:
    """The chart's numbers in a block at (row, col): categories down the first column, one
    column per series (and the interval's low and high for a rate); returns (rows, columns)."""
    from openpyxl.styles import Alignment

    ws.cell(row=row, column=col, value=safe_cell(spec.title))
    headers = [_("Period")]
    columns: list[tuple[float | None, ...]] = []
    for s in spec.series:
        headers.append(s.name)
        columns.append(s.values)
        if s.low:
            headers += [_(LOW, header=_("95 % interval")), _(HIGH, header=_("95 % interval"))]
            columns += [s.low, s.high]
    if spec.target:
        headers.append(_("Target"))
        columns.append(spec.target)
    for c, h in enumerate(headers):
        head = ws.cell(row=row + 1, column=col + c, value=safe_cell(h))
        if c:  # on one line (a taller row would open gaps in the tables beside it)
            _widths(ws, {col + c: max(_width(ws, col + c), min(40, len(h) + 2))})
            head.alignment = Alignment(horizontal="right")  # over its numbers
    for r, cat in enumerate(spec.categories):
        ws.cell(row=row + 2 + r, column=col, value=safe_cell(cat))
        for c, values in enumerate(columns, start=1):
            v = values[r]
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                out = ws.cell(row=row + 2 + r, column=col + c, value=float(v))
                out.number_format = number_format(spec.value_format, float(v))
    return len(spec.categories) + 2, len(headers)


def _native_chart(ws, spec: ChartSpec, row: int, col: int):
    from openpyxl.chart import BarChart, LineChart, Reference

    n = len(spec.categories)
    chart = BarChart() if spec.kind == "bar" else LineChart()
    chart.title = spec.title[:250]
    chart.height, chart.width = 7.0, 16.0
    chart.y_axis.title = spec.y_title[:80]
    chart.y_axis.numFmt = NUMBER_FORMATS.get(spec.value_format, "General")
    shown = [float(v) for s in spec.series for v in s.values if v is not None and not math.isnan(v)]
    if not spec.whole and spec.value_format != "percent" and max(shown, default=0) < 10:
        chart.y_axis.numFmt = "#,##0.0#"  # a small axis (0.13 leavers a head): never 0, 0, 0
    chart.y_axis.scaling.min = 0
    if spec.value_format == "percent":
        chart.y_axis.scaling.max = 1
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.display_blanks = "gap"
    ncols = 1 + sum(1 + (2 if s.low else 0) for s in spec.series) + (1 if spec.target else 0)
    data = Reference(
        ws, min_col=col + 1, max_col=col + ncols - 1, min_row=row + 1, max_row=row + 1 + n
    )
    cats = Reference(ws, min_col=col, min_row=row + 2, max_row=row + 1 + n)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    if spec.kind == "line":
        for k, s in enumerate(chart.series):
            s.smooth = False  # Excel draws lines smoothed unless told otherwise
            s.marker.symbol = "circle"
            name = _series_title(ws, col + 1 + k, row + 1)
            band = _("95 % interval")
            if name in (_(LOW, header=band), _(HIGH, header=band)):
                s.marker.symbol = "none"
                s.graphicalProperties.line.dashStyle = "dash"
                s.graphicalProperties.line.width = 9525
            elif name == _("Target"):
                s.marker.symbol = "dash"
                s.graphicalProperties.line.noFill = True
    chart.legend.position = "b"
    return chart


def _series_title(ws, col: int, row: int) -> str:
    return str(ws.cell(row=row, column=col).value or "")


def write_xlsx(report: Report, path: Path) -> Path:
    """Write ``report`` as an ``.xlsx`` workbook at ``path``, in the report's language."""
    with using(report.lang):
        return _write_xlsx(report, path)


def _write_xlsx(report: Report, path: Path) -> Path:
    from openpyxl import Workbook

    st = _styles()
    wb = Workbook()
    taken: set[str] = set()
    cover = wb.active
    cover.title = _sheet_title(_("Cover"), taken)
    _cover(cover, report, st)
    ws = wb.create_sheet(_sheet_title(_("Summary"), taken))
    _widths(ws, {1: 44, 2: 26, **{c: 14 for c in range(3, 11)}})
    _write_table(ws, report.summary, 1, st)
    ws.freeze_panes = "B3"
    _print_setup(ws, "2:2")
    for section in report.sections:
        ws = wb.create_sheet(_sheet_title(section.heading, taken))
        _section(ws, section, st, report)
    if "definitions" in report.template.annexes:
        ws = wb.create_sheet(_sheet_title(_(report.template.wording.definitions_heading), taken))
        _widths(ws, {1: 10, 2: 8, 3: 34, 4: 24, 5: 80, 6: 50, 7: 24})
        _write_table(ws, report.definitions, 1, st)
        ws.freeze_panes = "A3"
        _print_setup(ws, "2:2")
    if "data_quality" in report.template.annexes:
        ws = wb.create_sheet(_sheet_title(_(report.template.wording.data_quality_heading), taken))
        _widths(ws, {1: 30, 2: 50, 3: 16, 4: 24})
        row = 1
        for note in report.data_quality_notes:
            ws.cell(row=row, column=1, value=safe_cell(note)).alignment = st["wrap"]
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
            ws.row_dimensions[row].height = LINE_PT * max(2, lines(note, 120))
            row += 1
        row += 1
        for table in report.data_quality:
            row = _write_table(ws, table, row, st)
        _print_setup(ws)
    if {"method", "provenance"} & set(report.template.annexes):
        ws = wb.create_sheet(_sheet_title(_(report.template.wording.method_heading), taken))
        _method(ws, report, st)
    if "data" in report.template.annexes:
        ws = wb.create_sheet(_sheet_title(_(report.template.wording.data_heading), taken))
        _data(ws, report, st)
    wb.properties.title = safe_cell(report.title)
    wb.properties.creator = "exit-evaluation"
    wb.save(path)
    return Path(path)


def _cover(ws, report: Report, st: dict) -> None:
    ws.cell(row=1, column=1, value=safe_cell(report.title)).font = st["title"]
    if report.logo is not None:
        from openpyxl.drawing.image import Image

        logo = Image(str(report.logo))
        logo.width, logo.height = logo.width * 60 / logo.height, 60  # ~16 mm high
        ws.add_image(logo, "C1")
    from evaluation.reports.docx import cover_fields

    rows = cover_fields(report)
    label = max(18, *(len(k) * 1.3 + 2 for k, _v in rows))  # 12 pt bold, in the language
    _widths(ws, {1: label, 2: 100})
    for r, (k, v) in enumerate(rows, start=3):
        key = ws.cell(row=r, column=1, value=k)
        key.font, key.alignment = st["h2"], st["wrap"]
        cell = ws.cell(row=r, column=2, value=safe_cell(v))
        cell.alignment = st["wrap"]
        _fit_row(ws, r, lines(v, 100 * TEXT_CHARS))
    r = len(rows) + 4
    if report.narrative:
        ws.cell(
            row=r, column=1, value=safe_cell(_(report.template.wording.narrative_heading))
        ).font = st["h2"]
        r += 1
        notice = ws.cell(
            row=r, column=1, value=safe_cell(_("DRAFT — {notice}", notice=report.draft_notice))
        )
        notice.font, notice.fill, notice.alignment = st["draft"], st["draft_fill"], st["wrap"]
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
        ws.row_dimensions[r].height = 32
        _paragraphs(ws, r, report.narrative, st, columns=2, line=110)
    _print_setup(ws)


CHARTS_A_PAGE = 4
"""Charts on a printed page of a section's sheet (two rows of two, 15 rows each)."""


def _section(ws, section, st: dict, report: Report) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.pagebreak import Break

    data_col = 12
    _widths(ws, {1: 44, 2: 26, **{c: 13 for c in range(3, 10)}, data_col: 14})
    ws.cell(row=1, column=1, value=safe_cell(section.heading)).font = st["title"]
    row = 2
    if section.intro:
        ws.cell(row=row, column=1, value=safe_cell(section.intro)).font = st["note"]
        row += 1
    row += 1
    ws.freeze_panes = f"B{row + 2}"  # below the first table's header
    for table in section.tables:
        row = _write_table(ws, table, row, st)
    if section.narrative:
        heading = _(report.template.wording.narrative_heading)
        ws.cell(row=row, column=1, value=safe_cell(heading)).font = st["h2"]
        row = _paragraphs(ws, row, section.narrative, st, columns=8, line=150) + 2
    if section.chart_notes:
        row = _paragraphs(ws, row - 1, section.chart_notes, st, columns=8, line=150) + 2
    # charts two per row, their data in a block to the right of the tables
    data_row = 2
    for k, chart in enumerate(section.charts):
        spec = chart.drawn()  # from the first period with a figure, as Word and PDF draw it
        nrows, _cols = _chart_block(ws, spec, data_row, data_col)
        chart = _native_chart(ws, spec, data_row, data_col)
        anchor_row = row + (k // 2) * 15
        anchor_col = "A" if k % 2 == 0 else "E"
        if k % CHARTS_A_PAGE == 0:  # printed, a chart never runs over a page's end
            ws.row_breaks.append(Break(id=anchor_row - 1))
        ws.add_chart(chart, f"{anchor_col}{anchor_row}")
        data_row += nrows + 1
    if section.charts:
        ws.cell(row=1, column=data_col, value=_("Chart data")).font = st["h2"]
        # printed: the tables and charts, not the charts' numbers beside them
        last = row + 15 * math.ceil(len(section.charts) / 2)
        ws.print_area = f"A1:{get_column_letter(data_col - 1)}{last}"
    _print_setup(ws)


def _method(ws, report: Report, st: dict) -> None:
    label = max(18, *(len(k) * 1.3 + 2 for k, _v in report.provenance))  # 12 pt bold
    _widths(ws, {1: label, 2: 120})
    row = 1
    if "method" in report.template.annexes:
        ws.cell(
            row=row, column=1, value=safe_cell(_(report.template.wording.method_heading))
        ).font = st["title"]
        row = _paragraphs(ws, row, report.method, st, columns=2, line=120) + 2
    if "provenance" in report.template.annexes:
        ws.cell(
            row=row, column=1, value=safe_cell(_(report.template.wording.provenance_heading))
        ).font = st["title"]
        for k, v in report.provenance:
            row += 1
            key = ws.cell(row=row, column=1, value=safe_cell(k))
            key.font, key.alignment = st["h2"], st["wrap"]
            cell = ws.cell(row=row, column=2, value=safe_cell(v))
            cell.alignment = st["wrap"]
            _fit_row(ws, row, lines(v, 120 * TEXT_CHARS))
    _print_setup(ws)


def _data(ws, report: Report, st: dict) -> None:
    """The tidy rows in words (``readable_data``): a rate's value, interval, target and
    baseline in percent, counts whole, other numbers as the report writes them."""
    frame = readable_data(report)
    ws.append([safe_cell(c) for c in frame.columns])
    for cell in ws[1]:
        cell.font, cell.fill = st["head_font"], st["head_fill"]
    fmts = [report.value_formats.get(str(i), "number") for i in report.data["indicator_id"]]
    columns = list(report.data.columns)
    by_row = {"value", "ci_low", "ci_high", "target", "baseline"}
    date_format = DATE_FORMATS.get(report.lang, "yyyy-mm-dd")
    for r, (record, fmt) in enumerate(
        zip(frame.itertuples(index=False), fmts, strict=True), start=2
    ):
        for k, (name, v) in enumerate(zip(columns, record, strict=True), start=1):
            value = _plain(v)
            if value is None:
                continue
            cell = ws.cell(row=r, column=k, value=value)
            if isinstance(value, dt.date):
                cell.number_format = date_format
            elif not isinstance(value, int | float) or isinstance(value, bool):
                continue
            elif name in by_row:
                cell.number_format = number_format(fmt, float(value))
            elif name == "completeness":
                cell.number_format = NUMBER_FORMATS["percent"]
            elif name in ("numerator", "denominator"):
                cell.number_format = number_format("number", float(value))
    _align_heads(ws, len(frame.columns))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    _widths(ws, {k + 1: max(10, min(40, len(str(c)) + 4)) for k, c in enumerate(frame.columns)})
    _print_setup(ws, "1:1")


def _align_heads(ws, columns: int) -> None:
    """Right-align the header (row 1) of each column whose values are all figures or dates,
    which Excel shows right-aligned: a header stands over its column's values."""
    from openpyxl.styles import Alignment

    for k in range(1, columns + 1):
        values = [c.value for (c,) in ws.iter_rows(min_row=2, min_col=k, max_col=k)]
        shown = [v for v in values if v is not None]
        if shown and all(_is_figure(v) for v in shown):
            ws.cell(row=1, column=k).alignment = Alignment(horizontal="right", vertical="top")


def _is_figure(value: object) -> bool:
    """Whether Excel shows ``value`` right-aligned: a number or a date, not a text."""
    return isinstance(value, int | float | dt.date) and not isinstance(value, bool)


def _plain(v: object) -> object:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        with contextlib.suppress(ValueError, AttributeError):
            v = v.item()  # numpy scalars
    if v is not None and type(v).__name__ in ("NAType", "NaTType"):
        return None
    return safe_cell(v) if isinstance(v, str) else v
