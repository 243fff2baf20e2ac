"""The Great Expectations adapter: per-column rules of the registry as GX expectation suites.

Everything GX-specific lives here, and GX is imported only when a package is validated (its
import costs seconds, never paid on the dashboard's first page).

How it stays fast on 10 million rows: a column rule depends only on the value, so DuckDB — where
the rows already are — reduces each column to its *distinct* values with their counts, and GX
validates that frame (one row per distinct value; a few thousand rows even for 10 million
contacts). Failing values are then mapped back to row numbers by SQL. Uniqueness is a rule on
the counts (``n ≤ 1``). Values stay in memory only: the context is ephemeral, nothing GX
computes is written anywhere, and no value reaches a message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from evaluation.schema import EARLIEST_DATE, ID_PATTERN, Column, Table
from evaluation.staging import Staged, _quote

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
INTEGER = r"^[+-]?\d+$"
DECIMAL = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class ColumnFailure:
    table: str
    column: str
    rule: str
    values: tuple[str | None, ...]
    """Failing distinct values; kept in memory to find their rows, never shown."""


@dataclass(frozen=True)
class _Planned:
    table: str
    column: str
    rule: str
    expectation: Any


def _checks(table: Table, col: Column) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(rule, GX expectation class name, kwargs) for one column, from the registry."""
    if col.required:
        yield "required", "ExpectColumnValuesToNotBeNull", {"column": "value"}
    if col.references and col.name != col.references.split(".")[1]:
        return  # values of a reference are checked by the foreign-key rule instead
    if col.vocab:
        yield "vocab", "ExpectColumnValuesToBeInSet", {"column": "value",
                                                       "value_set": list(col.vocab)}
    if col.type == "bool":
        yield "bool", "ExpectColumnValuesToBeInSet", {"column": "value",
                                                      "value_set": ["true", "false"]}
    if col.pattern:
        yield "pattern", "ExpectColumnValuesToMatchRegex", {"column": "value",
                                                            "regex": col.pattern}
    if (col.max_length is not None and col.pattern != ID_PATTERN) or (
            col.pattern == ID_PATTERN and col.max_length):
        yield "length", "ExpectColumnValueLengthsToBeBetween", {
            "column": "value", "min_value": col.min_length or 1, "max_value": col.max_length}
    if col.type == "date":
        yield "date", "ExpectColumnValuesToMatchRegex", {"column": "value", "regex": ISO_DATE}
        yield "date", "ExpectColumnValuesToMatchStrftimeFormat", {
            "column": "value", "strftime_format": "%Y-%m-%d"}
        earliest = (dt.date.fromisoformat(EARLIEST_DATE) - _EPOCH).days
        yield "min_date", "ExpectColumnValuesToBeBetween", {"column": "as_days",
                                                            "min_value": earliest}
    if col.type == "integer":
        yield "integer", "ExpectColumnValuesToMatchRegex", {"column": "value", "regex": INTEGER}
    if col.type == "decimal":
        yield "decimal", "ExpectColumnValuesToMatchRegex", {"column": "value", "regex": DECIMAL}
    if col.type in ("integer", "decimal") and (col.min_value is not None
                                               or col.max_value is not None):
        yield "range", "ExpectColumnValuesToBeBetween", {
            "column": "as_num", "min_value": col.min_value, "max_value": col.max_value}
    if col.unique:
        yield "unique", "ExpectColumnValuesToBeBetween", {"column": "n_dup", "max_value": 1}


def _distinct_sql(staged: Staged, name: str) -> str:
    st = staged.tables[name]
    parts = []
    for c in st.columns:
        col = st.table.column(c)
        q = _quote(c)
        only_nulls = col.references and c != col.references.split(".")[1]
        where = f"WHERE {q} IS NULL" if only_nulls else ""
        num = "TRY_CAST(v AS DOUBLE)" if col.type in ("integer", "decimal") else "NULL::DOUBLE"
        days = ("date_diff('day', DATE '1970-01-01', TRY_CAST(v AS DATE))"
                if col.type == "date" else "NULL::BIGINT")
        parts.append(
            f"SELECT '{c}' AS col, v AS value, n, {num} AS as_num, {days} AS as_days, "
            f"CASE WHEN v IS NULL THEN 0 ELSE n END AS n_dup FROM "
            f"(SELECT {q} AS v, count(*) AS n FROM rows_{name} {where} GROUP BY {q})")
    return " UNION ALL ".join(parts)


_CONTEXT: Any = None


def _context() -> Any:
    global _CONTEXT
    if _CONTEXT is None:
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        ctx.data_sources.add_pandas("package")
        _CONTEXT = ctx
    return _CONTEXT


def validate_columns(conn: duckdb.DuckDBPyConnection, staged: Staged) -> list[ColumnFailure]:
    """Run the registry's per-column expectation suite of every staged table."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    ctx = _context()
    source = ctx.data_sources.get("package")
    failures: list[ColumnFailure] = []
    for name, st in staged.tables.items():
        if not st.columns or st.rows == 0:
            continue
        frame = conn.execute(_distinct_sql(staged, name)).df()
        frame["gid"] = range(len(frame))
        plan: list[_Planned] = []
        suite = gx.ExpectationSuite(name=f"package.{name}")
        for c in st.columns:
            for rule, cls, kwargs in _checks(st.table, st.table.column(c)):
                exp = getattr(gxe, cls)(**kwargs, row_condition=f'col=="{c}"',
                                        condition_parser="pandas", meta={"plan": len(plan)})
                suite.add_expectation(exp)
                plan.append(_Planned(name, c, rule, exp))
        if not plan:
            continue
        asset_name = f"frame_{name}"
        try:
            asset = source.get_asset(asset_name)
        except LookupError:
            asset = source.add_dataframe_asset(asset_name)
        try:
            batch_def = asset.get_batch_definition("whole")
        except (LookupError, KeyError):
            batch_def = asset.add_batch_definition_whole_dataframe("whole")
        batch = batch_def.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format={
            "result_format": "COMPLETE", "unexpected_index_column_names": ["gid"],
            "partial_unexpected_count": 0, "return_unexpected_index_query": False})
        values = frame["value"].tolist()
        merged: dict[tuple[str, str], set[int]] = {}
        for res in result.results:
            planned = plan[int(res.expectation_config.meta["plan"])]
            info = res.exception_info or {}
            if info.get("raised_exception"):
                raise RuntimeError(
                    f"Great Expectations could not check {name}.{planned.column} "
                    f"({planned.rule}); this is a fault of the platform, not of the data.")
            if res.success:
                continue
            gids = {int(r["gid"]) for r in res.result.get("unexpected_index_list") or []}
            merged.setdefault((planned.column, planned.rule), set()).update(gids)
        for (column, rule), gids in merged.items():
            failures.append(ColumnFailure(name, column, rule,
                                          tuple(_plain(values[g]) for g in sorted(gids))))
    return failures


def _plain(value: object) -> str | None:
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
