"""A report's charts, described once and drawn for each format.

``ChartSpec`` holds what a chart says (periods on the x axis, one or more series with gaps
where a figure is hidden or missing, a 95 % band for rates); ``plotly_dict`` draws it for the
HTML report, ``to_png`` draws the same chart with matplotlib (no browser) for Word and PDF and
the Reports page's preview, and the XLSX writer builds a native Excel chart from the same
numbers.

Every writer asks ``spec.empty_sentence`` first: a chart with nothing to show (every figure
hidden, or no data, or every figure shown a 0) is not drawn, that one sentence stands in its
place. What is drawn is ``spec.drawn()``: from the first period with a figure (``spec.start()``;
the chart's note says so, ``start_note``, and counts only the gaps drawn), a target only where
there is a figure (never a line across hidden quarters). Drawn as the dashboard draws
(``evaluation.views.charts``): the same Okabe–Ito colours, a hidden figure and a missing one
marked differently with a legend saying why, a band broken at every gap, whole-number ticks on
a count axis, period labels wrapped rather than cut, and numbers, axis titles and legends in
the language of the moment.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import math
import textwrap
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Literal

from evaluation.vocabulary import numbers
from evaluation.vocabulary.language import N_, _, current, n_

PALETTE = ("#0072B2", "#D55E00", "#56B4E9", "#CC79A7", "#E69F00", "#009E73", "#F0E442")
"""Okabe–Ito, in the dashboard's order (``evaluation.views.charts.PALETTE``)."""
TARGET_COLOUR = "#444444"
GAP_COLOURS = {"hidden": "#6f6f6f", "no_data": "#b5b5b5"}
GAP_HATCHES = {"hidden": "xx", "no_data": ".."}
"""A hidden figure is a column of dark grey crosses, a missing one of pale grey dots."""
ValueFormat = Literal["percent", "number", "eur", "days", "months"]
SUFFIXES = {"percent": " %", "eur": " EUR", "days": N_("days"), "months": N_("months")}
TARGET = N_("Target")
INTERVAL = N_("95 % interval")
BAND_HALF_WIDTH = 0.15


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    low: tuple[float | None, ...] = ()
    high: tuple[float | None, ...] = ()
    hidden: tuple[bool, ...] = ()
    """Per value: ``True`` where it is missing because it is hidden to protect small numbers
    (``False`` or nothing: no data). Decides the legend and ``ChartSpec.empty_sentence``."""

    def gap(self, i: int) -> str | None:
        """``"hidden"``, ``"no_data"`` or ``None`` (a value is drawn) at the ``i``-th period."""
        if _ok(self.values[i]):
            return None
        return "hidden" if i < len(self.hidden) and self.hidden[i] else "no_data"


