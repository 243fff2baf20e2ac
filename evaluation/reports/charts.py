"""A report's charts, described once and drawn for each format.

``ChartSpec`` holds what a chart says (periods on the x axis, one or more series with gaps
where a figure is hidden or missing, a 95 % band for rates); ``to_plotly`` draws it for the
dashboard and the HTML report, ``to_png`` draws the same chart with matplotlib (no browser) for
Word and PDF, and the XLSX writer builds a native Excel chart from the same numbers.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Literal

from evaluation.vocabulary import numbers

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
"""Okabe–Ito, as in the dashboard's charts."""
ValueFormat = Literal["percent", "number", "eur", "days", "months"]


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    low: tuple[float | None, ...] = ()
    high: tuple[float | None, ...] = ()


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

    @property
    def has_band(self) -> bool:
        return any(s.low for s in self.series)

    def points(self) -> int:
        return sum(v is not None for s in self.series for v in s.values)


def _ok(v: float | None) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def _scale(spec: ChartSpec, v: float | None) -> float | None:
    if not _ok(v):
        return None
    return float(v) * 100 if spec.value_format == "percent" else float(v)  # type: ignore[arg-type]


def axis_suffix(spec: ChartSpec) -> str:
    return {"percent": " %", "eur": " EUR", "days": " days", "months": " months"}.get(
        spec.value_format, ""
    )


def to_plotly(spec: ChartSpec):  # -> plotly.graph_objects.Figure
    """The chart as a plotly figure (the dashboard's preview)."""
    import plotly.graph_objects as go

    return go.Figure(plotly_dict(spec))


def plotly_dict(spec: ChartSpec) -> dict:
    """The chart as plotly's JSON structure (``data`` and ``layout``), built without plotly's
    validation so a report with dozens of charts writes fast; ``to_plotly`` validates it."""
    xs = list(spec.categories)
    data: list[dict] = []
    for n, s in enumerate(spec.series):
        colour = PALETTE[n % len(PALETTE)]
        ys = [_scale(spec, v) for v in s.values]
        if s.low and spec.kind == "line":
            data.append(
                {
                    "type": "scatter",
                    "x": xs,
                    "y": [_scale(spec, v) for v in s.high],
                    "mode": "lines",
                    "line": {"width": 0},
                    "hoverinfo": "skip",
                    "showlegend": False,
                    "connectgaps": False,
                }
            )
            data.append(
                {
                    "type": "scatter",
                    "x": xs,
                    "y": [_scale(spec, v) for v in s.low],
                    "mode": "lines",
                    "line": {"width": 0},
                    "fill": "tonexty",
                    "fillcolor": _rgba(colour, 0.18),
                    "hoverinfo": "skip",
                    "name": "95 % interval",
                    "showlegend": n == 0,
                    "connectgaps": False,
                }
            )
        if spec.kind == "bar":
            data.append(
                {"type": "bar", "x": xs, "y": ys, "name": s.name, "marker": {"color": colour}}
            )
        else:
            data.append(
                {
                    "type": "scatter",
                    "x": xs,
                    "y": ys,
                    "name": s.name,
                    "mode": "lines+markers",
                    "line": {"color": colour, "width": 2, "shape": "linear"},
                    "connectgaps": False,
                }
            )
    if spec.target and any(_ok(t) for t in spec.target):
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": [_scale(spec, t) for t in spec.target],
                "name": "Target",
                "mode": "markers",
                "marker": {"symbol": "line-ew-open", "size": 18, "color": "#444444"},
            }
        )
    yaxis: dict = {"title": {"text": spec.y_title}, "rangemode": "tozero"}
    if spec.value_format == "percent":
        yaxis.update(ticksuffix=" %", range=[0, 100])
    layout: dict = {
        "title": {"text": spec.title, "x": 0, "font": {"size": 15}},
        "height": 320,
        "margin": {"l": 50, "r": 20, "t": 50, "b": 70},
        "template": _TEMPLATE,
        "legend": {"orientation": "h", "y": -0.25},
        "showlegend": len(spec.series) > 1 or spec.has_band,
        "yaxis": yaxis,
        "xaxis": {"type": "category"},
    }
    if spec.note:
        layout["annotations"] = [
            {
                "text": spec.note,
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -0.32,
                "showarrow": False,
                "xanchor": "left",
                "font": {"size": 11, "color": "#555555"},
            }
        ]
    return {"data": data, "layout": layout}


_TEMPLATE = {
    "layout": {
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "xaxis": {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8"},
        "yaxis": {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "zerolinecolor": "#EBF0F8"},
    }
}


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def to_png(spec: ChartSpec, *, width: float = 6.4, height: float = 2.9, dpi: int = 110) -> bytes:
    """The chart as a PNG, drawn by matplotlib's Agg backend (no display, no browser)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi)
    ax = fig.add_subplot()
    xs = list(range(len(spec.categories)))
    nseries = max(len(spec.series), 1)
    for n, s in enumerate(spec.series):
        colour = PALETTE[n % len(PALETTE)]
        ys = [_scale(spec, v) for v in s.values]
        yf = [float("nan") if y is None else y for y in ys]
        if spec.kind == "bar":
            w = 0.8 / nseries
            offs = [x - 0.4 + w * (n + 0.5) for x in xs]
            ax.bar(offs, [0 if y is None else y for y in ys], width=w, color=colour, label=s.name)
            for x, y in zip(offs, ys, strict=True):
                if y is None:
                    ax.text(x, 0, "–", ha="center", va="bottom", color="#777777", fontsize=9)
        else:
            if s.low:
                lo = [float("nan") if v is None else v for v in (_scale(spec, v) for v in s.low)]
                hi = [float("nan") if v is None else v for v in (_scale(spec, v) for v in s.high)]
                ax.fill_between(
                    xs,
                    lo,
                    hi,
                    color=colour,
                    alpha=0.18,
                    linewidth=0,
                    label="95 % interval" if n == 0 else None,
                )
            ax.plot(xs, yf, color=colour, marker="o", markersize=4, linewidth=2, label=s.name)
    if spec.target and any(_ok(t) for t in spec.target):
        ax.plot(
            xs,
            [float("nan") if (y := _scale(spec, t)) is None else y for t in spec.target],
            linestyle="none",
            marker="_",
            markersize=16,
            color="#444444",
            label="Target",
        )
    ax.set_xticks(xs, list(spec.categories), fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(spec.title, loc="left", fontsize=10)
    if spec.value_format == "percent":
        ax.set_ylim(0, 100)
        ax.yaxis.set_major_formatter(lambda v, _pos: numbers.percent(v / 100))
    else:
        ax.set_ylim(bottom=0)
    ax.set_ylabel(spec.y_title, fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    if len(spec.series) > 1 or spec.has_band:
        ax.legend(fontsize=7, frameon=False, loc="upper left")
    if spec.note:
        fig.text(0.01, 0.01, spec.note, fontsize=7, color="#555555")
    # fixed margins instead of tight_layout, which draws the figure a second time
    fig.subplots_adjust(left=0.1, right=0.98, top=0.88, bottom=0.2 if spec.note else 0.12)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 3})
    return buf.getvalue()
