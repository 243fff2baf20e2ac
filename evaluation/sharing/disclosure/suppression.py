"""The two entry points: ``suppress`` a result for the shared audience, and ``attack`` a
published one to see how far each hidden count can be narrowed.

``suppress`` applies rules 1-3 (``rules``), then the secondary heuristic (``planner``) until each
relation is safe on its own, then lets the attacker (``attacker``) have the last word: a hidden
count it can still narrow below ``min_width`` makes the nearest smallest shown cell hidden, and
everything is checked again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from evaluation.measures.result import NUMBER_COLUMNS
from evaluation.sharing.disclosure.attacker import Attacker, Equations, Var
from evaluation.sharing.disclosure.errors import DisclosureError, ProtectionUnmet
from evaluation.sharing.disclosure.planner import Planner
from evaluation.sharing.disclosure.rules import primary
from evaluation.sharing.disclosure.settings import DisclosureSettings
from evaluation.sharing.disclosure.table import (
    ADDITIVE_KINDS,
    Cell,
    IndicatorInfo,
    Table,
    holds,
    read_table,
)
from evaluation.vocabulary.language import _


def _narrow(
    planner: Planner,
    hidden: set[int],
    wide: set[Var],
    previous: Attacker | None = None,
    equations: Equations | None = None,
) -> tuple[list[Var], Attacker]:
    """The hidden, protected figures that the attacker narrows below min_width.

    ``wide`` holds figures already found wide and is updated: hiding more cells only takes
    knowledge away from the attacker, so a range never shrinks and need not be checked again.
    ``previous``: the attacker of the last round, whose unchanged groups are kept warm.
    """
    t = planner.t
    attacker = Attacker(
        t.relations if equations is None else equations, t.values, hidden, previous=previous
    )
    attacker.witness_truth(t.values)
    todo: list[Var] = []
    for pos in sorted(hidden, key=lambda p: t.rank[p]):
        if not t.additive(pos):
            continue
        for layer in ADDITIVE_KINDS[t.kinds[pos] or ""]:
            if planner.protected(pos, layer) and (pos, layer) not in wide:
                todo.append((pos, layer))
    proven = attacker.prove_wide(todo, planner.s.min_width)
    out: list[Var] = []
    for var in todo:
        if var in proven or attacker.wide(var, planner.s.min_width):
            wide.add(var)
        else:
            out.append(var)
    return out, attacker


def suppress(
    result: pd.DataFrame,
    indicators: Mapping[str, IndicatorInfo],
    settings: DisclosureSettings | None = None,
    *,
    splits: Sequence[str] | None = None,
    fixed_shown: Sequence[bool] | np.ndarray | None = None,
) -> pd.DataFrame:
    """A copy of ``result`` fit for the shared audience (rules 1-4 of the spec).

    Suppressed rows get ``suppressed=True`` and empty numerator, denominator, value and
    interval; their status is kept. ``indicators`` maps every ``indicator_id`` of the result to
    its kind and ``about_people``; ``settings`` default to the spec's thresholds; ``splits``
    overrides which columns are splits (default: every column that is not a key, result or
    descriptive column).

    ``result`` must carry the computed figures (a row the caller already marked suppressed
    stays suppressed but still needs its figures): what cannot be checked is refused with
    ``DisclosureError``, never published.

    Figures published earlier (a release's union, ``evaluation.sharing.releases``) come in as
    rows too: an earlier *hidden* row is marked ``suppressed`` (it stays hidden, and keeps its
    figures so the attacker's view of it can be checked); an earlier *shown* row is flagged in
    ``fixed_shown`` (same length as ``result``): a fact the attacker holds, never hidden, never
    judged by rules 1-3 again. When rule 4 could only be met by hiding such a row,
    ``ProtectionUnmet`` is raised.
    """
    table, hidden, _attacker = _secondary(
        result, indicators, settings or DisclosureSettings(), splits, fixed_shown
    )
    return _shared(result, table, hidden)


def suppress_with_ranges(
    result: pd.DataFrame,
    indicators: Mapping[str, IndicatorInfo],
    settings: DisclosureSettings | None = None,
    *,
    splits: Sequence[str] | None = None,
    fixed_shown: Sequence[bool] | np.ndarray | None = None,
    ranges_of: Sequence[bool] | np.ndarray | None = None,
) -> tuple[pd.DataFrame, dict[Cell, tuple[float, float]]]:
    """``suppress``, and the attacker's range of every hidden count as ``attack(shared,
    original=result)`` would give it, from the same table and warm linear programs (about
    twice as fast as the two calls; releases store these ranges with their cells).

    ``ranges_of`` (same length as ``result``) limits the ranges to the flagged rows: each
    range costs two linear programs per layer, and a caller may need only some (the rule-4
    check itself always covers every hidden count)."""
    table, hidden, attacker = _secondary(
        result, indicators, settings or DisclosureSettings(), splits, fixed_shown
    )
    marked = {int(p) for p in np.flatnonzero(table.marked)}
    wanted = None if ranges_of is None else np.asarray(ranges_of, dtype=bool)
    hidden_additive = {
        p for p in hidden | marked if table.additive(p) and (wanted is None or wanted[p])
    }
    return _shared(result, table, hidden), _ranges(table, hidden_additive, attacker)


def _secondary(
    result: pd.DataFrame,
    indicators: Mapping[str, IndicatorInfo],
    settings: DisclosureSettings,
    splits: Sequence[str] | None,
    fixed_shown: Sequence[bool] | np.ndarray | None,
) -> tuple[Table, set[int], Attacker]:
    """Rules 1-4 over ``result``: its table, the hidden rows, and the attacker of the final
    hidden set (already warm: its solvers and witnesses serve the ranges)."""
    table = read_table(result, indicators, splits, published=False)
    # only equations that are true can be used by anyone
    table.relations = [r for r in table.relations if holds(r, table.values)]
    fixed: frozenset[int] = frozenset()
    if fixed_shown is not None:
        flags = np.asarray(fixed_shown, dtype=bool)
        if flags.shape != (len(result),):
            raise DisclosureError(_("fixed_shown must flag every row of the result."))
        if (flags & table.marked).any():
            raise DisclosureError(_("A row cannot be both shown earlier and marked suppressed."))
        fixed = frozenset(int(p) for p in np.flatnonzero(flags))
    planner = Planner(table, settings, fixed)
    hidden = primary(table, settings) - fixed
    planner.secure(hidden)
    wide: set[Var] = set()
    equations = Equations.of(table.relations)
    narrow, attacker = _narrow(planner, hidden, wide, None, equations)
    while narrow:
        added = False
        for pos, layer in narrow:
            cell = planner.widen(pos, layer, hidden)
            if cell is not None:
                hidden.add(cell)
                added = True
        if not added and fixed:  # only figures published earlier are left to hide
            raise ProtectionUnmet(
                _(
                    "The figures cannot be protected without hiding figures that were "
                    "published earlier."
                )
            )
        if not added:  # cannot happen with nonnegative figures; refuse rather than leak
            raise DisclosureError(_("Secondary suppression found no further cell to hide."))
        planner.secure(hidden)
        narrow, attacker = _narrow(planner, hidden, wide, attacker, equations)
    return table, hidden, attacker


def _shared(result: pd.DataFrame, table: Table, hidden: set[int]) -> pd.DataFrame:
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
    package docstring, treats each suppressed count, numerator and complement as an unknown
    nonnegative number, and minimises and maximises each with HiGHS. Bounds are whole numbers
    (``math.inf`` when unbounded). Without ``original`` a relation whose figures are all shown
    and disagree is known not to hold and is ignored; with ``original`` (the unsuppressed
    result) the attacker is also told exactly which relations hold.

    Keys are ``Cell(row_keys(...)[i], quantity)``: ``value`` for counts; ``numerator``,
    ``complement`` and ``denominator`` for proportions.
    """
    table = read_table(published, indicators, splits, published=True)
    hidden = {p for p in range(len(table.keys)) if table.marked[p] and table.additive(p)}
    if original is not None:
        truth = read_table(original, indicators, splits, published=False)
        where = {k: p for p, k in enumerate(truth.keys)}
        try:
            moved = [where[k] for k in table.keys]
        except KeyError as exc:
            raise DisclosureError(
                _("The original result has other rows than the published one.")
            ) from exc
        truth_values = {layer: arr[moved] for layer, arr in truth.values.items()}
        table.relations = [r for r in table.relations if holds(r, truth_values)]
    else:
        table.relations = [
            r
            for r in table.relations
            if any(m in hidden for m in r.members) or holds(r, table.values)
        ]
    attacker = Attacker(table.relations, table.values, hidden)
    if not attacker.feasible():
        raise DisclosureError(_("The shown figures contradict the relations between them."))
    return _ranges(table, hidden, attacker)


def _ranges(table: Table, hidden: set[int], attacker: Attacker) -> dict[Cell, tuple[float, float]]:
    """The attacker's whole-number range of each hidden additive row's layers."""
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
