"""Staging: every table of an opened package as text in DuckDB, normalised, with row numbers.

Each table becomes ``raw_<table>``, the text as read (a view of its Arrow table, which DuckDB
scans in place, for a sheet and a CSV file read by pyarrow; a temporary table for a CSV file
DuckDB's strict reader reads), the distinct values
of each column with their counts and normalised form in ``staged_values``, and a view
``rows_<table>`` of normalised values — trimmed, empty cells as NULL, vocabulary and boolean
values lower-cased, a profile's value maps and date pattern applied — with ``_row``, the row
number a person sees in the spreadsheet (header = row 1). Only columns of the format are
staged: unknown or dropped columns are never read into the database at all.

Header problems (unknown, duplicate, missing or identifier-looking columns and tables) are
collected as ``Problem``s so that validation reports every problem in one pass.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import functools
import logging
import mmap
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from evaluation.errors import PackageRefused
from evaluation.intake.container import (
    OpenedPackage,
    SourceTable,
    encoding_sentence,
    read_csv_header,
)
from evaluation.intake.gate import identifier_column, normalise_name, personal_kind
from evaluation.intake.problems import Problem, count
from evaluation.intake.profiles import Profile
from evaluation.store import names
from evaluation.store.schema import REQUIRED_TABLES, TABLES_BY_NAME, Column, Table
from evaluation.vocabulary.language import _, n_

BOOL_TRUE = ("true", "yes", "1")
BOOL_FALSE = ("false", "no", "0")
_WS = "' \t\r\n\u00a0\ufeff'"


@dataclass
class StagedTable:
    table: Table
    source: SourceTable
    columns: list[str]
    """Format columns present in the source, in format order."""
    rows: int = 0
    number_rows: Callable[[], None] | None = None
    """For a large CSV file, what gives its rows their spreadsheet numbers when a problem needs
    them (``number_rows``); ``None`` once they have them."""


@dataclass
class Staged:
    tables: dict[str, StagedTable] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def quote_name(name: str) -> str:
    """``name`` as a DuckDB identifier in double quotes (a column name as the format spells it)."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _safe_name(name: str) -> str:
    """A name as written, unless it looks personal (then it is not echoed)."""
    return name if personal_kind(name) is None and len(name) <= 60 else _("(name not shown)")


def _header_problems(
    table: Table,
    src: SourceTable,
    header: list[str],
    profile: Profile,
) -> tuple[dict[int, str], list[Problem]]:
    """Map header positions to format columns; collect problems of the header row."""
    problems: list[Problem] = []
    mapped: dict[int, str] = {}
    seen: dict[str, int] = {}
    unknown: list[str] = []
    for pos, raw in enumerate(header):
        name = "" if raw is None else str(raw)
        if not name.strip():
            continue  # checked for content later: an unnamed column must be empty
        if profile.drops(table.name, name):
            continue
        col = profile.column_for(table.name, name)
        if col in table.column_names:
            if col in seen:
                problems.append(
                    Problem(
                        table.name,
                        col,
                        "duplicate_column",
                        _(
                            "the column appears twice in {source} (columns {first} and {second})",
                            source=src.label,
                            first=seen[col] + 1,
                            second=pos + 1,
                        ),
                        _("keep one of them and delete the other"),
                    )
                )
            else:
                seen[col] = pos
                mapped[pos] = col
        elif identifier_column(name, profile.identifier_names):
            problems.append(
                Problem(
                    table.name,
                    None,
                    "identifier_column",
                    _(
                        'column {position} of {source} ("{name}") looks like it holds personal '
                        "data such as names, contact details, birth dates or notes",
                        position=pos + 1,
                        source=src.label,
                        name=_safe_name(name),
                    ),
                    _(
                        "delete the column before uploading: the platform only accepts "
                        "pseudonymised data"
                    ),
                    gate=True,
                )
            )
        else:
            unknown.append(
                _('"{name}" (column {position})', name=_safe_name(name), position=pos + 1)
            )
    if unknown:
        listed = ", ".join(unknown[:8])
        if len(unknown) > 8:
            listed = n_(
                "{listed} and {n} more",
                "{listed} and {n} more",
                len(unknown) - 8,
                listed=listed,
                n=count(len(unknown) - 8),
            )
        problems.append(
            Problem(
                table.name,
                None,
                "unknown_column",
                _(
                    "{source} has columns that are not in the format: {columns}",
                    source=src.label,
                    columns=listed,
                ),
                _(
                    "delete them, or rename them to the format's names (a mapping profile can do "
                    "this for every export)"
                ),
                gate=True,
            )
        )
    missing = [c.name for c in table.columns if c.required and c.name not in seen]
    if missing:
        problems.append(
            Problem(
                table.name,
                None,
                "missing_column",
                n_(
                    "{source} lacks the required column {columns}",
                    "{source} lacks the required columns {columns}",
                    len(missing),
                    source=src.label,
                    columns=", ".join(f"`{m}`" for m in missing),
                ),
                n_(
                    "add the column with its header in the first row",
                    "add the columns with their headers in the first row",
                    len(missing),
                ),
            )
        )
    return mapped, problems


