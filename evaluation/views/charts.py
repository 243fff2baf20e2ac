"""Charts of an indicator's tidy rows, chosen by the kind of value.

* proportions and shares: lines over the periods on a 0–100 % axis, with the 95 % Wilson
  interval as a shaded band where the engine gives one;
* counts and totals (``AMOUNT_KINDS``): bars, on an axis of whole numbers;
* ratios, medians and months: lines from zero;
* a split request: grouped bars by split value, one small chart per programme;
* many programmes: one small chart each rather than a tangle of lines;
* a single period: programmes side by side instead of a one-point "trend".

Suppressed and ``no_data`` points are gaps, never zeros: a hidden figure is a column of grey
crosses, a missing one a column of pale dots, and the legend says why each is empty
(``vocabulary.marks``); a band or target line breaks at a gap instead of crossing it. A period
that is not over yet has an open marker or a hatched bar. The chart starts at the first period
with a figure, and a small chart with no figure at all is left out (the subtitle names it).
A chart with nothing to show at all is one sentence instead (:func:`empty_sentence`).

Every text is translated into the language of the moment; periods are named by
``periods.label``, code values by ``codes.code_label``, and Plotly's own numbers (axis ticks,
hover) use the language's decimal and thousands signs (``layout.separators``). Colours are the
Okabe–Ito palette, distinguishable with the common colour-vision deficiencies, ordered so the
first few are the most distinct; every figure is a ``plotly.graph_objects.Figure`` readable at
1280 px.
"""

from __future__ import annotations

import math
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd
from babel.numbers import get_decimal_symbol, get_group_symbol

from evaluation.measures.engine import as_number
from evaluation.periods import PeriodError, from_days, label
from evaluation.vocabulary import marks, numbers
from evaluation.vocabulary.codes import code_label, code_order
from evaluation.vocabulary.hyphens import broken
from evaluation.vocabulary.kinds import AMOUNT_KINDS, PERCENT_KINDS
from evaluation.vocabulary.language import N_, _, current, n_

if TYPE_CHECKING:  # Plotly is imported where a figure is drawn: the reports use only the
    import plotly.graph_objects as go  # shared helpers below and draw with matplotlib.

PALETTE = ("#0072B2", "#D55E00", "#56B4E9", "#CC79A7", "#E69F00", "#009E73", "#F0E442")
"""Okabe–Ito without black (it would read as the dark grey target line), ordered so that the
first two, three, four … colours are as far apart as the palette allows, for normal vision and
the three colour-vision deficiencies alike; yellow last: it has the least contrast on white."""
TARGET_COLOUR = "#444444"
MAX_SERIES = 6
"""More programmes than this in one chart become one small chart per programme."""
MAX_BAND_SERIES = 3
"""Intervals of more lines than this overlap into a blur: one small chart per programme."""
PANEL_COLUMNS = 3
MAX_PANELS = 12
"""Most programmes drawn as small multiples (or trend lines) in one figure."""
MAX_BARS = 40
"""Most programmes side by side in a chart of one period."""
WIDE_PERIODS = 4
"""Small charts with more periods than this (or grouped bars) go two, not three, abreast."""
MAX_NAMED_BARS = 10
"""Most programmes of a one-period chart whose names stand level, wrapped onto lines
(``NAME_WIDTH`` characters); more are tilted."""
NAME_WIDTH = 13
BAND_HALF_WIDTH = 0.15
TICK_WIDTH = 12
"""Period tick labels longer than this many characters are wrapped onto two lines (never cut)."""
SUBTITLE_WIDTH = 110
"""Characters of a subtitle line (Plotly does not wrap it)."""
MIN_COUNT = 5
"""The smallest count shown, as the legend of a hidden figure says ("fewer than 5")."""
ALL_PROGRAMMES = N_("All programmes")
NOT_SPLIT = N_("Not split (programme level)")
EMPTY_HIDDEN = N_("Every value of this chart is hidden to protect small numbers.")
EMPTY_NO_DATA = N_("There is no data for this chart in the period.")
ROLE_VALUE, ROLE_HIDDEN, ROLE_NO_DATA, ROLE_BAND, ROLE_TARGET = (
    "value",
    "hidden",
    "no_data",
    "band",
    "target",
)
"""What a trace draws, in its ``meta["role"]``: only ``value`` traces are figures; the others
(gap columns, interval bands, target lines) draw around them and never make a chart non-empty."""
HIDDEN, NO_DATA = ROLE_HIDDEN, ROLE_NO_DATA
"""The two kinds of gap."""
GAP_PATTERNS = {HIDDEN: "x", NO_DATA: "."}
GAP_COLOURS = {HIDDEN: "#6f6f6f", NO_DATA: "#b5b5b5"}
"""A hidden figure is a column of dark grey crosses, a missing one of pale grey dots."""
FONT = {"size": 14}


