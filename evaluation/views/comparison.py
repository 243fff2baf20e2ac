"""Honest comparison of programmes on a proportion: funnel plots and small multiples.

Why a funnel plot and not a league table: a rate on 12 releases and a rate on 300 are not
equally sure, and ranking programmes by rate rewards the small ones for their noise. The funnel
plot shows every programme's rate against its denominator, with the pooled rate of all compared
programmes and the limits within which a programme of that size would fall by chance alone if
it shared the pooled rate. A programme outside the limits deserves a question, not a rank.

Rules the functions here enforce (pure functions of the engine's tidy frame):

* Only rows computed with the same definition (``indicator_version``) are compared; others are
  listed as excluded, with the reason.
* Rows that have no data or fewer than 10 in the denominator are not compared; they are
  listed with a reason.
* **No programme disappears because its rate is hidden** (``METHOD``). A suppressed row stays
  among the compared programmes, marked hidden, with what its release lets anyone work out:
  the feasible interval of its rate from the cell's published ranges (``range_low``/
  ``range_high`` of the numerator, ``den_low``/``den_high`` of the denominator), or "fewer than
  5 did not reach the outcome" where that is what the ranges say. It never says *why* it is
  hidden beyond that (see ``evaluation.sharing.disclosure``).
* **The pooled rate is never computed over only the shown programmes**: leaving out the hidden
  ones biases it (rates are hidden when 1-4 did *not* reach the outcome, i.e. the best
  programmes). Without a hidden programme it is Σ numerator / Σ denominator over the compared
  programmes, as before. With hidden ones it is an *interval*: the lowest and highest pooled
  rate that the shown figures and the hidden cells' published ranges allow (``pooled_bounds``),
  so it reveals nothing the release does not, and it always contains the true pooled rate. If a
  hidden range is unbounded, or the interval is wider than ``MAX_POOLED_WIDTH``, no pooled rate
  and no limits are drawn.

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

**Limits around a pooled interval.** With a pooled interval [p₋, p₊] the lower limits are those
of p₋ and the upper ones those of p₊ (the envelope): a programme outside them is outside for
every pooled rate the published figures allow.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

import duckdb
import numpy as np
import pandas as pd

from evaluation.errors import EvaluationError
from evaluation.measures.catalogue import Catalogue, Indicator, load_catalogue
from evaluation.measures.engine import IndicatorRequest, as_number, compute
from evaluation.periods import Period, from_days, label
from evaluation.sharing.disclosure import DisclosureSettings
from evaluation.sharing.releases.read import coverage, release_note, release_settings
from evaluation.store.access import Scope
from evaluation.store.database import Store, cursor_of
from evaluation.views.charts import MAX_PANELS, percent_ticks, separators
from evaluation.views.programmes import programmes_in_scope
from evaluation.vocabulary import marks, numbers
from evaluation.vocabulary.codes import code_label
from evaluation.vocabulary.language import N_, _, current, n_
from evaluation.vocabulary.names import shown_name
from evaluation.vocabulary.numbers import D3_PERCENT_AXIS
from evaluation.vocabulary.units import denominator_noun

if TYPE_CHECKING:  # Plotly is imported where a figure is drawn (the reports never draw one)
    import plotly.graph_objects as go

__all__ = [
    "DEFAULT_INDICATORS",
    "LEVELS",
    "MAX_POOLED_WIDTH",
    "METHOD",
    "MIN_DENOMINATOR",
    "Comparison",
    "ComparisonError",
    "ComparisonRequest",
    "Funnel",
    "compare",
    "control_limits",
    "default_indicator",
    "display_table",
    "funnel",
    "funnel_figure",
    "funnel_sentence",
    "pooled_bounds",
    "programme_table",
    "proportion_indicators",
    "rate_bounds",
    "small_multiples_figure",
    "trend",
    "trend_periods",
    "with_ranges",
]

MIN_DENOMINATOR = DisclosureSettings().min_denominator
"""Rates on fewer cases or events are not compared: the spec's rule 3 threshold (10) by default.
A shared comparison uses the threshold recorded with the releases it reads instead
(``release_settings``), so it judges a rate by the rule the release was protected with."""
LEVELS = (0.95, 0.998)
"""The two pairs of control limits: about 1 in 20 and 1 in 500 programmes fall outside by
chance alone."""
DEFAULT_INDICATORS = ("O06", "C06")
MAX_POOLED_WIDTH = 0.10
"""A pooled interval wider than this (10 percentage points) says too little to draw limits
around; the page then says the pooled rate cannot be shown."""
RANGE_COLUMNS = ("range_low", "range_high", "den_low", "den_high")
"""A release cell's published feasible ranges of a hidden numerator and denominator."""
METHOD = N_(
    "How programmes are compared. Each programme's rate is drawn against the number it is "
    "based on, with the pooled rate of all compared programmes and the limits within which a "
    "programme of that size would fall by chance alone (exact binomial limits, 95 % and "
    "99.8 %). A rate hidden to protect small numbers stays in the comparison: it is shown as "
    'the interval its published figures allow (or as "fewer than 5 did not reach the '
    'outcome" where that is what they say), never left out. The pooled rate is never '
    "computed over the shown programmes alone, because rates are hidden when a few people did "
    "not reach the outcome, so leaving them out would make the pooled rate look worse than it "
    "is. When rates are hidden, the pooled rate is given as the interval from the lowest to the "
    "highest value the shown figures and the hidden programmes' published ranges allow: it "
    "contains the true pooled rate and reveals nothing that is not published. The limits then "
    "use the lower end for the lower limits and the upper end for the upper limits, so a "
    "programme outside them is outside whatever the hidden figures are. Where the published "
    "ranges are too wide (an interval wider than 10 percentage points), no pooled rate and no "
    "limits are shown."
)
"""The method in one paragraph, for the Comparison page and every report's annex (marked for
translation: show it as ``_(METHOD)``)."""
HIDDEN = "hidden"
HIDDEN_TEXT = N_("hidden to protect small numbers")
INSIDE = "inside"
OUTSIDE_95 = "outside 95 %"
OUTSIDE_998 = "outside 99.8 %"
NOT_JUDGED = "not judged"
"""A shown rate with no limits to judge it by: the pooled rate is not shown (hidden rates
are not bounded closely enough by what is published)."""
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
    "shown",
    "rate_low",
    "rate_high",
    "display",
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
    "pooled_low",
    "pooled_high",
]
_COLOURS = {INSIDE: "#4c78a8", OUTSIDE_95: "#f58518", OUTSIDE_998: "#b2182b", NOT_JUDGED: "#9a9a9a"}
"""Blue inside, orange and red outside; a rate not judged is a neutral grey (and a square),
so it never reads as inside the limits."""


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
    from scipy.stats import binom  # ~0.7 s to import: only where limits are drawn

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
    """Σ numerator of the compared programmes whose figures are shown."""
    denominator: float
    """Σ denominator of the compared programmes whose figures are shown."""
    programmes: pd.DataFrame
    """The compared programmes (``COMPARED_COLUMNS``), by programme name: no ranking. Hidden
    ones have ``shown`` false, no figures, their feasible ``rate_low``/``rate_high`` and a
    ``display`` text."""
    excluded: pd.DataFrame
    """Programmes not compared, with the reason (``EXCLUDED_COLUMNS``)."""
    limits: pd.DataFrame
    """The limit curves: ``denominator``, ``lower_95``, ``upper_95``, ``lower_998``,
    ``upper_998`` (empty without a pooled rate)."""
    pooled_low: float | None = None
    """The lowest pooled rate the shown figures and the hidden ranges allow (None: unknown)."""
    pooled_high: float | None = None
    """The highest (equal to ``pooled_low`` when nothing is hidden)."""
    releases: tuple[int, ...] = ()
    """The releases the figures come from (shared reads), for the audit trail."""
    min_denominator: int = MIN_DENOMINATOR
    """The smallest denominator compared: the releases' rule 3 threshold when shared."""

    @property
    def hidden(self) -> int:
        """How many compared programmes have their rate hidden."""
        return int((~self.programmes["shown"].astype(bool)).sum()) if len(self.programmes) else 0

    @property
    def pooled(self) -> float | None:
        """The pooled rate when it is known exactly (nothing hidden), else ``None``."""
        if self.hidden or self.denominator <= 0:
            return None
        return self.numerator / self.denominator

    @property
    def pooled_shown(self) -> bool:
        """Whether a pooled figure (exact, or an interval at most ``MAX_POOLED_WIDTH`` wide)
        is shown, with limits around it."""
        return (
            self.pooled_low is not None
            and self.pooled_high is not None
            and self.pooled_high - self.pooled_low <= MAX_POOLED_WIDTH + 1e-12
        )

    def pooled_label(self) -> str:
        """``92 %``, ``between 88 % and 95 %``, or why it is not shown (in the language of the
        moment)."""
        lang = current()
        if self.pooled is not None:
            return numbers.percent(self.pooled, lang)
        if self.pooled_low is None or self.pooled_high is None:
            return _("not shown: hidden rates are not bounded closely enough by what is published")
        between = _(
            "between {low} and {high}",
            low=numbers.percent(self.pooled_low, lang),
            high=numbers.percent(self.pooled_high, lang),
        )
        if self.pooled_shown:
            return between
        return _("not shown ({between} is too wide to say much)", between=between)