def _value_expr(col: Column, ref: str, profile: Profile, table: str) -> str:
    """SQL that normalises one source column (VARCHAR) the way the format says."""
    expr = f"NULLIF(trim({ref}, {_WS}), '')"
    if col.type == "text" and not col.pattern:  # one form of each name (``store.names``)
        expr = f"NULLIF(trim({names.SQL_NORMALISE}({ref}), {_WS}), '')"
    lowered = col.type == "bool" or (col.type == "vocab" and all(v == v.lower() for v in col.vocab))
    if lowered:
        expr = f"lower({expr})"
    elif col.type == "vocab":
        expr = f"upper({expr})"
    mapping = dict(profile.values.get(table, {}).get(col.name, {}))
    if col.type == "bool":
        mapping |= {k: ("true" if v else "false") for k, v in profile.booleans.items()}
        mapping |= {v: "true" for v in BOOL_TRUE} | {v: "false" for v in BOOL_FALSE}
    if mapping:
        key = expr if lowered else f"lower({expr})"
        cases = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in sorted(mapping.items()))
        expr = f"(CASE {key} {cases} ELSE {expr} END)"
    if col.type == "date" and profile.date_format:
        fmt = _lit(profile.date_format)
        expr = f"coalesce(strftime(try_strptime({expr}, {fmt}), '%Y-%m-%d'), {expr})"
    return expr


def sheets_read(profile: Profile) -> Callable[[str], bool]:
    """Which sheets ``stage_package`` reads, by name: those of the format's tables (for
    ``open_package``, which scans only those for bombs)."""
    return lambda sheet: profile.table_for(sheet.strip()) in TABLES_BY_NAME


def stage_package(
    conn: duckdb.DuckDBPyConnection,
    package: OpenedPackage,
    profile: Profile,
    progress: Callable[[str, float], None] | None = None,
) -> Staged:
    """Stage every table of ``package`` in ``conn`` (``raw_``, ``staged_values``, ``rows_``)."""
    staged = Staged()
    names.register_sql(conn)
    new_staged_values(conn)
    by_table: dict[str, SourceTable] = {}
    for src in package.tables:
        name = profile.table_for(src.name)
        if name not in TABLES_BY_NAME:
            gate = identifier_column(src.name, profile.identifier_names)
            staged.problems.append(
                Problem(
                    _safe_name(src.name),
                    None,
                    "unknown_table",
                    (
                        (
                            _(
                                "a sheet whose name suggests personal data is not a table of the "
                                "format"
                            )
                            if src.kind == "sheet"
                            else _(
                                "a file whose name suggests personal data is not a table of the "
                                "format"
                            )
                        )
                        if gate
                        else _("{source} is not a table of the format", source=src.label)
                    ),
                    _(
                        "remove it from the package, or rename it to one of: {tables}",
                        tables=", ".join(TABLES_BY_NAME),
                    ),
                    gate=True,
                )
            )
            continue
        if name in by_table:
            staged.problems.append(
                Problem(
                    name,
                    None,
                    "duplicate_table",
                    _(
                        "the table is in the package twice ({first} and {second})",
                        first=by_table[name].label,
                        second=src.label,
                    ),
                    _("keep one of them"),
                )
            )
            continue
        by_table[name] = src
    for req in REQUIRED_TABLES:
        if req not in by_table:
            staged.problems.append(
                Problem(
                    req,
                    None,
                    "missing_table",
                    _("this required table is missing from the package"),
                    (
                        _(
                            "add a sheet named `{table}` (the blank template workbook has every "
                            "table)",
                            table=req,
                        )
                        if package.container == "xlsx"
                        else _(
                            "add a CSV file named `{table}` (the blank template workbook has "
                            "every table)",
                            table=req,
                        )
                    ),
                )
            )
    total = max(len(by_table), 1)
    found: dict[str, tuple[StagedTable | None, list[Problem]]] = {}
    # A sheet fastexcel cannot read typed (a column of mixed cells: text in a date column, the
    # usual mistake) is parsed again by calamine, which lets go of the GIL while it parses:
    # in a thread of its own, while the sheets after it are staged, and staged last.
    later: dict[str, Future[list[list[object]] | None]] = {}
    for i, (name, src) in enumerate(by_table.items()):
        if progress:
            progress(_("Reading {source}", source=src.label), i / total)
        table = TABLES_BY_NAME[name]
        problems: list[Problem] = []
        if src.kind == "csv":
            found[name] = (_stage_csv(conn, table, src, profile, problems), problems)
            continue
        if not src.scanned:  # a sheet thought never read has not been checked for bombs
            raise RuntimeError(f"{src.label} would be read without its check for bombs")
        sheet = _read_sheet_arrow(src, table, profile)
        if sheet is None:
            later[name] = _SHEETS.submit(_calamine_cells, src)
            continue
        found[name] = (_stage_sheet(conn, table, src, sheet, profile, problems), problems)
    for name, cells in later.items():
        src = by_table[name]
        rows = cells.result()
        if rows is None:
            raise _unreadable(src)
        problems = []
        sheet = _sheet_of(rows)
        found[name] = (
            _stage_sheet(conn, TABLES_BY_NAME[name], src, sheet, profile, problems),
            problems,
        )
    for name in by_table:  # in the package's order, whichever was staged first
        st, problems = found[name]
        staged.problems.extend(problems)
        if st is not None:
            staged.tables[name] = st
    if progress:
        progress(_("Read every table"), 1.0)
    return staged