@dataclass(frozen=True)
class ChartSpec:
    title: str
    kind: Literal["line", "bar"]
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    value_format: ValueFormat = "number"
    y_title: str = ""
    note: str = ""
    """Why points are missing (hidden, no data), shown under the chart."""
    target: tuple[float | None, ...] = field(default=())
    min_count: int = 5
    """The smallest count shown, as the legend of a hidden figure says ("fewer than 5")."""

    @property
    def has_band(self) -> bool:
        return any(s.low for s in self.series)

    @property
    def whole(self) -> bool:
        """Whether the axis counts whole things (people, cases, euros): bars of counts and
        totals, whose ticks are 0, 1, 2 … or 0, 5, 10 …, never 2.5."""
        return self.kind == "bar" and self.value_format in ("number", "eur")

    def points(self) -> int:
        return sum(_ok(v) for s in self.series for v in s.values)

    @property
    def only_zeros(self) -> bool:
        """Whether every figure the chart shows is 0 (and it shows at least one)."""
        shown = [v for s in self.series for v in s.values if _ok(v)]
        return bool(shown) and all(float(v) == 0 for v in shown)  # type: ignore[arg-type]

    @property
    def empty_sentence(self) -> str | None:
        """The one sentence that stands in place of this chart when it has nothing to show,
        translated; ``None`` when it has something to show. Word, PDF, HTML and Excel draw the
        chart only when this is ``None``.

        Nothing to show is: every value hidden, or no data (the dashboard's rule,
        ``views.charts.empty_sentence``), or **every figure shown is 0**, alone or among hidden
        and missing periods. A 0 is information (no new cases is a finding), but a chart of
        zeros is a flat line on an axis without a scale (0 to 1) and, among hidden columns,
        reads as nothing at all; the sentence says the finding in words instead: "Every figure
        of this chart that may be shown is 0; 2 hidden to protect small numbers (fewer than
        5)." (``zero_sentence``). The report's tables keep every figure."""
        from evaluation.views.charts import empty_sentence

        said = empty_sentence(self)
        if said is None and self.only_zeros:
            return zero_sentence(self)
        return said

    def shown_at(self, i: int) -> bool:
        return any(i < len(s.values) and _ok(s.values[i]) for s in self.series)

    def start(self) -> int:
        """The index of the first period drawn: the first with a figure (0 when none has)."""
        return next((i for i in range(len(self.categories)) if self.shown_at(i)), 0)

    def drawn(self) -> ChartSpec:
        """The chart as it is drawn: from the first period with a figure (periods before it,
        all hidden or without data, are left out and the note says so: ``start_note``), a
        target only where a figure is shown (never a line across hidden periods). Itself when
        there is nothing to change or to show."""
        first = self.start()
        target = tuple(
            t if self.shown_at(i) else None for i, t in enumerate(self.target[first:], start=first)
        )
        if first == 0 and target == self.target:
            return self

        def cut(values: tuple[Any, ...]) -> tuple[Any, ...]:
            return values[first:] if values else values

        return dataclasses.replace(
            self,
            categories=self.categories[first:],
            series=tuple(
                dataclasses.replace(
                    s,
                    values=cut(s.values),
                    low=cut(s.low),
                    high=cut(s.high),
                    hidden=cut(s.hidden),
                )
                for s in self.series
            ),
            target=target if any(_ok(t) for t in target) else (),
        )

    def gaps(self) -> dict[str, list[int]]:
        """Where no series has a figure, by why: ``{"hidden": [i, …], "no_data": [i, …]}``
        (hidden wins where one series is hidden and another has no data)."""
        out: dict[str, list[int]] = {"hidden": [], "no_data": []}
        for i in range(len(self.categories)):
            kinds = {s.gap(i) for s in self.series}
            if not kinds or None in kinds:
                continue
            out["hidden" if "hidden" in kinds else "no_data"].append(i)
        return out


def start_note(spec: ChartSpec) -> str:
    """The sentence saying a chart begins after its first period (``ChartSpec.drawn`` leaves
    out the periods before its first figure: every one hidden or without data), translated,
    as the dashboard says it; ``""`` when it begins with its first period. A note counting
    the chart's gaps counts only those from ``spec.start()`` on: those drawn."""
    first = spec.start()
    if first == 0:
        return ""
    return _(
        "Starts at {period}: every figure before it is hidden or has no data.",
        period=spec.categories[first],
    )


def zero_text(spec: ChartSpec) -> str:
    """0 as the chart's axis writes it: ``0 %`` on a percent axis, else ``0``."""
    return numbers.percent(0) if spec.value_format == "percent" else numbers.count(0)


def zero_gaps(spec: ChartSpec) -> str:
    """How many of the chart's periods are hidden (fewer than ``spec.min_count``) or without
    data, as a phrase ("2 periods hidden to protect small numbers (fewer than 5)"); ``""``
    when none is."""
    gaps = spec.gaps()
    hidden, missing = len(gaps["hidden"]), len(gaps["no_data"])
    parts = []
    if hidden:
        parts.append(
            n_(
                "{n} period hidden to protect small numbers (fewer than {min})",
                "{n} periods hidden to protect small numbers (fewer than {min})",
                hidden,
                min=spec.min_count,
            )
        )
    if missing:
        parts.append(n_("{n} without data", "{n} without data", missing))
    if len(parts) == 2:
        return _("{first} and {second}", first=parts[0], second=parts[1])
    return parts[0] if parts else ""


