"""A result read the way the rules and the attacker see it: cells, and the sums between them.

Each row of a result has a key (its key columns, then its split columns) and, for an indicator
about people, one figure per additive *layer*: ``value`` for counts; ``numerator`` and
``complement`` (denominator minus numerator) for proportions, both counts of people. The
relations ``parent = sum(children)`` an attacker may use hold within one indicator and version,
in one layer: over the values of a split (the ``TOTAL`` row of that split), over programmes
(``programme_id == TOTAL``) and over published sub-periods that exactly partition a published
longer period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, cast

import numpy as np
import pandas as pd

from evaluation.measures.result import (
    DESCRIPTIVE_COLUMNS,
    KEY_COLUMNS,
    NO_DATA,
    RESULT_COLUMNS,
)
from evaluation.sharing.disclosure.errors import DisclosureError
from evaluation.vocabulary.kinds import KINDS
from evaluation.vocabulary.language import _
from evaluation.vocabulary.splits import TOTAL

ADDITIVE_KINDS: Mapping[str, tuple[str, ...]] = {
    "count": ("value",),
    "proportion": ("numerator", "complement"),
}
"""The additive layers of each additive kind; ``complement`` is denominator minus numerator."""
MAX_PARTITIONS = 256
"""Most exact partitions of one period that are modelled; calendar hierarchies (months, quarters,
half-years, years) stay far below it, and the partitions left out are implied by the others."""
TOLERANCE = 1e-6
"""How far two figures may differ and still be equal (they arrive as floats)."""

RowKey = tuple[Hashable, ...]

_PROGRAMME = KEY_COLUMNS.index("programme_id")
_PERIOD = (KEY_COLUMNS.index("period_start"), KEY_COLUMNS.index("period_end"))
_NEEDED: Mapping[str, tuple[str, ...]] = {
    "count": ("value",),
    "proportion": ("numerator", "denominator"),
    "ratio": ("denominator",),
    "median": ("denominator",),
}
"""The figures a rule needs, per kind."""


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


def split_columns(frame: pd.DataFrame) -> list[str]:
    """The split columns of a result: every column that is not a key, result or descriptive
    column, in the frame's order."""
    fixed = set(KEY_COLUMNS) | set(RESULT_COLUMNS) | DESCRIPTIVE_COLUMNS
    return [str(c) for c in frame.columns if c not in fixed]


def _norm(value: object) -> Hashable:
    """A missing value of any flavour (None, NaN, NA, NaT) as None, so that keys compare."""
    try:
        if pd.isna(cast(Any, value)):
            return None
    except (TypeError, ValueError):
        pass
    return value


def row_keys(frame: pd.DataFrame, splits: Sequence[str] | None = None) -> list[RowKey]:
    """The key of each row: the key columns, then the split columns; missing values as None.

    ``attack`` reports its ranges under these keys.
    """
    cols = [*KEY_COLUMNS, *(split_columns(frame) if splits is None else splits)]
    return list(zip(*(_column_values(frame[c]) for c in cols), strict=True))


def _column_values(column: pd.Series) -> list[Hashable]:
    """A column's values as Python objects (what iterating the column gives), missing values of
    any flavour as None; column by column rather than cell by cell, which is what makes reading
    a release's table fast."""
    values = column.tolist()
    missing = column.isna().to_numpy()
    if missing.any():
        for i in np.flatnonzero(missing).tolist():
            values[i] = None
    return values


@dataclass(frozen=True)
class Relation:
    """``parent = sum(children)`` in one additive layer; members are row positions."""

    layer: str
    parent: int
    children: tuple[int, ...]

    @property
    def members(self) -> tuple[int, ...]:
        return (self.parent, *self.children)


@dataclass
class Table:
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
    relations: list[Relation]
    rank: np.ndarray
    """Each row's position in a canonical order of keys, for tie-breaks that ignore row order."""

    def additive(self, pos: int) -> bool:
        """Whether the row's figures add up (a count or a proportion about people)."""
        return self.kinds[pos] in ADDITIVE_KINDS


