"""Small-number protection for results that leave the organisation (the *shared* audience).

Method (plain language; reports quote this paragraph, see ``method_note``):

Before results are shared, numbers about people that are so small that they could point to
individuals are hidden. Any count of 1 to 4 people is hidden; so is any percentage where 1 to 4
people have, or 1 to 4 people do not have, the outcome; and percentages, ratios and medians based
on fewer than 10 people or events are hidden too. A zero is shown. Because tables also show
totals (over groups such as gender, over programmes, and over longer periods such as the year the
quarters make up), a hidden number could otherwise be worked out by subtraction, so further
numbers are hidden as well, the smallest first, until no hidden number can be worked out. This is
then checked by playing the attacker: a linear program that knows every number shown and every
way the numbers add up computes the smallest and the largest value each hidden count could have,
and every hidden count of people must be able to lie anywhere in a range at least 5 wide; where it
cannot, more numbers are hidden and the check is repeated. Hidden numbers are only marked as
suppressed, never with the reason, because the reason would tell that a number is small.

Why it works this way (for maintainers):

* Rules 1-3 of ``shared/spec/indicators-v1.md`` ("Uncertainty and small numbers") are *primary*
  suppression; rule 4 is *secondary* suppression. Kinds ``count`` and ``proportion`` are additive
  (a proportion through its numerator and ``denominator - numerator``, both counts of people);
  ``ratio`` and ``median`` only fall under rule 3; ``total``, ``share`` and ``months`` are amounts,
  not people, and no rule applies to them. Indicators with ``about_people`` false and rows with
  status ``no_data`` are never touched.
* The additive relations an attacker may use are: over the values of a split (the ``"*"`` row of
  that split, same programme, period and other splits), over programmes (``programme_id == "*"``)
  and over published sub-periods that exactly partition a published longer period, always within
  one indicator and version. A relation that does not hold in the unsuppressed figures (e.g. an
  active caseload, where a case open in two quarters counts once in the year) is not modelled:
  nobody can derive anything from an equation that is false.
* The heuristic that chooses secondary cells is deterministic (ties broken by the row's key, so the
  input's row order does not matter) and looks at one relation at a time: a relation with a hidden
  count must hide at least two of its cells, and when its total is shown the hidden parts must
  add up to at least ``min_width``. It repeats over all relations until nothing changes. The
  linear program then has the last word; a hidden count that it can still narrow makes the
  nearest smallest shown cell hidden, and everything is checked again.
* The attacker's bounds are rounded inwards to whole numbers (counts are integers), which makes
  the attacker a little stronger than a plain linear program, never weaker.
* A hidden quantity whose true value is 0 need not be protected: a 0 may be shown (rule 1), so
  learning that it is 0 discloses nothing the rules protect. The denominator of a hidden proportion
  is its numerator plus its complement, and its feasible range is the sum of theirs.

Not covered (callers must keep it in mind): relations *between* indicators (C10's denominator is
C03; C01 bounds C04's denominator), inequalities that hold for non-additive counts (an active
caseload of the year is at least that of each quarter), and figures published elsewhere.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from evaluation.errors import EvaluationError

__all__ = [
    "ADDITIVE_KINDS",
    "BASE_COLUMNS",
    "KINDS",
    "NON_SPLIT_COLUMNS",
    "NUMBER_COLUMNS",
    "TOTAL",
    "Cell",
    "DisclosureError",
    "DisclosureSettings",
    "IndicatorInfo",
    "attack",
    "method_note",
    "row_keys",
    "split_columns",
    "suppress",
]

BASE_COLUMNS = ("indicator_id", "indicator_version", "programme_id", "period_start", "period_end")
NUMBER_COLUMNS = ("numerator", "denominator", "value", "ci_low", "ci_high")
RESULT_COLUMNS = (*NUMBER_COLUMNS, "status", "suppressed")
NON_SPLIT_COLUMNS = frozenset({"period", "target", "baseline", "completeness"})
"""Extra columns that describe a row but do not split it (the engine adds a period label and the
package's targets); any other extra column is a split."""
TOTAL = "*"
KINDS = frozenset({"count", "total", "proportion", "share", "ratio", "median", "months"})
ADDITIVE_KINDS: Mapping[str, tuple[str, ...]] = {
    "count": ("value",),
    "proportion": ("numerator", "complement"),
}
"""The additive layers of each additive kind; ``complement`` is denominator minus numerator."""
RULE3_KINDS = frozenset({"proportion", "ratio", "median"})
NO_DATA = "no_data"
MAX_PARTITIONS = 256
"""Most exact partitions of one period that are modelled; calendar hierarchies (months, quarters,
half-years, years) stay far below it, and the partitions left out are implied by the others."""
_TOL = 1e-6

RowKey = tuple[Hashable, ...]


class DisclosureError(EvaluationError, ValueError):
    """The result cannot be protected as given (a missing column or number, an unknown indicator,
    a duplicate row, or published figures that contradict each other).

    Raised rather than guessed at: a result that cannot be checked must not be shared.
    """


@dataclass(frozen=True)
class DisclosureSettings:
    """Thresholds of the rules; the defaults are the spec's."""

    min_count: int = 1
    """Counts from ``min_count`` to ``max_small`` are small (rules 1 and 2)."""
    max_small: int = 4
    min_denominator: int = 10
    """Proportions, ratios and medians on fewer people (or events) are suppressed (rule 3)."""
    min_width: int = 5
    """Every suppressed count's feasible range must be at least this wide (rule 4)."""

    def __post_init__(self) -> None:
        if not 0 <= self.min_count <= self.max_small:
            raise DisclosureError("The small-count range must satisfy 0 <= min_count <= max_small.")
        if self.min_denominator < 0 or self.min_width < 0:
            raise DisclosureError("min_denominator and min_width cannot be negative.")


class IndicatorInfo(Protocol):
    """What suppression needs to know about an indicator (the catalogue's ``Indicator`` fits)."""

    @property
    def kind(self) -> str: ...

    @property
    def about_people(self) -> bool: ...


class Cell(NamedTuple):
    """One quantity of one row: ``key`` as given by ``row_keys``; ``quantity`` is ``value``
    (counts) or ``numerator``, ``denominator``, ``complement`` (proportions)."""

    key: RowKey
    quantity: str


_METHOD_TEMPLATE = (
    "Before results are shared, numbers about people that are so small that they could point to "
    "individuals are hidden. Any count of {small} people is hidden; so is any percentage where "
    "{small} people have, or {small} people do not have, the outcome; and percentages, ratios "
    "and medians based on fewer than {min_denominator} people or events are hidden too. {zero} "
    "Because tables also show totals (over groups such as gender, over programmes, and over longer "
    "periods such as the year the quarters make up), a hidden number could otherwise be worked "
    "out by subtraction, so further numbers are hidden as well, the smallest first, until no "
    "hidden number can be worked out. This is then checked by playing the attacker: a linear "
    "program that knows every number shown and every way the numbers add up computes the smallest "
    "and the largest value each hidden count could have, and every hidden count of people must be "
    "able to lie anywhere in a range at least {min_width} wide; where it cannot, more numbers are "
    "hidden and the check is repeated. Hidden numbers are only marked as suppressed, never with "
    "the reason, because the reason would tell that a number is small."
)


def method_note(settings: DisclosureSettings | None = None) -> str:
    """The method paragraph for a report's method notes, with the thresholds actually used.

    The spec requires the method to be published with every report; generating it from the
    settings keeps the published text and the applied thresholds from drifting apart.
    """
    s = settings or DisclosureSettings()
    small = f"{s.min_count} to {s.max_small}" if s.min_count != s.max_small else f"{s.min_count}"
    zero = "A zero is shown." if s.min_count > 0 else "Zeros are hidden too."
    return _METHOD_TEMPLATE.format(
        small=small, min_denominator=s.min_denominator, min_width=s.min_width, zero=zero
    )


# --------------------------------------------------------------------------------------------
# Reading a result
# --------------------------------------------------------------------------------------------


def split_columns(frame: pd.DataFrame) -> list[str]:
    """The split columns of a result: every column that is not a base, result or known
    descriptive column, in the frame's order."""
    fixed = set(BASE_COLUMNS) | set(RESULT_COLUMNS) | NON_SPLIT_COLUMNS
    return [str(c) for c in frame.columns if c not in fixed]


def _norm(value: object) -> Hashable:
    """A missing value of any flavour (None, NaN, NA, NaT) as None, so that keys compare."""
    try:
        if pd.isna(value):  # type: ignore[arg-type]
            return None
    except (TypeError, ValueError):
        pass
    return value  # type: ignore[return-value]


def row_keys(frame: pd.DataFrame, splits: Sequence[str] | None = None) -> list[RowKey]:
    """The key of each row: the base columns, then the split columns; missing values as None.

    ``attack`` reports its ranges under these keys.
    """
    cols = [*BASE_COLUMNS, *(split_columns(frame) if splits is None else splits)]
    return [tuple(_norm(v) for v in rec) for rec in frame[cols].itertuples(index=False, name=None)]


@dataclass(frozen=True)
class _Relation:
    """``parent = sum(children)`` in one additive layer."""

    layer: str
    parent: int
    children: tuple[int, ...]

    @property
    def members(self) -> tuple[int, ...]:
        return (self.parent, *self.children)


@dataclass
class _Table:
    """A result reduced to what the rules and the attacker see."""

    keys: list[RowKey]
    kinds: list[str | None]
    """The kind of each row whose indicator is about people; None where no rule applies."""
    no_data: np.ndarray
    marked: np.ndarray
    """Rows already marked suppressed in the frame."""
    values: dict[str, np.ndarray]
    """Per layer (``value``, ``numerator``, ``complement``, ``denominator``): the row's figure;
    NaN where the row has none (e.g. already suppressed); 0 for no_data rows of additive kinds."""
    relations: list[_Relation]
    rank: np.ndarray
    """Each row's position in a canonical order of keys, for tie-breaks that ignore row order."""

    def additive(self, pos: int) -> bool:
        return self.kinds[pos] in ADDITIVE_KINDS


def _number(frame: pd.DataFrame, column: str) -> np.ndarray:
    try:
        return pd.to_numeric(frame[column], errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DisclosureError(f"The column {column} of the result is not numeric.") from exc


def _read(
    frame: pd.DataFrame,
    indicators: Mapping[str, IndicatorInfo],
    splits: Sequence[str] | None,
    *,
    published: bool,
) -> _Table:
    """Check the layout and compute each row's layers and the additive relations.

    ``published``: rows marked suppressed are unknowns (the attacker's view) and may lack
    numbers; otherwise every number a rule needs must be present.
    """
    missing = [c for c in (*BASE_COLUMNS, *RESULT_COLUMNS) if c not in frame.columns]
    if missing:
        raise DisclosureError("The result lacks the columns " + ", ".join(missing) + ".")
    splits = split_columns(frame) if splits is None else list(splits)
    keys = row_keys(frame, splits)
    if len(set(keys)) != len(keys):
        raise DisclosureError(
            "The result has two rows for the same indicator, programme, period and split values."
        )
    n = len(frame)
    kinds: list[str | None] = []
    for ind in frame["indicator_id"]:
        info = indicators.get(ind)
        if info is None:
            raise DisclosureError(
                f"The indicator {ind} is not known to suppression; a result "
                "with an unknown indicator cannot be shared."
            )
        if info.kind not in KINDS:
            raise DisclosureError(f"The indicator {ind} has the unknown kind {info.kind}.")
        kinds.append(info.kind if info.about_people else None)
    no_data = (frame["status"].astype(str) == NO_DATA).to_numpy()
    marked = frame["suppressed"].fillna(False).astype(bool).to_numpy()
    num, den, val = (_number(frame, c) for c in ("numerator", "denominator", "value"))
    values = {
        "value": val.copy(),
        "numerator": num.copy(),
        "denominator": den.copy(),
        "complement": den - num,
    }
    for pos in range(n):
        kind = kinds[pos]
        if kind is None:
            continue
        if no_data[pos]:
            for arr in values.values():  # an empty denominator: nothing to count
                arr[pos] = 0.0 if np.isnan(arr[pos]) else arr[pos]
            continue
        needed = {
            "count": ("value",),
            "proportion": ("numerator", "denominator"),
            "ratio": ("denominator",),
            "median": ("denominator",),
        }.get(kind, ())
        if published and marked[pos]:
            continue
        for layer in needed:
            if np.isnan(values[layer][pos]):
                raise DisclosureError(
                    f"A row of {frame['indicator_id'].iloc[pos]} lacks its "
                    f"{layer}, so small numbers cannot be checked."
                )
        if kind == "proportion" and values["complement"][pos] < -_TOL:
            raise DisclosureError(
                f"A row of {frame['indicator_id'].iloc[pos]} has a numerator above its denominator."
            )
    order = sorted(range(n), key=lambda p: tuple(repr(k) for k in keys[p]))
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    table = _Table(keys, kinds, no_data, marked, values, [], rank)
    table.relations = list(_relations(table, frame, len(splits)))
    return table


def _relations(table: _Table, frame: pd.DataFrame, n_splits: int) -> Iterator[_Relation]:
    """Every additive relation among the rows of additive, about-people indicators."""
    rows = [p for p in range(len(table.keys)) if table.additive(p)]

    def grouped(drop: tuple[int, ...]) -> dict[RowKey, list[int]]:
        groups: dict[RowKey, list[int]] = defaultdict(list)
        for p in rows:
            key = table.keys[p]
            groups[tuple(v for i, v in enumerate(key) if i not in drop)].append(p)
        return groups

    def emit(parent: int, children: Sequence[int]) -> Iterator[_Relation]:
        kids = tuple(sorted(children, key=lambda c: table.rank[c]))
        for layer in ADDITIVE_KINDS[table.kinds[parent] or ""]:
            yield _Relation(layer, parent, kids)

    # over the values of a split, and over programmes: the "*" row is the total
    for index in (*range(5, 5 + n_splits), 2):
        for members in grouped((index,)).values():
            parents = [p for p in members if table.keys[p][index] == TOTAL]
            children = [p for p in members if table.keys[p][index] != TOTAL]
            if len(parents) == 1 and children:
                yield from emit(parents[0], children)
    # over sub-periods that exactly partition a longer period
    start = pd.to_datetime(frame["period_start"], errors="coerce")
    end = pd.to_datetime(frame["period_end"], errors="coerce")
    if (start.isna() | end.isna()).to_numpy()[rows].any():
        raise DisclosureError("A row of an indicator about people has no valid period dates.")
    for members in grouped((3, 4)).values():
        periods = [(start.iloc[p].normalize(), end.iloc[p].normalize(), p) for p in members]
        for parent, children in _partitions(periods):
            yield from emit(parent, children)


def _partitions(
    periods: list[tuple[pd.Timestamp, pd.Timestamp, int]],
) -> Iterator[tuple[int, tuple[int, ...]]]:
    """(period, sub-periods) for each set of other periods that tile a period without gaps or
    overlaps: paths from its first to its last day through periods that lie inside it."""
    day = pd.Timedelta(days=1)
    for first, last, pos in periods:
        inner: dict[pd.Timestamp, list[tuple[pd.Timestamp, int]]] = defaultdict(list)
        for s, e, p in periods:
            if s >= first and e <= last and (s, e) != (first, last):
                inner[s].append((e, p))
        if not inner.get(first):
            continue
        found = 0
        stack: list[tuple[pd.Timestamp, tuple[int, ...]]] = [(first, ())]
        while stack and found < MAX_PARTITIONS:
            at, path = stack.pop()
            for e, p in sorted(inner.get(at, ()), reverse=True):
                if e == last:
                    found += 1
                    yield pos, (*path, p)
                elif e < last:
                    stack.append((e + day, (*path, p)))


def _holds(rel: _Relation, values: Mapping[str, np.ndarray]) -> bool:
    """Whether ``rel`` is true of the given figures (False when any is unknown)."""
    arr = values[rel.layer]
    figures = [arr[m] for m in rel.members]
    if any(np.isnan(f) for f in figures):
        return False
    total = sum(figures[1:])
    return abs(figures[0] - total) <= _TOL * max(1.0, abs(figures[0]))


# --------------------------------------------------------------------------------------------
# Rules 1-3
# --------------------------------------------------------------------------------------------


def _primary(table: _Table, settings: DisclosureSettings) -> set[int]:
    """Rows that rules 1-3 suppress (plus rows already marked suppressed)."""

    def small(x: float) -> bool:
        return settings.min_count - _TOL <= x <= settings.max_small + _TOL

    out: set[int] = set()
    for pos, kind in enumerate(table.kinds):
        if kind is None or table.no_data[pos]:
            continue
        if table.marked[pos]:
            out.add(pos)
            continue
        v = {layer: arr[pos] for layer, arr in table.values.items()}
        rule1 = kind == "count" and small(v["value"])
        rule2 = kind == "proportion" and (small(v["numerator"]) or small(v["complement"]))
        rule3 = kind in RULE3_KINDS and v["denominator"] < settings.min_denominator - _TOL
        if rule1 or rule2 or rule3:
            out.add(pos)
    return out


# --------------------------------------------------------------------------------------------
# Rule 4: the heuristic
# --------------------------------------------------------------------------------------------


class _Planner:
    """Secondary suppression over one table's figures (the truth) and relations."""

    def __init__(self, table: _Table, settings: DisclosureSettings) -> None:
        self.t = table
        self.s = settings
        self.by_member: dict[tuple[int, str], list[_Relation]] = defaultdict(list)
        for rel in table.relations:
            for m in rel.members:
                self.by_member[m, rel.layer].append(rel)

    def protected(self, pos: int, layer: str) -> bool:
        """Whether a hidden figure needs a wide range: not when it is a 0 that may be shown."""
        return self.s.min_count == 0 or self.t.values[layer][pos] > _TOL

    def suppressible(self, pos: int, hidden: set[int]) -> bool:
        return pos not in hidden and self.t.additive(pos) and not self.t.no_data[pos]

    def unsafe(self, rel: _Relation, hidden: set[int]) -> bool:
        """Whether this relation alone lets its hidden figures be narrowed below min_width."""
        held = [m for m in rel.members if m in hidden]
        if not any(self.protected(m, rel.layer) for m in held):
            return False
        if len(held) < 2:
            return True
        if rel.parent in hidden:
            return False
        mass = sum(self.t.values[rel.layer][m] for m in held)
        return mass < self.s.min_width - _TOL

    def candidate(self, rels: Sequence[_Relation], hidden: set[int]) -> int | None:
        """The next cell to hide among ``rels``: the smallest shown part with people in it, else
        a shown 0 part (adds doubt, hides nothing), else a shown total."""
        best: tuple[tuple[float, ...], int] | None = None
        for rel in rels:
            arr = self.t.values[rel.layer]
            for m in rel.members:
                if not self.suppressible(m, hidden):
                    continue
                x = arr[m]
                tier = 2 if m == rel.parent else 0 if x > _TOL else 1
                order = (tier, x, float(self.t.rank[m]))
                if best is None or order < best[0]:
                    best = (order, m)
        return None if best is None else best[1]

    def secure(self, hidden: set[int]) -> None:
        """Hide cells until every relation is safe on its own; repeat to a fixed point."""
        changed = True
        while changed:
            changed = False
            for rel in self.t.relations:
                while self.unsafe(rel, hidden):
                    cell = self.candidate([rel], hidden)
                    if cell is None:
                        break
                    hidden.add(cell)
                    changed = True

    def widen(self, pos: int, layer: str, hidden: set[int]) -> int | None:
        """A cell to hide so that an attacker narrows (pos, layer) less: the best candidate of
        the relations nearest to it, searching outwards through hidden cells."""
        frontier, seen_rows, seen_rels = {pos}, {pos}, set()
        while frontier:
            rels = [
                r
                for p in sorted(frontier, key=lambda q: self.t.rank[q])
                for r in self.by_member.get((p, layer), ())
                if id(r) not in seen_rels
            ]
            seen_rels.update(id(r) for r in rels)
            cell = self.candidate(rels, hidden)
            if cell is not None:
                return cell
            frontier = {m for r in rels for m in r.members if m not in seen_rows}
            seen_rows |= frontier
        return None


# --------------------------------------------------------------------------------------------
# Rule 4: the attacker
# --------------------------------------------------------------------------------------------

Var = tuple[int, str]


@functools.cache
def _highs():  # -> module | None
    try:
        from scipy.optimize._highspy import _core
    except ImportError:
        return None
    needed = ("_Highs", "HighsLp", "HighsModelStatus", "MatrixFormat", "kHighsInf")
    return _core if all(hasattr(_core, n) for n in needed) else None


class _Solver:
    """One component's linear program, kept loaded in HiGHS between objectives.

    The attacker minimises and maximises every unknown of a component over the same
    constraints; building the model once and only changing the objective (HiGHS warm-starts
    from the last basis) takes ~0.15 ms a solve, against ~5 ms for a fresh ``scipy`` linprog
    call, which decided the speed of a report batch (tens of thousands of solves).

    HiGHS is the solver scipy ships; its Python binding is reached through scipy's own copy
    (``scipy.optimize._highspy._core``, the class ``highspy.Highs`` wraps) so that no second
    copy of HiGHS is installed and nothing is printed. Should a scipy release move it,
    ``_highs()`` returns ``None`` and ``_Attacker`` falls back to ``linprog``: slower, same
    answers.
    """

    def __init__(self, a_eq: csr_matrix, b_eq: np.ndarray) -> None:
        highspy = _highs()
        self.h = highspy._Highs()
        self.h.setOptionValue("output_flag", False)
        m, n = a_eq.shape
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, m
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, highspy.kHighsInf)
        lp.row_lower_ = lp.row_upper_ = np.asarray(b_eq, dtype=float)
        a = csr_matrix(a_eq)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, m
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(float)
        self.h.passModel(lp)
        self.a_eq, self.b_eq = a_eq, b_eq
        self.n = n
        self.index = np.arange(n, dtype=np.int32)
        self.status = highspy.HighsModelStatus

    def extreme(self, j: int, sign: float) -> tuple[float, np.ndarray] | None:
        """(optimum, solution) of minimising ``sign * x[j]``; ``None`` when unbounded."""
        c = np.zeros(self.n)
        c[j] = sign
        self.h.changeColsCost(self.n, self.index, c)
        self.h.run()
        status = self.h.getModelStatus()
        if status not in (self.status.kOptimal, self.status.kUnbounded):
            # a warm start can end undecided (kUnknown) on degenerate systems: solve afresh
            self.h.clearSolver()
            self.h.run()
            status = self.h.getModelStatus()
        if status in (self.status.kUnbounded, self.status.kUnboundedOrInfeasible):
            return None
        if status != self.status.kOptimal:
            return self.fallback(j, sign)
        return self.h.getInfo().objective_function_value, np.asarray(self.h.getSolution().col_value)

    def fallback(self, j: int, sign: float) -> tuple[float, np.ndarray] | None:
        return _linprog_extreme(self.a_eq, self.b_eq, j, sign)


def _linprog_extreme(
    a_eq: csr_matrix,
    b_eq: np.ndarray,
    j: int,
    sign: float,
) -> tuple[float, np.ndarray] | None:
    c = np.zeros(a_eq.shape[1])
    c[j] = sign
    res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status == 3:
        return None
    if res.status != 0:
        raise DisclosureError(
            "The shown figures contradict each other, so the disclosure check cannot be made."
        )
    return float(res.fun), res.x


class _Attacker:
    """Linear programs over the unknown figures, one per connected group of equations."""

    def __init__(
        self, relations: Sequence[_Relation], values: Mapping[str, np.ndarray], unknown: set[int]
    ) -> None:
        self.components: dict[Var, tuple[dict[Var, int], csr_matrix, np.ndarray]] = {}
        self.seen: dict[Var, tuple[float, float]] = {}
        self.solvers: dict[int, _Solver] = {}
        unknown_vars = {(m, r.layer) for r in relations for m in r.members if m in unknown}
        parent: dict[Var, Var] = {v: v for v in unknown_vars}

        def find(v: Var) -> Var:
            while parent[v] != v:
                parent[v] = parent[parent[v]]
                v = parent[v]
            return v

        equations: list[tuple[list[tuple[Var, float]], float]] = []
        for rel in relations:
            arr = values[rel.layer]
            terms: list[tuple[Var, float]] = []
            rhs = 0.0
            for m in rel.members:
                coef = 1.0 if m == rel.parent else -1.0
                if m in unknown:
                    terms.append(((m, rel.layer), coef))
                else:
                    rhs -= coef * arr[m]
            if not terms:
                continue
            equations.append((terms, rhs))
            for v, _ in terms[1:]:
                a, b = find(terms[0][0]), find(v)
                if a != b:
                    parent[a] = b
        groups: dict[Var, list[int]] = defaultdict(list)
        for i, (terms, _) in enumerate(equations):
            groups[find(terms[0][0])].append(i)
        for eq_ids in groups.values():
            variables = sorted({v for i in eq_ids for v, _ in equations[i][0]})
            index = {v: j for j, v in enumerate(variables)}
            rows, cols, data = [], [], []
            for r, i in enumerate(eq_ids):
                for v, coef in equations[i][0]:
                    rows.append(r)
                    cols.append(index[v])
                    data.append(coef)
            a_eq = csr_matrix((data, (rows, cols)), shape=(len(eq_ids), len(variables)))
            b_eq = np.array([equations[i][1] for i in eq_ids])
            comp = (index, a_eq, b_eq)
            for v in variables:
                self.components[v] = comp

    def feasible(self) -> bool:
        """Whether the shown figures are consistent with the relations (and nonnegativity)."""
        done: set[int] = set()
        for variables, a_eq, b_eq in self.components.values():
            if id(a_eq) in done:
                continue
            done.add(id(a_eq))
            res = linprog(
                np.zeros(len(variables)), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs"
            )
            if res.status == 2:
                return False
        return True

    def _extreme(self, var: Var, sign: float) -> float:
        """min (sign +1) or max (sign -1) of ``var``; inf when unbounded.

        Every optimum is also a feasible point for all other unknowns of the component; it is
        kept as a witness, so that ``wide`` can often prove a range wide without its own LP.
        """
        comp = self.components.get(var)
        if comp is None:
            return 0.0 if sign > 0 else math.inf
        variables, a_eq, b_eq = comp
        if _highs() is None:
            result = _linprog_extreme(a_eq, b_eq, variables[var], sign)
        else:
            solver = self.solvers.get(id(a_eq))
            if solver is None:
                solver = self.solvers[id(a_eq)] = _Solver(a_eq, b_eq)
            result = solver.extreme(variables[var], sign)
        if result is None:
            return math.inf if sign < 0 else 0.0
        fun, x = result
        for v, j in variables.items():
            self.witness(v, float(x[j]))
        return float(sign * fun)

    def witness(self, var: Var, x: float) -> None:
        """Record that ``var`` can take the value ``x`` (an LP optimum or the true figure)."""
        lo, hi = self.seen.get(var, (x, x))
        self.seen[var] = (min(lo, x), max(hi, x))

    def low(self, var: Var) -> float:
        """The smallest value ``var`` can take, rounded up to a whole number (counts)."""
        if self.seen.get(var, (1.0, 1.0))[0] <= _TOL:
            return 0.0  # a feasible 0 is the least a nonnegative unknown can be
        return float(max(0, math.ceil(self._extreme(var, 1.0) - _TOL)))

    def high(self, var: Var) -> float:
        """The largest value ``var`` can take, rounded down to a whole number (counts)."""
        x = self._extreme(var, -1.0)
        return x if math.isinf(x) else float(math.floor(x + _TOL))

    def wide(self, var: Var, width: float) -> bool:
        """Whether the attacker's whole-number range for ``var`` is at least ``width`` wide.

        Two feasible values ``a <= b`` prove the range holds ``ceil(a)..floor(b)``; known
        witnesses often settle the question, so most unknowns need one LP or none, not two.
        """

        def proven() -> bool:
            if var not in self.seen:
                return False
            lo, hi = self.seen[var]
            return math.floor(hi + _TOL) - math.ceil(lo - _TOL) >= width - _TOL

        if proven():
            return True
        hi = self.high(var)
        if math.isinf(hi) or proven():
            return True
        return hi - self.low(var) >= width - _TOL


def _narrow(planner: _Planner, hidden: set[int], wide: set[Var]) -> list[Var]:
    """The hidden, protected figures that the attacker narrows below min_width.

    ``wide`` holds figures already found wide and is updated: hiding more cells only takes
    knowledge away from the attacker, so a range never shrinks and need not be checked again.
    """
    t = planner.t
    attacker = _Attacker(t.relations, t.values, hidden)
    for var in attacker.components:
        attacker.witness(var, float(t.values[var[1]][var[0]]))
    out: list[Var] = []
    for pos in sorted(hidden, key=lambda p: t.rank[p]):
        if not t.additive(pos):
            continue
        for layer in ADDITIVE_KINDS[t.kinds[pos] or ""]:
            if not planner.protected(pos, layer) or (pos, layer) in wide:
                continue
            if attacker.wide((pos, layer), planner.s.min_width):
                wide.add((pos, layer))
            else:
                out.append((pos, layer))
    return out


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def suppress(
    result: pd.DataFrame,
    indicators: Mapping[str, IndicatorInfo],
    settings: DisclosureSettings = DisclosureSettings(),
    *,
    splits: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A copy of ``result`` fit for the shared audience (rules 1-4 of the spec).

    Suppressed rows get ``suppressed=True`` and empty numerator, denominator, value and
    interval; their status is kept. ``indicators`` maps every ``indicator_id`` of the result to
    its kind and ``about_people``; ``splits`` overrides which columns are splits (default: every
    column that is not a base, result or known descriptive column).

    ``result`` must carry the computed figures (a row the caller already marked suppressed
    stays suppressed but still needs its figures): what cannot be checked is refused with
    ``DisclosureError``, never published.
    """
    table = _read(result, indicators, splits, published=False)
    # only equations that are true can be used by anyone
    table.relations = [r for r in table.relations if _holds(r, table.values)]
    planner = _Planner(table, settings)
    hidden = _primary(table, settings)
    planner.secure(hidden)
    wide: set[Var] = set()
    while narrow := _narrow(planner, hidden, wide):
        added = False
        for pos, layer in narrow:
            cell = planner.widen(pos, layer, hidden)
            if cell is not None:
                hidden.add(cell)
                added = True
        if not added:  # cannot happen with nonnegative figures; refuse rather than leak
            raise DisclosureError("Secondary suppression found no further cell to hide.")
        planner.secure(hidden)
    out = result.copy()
    mask = table.marked.copy()  # a row the caller already hid stays hidden, and empty
    mask[sorted(hidden)] = True
    keep = pd.Series(~mask, index=out.index)
    for col in NUMBER_COLUMNS:
        out[col] = out[col].where(keep)
    out["suppressed"] = mask
    return out


def attack(
    published: pd.DataFrame,
    indicators: Mapping[str, IndicatorInfo],
    *,
    original: pd.DataFrame | None = None,
    splits: Sequence[str] | None = None,
) -> dict[Cell, tuple[float, float]]:
    """The feasible range an attacker can compute for every suppressed count.

    The attacker knows every shown figure of ``published`` and every additive relation of the
    module docstring, treats each suppressed count, numerator and complement as an unknown
    nonnegative number, and minimises and maximises each with HiGHS. Bounds are whole numbers
    (``math.inf`` when unbounded). Without ``original`` a relation whose figures are all shown
    and disagree is known not to hold and is ignored; with ``original`` (the unsuppressed
    result) the attacker is also told exactly which relations hold.

    Keys are ``Cell(row_keys(...)[i], quantity)``: ``value`` for counts; ``numerator``,
    ``complement`` and ``denominator`` for proportions.
    """
    table = _read(published, indicators, splits, published=True)
    hidden = {p for p in range(len(table.keys)) if table.marked[p] and table.additive(p)}
    if original is not None:
        truth = _read(original, indicators, splits, published=False)
        where = {k: p for p, k in enumerate(truth.keys)}
        try:
            moved = [where[k] for k in table.keys]
        except KeyError as exc:
            raise DisclosureError(
                "The original result has other rows than the published one."
            ) from exc
        truth_values = {layer: arr[moved] for layer, arr in truth.values.items()}
        table.relations = [r for r in table.relations if _holds(r, truth_values)]
    else:
        table.relations = [
            r
            for r in table.relations
            if any(m in hidden for m in r.members) or _holds(r, table.values)
        ]
    attacker = _Attacker(table.relations, table.values, hidden)
    if not attacker.feasible():
        raise DisclosureError("The shown figures contradict the relations between them.")
    out: dict[Cell, tuple[float, float]] = {}
    for pos in sorted(hidden, key=lambda p: table.rank[p]):
        key = table.keys[pos]
        ranges = {}
        for layer in ADDITIVE_KINDS[table.kinds[pos] or ""]:
            high = attacker.high((pos, layer))  # first: its optimum often proves the low 0
            ranges[layer] = (attacker.low((pos, layer)), high)
        for layer, rng in ranges.items():
            out[Cell(key, layer)] = rng
        if table.kinds[pos] == "proportion":
            (nl, nh), (cl, ch) = ranges["numerator"], ranges["complement"]
            out[Cell(key, "denominator")] = (nl + cl, nh + ch)
    return out
