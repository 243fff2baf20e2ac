"""Rule 4's judge: the attacker, who knows every shown figure and every relation between them.

Each hidden count, numerator and complement is an unknown nonnegative number; the attacker
minimises and maximises each over the relations (one linear program per connected group of
equations) and rounds the bounds inwards to whole numbers (counts are integers), which makes it a
little stronger than a plain linear program, never weaker.

Why it is built with arrays and reuses what it can (an approval solves tens of thousands of
these): the equations of a table are assembled at once with sparse matrices and split into
connected groups by ``scipy.sparse.csgraph``; a group whose unknowns did not change since the
previous attacker (``previous``) keeps its loaded linear program, the feasible points it has
seen and the optima it found. Feasible points prove a range wide without solving for it
(``prove_wide``): two points that differ by ``min_width`` in an unknown show that its range is
at least that wide, and one linear program that pushes many unknowns up (or down) at once
often settles most of a group. Only what points cannot prove is solved exactly, so the
decisions are those of solving every unknown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from evaluation.sharing.disclosure.solver import (
    Extreme,
    Solver,
    feasible,
    highs_binding,
    linprog_extreme,
)
from evaluation.sharing.disclosure.table import TOLERANCE, Relation

Var = tuple[int, str]
"""An unknown: (row position, layer)."""
LAYERS: tuple[str, ...] = ("complement", "numerator", "value")
"""The additive layers in name order, so that an unknown's number ``row * 3 + layer`` sorts
like ``(row, layer)``."""
_CODE = {layer: i for i, layer in enumerate(LAYERS)}


@dataclass(frozen=True)
class Equations:
    """Relations as arrays: relation ``r``'s members are ``member[ptr[r]:ptr[r + 1]]`` with
    coefficient +1 (the parent) or -1 (a child), in layer ``layer[r]`` (a ``LAYERS`` index)."""

    layer: np.ndarray
    ptr: np.ndarray
    member: np.ndarray
    coef: np.ndarray

    @classmethod
    def of(cls, relations: Sequence[Relation]) -> Equations:
        sizes = np.fromiter((1 + len(r.children) for r in relations), dtype=np.int64)
        ptr = np.zeros(len(relations) + 1, dtype=np.int64)
        np.cumsum(sizes, out=ptr[1:])
        member = np.fromiter(
            (m for r in relations for m in r.members), dtype=np.int64, count=int(ptr[-1])
        )
        coef = -np.ones(int(ptr[-1]))
        coef[ptr[:-1]] = 1.0
        layer = np.fromiter((_CODE[r.layer] for r in relations), dtype=np.int64)
        return cls(layer, ptr, member, coef)


@dataclass
class _Group:
    """One connected group of equations: its unknowns (``vars``: ``row * 3 + layer``, sorted),
    the equations, the least and most each unknown was seen to take in a feasible point (NaN:
    none seen yet), optima found, and the loaded linear program."""

    vars: np.ndarray
    index: dict[Var, int]
    a_eq: csr_matrix
    b_eq: np.ndarray
    seen_low: np.ndarray
    seen_high: np.ndarray
    optima: dict[tuple[int, float], float] = field(default_factory=dict)
    solver: Solver | None = None


def _var(number: int) -> Var:
    return (number // 3, LAYERS[number % 3])


class Attacker:
    """Linear programs over the unknown figures, one per connected group of equations."""

    def __init__(
        self,
        relations: Sequence[Relation] | Equations,
        values: Mapping[str, np.ndarray],
        unknown: Iterable[int],
        *,
        previous: Attacker | None = None,
    ) -> None:
        eqs = relations if isinstance(relations, Equations) else Equations.of(relations)
        n_rows = len(next(iter(values.values()))) if values else 0
        n_rows = max(n_rows, int(eqs.member.max()) + 1 if len(eqs.member) else 0)
        hidden = np.zeros(n_rows, dtype=bool)
        unknown_rows = np.fromiter(unknown, dtype=np.int64)
        hidden[unknown_rows] = True
        grid = np.full((len(LAYERS), n_rows), np.nan)
        for layer, code in _CODE.items():
            if layer in values:
                grid[code, : len(values[layer])] = values[layer]
        self.components: dict[Var, _Group] = {}
        n_rel = len(eqs.layer)
        rel_of = np.repeat(np.arange(n_rel), np.diff(eqs.ptr))
        layer_of = eqs.layer[rel_of]
        is_unknown = hidden[eqs.member]
        known = ~is_unknown
        rhs = -np.bincount(
            rel_of[known],
            weights=eqs.coef[known] * grid[layer_of[known], eqs.member[known]],
            minlength=n_rel,
        )
        var_of = eqs.member[is_unknown] * 3 + layer_of[is_unknown]
        rel_u = rel_of[is_unknown]
        if not len(var_of):
            return
        numbers, col = np.unique(var_of, return_inverse=True)
        rels, row = np.unique(rel_u, return_inverse=True)
        n_var, n_eq = len(numbers), len(rels)
        graph = coo_matrix(
            (np.ones(len(row)), (row, n_eq + col)), shape=(n_eq + n_var, n_eq + n_var)
        )
        _, label = connected_components(graph, directed=False)
        eq_label, var_label = label[:n_eq], label[n_eq:]
        # equations in relation order and unknowns in number order within each group
        eq_order = np.lexsort((rels, eq_label))
        var_order = np.lexsort((numbers, var_label))
        eq_pos = np.empty(n_eq, dtype=np.int64)
        eq_pos[eq_order] = np.arange(n_eq)
        var_pos = np.empty(n_var, dtype=np.int64)
        var_pos[var_order] = np.arange(n_var)
        whole = csr_matrix((eqs.coef[is_unknown], (eq_pos[row], var_pos[col])), shape=(n_eq, n_var))
        whole.sum_duplicates()
        b_all = rhs[rels][eq_order]
        eq_bounds = np.flatnonzero(np.diff(eq_label[eq_order])) + 1
        var_bounds = np.flatnonzero(np.diff(var_label[var_order])) + 1
        eq_starts = np.concatenate(([0], eq_bounds, [n_eq]))
        var_starts = np.concatenate(([0], var_bounds, [n_var]))
        old = {} if previous is None else previous._by_vars()
        sorted_numbers = numbers[var_order]
        for g in range(len(eq_starts) - 1):
            r0, r1 = int(eq_starts[g]), int(eq_starts[g + 1])
            c0, c1 = int(var_starts[g]), int(var_starts[g + 1])
            group_vars = sorted_numbers[c0:c1]
            group = old.get(group_vars.tobytes())
            if group is None:
                group = _Group(
                    vars=group_vars,
                    index={_var(int(v)): j for j, v in enumerate(group_vars.tolist())},
                    a_eq=whole[r0:r1, c0:c1],
                    b_eq=b_all[r0:r1],
                    seen_low=np.full(c1 - c0, np.nan),
                    seen_high=np.full(c1 - c0, np.nan),
                )
            for v in group.index:
                self.components[v] = group

    def _groups(self) -> list[_Group]:
        return list({id(g): g for g in self.components.values()}.values())

    def _by_vars(self) -> dict[bytes, _Group]:
        return {g.vars.tobytes(): g for g in self._groups()}

    def feasible(self) -> bool:
        """Whether the shown figures are consistent with the relations (and nonnegativity)."""
        return all(feasible(g.a_eq, g.b_eq) for g in self._groups())

    def witness_truth(self, values: Mapping[str, np.ndarray]) -> None:
        """Record every unknown's true figure as a value it can take."""
        for g in self._groups():
            rows, codes = g.vars // 3, g.vars % 3
            x = np.full(len(g.vars), np.nan)
            for layer, code in _CODE.items():
                mine = codes == code
                if mine.any() and layer in values:
                    x[mine] = values[layer][rows[mine]]
            np.fmin(g.seen_low, x, out=g.seen_low)
            np.fmax(g.seen_high, x, out=g.seen_high)

    def _solver(self, g: _Group) -> Solver:
        if g.solver is None:
            g.solver = Solver(g.a_eq, g.b_eq)
        return g.solver

    def _extreme(self, var: Var, sign: float) -> float:
        """min (sign +1) or max (sign -1) of ``var``; inf when unbounded.

        Every optimum is also a feasible point for all other unknowns of the component; it is
        kept as a witness, so that ``wide`` can often prove a range wide without its own LP.
        """
        g = self.components.get(var)
        if g is None:
            return 0.0 if sign > 0 else math.inf
        j = g.index[var]
        if (j, sign) in g.optima:
            return g.optima[j, sign]
        result: Extreme
        if highs_binding() is None:
            result = linprog_extreme(g.a_eq, g.b_eq, j, sign)
        else:
            result = self._solver(g).extreme(j, sign)
        if result is None:
            value = math.inf if sign < 0 else 0.0
        else:
            fun, x = result
            self._see(g, x)
            value = float(sign * fun)
        g.optima[j, sign] = value
        return value

    @staticmethod
    def _see(g: _Group, x: np.ndarray) -> None:
        np.fmin(g.seen_low, x, out=g.seen_low)
        np.fmax(g.seen_high, x, out=g.seen_high)

    def witness(self, var: Var, x: float) -> None:
        """Record that ``var`` can take the value ``x`` (an LP optimum or the true figure)."""
        g = self.components.get(var)
        if g is None:
            return
        j = g.index[var]
        lo, hi = g.seen_low, g.seen_high
        lo[j] = x if np.isnan(lo[j]) else min(lo[j], x)
        hi[j] = x if np.isnan(hi[j]) else max(hi[j], x)

    def seen(self, var: Var) -> tuple[float, float] | None:
        """The least and most value ``var`` was seen to take, or None."""
        g = self.components.get(var)
        if g is None:
            return None
        j = g.index[var]
        lo = float(g.seen_low[j])
        return None if math.isnan(lo) else (lo, float(g.seen_high[j]))

    def low(self, var: Var) -> float:
        """The smallest value ``var`` can take, rounded up to a whole number (counts)."""
        if (self.seen(var) or (1.0, 1.0))[0] <= TOLERANCE:
            return 0.0  # a feasible 0 is the least a nonnegative unknown can be
        return float(max(0, math.ceil(self._extreme(var, 1.0) - TOLERANCE)))

    def high(self, var: Var) -> float:
        """The largest value ``var`` can take, rounded down to a whole number (counts)."""
        x = self._extreme(var, -1.0)
        return x if math.isinf(x) else float(math.floor(x + TOLERANCE))

    @staticmethod
    def _proven(g: _Group, width: float) -> np.ndarray:
        """Per unknown of ``g``: whether the points seen prove its range ``width`` wide."""
        with np.errstate(invalid="ignore"):
            span = np.floor(g.seen_high + TOLERANCE) - np.ceil(g.seen_low - TOLERANCE)
            return span >= width - TOLERANCE

    def prove_wide(self, variables: Iterable[Var], width: float) -> set[Var]:
        """The unknowns among ``variables`` that feasible points prove at least ``width`` wide.

        Besides the points already seen, each group solves "push every unproven unknown up"
        and "push them all down" (the sum of the unknowns maximised, within a generous cap so
        that the program stays bounded, and minimised), again for those still unproven while
        that proves more. Every answer is a feasible point, so whatever it proves is so; what
        it cannot prove is left to ``wide``, which decides exactly.
        """
        by_group: dict[int, tuple[_Group, list[int]]] = {}
        for var in variables:
            g = self.components.get(var)
            if g is not None:
                by_group.setdefault(id(g), (g, []))[1].append(g.index[var])
        out: set[Var] = set()
        for g, wanted in by_group.values():
            cols = np.array(sorted(set(wanted)), dtype=np.int64)
            if highs_binding() is not None and len(cols) > 1:
                self._push(g, cols, width)
            proven = self._proven(g, width)
            numbers = g.vars[cols[proven[cols]]]
            out.update(_var(int(v)) for v in numbers.tolist())
        return out

    def _push(self, g: _Group, cols: np.ndarray, width: float) -> None:
        solver = self._solver(g)
        seen = np.nan_to_num(g.seen_high, nan=0.0)
        cap = float(max(seen.max(initial=0.0), np.abs(g.b_eq).max(initial=0.0))) + 4 * width
        todo = cols[~self._proven(g, width)[cols]]
        while len(todo) > 2:
            before = len(todo)
            for sign in (-1.0, 1.0):
                x = solver.point(todo, sign, cap)
                if x is not None:
                    self._see(g, x)
                todo = todo[~self._proven(g, width)[todo]]
            if before - len(todo) < 3:  # a round costs two programs: worth it no more
                break

    def wide(self, var: Var, width: float) -> bool:
        """Whether the attacker's whole-number range for ``var`` is at least ``width`` wide.

        Two feasible values ``a <= b`` prove the range holds ``ceil(a)..floor(b)``; known
        witnesses often settle the question, so most unknowns need one LP or none, not two.
        """

        def proven() -> bool:
            seen = self.seen(var)
            if seen is None:
                return False
            lo, hi = seen
            return math.floor(hi + TOLERANCE) - math.ceil(lo - TOLERANCE) >= width - TOLERANCE

        if proven():
            return True
        hi = self.high(var)
        if math.isinf(hi) or proven():
            return True
        return hi - self.low(var) >= width - TOLERANCE