def rate_bounds(
    num_low: float, num_high: float, den_low: float, den_high: float
) -> tuple[float, float]:
    """The lowest and highest rate x/y with x in [num_low, num_high], y in [den_low, den_high]
    and x ≤ y (NaN bounds are unbounded: 0 and infinity). (0, 1) when nothing bounds it."""
    nl, nh, dl, dh = _ranges(num_low, num_high, den_low, den_high)
    low = nl / dh if 0 < dh < math.inf else 0.0
    x = min(nh, dh)
    y = max(dl, x)
    high = 1.0 if x == math.inf or y == math.inf else (x / y if y > 0 else 1.0)
    return max(0.0, min(low, 1.0)), max(0.0, min(high, 1.0))


def _ranges(nl: float, nh: float, dl: float, dh: float) -> tuple[float, float, float, float]:
    nl = 0.0 if math.isnan(nl) else max(nl, 0.0)
    dl = 0.0 if math.isnan(dl) else max(dl, 0.0)
    nh = math.inf if math.isnan(nh) else nh
    dh = math.inf if math.isnan(dh) else dh
    return nl, min(nh, dh), max(dl, nl), dh


def pooled_bounds(
    numerator: float,
    denominator: float,
    hidden: Sequence[tuple[float, float, float, float]],
    min_denominator: float = MIN_DENOMINATOR,
) -> tuple[float, float] | None:
    """The lowest and highest pooled rate (numerator + Σx) / (denominator + Σy) when each
    hidden programme contributes some x/y within its ranges ``(num_low, num_high, den_low,
    den_high)`` with x ≤ y, or nothing (x = y = 0) if its denominator may be under
    ``min_denominator`` (it would not be compared). ``None`` when a needed bound is unbounded
    or nothing at all is pooled.

    Exact over those ranges: each bound is the optimum of a linear-fractional programme,
    solved by Dinkelbach's iteration (each step picks, per hidden programme, the option that
    moves the ratio furthest; a few steps suffice)."""
    cells = [_ranges(*h) for h in hidden]
    lows, highs = [], []
    for nl, nh, dl, dh in cells:
        optional = dl < min_denominator
        lows.append([(nl, dh), *([(0.0, 0.0)] if optional else [])])
        x = nh
        highs.append([(x, max(dl, x)), *([(0.0, 0.0)] if optional else [])])
    out = []
    for options, sign in ((lows, -1.0), (highs, 1.0)):
        if any(math.isinf(v) for opts in options for o in opts[:1] for v in o):
            return None
        ratio = numerator / denominator if denominator > 0 else 0.5
        for _step in range(50):
            picks = [_best(opts, sign, ratio) for opts in options]
            num = numerator + sum(x for x, _y in picks)
            den = denominator + sum(y for _x, y in picks)
            if den <= 0:
                return None
            new = num / den
            if abs(new - ratio) < 1e-12:
                break
            ratio = new
        out.append(ratio)
    return out[0], out[1]


def _best(options: Sequence[tuple[float, float]], sign: float, ratio: float) -> tuple[float, float]:
    """The option (x, y) that moves a ratio in direction ``sign`` furthest at ``ratio``."""
    return max(options, key=lambda o: sign * (o[0] - ratio * o[1]))


def _display(rate_low: float, rate_high: float, complement_high: float) -> str:
    """What a hidden rate may show: the complement's bound if the ranges make it under 5,
    else the feasible interval, else only that it is hidden."""
    if complement_high < 5:
        return _("fewer than 5 did not reach the outcome")
    if rate_low <= 0.0 and rate_high >= 1.0:
        return _(HIDDEN_TEXT)
    lang = current()
    return _(
        "hidden to protect small numbers; between {low} and {high}",
        low=numbers.percent(rate_low, lang),
        high=numbers.percent(rate_high, lang),
    )


def _number(value: object) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return x


def _tables(names: Sequence[str]) -> str:
    """``Custody events and Contacts``: tables of the data format by their labels."""
    labels = [_("“{name}”", name=code_label("table", t)) for t in names]
    if len(labels) < 2:
        return "".join(labels)
    return _("{some} and {last}", some=", ".join(labels[:-1]), last=labels[-1])


_NOUNS = (N_("releases"), N_("requests"), N_("referrals"), N_("needs"))
"""What rates' denominators count (``units.denominator_noun``), for the translators; a noun
without a translation makes a general sentence instead."""


