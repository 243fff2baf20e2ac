"""Validation of a staged package: every rule of the format, all problems in one pass.

Per-column rules run as one Great Expectations suite built from the registry once per process,
in one validator run on the distinct values (``evaluation.intake.expectations``); rules across
columns and tables — row rules such as ``closed_on ≥ opened_on``, foreign keys, uniqueness of
pairs, nothing after ``data_as_of`` — run as plain SQL where the rows already are, while GX
checks the columns in a thread of its own (DuckDB lets go of the GIL while a query runs). The
anonymisation gate's cell patterns run on the distinct values of the free-text columns. Every
problem names table, column and rows and says how to fix it; no message carries a cell value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pyarrow as pa
from babel.numbers import format_decimal

from evaluation.intake.gate import KINDS, personal_kind
from evaluation.intake.limits import Limits
from evaluation.intake.problems import Problem, ValidationReport, and_list, count, day
from evaluation.intake.staging import Staged, number_rows, quote_name
from evaluation.store import names
from evaluation.store.schema import (
    ABOUT_KEYS,
    COUNTRY_CODES,
    EARLIEST_DATE,
    TABLES_BY_NAME,
    Column,
    RowRule,
    Table,
)
from evaluation.vocabulary import language
from evaluation.vocabulary.language import N_, _, n_


def _allowed(col: Column) -> str:
    return ", ".join(col.vocab)


def _number(value: float) -> str:
    """A limit of the format (``1440``, ``0.5``) in the language of the moment, ungrouped as
    the person types it."""
    return format_decimal(value, format="0.##", locale=language.current())


def _column_rule_text(col: Column, rule: str) -> tuple[str, str]:
    """(what is wrong, how to fix it) for a failed per-column rule."""
    if rule == "required":
        return _("is empty, but the column is required"), _("fill in a value in every row")
    if rule == "vocab" and col.vocab == COUNTRY_CODES:
        return (
            _("has values that are not ISO 3166-1 country codes"),
            _("use two-letter codes such as DE, AT, NL or SE"),
        )
    if rule == "vocab":
        return (
            _("has values that are not in the list of allowed values"),
            _("use one of: {values}", values=_allowed(col)),
        )
    if rule == "bool":
        return (
            _("has values that are not yes/no values"),
            _("use true/false, yes/no or 1/0"),
        )
    if rule == "pattern":
        return (
            _("has identifiers with characters other than letters, digits, _ and -"),
            _("use only A–Z, a–z, 0–9, _ and - in identifiers"),
        )
    if rule == "length":
        n = col.max_length or 0
        return (
            n_(
                "has values longer than {n} character",
                "has values longer than {n} characters",
                n,
                n=count(n),
            ),
            n_(
                "shorten them to at most {n} character",
                "shorten them to at most {n} characters",
                n,
                n=count(n),
            ),
        )
    if rule == "date":
        return (
            _("has values that are not valid dates"),
            _("write dates as YYYY-MM-DD (e.g. 2025-03-31) or use date cells in Excel"),
        )
    if rule == "min_date":
        return (
            _("has dates before {day}", day=day(EARLIEST_DATE)),
            _("check the year; dates before {year} are not accepted", year=EARLIEST_DATE[:4]),
        )
    if rule == "integer":
        return _("has values that are not whole numbers"), _("write whole numbers such as 45")
    if rule == "decimal":
        return (
            _("has values that are not numbers"),
            _(
                "write numbers with a dot as the decimal separator and no thousands separator, "
                "e.g. 12500.50"
            ),
        )
    if rule == "range":
        if col.min_value is not None and col.max_value is not None:
            low, high = _number(col.min_value), _number(col.max_value)
            return (
                _("has values outside {low}–{high}", low=low, high=high),
                _("use values from {low} to {high}", low=low, high=high),
            )
        low = _number(col.min_value or 0)
        return (
            _("has values below {low}", low=low),
            _("use values of {low} or more", low=low),
        )
    if rule == "unique":
        return (
            _("has values that occur in more than one row, but must be unique"),
            _("give every row its own value, or remove the duplicate rows"),
        )
    return _("breaks the rule {rule}", rule=rule), _("correct the values")


_BEFORE = (
    N_("`{a}` is before `{b}`"),
    N_("make `{a}` the same as or later than `{b}`"),
)
_AFTER = (
    N_("`{a}` is after `{b}`"),
    N_("make `{a}` the same as or earlier than `{b}`"),
)
ROW_RULE_TEXTS: dict[str, tuple[tuple[str, str], str, str]] = {
    "ends_after_start": (_BEFORE, "ends_on", "started_on"),
    "plan_after_opening": (_BEFORE, "plan_agreed_on", "opened_on"),
    "closed_after_opening": (_BEFORE, "closed_on", "opened_on"),
    "status_after_identified": (_BEFORE, "status_on", "identified_on"),
    "funding_period_order": (_BEFORE, "period_end", "period_start"),
    "target_period_order": (_BEFORE, "period_end", "period_start"),
    "request_before_opening": (_AFTER, "first_request_on", "opened_on"),
    "reason_without_closure": (
        (
            N_("has a `{a}` but no `{b}`"),
            N_("add the closing date or remove the closure reason"),
        ),
        "closure_reason",
        "closed_on",
    ),
    "closure_without_reason": (
        (N_("has a `{a}` but no `{b}`"), N_("add the reason the case was closed")),
        "closed_on",
        "closure_reason",
    ),
    "quarter_start_day": (
        (
            N_("`{a}` is not the first day of a calendar quarter"),
            N_("use 1 January, 1 April, 1 July or 1 October"),
        ),
        "quarter_start",
        "",
    ),
}
"""The words of the registry's row rules (``schema.RowRule``), for translation: (message and
fix, column ``{a}``, column ``{b}``). In English they read as the registry's own message and fix
(``tests/test_rules.py`` keeps them in step)."""


def row_rule_text(rule: RowRule) -> tuple[str, str]:
    """(what is wrong, how to fix it) for a row rule, in the language of the moment."""
    if rule.name not in ROW_RULE_TEXTS:
        return rule.message, rule.fix
    (message, fix), a, b = ROW_RULE_TEXTS[rule.name]
    return _(message, a=a, b=b), _(fix, a=a, b=b)


class _Rows:
    """Row numbers and counts of the rows that break a rule, by SQL."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, limits: Limits, staged: Staged) -> None:
        self.conn = conn
        self.k = limits.max_problem_rows
        self.staged = staged

    def where(self, source: str, condition: str) -> tuple[tuple[int, ...], int]:
        """The first rows (``max_problem_rows``) of ``source`` that meet ``condition``, and
        how many do."""
        query = f"SELECT 0 AS k, _row FROM {source} WHERE {condition}"
        tables = [t for t in self.staged.tables if re.search(rf"\brows_{t}\b", query)]
        return self._first_rows([query], tables)[0]

    def with_values(
        self,
        table: str,
        column: str,
        values: tuple[str | None, ...],
    ) -> tuple[tuple[int, ...], int]:
        """The rows of ``table`` whose ``column`` holds one of ``values`` (``None``: empty)."""
        return self.with_values_of([(table, column, values)])[0]

    def with_values_of(
        self, found: list[tuple[str, str, tuple[str | None, ...]]]
    ) -> list[tuple[tuple[int, ...], int]]:
        """``with_values`` of each (table, column, values), all in one statement (the failures
        of GX's run are a dozen in a package with mistakes, each its own query before)."""
        if not found:
            return []
        keys: list[int] = []
        present: list[str] = []
        parts = []
        for i, (table, column, values) in enumerate(found):
            q = quote_name(column)
            conds = []
            if any(v is None for v in values):
                conds.append(f"{q} IS NULL")
            these = [v for v in values if v is not None]
            if these:
                keys += [i] * len(these)
                present += these
                conds.append(f"{q} IN (SELECT v FROM _failing WHERE k = {i})")
            parts.append(f"SELECT {i} AS k, _row FROM rows_{table} WHERE {' OR '.join(conds)}")
        failing = pa.table({"k": pa.array(keys, pa.int32()), "v": pa.array(present, pa.string())})
        self.conn.register("_failing", failing)
        try:
            return self._first_rows(parts, list(dict.fromkeys(t for t, _c, _v in found)))
        finally:
            self.conn.unregister("_failing")

    def _first_rows(
        self, queries: list[str], tables: list[str]
    ) -> list[tuple[tuple[int, ...], int]]:
        """For each query (``k``, its index, and ``_row`` of the rows it finds): the first
        rows and how many, all in one statement over ``tables``."""
        # an aggregate that keeps the smallest few (no sort of the rows: 3.3 million matching
        # rows of 10 million in 0.25 s, against 0.45 s ordered and limited, 0.70 s a window)
        sql = (
            f"SELECT k, min(_row, {max(self.k, 1)}), count(*) "
            f"FROM ({' UNION ALL '.join(queries)}) GROUP BY k"
        )
        rows = self.conn.execute(sql).fetchall()
        # Rows found: a large CSV file's rows get their spreadsheet numbers now (staging left
        # that for later, ``staging.number_rows``), and the rows are found again under them.
        if rows and number_rows(self.staged, tables):
            rows = self.conn.execute(sql).fetchall()
        result: list[tuple[tuple[int, ...], int]] = [((), 0)] * len(queries)
        for k, first, n in rows:
            result[k] = (tuple(sorted(int(r) for r in first))[: self.k], int(n))
        return result


