"""The Great Expectations adapter: per-column rules of the registry as one GX expectation suite.

Everything GX-specific lives here. GX costs seconds before it checks anything (its import,
its context); that fixed cost is paid once per process and off the user's path: ``prewarm``
starts it in a background thread (the dashboard at its first run, ingest while it reads the
files), and the suite is built once per process from the registry (``warm``).

How it stays fast: a column rule depends only on the value, so DuckDB — where the rows already
are — reduces each column to its *distinct* values with their counts. Columns that share a rule
with the same arguments (every date column: an ISO date, a real day, not before
``EARLIEST_DATE``; every identifier: the pattern) share one expectation, and every vocabulary is
one set of allowed ``table.column=value`` pairs; so a package of thirteen tables is checked by
sixteen expectations in one validator run, not by two hundred in thirteen. GX's cost is per
expectation (about 4 ms each, once each expectation keeps its configuration:
``expectation_class``) and per run, hardly per value. The frame GX sees has one column
per expectation (``_Group``) holding the distinct values of every package column it applies to
(a few thousand rows even for 10 million contacts; a value shared by several columns, such as a
case reference in ``cases`` and ``contacts``, once). The one run asks GX for the list of the
values that failed (``BASIC``, with room for all of them), and those are mapped back to row
numbers by SQL. Uniqueness is a rule on the counts (``n ≤ 1``),
required a rule on the number of empty cells (``≤ 0``). Values stay in memory only: the context
is ephemeral, nothing GX computes is written anywhere, and no value reaches a message.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import importlib.util
import json
import logging
import sys
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from evaluation.intake.staging import Staged
from evaluation.store.schema import EARLIEST_DATE, TABLES, Column

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


def _checks(col: Column) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(rule, field, GX expectation class name, kwargs) for one column, from the registry.

    ``field`` is what of the column's distinct values the expectation reads: ``value`` the
    values themselves; ``pair`` the column and value as ``table.column=value`` (so that one
    expectation checks every vocabulary, each column against its own list); ``nulls`` the
    number of empty cells; ``dup`` how often a non-empty value occurs; ``num`` and ``days`` the
    value as a number or as days since 1970.
    """
    if col.required:
        yield "required", "nulls", "ExpectColumnValuesToBeBetween", {"max_value": 0}
    if col.references and col.name != col.references.split(".")[1]:
        return  # values of a reference are checked by the foreign-key rule instead
    if col.vocab:
        yield "vocab", "pair", "ExpectColumnValuesToBeInSet", {"value_set": list(col.vocab)}
    if col.type == "bool":
        yield "bool", "value", "ExpectColumnValuesToBeInSet", {"value_set": ["true", "false"]}
    if col.pattern:
        yield "pattern", "value", "ExpectColumnValuesToMatchRegex", {"regex": col.pattern}
    if col.max_length is not None:
        yield (
            "length",
            "value",
            "ExpectColumnValueLengthsToBeBetween",
            {"min_value": col.min_length or 1, "max_value": col.max_length},
        )
    if col.type == "date":
        yield "date", "value", "ExpectColumnValuesToMatchRegex", {"regex": ISO_DATE}
        yield (
            "date",
            "value",
            "ExpectColumnValuesToMatchStrftimeFormat",
            {"strftime_format": "%Y-%m-%d"},
        )
        earliest = (dt.date.fromisoformat(EARLIEST_DATE) - _EPOCH).days
        yield "min_date", "days", "ExpectColumnValuesToBeBetween", {"min_value": earliest}
    if col.type == "integer":
        yield "integer", "value", "ExpectColumnValuesToMatchRegex", {"regex": INTEGER}
    if col.type == "decimal":
        yield "decimal", "value", "ExpectColumnValuesToMatchRegex", {"regex": DECIMAL}
    if col.type in ("integer", "decimal") and (
        col.min_value is not None or col.max_value is not None
    ):
        yield (
            "range",
            "num",
            "ExpectColumnValuesToBeBetween",
            {"min_value": col.min_value, "max_value": col.max_value},
        )
    if col.unique:
        yield "unique", "dup", "ExpectColumnValuesToBeBetween", {"max_value": 1}