def new_staged_values(conn: duckdb.DuckDBPyConnection) -> None:
    """An empty ``staged_values``: each staged column's distinct raw values, their counts and
    normal form (``_create_norm`` fills it)."""
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE staged_values (tbl VARCHAR, col VARCHAR, raw VARCHAR, "
        "n BIGINT, value VARCHAR)"
    )


def _create_norm(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    columns: list[str],
    select_from: str,
    refs: dict[str, str],
    profile: Profile,
    row_expr: str | None,
    row_numbers: Future[pa.Array | None] | None = None,
    arrow: pa.Table | None = None,
) -> Callable[[pa.Array | None], None]:
    """Stage one table: raw text, its distinct values, and the normalised ``rows_`` view.

    Returns what defines the view again with other row numbers (``_stage_csv`` numbers the
    rows of a large file only when a problem needs them).

    Normalising every cell of 10 million rows (trim, lower-case, value maps) costs more than
    reading them, and almost every value of a clean export is already normal. So the raw text
    is stored as read; each column's *distinct* values are normalised (a few thousand even for
    10 million rows) into ``staged_values``; and the view ``rows_<table>`` applies the
    normalisation only to columns where some value actually changes under it.
    """
    name = table.name
    raw_cols = [f"{refs[c]} AS {quote_name(c)}" for c in columns]
    row = [f"{row_expr} AS _row"] if row_expr else []
    body = ", ".join(row + raw_cols) or "NULL AS _empty"
    in_place = arrow is not None
    if in_place:  # an Arrow table registered as ``select_from``, with its ``_idx`` column
        conn.execute(
            f"CREATE OR REPLACE TEMP VIEW raw_{name} AS SELECT _idx, {body} FROM {select_from}"
        )
    else:
        conn.execute(f"CREATE OR REPLACE TEMP TABLE raw_{name} AS SELECT {body} FROM {select_from}")
    present = " OR ".join(f"{quote_name(c)} IS NOT NULL" for c in columns) or "TRUE"
    exprs = {c: _value_expr(table.column(c), "raw", profile, name) for c in columns}
    if table.key_value and profile.date_format and {"key", "value"} <= set(columns):
        # about.data_as_of is a date written as text: the profile's date pattern applies too,
        # so `value` is normalised per row (the about table has a handful of rows).
        exprs["value"] = None  # type: ignore[assignment]
    # A row whose every cell is empty is no row. Such rows are rare, and each test of every row
    # for them costs time at 10 million rows, so the distinct values are first counted over all
    # rows: a column without an empty cell proves there is no empty row, and the test is left
    # out everywhere (here, in the view and in the typed load). Else they are counted again.
    counted = [c for c in columns if exprs[c] is not None]
    source = None if arrow is None else {c: arrow.column(refs[c]) for c in columns}
    _insert_distinct(conn, name, counted, exprs, None, source)
    if columns and not _has_full_column(conn, name, counted, columns, source):
        conn.execute("DELETE FROM staged_values WHERE tbl = ?", [name])
        _insert_distinct(conn, name, counted, exprs, present, source)
    else:
        present = "TRUE"
    changed = {
        c
        for (c,) in conn.execute(
            "SELECT DISTINCT col FROM staged_values WHERE tbl = ? AND raw IS DISTINCT FROM value",
            [name],
        ).fetchall()
    }
    view_cols = []
    for c in columns:
        q = quote_name(c)
        if exprs[c] is None:
            view_cols.append(f"{_about_value_expr(table, profile)} AS {q}")
        elif c in changed:
            view_cols.append(f"{_value_expr(table.column(c), q, profile, name)} AS {q}")
        else:
            view_cols.append(q)
    where = "" if present == "TRUE" else f" WHERE {present}"
    selected = ", ".join(view_cols) or "NULL AS _empty"

    def view(numbers: pa.Array | None) -> None:
        source = f"raw_{name}"
        idx = "_idx" if in_place else "rowid"
        rowcol = "_row" if row_expr else f"{idx} + 2 AS _row"
        if (
            numbers is not None
            and len(numbers) == conn.execute(f"SELECT count(*) FROM raw_{name}").fetchall()[0][0]
        ):
            conn.register("_row_numbers", pa.table({"_row": numbers}))
            conn.execute(
                f"CREATE OR REPLACE TEMP TABLE rownum_{name} AS SELECT "
                f"row_number() OVER () - 1 AS idx, _row FROM _row_numbers"
            )
            conn.unregister("_row_numbers")
            source = (
                f"(SELECT m._row, r.* FROM raw_{name} r JOIN rownum_{name} m ON r.{idx} = m.idx)"
            )
            rowcol = "_row"
        conn.execute(
            f"CREATE OR REPLACE TEMP VIEW rows_{name} AS SELECT {rowcol}, {selected} "
            f"FROM {source}{where}"
        )

    view(row_numbers.result() if row_numbers is not None else None)
    if exprs.get("value", "") is None:
        conn.execute(
            f"INSERT INTO staged_values SELECT '{name}', 'value', value, count(*), "
            f"value FROM rows_{name} GROUP BY value"
        )
    return view