def _no_denominator(noun: str | None) -> str:
    """``no data: no releases in this period``, or the general sentence when the noun is
    unknown (or has no translation in the language of the moment)."""
    if noun and (current() == "en" or _(noun) != noun):
        return _("no data: no {noun} in this period", noun=_(noun))
    return _("no data: nothing to count in this period")


def _reason(
    row: Mapping[Any, object],
    version: int,
    missing: Sequence[str],
    ind: Indicator | None,
    min_denominator: int = MIN_DENOMINATOR,
) -> str | None:
    """Why a row is not compared (``None``: it is compared)."""
    if int(row["indicator_version"]) != version:  # type: ignore[call-overload]
        return _(
            "definition differs: computed with version {computed}, compared on version {compared}",
            computed=row["indicator_version"],
            compared=version,
        )
    if bool(row.get("suppressed")):
        return None  # compared as a hidden programme, with what its release allows
    den = _number(row.get("denominator"))
    if row.get("status") == "no_data" or math.isnan(den) or den <= 0:
        if math.isnan(den) or missing:
            if missing:
                return n_(
                    "no data: the table {names} was not supplied",
                    "no data: the tables {names} were not supplied",
                    len(missing),
                    names=_tables(missing),
                )
            return _("no data: a table this indicator needs was not supplied")
        return _no_denominator(denominator_noun(ind.unit if ind else None))
    if den < min_denominator:
        return _("fewer than {n} in the denominator", n=min_denominator)
    return None


def _one_indicator(frame: pd.DataFrame) -> str:
    ids = frame["indicator_id"].dropna().unique()
    if len(ids) != 1:
        raise ComparisonError(
            "A comparison takes the rows of exactly one indicator; got "
            f"{', '.join(map(str, ids)) or 'none'}."
        )
    return str(ids[0])


def funnel(
    frame: pd.DataFrame,
    period: Period | None = None,
    *,
    version: int | None = None,
    indicator: Indicator | None = None,
    names: Mapping[str, str] | None = None,
    missing_tables: Mapping[str, Sequence[str]] | None = None,
    min_denominator: int = MIN_DENOMINATOR,
) -> Funnel:
    """The funnel of one proportion indicator in one period, from the engine's frame.

    ``frame`` holds the indicator's rows per programme (other periods are ignored; ``period``
    defaults to the latest in the frame). ``version`` is the definition compared on (default:
    ``indicator``'s, else the newest in the frame). ``names`` maps programme ids to names;
    ``missing_tables`` maps a programme to the tables its submission lacks, for the reason of
    a ``no_data`` row. Rows with ``programme_id == "*"`` (totals) are ignored. Rates on
    fewer than ``min_denominator`` are not compared (for shared rows: the releases' threshold).
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
        period = from_days(start, end)
    rows = rows[(rows["period_start"] == period.start) & (rows["period_end"] == period.end)]
    if version is None:
        version = (
            indicator.version if indicator is not None else int(rows["indicator_version"].max())
        )
    names = names or {}
    missing_tables = missing_tables or {}
    compared: list[dict[str, object]] = []
    excluded: list[dict[str, object]] = []
    hidden: list[tuple[float, float, float, float]] = []
    for row in rows.sort_values("programme_id").to_dict("records"):
        pid = str(row["programme_id"])
        sources = indicator.sources if indicator is not None else None
        missing = [t for t in missing_tables.get(pid, ()) if sources is None or t in sources]
        reason = _reason(row, version, missing, indicator, min_denominator)
        name = names.get(pid, pid)
        if reason is not None:
            excluded.append({"programme_id": pid, "programme": name, "reason": reason})
            continue
        if bool(row.get("suppressed")):
            nl_, nh_, dl_, dh_ = (_number(row.get(c)) for c in RANGE_COLUMNS)
            ranges = (nl_, nh_, dl_, dh_)
            nl, _nh, dl, dh = _ranges(*ranges)
            low, high = rate_bounds(*ranges)
            hidden.append(ranges)
            compared.append(
                {
                    "programme_id": pid,
                    "programme": name,
                    "status": row["status"],
                    "note": "",
                    "shown": False,
                    "rate_low": low,
                    "rate_high": high,
                    "display": _display(low, high, dh - nl),
                    "den_low": dl,
                    "den_high": dh,
                }
            )
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
                    _("the period is not over in this programme's data")
                    if row["status"] == "partial_period"
                    else ""
                ),
                "shown": True,
            }
        )
    table = pd.DataFrame(compared, columns=[*COMPARED_COLUMNS, "den_low", "den_high"])
    table["shown"] = table["shown"].astype(bool)
    shown = table[table["shown"]]
    num = float(shown["numerator"].sum()) if len(shown) else 0.0
    den = float(shown["denominator"].sum()) if len(shown) else 0.0
    table.loc[table["shown"], "rate_low"] = shown["value"]
    table.loc[table["shown"], "rate_high"] = shown["value"]
    table["display"] = table["display"].astype(object).where(table["display"].notna(), "")
    bounds = pooled_bounds(num, den, hidden, min_denominator) if (den > 0 or hidden) else None
    limits = pd.DataFrame(columns=["denominator", "lower_95", "upper_95", "lower_998", "upper_998"])
    table["position"] = np.where(table["shown"], INSIDE, HIDDEN)
    table["side"] = ""
    wide = bounds is None or bounds[1] - bounds[0] > MAX_POOLED_WIDTH + 1e-12
    if bounds is not None and not wide and len(shown):
        p_low, p_high = bounds
        n = shown["denominator"].to_numpy(dtype=float)
        lo95, hi95 = control_limits(p_low, n, LEVELS[0])[0], control_limits(p_high, n, LEVELS[0])[1]
        lo998 = control_limits(p_low, n, LEVELS[1])[0]
        hi998 = control_limits(p_high, n, LEVELS[1])[1]
        idx = shown.index
        table.loc[idx, "lower_95"], table.loc[idx, "upper_95"] = lo95, hi95
        table.loc[idx, "lower_998"], table.loc[idx, "upper_998"] = lo998, hi998
        value = shown["value"].to_numpy(dtype=float)
        out998 = (value < lo998) | (value > hi998)
        out95 = (value < lo95) | (value > hi95)
        table.loc[idx, "position"] = np.where(
            out998, OUTSIDE_998, np.where(out95, OUTSIDE_95, INSIDE)
        )
        table.loc[idx, "side"] = np.where(~out95, "", np.where(value > hi95, "above", "below"))
        grid = _grid(n, min_denominator)
        limits = pd.DataFrame(
            {
                "denominator": grid,
                "lower_95": control_limits(p_low, grid, LEVELS[0])[0],
                "upper_95": control_limits(p_high, grid, LEVELS[0])[1],
                "lower_998": control_limits(p_low, grid, LEVELS[1])[0],
                "upper_998": control_limits(p_high, grid, LEVELS[1])[1],
            }
        )
    elif len(shown):
        table.loc[shown.index, "position"] = NOT_JUDGED
    table = table.sort_values(["programme", "programme_id"], kind="stable")
    releases = (
        tuple(sorted({int(r) for r in rows["release"].dropna()})) if "release" in rows else ()
    )
    return Funnel(
        ind_id,
        int(version),
        period,
        num,
        den,
        table.reset_index(drop=True),
        pd.DataFrame(excluded, columns=EXCLUDED_COLUMNS),
        limits,
        bounds[0] if bounds is not None else None,
        bounds[1] if bounds is not None else None,
        releases,
        min_denominator,
    )


def _grid(n: np.ndarray, min_denominator: int = MIN_DENOMINATOR) -> np.ndarray:
    """Whole denominators to draw the limit curves at: from just below the smallest compared
    denominator (at least ``min_denominator``) to a little beyond the largest."""
    lo = max(1.0, min(float(min_denominator), float(n.min()) * 0.8))
    hi = max(float(n.max()) * 1.15, lo + 10)
    return np.unique(np.round(np.geomspace(lo, hi, 300)))


def _level(position: str) -> str:
    """``95 %`` or ``99.8 %`` (``99,8 %`` in German): the limits a position names."""
    return f"{numbers.number(99.8 if position == OUTSIDE_998 else 95, current())} %"


def limits_text(position: str, side: str) -> str:
    """Where a programme's rate lies against the limits, in the language of the moment."""
    if position == INSIDE:
        return _("inside the limits")
    if position == HIDDEN:
        return marks.hidden()
    if position == NOT_JUDGED:
        return _("no limits (see the pooled rate)")
    if side == "above":
        return _("above the {level} limit", level=_level(position))
    return _("below the {level} limit", level=_level(position))


