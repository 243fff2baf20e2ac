"""Honest comparison of programmes on a proportion: funnel plots and small multiples.

Why a funnel plot and not a league table: a rate on 12 releases and a rate on 300 are not
equally sure, and ranking programmes by rate rewards the small ones for their noise. The funnel
plot shows every programme's rate against its denominator, with the pooled rate of all compared
programmes and the limits within which a programme of that size would fall by chance alone if
it shared the pooled rate. A programme outside the limits deserves a question, not a rank.

Rules the functions here enforce (pure functions of the engine's tidy frame):

* Only rows computed with the same definition (``indicator_version``) are compared; others are
  listed as excluded, with the reason.
* Rows that are suppressed (shared audience), have no data, or have fewer than 10 in the
  denominator are never plotted and never pooled; they are listed with a reason. A suppressed
  row only ever says "suppressed to protect small numbers": saying *why* would tell that a
  number is small (see ``evaluation.sharing.disclosure``).
* The pooled rate is Σ numerator / Σ denominator over the programmes compared (shown, with
  data, at least 10 in the denominator) — built only from shown figures, so it cannot reveal a
  suppressed one.

**Control limits.** Exact binomial limits around the pooled rate p for a denominator n, made
continuous by Spiegelhalter's interpolation (Statistics in Medicine 24, 2005, "Funnel plots
for comparing institutional performance", appendix A.1.1): with r the ``binom.ppf(q, n, p)``
quantile and F the binomial distribution function, the limit is
``(r − (F(r) − q) / (F(r) − F(r − 1))) / n``, for q = 0.025 / 0.975 (95 %) and
0.001 / 0.999 (99.8 %). Why not the normal approximation p ± z·√(p(1−p)/n): programmes
here are small (tens of releases), where that approximation is poor and leaves [0, 1]; the
exact limits respect the bounds and the discreteness of small counts, and the interpolation
keeps the curves smooth instead of stepped. A programme is *outside* a pair of limits when its
rate is strictly below the lower or strictly above the upper limit for its own denominator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from scipy.stats import binom

from evaluation.errors import EvaluationError
from evaluation.measures.catalogue import Catalogue, Indicator, load_catalogue
from evaluation.measures.engine import IndicatorRequest, compute
from evaluation.periods import Period, date_range, period_of
from evaluation.sharing.disclosure import DisclosureSettings
from evaluation.store.access import Scope
from evaluation.views.headlines import cursor_of, denominator_noun, programmes_in_scope

__all__ = [
    "DEFAULT_INDICATORS",
    "LEVELS",
    "MIN_DENOMINATOR",
    "Comparison",
    "ComparisonError",
    "ComparisonRequest",
    "Funnel",
    "compare",
    "control_limits",
    "default_indicator",
    "funnel",
    "funnel_figure",
    "programme_table",
    "proportion_indicators",
    "small_multiples_figure",
    "trend",
    "trend_periods",
]

MIN_DENOMINATOR = DisclosureSettings().min_denominator
"""Rates on fewer cases or events are not compared (the spec's rule 3 threshold: 10)."""
LEVELS = (0.95, 0.998)
"""The two pairs of control limits: about 1 in 20 and 1 in 500 programmes fall outside by
chance alone."""
DEFAULT_INDICATORS = ("O06", "C06")
INSIDE = "inside"
OUTSIDE_95 = "outside 95 %"
OUTSIDE_998 = "outside 99.8 %"
COMPARED_COLUMNS = [
    "programme_id",
    "programme",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "status",
    "completeness",
    "lower_95",
    "upper_95",
    "lower_998",
    "upper_998",
    "position",
    "side",
    "note",
]
EXCLUDED_COLUMNS = ["programme_id", "programme", "reason"]
TREND_COLUMNS = [
    "programme_id",
    "programme",
    "period",
    "period_start",
    "period_end",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "shown",
    "reason",
    "pooled",
]
_COLOURS = {INSIDE: "#4c78a8", OUTSIDE_95: "#f58518", OUTSIDE_998: "#b2182b"}


class ComparisonError(EvaluationError, ValueError):
    """The indicator cannot be compared this way (not a proportion, or no rows given)."""


# --------------------------------------------------------------------------------------------
# Limits


def control_limits(
    pooled: float, n: Sequence[float] | np.ndarray | float, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits of a proportion around ``pooled`` for denominators ``n``.

    Exact binomial quantiles with Spiegelhalter's interpolation (module docstring); the
    limits lie in [0, 1]. A pooled rate of exactly 0 or 1 gives limits equal to it.
    """
    if not 0 < level < 1:
        raise ComparisonError(f"A control-limit level lies between 0 and 1, not {level}.")
    sizes = np.atleast_1d(np.asarray(n, dtype=float))
    if np.any(sizes <= 0) or np.any(sizes != np.round(sizes)):
        raise ComparisonError("Denominators of control limits are whole numbers above 0.")
    tail = (1 - level) / 2
    out = []
    for q in (tail, 1 - tail):
        if pooled <= 0 or pooled >= 1:
            out.append(np.full(sizes.shape, float(min(max(pooled, 0.0), 1.0))))
            continue
        r = binom.ppf(q, sizes, pooled)
        at_r = binom.cdf(r, sizes, pooled)
        below = binom.cdf(r - 1, sizes, pooled)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(at_r > below, (at_r - q) / (at_r - below), 0.0)
        out.append(np.clip((r - alpha) / sizes, 0.0, 1.0))
    return out[0], out[1]


# --------------------------------------------------------------------------------------------
# The funnel


@dataclass(frozen=True)
class Funnel:
    """Everything a funnel plot and its tables show for one indicator and period."""

    indicator_id: str
    indicator_version: int
    period: Period
    numerator: float
    """Σ numerator of the compared programmes."""
    denominator: float
    """Σ denominator of the compared programmes."""
    programmes: pd.DataFrame
    """The compared programmes (``COMPARED_COLUMNS``), by programme name: no ranking."""
    excluded: pd.DataFrame
    """Programmes not compared, with the reason (``EXCLUDED_COLUMNS``)."""
    limits: pd.DataFrame
    """The limit curves: ``denominator``, ``lower_95``, ``upper_95``, ``lower_998``,
    ``upper_998`` (empty without a pooled rate)."""

    @property
    def pooled(self) -> float | None:
        """Σ numerator / Σ denominator of the compared programmes (``None`` when none)."""
        return self.numerator / self.denominator if self.denominator > 0 else None


def _number(value: object) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return x


def _reason(
    row: Mapping[str, object], version: int, missing: Sequence[str], ind: Indicator | None
) -> str | None:
    """Why a row is not compared (``None``: it is compared)."""
    if int(row["indicator_version"]) != version:  # type: ignore[call-overload]
        return (
            f"definition differs: computed with version {row['indicator_version']}, "
            f"compared on version {version}"
        )
    if bool(row.get("suppressed")):
        return "suppressed to protect small numbers"
    den = _number(row.get("denominator"))
    if row.get("status") == "no_data" or math.isnan(den) or den <= 0:
        if math.isnan(den) or missing:
            if missing:
                names = " and ".join(missing)
                return f"no data: table{'s' if len(missing) > 1 else ''} {names} not supplied"
            return "no data: a table this indicator needs was not supplied"
        noun = denominator_noun(ind)
        return (
            f"no data: no {noun} in this period"
            if noun
            else "no data: nothing to count in this period"
        )
    if den < MIN_DENOMINATOR:
        return f"fewer than {MIN_DENOMINATOR} in the denominator"
    return None


def _one_indicator(frame: pd.DataFrame) -> str:
    ids = frame["indicator_id"].dropna().unique()
    if len(ids) != 1:
        raise ComparisonError(
            "A comparison takes the rows of exactly one indicator; got "
            f"{', '.join(map(str, ids)) or 'none'}."
        )
    return str(ids[0])


def _label(start: date, end: date) -> str:
    """The canonical label of ``[start, end]`` (``2026-Q2``), else the range."""
    for kind in ("quarter", "month", "half_year", "year"):
        p = period_of(kind, start)  # type: ignore[arg-type]
        if (p.start, p.end) == (start, end):
            return p.label
    return date_range(start, end).label


def funnel(
    frame: pd.DataFrame,
    period: Period | None = None,
    *,
    version: int | None = None,
    indicator: Indicator | None = None,
    names: Mapping[str, str] | None = None,
    missing_tables: Mapping[str, Sequence[str]] | None = None,
) -> Funnel:
    """The funnel of one proportion indicator in one period, from the engine's frame.

    ``frame`` holds the indicator's rows per programme (other periods are ignored; ``period``
    defaults to the latest in the frame). ``version`` is the definition compared on (default:
    ``indicator``'s, else the newest in the frame). ``names`` maps programme ids to names;
    ``missing_tables`` maps a programme to the tables its submission lacks, for the reason of
    a ``no_data`` row. Rows with ``programme_id == "*"`` (totals) are ignored.
    """
    ind_id = _one_indicator(frame)
    if indicator is not None and indicator.kind != "proportion":
        raise ComparisonError(
            f"{indicator.id} is a {indicator.kind}, not a proportion: a "
            "funnel plot compares proportions."
        )
    rows = frame[frame["programme_id"] != "*"]
    if period is None:
        start, end = max(zip(rows["period_start"], rows["period_end"], strict=True))
        period = Period(start, end, _label(start, end))
    rows = rows[(rows["period_start"] == period.start) & (rows["period_end"] == period.end)]
    if version is None:
        version = (
            indicator.version if indicator is not None else int(rows["indicator_version"].max())
        )
    names = names or {}
    missing_tables = missing_tables or {}
    compared, excluded = [], []
    for row in rows.sort_values("programme_id").to_dict("records"):
        pid = str(row["programme_id"])
        sources = indicator.sources if indicator is not None else None
        missing = [t for t in missing_tables.get(pid, ()) if sources is None or t in sources]
        reason = _reason(row, version, missing, indicator)
        name = names.get(pid, pid)
        if reason is not None:
            excluded.append({"programme_id": pid, "programme": name, "reason": reason})
            continue
        compared.append(
            {
                "programme_id": pid,
                "programme": name,
                **{
                    c: _number(row.get(c))
                    for c in (
                        "numerator",
                        "denominator",
                        "value",
                        "ci_low",
                        "ci_high",
                        "completeness",
                    )
                },
                "status": row["status"],
                "note": (
                    "the period is not over in this programme's data"
                    if row["status"] == "partial_period"
                    else ""
                ),
            }
        )
    table = pd.DataFrame(
        compared,
        columns=[
            c
            for c in COMPARED_COLUMNS
            if c not in ("lower_95", "upper_95", "lower_998", "upper_998", "position", "side")
        ],
    )
    num = float(table["numerator"].sum()) if len(table) else 0.0
    den = float(table["denominator"].sum()) if len(table) else 0.0
    limits = pd.DataFrame(columns=["denominator", "lower_95", "upper_95", "lower_998", "upper_998"])
    if den > 0:
        pooled = num / den
        n = table["denominator"].to_numpy(dtype=float)
        lo95, hi95 = control_limits(pooled, n, LEVELS[0])
        lo998, hi998 = control_limits(pooled, n, LEVELS[1])
        table["lower_95"], table["upper_95"] = lo95, hi95
        table["lower_998"], table["upper_998"] = lo998, hi998
        value = table["value"].to_numpy(dtype=float)
        out998 = (value < lo998) | (value > hi998)
        out95 = (value < lo95) | (value > hi95)
        table["position"] = np.where(out998, OUTSIDE_998, np.where(out95, OUTSIDE_95, INSIDE))
        table["side"] = np.where(~out95, "", np.where(value > hi95, "above", "below"))
        grid = _grid(n)
        g95, h95 = control_limits(pooled, grid, LEVELS[0])
        g998, h998 = control_limits(pooled, grid, LEVELS[1])
        limits = pd.DataFrame(
            {
                "denominator": grid,
                "lower_95": g95,
                "upper_95": h95,
                "lower_998": g998,
                "upper_998": h998,
            }
        )
    table = table.reindex(columns=COMPARED_COLUMNS)
    table = table.sort_values(["programme", "programme_id"], kind="stable")
    return Funnel(
        ind_id,
        int(version),
        period,
        num,
        den,
        table.reset_index(drop=True),
        pd.DataFrame(excluded, columns=EXCLUDED_COLUMNS),
        limits,
    )


def _grid(n: np.ndarray) -> np.ndarray:
    """Whole denominators to draw the limit curves at: from just below the smallest compared
    denominator (at least ``MIN_DENOMINATOR``) to a little beyond the largest."""
    lo = max(1.0, min(float(MIN_DENOMINATOR), float(n.min()) * 0.8))
    hi = max(float(n.max()) * 1.15, lo + 10)
    return np.unique(np.round(np.geomspace(lo, hi, 300)))


def programme_table(f: Funnel) -> pd.DataFrame:
    """The compared programmes as a person reads them: rate, interval, denominator, and
    whether the rate lies inside the limits. Ordered by name, never by rate."""
    out = f.programmes
    where = [
        ("inside the limits" if p == INSIDE else f"{s} the {p.removeprefix('outside ')} limit")
        for p, s in zip(out["position"], out["side"], strict=True)
    ]
    return pd.DataFrame(
        {
            "programme": out["programme"],
            "rate": out["value"],
            "ci_low": out["ci_low"],
            "ci_high": out["ci_high"],
            "numerator": out["numerator"],
            "denominator": out["denominator"],
            "limits": where,
            "completeness": out["completeness"],
            "note": out["note"],
        }
    )


# --------------------------------------------------------------------------------------------
# Trends


def trend_periods(period: Period, n: int = 8) -> tuple[Period, ...]:
    """``period`` and the ``n - 1`` periods of the same kind before it, oldest first."""
    out = [period]
    for _ in range(max(n, 1) - 1):
        out.append(out[-1].previous())
    return tuple(reversed(out))


def trend(
    frame: pd.DataFrame,
    *,
    version: int | None = None,
    indicator: Indicator | None = None,
    names: Mapping[str, str] | None = None,
    missing_tables: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """The rate of every programme in every period of ``frame``, for small multiples.

    One row per programme and period (``TREND_COLUMNS``); a row that would not be compared in
    a funnel (``shown`` false) has no numbers and carries its ``reason``; ``pooled`` is the
    period's pooled rate of the compared programmes.
    """
    _one_indicator(frame)
    rows = frame[frame["programme_id"] != "*"]
    spans = sorted(set(zip(rows["period_start"], rows["period_end"], strict=True)))
    if version is None:
        version = (
            indicator.version if indicator is not None else int(rows["indicator_version"].max())
        )
    parts = []
    for start, end in spans:
        label = _label(start, end)
        f = funnel(
            rows,
            Period(start, end, label),
            version=version,
            indicator=indicator,
            names=names,
            missing_tables=missing_tables,
        )
        shown = f.programmes.assign(shown=True, reason="")
        hidden = f.excluded.assign(shown=False)
        part = pd.concat([shown, hidden], ignore_index=True)
        part["period"], part["period_start"], part["period_end"] = label, start, end
        part["pooled"] = f.pooled if f.pooled is not None else math.nan
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=TREND_COLUMNS)
    out = pd.concat(parts, ignore_index=True).reindex(columns=TREND_COLUMNS)
    return out.sort_values(
        ["programme", "programme_id", "period_start"], kind="stable"
    ).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# One call for the dashboard


def proportion_indicators(catalogue: Catalogue | None = None) -> list[Indicator]:
    """The newest version of every proportion indicator, in catalogue order."""
    catalogue = catalogue or load_catalogue()
    return [i for i in catalogue.latest() if i.kind == "proportion"]


def default_indicator(indicators: Sequence[Indicator]) -> Indicator | None:
    """O06, else C06, else the first proportion (``None`` when there is none)."""
    by_id = {i.id: i for i in indicators}
    for ref in DEFAULT_INDICATORS:
        if ref in by_id:
            return by_id[ref]
    return indicators[0] if indicators else None


@dataclass(frozen=True)
class ComparisonRequest:
    indicator: str
    """``O06`` (newest version) or ``O06@1``."""
    period: Period
    scope: Scope = field(default_factory=Scope.everything)
    trend_periods: int = 8
    """How many periods the small multiples show, ending with ``period``."""


@dataclass(frozen=True)
class Comparison:
    indicator: Indicator
    funnel: Funnel
    trend: pd.DataFrame
    scope: Scope


def compare(
    store_or_cursor: object, request: ComparisonRequest, catalogue: Catalogue | None = None
) -> Comparison:
    """Compute the indicator for the period and the trend periods in the caller's scope (a
    shared scope gets suppressed figures) and build the funnel and the trend."""
    catalogue = catalogue or load_catalogue()
    try:
        ind = catalogue.get(request.indicator)
    except KeyError:
        raise ComparisonError(f"There is no indicator {request.indicator}.") from None
    if ind.kind != "proportion":
        raise ComparisonError(
            f"{ind.id} ({ind.name}) is a {ind.kind}, not a proportion: "
            "programmes are compared on proportions."
        )
    cur = cursor_of(store_or_cursor)
    periods = trend_periods(request.period, request.trend_periods)
    frame = compute(
        cur,
        IndicatorRequest(periods=periods, indicators=(ind.key,), scope=request.scope),
        catalogue,
    )
    progs = programmes_in_scope(cur, request.scope)
    names = dict(zip(progs["programme_id"], progs["programme"], strict=True))
    missing = {
        p: tuple(t for t in ind.sources if t not in tables)
        for p, tables in zip(progs["programme_id"], progs["tables"], strict=True)
    }
    f = funnel(frame, request.period, indicator=ind, names=names, missing_tables=missing)
    t = trend(frame, indicator=ind, names=names, missing_tables=missing)
    return Comparison(ind, f, t, request.scope)


# --------------------------------------------------------------------------------------------
# Figures


def _percent_axis(fig: go.Figure, **kwargs: object) -> None:
    fig.update_yaxes(tickformat=".0%", range=[-0.03, 1.03], **kwargs)


def funnel_figure(f: Funnel, indicator: Indicator | None = None) -> go.Figure:
    """The funnel plot: each compared programme's rate against its denominator, labelled with
    its name; the pooled rate; the 95 % and 99.8 % limits. Excluded programmes are not drawn.
    """
    noun = denominator_noun(indicator)
    x_title = f"Number of {noun} (denominator)" if noun else "Denominator"
    fig = go.Figure()
    lim = f.limits
    if not lim.empty:
        for level, dash, width in (("998", "dot", 1.5), ("95", "dash", 1.5)):
            shown = "99.8" if level == "998" else "95"
            for side in ("upper", "lower"):
                fig.add_trace(
                    go.Scatter(
                        x=lim["denominator"],
                        y=lim[f"{side}_{level}"],
                        mode="lines",
                        name=f"{shown} % limits",
                        legendgroup=level,
                        showlegend=side == "upper",
                        line={"color": "#7f7f7f", "dash": dash, "width": width},
                        hovertemplate=f"{side} {shown} % limit at n=%{{x:,.0f}}: %{{y:.1%}}"
                        "<extra></extra>",
                    )
                )
        fig.add_trace(
            go.Scatter(
                x=[lim["denominator"].min(), lim["denominator"].max()],
                y=[f.pooled, f.pooled],
                mode="lines",
                name=f"Pooled rate {f.pooled:.1%}",
                line={"color": "#333333", "width": 1.5},
                hovertemplate="pooled rate %{y:.1%}<extra></extra>",
            )
        )
    progs = f.programmes
    for position, label in (
        (INSIDE, "Inside the limits"),
        (OUTSIDE_95, "Outside 95 %"),
        (OUTSIDE_998, "Outside 99.8 %"),
    ):
        part = progs[progs["position"] == position]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["denominator"],
                y=part["value"],
                mode="markers+text",
                text=part["programme"],
                name=label,
                textposition=["bottom center" if v > 0.97 else "top center" for v in part["value"]],
                marker={
                    "size": 11,
                    "color": _COLOURS[position],
                    "line": {"color": "white", "width": 1},
                },
                customdata=np.stack(
                    [part["programme_id"], part["numerator"], part["ci_low"], part["ci_high"]],
                    axis=-1,
                ),
                hovertemplate="<b>%{text}</b><br>%{y:.1%} (%{customdata[1]:,.0f} of %{x:,.0f})"
                "<br>95 % interval %{customdata[2]:.0%} to %{customdata[3]:.0%}"
                "<extra></extra>",
            )
        )
    _percent_axis(fig, title="Rate")
    fig.update_xaxes(title=x_title, rangemode="tozero")
    fig.update_layout(
        margin={"t": 10, "b": 10}, height=480, legend={"orientation": "h", "y": -0.18}
    )
    return fig


def small_multiples_figure(
    t: pd.DataFrame, indicator: Indicator | None = None, *, columns: int = 3
) -> go.Figure:
    """One small panel per programme: its rate per period with the 95 % interval, and the
    pooled rate of the compared programmes as a dashed line. Periods a programme could not be
    compared in are gaps."""
    names = list(dict.fromkeys(t["programme"])) if len(t) else []
    cols = max(1, min(columns, len(names)))
    rows = max(1, math.ceil(len(names) / cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_xaxes=True,
        shared_yaxes=True,
        subplot_titles=names or None,
        vertical_spacing=0.12 if rows > 1 else 0.1,
        horizontal_spacing=0.04,
    )
    periods = t.drop_duplicates("period").sort_values("period_start") if len(t) else t
    order = list(periods["period"]) if len(t) else []
    for n, name in enumerate(names):
        r, c = n // cols + 1, n % cols + 1
        part = t[t["programme"] == name].set_index("period").reindex(order)
        value = part["value"].astype(float)
        fig.add_trace(
            go.Scatter(
                x=order,
                y=periods["pooled"],
                mode="lines",
                name="Pooled rate",
                legendgroup="pooled",
                showlegend=n == 0,
                line={"color": "#7f7f7f", "dash": "dash", "width": 1},
                hovertemplate="pooled %{y:.1%}<extra></extra>",
            ),
            row=r,
            col=c,
        )
        fig.add_trace(
            go.Scatter(
                x=order,
                y=value,
                mode="lines+markers",
                name=name,
                showlegend=False,
                line={"color": _COLOURS[INSIDE]},
                connectgaps=False,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["ci_high"].astype(float) - value).to_numpy(),
                    "arrayminus": (value - part["ci_low"].astype(float)).to_numpy(),
                    "thickness": 1,
                    "width": 0,
                },
                customdata=part[["denominator"]].to_numpy(),
                hovertemplate=f"{name}<br>%{{x}}: %{{y:.1%}} (n=%{{customdata[0]:,.0f}})"
                "<extra></extra>",
            ),
            row=r,
            col=c,
        )
    _percent_axis(fig)
    fig.update_xaxes(type="category", tickangle=-45)
    fig.update_layout(
        height=max(260, 230 * rows),
        margin={"t": 30, "b": 10},
        legend={"orientation": "h", "y": -0.12},
    )
    return fig