def _insert_distinct(
    conn: duckdb.DuckDBPyConnection,
    name: str,
    columns: list[str],
    exprs: dict[str, str],
    present: str | None,
    source: dict[str, pa.ChunkedArray] | None = None,
) -> None:
    """Each column's distinct raw values of ``raw_<name>`` with their counts and normal form,
    counted over the rows where ``present`` holds (all rows for ``None``, else those with a
    cell in some column).

    A sheet, or a CSV file read by pyarrow (``source``: its columns), is counted by pyarrow (a
    column a thread on two from ``COUNT_IN_THREADS_ROWS`` rows): the 10 million contacts'
    seven columns in 1.06–1.09 s, where DuckDB's group-by over the same Arrow table takes
    1.61–1.65 s (2026-12-05, quiet machine)."""
    if source is not None:
        _insert_distinct_arrow(conn, name, columns, exprs, present is not None, source)
        return
    where = f" WHERE {present}" if present else ""
    distinct = [
        f"SELECT '{name}', '{c}', raw, n, {exprs[c]} FROM (SELECT {quote_name(c)} AS raw, "
        f"count(*) AS n FROM raw_{name}{where} GROUP BY {quote_name(c)})"
        for c in columns
    ]
    if distinct:
        conn.execute("INSERT INTO staged_values " + " UNION ALL ".join(distinct))


COUNT_IN_THREADS_ROWS = 100_000
"""From how many rows a table's columns are counted a column a thread (below, starting the
threads costs more than they save)."""


def _insert_distinct_arrow(
    conn: duckdb.DuckDBPyConnection,
    name: str,
    columns: list[str],
    exprs: dict[str, str],
    present: bool,
    source: dict[str, pa.ChunkedArray],
) -> None:
    if not columns:
        return
    data = source
    if present:  # only the rows with a cell in some column
        mask = functools.reduce(pc.or_, (pc.is_valid(a) for a in source.values()))
        data = {c: a.filter(mask) for c, a in source.items()}
    if len(next(iter(data.values()))) < COUNT_IN_THREADS_ROWS:
        counts = [pc.value_counts(data[c]) for c in columns]
    else:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="csv-counts") as pool:
            counts = list(pool.map(lambda c: pc.value_counts(data[c]), columns))
    sizes = [len(n) for n in counts]
    distinct = pa.table(
        {
            "col": pa.array(np.repeat(np.arange(len(columns), dtype=np.int32), sizes)),
            "raw": pa.concat_arrays([n.field("values") for n in counts]),
            "n": pa.concat_arrays([n.field("counts") for n in counts]),
        }
    )
    conn.register("_distinct_values", distinct)
    try:
        conn.execute(
            "INSERT INTO staged_values "
            + " UNION ALL ".join(
                f"SELECT '{name}', '{c}', raw, n, {exprs[c]} FROM _distinct_values WHERE col = {i}"
                for i, c in enumerate(columns)
            )
        )
    finally:
        conn.unregister("_distinct_values")


def _has_full_column(
    conn: duckdb.DuckDBPyConnection,
    name: str,
    counted: list[str],
    columns: list[str],
    source: dict[str, pa.ChunkedArray] | None = None,
) -> bool:
    """Whether a column of ``raw_<name>`` has no empty (NULL) cell, so no row is empty (Arrow
    knows it of its ``source`` columns without a query)."""
    if source is not None and any(source[c].null_count == 0 for c in columns):
        return True
    if any(c not in counted for c in columns):  # a column normalised per row (about.value)
        rows = conn.execute(
            f"SELECT count(*) FROM raw_{name} WHERE NOT ("
            + " OR ".join(f"{quote_name(c)} IS NOT NULL" for c in columns)
            + ")"
        ).fetchall()
        return bool(rows[0][0] == 0)
    found = conn.execute(
        "SELECT count(*) FROM (SELECT col FROM staged_values WHERE tbl = ? GROUP BY col "
        "HAVING count(*) FILTER (WHERE raw IS NULL) = 0)",
        [name],
    ).fetchall()
    return bool(found[0][0] > 0)


def _about_value_expr(table: Table, profile: Profile) -> str:
    key = _value_expr(table.column("key"), quote_name("key"), profile, table.name)
    value = _value_expr(table.column("value"), quote_name("value"), profile, table.name)
    fmt = _lit(profile.date_format or "%Y-%m-%d")
    return (
        f"(CASE WHEN lower({key}) = 'data_as_of' THEN coalesce(strftime(try_strptime("
        f"{value}, {fmt}), '%Y-%m-%d'), {value}) ELSE {value} END)"
    )


_LINE = re.compile(r"Line:\s*(\d+)")
_FIELDS = re.compile(r"Expected Number of Columns:\s*(\d+)\s*Found:\s*(\d+)")


def _csv_error(src: SourceTable, exc: Exception) -> PackageRefused:
    text = str(exc)
    line = _LINE.search(text)
    where = (
        _("{source} at line {line}", source=src.label, line=line.group(1)) if line else src.label
    )
    if "unicode" in text.lower() or "utf-8" in text.lower():
        return PackageRefused(encoding_sentence(src.label))
    fields = _FIELDS.search(text)
    if fields:
        exp, found = fields.groups()
        return PackageRefused(
            _(
                "{where} has {found} fields where the header has {expected}. A value with a "
                "comma must be in double quotes; export the table as CSV again.",
                where=where,
                found=found,
                expected=exp,
            )
        )
    if "maximum line size" in text.lower():
        return PackageRefused(_("{where} has a line too long to be a table row.", where=where))
    return PackageRefused(
        _(
            "{where} cannot be read as a comma-separated CSV file (RFC 4180). Export the table "
            "as CSV (UTF-8, comma-separated) again.",
            where=where,
        )
    )


