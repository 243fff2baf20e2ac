"""Rule 4's judge: the attacker, who knows every shown figure and every relation between them.

Each hidden count, numerator and complement is an unknown nonnegative number; the attacker
minimises and maximises each over the relations (one linear program per connected group of
equations) and rounds the bounds inwards to whole numbers (counts are integers), which makes it a
little stronger than a plain linear program, never weaker.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.sparse import csr_matrix

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
Component = tuple[dict[Var, int], csr_matrix, np.ndarray]
"""The unknowns of one connected group of equations (by column), and the equations."""


class Attacker:
    """Linear programs over the unknown figures, one per connected group of equations."""

    def __init__(
        self, relations: Sequence[Relation], values: Mapping[str, np.ndarray], unknown: set[int]
    ) -> None:
        self.components: dict[Var, Component] = {}
        self.seen_low: dict[int, np.ndarray] = {}
        self.seen_high: dict[int, np.ndarray] = {}
        """Per component (``id`` of its matrix): the least and most each unknown was seen to
        take in a feasible point (NaN: none seen yet)."""
        self.solvers: dict[int, Solver] = {}
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
            self.seen_low[id(a_eq)] = np.full(len(variables), np.nan)
            self.seen_high[id(a_eq)] = np.full(len(variables), np.nan)

    def feasible(self) -> bool:
        """Whether the shown figures are consistent with the relations (and nonnegativity)."""
        done: set[int] = set()
        for _variables, a_eq, b_eq in self.components.values():
            if id(a_eq) in done:
                continue
            done.add(id(a_eq))
            if not feasible(a_eq, b_eq):
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
        result: Extreme
        if highs_binding() is None:
            result = linprog_extreme(a_eq, b_eq, variables[var], sign)
        else:
            solver = self.solvers.get(id(a_eq))
            if solver is None:
                solver = self.solvers[id(a_eq)] = Solver(a_eq, b_eq)
            result = solver.extreme(variables[var], sign)
        if result is None:
            return math.inf if sign < 0 else 0.0
        fun, x = result
        lo, hi = self.seen_low[id(a_eq)], self.seen_high[id(a_eq)]
        np.fmin(lo, x, out=lo)
        np.fmax(hi, x, out=hi)
        return float(sign * fun)

    def witness(self, var: Var, x: float) -> None:
        """Record that ``var`` can take the value ``x`` (an LP optimum or the true figure)."""
        comp = self.components.get(var)
        if comp is None:
            return
        j = comp[0][var]
        lo, hi = self.seen_low[id(comp[1])], self.seen_high[id(comp[1])]
        lo[j] = x if np.isnan(lo[j]) else min(lo[j], x)
        hi[j] = x if np.isnan(hi[j]) else max(hi[j], x)

    def seen(self, var: Var) -> tuple[float, float] | None:
        """The least and most value ``var`` was seen to take, or None."""
        comp = self.components.get(var)
        if comp is None:
            return None
        j = comp[0][var]
        lo = float(self.seen_low[id(comp[1])][j])
        return None if math.isnan(lo) else (lo, float(self.seen_high[id(comp[1])][j]))

    def low(self, var: Var) -> float:
        """The smallest value ``var`` can take, rounded up to a whole number (counts)."""
        if (self.seen(var) or (1.0, 1.0))[0] <= TOLERANCE:
            return 0.0  # a feasible 0 is the least a nonnegative unknown can be
        return float(max(0, math.ceil(self._extreme(var, 1.0) - TOLERANCE)))

    def high(self, var: Var) -> float:
        """The largest value ``var`` can take, rounded down to a whole number (counts)."""
        x = self._extreme(var, -1.0)
        return x if math.isinf(x) else float(math.floor(x + TOLERANCE))

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
