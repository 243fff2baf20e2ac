"""Charts of an indicator's tidy rows, chosen by the kind of value.

* proportions and shares: lines over the periods on a 0–100 % axis, with the 95 % Wilson
  interval as a shaded band where the engine gives one;
* counts and totals (``AMOUNT_KINDS``): bars;
* ratios, medians and months: lines from zero;
* a split request: grouped bars by split value, one small chart per programme;
* many programmes: one small chart each rather than a tangle of lines;
* a single period: programmes side by side instead of a one-point "trend".

Suppressed and ``no_data`` points are gaps, never zeros, and the subtitle says how many there
are and why; a period that is not over yet has an open marker or a hatched bar. Targets are a
dashed line. Colours are the Okabe–Ito palette, distinguishable with the common colour-vision
deficiencies; every figure is a ``plotly.graph_objects.Figure`` readable at 1280 px.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from evaluation.measures.engine import as_number
from evaluation.periods import from_days
from evaluation.vocabulary import numbers
from evaluation.vocabulary.kinds import AMOUNT_KINDS, PERCENT_KINDS

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")
"""Okabe–Ito, yellow last: it has the least contrast on white."""
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
BAND_HALF_WIDTH = 0.15
ALL_PROGRAMMES = "All programmes"
NOT_SPLIT = "Not split (programme level)"
MISSING = "(not recorded)"
HIDDEN = "Hidden to protect small numbers"
NO_DATA = "No data"
GAP_PATTERNS = {HIDDEN: "x", NO_DATA: "."}
GAP_COLOUR = "#9a9a9a"
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


def _label(value: object, star: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    text = str(value)
    return star if text == "*" else text


def is_gap(frame: pd.DataFrame) -> pd.Series:
    """Rows drawn as gaps: suppressed, ``no_data``, or without a value."""
    suppressed = frame["suppressed"].astype("boolean").fillna(False).astype(bool)
    return suppressed | (frame["status"] == "no_data") | frame["value"].isna()


def gap_note(frame: pd.DataFrame) -> str | None:
    """A sentence saying how many points are gaps and why, or ``None`` when there are none."""
    counts = _gap_counts(frame)
    return f"Gaps, not zeros: {counts}." if counts else None


def _gap_counts(frame: pd.DataFrame) -> str | None:
    if frame.empty:
        return None
    suppressed = int(frame["suppressed"].astype("boolean").fillna(False).sum())
    no_data = int(
        (
            (frame["status"] == "no_data") & ~frame["suppressed"].astype("boolean").fillna(False)
        ).sum()
    )
    parts = []
    if suppressed:
        parts.append(f"{suppressed} hidden to protect small numbers")
    if no_data:
        parts.append(f"{no_data} without data")
    return " and ".join(parts) or None


def _period_axis(
    frame: pd.DataFrame,
    labels: Mapping[tuple[date, date], str] | None,
) -> tuple[dict[tuple[object, object], int], list[str]]:
    keys = sorted(
        set(zip(frame["period_start"], frame["period_end"], strict=True)),
        key=lambda k: (str(k[0]), str(k[1])),
    )
    labels = labels or {}
    text = [labels.get(k) or from_days(k[0], k[1]).label for k in keys]
    return {k: n for n, k in enumerate(keys)}, text


def _title(ind: Described) -> str:
    unit = f"{ind.unit}, %" if ind.kind in PERCENT_KINDS else ind.unit
    return f"{ind.id} · {ind.name} ({unit})"


def _hover(row: Mapping[Any, Any] | pd.Series, where: str, kind: str, unit: str) -> str:
    value = as_number(row["value"])
    lines = [where]
    if row.get("suppressed"):
        return f"{where}<br>hidden (small numbers)"
    if row.get("status") == "no_data" or value is None:
        return f"{where}<br>no data"
    lines.append(f"<b>{numbers.figure(value, kind, unit)}</b>")
    low, high = as_number(row.get("ci_low")), as_number(row.get("ci_high"))
    if low is not None and high is not None:
        shown = (
            numbers.interval(low, high)
            if kind in PERCENT_KINDS
            else f"{numbers.figure(low, kind, unit)} to {numbers.figure(high, kind, unit)}"
        )
        lines.append(f"95 % interval {shown}")
    num, den = as_number(row.get("numerator")), as_number(row.get("denominator"))
    if num is not None and den is not None:
        lines.append(
            f"{numbers.count(num)} of {numbers.count(den)}"
            if kind == "proportion"
            else f"n = {numbers.count(den)}"
        )
    target = as_number(row.get("target"))
    if target is not None:
        lines.append(f"target {numbers.figure(target, kind, unit)}")
    if row.get("status") == "partial_period":
        lines.append("period not over yet")
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
) -> _Series:
    s = _Series(name, colour)
    gaps = is_gap(rows).to_numpy()
    hidden = rows["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    for (_, row), gap, place, hid in zip(rows.iterrows(), gaps, where, hidden, strict=True):
        key = (row[x_key[0]], row[x_key[1]]) if isinstance(x_key, tuple) else row[x_key]
        s.x.append(float(x_of[key]))
        s.y.append(None if gap else as_number(row["value"]))
        s.low.append(None if gap else as_number(row.get("ci_low")))
        s.high.append(None if gap else as_number(row.get("ci_high")))
        s.target.append(as_number(row.get("target")))
        s.partial.append(row.get("status") == "partial_period")
        s.hover.append(_hover(row, place, kind, unit))
        s.gap.append((HIDDEN if hid else NO_DATA) if gap else None)
    return s


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _band_traces(s: _Series, connect: bool) -> list[go.Scatter]:
    """The 95 % interval as shaded polygons, one per run of consecutive points that have one
    (a lone point gets a narrow box), so a gap in the line is a gap in the band too."""
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
                name=f"95 % interval ({s.name})",
                legendgroup=s.name,
                showlegend=False,
            )
        )
    return traces


def _target_trace(
    s: _Series, colour: str, name: str, show_legend: bool, kind: str
) -> go.Scatter | None:
    if all(t is None for t in s.target):
        return None
    shown = numbers.D3_PERCENT if kind in PERCENT_KINDS else numbers.D3_GROUPED
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
        hovertemplate=f"{name}: %{{y:{shown}}}<extra></extra>",
    )


def _line_traces(s: _Series, connect: bool, show_legend: bool) -> list[go.Scatter]:
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
        )
    )
    return traces


def _bar_trace(s: _Series, show_legend: bool, errors: bool) -> go.Bar:
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
    )


def _gap_trace(
    kind: str,
    xs: list[float],
    hovers: list[str],
    top: float,
    offsetgroup: str | None,
    show_legend: bool,
) -> go.Bar:
    """Faint hatched columns where a value is hidden or missing: visibly not a zero bar."""
    return go.Bar(
        x=xs,
        y=[top] * len(xs),
        name=kind,
        legendgroup=kind,
        showlegend=show_legend,
        offsetgroup=offsetgroup,
        width=None if offsetgroup else 0.5,
        marker={
            "color": "rgba(0, 0, 0, 0)",
            "line": {"width": 0},
            "pattern": {
                "shape": GAP_PATTERNS[kind],
                "fgcolor": GAP_COLOUR,
                "bgcolor": "rgba(0, 0, 0, 0)",
                "size": 8,
                "solidity": 0.15,
            },
        },
        hovertext=hovers,
        hovertemplate="%{hovertext}<extra></extra>",
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
        xs = sorted(x for x, (k, _) in at.items() if k == kind)
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
    values = pd.to_numeric(frame["value"], errors="coerce").where(~is_gap(frame))
    if "target" in frame:
        values = pd.concat([values, pd.to_numeric(frame["target"], errors="coerce")])
    top = values.max()
    return float(top) if pd.notna(top) and top > 0 else 1.0


def _notes(frame: pd.DataFrame, ind: Described, bars: bool) -> str:
    notes = []
    if ind.kind == "proportion" and frame["ci_low"].notna().any():
        notes.append("Bars: 95 % interval." if bars else "Shaded: 95 % interval.")
    if (frame["status"] == "partial_period").any():
        notes.append(
            "Striped bars: period not over yet." if bars else "Open markers: period not over yet."
        )
    if "target" in frame and pd.to_numeric(frame["target"], errors="coerce").notna().any():
        notes.append("Dashed: target.")
    gaps = _gap_counts(frame)
    if gaps:
        notes.append(f"Grey hatching marks gaps, not zeros: {gaps}.")
    return " ".join(notes)


def _panel_grid(names: list[str], wide: bool) -> tuple[int, int]:
    cols = min(2 if wide else PANEL_COLUMNS, max(1, len(names)))
    return math.ceil(len(names) / cols), cols


def _empty(ind: Described, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(
        text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font=FONT
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(title={"text": _title(ind)}, height=260, font=FONT, template="plotly_white")
    return fig


def indicator_figure(
    frame: pd.DataFrame,
    indicator: Described,
    *,
    split: str | None = None,
    period_labels: Mapping[tuple[date, date], str] | None = None,
) -> go.Figure:
    """The chart of one indicator's tidy rows (``frame`` holds that indicator only).

    ``split`` is the split column of the request (``None``: by programme, or one total);
    ``period_labels`` names the periods (``2025 Q1``) by their first and last day; a period it
    does not name is labelled by ``periods.from_days``.
    """
    if frame.empty:
        return _empty(indicator, "No rows: no programme in view has data for this request.")
    kind = indicator.kind
    bars = kind in AMOUNT_KINDS
    x_of, period_text = _period_axis(frame, period_labels)
    programmes = list(
        dict.fromkeys(sorted(frame["programme_id"].astype(str), key=lambda p: (p == "*", p)))
    )
    cut = ""
    panel_mode = (split is not None and split in frame.columns) or frame[
        ["period_start", "period_end"]
    ].drop_duplicates().shape[0] > 1
    limit = MAX_PANELS if panel_mode else MAX_BARS
    if len(programmes) > limit:
        # hundreds of small charts (or bars with a band broken at every hidden value) freeze a
        # browser; the table and downloads hold them all, the Comparison page compares them
        cut = (
            f"The chart shows {limit} of {len(programmes)} programmes; choose "
            "programmes to see others (the table and downloads hold all)."
        )
        programmes = programmes[:limit]
        frame = frame[frame["programme_id"].astype(str).isin(programmes)]
    prog_label = {p: _label(p, ALL_PROGRAMMES) for p in programmes}
    period_name = {k: period_text[n] for k, n in x_of.items()}

    def where(rows: pd.DataFrame, extra: str | None = None) -> list[str]:
        out = []
        for _, r in rows.iterrows():
            place = f"{prog_label[str(r['programme_id'])]}, "
            place += period_name[(r["period_start"], r["period_end"])]
            if extra:
                place += f", {_label(r[extra], NOT_SPLIT)}"
            out.append(place)
        return out

    panels: list[tuple[str, list[_Series]]] = []
    x_text = period_text
    split_mode = split is not None and split in frame.columns
    if split_mode:
        assert split is not None
        values = sorted(
            {_label(v, NOT_SPLIT) for v in frame[split]},
            key=lambda v: (v in (NOT_SPLIT, MISSING), v),
        )
        colour = {v: PALETTE[n % len(PALETTE)] for n, v in enumerate(values)}
        labels = frame[split].map(lambda v: _label(v, NOT_SPLIT))
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
                            indicator.unit,
                        )
                    )
            panels.append((prog_label[p], series))
        bars = True
    elif len(x_of) == 1:
        x_of_prog = {p: n for n, p in enumerate(programmes)}
        rows = frame.assign(_p=frame["programme_id"].astype(str))
        s = _series(
            rows, period_text[0], PALETTE[0], x_of_prog, "_p", where(rows), kind, indicator.unit
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
                    indicator.unit,
                )
            )
        many = len(series) > (MAX_BAND_SERIES if _has_band(frame, kind) else MAX_SERIES)
        panels = [(s.name, [s]) for s in series] if many else [("", series)]

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
    for n, (_, series) in enumerate(panels):
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
                "Target" if split_mode or single_period or small_multiples else f"Target ({s.name})"
            )
            trace = _target_trace(s, line_colour, name, show_legend=name not in seen, kind=kind)
            if trace is not None:
                seen.add(name)
                fig.add_trace(trace, **pos)

    ticks = {
        "tickmode": "array",
        "tickvals": list(range(len(x_text))),
        "ticktext": x_text,
        "range": [-0.5, len(x_text) - 0.5],
        "showgrid": False,
    }
    fig.update_xaxes(**ticks, zeroline=False)
    if kind in PERCENT_KINDS:
        fig.update_yaxes(
            range=[0, 1.04], tickformat=numbers.D3_PERCENT_AXIS, tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1]
        )
    else:
        fig.update_yaxes(
            rangemode="tozero", tickformat=numbers.D3_NUMBER, dtick=1 if bars and top <= 8 else None
        )
    fig.update_yaxes(
        title_text=indicator.unit if not small_multiples else None,
        gridcolor="#e5e5e5",
        zeroline=True,
        zerolinecolor="#999999",
    )
    fig.update_layout(
        title={
            "text": _title(indicator),
            "subtitle": {"text": " ".join(t for t in (_notes(frame, indicator, bars), cut) if t)},
        },
        template="plotly_white",
        font=FONT,
        barmode="group",
        bargap=0.25,
        height=440 if not small_multiples else 150 + 260 * rows_n,
        margin={"t": 90 if not small_multiples else 110, "b": 40, "l": 60, "r": 20},
        legend={"orientation": "h", "y": -0.12, "x": 0, "yanchor": "top"},
        hoverlabel={"font": FONT},
        showlegend=len(seen) > 0,
    )
    return fig
