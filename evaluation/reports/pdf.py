"""A report as a PDF: the fixed copy a funder files, drawn with fpdf2 (no browser needed).

``write_pdf`` lays out a ``Report`` (see ``model``) in the same order as the Word document:
cover page, summary table, the drafted narrative marked as a draft, the sections with their
tables and charts, and the annexes the template lists. The charts are the PNGs
``Report.chart_png`` draws once per report (shared with Word), so the PDF itself is fast to
write. Text is set in DejaVu Sans, which matplotlib ships, so the dashes, “€”, umlauts and “…”
of names and definitions print as such without a system font. Headings become PDF bookmarks.

Nothing here computes or formats a figure: every text comes from the ``Report``'s cells, in the
report's language (written within ``using(report.lang)``). A chart with nothing to show is not
drawn: the section's one sentence about it stands in its place (``Section.chart_notes``).
fpdf2 is imported inside the function, so importing ``evaluation.reports`` stays cheap.
"""

from __future__ import annotations

import importlib.util
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation.reports.docx import (
    DATA_SENTENCE,
    GREY,
    annex_heading,
    cover_fields,
    is_numeric,
    numeric_column,
    syllables,
)
from evaluation.reports.model import Report, Table
from evaluation.vocabulary.hyphens import hyphenator
from evaluation.vocabulary.language import _, using

FONT = "DejaVu"
CHART_WIDTH_MM = 150.0
HEADER_FILL = (217, 226, 243)
DRAFT_FILL = (255, 242, 204)
MARGIN = 20.0
TABLE_SIZE = 8
MAX_COLUMN = 70.0
"""A column never asks for more than this (mm) before its text wraps."""
LINE_H = 3.6
PAD_X = 1.2
PAD_Y = 0.9


def font_files() -> dict[str, Path]:
    """DejaVu Sans from matplotlib's fonts, by fpdf2 style (``""``, ``B``, ``I``); no bold
    italic: each font costs a TTF parse (40-100 ms, once per process: ``parsed_font``) and
    its subset in every document.
    Found without importing matplotlib (0.3-0.9 s), whose charts are drawn in workers."""
    spec = importlib.util.find_spec("matplotlib")
    places = (spec.submodule_search_locations or []) if spec is not None else []
    folder = Path(next(iter(places), ".")) / "mpl-data" / "fonts" / "ttf"
    names = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
    return {style: folder / name for style, name in names.items() if (folder / name).is_file()}


STYLES = ("", "B", "I")

# fpdf2's TTFFont keeps what a document changes in these slots; the rest (the font's widths,
# character map and descriptor) is the file's and is shared by every document of the process
_PER_DOCUMENT = frozenset({"i", "ttfont", "subset", "missing_glyphs", "biggest_size_pt", "cw"})
_PARSED: dict[str, Any] = {}
_PARSING = threading.Lock()


def parsed_font(style: str) -> Any:
    """fpdf2's reading of one DejaVu style (its widths and character map: 40-100 ms, most of a
    PDF's fixed cost), done once per process; ``warm_fonts`` does it ahead of the first PDF."""
    with _PARSING:
        if style not in _PARSED:
            from fpdf import FPDF
            from fpdf.fonts import TTFFont

            fonts = font_files()
            if "" not in fonts:
                raise FileNotFoundError("DejaVuSans.ttf is not among matplotlib's fonts")
            path = fonts.get(style) or fonts[""]
            _PARSED[style] = TTFFont(FPDF(), path, f"{FONT.lower()}{style}", style)
        return _PARSED[style]


def warm_fonts() -> None:
    """Read the report fonts now (the dashboard does it once idle), not in the first PDF."""
    for style in STYLES:
        parsed_font(style)