ISO_DATE_SQL = r"^\d{4}-\d{2}-\d{2}$"


def _typed_expr(col: Column, ref: str) -> str:
    """The typed value of a staged column, NULL where the text is not a valid value."""
    if col.type == "date":
        return (
            f"CASE WHEN regexp_full_match({ref}, '{ISO_DATE_SQL}') THEN TRY_CAST({ref} AS DATE) END"
        )
    if col.type in ("integer", "decimal"):
        return f"TRY_CAST({ref} AS DOUBLE)"
    return ref


def _typed_source(table: Table, staged_cols: list[str], columns: tuple[str, ...]) -> str:
    """A subquery with the registry's ``columns`` of ``table`` typed (absent ones as NULL).

    ``valid__<column>`` is false where a value is present but not valid; rules between columns
    skip such rows, since the column rule reports them already. Only the columns a rule reads:
    DuckDB binds every expression of a query, and a rule over all the columns of ``cases``
    took 6 ms against 3.7 ms over its own two.
    """
    exprs = []
    for col in table.columns:
        if col.name not in columns:
            continue
        q = quote_name(col.name)
        if col.name not in staged_cols:
            exprs.append(f'NULL::{col.sql_type} AS {q}, TRUE AS "valid__{col.name}"')
            continue
        typed = _typed_expr(col, q)
        exprs.append(
            f'{typed} AS {q}, ({q} IS NULL OR ({typed}) IS NOT NULL) AS "valid__{col.name}"'
        )
    return f"(SELECT _row, {', '.join(exprs)} FROM rows_{table.name})"