def zero_sentence(spec: ChartSpec) -> str:
    """The sentence standing for a chart whose every figure shown is 0: that, and how many of
    its periods are hidden or without data (``zero_gaps``)."""
    gaps = zero_gaps(spec)
    if not gaps:
        return _("Every figure of this chart is {zero}.", zero=zero_text(spec))
    return _(
        "Every figure of this chart that may be shown is {zero}; {gaps}.",
        zero=zero_text(spec),
        gaps=gaps,
    )


def _ok(v: float | None) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def _scale(spec: ChartSpec, v: float | None) -> float | None:
    if not _ok(v):
        return None
    return float(v) * 100 if spec.value_format == "percent" else float(v)  # type: ignore[arg-type]


def axis_suffix(spec: ChartSpec) -> str:
    """What follows a number of the chart's axis (`` %``, `` EUR``, `` days``), translated."""
    suffix = SUFFIXES.get(spec.value_format, "")
    return suffix if suffix.startswith(" ") or not suffix else f" {_(suffix)}"


def _top(spec: ChartSpec) -> float:
    values = [
        _scale(spec, v) for s in spec.series for part in (s.values, s.high) for v in part if _ok(v)
    ]
    values += [_scale(spec, t) for t in spec.target if _ok(t)]
    top = max((v for v in values if v is not None), default=0.0)
    return top if top > 0 else 1.0


def _runs(s: Series) -> list[list[int]]:
    """Runs of consecutive periods whose interval is known: a band is drawn per run."""
    runs: list[list[int]] = []
    for i in range(len(s.values)):
        if not (i < len(s.low) and _ok(s.low[i]) and _ok(s.high[i]) and _ok(s.values[i])):
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


# -- plotly: the dashboard and the HTML report ------------------------------------------------


