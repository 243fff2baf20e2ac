"""The linear programs of the attacker: HiGHS kept loaded, with scipy's ``linprog`` behind it.

``Solver`` answers "the least (or most) this unknown can be" over one component's equations,
unknowns nonnegative. ``linprog_extreme`` answers the same question afresh; it is the fallback
and the reference ``Solver`` is tested against.
"""

from __future__ import annotations

import functools
from types import ModuleType

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from evaluation.sharing.disclosure.errors import DisclosureError
from evaluation.vocabulary.language import _

Extreme = tuple[float, np.ndarray] | None
"""(optimum, solution) of one objective; ``None`` when it is unbounded."""


@functools.cache
def highs_binding() -> ModuleType | None:
    """scipy's own HiGHS binding, or None when this scipy does not have the parts we use."""
    try:
        from scipy.optimize._highspy import _core
    except ImportError:
        return None
    needed = ("_Highs", "HighsLp", "HighsModelStatus", "MatrixFormat", "kHighsInf")
    return _core if all(hasattr(_core, n) for n in needed) else None


class Solver:
    """One component's linear program, kept loaded in HiGHS between objectives.

    The attacker minimises and maximises every unknown of a component over the same
    constraints; building the model once and only changing the objective (HiGHS warm-starts
    from the last basis) takes ~0.15 ms a solve, against ~5 ms for a fresh ``scipy`` linprog
    call, which decided the speed of a report batch (tens of thousands of solves).

    HiGHS is the solver scipy ships; its Python binding is reached through scipy's own copy
    (``scipy.optimize._highspy._core``, the class ``highspy.Highs`` wraps) so that no second
    copy of HiGHS is installed and nothing is printed. Should a scipy release move it,
    ``highs_binding()`` returns ``None`` and the attacker falls back to ``linprog_extreme``:
    slower, same answers. Build a ``Solver`` only when ``highs_binding()`` is not None.
    """

    def __init__(self, a_eq: csr_matrix, b_eq: np.ndarray) -> None:
        highspy = highs_binding()
        if highspy is None:
            raise RuntimeError("scipy's HiGHS binding is not available; use linprog_extreme")
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
        self.inf = float(highspy.kHighsInf)

    def extreme(self, j: int, sign: float) -> Extreme:
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
            return linprog_extreme(self.a_eq, self.b_eq, j, sign)
        return self.h.getInfo().objective_function_value, np.asarray(self.h.getSolution().col_value)

    def point(self, cols: np.ndarray, sign: float, cap: float) -> np.ndarray | None:
        """A feasible point that minimises ``sign * sum(x[cols])`` with every unknown at most
        ``cap`` (which keeps the program bounded; the bounds are lifted again afterwards), or
        None when HiGHS finds no optimum. Any point it returns satisfies the equations."""
        c = np.zeros(self.n)
        c[cols] = sign
        self.h.changeColsCost(self.n, self.index, c)
        lower, infinite = np.zeros(self.n), np.full(self.n, self.inf)
        self.h.changeColsBounds(self.n, self.index, lower, np.full(self.n, float(cap)))
        try:
            self.h.run()
            if self.h.getModelStatus() != self.status.kOptimal:
                return None
            return np.asarray(self.h.getSolution().col_value)
        finally:
            self.h.changeColsBounds(self.n, self.index, lower, infinite)


def linprog_extreme(a_eq: csr_matrix, b_eq: np.ndarray, j: int, sign: float) -> Extreme:
    """(optimum, solution) of minimising ``sign * x[j]`` subject to ``a_eq @ x == b_eq`` and
    ``x >= 0``, solved afresh; ``None`` when unbounded. Raises ``DisclosureError`` when the
    equations have no solution (the shown figures contradict each other)."""
    c = np.zeros(a_eq.shape[1])
    c[j] = sign
    res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status == 3:
        return None
    if res.status != 0:
        raise DisclosureError(
            _("The shown figures contradict each other, so the disclosure check cannot be made.")
        )
    return float(res.fun), res.x


def feasible(a_eq: csr_matrix, b_eq: np.ndarray) -> bool:
    """Whether ``a_eq @ x == b_eq`` has a nonnegative solution."""
    res = linprog(np.zeros(a_eq.shape[1]), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    return res.status != 2
