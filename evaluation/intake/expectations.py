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
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from evaluation.intake.staging import Staged
from evaluation.store.schema import EARLIEST_DATE, Column

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
INTEGER = r"^[+-]?\d+$"
DECIMAL = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$"
_EPOCH = dt.date(1970, 1, 1)

if TYPE_CHECKING:
    import pandas as pd


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
    expectation: tuple[str, dict[str, Any]]
    """GX expectation class name and its arguments."""


def _checks(col: Column) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(rule, GX expectation class name, kwargs) for one column, from the registry.

    The kwargs name columns of the table's distinct-value frame (see ``_frame``): ``c`` holds
    the distinct values of package column ``c``; ``c__nulls`` the number of empty cells (on the
    row of the empty group); ``c__dup`` how often a non-empty value occurs; ``c__num`` and
    ``c__days`` the value as a number or as days since 1970.
    """
    c = col.name
    if col.required:
        yield "required", "ExpectColumnValuesToBeBetween", {"column": f"{c}__nulls", "max_value": 0}
    if col.references and c != col.references.split(".")[1]:
        return  # values of a reference are checked by the foreign-key rule instead
    if col.vocab:
        yield "vocab", "ExpectColumnValuesToBeInSet", {"column": c, "value_set": list(col.vocab)}
    if col.type == "bool":
        yield "bool", "ExpectColumnValuesToBeInSet", {"column": c, "value_set": ["true", "false"]}
    if col.pattern:
        yield "pattern", "ExpectColumnValuesToMatchRegex", {"column": c, "regex": col.pattern}
    if col.max_length is not None:
        yield (
            "length",
            "ExpectColumnValueLengthsToBeBetween",
            {"column": c, "min_value": col.min_length or 1, "max_value": col.max_length},
        )
    if col.type == "date":
        yield "date", "ExpectColumnValuesToMatchRegex", {"column": c, "regex": ISO_DATE}
        yield (
            "date",
            "ExpectColumnValuesToMatchStrftimeFormat",
            {"column": c, "strftime_format": "%Y-%m-%d"},
        )
        earliest = (dt.date.fromisoformat(EARLIEST_DATE) - _EPOCH).days
        yield (
            "min_date",
            "ExpectColumnValuesToBeBetween",
            {"column": f"{c}__days", "min_value": earliest},
        )
    if col.type == "integer":
        yield "integer", "ExpectColumnValuesToMatchRegex", {"column": c, "regex": INTEGER}
    if col.type == "decimal":
        yield "decimal", "ExpectColumnValuesToMatchRegex", {"column": c, "regex": DECIMAL}
    if col.type in ("integer", "decimal") and (
        col.min_value is not None or col.max_value is not None
    ):
        yield (
            "range",
            "ExpectColumnValuesToBeBetween",
            {"column": f"{c}__num", "min_value": col.min_value, "max_value": col.max_value},
        )
    if col.unique:
        yield "unique", "ExpectColumnValuesToBeBetween", {"column": f"{c}__dup", "max_value": 1}


def _frame(conn: duckdb.DuckDBPyConnection, staged: Staged, name: str) -> pd.DataFrame:
    """The table's distinct-value frame: one block of columns per package column.

    Blocks have different lengths; shorter ones are padded with missing values, which GX
    leaves out of every expectation (and the count columns are 0 there).
    """
    import pandas as pd

    st = staged.tables[name]
    blocks = []
    for c in st.columns:
        col = st.table.column(c)
        only_nulls = col.references and c != col.references.split(".")[1]
        where = "AND value IS NULL" if only_nulls else ""
        num = "TRY_CAST(v AS DOUBLE)" if col.type in ("integer", "decimal") else "NULL::DOUBLE"
        days = (
            "date_diff('day', DATE '1970-01-01', TRY_CAST(v AS DATE))"
            if col.type == "date"
            else "NULL::BIGINT"
        )
        block = conn.execute(
            f'SELECT v AS "{c}", CASE WHEN v IS NULL THEN n ELSE 0 END AS "{c}__nulls", '
            f'CASE WHEN v IS NULL THEN 0 ELSE n END AS "{c}__dup", {num} AS "{c}__num", '
            f'{days} AS "{c}__days" FROM (SELECT value AS v, sum(n) AS n FROM staged_values '
            f"WHERE tbl = ? AND col = ? {where} GROUP BY value)",
            [name, c],
        ).df()
        blocks.append(block)
    frame = pd.concat(blocks, axis=1) if blocks else pd.DataFrame()
    for c in st.columns:
        for suffix in ("__nulls", "__dup"):
            frame[c + suffix] = frame[c + suffix].fillna(0)
    frame["gid"] = range(len(frame))
    return frame


_CONTEXT: Any = None
_CONTEXT_LOCK = threading.Lock()
_PREWARM: threading.Thread | None = None


def prewarm() -> None:
    """Import GX and build its context in the background (it takes seconds).

    Ingest calls this first, so the import overlaps with DuckDB reading the files (DuckDB
    releases the GIL while it reads).
    """
    global _PREWARM
    if _CONTEXT is None and _PREWARM is None:
        _PREWARM = threading.Thread(target=gx_context, name="gx-prewarm", daemon=True)
        _PREWARM.start()


def gx_context() -> Any:
    """The one ephemeral GX context of this process, built on first use (it takes seconds;
    ``prewarm`` starts it in the background)."""
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            _CONTEXT = _new_context()
    return _CONTEXT


def _new_context() -> Any:
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    ctx.data_sources.add_pandas("package")
    return ctx


def validate_columns(conn: duckdb.DuckDBPyConnection, staged: Staged) -> list[ColumnFailure]:
    """Run the registry's per-column expectation suite of every staged table.

    A first pass asks GX only for success (cheap); expectations that failed run again with the
    complete result format to learn which distinct values failed.
    """
    source = gx_context().data_sources.get("package")
    failures: list[ColumnFailure] = []
    for name, st in staged.tables.items():
        if not st.columns or st.rows == 0:
            continue
        plan = [
            _Planned(name, c, rule, (cls, kwargs))
            for c in st.columns
            for rule, cls, kwargs in _checks(st.table.column(c))
        ]
        if not plan:
            continue
        frame = _frame(conn, staged, name)
        batch = _batch_definition(source, name).get_batch(batch_parameters={"dataframe": frame})
        first = _run(batch, plan, list(range(len(plan))), "BOOLEAN_ONLY")
        failed = [i for i, r in first if not r.success]
        if not failed:
            continue
        detail = _run(
            batch,
            plan,
            failed,
            {
                "result_format": "COMPLETE",
                "unexpected_index_column_names": ["gid"],
                "partial_unexpected_count": 0,
                "return_unexpected_index_query": False,
            },
        )
        merged: dict[tuple[str, str], set[int]] = {}
        for i, res in detail:
            gids = {int(r["gid"]) for r in res.result.get("unexpected_index_list") or []}
            merged.setdefault((plan[i].column, plan[i].rule), set()).update(gids)
        for (column, rule), gids in merged.items():
            values = frame[column].tolist()
            failures.append(
                ColumnFailure(name, column, rule, tuple(_plain(values[g]) for g in sorted(gids)))
            )
    return failures


def _run(
    batch: Any, plan: list[_Planned], indices: list[int], result_format: Any
) -> list[tuple[int, Any]]:
    """Validate the planned expectations ``indices`` on ``batch``; (plan index, result)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=f"package.{plan[0].table}")
    for i in indices:
        cls, kwargs = plan[i].expectation
        suite.add_expectation(getattr(gxe, cls)(**kwargs, meta={"plan": i}))
    out = []
    for res in batch.validate(suite, result_format=result_format).results:
        i = int(res.expectation_config.meta["plan"])
        if (res.exception_info or {}).get("raised_exception"):
            raise RuntimeError(
                f"Great Expectations could not check {plan[i].table}.{plan[i].column} "
                f"({plan[i].rule}); this is a fault of the platform, not of the data."
            )
        out.append((i, res))
    return out


def _batch_definition(source: Any, name: str) -> Any:
    asset_name = f"frame_{name}"
    try:
        asset = source.get_asset(asset_name)
    except LookupError:
        asset = source.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition("whole")
    except (LookupError, KeyError):
        return asset.add_batch_definition_whole_dataframe("whole")


def _plain(value: object) -> str | None:
    """A failing value as text for the problem list; a missing one (None, NaN, NA, NaT) as None."""
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:  # NaN, also numpy's
        return None
    return str(value)