def _stage_csv(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    src: SourceTable,
    profile: Profile,
    problems: list[Problem],
) -> StagedTable | None:
    header = read_csv_header(src)
    if not header:
        problems.append(
            Problem(
                table.name,
                None,
                "empty_table",
                _("{source} is empty: it has no header row", source=src.label),
                _("export the table again with its header row"),
            )
        )
        return None
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        problems.append(
            Problem(
                table.name,
                None,
                "not_comma_separated",
                (
                    _("{source} is separated by semicolons, not by commas", source=src.label)
                    if ";" in header[0]
                    else _("{source} is separated by tabs, not by commas", source=src.label)
                ),
                _(
                    'in Excel choose File › Save As › "CSV UTF-8 (comma delimited)"; in '
                    "LibreOffice pick the comma as field delimiter"
                ),
            )
        )
        return None
    mapped, header_problems = _header_problems(table, src, header, profile)
    problems.extend(header_problems)
    cols = [c for c in table.column_names if c in mapped.values()]
    refs = {c: f"c{pos}" for pos, c in mapped.items()}
    unnamed = [f"c{pos}" for pos, raw in enumerate(header) if not str(raw or "").strip()]
    # A small file is searched for blank lines (Python, holding the GIL) while DuckDB reads it
    # (releasing the GIL). A large one is searched only when a problem needs its row numbers:
    # beside DuckDB's read of 10 million rows on two cores, the search (a second read of the
    # file in Python) slowed the read by two seconds.
    size = src.path.stat().st_size
    later = size >= NUMBER_LATER_BYTES
    numbers = None if later else _NUMBERING.submit(_row_numbers, src.path)
    quotes = screen_quotes(src.path) if size <= ARROW_READ_MAX_BYTES else Quotes.REFER
    arrow = None if quotes is Quotes.REFER else _read_csv(src.path, len(header), quotes)
    if arrow is not None:
        reader = f"arrow_{table.name}"
        conn.register(reader, arrow)
    else:  # DuckDB's strict reader decides, and names the line of what it refuses
        reader = strict_reader(src.path, len(header))
    try:
        view = _create_norm(conn, table, cols, reader, refs, profile, None, numbers, arrow)
        if unnamed:
            _check_unnamed(conn, table, src, reader, unnamed, problems)
    except duckdb.Error as exc:
        raise _csv_error(src, exc) from None
    finally:
        if numbers is not None:
            numbers.cancel()
    n = conn.execute(f"SELECT count(*) FROM rows_{table.name}").fetchall()[0][0]
    staged = StagedTable(table, src, cols, n)
    if later:
        staged.number_rows = lambda: view(_row_numbers(src.path))
    return staged


def strict_reader(path: Path, width: int) -> str:
    """DuckDB's strict RFC 4180 reading of a CSV file of ``width`` columns after its header,
    every cell as text in columns ``c0`` …: the SQL to select from. It decides every file that
    pyarrow's faster reader does not take (``_read_csv``)."""
    spec = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    return (
        f"read_csv({_lit(str(path))}, header=true, delim=',', quote='\"', escape='\"', "
        f"auto_detect=false, strict_mode=true, null_padding=false, "
        f"max_line_size=10000000, columns={spec})"
    )


ARROW_READ_MAX_BYTES = 1024 * 1024 * 1024
"""The largest CSV file read by pyarrow. Its table is held in memory while the package is
checked (10 million contacts, 714 MB: 1.72 GB peak for the whole ingest, against 1.58 GB with
DuckDB's reader); a larger file is read by DuckDB, whose staging table spills to disk beyond
its memory limit (``Limits.memory_limit``)."""


def _read_csv(path: Path, width: int, quotes: Quotes) -> pa.Table | None:
    """The records of a CSV file after its header, every cell as text (empty and quoted-empty
    cells NULL), columns ``c0`` … and the record's position ``_idx``; None when the file is not
    a table of ``width`` columns in UTF-8.

    pyarrow's reader reads 10 million contacts in a third of the time of DuckDB's ``read_csv``
    into a table, and DuckDB scans the Arrow table in place (docs/performance.md). It is the
    fast path only: it names no line of a bad record when values may hold line breaks, and it
    reads some malformed quoting without complaint (``screen_quotes`` screens for that), so
    whatever it cannot read goes to DuckDB's strict reader, which decides and says where. In a
    file without quotes no value holds a line break, and pyarrow finds the records in parallel
    (1.7 s against 2.4 s for 10 million contacts)."""
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, block_size=16 * 1024 * 1024
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=",",
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=quotes is not Quotes.NONE,
                ignore_empty_lines=True,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowException:
        return None
    return table.append_column("_idx", pa.array(np.arange(table.num_rows, dtype=np.int64)))


_QUOTE = ord('"')
_EDGE = np.isin(np.arange(256), [ord(c) for c in ',\n\r"'])
"""The bytes that may stand before a quote that opens a value, or after one that closes it."""
_SCAN = 16 * 1024 * 1024


class Quotes(enum.Enum):
    """What the double quotes of a CSV file let pyarrow's reader do (``screen_quotes``)."""

    NONE = "none"
    """No quotes: pyarrow may read it, and no value holds a line break."""
    PLACED = "placed"
    """Every quote where RFC 4180 lets it: pyarrow may read it."""
    REFER = "refer"
    """Quotes for DuckDB's strict reader to judge."""


