"""Data completeness: how much of each optional field an indicator depends on is filled in.

An indicator computed from a field that half the cases leave empty (``first_request_on`` for
C06 and C07) deserves less trust than one from a complete field. For each programme and period
this gives the share of the relevant rows with the field present — for case fields, the cases
open during the period — so it can stand beside the indicator.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb
import pandas as pd

from evaluation.measures.catalogue import Indicator
from evaluation.periods import Period
from evaluation.store.access import Scope
from evaluation.store.schema import TABLES_BY_NAME

# Optional columns worth watching, by table; case columns are judged on cases open in P.
WATCHED = {
    "cases": ("first_request_on", "plan_agreed_on", "closure_reason", "returnee", "region"),
    "staffing": ("former_extremists",),
}


def completeness(
    conn: duckdb.DuckDBPyConnection,
    periods: list[Period],
    scope: Scope | None = None,
    programmes: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Rows: programme_id, period_start, period_end, field (``table.column``), rows, filled,
    share (filled / rows; missing when there are no rows)."""
    scope = scope or Scope.everything()
    scope_sql, params = scope.sql_filter("s.organisation", "p.programme_id")
    if programmes:
        scope_sql += " AND p.programme_id IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(programmes))
    values = ", ".join(
        f"(DATE '{p.start.isoformat()}', DATE '{p.end.isoformat()}')" for p in periods
    )
    # the case fields in one pass over the cases open in each period, a column per field,
    # unpivoted to a row per field
    counted = []
    for col in WATCHED["cases"]:
        assert col in TABLES_BY_NAME["cases"].column_names
        filled = (
            "c.closed_on IS NULL OR c.closure_reason IS NOT NULL"
            if col == "closure_reason"
            else f"c.{col} IS NOT NULL"
        )
        counted.append(f'count(c.case_id) FILTER (WHERE {filled}) AS "cases.{col}"')
    fields = ", ".join(f'"cases.{col}"' for col in WATCHED["cases"])
    selects = [
        "SELECT programme_id, p_start, p_end, field, rows, filled FROM ("
        "SELECT g.programme_id, p.p_start, p.p_end, count(c.case_id) AS rows, "
        + ", ".join(counted)
        + " FROM progs g CROSS JOIN periods p LEFT JOIN current_cases c "
        f"ON c.programme_id = g.programme_id AND c.submission_id = g.submission_id "
        f"AND c.opened_on <= p.p_end AND (c.closed_on IS NULL OR c.closed_on >= p.p_start) "
        f"GROUP BY ALL) UNPIVOT (filled FOR field IN ({fields}))"
    ]
    for col in WATCHED["staffing"]:
        selects.append(
            f"SELECT g.programme_id, p.p_start, p.p_end, 'staffing.{col}' AS field, "
            f"count(r.quarter_start) AS rows, count(r.{col}) AS filled "
            f"FROM progs g CROSS JOIN periods p LEFT JOIN current_staffing r "
            f"ON r.programme_id = g.programme_id AND r.submission_id = g.submission_id "
            f"AND r.quarter_start BETWEEN p.p_start AND p.p_end GROUP BY ALL"
        )
    sql = (
        f"WITH periods(p_start, p_end) AS (VALUES {values}), "
        f"progs AS (SELECT p.programme_id, p.submission_id FROM current_programmes p "
        f"JOIN submissions s USING (submission_id) WHERE {scope_sql}) "
        + " UNION ALL ".join(selects)
        + " ORDER BY 1, 2, 4"
    )
    out = conn.execute(sql, params).df()
    out.columns = ["programme_id", "period_start", "period_end", "field", "rows", "filled"]
    out["share"] = out["filled"] / out["rows"].where(out["rows"] > 0)
    for c in ("period_start", "period_end"):
        out[c] = pd.to_datetime(out[c]).dt.date
    return out


class CompletenessCache:
    """``completeness()`` rows, computed once per scope, programmes and periods: a report asks
    for the same programme and period in several requests computed together."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        self.done: dict[tuple[tuple[Period, ...], Scope, tuple[str, ...]], pd.DataFrame] = {}

    def __call__(
        self, periods: Sequence[Period], scope: Scope, programmes: tuple[str, ...]
    ) -> pd.DataFrame:
        for (ps, seen_scope, progs), rows in self.done.items():
            if seen_scope == scope and progs == programmes and set(periods) <= set(ps):
                return rows
        rows = completeness(self.conn, list(periods), scope, programmes)
        self.done[(tuple(periods), scope, programmes)] = rows
        return rows


def with_completeness(
    out: pd.DataFrame,
    indicators: Iterable[Indicator],
    rows: pd.DataFrame | None,
) -> pd.DataFrame:
    """``out`` (result rows) with ``completeness``: the lowest share filled in of the optional
    fields each indicator uses, per programme and period. Empty for indicators that use none,
    and where ``rows`` (``completeness()`` of the same periods) is None — totals over
    programmes, which no programme's completeness describes."""
    fields = {i.id: i.optional_fields for i in indicators if i.optional_fields}
    out["completeness"] = float("nan")
    if not fields or rows is None:
        return out
    at = ["programme_id", "period_start", "period_end"]
    for ind_id, wanted in fields.items():
        lowest = rows[rows.field.isin(wanted)].groupby(at, as_index=False)["share"].min()
        mine = out.indicator_id == ind_id
        merged = out.loc[mine, at].merge(lowest, on=at, how="left")
        out.loc[mine, "completeness"] = merged["share"].to_numpy()
    return out
