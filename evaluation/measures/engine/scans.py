"""Aggregates of related rows: one grouped scan per kind of window, shared by a request.

A window such as "contacts within 7 days of the request" would be a correlated subquery per
member and period. Instead every window of every indicator over one related table becomes a set
of ``FILTER``ed aggregates of one scan of that table joined to the members it hangs on:

* ``cases``: windows on a case's dates; one row per case.
* a population of case rows (releases): windows on the row's own dates; one row per case and
  those dates.
* ``period``: windows equal to the period; the related rows meet the periods through the day
  table ``period_days`` (an equi-join on the day, much cheaper than a range join of millions of
  rows against the periods); one row per case and period.

A table with windows of both the first and the last kind (contacts: C06, C07 and C10, C11) is
read once for both (``scan_<table>``, grouped by case and period), the two scans being views of
it: each pass over ten million contacts costs about as much as the aggregation itself.

``<scan>.w<n>_n``, ``w<n>_first`` and ``w<n>_total`` are the rows, the earliest date and the sum
inside window ``n``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from evaluation.measures.catalogue import POPULATIONS
from evaluation.measures.engine.conditions import condition_on
from evaluation.measures.engine.expressions import (
    all_of,
    any_of,
    col,
    count_rows,
    counted_where,
    cte,
    group_by_all,
    named,
    null,
    table,
)
from evaluation.measures.engine.request import RequestError

RELATED = "x"
"""The alias of the related table inside a scan."""
CASE_KEYS = ("submission_id", "case_id")


@dataclass
class _Window:
    date: str
    condition: exp.Expr
    total: str | None


@dataclass
class _Scan:
    population: str
    table: str
    row_dates: tuple[str, ...]
    windows: list[_Window] = field(default_factory=list)

    @property
    def alias(self) -> str:
        dates = "".join(f"_{d}" for d in self.row_dates)
        return f"scan_{self.population}{dates}_{self.table}"


class RelatedScans:
    """The scans of one request; the compiler adds windows, the plan adds the CTEs."""

    def __init__(self) -> None:
        self._scans: dict[tuple[str, str, tuple[str, ...]], _Scan] = {}

    def add(
        self,
        population: str,
        related_table: str,
        date: str,
        window: exp.Expr,
        total: str | None,
        row_dates: tuple[str, ...] = (),
    ) -> tuple[str, str]:
        """Register a window; returns the scan's alias and the window's column prefix.

        ``population`` is ``period``, ``cases`` or another case population (``row_dates``:
        the columns of its rows the window hangs on, which identify a row of a case).
        """
        key = (population, related_table, row_dates)
        scan = self._scans.setdefault(key, _Scan(population, related_table, row_dates))
        for n, w in enumerate(scan.windows):
            if (w.date, w.total) == (date, total) and w.condition == window:
                return scan.alias, f"w{n}_"
        scan.windows.append(_Window(date, window, total))
        return scan.alias, f"w{len(scan.windows) - 1}_"

    def join(
        self, population: str, related_table: str, row_dates: tuple[str, ...], row_alias: str
    ) -> exp.Join:
        """``LEFT JOIN <scan> ON`` its keys equal to the member's."""
        scan = self._scans[(population, related_table, row_dates)]
        if population == "period":
            outer = [col(k, "c") for k in CASE_KEYS] + [col("pidx", "p")]
            inner = [*CASE_KEYS, "pidx"]
        else:
            outer = [col(k, "c") for k in CASE_KEYS] + [col(d, row_alias) for d in row_dates]
            inner = [*CASE_KEYS, *row_dates]
        on = all_of(
            exp.EQ(this=col(k, scan.alias), expression=o) for k, o in zip(inner, outer, strict=True)
        )
        return exp.Join(this=table(scan.alias), side="LEFT", on=on)

    def ctes(self, row_alias: str) -> list[exp.CTE]:
        """One materialised CTE per scan (``row_alias``: the alias of a case population's
        rows, as the windows name them); a table scanned both for windows on the case's dates
        and for windows equal to the period is read in one pass (``_one_pass``)."""
        out: list[exp.CTE] = []
        for scan in self._scans.values():
            if scan.population == "cases" and ("period", scan.table, ()) in self._scans:
                continue  # read with the period's windows
            if scan.population == "period" and ("cases", scan.table, ()) in self._scans:
                out += self._one_pass(self._scans[("cases", scan.table, ())], scan)
            else:
                out.append(self._cte(scan, row_alias))
        return out

    def _one_pass(self, cases: _Scan, period: _Scan) -> list[exp.CTE]:
        """Both scans of a table from one pass over its rows joined to the cases and, left, to
        the days of the periods: grouped by case and period (no period: rows outside every
        period), the period's windows where there is one, the case's windows summed up per case
        over the periods. A day in several periods (a quarter and its year) joins once per
        period; the case's windows count it at its first period only (``period_days.once``)."""
        x = RELATED
        dates = {w.date for w in period.windows}
        if len(dates) != 1:
            raise RequestError("period windows on one table must use one date column")
        in_period = exp.Not(this=exp.Is(this=col("pidx", "pd"), expression=exp.Null()))
        once = exp.Coalesce(this=col("once", "pd"), expressions=[exp.true()])
        per_period = _aggregates(period.windows, "p")  # rows outside every period: pidx NULL
        per_case = _aggregates(cases.windows, "c", once)
        on_case = all_of(exp.EQ(this=col(k, x), expression=col(k, "c")) for k in CASE_KEYS)
        wanted = exp.or_(
            exp.paren(exp.and_(in_period.copy(), _any_window(period))),
            _any_window(cases),
            copy=False,
        )
        both = f"scan_{period.table}"
        query = (
            sqlglot.select(
                *(col(k, "c") for k in CASE_KEYS),
                col("pidx", "pd"),
                *per_period,
                *per_case,
                copy=False,
            )
            .from_(table("cases", "c"), copy=False)
            .join(table(period.table, x), on=on_case, copy=False)
            .join(
                table("period_days", "pd"),
                on=exp.EQ(this=col(dates.pop(), x), expression=col("d", "pd")),
                join_type="LEFT",
                copy=False,
            )
            .where(wanted, copy=False)
            .group_by(group_by_all(), copy=False)
        )
        keys = [col(k) for k in CASE_KEYS]
        period_rows = (
            sqlglot.select(
                *keys,
                col("pidx"),
                *(
                    named(col(f"p{n}_{a}"), f"w{n}_{a}")
                    for n in range(len(period.windows))
                    for a in _WHAT
                ),
                copy=False,
            )
            .from_(table(both), copy=False)
            .where(exp.Not(this=exp.Is(this=col("pidx"), expression=exp.Null())), copy=False)
        )
        summed = {"n": exp.Sum, "first": exp.Min, "total": exp.Sum}
        case_rows = (
            sqlglot.select(
                *(k.copy() for k in keys),
                *(
                    named(summed[a](this=col(f"c{n}_{a}")), f"w{n}_{a}")
                    for n in range(len(cases.windows))
                    for a in _WHAT
                ),
                copy=False,
            )
            .from_(table(both), copy=False)
            .group_by(group_by_all(), copy=False)
        )
        return [
            cte(both, query, materialized=True),
            cte(period.alias, period_rows),
            cte(cases.alias, case_rows, materialized=True),
        ]

    def _cte(self, scan: _Scan, row_alias: str) -> exp.CTE:
        x = RELATED
        aggregates = _aggregates(scan.windows, "w")
        on_case = all_of(exp.EQ(this=col(k, x), expression=col(k, "c")) for k in CASE_KEYS)
        if scan.population == "period":
            dates = {w.date for w in scan.windows}
            if len(dates) != 1:
                raise RequestError("period windows on one table must use one date column")
            keys = [col("submission_id", x), col("case_id", x), col("pidx", "pd")]
            query = (
                sqlglot.select(*keys, *aggregates, copy=False)
                .from_(table(scan.table, x), copy=False)
                .join(
                    table("progs", "g"),
                    on=all_of(
                        exp.EQ(this=col(k, x), expression=col(k, "g"))
                        for k in ("submission_id", "programme_id")
                    ),
                    join_type="SEMI",
                    copy=False,
                )
                .join(
                    table("period_days", "pd"),
                    on=exp.EQ(this=col(dates.pop(), x), expression=col("d", "pd")),
                    copy=False,
                )
            )
        elif scan.population == "cases":
            keys = [col(k, "c") for k in CASE_KEYS]
            query = (
                sqlglot.select(*keys, *aggregates, copy=False)
                .from_(table("cases", "c"), copy=False)
                .join(table(scan.table, x), on=on_case, copy=False)
            )
        else:
            population = POPULATIONS[scan.population]
            r = row_alias
            keys = [col(k, "c") for k in CASE_KEYS] + [col(d, r) for d in scan.row_dates]
            on_row: list[exp.Expr] = [
                exp.EQ(this=col(k, r), expression=col(k, "c")) for k in CASE_KEYS
            ]
            on_row += [
                condition_on(c, col(c.column, r), missing_is_false=False) for c in population.where
            ]
            query = (
                sqlglot.select(*keys, *aggregates, copy=False)
                .from_(table(population.table, r), copy=False)
                .join(table("cases", "c"), on=all_of(on_row), copy=False)
                .join(table(scan.table, x), on=on_case, copy=False)
            )
        query = query.where(_any_window(scan), copy=False)
        query = query.group_by(group_by_all(), copy=False)
        return cte(scan.alias, query, materialized=True)


_WHAT = ("n", "first", "total")
"""The aggregates of a window: rows, earliest date, sum."""


def _aggregates(
    windows: list[_Window], prefix: str, counted: exp.Expr | None = None
) -> list[exp.Expr]:
    """``<prefix><n>_n``, ``_first`` and ``_total`` of each window, of the rows that also meet
    ``counted``."""
    x = RELATED
    out: list[exp.Expr] = []
    for n, w in enumerate(windows):
        where = all_of([counted.copy(), w.condition.copy()]) if counted else w.condition
        out += [
            named(counted_where(count_rows(), where.copy()), f"{prefix}{n}_n"),
            named(counted_where(exp.Min(this=col(w.date, x)), where.copy()), f"{prefix}{n}_first"),
            named(
                counted_where(exp.Sum(this=col(w.total, x)), where.copy()) if w.total else null(),
                f"{prefix}{n}_total",
            ),
        ]
    return out


def _any_window(scan: _Scan) -> exp.Expr:
    """A row falls in at least one window of ``scan``."""
    return any_of(w.condition.copy() for w in scan.windows)