def screen_quotes(path: Path, bytes_per_quote: int = 64) -> Quotes:
    """Whether a CSV file has no double quotes, or few enough to check quickly and every one
    where RFC 4180 lets it: opening a value, doubled inside a quoted value, or closing
    one before a comma, a line end or the end of the file, with none left open. Few enough: in
    a file over 16 MB, at most one in ``bytes_per_quote`` bytes (0: any number), as where only
    values holding a comma, a quote or a line break are quoted.

    Inside or outside a quoted value is the parity of the quotes before a place, so the quotes
    are checked in NumPy without parsing: the 1st, 3rd, … quote opens a value (or, right after
    a quote, doubles it) and must follow a comma, a line end or a quote; the 2nd, 4th, … closes
    one (or doubles a quote) and must precede one. A file without quotes passes in one
    ``memchr`` search. This is stricter than DuckDB's reader, which also takes a quote inside an
    unquoted value (``5"``); a file that fails is read by DuckDB, the slower way, and so is a
    densely quoted one (every value quoted), whose screen would cost as much as that read."""
    with path.open("rb") as f:
        size = f.seek(0, 2)
        if size == 0:
            return Quotes.NONE
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            if mm.find(b'"') < 0:
                return Quotes.NONE
            buf = np.frombuffer(mm, dtype=np.uint8)
            try:
                placed = _quotes_in_place(buf, bytes_per_quote if size > _SCAN else 0)
            finally:
                del buf
    return Quotes.PLACED if placed else Quotes.REFER


def _quotes_in_place(buf: np.ndarray, bytes_per_quote: int) -> bool:
    size, seen = len(buf), 0
    for start in range(0, size, _SCAN):
        quote = buf[start : start + _SCAN] == _QUOTE
        n = int(np.count_nonzero(quote))
        if not n:
            continue
        if bytes_per_quote and (seen + n) * bytes_per_quote > min(start + _SCAN, size):
            return False
        pos = np.flatnonzero(quote) + start
        opening, seen = seen % 2, seen + n
        opens, closes = pos[opening::2], pos[1 - opening :: 2]
        if len(opens) and opens[0] == 0:  # the first byte of the file
            opens = opens[1:]
        if len(closes) and closes[-1] == size - 1:  # the last
            closes = closes[:-1]
        if not (_EDGE[buf[opens - 1]].all() and _EDGE[buf[closes + 1]].all()):
            return False
    return seen % 2 == 0


NUMBER_LATER_BYTES = 16 * 1024 * 1024
"""A CSV file this large is searched for blank lines (``_row_numbers``) only when a problem
needs its row numbers (``number_rows``)."""


def number_rows(staged: Staged, tables: Iterable[str]) -> bool:
    """Give the rows of ``tables`` their spreadsheet numbers where staging left that for later
    (a large CSV file); whether any view of them was defined again."""
    done = False
    for name in tables:
        st = staged.tables.get(name)
        if st is not None and st.number_rows is not None:
            number, st.number_rows = st.number_rows, None
            number()
            done = True
    return done


_NUMBERING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="csv-row-numbers")
_BLANK_LINE = re.compile(rb"\n[ \t]*\r?\n")


def _row_numbers(path: Path) -> pa.Array | None:
    """Spreadsheet row numbers of a CSV's records, when blank lines would shift them.

    DuckDB skips blank lines, so a record's position is not its row in a spreadsheet. Blank
    lines are rare (and harmless at the end of a file): only then is the file read once more,
    by Python's csv module, to number the records as a spreadsheet shows them.
    """
    if not _blank_line_before_content(path):
        return None
    numbers = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row, record in enumerate(reader, start=2):
            if record:
                numbers.append(row)
    return pa.array(numbers, pa.int64())


def _blank_line_before_content(path: Path) -> bool:
    pending = False
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(8 * 1024 * 1024):
            if pending and chunk.strip():
                return True
            window = tail + chunk
            m = _BLANK_LINE.search(window)
            if m and window[m.end() :].strip():
                return True
            pending = pending or m is not None
            tail = window[-64:]
    return False


def _check_unnamed(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    src: SourceTable,
    reader: str,
    unnamed: list[str],
    problems: list[Problem],
) -> None:
    cond = " OR ".join(f"NULLIF(trim({c}, {_WS}), '') IS NOT NULL" for c in unnamed)
    found = conn.execute(f"SELECT count(*) FROM {reader} WHERE {cond}").fetchall()[0][0]
    if found:
        problems.append(
            Problem(
                table.name,
                None,
                "unnamed_column",
                _(
                    "{source} has a column with values but no name in the header row",
                    source=src.label,
                ),
                _("give the column its format name, or delete it"),
                gate=True,
            )
        )


def _cell_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.time | dt.timedelta):
        return "(time)"
    return str(value)


def _column_text(values: Sequence[object]) -> pa.Array:
    """One sheet column as text, column-wise in Arrow where the cells share a type.

    calamine gives Python objects (str, float, int, bool, date, datetime); a column of one type
    converts in C, a mixed column falls back to a per-cell conversion.
    """
    try:
        arr = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([_cell_text(v) for v in values], pa.string())
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return arr.cast(pa.string())
    if pa.types.is_null(t) or pa.types.is_integer(t) or pa.types.is_date(t):
        return arr.cast(pa.string())
    if pa.types.is_timestamp(t):
        return arr.cast(pa.date32()).cast(pa.string())
    if pa.types.is_boolean(t):
        return pc.if_else(arr, "true", "false")
    if pa.types.is_floating(t):
        return arr.cast(pa.string())
    return pa.array([_cell_text(v) for v in values], pa.string())


