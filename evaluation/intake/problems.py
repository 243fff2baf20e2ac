"""Problems found in a package, and the report that groups them for a person.

A problem names table, column and rows, says how to fix it, and never carries a cell value:
the messages are built from the registry's wording, so a personal value cannot leak into the
CLI, the dashboard, or the downloadable problem list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


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
        noun = "row" if len(self.rows) == 1 and more <= 0 else "rows"
        return f"{noun} {listed}" + (f" and {more:,} more" if more > 0 else "")

    def where(self) -> str:
        place = f"table `{self.table}`"
        if self.column:
            place += f", column `{self.column}`"
        if self.rows:
            place += f", {self.rows_text()}"
        return place

    def sentence(self) -> str:
        """One plain sentence: where, what, and how to fix it."""
        fix = self.fix[:1].upper() + self.fix[1:] if self.fix else ""
        text = f"{self.where()}: {self.message}."
        return f"{text} {fix.rstrip('.')}." if fix else text

    def as_row(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "table": self.table,
            "column": self.column or "",
            "rule": self.rule,
            "rows": ", ".join(str(r) for r in self.rows),
            "row_count": self.count,
            "problem": self.message,
            "how_to_fix": self.fix,
            "anonymisation_gate": self.gate,
        }


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
        """Problems grouped by table then column, errors before warnings."""
        return sorted(
            self.problems,
            key=lambda p: (p.table, p.column or "", p.severity != "error", p.rows[:1]),
        )

    def summary(self) -> str:
        if not self.problems:
            return f"{self.source}: no problems found."
        tables = {p.table for p in self.problems}
        n_err, n_warn = len(self.errors), len(self.warnings)
        parts = []
        if n_err:
            parts.append(f"{n_err} problem{'s' if n_err != 1 else ''} to fix")
        if n_warn:
            parts.append(f"{n_warn} warning{'s' if n_warn != 1 else ''}")
        where = f"{len(tables)} table{'s' if len(tables) != 1 else ''}"
        return f"{self.source}: {' and '.join(parts)} in {where}."

    def grouped(self) -> dict[str, list[Problem]]:
        out: dict[str, list[Problem]] = {}
        for p in self.sorted():
            out.setdefault(p.table, []).append(p)
        return out

    def as_rows(self) -> list[dict[str, object]]:
        return [p.as_row() for p in self.sorted()]
