"""Problems found in a package, and the report that lists them for a person in the order to fix.

A problem names table, column and rows, says how to fix it, and never carries a cell value:
the messages are built from the registry's wording, so a personal value cannot leak into the
CLI, the dashboard, or the downloadable problem list.

The messages are written in the language of the moment when the package is checked (the caller's
``language.using`` or the dashboard's choice); table and column names stay the data format's own,
in every language, because they are what the person sees in their file.

The list is ordered by the fix, not by the table (``ordered_for_fixing``): first what keeps the
package from being read at all (its tables), then its columns, then missing required columns,
then the values column by column, values that do not fit together, links between tables, what
the data already loaded refuses, and the warnings last. Problems one change fixes (the same rule
on the same column, in several tables) stand together. The check, the upload page, the CLI and
the downloadable problem list all show this one order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from evaluation.store.schema import TABLES, TABLES_BY_NAME
from evaluation.vocabulary import language, numbers
from evaluation.vocabulary.language import N_, _, n_

Severity = Literal["error", "warning"]


def count(n: int) -> str:
    """A count of rows, files or columns in the language of the moment (``1,234``/``1.234``)."""
    return numbers.count(n, language.current())


DAY_FORMATS = {"de": "%d.%m.%Y"}
"""How a language writes a day; ISO (``2025-06-30``, as the format writes it) otherwise."""


def day(value: dt.date | str) -> str:
    """A day (a date, or an ISO text) as the language of the moment writes it: ``30.06.2025``."""
    when = dt.date.fromisoformat(value) if isinstance(value, str) else value
    pattern = DAY_FORMATS.get(language.current())
    return when.strftime(pattern) if pattern else when.isoformat()


def and_list(items: Sequence[str]) -> str:
    """``a, b and c`` in the language of the moment."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return _("{first} and {last}", first=", ".join(items[:-1]), last=items[-1])


@dataclass(frozen=True)
class Problem:
    table: str
    column: str | None
    rule: str
    message: str
    fix: str
    rows: tuple[int, ...] = ()
    count: int = 0
    severity: Severity = "error"
    gate: bool = False
    """True when the anonymisation gate raised it (personal data suspected)."""

    def rows_text(self) -> str:
        """``row 4`` or ``rows 2, 5 and 1,203 more``; empty when no rows are named."""
        if not self.rows:
            return ""
        listed = ", ".join(str(r) for r in self.rows)
        more = self.count - len(self.rows)
        if more > 0:
            return n_(
                "rows {rows} and {more} more",
                "rows {rows} and {more} more",
                more,
                rows=listed,
                more=count(more),
            )
        return n_("row {rows}", "rows {rows}", len(self.rows), rows=listed)

    def where(self) -> str:
        """``table `cases`, column `gender`, rows 2, 5``: the format's names, as they are."""
        if self.column:
            place = _("table `{table}`, column `{column}`", table=self.table, column=self.column)
        else:
            place = _("table `{table}`", table=self.table)
        if self.rows:
            place += ", " + self.rows_text()
        return place

    def place(self) -> str:
        """``where`` as the start of a line (``Table `cases`, column `gender`, row 2``)."""
        where = self.where()
        return where[:1].upper() + where[1:]

    def how_to_fix(self) -> str:
        """The fix as a sentence of its own, capitalised, without its final full stop."""
        return (self.fix[:1].upper() + self.fix[1:]).rstrip(".") if self.fix else ""

    def sentence(self) -> str:
        """One plain sentence: where, what, and how to fix it."""
        text = f"{self.where()}: {self.message}."
        fix = self.how_to_fix()
        return f"{text} {fix}." if fix else text

    def as_row(self) -> dict[str, object]:
        """The problem as a row of the downloadable problem list, headed in the reader's
        language."""
        return {
            _("Severity"): _("Error") if self.severity == "error" else _("Warning"),
            _("Table"): self.table,
            _("Column"): self.column or "",
            _("Rows"): ", ".join(str(r) for r in self.rows),
            _("Number of rows"): self.count,
            _("Problem"): self.message,
            _("How to fix"): self.how_to_fix(),
            _("Personal data suspected"): _("yes") if self.gate else "",
        }


# -- the order to fix -----------------------------------------------------------------------------
STEPS: tuple[str, ...] = (
    N_("The package and its tables"),
    N_("Columns"),
    N_("Missing required columns"),
    N_("Values"),
    N_("Values that do not fit together"),
    N_("Links between tables"),
    N_("Whether the package may be loaded"),
    N_("Warnings"),
)
"""The steps of fixing a package, in the order a person works through them (``fix_step``)."""

_STEP_OF_RULE = {
    # 0: the package cannot be read as a package until these are fixed
    "unknown_table": 0,
    "duplicate_table": 0,
    "missing_table": 0,
    "empty_table": 0,
    "not_comma_separated": 0,
    # 1: the header row and the about table's keys
    "identifier_column": 1,
    "unknown_column": 1,
    "unnamed_column": 1,
    "duplicate_column": 1,
    "unknown_key": 1,
    "duplicate_key": 1,
    # 2: columns (and about keys) the format requires
    "missing_column": 2,
    "missing_key": 2,
    # 4: rules between the columns of a row, pairs that must be unique
    "unique_together": 4,
    # 5: links between tables (and to the about table's data_as_of)
    "foreign_key": 5,
    "after_data_as_of": 5,
    # 6: the package is clean, but the store or the person's account refuses it
    "outside_scope": 6,
    "programme_owner": 6,
    "older_than_loaded": 6,
}
_WARNINGS = len(STEPS) - 1
_VALUES = 3
_ROWS = 4

