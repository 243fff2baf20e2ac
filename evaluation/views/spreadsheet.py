"""Writing spreadsheets and CSV files that are safe to open.

Every text cell we write goes through ``safe_cell``: a value that starts with ``=``, ``+``,
``-``, ``@``, tab or carriage return would be run as a formula by Excel or LibreOffice
(formula injection), so it is prefixed with an apostrophe-like quote that makes it inert.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from evaluation.intake.problems import ValidationReport

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value, made inert if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) made inert, for CSV and
    spreadsheet exports of tables whose values came from a package."""
    out = frame.copy()
    for col in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col])):
            # not ``map``: it infers a dtype, so a whole number beside a missing one became
            # ``1.0`` and the missing one ``nan`` in a CSV
            out[col] = pd.Series([safe_cell(v) for v in out[col]], index=out.index, dtype=object)
    out.columns = [str(safe_cell(str(c))) for c in out.columns]
    return out


def write_rows(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[object]], sheet: str = "data"
) -> Path:
    """Write rows to ``.xlsx`` (openpyxl, frozen header, autofilter) or ``.csv``."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow([safe_cell(h) for h in header])
            w.writerows([[safe_cell(v) for v in r] for r in rows])
        return path
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([safe_cell(h) for h in header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([safe_cell(v) for v in r])
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for col in ws.columns:
        width = max(len(str(c.value or "")) for c in col)
        ws.column_dimensions[col[0].column_letter].width = min(max(width + 2, 10), 80)
    wb.save(path)
    return path


def write_problem_list(report: ValidationReport, path: Path) -> Path:
    """The validation report as a spreadsheet a manager can work through and tick off."""
    rows = report.as_rows()
    header = (
        list(rows[0])
        if rows
        else [
            "severity",
            "table",
            "column",
            "rule",
            "rows",
            "row_count",
            "problem",
            "how_to_fix",
            "anonymisation_gate",
        ]
    )
    return write_rows(path, header, [list(r.values()) for r in rows], sheet="problems")