def _about(
    conn: duckdb.DuckDBPyConnection, staged: Staged, report: ValidationReport, rows: _Rows
) -> dt.date | None:
    st = staged.tables.get("about")
    if st is None or not {"key", "value"} <= set(st.columns):
        return None
    number_rows(staged, ["about"])
    pairs = conn.execute("SELECT _row, lower(key), value FROM rows_about ORDER BY _row").fetchall()
    seen: dict[str, int] = {}
    unknown: list[int] = []
    as_of: dt.date | None = None
    for row, key, value in pairs:
        if key is None:
            continue
        if key not in ABOUT_KEYS:
            unknown.append(row)
            continue
        if key in seen:
            report.extend(
                [
                    Problem(
                        "about",
                        "key",
                        "duplicate_key",
                        _(
                            "the key `{key}` appears twice (rows {first} and {second})",
                            key=key,
                            first=seen[key],
                            second=row,
                        ),
                        _("keep one row for each key"),
                    )
                ]
            )
            continue
        seen[key] = row
        if key == "data_as_of" and value is not None:
            try:
                as_of = dt.date.fromisoformat(value) if len(value) == 10 else None
            except ValueError:
                as_of = None
            if as_of is None:
                report.extend(
                    [
                        Problem(
                            "about",
                            "value",
                            "date",
                            _("the value of `data_as_of` is not a valid date"),
                            _("write it as YYYY-MM-DD, e.g. 2025-06-30"),
                            (row,),
                            1,
                        )
                    ]
                )
        elif key == "organisation" and value is not None:
            report.organisation = value
    if unknown:
        report.extend(
            [
                Problem(
                    "about",
                    "key",
                    "unknown_key",
                    _("has keys that are not in the format"),
                    _(
                        "use only the keys {keys}; delete the other rows",
                        keys=", ".join(ABOUT_KEYS),
                    ),
                    tuple(unknown[: rows.k]),
                    len(unknown),
                    gate=True,
                )
            ]
        )
    for key, (required, _doc) in ABOUT_KEYS.items():
        if required and key not in seen:
            report.extend(
                [
                    Problem(
                        "about",
                        "key",
                        "missing_key",
                        _("the required key `{key}` is missing", key=key),
                        _(
                            "add a row with `{key}` in column `key` and its value in column "
                            "`value`",
                            key=key,
                        ),
                    )
                ]
            )
        elif required and key in seen and dict((k, v) for _, k, v in pairs).get(key) is None:
            report.extend(
                [
                    Problem(
                        "about",
                        "value",
                        "required",
                        _("the value of `{key}` is empty", key=key),
                        _("fill it in"),
                        (seen[key],),
                        1,
                    )
                ]
            )
    if as_of is not None:
        report.data_as_of = as_of.isoformat()
    return as_of