@dataclass(frozen=True)
class _Group:
    """One expectation of the suite and the package columns it applies to."""

    name: str
    """The frame column GX checks: the ``field`` of every column in ``columns``, stacked."""
    rule: str
    field: str
    cls: str
    kwargs: dict[str, Any]
    columns: tuple[tuple[str, str], ...]
    """(table, column), in registry order."""


@functools.cache
def groups() -> tuple[_Group, ...]:
    """The registry's per-column rules, one group per (rule, GX expectation, arguments)."""
    found: dict[tuple[str, str, str, str], list[tuple[str, str]]] = {}
    pairs: list[str] = []
    for table in TABLES:
        for col in table.columns:
            for rule, fld, cls, kwargs in _checks(col):
                if fld == "pair":  # one set of allowed (column, value) pairs for all
                    pairs += [f"{table.name}.{col.name}={v}" for v in kwargs["value_set"]]
                    kwargs = {}
                key = (rule, fld, cls, json.dumps(kwargs, sort_keys=True))
                found.setdefault(key, []).append((table.name, col.name))
    return tuple(
        _Group(
            f"{rule}_{i}",
            rule,
            fld,
            cls,
            {"value_set": pairs} if fld == "pair" else json.loads(kwargs),
            tuple(columns),
        )
        for i, ((rule, fld, cls, kwargs), columns) in enumerate(found.items())
    )


# -- the fixed cost: GX's import, its context and the suite, once per process ---------------

_LOCK = threading.RLock()
"""Held while GX is imported and the context and suite are built (seconds, once)."""
_STARTING = threading.Lock()
_RUN = threading.Lock()
"""One validator run at a time: the pandas source's execution engine holds the active batch."""
_CONTEXT: Any = None
_SUITE: Any = None
_BATCHES: Any = None
_WARM = False
_PREWARM: threading.Thread | None = None
_BUILT = {"gx_imports": 0, "contexts": 0, "suites": 0}

_DEFERRED = ("scipy.stats", "altair")
"""Modules GX imports at module level only for expectations never used here (KL divergence
and Kolmogorov–Smirnov tests, and the charts of their renderers): more than a second of its
import. While GX is imported they stand in as ``_Deferred`` modules, loaded on first use."""