def add_parsed_font(pdf: Any, style: str) -> None:
    """Give ``pdf`` the DejaVu style as ``pdf.add_font`` would, from the process's parse of it.

    The document gets its own copy of what it changes: its font number, the character subset it
    embeds, the glyphs it found missing, its widths (a ``defaultdict`` that grows on reading)
    and the font file opened anew, since embedding subsets that object in place. Opening is
    lazy (the table directory alone), so what the parse costs is paid once.
    """
    from fontTools import ttLib
    from fpdf.fonts import SubsetMap, TTFFont

    parsed = parsed_font(style)
    font = TTFFont.__new__(TTFFont)
    for slot in TTFFont.__slots__:
        if slot not in _PER_DOCUMENT and hasattr(parsed, slot):
            setattr(font, slot, getattr(parsed, slot))
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(parsed.ttffile, recalcTimestamp=False, lazy=True)
    font.cw = parsed.cw.copy()
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[parsed.fontkey] = font


def write_pdf(report: Report, path: Path) -> Path:
    """Write the report as a PDF at ``path`` (A4 portrait) and return the path."""
    with using(report.lang):
        return _write_pdf(report, Path(path))


def _write_pdf(report: Report, path: Path) -> Path:
    pdf = _new_pdf(f"{report.programme} – {report.period_label}")
    pdf.set_title(f"{report.title} – {report.programme} – {report.period_label}")
    pdf.set_author(report.organisation)
    pdf.set_subject(report.funder)
    pdf.set_creator("exit-evaluation")
    pdf.set_producer("exit-evaluation (fpdf2)")
    pdf.set_creation_date(report.generated_at)
    w = _Writer(pdf, report)
    w.cover()
    pdf.add_page()
    wording = report.template.wording
    w.heading(report.summary.title)
    w.table(report.summary, title=False)
    w.heading(_(wording.narrative_heading))
    w.draft_notice(report.draft_notice)
    for text in report.narrative:
        w.paragraph(text)
    for section in report.sections:
        w.heading(section.heading)
        if section.intro:
            w.paragraph(section.intro)
        for text in section.narrative:
            w.paragraph(text)
        for table in section.tables:
            w.table(table, title=True)
        for chart in section.charts:
            w.image(report.chart_png(chart))
        for text in section.chart_notes:
            w.paragraph(text, style="I")
    for annex in report.template.annexes:
        w.heading(annex_heading(report, annex))
        if annex == "definitions":
            w.table(report.definitions, title=False)
        elif annex == "data_quality":
            for table in report.data_quality:
                w.table(table, title=True)
            for note in report.data_quality_notes:
                w.paragraph(f"• {note}")
        elif annex == "method":
            for text in report.method:
                w.paragraph(text)
        elif annex == "provenance":
            w.pairs(report.provenance)
        elif annex == "data":
            w.paragraph(_(DATA_SENTENCE))
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def _new_pdf(footer: str) -> Any:
    from fpdf import FPDF

    line = _("{text} – page {page} of {pages}", text=footer, page="{page}", pages="{nb}")

    class _PDF(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, "", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, line.replace("{page}", str(self.page_no())), align="C")
            self.set_text_color(0, 0, 0)

    pdf = _PDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=18)
    for style in STYLES:
        add_parsed_font(pdf, style)
    pdf.set_font(FONT, "", 10)
    pdf.alias_nb_pages()
    return pdf


