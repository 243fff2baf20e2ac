"""The blank template workbook: generated from the registry and readable by other readers.

A CSO manager fills this workbook in by hand, so every drop-down must offer exactly the values
the validator accepts, and the file must open in readers other than the one that wrote it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from evaluation.intake.template import BOOL_VALUES, MAX_ROW, write_template
from evaluation.store import schema

INSTRUCTIONS, LISTS = schema.TEMPLATE_HELPER_SHEETS
RANGE = re.compile(
    r"^=?(?P<sheet>\w+)!\$(?P<col>[A-Z]+)\$(?P<first>\d+):\$(?P=col)\$(?P<last>\d+)$"
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.xlsx"
    assert write_template(path) == path
    return path


@pytest.fixture(scope="module")
def wb(template: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(template)


def _validation(ws: Worksheet, letter: str) -> DataValidation:
    """The one validation covering rows 2..MAX_ROW of a column (Excel allows one per cell)."""
    found = [
        dv
        for dv in ws.data_validations.dataValidation
        if f"{letter}2" in dv.sqref and f"{letter}{MAX_ROW}" in dv.sqref
    ]
    assert len(found) == 1, f"{ws.title}!{letter}: {len(found)} validations"
    return found[0]


def _list_values(wb: openpyxl.Workbook, formula: str) -> tuple[str, ...]:
    match = RANGE.match(formula)
    assert match, formula
    assert match["sheet"] == LISTS
    ws = wb[LISTS]
    col, first, last = match["col"], int(match["first"]), int(match["last"])
    assert ws[f"{col}{last + 1}"].value is None, "range stops before the end of the list"
    return tuple(ws[f"{col}{row}"].value for row in range(first, last + 1))


def _columns(kind: str) -> list[tuple[schema.Table, schema.Column, str]]:
    return [
        (t, c, get_column_letter(i))
        for t in schema.TABLES
        for i, c in enumerate(t.columns, start=1)
        if c.type == kind
    ]


def test_sheets_in_registry_order(wb: openpyxl.Workbook) -> None:
    expected = [INSTRUCTIONS, *(t.name for t in schema.TABLES), LISTS]
    assert wb.sheetnames == expected
    assert wb.active.title == INSTRUCTIONS


def test_headers_are_registry_columns(wb: openpyxl.Workbook) -> None:
    for table in schema.TABLES:
        ws = wb[table.name]
        header = [c.value for c in ws[1]]
        assert header == list(table.column_names), table.name
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{get_column_letter(len(table.columns))}1"
        for cell, column in zip(ws[1], table.columns, strict=True):
            assert cell.font.b, f"{table.name}.{column.name} header not bold"
            assert cell.comment is not None
            assert column.rule_text().replace("`", "") in cell.comment.text
            assert column.doc.replace("`", "") in cell.comment.text


def test_another_reader_accepts_it(template: Path) -> None:
    book = python_calamine.CalamineWorkbook.from_path(str(template))
    assert book.sheet_names == [INSTRUCTIONS, *(t.name for t in schema.TABLES), LISTS]
    for table in schema.TABLES:
        rows = book.get_sheet_by_name(table.name).to_python()
        assert rows[0] == list(table.column_names)
    hidden = {
        m.name
        for m in book.sheets_metadata
        if m.visible != python_calamine.SheetVisibleEnum.Visible
    }
    assert hidden == {LISTS}


def test_about_keys_prefilled(wb: openpyxl.Workbook) -> None:
    about = next(t for t in schema.TABLES if t.key_value)
    ws = wb[about.name]
    keys = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert keys == [k for k, _, _ in about.keys]
    assert all(row[1] is None for row in ws.iter_rows(min_row=2, values_only=True))


def test_lists_sheet_is_hidden(wb: openpyxl.Workbook) -> None:
    assert wb[LISTS].sheet_state == "hidden"
    assert all(wb[name].sheet_state == "visible" for name in wb.sheetnames if name != LISTS)


def test_every_vocab_column_has_its_vocabulary_as_dropdown(wb: openpyxl.Workbook) -> None:
    vocab_columns = _columns("vocab")
    assert vocab_columns
    for table, column, letter in vocab_columns:
        dv = _validation(wb[table.name], letter)
        assert dv.type == "list"
        assert dv.showErrorMessage and dv.error
        assert _list_values(wb, dv.formula1) == column.vocab, f"{table.name}.{column.name}"


def test_bool_columns_offer_true_false(wb: openpyxl.Workbook) -> None:
    for table, _column, letter in _columns("bool"):
        dv = _validation(wb[table.name], letter)
        assert dv.type == "list"
        assert _list_values(wb, dv.formula1) == BOOL_VALUES


def test_date_columns_have_date_validation_and_format(wb: openpyxl.Workbook) -> None:
    earliest = openpyxl.utils.datetime.to_excel(
        openpyxl.utils.datetime.from_ISO8601(schema.EARLIEST_DATE)
    )
    for table, column, letter in _columns("date"):
        ws = wb[table.name]
        dv = _validation(ws, letter)
        assert dv.type == "date", f"{table.name}.{column.name}"
        assert dv.operator == "greaterThanOrEqual"
        assert float(dv.formula1) == earliest
        assert schema.EARLIEST_DATE in dv.error
        assert ws.column_dimensions[letter].number_format == "yyyy-mm-dd"


def test_integer_columns_have_whole_number_validation(wb: openpyxl.Workbook) -> None:
    for table, column, letter in _columns("integer"):
        dv = _validation(wb[table.name], letter)
        assert dv.type == "whole", f"{table.name}.{column.name}"
        assert float(dv.formula1) == column.min_value
        if column.max_value is not None:
            assert dv.operator == "between"
            assert float(dv.formula2) == column.max_value
        else:
            assert dv.operator == "greaterThanOrEqual"


def test_validation_texts_fit_excel_limits(wb: openpyxl.Workbook) -> None:
    """Excel 'repairs' (and drops) validations whose texts exceed its limits."""
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            assert len(dv.error or "") <= 255
            assert len(dv.errorTitle or "") <= 32
            assert len(dv.prompt or "") <= 255
            assert not (dv.formula1 or "").startswith("=")


def test_table_sheets_hold_no_cells_below_the_header(wb: openpyxl.Workbook) -> None:
    """Formats and validations must not make an empty sheet look like 5000 blank rows."""
    for table in schema.TABLES:
        if not table.key_value:
            assert wb[table.name].max_row == 1, table.name


def test_instructions_cover_every_table_and_column(wb: openpyxl.Workbook) -> None:
    text = "\n".join(
        str(v) for row in wb[INSTRUCTIONS].iter_rows(values_only=True) for v in row if v
    )
    for name in (*schema.TEMPLATE_HELPER_SHEETS, *schema.REQUIRED_TABLES, "pseudonym"):
        assert name in text
    for table in schema.TABLES:
        for column in table.columns:
            assert column.name in text
            assert column.rule_text().replace("`", "") in text


@pytest.mark.slow
@pytest.mark.skipif(
    not (shutil.which("soffice") or shutil.which("libreoffice")),
    reason="LibreOffice is not installed",
)
def test_libreoffice_opens_it(template: Path, tmp_path: Path) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run(
        [office, "--headless", "--convert-to", "ods", "--outdir", str(tmp_path), str(template)],
        check=True,
        timeout=180,
        capture_output=True,
    )
    assert (tmp_path / "template.ods").stat().st_size > 0