def plotly_dict(spec: ChartSpec) -> dict:
    """The chart as plotly's JSON structure (``data`` and ``layout``), built without plotly's
    validation so a report with dozens of charts writes fast (the HTML report draws it).
    A chart with nothing to show is its title and its ``empty_sentence``, nothing else."""
    from evaluation.views.charts import count_step, gap_name, separators, tick_text

    empty = spec.empty_sentence
    hidden_n = sum(1 for s in spec.series for i in range(len(s.values)) if s.gap(i) == "hidden")
    base: dict = {
        "title": {"text": spec.title, "x": 0, "font": {"size": 15}},
        "template": _TEMPLATE,
        "separators": separators(),
        "meta": {"hidden": hidden_n, "empty": empty},
    }
    if empty is not None:
        blank = {
            **base,
            "height": 160,
            "margin": {"l": 20, "r": 20, "t": 50, "b": 20},
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [_annotation(empty, 0.5, 0.5, "center", 13)],
        }
        return {"data": [], "layout": blank}
    spec = spec.drawn()
    xs = list(range(len(spec.categories)))
    top = _top(spec)
    bars = spec.kind == "bar"
    nseries = max(len(spec.series), 1)
    data: list[dict] = []
    seen: set[str] = set()
    for n, s in enumerate(spec.series):
        colour = PALETTE[n % len(PALETTE)]
        ys = [_scale(spec, v) for v in s.values]
        if bars:
            for kind in ("hidden", "no_data"):
                at = [i for i in xs if s.gap(i) == kind]
                if at:
                    data.append(_plotly_gap(kind, at, top, s.name, gap_name(kind, spec.min_count)))
                    data[-1]["showlegend"] = kind not in seen
                    seen.add(kind)
            data.append(
                {
                    "type": "bar",
                    "x": xs,
                    "y": ys,
                    "name": s.name,
                    "offsetgroup": s.name,
                    "marker": {"color": colour},
                    # a bar of nothing: said, so the chart is not read as empty
                    "text": ["0" if y == 0 else "" for y in ys],
                    "textposition": "outside",
                    "cliponaxis": False,
                    "meta": {"role": "value"},
                }
            )
            continue
        for run in _runs(s):
            if len(run) == 1:
                x0, lo, hi = run[0], _scale(spec, s.low[run[0]]), _scale(spec, s.high[run[0]])
                left, right = x0 - BAND_HALF_WIDTH, x0 + BAND_HALF_WIDTH
                bx: list[float] = [left, right, right, left]
                by = [hi, hi, lo, lo]
            else:
                bx = [float(i) for i in run + run[::-1]]
                by = [_scale(spec, s.high[i]) for i in run] + [
                    _scale(spec, s.low[i]) for i in reversed(run)
                ]
            data.append(
                {
                    "type": "scatter",
                    "x": bx,
                    "y": by,
                    "mode": "lines",
                    "fill": "toself",
                    "fillcolor": _rgba(colour, 0.18),
                    "line": {"width": 0},
                    "hoverinfo": "skip",
                    "name": _(INTERVAL),
                    "legendgroup": "band",
                    "showlegend": "band" not in seen,
                    "meta": {"role": "band"},
                }
            )
            seen.add("band")
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "name": s.name,
                "mode": "lines+markers",
                "line": {"color": colour, "width": 2, "shape": "linear"},
                "connectgaps": False,
                "meta": {"role": "value"},
            }
        )
    if not bars:
        for kind, at in spec.gaps().items():
            if at:
                data.insert(0, _plotly_gap(kind, at, top, None, gap_name(kind, spec.min_count)))
    if spec.target:
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": [_scale(spec, t) for t in spec.target],
                "name": _(TARGET),
                "mode": "markers",
                "marker": {"symbol": "line-ew-open", "size": 18, "color": TARGET_COLOUR},
                "meta": {"role": "target"},
            }
        )
    y_title = "<br>".join(textwrap.wrap(spec.y_title, Y_TITLE_CHARS, break_long_words=False))
    yaxis: dict = {"title": {"text": y_title}, "rangemode": "tozero", "automargin": True}
    if spec.value_format == "percent":
        yaxis.update(ticksuffix=" %", range=[0, 100])
    elif spec.whole:
        yaxis.update(tickmode="linear", tick0=0, dtick=count_step(top), tickformat=",d")
    show_legend = nseries > 1 or spec.has_band or bool(seen) or bool(spec.target)
    # the period labels across, wrapped to their slot (never turned and cut: "Q2 202…")
    slot = max(4, PLOT_CHARS // max(len(xs), 1))
    ticks = [tick_text(c, slot) for c in spec.categories]
    tick_lines = max((t.count("<br>") + 1 for t in ticks), default=1)
    entries = [str(d["name"]) for d in data if d.get("showlegend", True) and d.get("name")]
    legend_rows = plotly_legend_rows(list(dict.fromkeys(entries))) if show_legend else 0
    bottom = 12 + 15 * tick_lines + 21 * legend_rows  # ticks, then the legend below them
    layout: dict = {
        **base,
        "height": 270 + bottom,
        "margin": {"l": 50, "r": 20, "t": 50, "b": bottom},
        # from the figure's foot up, so the legend never lies on the labels above it
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
        "showlegend": show_legend,
        "barmode": "group",
        "yaxis": yaxis,
        "xaxis": {
            "tickmode": "array",
            "tickvals": xs,
            "ticktext": ticks,
            "tickangle": 0,
            "zeroline": False,  # the periods are 0, 1, 2 …: no line through the first
            "range": [-0.5, len(xs) - 0.5],
            "automargin": True,
        },
    }
    if spec.note:  # wrapped: a note beginning "Starts at …" is longer than the plot is wide
        lines = textwrap.wrap(spec.note, NOTE_CHARS, break_long_words=False) or [spec.note]
        text = "<br>".join(lines)
        layout["annotations"] = [_annotation(text, 0, 1.0, "left", 11, yanchor="bottom")]
        layout["margin"]["t"] = 56 + 14 * len(lines)
        layout["height"] += 14 * (len(lines) - 1)
    return {"data": data, "layout": layout}


NOTE_CHARS = 80
"""Characters of a line of a chart's note (11 px) in the HTML report's plots."""
PLOT_CHARS = 48
"""Characters of a tick label (12 px) across the plot of a chart in the HTML report's grid."""
LEGEND_CHARS = 70
"""Characters of legend text (12 px) on one line of a chart's legend."""
Y_TITLE_CHARS = 30
"""Characters of the vertical axis title on one line, along the plot's height."""


def plotly_legend_rows(names: list[str]) -> int:
    """How many lines plotly's horizontal legend takes for ``names`` (each entry a marker, a
    gap and its text; entries wrap onto the next line as a whole)."""
    rows, used = 1, 0
    for name in names:
        need = len(name) + 6
        if used and used + need > LEGEND_CHARS:
            rows, used = rows + 1, 0
        used += need
    return rows


def _annotation(
    text: str, x: float, y: float, xanchor: str, size: int, yanchor: str = "middle"
) -> dict:
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": x,
        "y": y,
        "showarrow": False,
        "xanchor": xanchor,
        "yanchor": yanchor,
        "font": {"size": size, "color": "#555555"},
    }


