"""Staging: every table of an opened package as text in DuckDB, normalised, with row numbers.

Each table becomes a temporary table ``norm_<table>`` of VARCHAR columns — trimmed, empty cells
as NULL, vocabulary and boolean values lower-cased, a profile's value maps and date pattern
applied — and a view ``rows_<table>`` that adds ``_row``, the row number a person sees in the
spreadsheet (header = row 1). Only columns of the format are staged: unknown or dropped columns
are never read into the database at all.

Header problems (unknown, duplicate, missing or identifier-looking columns and tables) are
collected as ``Problem``s so that validation reports every problem in one pass.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from evaluation.container import OpenedPackage, SourceTable, encoding_sentence, read_csv_header
from evaluation.errors import PackageRefused
from evaluation.gate import identifier_column, normalise_name, personal_kind
from evaluation.problems import Problem
from evaluation.profiles import Profile
from evaluation.schema import REQUIRED_TABLES, TABLES_BY_NAME, Column, Table

BOOL_TRUE = ("true", "yes", "1")
BOOL_FALSE = ("false", "no", "0")
SHEET_CHUNK = 50_000
_WS = "' \t\r\n\u00a0\ufeff'"


@dataclass
class StagedTable:
    table: Table
    source: SourceTable
    columns: list[str]
    """Format columns present in the source, in format order."""
    rows: int = 0


@dataclass
class Staged:
    tables: dict[str, StagedTable] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _safe_name(name: str) -> str:
    """A name as written, unless it looks personal (then it is not echoed)."""
    return name if personal_kind(name) is None and len(name) <= 60 else "(name not shown)"


def _header_problems(table: Table, src: SourceTable, header: list[str], profile: Profile,
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
                problems.append(Problem(
                    table.name, col, "duplicate_column",
                    f"the column appears twice in {src.label} (columns {seen[col] + 1} and "
                    f"{pos + 1})", "keep one of them and delete the other"))
            else:
                seen[col] = pos
                mapped[pos] = col
        elif identifier_column(name, profile.identifier_names):
            problems.append(Problem(
                table.name, None, "identifier_column",
                f"column {pos + 1} of {src.label} (\"{_safe_name(name)}\") looks like it holds "
                "personal data such as names, contact details, birth dates or notes",
                "delete the column before uploading: the platform only accepts pseudonymised "
                "data", gate=True))
        else:
            unknown.append(f"\"{_safe_name(name)}\" (column {pos + 1})")
    if unknown:
        problems.append(Problem(
            table.name, None, "unknown_column",
            f"{src.label} has columns that are not in the format: {', '.join(unknown[:8])}"
            + (f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""),
            "delete them, or rename them to the format's names (a mapping profile can do this "
            "for every export)", gate=True))
    missing = [c.name for c in table.columns if c.required and c.name not in seen]
    if missing:
        problems.append(Problem(
            table.name, None, "missing_column",
            f"{src.label} lacks the required column{'s' if len(missing) > 1 else ''} "
            + ", ".join(f"`{m}`" for m in missing),
            "add the column with its header in the first row"))
    return mapped, problems


def _value_expr(col: Column, ref: str, profile: Profile, table: str) -> str:
    """SQL that normalises one source column (VARCHAR) the way the format says."""
    expr = f"NULLIF(trim({ref}, {_WS}), '')"
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


def stage_package(conn: duckdb.DuckDBPyConnection, package: OpenedPackage, profile: Profile,
                  progress: Callable[[str, float], None] | None = None) -> Staged:
    """Read every table of ``package`` into temporary tables of ``conn``."""
    staged = Staged()
    by_table: dict[str, SourceTable] = {}
    for src in package.tables:
        name = profile.table_for(src.name)
        if name not in TABLES_BY_NAME:
            gate = identifier_column(src.name, profile.identifier_names)
            staged.problems.append(Problem(
                _safe_name(src.name), None, "unknown_table",
                (f"a {'sheet' if src.kind == 'sheet' else 'file'} whose name suggests personal "
                 "data is not a table of the format" if gate else
                 f"{src.label} is not a table of the format"),
                "remove it from the package, or rename it to one of: "
                + ", ".join(TABLES_BY_NAME), gate=True))
            continue
        if name in by_table:
            staged.problems.append(Problem(
                name, None, "duplicate_table",
                f"the table is in the package twice ({by_table[name].label} and {src.label})",
                "keep one of them"))
            continue
        by_table[name] = src
    for req in REQUIRED_TABLES:
        if req not in by_table:
            staged.problems.append(Problem(
                req, None, "missing_table", "this required table is missing from the package",
                f"add a {'sheet' if package.container == 'xlsx' else 'CSV file'} named `{req}`"
                " (the blank template workbook has every table)"))
    total = max(len(by_table), 1)
    for i, (name, src) in enumerate(by_table.items()):
        if progress:
            progress(f"Reading {src.label}", i / total)
        table = TABLES_BY_NAME[name]
        if src.kind == "csv":
            st = _stage_csv(conn, table, src, profile, staged.problems)
        else:
            st = _stage_sheet(conn, table, src, profile, staged.problems)
        if st is not None:
            staged.tables[name] = st
    if progress:
        progress("Read every table", 1.0)
    return staged


def _create_norm(conn: duckdb.DuckDBPyConnection, table: Table, columns: list[str],
                 select_from: str, refs: dict[str, str], profile: Profile,
                 row_expr: str | None) -> None:
    values = {c: _value_expr(table.column(c), refs[c], profile, table.name) for c in columns}
    if table.key_value and profile.date_format and {"key", "value"} <= set(columns):
        # about.data_as_of is a date written as text: the profile's date pattern applies too.
        fmt = _lit(profile.date_format)
        values["value"] = (f"(CASE WHEN lower({values['key']}) = 'data_as_of' THEN coalesce("
                           f"strftime(try_strptime({values['value']}, {fmt}), '%Y-%m-%d'), "
                           f"{values['value']}) ELSE {values['value']} END)")
    exprs = [f"{values[c]} AS {_quote(c)}" for c in columns]
    row = [f"{row_expr} AS _row"] if row_expr else []
    body = ", ".join(row + exprs) or "NULL AS _empty"
    conn.execute(f"CREATE OR REPLACE TEMP TABLE norm_{table.name} AS SELECT {body} "
                 f"FROM {select_from}")
    notnull = " OR ".join(f"{_quote(c)} IS NOT NULL" for c in columns) or "FALSE"
    rowcol = "_row" if row_expr else "rowid + 2 AS _row"
    conn.execute(f"CREATE OR REPLACE TEMP VIEW rows_{table.name} AS SELECT {rowcol}, "
                 f"{', '.join(_quote(c) for c in columns) or 'NULL AS _empty'} "
                 f"FROM norm_{table.name} WHERE {notnull}")


_LINE = re.compile(r"Line:\s*(\d+)")
_FIELDS = re.compile(r"Expected Number of Columns:\s*(\d+)\s*Found:\s*(\d+)")


def _csv_error(src: SourceTable, exc: Exception) -> PackageRefused:
    text = str(exc)
    line = _LINE.search(text)
    where = f" at line {line.group(1)}" if line else ""
    if "unicode" in text.lower() or "utf-8" in text.lower():
        return PackageRefused(encoding_sentence(src.label))
    fields = _FIELDS.search(text)
    if fields:
        exp, found = fields.groups()
        return PackageRefused(
            f"{src.label}{where} has {found} fields where the header has {exp}. A value with a "
            "comma must be in double quotes; export the table as CSV again.")
    if "maximum line size" in text.lower():
        return PackageRefused(f"{src.label}{where} has a line too long to be a table row.")
    return PackageRefused(
        f"{src.label}{where} cannot be read as a comma-separated CSV file (RFC 4180). Export the "
        "table as CSV (UTF-8, comma-separated) again.")


def _stage_csv(conn: duckdb.DuckDBPyConnection, table: Table, src: SourceTable,
               profile: Profile, problems: list[Problem]) -> StagedTable | None:
    header = read_csv_header(src)
    if not header:
        problems.append(Problem(table.name, None, "empty_table",
                                f"{src.label} is empty: it has no header row",
                                "export the table again with its header row"))
        return None
    mapped, header_problems = _header_problems(table, src, header, profile)
    problems.extend(header_problems)
    cols = [c for c in table.column_names if c in mapped.values()]
    spec = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    path = _lit(str(src.path))
    reader = (f"read_csv({path}, header=true, delim=',', quote='\"', escape='\"', "
              f"auto_detect=false, strict_mode=true, null_padding=false, "
              f"max_line_size=10000000, columns={spec})")
    refs = {c: f"c{pos}" for pos, c in mapped.items()}
    unnamed = [f"c{pos}" for pos, raw in enumerate(header) if not str(raw or "").strip()]
    try:
        _create_norm(conn, table, cols, reader, refs, profile, None)
        if unnamed:
            _check_unnamed(conn, table, src, reader, unnamed, problems)
    except duckdb.Error as exc:
        raise _csv_error(src, exc) from None
    n = conn.execute(f"SELECT count(*) FROM rows_{table.name}").fetchone()[0]
    return StagedTable(table, src, cols, n)


def _check_unnamed(conn: duckdb.DuckDBPyConnection, table: Table, src: SourceTable,
                   reader: str, unnamed: list[str], problems: list[Problem]) -> None:
    cond = " OR ".join(f"NULLIF(trim({c}, {_WS}), '') IS NOT NULL" for c in unnamed)
    found = conn.execute(f"SELECT count(*) FROM {reader} WHERE {cond}").fetchone()[0]
    if found:
        problems.append(Problem(
            table.name, None, "unnamed_column",
            f"{src.label} has a column with values but no name in the header row",
            "give the column its format name, or delete it", gate=True))


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


def _stage_sheet(conn: duckdb.DuckDBPyConnection, table: Table, src: SourceTable,
                 profile: Profile, problems: list[Problem]) -> StagedTable | None:
    import python_calamine

    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(src.path))
        sheet = wb.get_sheet_by_name(src.sheet or src.name)
        start_row = (sheet.start or (0, 0))[0]
        rows = sheet.iter_rows()
        header = next(rows, None)
    except Exception:
        raise PackageRefused(
            f"{src.label} of the workbook cannot be read; it may be damaged. Save the workbook "
            "again from Excel or LibreOffice.") from None
    if start_row != 0 or not header or all(_cell_text(v) is None for v in header):
        problems.append(Problem(table.name, None, "empty_table",
                                f"{src.label} has no header in its first row",
                                "put the column names in row 1"))
        return None
    header_text = [_cell_text(v) or "" for v in header]
    mapped, header_problems = _header_problems(table, src, header_text, profile)
    problems.extend(header_problems)
    cols = [c for c in table.column_names if c in mapped.values()]
    unnamed = [pos for pos, name in enumerate(header_text) if not name.strip()]
    positions = list(mapped)
    names = [f"c{p}" for p in positions]
    conn.execute(f"CREATE OR REPLACE TEMP TABLE raw_{table.name} (_row BIGINT"
                 + "".join(f", {n} VARCHAR" for n in names) + ")")
    has_unnamed = False
    row_no = start_row + 1  # the header's sheet row, 1-based
    while True:
        batch_rows: list[int] = []
        batch: list[list[str | None]] = [[] for _ in positions]
        for values in rows:
            row_no += 1
            texts = [_cell_text(v) for v in values]
            if all(t is None or not t.strip() for t in texts):
                continue
            for p in unnamed:
                if p < len(texts) and texts[p] is not None and texts[p].strip():
                    has_unnamed = True
            batch_rows.append(row_no)
            for j, p in enumerate(positions):
                batch[j].append(texts[p] if p < len(texts) else None)
            if len(batch_rows) >= SHEET_CHUNK:
                break
        if not batch_rows:
            break
        columns = {n: pa.array(v, pa.string()) for n, v in zip(names, batch, strict=True)}
        arrow = pa.table({"_row": pa.array(batch_rows, pa.int64()), **columns})
        conn.register("_sheet_chunk", arrow)
        conn.execute(f"INSERT INTO raw_{table.name} SELECT * FROM _sheet_chunk")
        conn.unregister("_sheet_chunk")
    if has_unnamed:
        problems.append(Problem(
            table.name, None, "unnamed_column",
            f"{src.label} has a column with values but no name in the header row",
            "give the column its format name, or delete it", gate=True))
    refs = {c: f"c{pos}" for pos, c in mapped.items()}
    _create_norm(conn, table, cols, f"raw_{table.name}", refs, profile, "_row")
    conn.execute(f"DROP TABLE raw_{table.name}")
    n = conn.execute(f"SELECT count(*) FROM rows_{table.name}").fetchone()[0]
    return StagedTable(table, src, cols, n)


def drop_staging(conn: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    for name in staged.tables:
        conn.execute(f"DROP VIEW IF EXISTS rows_{name}")
        conn.execute(f"DROP TABLE IF EXISTS norm_{name}")


__all__ = ["Staged", "StagedTable", "drop_staging", "normalise_name", "stage_package"]