@dataclass
class _Sheet:
    """A sheet as text: the header row and, by position (column A = 0), each column below it."""

    header: list[str]
    """The header cells as text, ``""`` for an empty one."""
    rows: int
    """Rows below the header, down to the last with a value."""
    text: Callable[[int], pa.Array]
    """The cells of the column at a position, as text (a missing cell as NULL)."""


def _stage_sheet(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    src: SourceTable,
    sheet: _Sheet,
    profile: Profile,
    problems: list[Problem],
) -> StagedTable | None:
    header_text = sheet.header
    if not header_text or all(h == "" for h in header_text):
        problems.append(
            Problem(
                table.name,
                None,
                "empty_table",
                _("{source} has no header in its first row", source=src.label),
                _("put the column names in row 1"),
            )
        )
        return None
    mapped, header_problems = _header_problems(table, src, header_text, profile)
    problems.extend(header_problems)
    cols = [c for c in table.column_names if c in mapped.values()]
    arrays = {f"c{pos}": sheet.text(pos) for pos in mapped}
    arrays["_row"] = pa.array(range(2, sheet.rows + 2), pa.int64())
    for pos, name in enumerate(header_text):
        if not name.strip():
            text = sheet.text(pos)
            if pc.any(pc.not_equal(pc.utf8_trim_whitespace(text), "")).as_py():
                problems.append(
                    Problem(
                        table.name,
                        None,
                        "unnamed_column",
                        _(
                            "{source} has a column with values but no name in the header row",
                            source=src.label,
                        ),
                        _("give the column its format name, or delete it"),
                        gate=True,
                    )
                )
                break
    del sheet
    arrays["_idx"] = pa.array(np.arange(len(arrays["_row"]), dtype=np.int64))
    arrow = pa.table(arrays)
    reader = f"arrow_{table.name}"
    conn.register(reader, arrow)  # scanned in place, as a CSV file read by pyarrow
    refs = {c: f"c{pos}" for pos, c in mapped.items()}
    _create_norm(conn, table, cols, reader, refs, profile, "_row", arrow=arrow)
    n = conn.execute(f"SELECT count(*) FROM rows_{table.name}").fetchall()[0][0]
    return StagedTable(table, src, cols, n)


def _unreadable(src: SourceTable) -> PackageRefused:
    return PackageRefused(
        _(
            "{source} of the workbook cannot be read; it may be damaged. Save the workbook "
            "again from Excel or LibreOffice.",
            source=src.label,
        )
    )


_SHEETS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sheet-reader")
"""Where calamine parses the sheets fastexcel leaves to it (``stage_package``)."""


def _calamine_cells(src: SourceTable) -> list[list[object]] | None:
    """The cells of a sheet, row by row, as python-calamine reads them (Python values);
    ``None`` when calamine cannot read it. Words nothing: it runs in ``_SHEETS``' thread."""
    try:
        sheet = _workbook(src.path).get_sheet_by_name(src.sheet or src.name)
        return list(sheet.to_python(skip_empty_area=False))
    except Exception:  # calamine raises its own error types for every kind of damage
        return None


def _read_sheet(src: SourceTable) -> _Sheet:
    """A sheet read by python-calamine as Python values, converted column by column."""
    data = _calamine_cells(src)
    if data is None:
        raise _unreadable(src)
    return _sheet_of(data)


def _sheet_of(data: list[list[object]]) -> _Sheet:
    """A sheet of calamine's Python values (``_calamine_cells``), converted column by column."""
    header = data[0] if data else []
    body = data[1:]
    columns = list(zip(*body, strict=True)) if body else [() for _x in header]
    del data, body

    def text(pos: int) -> pa.Array:
        return _column_text(columns[pos]) if pos < len(columns) else pa.array([], pa.string())

    return _Sheet([_cell_text(v) or "" for v in header], len(columns[0]) if columns else 0, text)


_GENERATED = "__UNNAMED__"
"""How fastexcel names a column whose header cell is empty, or not text."""
_RENAMED = re.compile(r"(.+)_\d+")
"""How fastexcel renames the second of two columns of the same name (``x`` → ``x_1``)."""
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_FIRST_DAY = dt.datetime(1904, 1, 2)
"""Date cells before it are times of day (their day is Excel's day 0 of 1900 or 1904)."""


