"""A catalogue ``Condition`` (``column in / not_in / is_missing``) as a SQL condition."""

from __future__ import annotations

from sqlglot import exp

from evaluation.measures.catalogue import Condition
from evaluation.measures.engine.expressions import is_in, is_known_and, string


def condition_on(c: Condition, column: exp.Expr, *, missing_is_false: bool = True) -> exp.Expr:
    """The condition ``c`` on ``column``.

    ``missing_is_false``: a membership test of a missing value is false (``coalesce(..., FALSE)``)
    rather than unknown, so it can be negated and filtered on alike. Row filters of a ``WHERE``
    (client groups, a population's rows) do without: there unknown already drops the row.
    """
    if c.is_missing is not None:
        missing = exp.Is(this=column, expression=exp.Null())
        return missing if c.is_missing else exp.Not(this=missing)
    values = c.in_ if c.in_ is not None else (c.not_in or [])
    if not missing_is_false and c.in_ is not None:
        return is_in(column, values)
    test: exp.Expr = exp.In(this=column, expressions=[string(v) for v in values])
    if c.not_in is not None:
        test = exp.Not(this=test)
    return is_known_and(test) if missing_is_false else test
