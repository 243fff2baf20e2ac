"""The programmes a caller may see: what every programme picker, the comparison and the reports
choose from.

One query, in the caller's scope, so a page, a report and the comparison never disagree about
which programmes exist or how current their data is.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from evaluation.store.access import Scope
from evaluation.vocabulary.names import shown_name

PROGRAMME_COLUMNS = [
    "programme_id",
    "programme",
    "organisation",
    "data_as_of",
    "first_date",
    "tables",
]


def programmes_in_scope(cursor: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The programmes with current data that ``scope`` may see, one row each (for the shared
    audience also those this store holds only from returns: ``returned_programmes``).

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
    if not scope.internal:
        returned = returned_programmes(cursor, scope)
        if not returned.empty:
            out = (
                pd.concat([out, returned], ignore_index=True)
                .sort_values(["organisation", "programme_id"], kind="stable")
                .reset_index(drop=True)
            )
    for c in ("data_as_of", "first_date"):
        out[c] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in out[c]]
    out["tables"] = [tuple(t) if t is not None else () for t in out["tables"]]
    return out[PROGRAMME_COLUMNS]


def returned_programmes(cursor: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The programmes ``scope`` may see whose figures this store holds only from returns
    (a funder's store: ``sharing.returns``), in ``programmes_in_scope``'s columns.

    Their name is the one the newest return carried. A return carries approved figures, not
    the date of the export they were computed from, so ``data_as_of`` is the last day of the
    newest period their active returns hold whole (no figure of it is marked
    ``partial_period``; if every period is partial, the newest period's last day), and
    ``first_date`` the first day of the oldest period; ``tables`` is empty (a return holds
    no tables). For the shared audience only: the organisation's own staff read case data,
    which a funder's store does not hold."""
    where, params = scope.sql_filter("rp.organisation", "rp.programme_id")
    return cursor.execute(
        f"""WITH held AS (
                SELECT rp.programme_id, arg_max(rp.organisation, r.approved_at) AS organisation,
                       max(pe.period_end) AS newest, min(pe.period_start) AS first_date
                FROM releases r
                JOIN release_programmes rp ON rp.release = r.number
                JOIN release_periods pe ON pe.release = r.number
                WHERE r.status = 'active' AND r.source = 'return' AND {where}
                  AND rp.programme_id NOT IN (SELECT programme_id FROM current_programmes)
                GROUP BY rp.programme_id),
            whole AS (
                SELECT c.programme_id, max(c.period_end) AS period_end
                FROM release_cells c JOIN releases r ON r.number = c.release
                WHERE r.status = 'active' AND r.source = 'return' AND c.split_column = ''
                GROUP BY c.programme_id, c.period_start, c.period_end
                HAVING NOT bool_or(c.status = 'partial_period')),
            named AS (SELECT programme_id, arg_max(name, release) AS name
                      FROM returned_programmes GROUP BY programme_id)
            SELECT h.programme_id, coalesce(n.name, h.programme_id) AS programme,
                   h.organisation,
                   coalesce((SELECT max(w.period_end) FROM whole w
                             WHERE w.programme_id = h.programme_id), h.newest) AS data_as_of,
                   h.first_date, []::VARCHAR[] AS tables
            FROM held h LEFT JOIN named n USING (programme_id)
            ORDER BY h.organisation, h.programme_id""",
        params,
    ).df()[PROGRAMME_COLUMNS]


def programme_labels(programmes: pd.DataFrame, names: Mapping[str, str]) -> dict[str, str]:
    """Programme id → how a picker offers it: its name (``names``: ``explore.programme_names``,
    which tells alike names apart), and its organisation beside it when the programmes are of
    more than one (``Exit North (Verein A)``); never its id."""
    several = programmes["organisation"].nunique() > 1
    out = {}
    for row in programmes.to_dict("records"):
        pid, org = str(row["programme_id"]), shown_name(row["organisation"])
        name = names.get(pid, pid)
        out[pid] = f"{name} ({org})" if several and not name.endswith(f"({org})") else name
    return out
