"""The SQL vocabulary the engine builds with: sqlglot expressions for DuckDB, and how they print.

Statements are trees, not strings: a column is ``col("opened_on", "c")``, a domain value is a
quoted ``string(...)`` literal (never pasted into text), and a DuckDB function keeps its own
name and argument order (``call("date_diff", ...)``) instead of being transpiled. sqlglot adds
no parentheses by precedence, so the helpers that combine expressions add them where needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"


def col(name: str, table: str | None = None) -> exp.Column:
    """``table.name`` (or a bare ``name``)."""
    return exp.column(name, table=table)


def star(table: str) -> exp.Column:
    """``table.*``."""
    return exp.Column(this=exp.Star(), table=exp.to_identifier(table))


def string(text: str) -> exp.Literal:
    """A quoted text literal (quotes inside are escaped)."""
    return exp.Literal.string(str(text))


def number(value: float) -> exp.Expr:
    """A number literal (a negative one is a negation of the literal)."""
    return exp.Literal.number(value)


def date(day: object) -> exp.Cast:
    """A ``DATE`` literal of a ``datetime.date``."""
    return exp.cast(string(day.isoformat()), "DATE")  # type: ignore[attr-defined]


def null() -> exp.Null:
    return exp.Null()


def call(name: str, *args: exp.Expr) -> exp.Anonymous:
    """A DuckDB function called by its own name, arguments as given (not transpiled)."""
    return exp.Anonymous(this=name, expressions=list(args))


def named(expression: exp.Expr, name: str) -> exp.Expr:
    """``expression AS name``."""
    return exp.alias_(expression, name, copy=False)


def plus_days(day: exp.Expr, days: int) -> exp.Expr:
    """``(day + days)``; ``day`` itself when ``days`` is 0."""
    return exp.paren(exp.Add(this=day, expression=number(days)), copy=False) if days else day


def all_of(conditions: Iterable[exp.Expr]) -> exp.Expr:
    """The conditions joined with ``AND``; ``TRUE`` when there are none."""
    parts = list(conditions)
    return exp.and_(*parts, copy=False) if parts else exp.true()


def any_of(conditions: Iterable[exp.Expr]) -> exp.Expr:
    """The conditions joined with ``OR`` (each in parentheses); ``FALSE`` when there are none."""
    parts = [exp.paren(c, copy=False) for c in conditions]
    return exp.or_(*parts, copy=False) if parts else exp.false()


def is_in(value: exp.Expr, values: Sequence[str]) -> exp.Expr:
    """``value = 'a'`` for one value, ``value IN ('a', 'b')`` for several."""
    if len(values) == 1:
        return exp.EQ(this=value, expression=string(values[0]))
    return exp.In(this=value, expressions=[string(v) for v in values])


def is_known_and(condition: exp.Expr) -> exp.Expr:
    """``coalesce(condition, FALSE)``: a condition on a missing value is false, not unknown."""
    return exp.Coalesce(this=condition, expressions=[exp.false()])


def as_text(value: exp.Expr) -> exp.Cast:
    """``CAST(value AS VARCHAR)``: split values are compared and returned as text."""
    return exp.cast(value, "VARCHAR")


def counted_where(aggregate: exp.Expr, condition: exp.Expr) -> exp.Filter:
    """``aggregate FILTER (WHERE condition)``."""
    return exp.Filter(this=aggregate, expression=exp.Where(this=condition))


def count_rows() -> exp.Count:
    return exp.Count(this=exp.Star())


def group_by_all() -> exp.Var:
    """The argument of ``GROUP BY ALL`` (every selected column that is not an aggregate)."""
    return exp.var("ALL")


def table(name: str, alias: str | None = None) -> exp.Table:
    """``name alias`` in a ``FROM`` or ``JOIN``."""
    out = exp.Table(this=exp.to_identifier(name))
    if alias:
        out.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return out


def subquery(query: exp.Query, alias: str | None = None) -> exp.Subquery:
    """``(query) alias``."""
    return query.subquery(alias, copy=False)


def cte(
    name: str,
    query: exp.Expr,
    columns: Sequence[str] = (),
    *,
    materialized: bool = False,
) -> exp.CTE:
    """``name(columns) AS [MATERIALIZED] (query)``."""
    alias = exp.TableAlias(
        this=exp.to_identifier(name), columns=[exp.to_identifier(c) for c in columns]
    )
    return exp.CTE(this=query, alias=alias, materialized=materialized or None)


def with_ctes(query: exp.Query, ctes: Sequence[exp.CTE]) -> exp.Query:
    """``WITH ctes query``; the CTEs are copied, so one plan's CTEs serve several statements."""
    key = "with_" if "with_" in query.arg_types else "with"
    query.set(key, exp.With(expressions=[c.copy() for c in ctes]))
    return query


def union_all(queries: Sequence[exp.Query]) -> exp.Query:
    """The queries joined with ``UNION ALL`` (the columns are matched by position)."""
    out = queries[0]
    for q in queries[1:]:
        out = exp.union(out, q, distinct=False, copy=False)
    return out


def condition(text: str) -> exp.Expr:
    """A condition written as DuckDB SQL, parsed (``?`` parameters allowed).

    sqlglot's tokenizer reads ``?::`` as one token, so a cast of a parameter is spaced first.
    """
    return sqlglot.condition(text.replace("?::", "? ::"), dialect=DIALECT)


def render(expression: exp.Expr, *, pretty: bool = False) -> str:
    """The expression as DuckDB SQL; ``pretty`` indents it, one clause per line.

    Printed in place (no defensive copy of the tree, which would cost more than the printing):
    the engine prints each statement once, after it is complete.
    """
    return expression.sql(dialect=DIALECT, copy=False, pretty=pretty)