def programme_table(f: Funnel) -> pd.DataFrame:
    """The compared programmes as a person reads them: rate, interval, denominator, and
    whether the rate lies inside the limits; a hidden rate with what may be shown of it
    (``shown_as``). Ordered by name, never by rate. (Numbers as numbers: ``display_table``
    is the page's, every cell a text.)"""
    out = f.programmes
    where = [limits_text(p, s) for p, s in zip(out["position"], out["side"], strict=True)]
    return pd.DataFrame(
        {
            "programme": out["programme"],
            "rate": out["value"],
            "shown_as": out["display"].fillna(""),
            "ci_low": out["ci_low"],
            "ci_high": out["ci_high"],
            "numerator": out["numerator"],
            "denominator": out["denominator"],
            "limits": where,
            "completeness": out["completeness"],
            "note": out["note"],
        }
    )


DISPLAY_COLUMNS: dict[str, str] = {
    "programme": N_("Programme"),
    "rate": N_("Rate"),
    "interval": N_("95 % interval"),
    "counted": N_("Counted"),
    "limits": N_("Against the limits"),
    "completeness": N_("Data complete"),
    "note": N_("Note"),
}
"""The Comparison page's table of compared programmes (``display_table``), in its order."""
DISPLAY_WIDTHS: dict[str, int] = {
    "programme": 250,
    "rate": 70,
    "interval": 220,
    "counted": 80,
    "limits": 220,
    "completeness": 100,
    "note": 300,
}


def _present(value: object) -> float | None:
    x = _number(value)
    return None if math.isnan(x) else x


def display_table(f: Funnel) -> pd.DataFrame:
    """``programme_table`` as the page shows it, every cell a text in the language of the
    moment under translated headers: the rate and its interval right after the name, a hidden
    rate marked (``marks.hidden()``) with what its release allows in the interval column.
    Ordered by name, never by rate. A column with nothing in it (completeness, a note) is left
    out."""
    lang = current()
    rows = []
    for row in f.programmes.to_dict("records"):
        shown = bool(row["shown"])
        value = _present(row.get("value"))
        low, high = _present(row.get("ci_low")), _present(row.get("ci_high"))
        num, den = _present(row.get("numerator")), _present(row.get("denominator"))
        share = _present(row.get("completeness"))
        if shown and value is not None:
            rate = numbers.percent(value, lang)
            interval = numbers.interval(low, high, lang) if low is not None and high else ""
        elif shown:
            rate, interval = marks.no_data(), ""
        else:
            rate, interval = marks.hidden(), str(row.get("display") or "")
        counted = (
            _("{n} of {d}", n=numbers.count(num, lang), d=numbers.count(den, lang))
            if shown and num is not None and den is not None
            else ""
        )
        rows.append(
            {
                "programme": row["programme"],
                "rate": rate,
                "interval": interval,
                "counted": counted,
                "limits": limits_text(str(row["position"]), str(row.get("side") or "")),
                "completeness": "" if share is None else numbers.percent(share, lang),
                "note": row.get("note") or "",
            }
        )
    out = pd.DataFrame(rows, columns=list(DISPLAY_COLUMNS))
    for empty in ("completeness", "note"):  # a column with nothing in it
        if not out[empty].astype(bool).any():
            out = out.drop(columns=[empty])
    return out.rename(columns={c: _(DISPLAY_COLUMNS[c]) for c in out.columns})


def display_widths() -> dict[str, int]:
    """Header (in the language of the moment) → width in pixels, for ``display_table``'s
    columns: the programme, its rate, interval, count and place against the limits fit the
    848 pixels a 1280-pixel screen leaves beside the sidebar."""
    return {_(DISPLAY_COLUMNS[c]): w for c, w in DISPLAY_WIDTHS.items()}


def excluded_table(f: Funnel) -> pd.DataFrame:
    """The programmes not compared and why, under translated headers."""
    return f.excluded[["programme", "reason"]].rename(
        columns={"programme": _("Programme"), "reason": _("Why not")}
    )


def funnel_sentence(f: Funnel) -> str | None:
    """The one sentence that stands instead of a funnel plot with nothing to show (``None``:
    draw it): no programme compared, only one, or every compared rate the same and none
    hidden (a flat funnel, its limits collapsed onto the pooled rate)."""
    progs = f.programmes
    if progs.empty:
        return _(
            "No programme can be compared for this indicator and period: see the reasons below."
        )
    shown = progs[progs["shown"]]
    if len(progs) == 1:
        one = progs.iloc[0]
        return _(
            "Only one programme can be compared ({programme}, {rate}): a funnel plot needs "
            "at least two.",
            programme=one["programme"],
            rate=numbers.percent(float(one["value"]), current())
            if bool(one["shown"]) and not math.isnan(float(one["value"]))
            else _(HIDDEN_TEXT),
        )
    if f.hidden:
        return None
    values = shown["value"].astype(float)
    if len(values) and float(values.max() - values.min()) < 1e-12:
        return _(
            "Every programme compared has the same rate, {rate}: the funnel plot would show "
            "nothing to tell them apart. The table below lists them.",
            rate=numbers.percent(float(values.iloc[0]), current()),
        )
    return None