class _Writer:
    def __init__(self, pdf: Any, report: Report) -> None:
        self.pdf = pdf
        self.report = report
        self._widths: dict[str, Any] = {}

    @property
    def width(self) -> float:
        return self.pdf.epw

    def cover(self) -> None:
        pdf, report = self.pdf, self.report
        pdf.add_page()
        logo = report.logo
        if logo is not None:
            pdf.image(str(logo), h=20)
            pdf.ln(6)
        pdf.ln(30)
        pdf.set_font(FONT, "B", 22)
        pdf.multi_cell(0, 10, report.title, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(4)
        pdf.set_font(FONT, "", 14)
        pdf.multi_cell(0, 7, report.funder, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(8)
        pdf.set_font(FONT, "B", 16)
        pdf.multi_cell(
            0,
            8,
            f"{report.programme} — {report.period_label}",
            new_x="LMARGIN",
            new_y="NEXT",
            align="L",
        )
        pdf.ln(8)
        fields = cover_fields(report)
        label_w = cover_label_width(pdf, [label for label, _text in fields])
        for label, text in fields:
            pdf.set_font(FONT, "B", 10)
            pdf.cell(label_w, 6, f"{label}:")
            pdf.set_font(FONT, "", 10)
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.ln(1)

    def heading(self, text: str, level: int = 0) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        pdf.ln(4)
        pdf.start_section(text, level=level)
        pdf.set_font(FONT, "B", 15 if level == 0 else 12)
        pdf.set_text_color(31, 56, 100)
        pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1)

    def paragraph(self, text: str, *, style: str = "", size: float = 10) -> None:
        """Wrapped here, words measured once (fpdf2's ``multi_cell`` measures each line again
        for every character it adds: most of the time a report's PDF took)."""
        pdf = self.pdf
        pdf.set_font(FONT, style, size)
        width = pdf.w - pdf.r_margin - pdf.l_margin - 2 * pdf.c_margin
        for line in self.wrap(_Cell(text, style, False, False), width, size=size):
            pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(2)

    def draft_notice(self, notice: str) -> None:
        pdf = self.pdf
        pdf.set_fill_color(*DRAFT_FILL)
        pdf.set_font(FONT, "I", 10)
        pdf.multi_cell(
            0,
            5.5,
            _("DRAFT — {notice}", notice=notice),
            fill=True,
            padding=2,
            new_x="LMARGIN",
            new_y="NEXT",
            align="L",
        )
        pdf.ln(3)

    def image(self, png: bytes) -> None:
        pdf = self.pdf
        x = pdf.l_margin + (self.width - CHART_WIDTH_MM) / 2
        pdf.image(io.BytesIO(png), x=x, w=CHART_WIDTH_MM)
        pdf.ln(3)

    def table(self, table: Table, *, title: bool) -> None:
        pdf = self.pdf
        if title:
            if pdf.get_y() > pdf.h - 50:
                pdf.add_page()
            self.paragraph(table.title, style="B", size=10)
        right = [numeric_column(table, n) for n in range(len(table.header))]
        header = [_Cell(text, "B", right[n], False) for n, text in enumerate(table.header)]
        rows = [
            [
                _Cell(
                    c.text,
                    "I" if c.state in ("hidden", "no_data") else "",
                    is_numeric(c),
                    c.state in ("hidden", "no_data"),
                )
                for c in row
            ]
            for row in table.rows
        ]
        self.grid(self.widths([header, *rows], head=1), header, rows)
        if table.note:
            pdf.ln(1)
            self.paragraph(table.note, style="I", size=8)
        else:
            pdf.ln(3)

    def pairs(self, pairs: list[tuple[str, str]]) -> None:
        rows = [[_Cell(k, "B", False, False), _Cell(v, "", False, False)] for k, v in pairs]
        self.grid(self.widths(rows), None, rows)
        self.pdf.ln(3)

    def widths(self, rows: list[list[_Cell]], head: int = 0) -> list[float]:
        """Each column at least its longest word: always those of the first ``head`` rows
        (a header is never broken: no "Indikat/or"), the body's when they all fit, else the
        longest body words are capped (and hyphenated by ``wrap``), never a short one."""
        pad = 2 * PAD_X + 0.4
        heads = [0.0] * len(rows[0])
        minimum = [0.0] * len(rows[0])
        desired = [0.0] * len(rows[0])
        amount = [0.0] * len(rows[0])
        for k, row in enumerate(rows):
            for n, cell in enumerate(row):
                measure = self._measure(cell.style)
                words = cell.text.split() or [""]
                longest = max(measure(w) for w in words) + pad
                if cell.right and k >= head:  # a figure is one piece: "61.656 EUR"
                    longest = measure(cell.text) + pad
                minimum[n] = max(minimum[n], longest)
                if k < head or cell.right:  # a header, a figure: never hyphenated
                    heads[n] = max(heads[n], longest)
                elif longest > heads[n]:  # a word is hyphenated, never cut within a syllable
                    lang = self.report.lang
                    parts = [p for w in words for p in syllables(w, lang)]
                    heads[n] = max(heads[n], max(measure(p) for p in parts) + pad)
                width = measure(cell.text) + pad
                desired[n] = max(desired[n], min(width, MAX_COLUMN))
                amount[n] += width
        minimum = cap_words(heads, minimum, self.width, amount)
        return fit_columns(minimum, desired, amount, self.width)

    def grid(
        self, widths: list[float], header: list[_Cell] | None, rows: list[list[_Cell]]
    ) -> None:
        """A table whose header row repeats at the top of each page it runs onto.

        Drawn with ``cell`` per wrapped line, words measured once (fpdf2's ``table()`` breaks
        every cell twice, character by character: 5-10 times slower for the definitions)."""
        pdf = self.pdf
        pdf.set_font(FONT, "", TABLE_SIZE)
        lines_of = [
            [self.wrap(c, w - 2 * PAD_X) for c, w in zip(row, widths, strict=True)] for row in rows
        ]
        head_lines = (
            [self.wrap(c, w - 2 * PAD_X) for c, w in zip(header, widths, strict=True)]
            if header
            else None
        )
        bottom = pdf.h - pdf.b_margin
        if head_lines is not None:
            first = _height(lines_of[0]) if lines_of else 0
            if pdf.get_y() + _height(head_lines) + first > bottom:
                pdf.add_page()
            self.row(widths, header, head_lines, fill=True)  # type: ignore[arg-type]
        for row, lines in zip(rows, lines_of, strict=True):
            if pdf.get_y() + _height(lines) > bottom:
                pdf.add_page()
                if head_lines is not None:
                    self.row(widths, header, head_lines, fill=True)  # type: ignore[arg-type]
            self.row(widths, row, lines, fill=False)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, "", 10)

    def row(
        self, widths: list[float], cells: list[_Cell], lines: list[list[str]], *, fill: bool
    ) -> None:
        pdf = self.pdf
        y = pdf.get_y()
        h = _height(lines)
        x = pdf.l_margin
        pdf.set_draw_color(150, 150, 150)
        pdf.set_line_width(0.15)
        if fill:
            pdf.set_fill_color(*HEADER_FILL)
        for cell, text, w in zip(cells, lines, widths, strict=True):
            pdf.rect(x, y, w, h, style="DF" if fill else "D")
            if cell.grey:
                pdf.set_text_color(*GREY)
            else:
                pdf.set_text_color(0, 0, 0)
            pdf.set_font(FONT, cell.style, TABLE_SIZE)
            measure = self._measure(cell.style)
            # placed as ``cell`` places a line (its margin, its baseline), with the cheap
            # ``text``: a cell per line cost a third of the PDF
            rise = 0.5 * LINE_H + 0.3 * pdf.font_size
            for n, line in enumerate(text):
                if not line:
                    continue
                left = x + PAD_X + pdf.c_margin
                if cell.right:
                    left = x + w - PAD_X - pdf.c_margin - measure(line)
                pdf.text(left, y + PAD_Y + n * LINE_H + rise, line)
            x += w
        pdf.set_xy(pdf.l_margin, y + h)

    def wrap(self, cell: _Cell, width: float, size: float = TABLE_SIZE) -> list[str]:
        """Greedy word wrap; a word wider than the column is hyphenated (the language's
        hyphenation points), cut by characters only where no piece of it fits."""
        measure = self._measure(cell.style, size)
        space = measure(" ")
        out: list[str] = []
        for para in cell.text.split("\n"):
            line, used = "", 0.0
            for word in para.split():
                ww = measure(word)
                if line and used + space + ww <= width:
                    line, used = f"{line} {word}", used + space + ww
                    continue
                if line:
                    out.append(line)
                while ww > width and (part := self._hyphen(word, width, measure)):
                    out.append(part[0])
                    word = part[1]
                    ww = measure(word)
                while ww > width and len(word) > 1:
                    cut = len(word) - 1
                    while cut > 1 and measure(word[:cut]) > width:
                        cut -= 1
                    out.append(word[:cut])
                    word = word[cut:]
                    ww = measure(word)
                line, used = word, ww
            out.append(line)
        return out or [""]

    def _hyphen(self, word: str, width: float, measure: Any) -> tuple[str, str] | None:
        """``word`` broken at the language's last hyphenation point that fits ``width``
        (the head with its hyphen, the rest), or None where there is none."""
        dictionary = hyphenator(self.report.lang)
        if dictionary is None:
            return None
        for head, tail in dictionary.iterate(word):
            if measure(f"{head}-") <= width:
                return f"{head}-", tail
        return None

    def _measure(self, style: str, size: float = TABLE_SIZE):  # -> Callable[[str], float]
        key = f"{style}{size}"
        if key not in self._widths:
            pdf = self.pdf
            cache: dict[str, float] = {}

            def measure(text: str) -> float:
                w = cache.get(text)
                if w is None:
                    pdf.set_font(FONT, style, size)
                    w = cache[text] = pdf.get_string_width(text)
                return w

            self._widths[key] = measure
        return self._widths[key]


