"""The package's targets and baselines beside the value: same programme, indicator and exact
period."""

from __future__ import annotations

import duckdb
import pandas as pd
import sqlglot

from evaluation.measures.engine.expressions import render

MATCH = ["programme_id", "indicator_id", "period_start", "period_end"]


def with_targets(cur: duckdb.DuckDBPyConnection, out: pd.DataFrame) -> pd.DataFrame:
    """``out`` with ``target`` and ``baseline`` (empty where the package has none)."""
    query = sqlglot.select(*MATCH, "target", "baseline").from_("current_targets")
    targets = cur.execute(render(query)).df()
    if targets.empty:
        out["target"] = None
        out["baseline"] = None
        return out
    for c in ("period_start", "period_end"):
        targets[c] = pd.to_datetime(targets[c]).dt.date
    return out.merge(targets, on=MATCH, how="left")