class _Deferred(types.ModuleType):
    """A module that is imported for real on the first use of any of its attributes."""

    def __getattr__(self, attr: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            sys.modules.pop(self.__name__, None)
        return getattr(importlib.import_module(self.__name__), attr)


def _import_gx() -> None:
    """Import GX, with ``_DEFERRED`` modules standing in while it imports (unless someone
    imported them already). Afterwards anyone importing them gets the real module."""
    if "great_expectations" in sys.modules:
        return
    stand_ins: dict[str, types.ModuleType] = {}
    for name in _DEFERRED:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        module = _Deferred(name)
        module.__spec__ = spec
        stand_ins[name] = sys.modules[name] = module
    try:
        import great_expectations  # noqa: F401

        _BUILT["gx_imports"] += 1
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


def prewarm() -> None:
    """Start ``warm`` in a background thread, once per process (it takes seconds).

    Ingest calls this first, so the import overlaps with reading the files (as far as the GIL
    lets it: DuckDB releases it while it reads a CSV, the workbook reader hardly); the dashboard
    calls it after the first page of someone who may upload is drawn, so that their first
    upload does not pay it.
    """
    global _PREWARM
    if _WARM or _PREWARM is not None:
        return
    with _STARTING:  # not _LOCK: that one is held while GX is imported
        if _PREWARM is None:
            _PREWARM = threading.Thread(target=_warm_quietly, name="gx-prewarm", daemon=True)
            _PREWARM.start()


def _warm_quietly() -> None:
    try:
        warm()
    except Exception:  # a validation that needs GX meets the fault itself, and says so
        logging.getLogger(__name__).exception("warming Great Expectations failed")


def warm() -> None:
    """Import GX, build its context and the suite, and run the suite once on a tiny frame
    (GX's first validation sets up more than later ones), once per process."""
    global _WARM
    with _LOCK:
        if _WARM:
            return
        suite, batches = _suite()
        tiny = _frame_of([], groups())
        with _RUN:
            batch = batches.get_batch(batch_parameters={"dataframe": tiny})
            batch.validate(suite, result_format=_listing(len(tiny)))
        _WARM = True


def gx_context() -> Any:
    """The one ephemeral GX context of this process, built on first use."""
    global _CONTEXT
    with _LOCK:
        if _CONTEXT is None:
            _CONTEXT = _new_context()
            _BUILT["contexts"] += 1
    return _CONTEXT


def _new_context() -> Any:
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    _import_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    ctx.data_sources.add_pandas("package")
    return ctx


def _suite() -> tuple[Any, Any]:
    """(the suite of every group, the batch definition of the package frame), built once."""
    global _SUITE, _BATCHES
    with _LOCK:
        if _SUITE is None:
            ctx = gx_context()
            import great_expectations as gx

            expectations = [
                expectation_class(g.cls)(column=g.name, **g.kwargs, meta={"group": i})
                for i, g in enumerate(groups())
            ]
            asset = ctx.data_sources.get("package").add_dataframe_asset("distinct_values")
            _BATCHES = asset.add_batch_definition_whole_dataframe("whole")
            _SUITE = gx.ExpectationSuite(name="package", expectations=expectations)
            _BUILT["suites"] += 1
    return _SUITE, _BATCHES


@functools.cache
def expectation_class(name: str) -> Any:
    """GX's expectation class ``name`` as the suite uses it: the same expectation, its
    configuration built once per instance instead of at every look.

    GX builds an expectation's configuration anew (``Expectation.configuration``: every field
    copied through pydantic, the whole list of allowed values included) each time it looks at
    it, about 20 times per expectation in one validator run: nearly half of a run on a
    package's distinct values. Here it is built at the first look and kept until a field of the
    instance changes. A subclass is how GX extends an expectation (it registers it under its own
    name, ``package_expect_…``); what it checks and how is GX's own. Checked against GX's own
    class, run after run, in ``tests/test_expectations.py``.
    """
    import great_expectations.expectations as gxe
    from great_expectations.compatibility import pydantic

    base = getattr(gxe, name)

    def configuration(self: Any) -> Any:
        memo = self._configuration_memo
        if memo is None:
            memo = base.configuration.fget(self)
            self._configuration_memo = memo
        return memo

    def __setattr__(self: Any, attr: str, value: Any) -> None:
        base.__setattr__(self, attr, value)
        if attr != "_configuration_memo":
            base.__setattr__(self, "_configuration_memo", None)

    return type(
        f"Package{name}",
        (base,),
        {
            "__module__": __name__,
            "__doc__": f"GX's {name}, its configuration built once per instance.",
            "__annotations__": {"_configuration_memo": Any},
            "_configuration_memo": pydantic.PrivateAttr(default=None),
            "configuration": property(configuration),
            "__setattr__": __setattr__,
        },
    )


def built() -> dict[str, int]:
    """How often this process imported GX, built its context and the suite (once each)."""
    return dict(_BUILT)


# -- validation ----------------------------------------------------------------------------

_FIELD_SQL = {
    "dup": "n::DOUBLE",
    "num": "TRY_CAST(value AS DOUBLE)",
    "days": "date_diff('day', DATE '1970-01-01', TRY_CAST(value AS DATE))::DOUBLE",
}


def _distinct(
    conn: duckdb.DuckDBPyConnection, staged: Staged, grps: tuple[_Group, ...]
) -> pa.Table | None:
    """The rows of every group: (grp, tbl, col, value, text, x), ordered by group.

    ``value`` is the distinct value of the column (missing for ``nulls``); what the group's
    expectation reads of it is ``text`` for ``value`` and ``pair`` groups (the value; the
    column and value), else the number ``x`` (the empty cells of the column for ``nulls``;
    count, number or day for the others).
    """
    members = [
        (i, t, c, g.field)
        for i, g in enumerate(grps)
        for t, c in g.columns
        if t in staged.tables and c in staged.tables[t].columns and staged.tables[t].rows
    ]
    if not members:
        return None
    conn.register(
        "_checked_columns",
        pa.table(
            {
                "grp": pa.array([m[0] for m in members], pa.int32()),
                "tbl": pa.array([m[1] for m in members], pa.string()),
                "col": pa.array([m[2] for m in members], pa.string()),
                "field": pa.array([m[3] for m in members], pa.string()),
            }
        ),
    )
    x = " ".join(f"WHEN '{f}' THEN {sql}" for f, sql in _FIELD_SQL.items())
    try:
        return conn.sql(
            "WITH v AS (SELECT tbl, col, value, sum(n) AS n FROM staged_values GROUP BY ALL) "
            "SELECT grp, tbl, col, NULL::VARCHAR AS value, NULL::VARCHAR AS text, "
            "coalesce(sum(n) FILTER (WHERE value IS NULL), 0)::DOUBLE AS x "
            "FROM v JOIN _checked_columns USING (tbl, col) WHERE field = 'nulls' "
            "GROUP BY grp, tbl, col "
            "UNION ALL "
            "SELECT grp, tbl, col, value, CASE field WHEN 'value' THEN value "
            "WHEN 'pair' THEN tbl || '.' || col || '=' || value END AS text, "
            f"CASE field {x} END AS x "
            "FROM v JOIN _checked_columns USING (tbl, col) "
            "WHERE field <> 'nulls' AND value IS NOT NULL "
            "ORDER BY grp"
        ).to_arrow_table()
    finally:
        conn.unregister("_checked_columns")


def _cells(part: pa.Table, group: _Group) -> pa.Array:
    """The distinct cells of one group: what its expectation reads, each once.

    An expectation's verdict on a cell depends on the cell alone, so a value that occurs in
    several columns of the group (a case reference in ``cases`` and in ``contacts``; the same
    count, number or day) is checked once and its verdict holds for every row that carries it.
    A missing cell (a text that is no number) is left out, as GX leaves it out.
    """
    return pc.unique(_read(part, group)).drop_null()


def _read(part: pa.Table, group: _Group) -> pa.Array:
    """What the group's expectation reads of each of its rows."""
    return part["text" if group.field in ("value", "pair") else "x"].combine_chunks()


def _frame_of(cells: list[pa.Array], grps: tuple[_Group, ...]) -> pd.DataFrame:
    """The frame GX checks: one column per group (its distinct cells), padded with missing
    values, which GX leaves out of every expectation; ``gid`` numbers the rows. The columns go
    from Arrow to pandas without a Python object per cell."""
    length = max((len(c) for c in cells), default=1) or 1
    columns: dict[str, pa.Array] = {}
    for i, g in enumerate(grps):
        kind = pa.string() if g.field in ("value", "pair") else pa.float64()
        col = cells[i] if i < len(cells) else pa.array([], kind)
        columns[g.name] = pa.concat_arrays([col, pa.nulls(length - len(col), kind)])
    columns["gid"] = pa.array(range(length), pa.int64())
    return pa.table(columns).to_pandas()


def validate_columns(conn: duckdb.DuckDBPyConnection, staged: Staged) -> list[ColumnFailure]:
    """Run the registry's per-column suite on the distinct values of every staged table."""
    return columns_checked(conn, staged)()


def columns_checked(
    conn: duckdb.DuckDBPyConnection, staged: Staged
) -> Callable[[], list[ColumnFailure]]:
    """Start the registry's per-column suite on the distinct values of every staged table and
    return at once; calling the result waits for the failures.

    The distinct values are read from ``conn`` here; GX checks them in a thread of its own,
    beside whatever the caller asks DuckDB next (the rules across rows and tables: DuckDB
    releases the GIL while it runs a query, GX needs no connection). One validator run lists
    each expectation's failing values, and so which distinct cells failed, which values of
    which columns. One run, not a run for success and a second for the values of the
    expectations that failed: GX's cost is per expectation and run (it builds each one's
    configuration and metrics anew): a warm check of validation_bench's broken package takes
    0.17 s less, its good one 0.07 s more (medians of five alternating pairs, 2026-12-06).
    """
    grps = groups()
    checked = package_frame(conn, staged, grps)
    if checked is None:
        return list
    done: Future[list[ColumnFailure]] = Future()

    def run() -> None:
        try:
            done.set_result(_failures(staged, grps, *checked))
        except BaseException as error:  # raised again where the caller waits
            done.set_exception(error)

    threading.Thread(target=run, name="gx-validate", daemon=True).start()
    return done.result


def _listing(rows: int) -> dict[str, Any]:
    """GX's result format that lists every failing value of a frame of ``rows`` rows: BASIC
    with room for all of them (COMPLETE's index lists cost half as much again per
    expectation)."""
    return {"result_format": "BASIC", "partial_unexpected_count": rows + 1}


def _failures(
    staged: Staged,
    grps: tuple[_Group, ...],
    frame: pd.DataFrame,
    parts: list[pa.Table],
    cells: list[pa.Array],
) -> list[ColumnFailure]:
    """The suite's failures on ``frame`` (``package_frame``), by table, column and rule."""
    suite, batches = _suite()
    with _RUN:
        batch = batches.get_batch(batch_parameters={"dataframe": frame})
        results = _results(batch.validate(suite, result_format=_listing(len(frame))), grps)
    merged: dict[tuple[str, str, str], set[str | None]] = {}
    for i, res in results:
        if res.success:
            continue
        # the frame's own values, so the comparison is of one type; a group's column holds
        # each of its cells once, in the order of ``cells[i]``
        failing = res.result.get("partial_unexpected_list") or []
        at = frame["gid"].to_numpy()[frame[grps[i].name].isin(failing).to_numpy()]
        bad = cells[i].take(pa.array(at, pa.int64()))
        hit = parts[i].filter(pc.is_in(_read(parts[i], grps[i]), value_set=bad))
        for t, c, v in zip(*(hit[k].to_pylist() for k in ("tbl", "col", "value")), strict=True):
            merged.setdefault((str(t), str(c), grps[i].rule), set()).add(v)
    return [
        ColumnFailure(t, c, rule, tuple(sorted(values, key=lambda v: (v is not None, v or ""))))
        for (t, c, rule), values in sorted(merged.items(), key=lambda kv: _order(staged, kv[0]))
    ]


def package_frame(
    conn: duckdb.DuckDBPyConnection, staged: Staged, grps: tuple[_Group, ...]
) -> tuple[pd.DataFrame, list[pa.Table], list[pa.Array]] | None:
    """What the suite checks of a staged package: (GX's frame, each group's rows, each group's
    distinct cells); ``None`` when there is nothing to check."""
    rows = _distinct(conn, staged, grps)
    if rows is None or rows.num_rows == 0:
        return None
    starts = _bounds(rows["grp"].to_numpy(), len(grps))
    parts = [rows.slice(starts[i], starts[i + 1] - starts[i]) for i in range(len(grps))]
    cells = [_cells(part, g) for part, g in zip(parts, grps, strict=True)]
    return _frame_of(cells, grps), parts, cells


def _bounds(grp: Any, n: int) -> list[int]:
    """Where each of the ``n`` groups starts in the rows ordered by group (and where the last
    ends)."""
    import numpy as np

    return np.searchsorted(grp, np.arange(n + 1)).tolist()


def _results(suite_result: Any, grps: tuple[_Group, ...]) -> list[tuple[int, Any]]:
    """(group index, result) of a validator run; a GX fault raises."""
    out = []
    for res in suite_result.results:
        i = int(res.expectation_config.meta["group"])
        if (res.exception_info or {}).get("raised_exception"):
            g = grps[i]
            raise RuntimeError(
                f"Great Expectations could not check {g.rule} ({g.cls}); this is a fault of "
                "the platform, not of the data."
            )
        out.append((i, res))
    return out


def _order(staged: Staged, key: tuple[str, str, str]) -> tuple[int, int, int]:
    """Failures in the order of the package's tables, their columns and the rules."""
    t, c, rule = key
    tables = list(staged.tables)
    st = staged.tables[t]
    rules = [r for r, *_x in _checks(st.table.column(c))]
    return tables.index(t), st.columns.index(c), rules.index(rule)