def _distinct(
    conn: duckdb.DuckDBPyConnection, columns: list[tuple[str, str]]
) -> dict[tuple[str, str], list[str]]:
    """The distinct normalised values of staged columns, (table, column) → values (see
    ``staging``), read in one statement."""
    found: dict[tuple[str, str], list[str]] = {key: [] for key in columns}
    if not columns:
        return found
    conn.register(
        "_wanted", pa.table({"t": [t for t, _c in columns], "c": [c for _t, c in columns]})
    )
    try:
        rows = conn.execute(
            "SELECT DISTINCT tbl, col, value FROM staged_values JOIN _wanted "
            "ON tbl = t AND col = c WHERE value IS NOT NULL"
        ).fetchall()
    finally:
        conn.unregister("_wanted")
    for t, c, v in rows:
        found[(t, c)].append(v)
    return found


def _about_values(
    conn: duckdb.DuckDBPyConnection, column: str, condition: str = "TRUE"
) -> list[str]:
    """The distinct values of a column of the about table (normalised per row, not in
    ``staged_values``)."""
    q = quote_name(column)
    return [
        v
        for (v,) in conn.execute(
            f"SELECT DISTINCT {q} FROM rows_about WHERE {q} IS NOT NULL AND {condition}"
        ).fetchall()
    ]


def _gate_cells(
    conn: duckdb.DuckDBPyConnection,
    staged: Staged,
    rows: _Rows,
) -> list[Problem]:
    problems = []
    free = [
        (name, c)
        for name, st in staged.tables.items()
        for c in st.columns
        if st.table.column(c).free_text
    ]
    distinct = _distinct(conn, [(t, c) for t, c in free if t != "about"])
    for name, c in free:
        if name == "about":
            values = _about_values(conn, c, "lower(key) IS DISTINCT FROM 'data_as_of'")
        else:
            values = distinct[(name, c)]
        found: dict[str, list[str]] = {}
        for v in values:
            kind = personal_kind(v)
            if kind:
                found.setdefault(kind, []).append(v)
        for kind, vals in sorted(found.items()):
            r, n = rows.with_values(name, c, tuple(vals))
            problems.append(
                Problem(
                    name,
                    c,
                    f"personal_{kind}",
                    _("has cells that look like {kind}", kind=_(KINDS[kind])),
                    _(
                        "remove personal data: this column is free text and must not "
                        "identify anyone"
                    ),
                    r,
                    n,
                    gate=True,
                )
            )
    return problems


def _invisible_characters(
    conn: duckdb.DuckDBPyConnection, staged: Staged, rows: _Rows
) -> list[Problem]:
    """Text cells with an invisible or text-direction character (``store.names``): such a name
    looks like another one. Identifier columns refuse them already by their pattern."""
    problems = []
    text = [
        (name, c)
        for name, st in staged.tables.items()
        for c in st.columns
        if st.table.column(c).type == "text" and not st.table.column(c).pattern
    ]
    distinct = _distinct(conn, [(t, c) for t, c in text if t != "about"])
    for name, c in text:
        values = _about_values(conn, c) if name == "about" else distinct[(name, c)]
        found = {v: names.forbidden(v) for v in values}
        bad = tuple(v for v, chars in found.items() if chars)
        if not bad:
            continue
        chars = sorted({ch for v in bad for ch in found[v]})
        r, n = rows.with_values(name, c, bad)
        problems.append(
            Problem(
                name,
                c,
                "invisible_character",
                _(
                    "has values with an invisible or text-direction character ({chars}), "
                    "which makes a name look like another",
                    chars=", ".join(chars[:3]) + (", …" if len(chars) > 3 else ""),
                ),
                _(
                    "type the values again without it (copying from a web page or document "
                    "can bring it along)"
                ),
                r,
                n,
            )
        )
    return problems