def _plotly_gap(kind: str, at: list[int], top: float, group: str | None, name: str) -> dict:
    return {
        "type": "bar",
        "x": at,
        "y": [top] * len(at),
        "name": name,
        "legendgroup": kind,
        "offsetgroup": group,
        "width": None if group else 0.5,
        "marker": {
            "color": "rgba(0,0,0,0)",
            "line": {"width": 0},
            "pattern": {
                "shape": "x" if kind == "hidden" else ".",
                "fgcolor": GAP_COLOURS[kind],
                "size": 8,
                "solidity": 0.15 if kind == "hidden" else 0.3,
            },
        },
        "hovertemplate": f"{name}<extra></extra>",
        "legendrank": 2000,  # after the series
        "meta": {"role": kind},
    }


_TEMPLATE = {
    "layout": {
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "xaxis": {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8"},
        "yaxis": {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "zerolinecolor": "#EBF0F8"},
    }
}


# -- matplotlib: Word and PDF -----------------------------------------------------------------

TICK_FONT = 8
NOTE_FONT = 7
LEGEND_COLUMNS = 2
CHAR_WIDTH = 0.55
"""A character's width in a tick label, in units of the font size (DejaVu Sans, on average)."""


def tick_labels(categories: tuple[str, ...], axes_width_in: float) -> tuple[list[str], int]:
    """The period labels of a chart ``axes_width_in`` inches wide, each fitted into its slot
    and never cut: wrapped onto up to three lines (at its dash, else between words), or, when
    even that does not fit, whole on one line drawn at 30°. Returns the labels and the angle."""
    n = max(len(categories), 1)
    fits = max(4, int(axes_width_in / n * 72 / (TICK_FONT * CHAR_WIDTH)))
    out = []
    for text in categories:
        if len(text) <= fits:
            out.append(text)
        elif " – " in text:
            head, tail = text.split(" – ", 1)
            out.append(f"{head} –\n{tail}")
        else:
            out.append("\n".join(textwrap.wrap(text, fits, break_long_words=False)) or text)
    lines = [line for t in out for line in t.split("\n")]
    if max(map(len, lines), default=0) > fits or max(t.count("\n") for t in out) > 2:
        return list(categories), 30
    return out, 0


def to_png(spec: ChartSpec, *, width: float = 6.4, height: float = 2.9, dpi: int = 110) -> bytes:
    """The chart as a PNG, drawn by matplotlib's Agg backend (no display, no browser), in the
    language of the moment. A chart with nothing to show is its ``empty_sentence`` (the
    writers put the sentence in its place instead; this is the fallback).

    Drawn once per content: the image is kept by what the chart says, in which language and
    at which size (``png_key``), so Word and PDF, a second pack of the same report and another
    template showing the same chart reuse it (``PNG_CACHE_BYTES`` at most, least recently
    used first out)."""
    key = png_key(spec, width=width, height=height, dpi=dpi)
    png = cached_png(key)
    if png is None:
        png = _png(to_figure(spec, width=width, height=height, dpi=dpi))
        keep_png(key, png)
    return png


def png_in(lang: str, spec: ChartSpec) -> tuple[bytes, bytes]:
    """``spec`` drawn in ``lang`` with its ``png_key``: the work of a worker process (which
    starts in English), in this light module so a worker imports little more than matplotlib."""
    from evaluation.vocabulary.language import using

    with using(lang):
        return png_key(spec), to_png(spec)


WORKER_MODULES = (
    "evaluation.reports.charts",
    "evaluation.views.charts",
    "matplotlib.backends.backend_agg",
    "matplotlib.figure",
    "matplotlib.legend_handler",
    "matplotlib.ticker",
)
"""What a worker drawing charts imports (``png_in``): imported once in the fork server when it
is started for charts (``evaluation.workers.start_workers``), so a worker draws at once."""


def start_chart_workers() -> None:
    """Start this process's fork server with ``WORKER_MODULES`` imported, in the background,
    so that the charts of a report about to be written are drawn in worker processes that
    need no imports of their own (``reports.pack.draw_charts``). Cheap to import and to call
    first thing: the command line's ``report`` does, before its own imports."""
    from evaluation.workers import start_workers

    start_workers(WORKER_MODULES)


PNG_CACHE_BYTES = 64 * 2**20
"""The most the chart images kept by ``to_png`` hold (~2 000 charts of ~30 KB)."""
_PNGS: OrderedDict[bytes, bytes] = OrderedDict()
_PNG_LOCK = threading.Lock()
_png_bytes = 0


def png_key(
    spec: ChartSpec,
    *,
    width: float = 6.4,
    height: float = 2.9,
    dpi: int = 110,
    lang: str | None = None,
) -> bytes:
    """What a chart's image depends on, as a digest: everything the chart says (its ``repr``
    holds every title, label, value, gap and note exactly), the language its numbers, legend
    and axis words are drawn in (default: the language of the moment) and its size."""
    text = repr((spec, lang or current(), float(width), float(height), int(dpi)))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=20).digest()