_VALUE_RULES = (
    "required",
    "pattern",
    "length",
    "vocab",
    "bool",
    "date",
    "min_date",
    "integer",
    "decimal",
    "range",
    "unique",
    "invisible_character",
)
"""The order of column rules on one column: first fill it in, then write it right."""


def fix_step(problem: Problem, row_rules: Iterable[str] = ()) -> int:
    """The step (an index of ``STEPS``) at which ``problem`` is fixed. Warnings come last; a
    rule not named here is a rule of the values (or, in ``row_rules``, between values)."""
    if problem.severity == "warning":
        return _WARNINGS
    if problem.rule in _STEP_OF_RULE:
        return _STEP_OF_RULE[problem.rule]
    if problem.rule in row_rules or problem.rule in _row_rule_names():
        return _ROWS
    return _VALUES


def _row_rule_names() -> frozenset[str]:
    return frozenset(r.name for t in TABLES for r in t.row_rules)


def _table_rank(table: str) -> tuple[int, str]:
    order = [t.name for t in TABLES]
    return (order.index(table), "") if table in order else (len(order), table)


def _column_rank(table: str, column: str | None) -> int:
    if column is None:
        return -1
    names = TABLES_BY_NAME[table].column_names if table in TABLES_BY_NAME else ()
    return names.index(column) if column in names else len(names)


def _rule_rank(rule: str) -> int:
    return _VALUE_RULES.index(rule) if rule in _VALUE_RULES else len(_VALUE_RULES)


def ordered_for_fixing(problems: Iterable[Problem]) -> list[Problem]:
    """``problems`` in the order a person fixes them.

    By step (``STEPS``: tables, columns, missing columns, values, values that do not fit
    together, links, admission, warnings); within a step, problems that one change fixes (the
    same rule on the same column) stand together, suspected personal data first, then in the
    order of the format's tables and columns; within such a group by table, then row.
    """
    problems = list(problems)
    row_rules = _row_rule_names()

    def place(p: Problem) -> tuple[tuple[int, str], int, int]:
        return _table_rank(p.table), _column_rank(p.table, p.column), p.rows[0] if p.rows else 0

    groups: dict[tuple[int, str, str | None], list[Problem]] = {}
    for p in problems:
        groups.setdefault((fix_step(p, row_rules), p.rule, p.column), []).append(p)

    def group_key(item: tuple[tuple[int, str, str | None], list[Problem]]) -> tuple:
        (step, rule, _column), members = item
        first = min(place(p)[:2] for p in members)
        return (step, not any(p.gate for p in members), first, _rule_rank(rule), rule)

    out: list[Problem] = []
    for _key, members in sorted(groups.items(), key=group_key):
        out.extend(sorted(members, key=place))
    return out


def fix_steps(problems: Iterable[Problem]) -> list[tuple[str, list[Problem]]]:
    """``(heading, problems)`` per step that has problems, in the order to fix, each heading
    numbered and in the language of the moment: ``1. Values``."""
    row_rules = _row_rule_names()
    by_step: dict[int, list[Problem]] = {}
    for p in ordered_for_fixing(problems):
        by_step.setdefault(fix_step(p, row_rules), []).append(p)
    return [
        (_("{number}. {step}", number=i, step=_(STEPS[step])), members)
        for i, (step, members) in enumerate(by_step.items(), start=1)
    ]


@dataclass
class ValidationReport:
    """Every problem of one package, found in one pass."""

    source: str
    problems: list[Problem] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    organisation: str | None = None
    data_as_of: str | None = None
    programmes: tuple[str, ...] = ()
    names: tuple[tuple[str, str, int, str], ...] = ()
    """Where a package without errors names its organisation and programmes, as (table, column,
    row, name): ``ingest.admission`` warns of one that looks like a name on record."""
    lang: str = field(default_factory=language.current)
    """The language its messages are written in (the caller's, when it was checked)."""

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def gate_refused(self) -> bool:
        return any(p.gate for p in self.problems)

    def sorted(self) -> list[Problem]:
        """Every problem in the order to fix them (``ordered_for_fixing``)."""
        return ordered_for_fixing(self.problems)

    def steps(self) -> list[tuple[str, list[Problem]]]:
        """The problems by step of fixing, in order (``fix_steps``)."""
        return fix_steps(self.problems)

    def summary(self) -> str:
        if not self.problems:
            return _("{source}: no problems found.", source=self.source)
        tables = {p.table for p in self.problems}
        n_err, n_warn = len(self.errors), len(self.warnings)
        parts = []
        if n_err:
            parts.append(n_("{n} problem to fix", "{n} problems to fix", n_err, n=count(n_err)))
        if n_warn:
            parts.append(n_("{n} warning", "{n} warnings", n_warn, n=count(n_warn)))
        return _(
            "{source}: {problems} in {tables}.",
            source=self.source,
            problems=and_list(parts),
            tables=n_("{n} table", "{n} tables", len(tables), n=count(len(tables))),
        )

    def as_rows(self) -> list[dict[str, object]]:
        """The downloadable problem list: numbered in the order to fix, with its step."""
        rows: list[dict[str, object]] = []
        for step, problems in self.steps():
            for p in problems:
                rows.append({_("No."): len(rows) + 1, _("Step"): step, **p.as_row()})
        return rows