def _row_rules(staged: Staged, rows: _Rows) -> list[Problem]:
    problems = []
    for name, st in staged.tables.items():
        for rule in st.table.row_rules:
            if not set(rule.columns) & set(st.columns):
                continue
            source = _typed_source(st.table, st.columns, rule.columns)
            valid = " AND ".join(f'"valid__{c}"' for c in rule.columns)
            r, n = rows.where(source, f"({rule.sql}) AND {valid}")
            if n:
                message, fix = row_rule_text(rule)
                problems.append(Problem(name, rule.columns[0], rule.name, message, fix, r, n))
        if st.table.unique_together and set(st.table.unique_together) <= set(st.columns):
            cols = ", ".join(quote_name(c) for c in st.table.unique_together)
            cond = (
                f"({cols}) IN (SELECT ({cols}) FROM rows_{name} GROUP BY {cols} "
                f"HAVING count(*) > 1)"
            )
            r, n = rows.where(f"rows_{name}", cond)
            if n:
                pair = and_list([f"`{c}`" for c in st.table.unique_together])
                problems.append(
                    Problem(
                        name,
                        st.table.unique_together[-1],
                        "unique_together",
                        _("has rows with the same {columns}", columns=pair),
                        _("keep one row for each combination"),
                        r,
                        n,
                    )
                )
    return problems


@dataclass(frozen=True)
class _ValueCheck:
    """A rule on the distinct values of one staged column: the query that finds those that
    break it (one column ``value``) and the words of its problem."""

    table: str
    column: str
    query: str
    params: list[object]
    rule: str
    message: str
    fix: str


def _value_problems(rows: _Rows, checks: list[_ValueCheck]) -> list[Problem]:
    """The problems of ``checks``, the values of all found in one statement, each problem's
    rows by the values it found."""
    if not checks:
        return []
    sql = " UNION ALL ".join(
        f"SELECT {i} AS k, value FROM ({c.query})" for i, c in enumerate(checks)
    )
    found: list[list[str]] = [[] for _c in checks]
    for k, v in rows.conn.execute(sql, [p for c in checks for p in c.params]).fetchall():
        found[k].append(v)
    failing = [(c, tuple(values)) for c, values in zip(checks, found, strict=True) if values]
    where = rows.with_values_of([(c.table, c.column, values) for c, values in failing])
    return [
        Problem(c.table, c.column, c.rule, c.message, c.fix, r, n)
        for (c, _v), (r, n) in zip(failing, where, strict=True)
    ]


def _foreign_keys(staged: Staged, rows: _Rows) -> list[Problem]:
    checks = []
    for name, st in staged.tables.items():
        for c in st.columns:
            col = st.table.column(c)
            if not col.references:
                continue
            ref_table, ref_col = col.references.split(".")
            if ref_table == name:
                continue
            if ref_table not in staged.tables or ref_col not in staged.tables[ref_table].columns:
                continue  # the missing table or column is reported already
            checks.append(
                _ValueCheck(
                    name,
                    c,
                    "SELECT DISTINCT value FROM staged_values WHERE tbl = ? AND col = ? AND value "
                    "IS NOT NULL AND value NOT IN (SELECT value FROM staged_values WHERE tbl = ? "
                    "AND col = ? AND value IS NOT NULL)",
                    [name, c, ref_table, ref_col],
                    "foreign_key",
                    _(
                        "has values that are not a `{ref_column}` of the `{ref_table}` table",
                        ref_column=ref_col,
                        ref_table=ref_table,
                    ),
                    _(
                        "add the missing rows to the `{ref_table}` table or correct the "
                        "`{column}` values",
                        ref_table=ref_table,
                        column=c,
                    ),
                )
            )
    return _value_problems(rows, checks)


def _after_as_of(staged: Staged, rows: _Rows, as_of: dt.date) -> list[Problem]:
    checks = []
    for name, st in staged.tables.items():
        for c in st.columns:
            col = st.table.column(c)
            if col.type != "date" or col.may_follow_data_as_of:
                continue
            checks.append(
                _ValueCheck(
                    name,
                    c,
                    f"SELECT value FROM staged_values WHERE tbl = ? AND col = ? AND "
                    f"{_typed_expr(col, 'value')} > DATE '{as_of.isoformat()}'",
                    [name, c],
                    "after_data_as_of",
                    _("has dates after `data_as_of` ({day})", day=day(as_of)),
                    _(
                        "correct the dates, or set `data_as_of` in the about table to the day "
                        "the export was taken"
                    ),
                )
            )
    return _value_problems(rows, checks)


