"""The programmes a caller may see: what every programme picker, the comparison and the reports
choose from.

One query, in the caller's scope, so a page, a report and the comparison never disagree about
which programmes exist or how current their data is.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import duckdb
import pandas as pd

from evaluation.store.access import Scope

PROGRAMME_COLUMNS = [
    "programme_id",
    "programme",
    "organisation",
    "data_as_of",
    "first_date",
    "tables",
]


def programmes_in_scope(cursor: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The programmes with current data that ``scope`` may see, one row each.

    Columns: ``programme_id``, ``programme`` (its name), ``organisation``, ``data_as_of`` and
    ``first_date`` (the earliest ``opened_on`` of its current cases; empty without cases) as
    dates, and ``tables`` (the tables its current submission supplied), ordered by
    organisation and programme id.
    """
    where, params = scope.sql_filter("s.organisation", "p.programme_id")
    out = cursor.execute(
        f"""SELECT p.programme_id, p.programme_name AS programme, s.organisation,
                   s.data_as_of, (SELECT min(c.opened_on) FROM current_cases c
                                  WHERE c.programme_id = p.programme_id) AS first_date,
                   s.tables
            FROM current_programmes p JOIN submissions s USING (submission_id)
            WHERE {where} ORDER BY s.organisation, p.programme_id""",
        params,
    ).df()
    for c in ("data_as_of", "first_date"):
        out[c] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in out[c]]
    out["tables"] = [tuple(t) if t is not None else () for t in out["tables"]]
    return out[PROGRAMME_COLUMNS]


def programme_label(row: pd.Series | Mapping[Hashable, object]) -> str:
    """``P-A · Exit North (Verein A)``: a programme as a picker offers it."""
    return f"{row['programme_id']} · {row['programme']} ({row['organisation']})"