def cached_png(key: bytes) -> bytes | None:
    """The image drawn before under ``key`` (``png_key``), or None."""
    with _PNG_LOCK:
        png = _PNGS.get(key)
        if png is not None:
            _PNGS.move_to_end(key)
        return png


def keep_png(key: bytes, png: bytes) -> None:
    """Keep ``png`` under ``key``, dropping the least recently used images beyond
    ``PNG_CACHE_BYTES``."""
    global _png_bytes
    with _PNG_LOCK:
        old = _PNGS.pop(key, None)
        _png_bytes += len(png) - (len(old) if old is not None else 0)
        _PNGS[key] = png
        while _png_bytes > PNG_CACHE_BYTES and len(_PNGS) > 1:
            _key, dropped = _PNGS.popitem(last=False)
            _png_bytes -= len(dropped)


def clear_pngs() -> None:
    """Forget every kept chart image."""
    global _png_bytes
    with _PNG_LOCK:
        _PNGS.clear()
        _png_bytes = 0


def to_figure(spec: ChartSpec, *, width: float = 6.4, height: float = 2.9, dpi: int = 110) -> Any:
    """The matplotlib ``Figure`` that ``to_png`` saves (its axes, ticks and legend can be read
    back: the tests do)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.legend_handler import HandlerLine2D
    from matplotlib.ticker import MaxNLocator

    from evaluation.views.charts import gap_name

    lang = current()
    empty = spec.empty_sentence
    if empty is not None:  # the title and the sentence, wrapped to the figure's width
        fits = max(20, int(width * 0.97 * 72 / (9 * CHAR_WIDTH)))
        lines = textwrap.wrap(empty, fits, break_long_words=False) or [empty]
        tall = 0.8 + (len(lines) - 1) * 9 * 1.25 / 72
        fig = Figure(figsize=(width, tall), dpi=dpi)
        fig.text(0.01, 1 - 0.25 / tall, spec.title, fontsize=10, va="center")
        fig.text(
            0.01,
            0.15 / tall,
            "\n".join(lines),
            fontsize=9,
            color="#555555",
            va="bottom",
            style="italic",
        )
        return fig
    spec = spec.drawn()
    fig = Figure(figsize=(width, height), dpi=dpi)
    ax = fig.add_subplot()
    xs = list(range(len(spec.categories)))
    nseries = max(len(spec.series), 1)
    top = _top(spec)
    handles: list[Any] = []
    gap_kinds: set[str] = set()
    w = 0.8 / nseries
    for n, s in enumerate(spec.series):
        colour = PALETTE[n % len(PALETTE)]
        ys = [_scale(spec, v) for v in s.values]
        yf = [float("nan") if y is None else y for y in ys]
        if spec.kind == "bar":
            offs = [x - 0.4 + w * (n + 0.5) for x in xs]
            handles.append(ax.bar(offs, [0 if y is None else y for y in ys], width=w, color=colour))
            handles[-1].set_label(s.name)
            for x, y in zip(offs, ys, strict=True):
                if y == 0:  # a bar of nothing: said, so the chart is not read as empty
                    ax.text(x, 0, "0", ha="center", va="bottom", fontsize=7, color="#333333")
            for i, x in enumerate(offs):
                kind = s.gap(i)
                if kind:
                    _png_gap(ax, x, w, top, kind)
                    gap_kinds.add(kind)
            continue
        for run in _runs(s):
            lo = [_scale(spec, s.low[i]) for i in run]
            hi = [_scale(spec, s.high[i]) for i in run]
            bx: list[float] = list(run)
            if len(run) == 1:
                bx = [run[0] - BAND_HALF_WIDTH, run[0] + BAND_HALF_WIDTH]
                lo, hi = lo * 2, hi * 2
            band = ax.fill_between(bx, lo, hi, color=colour, alpha=0.18, linewidth=0)  # type: ignore[arg-type]
            if n == 0 and not any(h.get_label() == _(INTERVAL) for h in handles):
                band.set_label(_(INTERVAL))
                handles.append(band)
        (line,) = ax.plot(xs, yf, color=colour, marker="o", markersize=4, linewidth=2)
        line.set_label(s.name)
        handles.insert(n, line)
    if spec.kind == "line":
        for kind, at in spec.gaps().items():
            for i in at:
                _png_gap(ax, i, 0.5, top, kind)
                gap_kinds.add(kind)
    if spec.target:
        (target,) = ax.plot(
            xs,
            [float("nan") if (y := _scale(spec, t)) is None else y for t in spec.target],
            linestyle="none",
            marker="_",
            markersize=16,
            markeredgewidth=2,
            color=TARGET_COLOUR,
        )
        target.set_label(_(TARGET))
        handles.append(target)
    marks_of: dict[Any, Any] = {}
    for kind in ("hidden", "no_data"):
        if kind in gap_kinds:
            handles.append(_gap_handle(kind, gap_name(kind, spec.min_count)))
            marks_of[handles[-1]] = HandlerLine2D(numpoints=GAP_MARKS[kind][3])
    right = 0.98
    labels, angle = tick_labels(spec.categories, width * (right - 0.1))
    left_in = 0.64
    if angle and labels:  # the first label, drawn at an angle, reaches left of the axes
        slot = width * (right - 0.1) / len(labels)
        reach = len(labels[0]) * TICK_FONT * CHAR_WIDTH / 72 * math.cos(math.radians(angle))
        left_in = max(left_in, reach - slot / 2 + 0.1)
    left = left_in / width
    ax.set_xticks(
        xs,
        labels,
        fontsize=TICK_FONT,
        rotation=angle,
        ha="right" if angle else "center",
        rotation_mode="anchor" if angle else "default",
    )
    ax.set_xlim(-0.5, len(xs) - 0.5)
    ax.tick_params(axis="y", labelsize=TICK_FONT)
    ax.set_title(spec.title, loc="left", fontsize=10)
    if spec.value_format == "percent":
        ax.set_ylim(0, 100)
        ax.yaxis.set_major_formatter(lambda v, _pos: numbers.percent(v / 100, lang))
    else:
        ax.set_ylim(0, top * 1.08)
        if spec.whole:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
            ax.yaxis.set_major_formatter(lambda v, _pos: numbers.count(v, lang))
        else:
            ax.yaxis.set_major_formatter(lambda v, _pos: numbers.number(v, lang))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    show_legend = len(spec.series) > 1 or spec.has_band or bool(gap_kinds) or bool(spec.target)
    # below the axes, from the bottom up, in inches: the note, the legend, the tick labels
    font_in = TICK_FONT / 72
    if angle:
        longest = max(map(len, labels), default=0) * font_in * CHAR_WIDTH
        ticks_in = 0.1 + longest * math.sin(math.radians(angle)) + font_in
    else:
        ticks_in = 0.1 + max((t.count("\n") + 1 for t in labels), default=1) * font_in * 1.25
    columns, lines = legend_layout([str(h.get_label()) for h in handles], width)
    for handle, text in zip(handles, lines, strict=True):
        handle.set_label(text)
    rows = 0
    if show_legend:
        for k in range(0, len(lines), columns):
            rows += max(t.count("\n") + 1 for t in lines[k : k + columns])
    legend_in = (rows * 12 + 6) / 72 if show_legend else 0
    note_fits = max(20, int(width * 0.97 * 72 / (NOTE_FONT * CHAR_WIDTH)))
    note = "\n".join(textwrap.wrap(spec.note, note_fits, break_long_words=False))
    note_in = 0.2 + note.count("\n") * NOTE_FONT * 1.25 / 72 if note else 0
    below = 0.08 + note_in + legend_in + ticks_in
    height_in = height + max(0.0, below - 0.12 * height)
    fig.set_size_inches(width, height_in)
    axes_in = height_in - 0.35 - below  # the axis title wraps to the axes' height, never cut
    fits = max(12, int(axes_in * 72 / (TICK_FONT * CHAR_WIDTH)))
    y_title = "\n".join(textwrap.wrap(spec.y_title, fits, break_long_words=False))
    ax.set_ylabel(y_title, fontsize=TICK_FONT)
    left += 1.25 * TICK_FONT / 72 * y_title.count("\n") / width
    if note:
        fig.text(0.01, 0.06 / height_in, note, fontsize=NOTE_FONT, color="#555555", va="bottom")
    if show_legend:
        fig.legend(
            handles=handles,
            fontsize=7,
            frameon=False,
            loc="lower left",
            bbox_to_anchor=(0.0, (0.04 + note_in) / height_in),
            ncols=columns,
            handler_map=marks_of,
        )
    # fixed margins instead of tight_layout, which draws the figure a second time
    fig.subplots_adjust(left=left, right=right, top=1 - 0.35 / height_in, bottom=below / height_in)
    return fig


LEGEND_FONT = 7
LEGEND_HANDLE_EM = 4.0
"""A legend entry's handle, the gap after it and the space to the next column, in ems."""