def _read_sheet_arrow(src: SourceTable, table: Table, profile: Profile) -> _Sheet | None:
    """A sheet read by fastexcel, straight into typed Arrow columns; ``None`` when the sheet
    is not one fastexcel reads exactly as calamine's Python values read (then ``_read_sheet``
    reads it).

    fastexcel parses with calamine too, but builds Arrow arrays in Rust instead of a Python
    object per cell (a third of the time at 100 000 rows, and no per-cell conversion to text
    after). A column must hold one type of cell besides empty ones (``dtype_coercion``
    strict); the text of its cells is then made column-wise exactly as ``_cell_text`` makes it
    per cell. Left to ``_read_sheet`` are the sheets whose header row is not plain, distinct
    text (an empty, numeric, date or repeated header cell, which fastexcel names or renames)
    and columns of mixed cells, times of day or durations.
    """
    names: dict[int, str] = {}

    def wanted(column: Any) -> bool:
        name = str(column.name)
        names[int(column.absolute_index)] = name
        if not name.strip():
            return True  # checked for content: an unnamed column must be empty
        return not profile.drops(table.name, name) and (
            profile.column_for(table.name, name) in table.column_names
        )

    try:
        sheet = _fast_reader(src.path).load_sheet(
            src.sheet or src.name,
            header_row=0,
            skip_rows=0,
            schema_sample_rows=None,
            dtype_coercion="strict",
            use_columns=wanted,
        )
        if not names or any(
            name.startswith(_GENERATED)
            or _NUMBER.fullmatch(name.strip())
            or ((m := _RENAMED.fullmatch(name)) is not None and m.group(1) in names.values())
            for name in names.values()
        ):
            return None
        batch = sheet.to_arrow()
    except Exception:  # fastexcel's errors, damage included: calamine reads it, or says why
        return None
    columns: dict[int, pa.Array] = {}
    for info, arr in zip(sheet.selected_columns, batch.columns, strict=True):
        text = _arrow_text(arr)
        if text is None:
            return None
        columns[int(info.absolute_index)] = text
    header = [names.get(pos, "") for pos in range(max(names) + 1)]
    rows = int(sheet.height)

    def text_at(pos: int) -> pa.Array:
        return columns.get(pos, pa.nulls(rows, pa.string()))

    return _Sheet(header, rows, text_at)


def _arrow_text(arr: pa.Array) -> pa.Array | None:
    """A fastexcel column as the text ``_column_text`` makes of calamine's values of the same
    cells: one type of cell, with empty cells as NULL; ``None`` for a type it leaves to
    ``_read_sheet``.

    calamine gives an empty cell as ``""``: a column of text (or of nothing) keeps it as an
    empty text; any other column becomes mixed, and is converted cell by cell
    (``_cell_text``), where a float is written as a whole number when it is one.
    """
    t = arr.type
    if pa.types.is_null(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
        return pc.fill_null(arr.cast(pa.string()), "")
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        first = pc.min(arr).as_py()
        if first is not None and dt.datetime.combine(first, dt.time()) < _FIRST_DAY:
            return None
        return arr.cast(pa.date32()).cast(pa.string())
    if pa.types.is_boolean(t):
        return pc.if_else(arr, "true", "false")
    if pa.types.is_integer(t):
        return arr.cast(pa.string())
    if not pa.types.is_floating(t):
        return None  # durations
    if arr.null_count == 0:
        return arr.cast(pa.string())  # as ``_column_text`` converts a column of floats
    whole = pc.and_(pc.equal(pc.floor(arr), arr), pc.less(pc.abs(arr), 2.0**53))
    text = pc.if_else(whole, arr.cast(pa.int64(), safe=False).cast(pa.string()), None)
    other = pc.unique(pc.filter(arr, pc.invert(whole)))
    if len(other):
        reprs = pa.array([repr(v) for v in other.to_pylist()], pa.string())
        text = pc.if_else(whole, text, pc.take(reprs, pc.index_in(arr, other)))
    return text


_WORKBOOKS: dict[tuple[str, int, float], Any] = {}
_FAST_READERS: dict[tuple[str, int, float], Any] = {}


def _key(path: Path) -> tuple[str, int, float]:
    stat = path.stat()
    return (str(path), stat.st_size, stat.st_mtime)


def _workbook(path: Path) -> Any:
    """The calamine workbook of ``path``, opened once per staging run."""
    import python_calamine

    key = _key(path)
    if key not in _WORKBOOKS:
        _WORKBOOKS.clear()
        _WORKBOOKS[key] = python_calamine.CalamineWorkbook.from_path(str(path))
    return _WORKBOOKS[key]


def _fast_reader(path: Path) -> Any:
    """The fastexcel reader of ``path``, opened once per staging run.

    fastexcel logs a warning (through Python's logging) for every column it reads as text
    because it holds no cell to type it by, an empty column: expected here, and not a sentence
    for the person's terminal. A handler that drops it keeps Python from printing it; a program
    that configures logging still sees it."""
    import fastexcel

    logging.getLogger("fastexcel").addHandler(_QUIET)

    key = _key(path)
    if key not in _FAST_READERS:
        _FAST_READERS.clear()
        _FAST_READERS[key] = fastexcel.read_excel(str(path))
    return _FAST_READERS[key]


_QUIET = logging.NullHandler()


def drop_staging(conn: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    _WORKBOOKS.clear()
    _FAST_READERS.clear()
    temporary = "SELECT view_name FROM duckdb_views() WHERE temporary"
    views = {v for (v,) in conn.execute(temporary).fetchall()}
    for name in staged.tables:
        conn.execute(f"DROP VIEW IF EXISTS rows_{name}")
        # a sheet, or a CSV file read by pyarrow, has a view of its Arrow table; any other, a
        # table
        conn.execute(f"DROP {'VIEW' if f'raw_{name}' in views else 'TABLE'} IF EXISTS raw_{name}")
        conn.unregister(f"arrow_{name}")
        conn.execute(f"DROP TABLE IF EXISTS rownum_{name}")
    conn.execute("DROP TABLE IF EXISTS staged_values")


__all__ = [
    "Staged",
    "StagedTable",
    "drop_staging",
    "normalise_name",
    "number_rows",
    "quote_name",
    "sheets_read",
    "stage_package",
]