COVER_GAP = 4.0
"""mm between the cover's longest label and the values."""


def cover_label_width(pdf: Any, labels: list[str]) -> float:
    """The cover's label column (mm): its longest label, bold, in the report's language, and a
    gap; never more than a third of the page's text width."""
    pdf.set_font(FONT, "B", 10)
    longest = max((pdf.get_string_width(f"{label}:") for label in labels), default=0.0)
    return min(longest + COVER_GAP, pdf.epw / 3)


@dataclass(frozen=True)
class _Cell:
    text: str
    style: str
    right: bool
    grey: bool


def _height(lines: list[list[str]]) -> float:
    return max(len(t) for t in lines) * LINE_H + 2 * PAD_Y


CAPPED_SHARE = 0.75
"""When a table's longest words do not all fit side by side and a column holds paragraphs,
the words are capped to leave this share of the width to them, the rest to the paragraphs."""
PARAGRAPHS = 3.0
"""A column holds paragraphs when its texts, set on one line, are this many widths long."""


def cap_words(
    heads: list[float], words: list[float], total: float, amount: list[float] | None = None
) -> list[float]:
    """Each column's least width: its longest word (``words``), unless the longest words do not
    fit side by side in ``total``; then the longest are capped (to be hyphenated) until they
    fit, or, when a column holds paragraphs (``amount``: its texts' length), until they take
    ``CAPPED_SHARE`` of it, leaving room for the paragraphs (a definition squeezed to the width
    of a unit reads one word a line). Never below ``heads``: a header's longest word and a
    figure, which are never broken."""
    if sum(words) <= total:
        return list(words)
    prose = amount is not None and max(amount, default=0.0) > PARAGRAPHS * total
    goal = max(total * (CAPPED_SHARE if prose else 1.0), sum(heads))
    low, high = 0.0, max(words)
    for _step in range(40):
        cap = (low + high) / 2
        if sum(max(h, min(w, cap)) for h, w in zip(heads, words, strict=True)) > goal:
            high = cap
        else:
            low = cap
    return [max(h, min(w, low)) for h, w in zip(heads, words, strict=True)]


def fit_columns(
    minimum: list[float], desired: list[float], amount: list[float], total: float
) -> list[float]:
    """Column widths summing to ``total``: every column at least ``minimum`` (its longest
    word) when that fits; when the texts do not all fit on one line (``desired``, capped), the
    rest is shared by the square of the ``amount`` of text each column holds, so
    short figure columns stay narrow and the long definitions get the room to wrap in."""
    desired = [max(d, m) for d, m in zip(desired, minimum, strict=True)]
    if sum(minimum) >= total:
        return [total * m / sum(minimum) for m in minimum]
    if sum(desired) <= total:
        return [total * d / sum(desired) for d in desired]
    spare = total - sum(minimum)
    extra = [a * a if d > m else 0.0 for d, m, a in zip(desired, minimum, amount, strict=True)]
    return [m + spare * e / sum(extra) for m, e in zip(minimum, extra, strict=True)]