def _number(frame: pd.DataFrame, column: str) -> np.ndarray:
    try:
        return pd.to_numeric(frame[column], errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DisclosureError(
            _("The column {column} of the result is not numeric.", column=column)
        ) from exc


def read_table(
    frame: pd.DataFrame,
    indicators: Mapping[str, IndicatorInfo],
    splits: Sequence[str] | None,
    *,
    published: bool,
) -> Table:
    """Check the layout and compute each row's layers and the additive relations.

    ``published``: rows marked suppressed are unknowns (the attacker's view) and may lack
    numbers; otherwise every number a rule needs must be present. Raises ``DisclosureError``
    for what cannot be checked.
    """
    missing = [c for c in (*KEY_COLUMNS, *RESULT_COLUMNS) if c not in frame.columns]
    if missing:
        raise DisclosureError(
            _("The result lacks the columns {columns}.", columns=", ".join(missing))
        )
    splits = split_columns(frame) if splits is None else list(splits)
    keys = row_keys(frame, splits)
    if len(set(keys)) != len(keys):
        raise DisclosureError(
            _("The result has two rows for the same indicator, programme, period and split values.")
        )
    n = len(frame)
    kinds: list[str | None] = []
    for ind in frame["indicator_id"]:
        info = indicators.get(ind)
        if info is None:
            raise DisclosureError(
                _(
                    "The indicator {id} is not known to suppression; a result "
                    "with an unknown indicator cannot be shared.",
                    id=ind,
                )
            )
        if info.kind not in KINDS:
            raise DisclosureError(
                _("The indicator {id} has the unknown kind {kind}.", id=ind, kind=info.kind)
            )
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
        if published and marked[pos]:
            continue
        for layer in _NEEDED.get(kind, ()):
            if np.isnan(values[layer][pos]):
                raise DisclosureError(
                    f"A row of {frame['indicator_id'].iloc[pos]} lacks its "
                    f"{layer}, so small numbers cannot be checked."
                )
        if kind == "proportion" and values["complement"][pos] < -TOLERANCE:
            raise DisclosureError(
                f"A row of {frame['indicator_id'].iloc[pos]} has a numerator above its denominator."
            )
    rank = _ranks(keys)
    table = Table(keys, kinds, no_data, marked, values, [], rank)
    table.relations = list(_relations(table, frame, len(splits)))
    return table


def _ranks(keys: Sequence[RowKey]) -> np.ndarray:
    """Each key's position when the keys are sorted by the ``repr`` of their values (a total
    order whatever the types), computed column by column: each column's distinct values are
    ranked once, then the columns are sorted together."""
    n = len(keys)
    if not n:
        return np.empty(0, dtype=int)
    columns = list(zip(*keys, strict=True))
    sort_keys = []
    for column in reversed(columns):
        codes, uniques = _factorize(column)
        texts = [repr(u) for u in uniques]
        order = sorted(range(len(texts)), key=texts.__getitem__)
        position = np.empty(len(texts), dtype=np.int64)
        position[order] = np.arange(len(texts))
        sort_keys.append(position[codes])
    order_rows = np.lexsort(sort_keys)
    rank = np.empty(n, dtype=int)
    rank[order_rows] = np.arange(n)
    return rank


def _factorize(values: Sequence[Hashable]) -> tuple[np.ndarray, list[Hashable]]:
    """Codes (in order of first appearance) and the distinct values of a column of keys."""
    column = np.empty(len(values), dtype=object)
    column[:] = list(values)
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    # keys hold None for a missing value; factorize hands it back as NaN
    return codes.astype(np.int64), [None if _norm(u) is None else u for u in uniques]


def _group_ids(codes: np.ndarray, keep: Sequence[int]) -> np.ndarray:
    """Group numbers of the rows by the columns ``keep`` of ``codes`` (columns × rows), in
    order of first appearance."""
    group = np.zeros(codes.shape[1], dtype=np.int64)
    for i in keep:
        group = pd.factorize(group * (int(codes[i].max()) + 1) + codes[i])[0]
    return group


def _relations(table: Table, frame: pd.DataFrame, n_splits: int) -> Iterator[Relation]:
    """Every additive relation among the rows of additive, about-people indicators.

    Groups are found with array operations (one pass per split column), in the order a
    dictionary of the rows would give them: relations come out in the same order whatever the
    size of the table, and the planner, which walks them in order, decides the same."""
    rows = np.array([p for p in range(len(table.keys)) if table.additive(p)], dtype=np.int64)
    if not len(rows):
        return
    n_cols = len(KEY_COLUMNS) + n_splits
    columns = list(zip(*(table.keys[p] for p in rows.tolist()), strict=True))
    codes = np.empty((n_cols, len(rows)), dtype=np.int64)
    for i in range(n_cols):
        codes[i] = _factorize(columns[i])[0]
    rank = table.rank[rows]

    def emit(parent: int, kids: tuple[int, ...]) -> Iterator[Relation]:
        for layer in ADDITIVE_KINDS[table.kinds[parent] or ""]:
            yield Relation(layer, parent, kids)

    # over the values of a split, and over programmes: the TOTAL row is the total
    first_split = len(KEY_COLUMNS)
    for index in (*range(first_split, first_split + n_splits), _PROGRAMME):
        group = _group_ids(codes, [i for i in range(n_cols) if i != index])
        total = np.fromiter((v == TOTAL for v in columns[index]), dtype=bool, count=len(rows))
        n_groups = int(group.max()) + 1
        parents = np.bincount(group[total], minlength=n_groups)
        children = np.bincount(group[~total], minlength=n_groups)
        good = (parents == 1) & (children > 0)
        parent_of = np.full(n_groups, -1, dtype=np.int64)
        parent_of[group[total]] = rows[total]
        kid = ~total & good[group]
        order = np.lexsort((rank[kid], group[kid]))
        kid_rows, kid_group = rows[kid][order], group[kid][order]
        if not len(kid_rows):
            continue
        cuts = np.flatnonzero(np.diff(kid_group)) + 1
        for g, kids in zip(
            kid_group[np.concatenate(([0], cuts))].tolist(),
            np.split(kid_rows, cuts),
            strict=True,
        ):
            yield from emit(int(parent_of[g]), tuple(kids.tolist()))
    # over sub-periods that exactly partition a longer period
    start = pd.to_datetime(frame["period_start"], errors="coerce")
    end = pd.to_datetime(frame["period_end"], errors="coerce")
    if (start.isna() | end.isna()).to_numpy()[rows].any():
        raise DisclosureError("A row of an indicator about people has no valid period dates.")
    first = start.dt.normalize().to_numpy().astype("datetime64[D]").astype(np.int64)[rows]
    last = end.dt.normalize().to_numpy().astype("datetime64[D]").astype(np.int64)[rows]
    group = _group_ids(codes, [i for i in range(n_cols) if i not in _PERIOD])
    order = np.argsort(group, kind="stable")
    cuts = np.flatnonzero(np.diff(group[order])) + 1
    found: dict[tuple[int, ...], list[tuple[int, tuple[int, ...]]]] = {}
    for members in np.split(order, cuts):
        spans = np.stack((first[members], last[members]), axis=1)
        shape = tuple(spans.ravel().tolist())
        if shape not in found:
            periods = [(int(s), int(e), i) for i, (s, e) in enumerate(spans.tolist())]
            found[shape] = list(_partitions(periods))
        at = rows[members].tolist()
        for whole, parts in found[shape]:
            yield from emit(at[whole], tuple(at[p] for p in parts))


def _partitions(
    periods: list[tuple[int, int, int]],
) -> Iterator[tuple[int, tuple[int, ...]]]:
    """(period, sub-periods) for each set of other periods that tile a period without gaps or
    overlaps: paths from its first to its last day (day numbers) through periods that lie
    inside it. Each period is (first day, last day, its label)."""
    for first, last, pos in periods:
        inner: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for s, e, p in periods:
            if s >= first and e <= last and (s, e) != (first, last):
                inner[s].append((e, p))
        if not inner.get(first):
            continue
        found = 0
        stack: list[tuple[int, tuple[int, ...]]] = [(first, ())]
        while stack and found < MAX_PARTITIONS:
            at, path = stack.pop()
            for e, p in sorted(inner.get(at, ()), reverse=True):
                if e == last:
                    found += 1
                    yield pos, (*path, p)
                elif e < last:
                    stack.append((e + 1, (*path, p)))


def holds(rel: Relation, values: Mapping[str, np.ndarray]) -> bool:
    """Whether ``rel`` is true of the given figures (False when any is unknown)."""
    arr = values[rel.layer]
    figures = [arr[m] for m in rel.members]
    if any(np.isnan(f) for f in figures):
        return False
    total = sum(figures[1:])
    return abs(figures[0] - total) <= TOLERANCE * max(1.0, abs(figures[0]))