def legend_layout(labels: list[str], width_in: float) -> tuple[int, list[str]]:
    """How a chart ``width_in`` inches wide sets its legend below the axes, never cut at the
    figure's edge: ``LEGEND_COLUMNS`` columns when the widest entries fit side by side, else one
    entry a line, an entry too long for the line wrapped between words. Returns the columns
    and the labels (with their line breaks)."""
    em = LEGEND_FONT / 72
    room = width_in * 0.97

    def entry_in(text: str) -> float:
        return (len(text) * CHAR_WIDTH + LEGEND_HANDLE_EM) * em

    widest = max((entry_in(t) for t in labels), default=0.0)
    if LEGEND_COLUMNS * widest <= room:
        return LEGEND_COLUMNS, list(labels)
    fits = max(10, int(room / em / CHAR_WIDTH - LEGEND_HANDLE_EM / CHAR_WIDTH))
    return 1, ["\n".join(textwrap.wrap(t, fits, break_long_words=False)) or t for t in labels]


GAP_MARKS = {"hidden": ("x", 5.0, 1.4, 2), "no_data": ("o", 2.2, 0.0, 3)}
"""The legend's mark of a gap (matplotlib marker, size, edge width, how many): the crosses
and dots of its hatched column, drawn as markers, whole at any size (a hatched swatch is cut
to a stray stroke or two by its small box)."""


def _gap_handle(kind: str, label: str) -> Any:
    """The legend entry of a hidden or missing figure: a row of its column's marks."""
    from matplotlib.lines import Line2D

    marker, size, edge, _count = GAP_MARKS[kind]
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=size,
        markeredgewidth=edge,
        color=GAP_COLOURS[kind],
        label=label,
    )


def _png_gap(ax: Any, x: float, w: float, top: float, kind: str) -> None:
    """A hidden (crosses) or missing (dots) figure: a hatched column, visibly not a zero."""
    from matplotlib.patches import Rectangle

    ax.add_patch(
        Rectangle(
            (x - w / 2, 0),
            w,
            top,
            facecolor="none",
            edgecolor=GAP_COLOURS[kind],
            hatch=GAP_HATCHES[kind],
            linewidth=0,
        )
    )


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 3})
    return buf.getvalue()