# --------------------------------------------------------------------------------------------
# Trends


def trend_periods(period: Period, n: int = 8) -> tuple[Period, ...]:
    """``period`` and the ``n - 1`` periods of the same kind before it, oldest first."""
    out = [period]
    for _step in range(max(n, 1) - 1):
        out.append(out[-1].previous())
    return tuple(reversed(out))


def trend(
    frame: pd.DataFrame,
    *,
    version: int | None = None,
    indicator: Indicator | None = None,
    names: Mapping[str, str] | None = None,
    missing_tables: Mapping[str, Sequence[str]] | None = None,
    min_denominator: int = MIN_DENOMINATOR,
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
        period = from_days(start, end)
        f = funnel(
            rows,
            period,
            version=version,
            indicator=indicator,
            names=names,
            missing_tables=missing_tables,
            min_denominator=min_denominator,
        )
        compared = f.programmes.assign(reason=f.programmes["display"].fillna(""))
        excluded = f.excluded.assign(shown=False)
        part = pd.concat([compared, excluded], ignore_index=True)
        part["period"], part["period_start"], part["period_end"] = period.label, start, end
        part["pooled"] = f.pooled if f.pooled is not None else math.nan
        part["pooled_low"] = f.pooled_low if f.pooled_shown else math.nan
        part["pooled_high"] = f.pooled_high if f.pooled_shown else math.nan
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
    releases: tuple[int, ...] = ()
    """Every release the funnel and the trend were read from (shared; empty internally): what
    a funder read, for the audit trail."""
    release: str = ""
    """``Release 3, approved 4 Dec 2026`` (``release_note``): where the shared figures come
    from, for the page's caption."""


def compare(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    request: ComparisonRequest,
    catalogue: Catalogue | None = None,
) -> Comparison:
    """Compute the indicator for the period and the trend periods in the caller's scope (a
    shared scope gets the figures of the releases covering them) and build the funnel and the
    trend. A shared comparison applies the smallest denominator recorded with those releases."""
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
    progs = programmes_in_scope(cur, request.scope)
    names = {  # as the reader reads them (the caller's cache keys the language)
        p: shown_name(n) for p, n in zip(progs["programme_id"], progs["programme"], strict=True)
    }
    missing = {  # (a programme known only from returns has no tables to be missing)
        p: tuple(t for t in ind.sources if t not in tables)
        for p, tables in zip(progs["programme_id"], progs["tables"], strict=True)
        if tables
    }
    if request.scope.internal:
        frame = compute(
            cur,
            IndicatorRequest(periods=periods, indicators=(ind.key,), scope=request.scope),
            catalogue,
        )
        unreleased: list[str] = []
        releases: tuple[int, ...] = ()
        settings = DisclosureSettings()
    else:
        frame, unreleased = _released_frame(cur, ind, periods, list(names), request, catalogue)
        releases = tuple(sorted({int(r) for r in frame["release"].dropna()}))
        settings = release_settings(cur, releases)
    least = settings.min_denominator
    f = funnel(
        frame,
        request.period,
        indicator=ind,
        names=names,
        missing_tables=missing,
        min_denominator=least,
    )
    if unreleased:
        more = pd.DataFrame(
            [
                {"programme_id": p, "programme": names.get(p, p), "reason": _(NOT_RELEASED)}
                for p in unreleased
            ],
            columns=EXCLUDED_COLUMNS,
        )
        f = replace(
            f,
            excluded=pd.concat([f.excluded, more], ignore_index=True)
            .sort_values(["programme", "programme_id"], kind="stable")
            .reset_index(drop=True),
        )
    t = trend(frame, indicator=ind, names=names, missing_tables=missing, min_denominator=least)
    note = release_note(frame, cur) if releases else ""
    return Comparison(ind, f, t, request.scope, releases, note)


NOT_RELEASED = N_("not released: no approved release covers this period yet")


def _released_frame(
    cur: duckdb.DuckDBPyConnection,
    ind: Indicator,
    periods: Sequence[Period],
    programmes: list[str],
    request: ComparisonRequest,
    catalogue: Catalogue,
) -> tuple[pd.DataFrame, list[str]]:
    """The shared rows of each period from the releases that cover it, with each hidden cell's
    published ranges, and the programmes no release covers for the compared period. A period
    that no release covers for any programme is left out of the trend; the compared period
    itself is then refused (``NotReleased``, the read path's sentence)."""
    cover = coverage(cur, programmes, periods)
    # one read per set of covered programmes, not per period: the periods of a trend are
    # usually covered for the same programmes, and each read has a fixed cost that grows with
    # the store (a funder's store of returns from hundreds of organisations)
    groups: dict[tuple[str, ...], list[Period]] = {}
    for period in periods:
        here = cover[(cover["period_start"] == period.start) & (cover["period_end"] == period.end)]
        covered = tuple(sorted(set(here["programme_id"])))
        if not covered and period != request.period:
            continue
        groups.setdefault(covered, []).append(period)
    parts = [
        compute(
            cur,
            IndicatorRequest(
                periods=tuple(chosen),
                indicators=(ind.key,),
                programmes=covered,
                scope=request.scope,
            ),
            catalogue,
        )
        for covered, chosen in groups.items()
    ]
    order = {(p.start, p.end): n for n, p in enumerate(periods)}
    frame = pd.concat(parts, ignore_index=True)
    if len(periods) > 1:  # period by period, as the trend reads them
        spans = zip(frame["period_start"], frame["period_end"], strict=True)
        at = pd.Series([order[span] for span in spans])
        frame = frame.iloc[at.argsort(kind="stable").to_numpy()].reset_index(drop=True)
    main = cover[
        (cover["period_start"] == request.period.start)
        & (cover["period_end"] == request.period.end)
    ]
    unreleased = sorted(set(programmes) - set(main["programme_id"]))
    return with_ranges(cur, frame), unreleased


def with_ranges(cur: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (shared rows with their ``release``) with the published feasible ranges of each
    hidden unsplit cell (``RANGE_COLUMNS``) from the release that served it. The ranges are
    what a release publishes about a hidden cell; the cell's own figures stay blank."""
    if frame.empty or "release" not in frame.columns:
        return frame.assign(**{c: math.nan for c in RANGE_COLUMNS})
    hidden = frame[frame["suppressed"].astype(bool)]
    keys = hidden[
        [
            "release",
            "indicator_id",
            "indicator_version",
            "programme_id",
            "period_start",
            "period_end",
        ]
    ].drop_duplicates()
    if keys.empty:
        return frame.assign(**{c: math.nan for c in RANGE_COLUMNS})
    ranges = cur.execute(
        """
        WITH wanted AS (
            SELECT unnest(?::INTEGER[]) AS release, unnest(?::VARCHAR[]) AS indicator_id,
                   unnest(?::INTEGER[]) AS indicator_version, unnest(?::VARCHAR[]) AS programme_id,
                   unnest(?::DATE[]) AS period_start, unnest(?::DATE[]) AS period_end
        )
        SELECT w.*, c.range_low, c.range_high, c.den_low, c.den_high
        FROM wanted w JOIN release_cells c USING (release, indicator_id, indicator_version,
                                                programme_id, period_start, period_end)
        WHERE c.split_column = '' AND c.suppressed
        """,
        [
            [int(r) for r in keys["release"]],
            list(keys["indicator_id"]),
            [int(v) for v in keys["indicator_version"]],
            list(keys["programme_id"]),
            list(keys["period_start"]),
            list(keys["period_end"]),
        ],
    ).df()
    ranges["release"] = ranges["release"].astype(int)
    ranges["indicator_version"] = ranges["indicator_version"].astype(int)
    ranges["period_start"] = pd.to_datetime(ranges["period_start"]).dt.date
    on = ["_r", "indicator_id", "indicator_version", "programme_id", "period_start"]
    out = frame.assign(_r=frame["release"].astype("Int64"))
    ranges = ranges.rename(columns={"release": "_r"}).drop(columns=["period_end"])
    ranges["_r"] = ranges["_r"].astype("Int64")
    merged = out.merge(ranges, how="left", on=on)
    return merged.drop(columns=["_r"])


# --------------------------------------------------------------------------------------------
# Figures


def _pct(value: object) -> str:
    """A rate in a hover text as the tables write it (``46 %``; d3's ``%`` format cannot put
    the space before the sign), ``–`` for none."""
    v = as_number(value)
    return numbers.MISSING if v is None else numbers.percent(v)


def _n(value: object) -> str:
    """A count in a hover text in the reader's digits, ``–`` for none."""
    v = as_number(value)
    return numbers.MISSING if v is None else numbers.count(v)


def _html(text: str) -> str:
    """A name inside a hover text (Plotly reads a subset of HTML there)."""
    return html.escape(text, quote=False)


def _percent_axis(
    fig: go.Figure, ticks: Sequence[float] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0), **kwargs: object
) -> None:
    """A 0–100 % axis, its ticks written as the language writes a percent (``100 %``)."""
    fig.update_yaxes(
        tickformat=D3_PERCENT_AXIS, range=[-0.03, 1.03], **percent_ticks(ticks), **kwargs
    )


# The label placement of a funnel plot works in the plot's own pixels (about these, a little
# less than the plot area at 1280 pixels): a label that would cover another label or a point
# is moved round its point, then out on a leader line; only where nothing is free (dozens of
# programmes) is it left to the hover.
_PLOT_W, _PLOT_H = 640.0, 340.0
_CHAR_W, _LINE_H, _GAP = 6.6, 14.0, 7.0
NOTE_WIDTH = 110
"""Characters of a line of the trend chart's title (Plotly does not wrap it)."""
PANEL_TITLE_WIDTH = 32
"""Characters of a line of a trend panel's title (three panels abreast at 1280 pixels)."""
_LABEL_CHARS = 26
_SPOTS = ("top center", "bottom center", "middle right", "middle left", "top right", "top left")
_LEAD_STEPS = (14.0, 28.0, 44.0, 64.0, 88.0, 116.0)
"""How far (pixels) a label on a leader line is tried from its point, nearest first."""
_LEAD_WAYS = ((0, -1), (0, 1), (1, -1), (-1, -1), (1, 0), (-1, 0), (1, 1), (-1, 1))
"""The directions it is tried in (right, up): below, above, then aslant and sideways."""
NOTE_FONT = 13
"""Font size of the trend chart's note."""


class Label(NamedTuple):
    """Where a funnel point's label goes: ``spot``, a Plotly ``textposition`` beside the point;
    or ``offset``, the label's centre in pixels (right, up) from the point, drawn as an
    annotation with a leader line; neither: no label (the hover names the point)."""

    spot: str
    text: str
    offset: tuple[float, float] | None = None


def _short(name: str) -> str:
    return name if len(name) <= _LABEL_CHARS else name[: _LABEL_CHARS - 1].rstrip() + "…"


def _box(spot: str, px: float, py: float, w: float) -> tuple[float, float, float, float]:
    """The box (left, bottom, right, top; pixels, y up) of a label at ``spot`` of a point."""
    vertical, horizontal = spot.split()
    if vertical == "middle":
        y0 = py - _LINE_H / 2
        x0 = px + _GAP if horizontal == "right" else px - _GAP - w
    else:
        y0 = py + _GAP if vertical == "top" else py - _GAP - _LINE_H
        x0 = {"center": px - w / 2, "right": px + _GAP / 2, "left": px - _GAP / 2 - w}[horizontal]
    return x0, y0, x0 + w, y0 + _LINE_H


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _free(
    box: tuple[float, float, float, float],
    placed: Sequence[tuple[float, ...]],
    points: Sequence[tuple[float, ...]],
) -> bool:
    """Whether a label's box stays in the plot and covers no placed label and no point."""
    if box[0] < -20 or box[2] > _PLOT_W + 20 or box[1] < 0 or box[3] > _PLOT_H:
        return False
    return not any(_overlaps(box, b) for b in placed) and not any(_overlaps(box, p) for p in points)


def label_spots(
    xs: Sequence[float], ys: Sequence[float], names: Sequence[str], x_max: float
) -> list[Label]:
    """Where each point's label goes and what it reads: the first spot round the point that
    covers no other label, no point and stays in the plot; else the nearest such place out on
    a leader line (two programmes at 100 % side by side both get their name); else none, the
    hover names it. Points are placed from left to right; long names are shortened."""
    span = x_max if x_max > 0 else 1.0
    pixels = [
        (float(x) / span * _PLOT_W, (float(y) + 0.03) / 1.06 * _PLOT_H)
        for x, y in zip(xs, ys, strict=True)
    ]
    points = [(px - 6, py - 6, px + 6, py + 6) for px, py in pixels]
    placed: list[tuple[float, float, float, float]] = []
    out: list[Label] = [Label("", "")] * len(pixels)
    for i in sorted(range(len(pixels)), key=lambda k: pixels[k]):
        text = _short(str(names[i]))
        w = len(text) * _CHAR_W
        px, py = pixels[i]
        others = [p for k, p in enumerate(points) if k != i]
        for spot in _SPOTS:
            box = _box(spot, px, py, w)
            if _free(box, placed, others):
                placed.append(box)
                out[i] = Label(spot, text)
                break
        else:
            for step in _LEAD_STEPS:
                for right, up in _LEAD_WAYS:
                    dx = right * (w / 2 + step)
                    dy = up * (_LINE_H / 2 + step)
                    cx, cy = px + dx, py + dy
                    box = (cx - w / 2, cy - _LINE_H / 2, cx + w / 2, cy + _LINE_H / 2)
                    if _free(box, placed, points):
                        placed.append(box)
                        out[i] = Label("", text, (dx, dy))
                        break
                else:
                    continue
                break
    return out


def _label_texts(labels: Sequence[Label]) -> tuple[list[str], list[str]]:
    """A trace's ``text`` and ``textposition`` for its points' labels (a label on a leader
    line is an annotation instead: no text beside its point)."""
    return (
        [lab.text if lab.spot else "" for lab in labels],
        [lab.spot or "top center" for lab in labels],
    )


def _lead_labels(
    fig: go.Figure, xs: Sequence[float], ys: Sequence[float], labels: Sequence[Label]
) -> None:
    """The labels on leader lines, as annotations pointing at their points."""
    for x, y, lab in zip(xs, ys, labels, strict=True):
        if lab.offset is None:
            continue
        fig.add_annotation(
            x=float(x),
            y=float(y),
            text=lab.text,
            showarrow=True,
            arrowhead=0,
            arrowwidth=1,
            arrowcolor="#7f7f7f",
            standoff=6,
            ax=lab.offset[0],
            ay=-lab.offset[1],  # Plotly's pixels run down
            axref="pixel",
            ayref="pixel",
            font={"size": 12},
            name="label",
        )


def funnel_figure(f: Funnel, indicator: Indicator | None = None) -> go.Figure:
    """The funnel plot: each compared programme's rate against its denominator, labelled with
    its name beside it or on a leader line (``label_spots``; the hover always names it); the
    pooled rate (a band when it is an interval); the 95 % and 99.8 % limits. Without limits
    (no pooled rate shown) the rates are "not judged": a grey square with a legend entry of its
    own, never the blue of "Inside the limits". A hidden programme is
    drawn as an open marker with the feasible intervals of its rate and denominator (to the
    plot's edge where a range is unbounded). Excluded programmes are not drawn. Texts in the
    language of the moment; ``funnel_sentence`` says when a sentence should stand instead."""
    import plotly.graph_objects as go

    noun = denominator_noun(indicator.unit if indicator else None)
    x_title = (
        _("Number of {noun} (denominator)", noun=_(noun))
        if noun and (current() == "en" or _(noun) != noun)
        else _("Denominator")
    )
    fig = go.Figure()
    lim = f.limits
    if not lim.empty:
        for level, dash, width in (("998", "dot", 1.5), ("95", "dash", 1.5)):
            shown = _level(OUTSIDE_998 if level == "998" else OUTSIDE_95)
            for side in ("upper", "lower"):
                where = (
                    _("upper {level} limit at n=", level=shown)
                    if side == "upper"
                    else _("lower {level} limit at n=", level=shown)
                )
                fig.add_trace(
                    go.Scatter(
                        x=lim["denominator"],
                        y=lim[f"{side}_{level}"],
                        mode="lines",
                        name=_("{level} limits", level=shown),
                        legendgroup=level,
                        showlegend=side == "upper",
                        line={"color": "#7f7f7f", "dash": dash, "width": width},
                        hovertext=[
                            f"{where}{_n(n)}: {_pct(v)}"
                            for n, v in zip(lim["denominator"], lim[f"{side}_{level}"], strict=True)
                        ],
                        hovertemplate="%{hovertext}<extra></extra>",
                    )
                )
        x_ends = [lim["denominator"].min(), lim["denominator"].max()]
        low, high = f.pooled_low or 0.0, f.pooled_high or 0.0
        fig.add_trace(
            go.Scatter(
                x=[*x_ends, *reversed(x_ends)] if high > low else x_ends,
                y=[low, low, high, high] if high > low else [low, low],
                mode="lines",
                fill="toself" if high > low else None,
                fillcolor="rgba(51,51,51,0.15)",
                name=_("Pooled rate {rate}", rate=f.pooled_label()),
                line={"color": "#333333", "width": 1.5},
                hovertext=[
                    _("pooled rate") + " " + _pct(v)
                    for v in ([low, low, high, high] if high > low else [low, low])
                ],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    progs = f.programmes
    hidden = progs[progs["position"] == HIDDEN]
    edge = (
        float(
            max(
                [
                    *progs["denominator"].dropna(),
                    *hidden["den_low"][np.isfinite(hidden["den_low"].astype(float))],
                ]
                or [f.min_denominator * 2]
            )
        )
        * 1.15
    )
    x_max = max(edge, float(lim["denominator"].max()) if not lim.empty else 0.0)
    drawn = progs[progs["position"] != HIDDEN]
    x_low = hidden["den_low"].astype(float).clip(upper=edge)
    x_high = hidden["den_high"].astype(float).clip(upper=edge)
    x_mid = (x_low + x_high) / 2
    y_mid = (hidden["rate_low"].astype(float) + hidden["rate_high"].astype(float)) / 2
    spots = label_spots(
        [*drawn["denominator"], *x_mid],
        [*drawn["value"], *y_mid],
        [*drawn["programme"], *hidden["programme"]],
        x_max,
    )
    spot_of = dict(zip([*drawn.index, *(f"h{i}" for i in hidden.index)], spots, strict=True))
    if not hidden.empty:
        marks_ = [spot_of[f"h{i}"] for i in hidden.index]
        texts, places = _label_texts(marks_)
        _lead_labels(fig, list(x_mid), list(y_mid), marks_)
        fig.add_trace(
            go.Scatter(
                x=x_mid,
                y=y_mid,
                mode="markers+text",
                text=texts,
                textposition=places,
                name=_("Rate hidden (feasible interval)"),
                marker={"size": 10, "symbol": "circle-open", "color": "#7f7f7f"},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (hidden["rate_high"].astype(float) - y_mid).to_numpy(),
                    "arrayminus": (y_mid - hidden["rate_low"].astype(float)).to_numpy(),
                    "color": "#7f7f7f",
                    "thickness": 1,
                },
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": (x_high - x_mid).to_numpy(),
                    "arrayminus": (x_mid - x_low).to_numpy(),
                    "color": "#bbbbbb",
                    "thickness": 1,
                },
                customdata=hidden[["programme", "display"]].to_numpy(),
                hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
            )
        )
    of = _("of")
    interval = _("95 % interval")
    to = _("to")
    for position, name in (
        (INSIDE, N_("Inside the limits")),
        (OUTSIDE_95, N_("Outside 95 %")),
        (OUTSIDE_998, N_("Outside 99.8 %")),
        (NOT_JUDGED, N_("Not judged: no limits without a pooled rate")),
    ):
        part = progs[progs["position"] == position]
        if part.empty:
            continue
        placed = [spot_of[i] for i in part.index]
        texts, places = _label_texts(placed)
        _lead_labels(fig, list(part["denominator"]), list(part["value"]), placed)
        fig.add_trace(
            go.Scatter(
                x=part["denominator"],
                y=part["value"],
                mode="markers+text",
                text=texts,
                name=_(name),
                textposition=places,
                marker={
                    "size": 11,
                    "color": _COLOURS[position],
                    "symbol": "square" if position == NOT_JUDGED else "circle",
                    "line": {"color": "white", "width": 1},
                },
                customdata=np.stack(  # the programme first: what a point is
                    [part["programme"], part["numerator"], part["ci_low"], part["ci_high"]],
                    axis=-1,
                ),
                hovertext=[
                    f"<b>{_html(str(name_))}</b><br>{_pct(v)} ({_n(k)} {of} {_n(n)})"
                    f"<br>{interval} {_pct(lo)} {to} {_pct(hi)}"
                    for name_, v, k, n, lo, hi in zip(
                        part["programme"],
                        part["value"],
                        part["numerator"],
                        part["denominator"],
                        part["ci_low"],
                        part["ci_high"],
                        strict=True,
                    )
                ],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    _percent_axis(fig, title=_("Rate"))
    fig.update_xaxes(title=x_title, rangemode="tozero", range=[0, x_max * 1.04])
    fig.update_layout(
        margin={"t": 10, "b": 10},
        height=480,
        legend={"orientation": "h", "y": -0.18},
        separators=separators(),
    )
    return fig


def small_multiples_figure(
    t: pd.DataFrame,
    indicator: Indicator | None = None,
    *,
    columns: int = 3,
    max_panels: int = MAX_PANELS,
) -> go.Figure:
    """One small panel per programme: its rate per period with the 95 % interval, and the
    pooled rate of the compared programmes as a dashed line. Periods a programme could not be
    compared in are gaps; periods before the first with any rate are left out, and so are
    programmes with no rate in any period (the title names them). Periods are named in the
    language of the moment.

    At most ``max_panels`` panels: with more programmes (a funder's store of returns from
    hundreds of organisations) those with the most people counted over the periods are drawn,
    and the title says how many of how many; the funnel and the table compare them all."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if len(t):
        t = t.copy()
        t["period"] = [
            label(from_days(a, b), current())
            for a, b in zip(t["period_start"], t["period_end"], strict=True)
        ]
        rated = t[pd.to_numeric(t["value"], errors="coerce").notna()]
        if len(rated):
            t = t[t["period_start"] >= rated["period_start"].min()]
            empty = [
                p for p in dict.fromkeys(t["programme_id"]) if p not in set(rated["programme_id"])
            ]
        else:
            empty = []
    else:
        empty = []
    # panels by programme id: two organisations may name programmes alike
    ids = list(dict.fromkeys(t["programme_id"])) if len(t) else []
    notes = []
    if empty and len(empty) < len(ids):
        left_out = dict(zip(t["programme_id"], t["programme"], strict=True))
        notes.append(
            _(
                "Not drawn, no rate in these periods: {programmes}",
                programmes=", ".join(str(left_out[p]) for p in empty[:5])
                + (" …" if len(empty) > 5 else ""),
            )
        )
        ids = [i for i in ids if i not in set(empty)]
        t = t[t["programme_id"].isin(ids)]
    if len(ids) > max_panels:
        counted = pd.to_numeric(t["denominator"], errors="coerce").fillna(0.0)
        largest = set(counted.groupby(t["programme_id"]).sum().nlargest(max_panels).index)
        notes.insert(
            0,
            _(
                "{shown} of {total} programmes: those with the most people counted in these "
                "periods (the funnel and the table compare them all)",
                shown=max_panels,
                total=len(ids),
            ),
        )
        ids = [i for i in ids if i in largest]
        t = t[t["programme_id"].isin(ids)]
    lines = [line for note in notes for line in textwrap.wrap(note, NOTE_WIDTH)]
    cut = "<br>".join(lines)
    # Plotly lifts a title of several lines about 0.7 em above its anchor (measured in
    # Chromium): its first line would be cut at the figure's top edge without this padding
    note_pad = 8 + (math.ceil(0.7 * NOTE_FONT) if len(lines) > 1 else 0)
    named = dict(zip(t["programme_id"], t["programme"], strict=True)) if len(t) else {}
    alike = {n for n in named.values() if list(named.values()).count(n) > 1}
    names = [f"{named[i]} ({i})" if named[i] in alike else str(named[i]) for i in ids]
    cols = max(1, min(columns, len(names)))
    rows = max(1, math.ceil(len(names) / cols))
    # a panel's title on lines of its own, never cut at the panel's edge
    titles = ["<br>".join(textwrap.wrap(n, PANEL_TITLE_WIDTH)) or n for n in names]
    title_lines = max((n.count("<br>") + 1 for n in titles), default=1)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_xaxes=True,
        shared_yaxes=True,
        subplot_titles=titles or None,
        vertical_spacing=(0.12 if rows > 1 else 0.1) + 0.03 * (title_lines - 1),
        horizontal_spacing=0.04,
    )
    fig.update_annotations(font={"size": 13})
    periods = t.drop_duplicates("period").sort_values("period_start") if len(t) else t
    order = list(periods["period"]) if len(t) else []
    pooled_name = _("Pooled rate")
    for n, (pid, name) in enumerate(zip(ids, names, strict=True)):
        r, c = n // cols + 1, n % cols + 1
        part = t[t["programme_id"] == pid].set_index("period").reindex(order)
        value = part["value"].astype(float)
        fig.add_trace(
            go.Scatter(
                x=order,
                y=periods["pooled"],
                mode="lines",
                name=pooled_name,
                legendgroup="pooled",
                showlegend=n == 0,
                line={"color": "#7f7f7f", "dash": "dash", "width": 1},
                hovertext=[f"{pooled_name} {_pct(v)}" for v in periods["pooled"]],
                hovertemplate="%{hovertext}<extra></extra>",
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
                hovertext=[
                    f"{name}<br>{x}: {_pct(v)} (n={_n(n)})"
                    for x, v, n in zip(order, value, part["denominator"], strict=True)
                ],
                hovertemplate="%{hovertext}<extra></extra>",
            ),
            row=r,
            col=c,
        )
    _percent_axis(fig, (0.0, 0.5, 1.0))  # small panels: three ticks
    fig.update_xaxes(type="category", tickangle=-45, automargin=True)
    fig.update_layout(  # no legend: the page says what the dashed line is, and so does hover
        height=max(260, 230 * rows) + 16 * (title_lines - 1) + 18 * len(lines) + note_pad - 8,
        margin={"t": 24 + 18 * len(lines) + 18 * title_lines + note_pad - 8, "b": 10},
        showlegend=False,
        separators=separators(),
    )
    if cut:
        fig.update_layout(  # at the very top, above the panels' titles
            title={
                "text": cut,
                "font": {"size": NOTE_FONT},
                "y": 1,
                "yref": "container",
                "yanchor": "top",
                "pad": {"t": note_pad},
            }
        )
    return fig