def _warnings(conn: duckdb.DuckDBPyConnection, staged: Staged, rows: _Rows) -> list[Problem]:
    problems = []
    if (
        "programmes" in staged.tables
        and "cases" in staged.tables
        and "programme_id" in staged.tables["cases"].columns
        and "programme_id" in staged.tables["programmes"].columns
    ):
        r, n = rows.where(
            "rows_programmes",
            "programme_id IS NOT NULL AND programme_id NOT IN "
            "(SELECT programme_id FROM rows_cases WHERE programme_id IS NOT NULL)",
        )
        if n:
            problems.append(
                Problem(
                    "programmes",
                    "programme_id",
                    "no_cases",
                    _("has programmes without any cases"),
                    _(
                        "check that the export includes their cases; if they had none, nothing "
                        "needs fixing"
                    ),
                    r,
                    n,
                    severity="warning",
                )
            )
    for name, st in staged.tables.items():
        if st.rows == 0 and name not in ("about",):
            problems.append(
                Problem(
                    name,
                    None,
                    "empty_table",
                    _(
                        "the table has a header but no rows; it is read as “none recorded” "
                        "(zero), not as “not available”"
                    ),
                    _("if the programme does not record this table, leave it out of the package"),
                    severity="warning",
                )
            )
    return problems


def validate(
    conn: duckdb.DuckDBPyConnection,
    staged: Staged,
    source: str,
    limits: Limits | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> ValidationReport:
    """Check a staged package against every rule of the format and the anonymisation gate."""
    from evaluation.intake.expectations import columns_checked

    limits = limits or Limits.from_env()
    rows = _Rows(conn, limits, staged)
    report = ValidationReport(source=source, problems=list(staged.problems))
    report.row_counts = {n: st.rows for n, st in staged.tables.items()}
    say = progress or (lambda _m, _f: None)
    say(_("Checking the about table"), 0.0)
    as_of = _about(conn, staged, report, rows)
    say(_("Checking every column"), 0.1)
    column_failures = columns_checked(conn, staged)  # GX checks beside the SQL rules below
    say(_("Checking for personal data"), 0.3)
    later = [*_gate_cells(conn, staged, rows), *_invisible_characters(conn, staged, rows)]
    say(_("Checking rows and links between tables"), 0.5)
    later += _row_rules(staged, rows) + _foreign_keys(staged, rows)
    if as_of is not None:
        later += _after_as_of(staged, rows, as_of)
    later += _warnings(conn, staged, rows)
    failures = column_failures()
    found = rows.with_values_of([(f.table, f.column, f.values) for f in failures])
    for f, (r, n) in zip(failures, found, strict=True):
        col = TABLES_BY_NAME[f.table].column(f.column)
        message, fix = _column_rule_text(col, f.rule)
        report.extend([Problem(f.table, f.column, f.rule, message, fix, r, n)])
    report.extend(later)
    if "programmes" in staged.tables and "programme_id" in staged.tables["programmes"].columns:
        report.programmes = tuple(
            v
            for (v,) in conn.execute(
                "SELECT DISTINCT programme_id FROM rows_programmes WHERE programme_id IS NOT NULL "
                "ORDER BY 1"
            ).fetchall()
        )
    if report.ok:
        report.names = _names(conn, staged)
    say(_("Check finished"), 1.0)
    return report


def _names(
    conn: duckdb.DuckDBPyConnection, staged: Staged
) -> tuple[tuple[str, str, int, str], ...]:
    """(table, column, row, name) of the organisation and each programme name of a staged
    package (``ValidationReport.names``)."""
    queries = []
    if {"key", "value"} <= set(getattr(staged.tables.get("about"), "columns", ())):
        queries.append(
            "SELECT 'about', 'value', _row, value FROM rows_about "
            "WHERE lower(key) = 'organisation' AND value IS NOT NULL"
        )
    if "programme_name" in getattr(staged.tables.get("programmes"), "columns", ()):
        queries.append(
            "SELECT 'programmes', 'programme_name', _row, programme_name FROM rows_programmes "
            "WHERE programme_name IS NOT NULL"
        )
    if not queries:
        return ()
    number_rows(staged, ["about", "programmes"])
    rows = conn.execute(" UNION ALL ".join(queries) + " ORDER BY 1, 3").fetchall()
    return tuple((str(t), str(c), int(r), str(v)) for t, c, r, v in rows)