class Described(Protocol):
    """What a chart needs to know about its indicator (a catalogue ``Indicator`` or an
    ``explore.IndicatorResult``)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def unit(self) -> str: ...


# -- what the page and report charts share -----------------------------------------------------


def empty_sentence(chart: object, *, hidden: bool | None = None) -> str | None:
    """The one sentence that stands for a chart with nothing to show, or ``None`` when it has
    something to show. Draw the chart only when this is ``None``; otherwise show the sentence
    (a caption, a paragraph of the report) in its place.

    ``chart`` is any of:

    * a Plotly ``Figure``, or its dict (``{"data": [...], "layout": {...}}``, as
      ``reports.charts.plotly_dict`` returns): empty when no trace shows a number. A trace whose
      ``meta`` is ``{"role": ...}`` other than ``"value"`` (a gap column, a 95 % band, a target
      line) does not count; a trace without a role counts by its numbers (``y``; ``x`` of a
      horizontal bar or a funnel; ``values`` of a pie; ``z`` of a heatmap);
    * a ``reports.charts.ChartSpec``: empty when no series has a value;
    * a tidy frame (``value``, ``suppressed``, ``status`` columns): empty when every row is a
      gap (:func:`is_gap`) or there are no rows;
    * ``None`` or an empty sequence: no data.

    Which sentence: "hidden" when ``hidden`` says so, else when the chart says any of its
    figures is hidden (a frame's ``suppressed`` rows; a figure's ``layout.meta["hidden"]`` count
    or a trace with the role ``"hidden"``; a spec whose series mark a value hidden); otherwise
    "no data". Both are translated into the language of the moment.
    """
    shown, any_hidden = _contents(chart)
    if shown:
        return None
    if hidden is None:
        hidden = any_hidden
    return _(EMPTY_HIDDEN) if hidden else _(EMPTY_NO_DATA)


def _contents(chart: object) -> tuple[bool, bool]:
    """(has a value to show, has a hidden figure) of what ``empty_sentence`` accepts."""
    if chart is None:
        return False, False
    if isinstance(chart, pd.DataFrame):
        if chart.empty:
            return False, False
        hid = (
            bool(chart["suppressed"].astype("boolean").fillna(False).any())
            if "suppressed" in chart
            else False
        )
        return bool((~is_gap(chart)).any()), hid
    plotly_go = sys.modules.get("plotly.graph_objects")  # no Figure exists before its import
    if plotly_go is not None and isinstance(chart, plotly_go.Figure):
        chart = chart.to_plotly_json()
    if isinstance(chart, Mapping) and "data" in chart:
        layout = chart.get("layout") or {}
        meta = layout.get("meta") if isinstance(layout, Mapping) else None
        hid = bool(meta.get("hidden")) if isinstance(meta, Mapping) else False
        shown = False
        for trace in chart.get("data") or ():
            role = _role(trace)
            hid = hid or role == ROLE_HIDDEN
            if role == ROLE_VALUE and not shown:
                shown = any(as_number(v) is not None for v in _trace_numbers(trace))
        return shown, hid
    series = getattr(chart, "series", None)
    if series is not None:  # a reports.charts.ChartSpec
        shown = any(as_number(v) is not None for s in series for v in s.values)
        hid = any(any(getattr(s, "hidden", ()) or ()) for s in series)
        return shown, hid
    if isinstance(chart, Sequence) and not isinstance(chart, str) and not chart:
        return False, False
    raise TypeError(f"empty_sentence cannot read a {type(chart).__name__}")


def _role(trace: Any) -> str:
    meta = trace.get("meta") if isinstance(trace, Mapping) else getattr(trace, "meta", None)
    role = meta.get("role") if isinstance(meta, Mapping) else None
    return str(role) if role else ROLE_VALUE


def _trace_numbers(trace: Any) -> list[object]:
    get = trace.get if isinstance(trace, Mapping) else lambda k: getattr(trace, k, None)
    kind = get("type") or "scatter"
    if kind == "pie":
        key = "values"
    elif kind in ("heatmap", "contour", "histogram2d"):
        key = "z"
    elif get("orientation") == "h" or (kind == "funnel" and get("orientation") != "v"):
        key = "x"
    else:
        key = "y"
    values = get(key)
    if values is None:
        return []
    if isinstance(values, Mapping) and "bdata" in values:  # plotly's packed typed array
        import base64

        import numpy as np

        return list(np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]))
    flat: list[object] = []
    for v in values:
        if isinstance(v, list | tuple):
            flat.extend(v)
        else:
            flat.append(v)
    return flat


def separators(lang: str | None = None) -> str:
    """Plotly's ``layout.separators`` for ``lang`` (the language of the moment by default): its
    decimal sign, then its thousands sign, from Babel's locale data: ``.,`` English, ``,.``
    German, so ``1,234.5`` reads ``1.234,5``."""
    lang = lang or current()
    return f"{get_decimal_symbol(lang)}{get_group_symbol(lang)}"


PERCENT_TICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
"""The ticks of a 0–100 % axis."""


def percent_ticks(
    values: Sequence[float] = PERCENT_TICKS, lang: str | None = None
) -> dict[str, Any]:
    """A 0–100 % axis's ticks as the language writes a percent, the way every table and text
    of the platform writes it (``numbers.percent``: ``100 %``, ``0 %``), not d3's ``100%``:
    ``fig.update_yaxes(**percent_ticks())``. (d3's ``%`` format cannot put a space before the
    sign, so the tick texts are given.)"""
    lang = lang or current()
    return {
        "tickmode": "array",
        "tickvals": list(values),
        "ticktext": [numbers.percent(v, lang) for v in values],
    }


def period_name(start: date, end: date, lang: str | None = None) -> str:
    """A period named by its first and last day, as ``periods.label`` names it in ``lang``."""
    period = from_days(start, end)
    try:
        return label(period, lang or current())
    except PeriodError:  # a language the label function does not speak (yet)
        return label(period)


def tick_text(text: str, width: int = TICK_WIDTH) -> str:
    """An axis tick label that is never cut: a long one is wrapped onto lines (``<br>``), at its
    dash (``1 Apr –<br>30 Sep 2025``) or between words."""
    if len(text) <= width:
        return text
    if " – " in text:
        head, tail = text.split(" – ", 1)
        return f"{head} –<br>{tail}"
    return "<br>".join(textwrap.wrap(text, width, break_long_words=False)) or text


def name_text(text: str, width: int = TICK_WIDTH) -> str:
    """A programme's name as a tick label under its bar: wrapped onto lines of at most
    ``width`` characters between words, a word longer than a line broken with a hyphen where
    the language breaks it (``Angehörigen-<br>beratung``), so neighbouring names never run
    into each other."""
    lang = current()
    words = [piece for word in text.split() for piece in broken(word, width, lang)]
    lines: list[str] = []
    for word in words:
        if lines and not lines[-1].endswith("-") and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines) or text


def count_step(top: float, ticks: int = 6) -> int:
    """The distance between ticks of a count axis from 0 to ``top``: a whole 1, 2 or 5 × 10ⁿ
    giving at most about ``ticks`` ticks, so a count axis never shows 2.5 people."""
    rough = max(top, 1.0) / ticks
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    for step in (1, 2, 5, 10):
        if step * power >= rough:
            return max(1, int(step * power))
    return max(1, int(10 * power))  # pragma: no cover


def gap_name(kind: str, min_count: int = MIN_COUNT) -> str:
    """The legend entry of a gap, saying why it is empty (``vocabulary.marks``)."""
    if kind == HIDDEN:
        return _(marks.HIDDEN_LEGEND, n=min_count)
    return _(marks.NO_DATA_LEGEND)


# -- the explorer's chart ---------------------------------------------------------------------


@dataclass
class _Series:
    name: str
    colour: str
    x: list[float] = field(default_factory=list)
    y: list[float | None] = field(default_factory=list)
    low: list[float | None] = field(default_factory=list)
    high: list[float | None] = field(default_factory=list)
    target: list[float | None] = field(default_factory=list)
    partial: list[bool] = field(default_factory=list)
    hover: list[str] = field(default_factory=list)
    gap: list[str | None] = field(default_factory=list)
    """``HIDDEN``, ``NO_DATA`` or ``None`` (a value is drawn) per point."""

    @property
    def shown(self) -> bool:
        return any(g is None for g in self.gap)


def _split_label(column: str, value: object) -> str:
    if isinstance(value, str) and value == "*":
        return _(NOT_SPLIT)
    return code_label(column, value)


def is_gap(frame: pd.DataFrame) -> pd.Series:
    """Rows drawn as gaps: suppressed, ``no_data``, or without a value."""
    suppressed = frame["suppressed"].astype("boolean").fillna(False).astype(bool)
    return suppressed | (frame["status"] == "no_data") | frame["value"].isna()


def gap_note(frame: pd.DataFrame) -> str | None:
    """A sentence saying how many points are gaps and why, or ``None`` when there are none."""
    counts = _gap_counts(frame)
    return _("Gaps, not zeros: {gaps}.", gaps=counts) if counts else None


def _hidden_count(frame: pd.DataFrame) -> int:
    return int(frame["suppressed"].astype("boolean").fillna(False).sum()) if len(frame) else 0


def _gap_counts(frame: pd.DataFrame) -> str | None:
    if frame.empty:
        return None
    suppressed = _hidden_count(frame)
    no_data = int((is_gap(frame) & ~frame["suppressed"].astype("boolean").fillna(False)).sum())
    parts = []
    if suppressed:
        parts.append(
            n_(
                "{n} hidden to protect small numbers",
                "{n} hidden to protect small numbers",
                suppressed,
            )
        )
    if no_data:
        parts.append(n_("{n} without data", "{n} without data", no_data))
    if len(parts) == 2:
        return _("{first} and {second}", first=parts[0], second=parts[1])
    return parts[0] if parts else None


def _period_axis(
    frame: pd.DataFrame,
    labels: Mapping[tuple[date, date], str] | None,
) -> tuple[dict[tuple[object, object], int], list[str]]:
    keys = sorted(
        set(zip(frame["period_start"], frame["period_end"], strict=True)),
        key=lambda k: (str(k[0]), str(k[1])),
    )
    labels = labels or {}
    text = [labels.get(k) or period_name(k[0], k[1]) for k in keys]
    return {k: n for n, k in enumerate(keys)}, text


def _from_first_shown(frame: pd.DataFrame) -> tuple[pd.DataFrame, tuple[Any, Any] | None]:
    """``frame`` from the first period in which any figure is shown, and that period's days
    (``None`` when nothing is left out)."""
    keys = sorted(
        set(zip(frame["period_start"], frame["period_end"], strict=True)),
        key=lambda k: (str(k[0]), str(k[1])),
    )
    if len(keys) < 2:
        return frame, None
    shown = frame[~is_gap(frame)]
    firsts = sorted(
        set(zip(shown["period_start"], shown["period_end"], strict=True)),
        key=lambda k: (str(k[0]), str(k[1])),
    )
    if not firsts or firsts[0] == keys[0]:
        return frame, None
    first = firsts[0]
    keep = frame["period_start"].astype(str) >= str(first[0])
    return frame[keep], first


def _unit(ind: Described) -> str:
    return _(ind.unit) if ind.unit else ""


def _title(ind: Described) -> str:
    unit = _unit(ind)
    if ind.kind in PERCENT_KINDS:
        unit = f"{unit}, %" if unit else "%"
    return f"{ind.id} · {_(ind.name)} ({unit})" if unit else f"{ind.id} · {_(ind.name)}"


def _hover(
    row: Mapping[Any, Any] | pd.Series, where: str, kind: str, unit: str, min_count: int
) -> str:
    lang = current()
    value = as_number(row["value"])
    lines = [where]
    if row.get("suppressed"):
        return f"{where}<br>{gap_name(HIDDEN, min_count)}"
    if row.get("status") == "no_data" or value is None:
        return f"{where}<br>{gap_name(NO_DATA)}"
    lines.append(f"<b>{numbers.figure(value, kind, unit, lang)}</b>")
    low, high = as_number(row.get("ci_low")), as_number(row.get("ci_high"))
    if low is not None and high is not None:
        shown = (
            numbers.interval(low, high, lang)
            if kind in PERCENT_KINDS
            else _(
                "{low} to {high}",
                low=numbers.figure(low, kind, unit, lang),
                high=numbers.figure(high, kind, unit, lang),
            )
        )
        lines.append(_("95 % interval {interval}", interval=shown))
    num, den = as_number(row.get("numerator")), as_number(row.get("denominator"))
    if num is not None and den is not None:
        lines.append(
            _("{num} of {den}", num=numbers.count(num, lang), den=numbers.count(den, lang))
            if kind == "proportion"
            else _("n = {n}", n=numbers.count(den, lang))
        )
    target = as_number(row.get("target"))
    if target is not None:
        lines.append(_("target {target}", target=numbers.figure(target, kind, unit, lang)))
    if row.get("status") == "partial_period":
        lines.append(_("period not over yet"))
    return "<br>".join(lines)


def _series(
    rows: pd.DataFrame,
    name: str,
    colour: str,
    x_of: Mapping[Any, int],
    x_key: str | tuple[str, str],
    where: Sequence[str],
    kind: str,
    unit: str,
    min_count: int = MIN_COUNT,
) -> _Series:
    s = _Series(name, colour)
    gaps = is_gap(rows).to_numpy()
    hidden = rows["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    for (_i, row), gap, place, hid in zip(rows.iterrows(), gaps, where, hidden, strict=True):
        key = (row[x_key[0]], row[x_key[1]]) if isinstance(x_key, tuple) else row[x_key]
        s.x.append(float(x_of[key]))
        s.y.append(None if gap else as_number(row["value"]))
        s.low.append(None if gap else as_number(row.get("ci_low")))
        s.high.append(None if gap else as_number(row.get("ci_high")))
        # a target is drawn where the figure is: never a line across hidden periods
        s.target.append(None if gap else as_number(row.get("target")))
        s.partial.append(row.get("status") == "partial_period")
        s.hover.append(_hover(row, place, kind, unit, min_count))
        s.gap.append((HIDDEN if hid else NO_DATA) if gap else None)
    return s


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _band_traces(s: _Series, connect: bool) -> list[go.Scatter]:
    """The 95 % interval as shaded polygons, one per run of consecutive points that have one
    (a lone point gets a narrow box), so a gap in the line is a gap in the band too."""
    import plotly.graph_objects as go

    runs: list[list[int]] = []
    for i in range(len(s.x)):
        if s.low[i] is None or s.high[i] is None:
            continue
        if connect and runs and runs[-1][-1] == i - 1 and s.x[i - 1] == s.x[i] - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    traces = []
    for run in runs:
        if len(run) == 1:
            x0, lo, hi = s.x[run[0]], s.low[run[0]], s.high[run[0]]
            xs = [
                x0 - BAND_HALF_WIDTH,
                x0 + BAND_HALF_WIDTH,
                x0 + BAND_HALF_WIDTH,
                x0 - BAND_HALF_WIDTH,
            ]
            ys = [hi, hi, lo, lo]
        else:
            xs = [s.x[i] for i in run] + [s.x[i] for i in reversed(run)]
            ys = [s.high[i] for i in run] + [s.low[i] for i in reversed(run)]
        traces.append(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                fill="toself",
                fillcolor=_rgba(s.colour, 0.18),
                line={"width": 0, "color": _rgba(s.colour, 0.0)},
                hoverinfo="skip",
                name=_("95 % interval ({name})", name=s.name),
                legendgroup=s.name,
                showlegend=False,
                meta={"role": ROLE_BAND},
            )
        )
    return traces


def _target_trace(
    s: _Series, colour: str, name: str, show_legend: bool, kind: str
) -> go.Scatter | None:
    import plotly.graph_objects as go

    if all(t is None for t in s.target):
        return None
    return go.Scatter(
        x=s.x,
        y=s.target,
        mode="lines+markers",
        name=name,
        legendgroup=f"target {s.name}",
        line={"dash": "dash", "color": colour, "width": 2},
        marker={"symbol": "line-ew-open", "size": 22, "color": colour, "line": {"width": 2}},
        connectgaps=False,
        showlegend=show_legend,
        hovertext=[f"{name}: {numbers.figure(as_number(t), kind)}" for t in s.target],
        hovertemplate="%{hovertext}<extra></extra>",
        meta={"role": ROLE_TARGET},
    )


def _line_traces(s: _Series, connect: bool, show_legend: bool) -> list[go.Scatter]:
    import plotly.graph_objects as go

    traces: list[go.Scatter] = _band_traces(s, connect)
    traces.append(
        go.Scatter(
            x=s.x,
            y=s.y,
            mode="lines+markers" if connect else "markers",
            name=s.name,
            legendgroup=s.name,
            showlegend=show_legend,
            connectgaps=False,
            cliponaxis=False,
            line={"color": s.colour, "width": 3},
            marker={
                "color": s.colour,
                "size": 10 if connect else 13,
                "symbol": ["circle-open" if p else "circle" for p in s.partial],
                "line": {"width": 2, "color": s.colour},
            },
            hovertext=s.hover,
            hovertemplate="%{hovertext}<extra></extra>",
            meta={"role": ROLE_VALUE},
        )
    )
    return traces


def _bar_trace(s: _Series, show_legend: bool, errors: bool) -> go.Bar:
    import plotly.graph_objects as go

    error = None
    if errors and any(v is not None for v in s.low):
        error = {
            "type": "data",
            "symmetric": False,
            "color": TARGET_COLOUR,
            "thickness": 1.5,
            "array": [
                None if y is None or h is None else h - y for y, h in zip(s.y, s.high, strict=True)
            ],
            "arrayminus": [
                None if y is None or lo is None else y - lo
                for y, lo in zip(s.y, s.low, strict=True)
            ],
        }
    return go.Bar(
        x=s.x,
        y=s.y,
        name=s.name,
        legendgroup=s.name,
        showlegend=show_legend,
        offsetgroup=s.name,
        marker={
            "color": s.colour,
            "line": {"color": s.colour, "width": 1.5},
            "pattern": {
                "shape": ["/" if p else "" for p in s.partial],
                "fgcolor": "white",
                "solidity": 0.4,
            },
        },
        error_y=error,
        hovertext=s.hover,
        hovertemplate="%{hovertext}<extra></extra>",
        meta={"role": ROLE_VALUE},
    )


def _gap_trace(
    kind: str,
    xs: list[float],
    hovers: list[str],
    top: float,
    offsetgroup: str | None,
    show_legend: bool,
) -> go.Bar:
    """Faint patterned columns where a value is hidden (crosses) or missing (dots): visibly not
    a zero bar, and visibly not the same as each other."""
    import plotly.graph_objects as go

    return go.Bar(
        x=xs,
        y=[top] * len(xs),
        name=gap_name(kind),
        legendgroup=kind,
        showlegend=show_legend,
        offsetgroup=offsetgroup,
        width=None if offsetgroup else 0.5,
        marker={
            "color": "rgba(0, 0, 0, 0)",
            "line": {"width": 0},
            "pattern": {
                "shape": GAP_PATTERNS[kind],
                "fgcolor": GAP_COLOURS[kind],
                "bgcolor": "rgba(0, 0, 0, 0)",
                "size": 8,
                "solidity": 0.15 if kind == HIDDEN else 0.3,
            },
        },
        hovertext=hovers,
        hovertemplate="%{hovertext}<extra></extra>",
        legendrank=2000,  # after the series
        meta={"role": kind},
    )


def _series_gaps(s: _Series, top: float, seen: set[str]) -> list[go.Bar]:
    """A bar series' gaps, in the series' own slot of each group."""
    out = []
    for kind in GAP_PATTERNS:
        points = [(x, h) for x, h, g in zip(s.x, s.hover, s.gap, strict=True) if g == kind]
        if points:
            out.append(
                _gap_trace(
                    kind,
                    [p[0] for p in points],
                    [p[1] for p in points],
                    top,
                    s.name,
                    kind not in seen,
                )
            )
            seen.add(kind)
    return out


def _panel_gaps(series: list[_Series], top: float, seen: set[str]) -> list[go.Bar]:
    """A line panel's gaps: a column where no series has a value ("hidden" wins). Where only
    some lines have a gap, the break in the line shows it (and the subtitle counts it)."""
    at: dict[float, tuple[str, list[str]]] = {}
    drawn: set[float] = set()
    for s in series:
        for x, h, g in zip(s.x, s.hover, s.gap, strict=True):
            if g is None:
                drawn.add(x)
            else:
                kind, hovers = at.get(x, (NO_DATA, []))
                at[x] = (HIDDEN if HIDDEN in (kind, g) else NO_DATA, [*hovers, h])
    at = {x: v for x, v in at.items() if x not in drawn}
    out = []
    for kind in GAP_PATTERNS:
        xs = sorted(x for x, (k, _h) in at.items() if k == kind)
        if xs:
            out.append(
                _gap_trace(
                    kind, xs, ["<br>".join(at[x][1]) for x in xs], top, None, kind not in seen
                )
            )
            seen.add(kind)
    return out


def _has_band(frame: pd.DataFrame, kind: str) -> bool:
    return kind not in AMOUNT_KINDS and bool(frame["ci_low"].notna().any())


def _top(frame: pd.DataFrame, kind: str) -> float:
    if kind in PERCENT_KINDS:
        return 1.0
    shown = ~is_gap(frame)
    values = pd.to_numeric(frame["value"], errors="coerce").where(shown)
    if "target" in frame:
        values = pd.concat([values, pd.to_numeric(frame["target"], errors="coerce").where(shown)])
    if kind not in AMOUNT_KINDS and "ci_high" in frame:
        values = pd.concat([values, pd.to_numeric(frame["ci_high"], errors="coerce").where(shown)])
    top = values.max()
    return float(top) if pd.notna(top) and top > 0 else 1.0


def _notes(frame: pd.DataFrame, ind: Described, bars: bool) -> list[str]:
    notes = []
    if ind.kind == "proportion" and frame["ci_low"].notna().any():
        notes.append(_("Bars: 95 % interval.") if bars else _("Shaded: 95 % interval."))
    if (frame["status"] == "partial_period").any():
        notes.append(
            _("Striped bars: period not over yet.")
            if bars
            else _("Open markers: period not over yet.")
        )
    if "target" in frame and pd.to_numeric(frame["target"], errors="coerce").notna().any():
        notes.append(_("Dashed: target."))
    gaps = _gap_counts(frame)
    if gaps:
        notes.append(_("Grey crosses and dots mark gaps, not zeros: {gaps}.", gaps=gaps))
    return notes


def _lines(sentences: Sequence[str], width: int = SUBTITLE_WIDTH) -> list[str]:
    """Sentences packed into lines of at most ``width`` characters (Plotly does not wrap a
    subtitle); a sentence is broken only when it is longer than a line by itself."""
    lines: list[str] = []
    for sentence in sentences:
        if lines and len(lines[-1]) + 1 + len(sentence) <= width:
            lines[-1] += f" {sentence}"
        else:
            lines += textwrap.wrap(sentence, width, break_long_words=False)
    return lines or [""]


def _panel_grid(names: list[str], wide: bool) -> tuple[int, int]:
    cols = min(2 if wide else PANEL_COLUMNS, max(1, len(names)))
    return math.ceil(len(names) / cols), cols


def _empty(ind: Described, message: str, hidden: int) -> go.Figure:
    """A chart with nothing to show: its title and one sentence, no axes and no traces."""
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_annotation(
        text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font=FONT
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(
        title={"text": _title(ind)},
        height=200,
        font=FONT,
        template="plotly_white",
        separators=separators(),
        meta={"empty": message, "hidden": hidden},
    )
    return fig


def indicator_figure(
    frame: pd.DataFrame,
    indicator: Described,
    *,
    split: str | None = None,
    period_labels: Mapping[tuple[date, date], str] | None = None,
    programme_names: Mapping[str, str] | None = None,
    min_count: int = MIN_COUNT,
) -> go.Figure:
    """The chart of one indicator's tidy rows (``frame`` holds that indicator only), in the
    language of the moment.

    ``split`` is the split column of the request (``None``: by programme, or one total);
    ``period_labels`` names the periods (``2025 Q1``) by their first and last day; a period it
    does not name is labelled by ``periods.label``. ``programme_names`` names the programmes
    by id (their ids otherwise). ``min_count`` is what the legend of a hidden figure says
    ("fewer than 5"). With nothing to show, the figure is its title and one sentence
    (:func:`empty_sentence` of it returns that sentence, so a page can show it instead).
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    hidden_n = _hidden_count(frame)
    sentence = empty_sentence(frame)
    if sentence is not None:
        return _empty(indicator, sentence, hidden_n)
    kind = indicator.kind
    bars = kind in AMOUNT_KINDS
    frame, started = _from_first_shown(frame.reset_index(drop=True))
    x_of, period_text = _period_axis(frame, period_labels)
    names = dict(programme_names or {})
    programmes = list(
        dict.fromkeys(sorted(frame["programme_id"].astype(str), key=lambda p: (p == "*", p)))
    )
    notes: list[str] = []
    if started is not None:
        notes.append(
            _(
                "Starts at {period}: every figure before it is hidden or has no data.",
                period=period_text[x_of[started]],
            )
        )
    panel_mode = (split is not None and split in frame.columns) or frame[
        ["period_start", "period_end"]
    ].drop_duplicates().shape[0] > 1
    limit = MAX_PANELS if panel_mode else MAX_BARS
    if len(programmes) > limit:
        # hundreds of small charts (or bars with a band broken at every hidden value) freeze a
        # browser; the table and downloads hold them all, the Comparison page compares them
        notes.append(
            _(
                "The chart shows {shown} of {total} programmes; choose programmes to see "
                "others (the table and downloads hold all).",
                shown=limit,
                total=len(programmes),
            )
        )
        programmes = programmes[:limit]
        frame = frame[frame["programme_id"].astype(str).isin(programmes)]
    prog_label = {p: _(ALL_PROGRAMMES) if p == "*" else names.get(p, p) for p in programmes}
    named_period = {k: period_text[n] for k, n in x_of.items()}

    def where(rows: pd.DataFrame, extra: str | None = None) -> list[str]:
        out = []
        for _i, r in rows.iterrows():
            place = f"{prog_label[str(r['programme_id'])]}, "
            place += named_period[(r["period_start"], r["period_end"])]
            if extra:
                place += f", {_split_label(extra, r[extra])}"
            out.append(place)
        return out

    unit = indicator.unit
    panels: list[tuple[str, list[_Series]]] = []
    x_text = period_text
    split_mode = split is not None and split in frame.columns
    if split_mode:
        assert split is not None
        codes = [v for v in dict.fromkeys(frame[split]) if not pd.isna(v) and v != "*"]
        ordered = [*code_order(split, [str(v) for v in codes])]
        if (frame[split] == "*").any():
            ordered.append("*")
        if frame[split].isna().any():
            ordered.append(None)  # type: ignore[arg-type]
        values = list(dict.fromkeys(_split_label(split, v) for v in ordered))
        colour = {v: PALETTE[n % len(PALETTE)] for n, v in enumerate(values)}
        labels = frame[split].map(lambda v: _split_label(split, v))
        for p in programmes:
            in_p = frame[frame["programme_id"].astype(str) == p]
            series = []
            for v in values:
                rows = in_p[labels[in_p.index] == v]
                if not rows.empty:
                    series.append(
                        _series(
                            rows,
                            v,
                            colour[v],
                            x_of,
                            ("period_start", "period_end"),
                            where(rows, split),
                            kind,
                            unit,
                            min_count,
                        )
                    )
            panels.append((prog_label[p], series))
        bars = True
    elif len(x_of) == 1:
        x_of_prog = {p: n for n, p in enumerate(programmes)}
        rows = frame.assign(_p=frame["programme_id"].astype(str))
        s = _series(
            rows, period_text[0], PALETTE[0], x_of_prog, "_p", where(rows), kind, unit, min_count
        )
        panels.append(("", [s]))
        x_text = [prog_label[p] for p in programmes]
    else:
        series = []
        for n, p in enumerate(programmes):
            rows = frame[frame["programme_id"].astype(str) == p]
            series.append(
                _series(
                    rows,
                    prog_label[p],
                    PALETTE[n % len(PALETTE)],
                    x_of,
                    ("period_start", "period_end"),
                    where(rows),
                    kind,
                    unit,
                    min_count,
                )
            )
        many = len(series) > (MAX_BAND_SERIES if _has_band(frame, kind) else MAX_SERIES)
        panels = [(s.name, [s]) for s in series] if many else [("", series)]

    if len(panels) > 1:
        # a small chart with no figure in it says nothing: leave it out and name it
        blank = [name for name, series in panels if not any(s.shown for s in series)]
        if blank:
            panels = [p for p in panels if p[0] not in blank]
            notes.append(
                n_(
                    "No chart of {names}: every figure is hidden or has no data.",
                    "No charts of {names}: every figure is hidden or has no data.",
                    len(blank),
                    names=", ".join(blank),
                )
            )

    small_multiples = len(panels) > 1
    rows_n, cols_n = _panel_grid(
        [p[0] for p in panels], wide=split_mode or len(x_text) > WIDE_PERIODS
    )
    if small_multiples:
        fig = make_subplots(
            rows=rows_n,
            cols=cols_n,
            shared_yaxes="all",
            subplot_titles=[p[0] for p in panels],
            vertical_spacing=min(0.25, 0.6 / rows_n),
            horizontal_spacing=0.06,
        )
    else:
        fig = go.Figure()
    single_period = not split_mode and len(x_of) == 1
    seen: set[str] = set()
    top = _top(frame, kind)
    for n, (_name, series) in enumerate(panels):
        pos = {"row": n // cols_n + 1, "col": n % cols_n + 1} if small_multiples else {}
        gaps = [] if bars else _panel_gaps(series, top, seen)
        for t in gaps:
            fig.add_trace(t, **pos)
        for s in series:
            for t in _series_gaps(s, top, seen) if bars else []:
                fig.add_trace(t, **pos)
            legend = s.name not in seen and (split_mode or not small_multiples)
            seen.add(s.name)
            if bars:
                traces: list[go.BaseTraceType] = [_bar_trace(s, legend, kind == "proportion")]
            else:
                traces = _line_traces(s, connect=not single_period, show_legend=legend)
            for t in traces:
                fig.add_trace(t, **pos)
        targets = series if not split_mode else series[:1]
        for s in targets:
            line_colour = s.colour if not (split_mode or single_period) else TARGET_COLOUR
            name = (
                _("Target")
                if split_mode or single_period or small_multiples
                else _("Target ({name})", name=s.name)
            )
            trace = _target_trace(s, line_colour, name, show_legend=name not in seen, kind=kind)
            if trace is not None:
                seen.add(name)
                fig.add_trace(trace, **pos)
    if min_count != MIN_COUNT:
        for trace in fig.data:
            if _role(trace) == HIDDEN:
                trace.name = gap_name(HIDDEN, min_count)

    fig.update_xaxes(
        tickmode="array",
        tickvals=list(range(len(x_text))),
        ticktext=[tick_text(t) for t in x_text],
        range=[-0.5, len(x_text) - 0.5],
        showgrid=False,
        automargin=True,
        zeroline=False,
    )
    tick_lines = 1
    if single_period and len(x_text) <= MAX_NAMED_BARS:
        # programmes by name side by side: each name on lines of its own, level, never cut
        names_text = [name_text(t, NAME_WIDTH) for t in x_text]
        tick_lines = max(t.count("<br>") + 1 for t in names_text)
        fig.update_xaxes(ticktext=names_text, tickangle=0, tickfont={"size": 12})
    if kind in PERCENT_KINDS:
        fig.update_yaxes(range=[0, 1.04], tickformat=numbers.D3_PERCENT_AXIS, **percent_ticks())
    elif kind in AMOUNT_KINDS:
        # people and euros are whole: ticks 0, 1, 2 … or 0, 5, 10 …, never 2.5
        fig.update_yaxes(
            rangemode="tozero",
            tickmode="linear",
            tick0=0,
            dtick=count_step(top),
            tickformat=numbers.D3_COUNT,
        )
    else:
        fig.update_yaxes(rangemode="tozero", tickformat=numbers.D3_NUMBER)
    fig.update_yaxes(
        title_text=_unit(indicator) if not small_multiples else None,
        gridcolor="#e5e5e5",
        zeroline=True,
        zerolinecolor="#999999",
        automargin=True,
    )
    sub_lines = _lines([*_notes(frame, indicator, bars), *notes])
    fig.update_layout(
        title={"text": _title(indicator), "subtitle": {"text": "<br>".join(sub_lines)}},
        template="plotly_white",
        font=FONT,
        barmode="group",
        bargap=0.25,
        height=(440 if not small_multiples else 150 + 260 * rows_n)
        + 18 * (len(sub_lines) - 1)
        + 16 * (tick_lines - 1),
        margin={
            "t": (90 if not small_multiples else 110) + 18 * (len(sub_lines) - 1),
            "b": 40,
            "l": 60,
            "r": 20,
        },
        legend={  # below the tick labels, however many lines they take
            "orientation": "h",
            "y": -0.12 - 0.05 * (tick_lines - 1),
            "x": 0,
            "yanchor": "top",
        },
        hoverlabel={"font": FONT},
        showlegend=len(seen) > 0,
        separators=separators(),
        meta={"hidden": _hidden_count(frame), "empty": None},
    )
    return fig
