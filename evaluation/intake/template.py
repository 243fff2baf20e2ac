"""The blank template workbook for CSOs without a case-management system.

A CSO manager who keeps cases in a spreadsheet fills in this workbook and uploads it as a
programme data package (``docs/spec/data-format.md``). Everything in it - sheet names, headers,
drop-down lists, validations, notes and the instructions - is generated from
``evaluation.store.schema`` so the template can never ask for something the validator refuses.

The checks built into the workbook (drop-downs, date and number validations) only help while
typing; Excel does not apply them to pasted values. The upload validator stays the authority.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from evaluation.store import schema
from evaluation.store.schema import Column, Table

INSTRUCTIONS_SHEET, LISTS_SHEET = schema.TEMPLATE_HELPER_SHEETS

# Rows 2..MAX_ROW of every table sheet carry the drop-downs and validations.
MAX_ROW = 5000
DATE_FORMAT = "yyyy-mm-dd"
BOOL_VALUES = ("true", "false")
BOOL_LIST = "bool"  # header of the lists column holding BOOL_VALUES

# Excel refuses to open (it "repairs") a file whose validation texts exceed these lengths.
_MAX_DV_MESSAGE = 255
_MAX_DV_TITLE = 32

_REQUIRED_FILL = PatternFill("solid", fgColor="1F4E78")
_OPTIONAL_FILL = PatternFill("solid", fgColor="BDD7EE")
_REQUIRED_FONT = Font(bold=True, color="FFFFFF")
_OPTIONAL_FONT = Font(bold=True, color="000000")
_TITLE_FONT = Font(bold=True, size=14)
_HEADING_FONT = Font(bold=True, size=12)
_BOLD = Font(bold=True)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")

_PLAIN_TYPES = {
    "text": "text",
    "vocab": "choice from the list",
    "date": "date",
    "bool": "true / false",
    "integer": "whole number",
    "decimal": "number",
}

# Drop-downs of identifiers entered on another sheet. Only programmes: a list of thousands of
# case pseudonyms would not help anyone pick one.
_REFERENCE_DROPDOWN_TABLES = ("programmes",)


def write_template(path: Path) -> Path:
    """Write the blank template workbook to ``path`` and return the path.

    Sheets: ``instructions`` first (plain-language guide), then one sheet per registry table in
    registry order, then the hidden ``lists`` sheet the drop-downs read their values from.
    """
    path = Path(path)
    wb = Workbook()
    instructions = wb.active
    instructions.title = INSTRUCTIONS_SHEET
    table_sheets = [wb.create_sheet(table.name) for table in schema.TABLES]
    lists = wb.create_sheet(LISTS_SHEET)

    list_ranges = _write_lists(lists)
    _write_instructions(instructions)
    for ws, table in zip(table_sheets, schema.TABLES, strict=True):
        _write_table_sheet(ws, table, list_ranges)

    lists.sheet_state = "hidden"
    wb.active = 0
    wb.properties.title = f"Programme data package, format v{schema.FORMAT_VERSION}: template"
    wb.properties.subject = "Blank template generated from evaluation/store/schema.py"
    wb.properties.creator = "evaluation"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def list_key(table: Table, column: Column) -> str:
    """Header on the ``lists`` sheet of the column holding ``table.column``'s allowed values."""
    return f"{table.name}.{column.name}"


def template_lists() -> dict[str, tuple[str, ...]]:
    """Every value list the template offers, keyed by its header on the ``lists`` sheet.

    One list per vocabulary column, the ``about`` keys, and the boolean values. Kept public so
    tests and other writers see the same lists the workbook holds.
    """
    lists: dict[str, tuple[str, ...]] = {}
    for table in schema.TABLES:
        if table.key_value:
            lists[list_key(table, table.column("key"))] = tuple(k for k, _, _ in table.keys)
        for column in table.columns:
            if column.vocab:
                lists[list_key(table, column)] = column.vocab
    lists[BOOL_LIST] = BOOL_VALUES
    return lists


# --- lists sheet ---------------------------------------------------------------------------


def _write_lists(ws: Worksheet) -> dict[str, str]:
    """Write one column per value list; return each list's absolute range reference."""
    ranges: dict[str, str] = {}
    for index, (key, values) in enumerate(template_lists().items(), start=1):
        letter = get_column_letter(index)
        header = ws.cell(row=1, column=index, value=key)
        header.font = _BOLD
        for row, value in enumerate(values, start=2):
            ws.cell(row=row, column=index, value=value)
        ranges[key] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
        ws.column_dimensions[letter].width = min(max(len(key), *(len(v) for v in values)) + 2, 45)
    ws.freeze_panes = "A2"
    return ranges


# --- table sheets --------------------------------------------------------------------------


def _write_table_sheet(ws: Worksheet, table: Table, list_ranges: dict[str, str]) -> None:
    """Header row, column formats, notes and validations of one table's sheet."""
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=column.name)
        cell.font = _REQUIRED_FONT if column.required else _OPTIONAL_FONT
        cell.fill = _REQUIRED_FILL if column.required else _OPTIONAL_FILL
        comment = Comment(_header_note(table, column), "template")
        comment.width, comment.height = 320, 180
        cell.comment = comment
        dim = ws.column_dimensions[letter]
        dim.width = _width(column)
        fmt = _number_format(column)
        if fmt:
            dim.number_format = fmt

    last = get_column_letter(len(table.columns))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last}1"

    if table.key_value:
        _write_key_value_rows(ws, table)
    for index, column in enumerate(table.columns, start=1):
        rows = _validated_rows(table, column)
        for dv in _validations(table, column, list_ranges, get_column_letter(index), rows):
            ws.add_data_validation(dv)


def _write_key_value_rows(ws: Worksheet, table: Table) -> None:
    """Pre-fill the keys of a key/value table (``about``) and explain each in a note."""
    value_col = table.column_names.index("value") + 1
    key_col = table.column_names.index("key") + 1
    for row, (key, required, meaning) in enumerate(table.keys, start=2):
        cell = ws.cell(row=row, column=key_col, value=key)
        note = f"{key} ({'required' if required else 'optional'}): {meaning}"
        if _is_date_key(key):
            note += f". Enter a real date, typed as YYYY-MM-DD, e.g. {_example_date()}."
        cell.comment = Comment(note, "template", width=300, height=110)
        if _is_date_key(key):
            ws.cell(row=row, column=value_col).number_format = DATE_FORMAT


def _is_date_key(key: str) -> bool:
    """The about key holding the package's reference date (entered as a real date)."""
    return key == "data_as_of"


def _validated_rows(table: Table, column: Column) -> list[tuple[int, int]]:
    """Row spans a column's own validation covers; date-valued about cells are carved out."""
    if not (table.key_value and column.name == "value"):
        return [(2, MAX_ROW)]
    skip = {row for row, (key, _, _) in enumerate(table.keys, start=2) if _is_date_key(key)}
    spans: list[tuple[int, int]] = []
    start = 2
    for row in sorted(skip):
        if row > start:
            spans.append((start, row - 1))
        start = row + 1
    spans.append((start, MAX_ROW))
    return spans


def _sqref(letter: str, spans: Iterable[tuple[int, int]]) -> str:
    return " ".join(f"{letter}{a}:{letter}{b}" if a != b else f"{letter}{a}" for a, b in spans)


def _validations(
    table: Table,
    column: Column,
    list_ranges: dict[str, str],
    letter: str,
    spans: list[tuple[int, int]],
) -> list[DataValidation]:
    """The data validations of one column (at most one per cell, as Excel requires)."""
    sqref = _sqref(letter, spans)
    title = _title(column.name)
    rule = _plain(column.rule_text())
    found: list[DataValidation] = []

    key = list_key(table, column)
    if table.key_value and column.name == "key":
        found.append(
            _dv(
                "list",
                list_ranges[key],
                sqref,
                title,
                "Use one of the keys listed in the drop-down: "
                + ", ".join(k for k, _, _ in table.keys)
                + ".",
            )
        )
    elif column.type == "vocab":
        found.append(_dv("list", list_ranges[key], sqref, title, _vocab_error(column)))
    elif column.type == "bool":
        found.append(
            _dv(
                "list",
                list_ranges[BOOL_LIST],
                sqref,
                title,
                "Choose true or false from the drop-down list, or leave the cell empty.",
            )
        )
    elif column.type == "date":
        found.append(_date_dv(column, sqref, title))
    elif column.type == "integer":
        found.append(
            _number_dv(
                "whole", column, sqref, title, f"Enter a whole number ({rule}), without units."
            )
        )
    elif column.type == "decimal" and (
        column.min_value is not None or column.max_value is not None
    ):
        found.append(
            _number_dv(
                "decimal",
                column,
                sqref,
                title,
                f"Enter a number ({rule}), with a decimal point and no units or currency signs.",
            )
        )
    elif (
        column.type == "text"
        and column.references
        and (column.references.split(".")[0] in _REFERENCE_DROPDOWN_TABLES)
    ):
        ref_table, ref_column = column.references.split(".")
        ref_letter = get_column_letter(
            schema.TABLES_BY_NAME[ref_table].column_names.index(ref_column) + 1
        )
        dv = _dv(
            "list",
            f"{ref_table}!${ref_letter}$2:${ref_letter}${MAX_ROW}",
            sqref,
            title,
            f"This {column.name} is not (yet) on the {ref_table} sheet. Enter the "
            f"programme on the {ref_table} sheet first, or choose one from the "
            "drop-down list.",
        )
        dv.errorStyle = "warning"  # lets the user continue, e.g. while filling sheets out of order
        found.append(dv)
    elif column.type == "text" and column.max_length is not None:
        low = column.min_length or 1
        found.append(
            _dv(
                "textLength",
                str(low),
                sqref,
                title,
                f"{column.name}: {rule}." if rule else f"At most {column.max_length} characters.",
                operator="between",
                formula2=str(column.max_length),
            )
        )

    if table.key_value and column.name == "value":
        for row, (key, _, _) in enumerate(table.keys, start=2):
            if _is_date_key(key):
                found.append(_date_dv(column, f"{letter}{row}", _title(key), is_reference=True))
    return found


def _dv(
    kind: str,
    formula1: str | None,
    sqref: str,
    title: str,
    error: str,
    *,
    operator: str | None = None,
    formula2: str | None = None,
) -> DataValidation:
    dv = DataValidation(
        type=kind,
        formula1=formula1,
        formula2=formula2,
        operator=operator,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle=title,
        error=_fit(error),
        sqref=sqref,
    )
    return dv


def _date_dv(
    column: Column, sqref: str, title: str, *, is_reference: bool = False
) -> DataValidation:
    """Date validation; ``is_reference`` marks the data_as_of cell every other date obeys."""
    earliest = date.fromisoformat(schema.EARLIEST_DATE)
    later = (
        ""
        if column.may_follow_data_as_of or is_reference
        else " It may not be later than data_as_of on the about sheet."
    )
    error = (
        f"Enter a real date on or after {schema.EARLIEST_DATE}, typed as YYYY-MM-DD, "
        f"e.g. {_example_date()}.{later} Text that only looks like a date is refused."
    )
    return _dv(
        "date", str(int(to_excel(earliest))), sqref, title, error, operator="greaterThanOrEqual"
    )


def _number_dv(kind: str, column: Column, sqref: str, title: str, error: str) -> DataValidation:
    low, high = column.min_value, column.max_value
    if low is not None and high is not None:
        return _dv(kind, _num(low), sqref, title, error, operator="between", formula2=_num(high))
    if low is not None:
        return _dv(kind, _num(low), sqref, title, error, operator="greaterThanOrEqual")
    if high is not None:
        return _dv(kind, _num(high), sqref, title, error, operator="lessThanOrEqual")
    return _dv(kind, "-999999999", sqref, title, error, operator="between", formula2="999999999")


def _vocab_error(column: Column) -> str:
    full = "Choose a value from the drop-down list. Allowed: " + ", ".join(column.vocab) + "."
    if len(full) <= _MAX_DV_MESSAGE:
        return full
    return (
        f"Choose a value from the drop-down list; {column.name} accepts only those "
        f"{len(column.vocab)} values, written exactly as listed (see the instructions "
        "sheet)."
    )


# --- instructions sheet --------------------------------------------------------------------


def _write_instructions(ws: Worksheet) -> None:
    """Plain-language guide, then the sheets and every column with its rule."""
    tables = schema.TABLES
    required = ", ".join(schema.REQUIRED_TABLES)
    optional = ", ".join(t.name for t in tables if not t.required)
    about = next(t for t in tables if t.key_value)
    future = ", ".join(
        f"{t.name}.{c.name}" for t in tables for c in t.columns if c.may_follow_data_as_of
    )
    free_text = ", ".join(f"{t.name}.{c.name}" for t in tables for c in t.columns if c.free_text)
    helpers = " and ".join(f"'{s}'" for s in schema.TEMPLATE_HELPER_SHEETS)
    about_keys = ", ".join(f"{k} ({'required' if req else 'optional'})" for k, req, _ in about.keys)

    row = 1

    def put(text: str = "", font: Font | None = None) -> None:
        nonlocal row
        cell = ws.cell(row=row, column=1, value=text or None)
        if font is not None:
            cell.font = font
        row += 1

    put(
        f"How to fill in this workbook (programme data package, format v{schema.FORMAT_VERSION})",
        _TITLE_FONT,
    )
    put(
        "This workbook is how you hand your programme's anonymised figures to the evaluation "
        "platform."
    )
    put(
        "Each sheet after this one is one table. The sheet name is the table name and the first "
        "row holds the column names."
    )
    put()
    put("Never enter personal data", _HEADING_FONT)
    put(
        "- Use pseudonyms only: case_ref is a code you make up (e.g. K-0001). It must not be "
        "built from a name, initials, birth date or file number."
    )
    put(
        "- Never enter names, birth dates, phone numbers, e-mail or postal addresses, ID, "
        "passport or bank account numbers, or free-text notes about a person."
    )
    put(
        f"- The free-text columns ({free_text}) are checked for e-mail addresses, phone "
        "numbers, bank account numbers, IP addresses and dates."
    )
    put("- If the upload finds such data, the whole file is refused and nothing of it is stored.")
    put()
    put("How to fill it in", _HEADING_FONT)
    put(
        f"1. Sheet '{about.name}': the keys are already in column A; enter the values in column "
        f"B ({about_keys})."
    )
    put("   data_as_of is the day you took the figures: no date in the workbook may be later.")
    put("2. Sheet 'programmes': one row per programme you report on.")
    put("3. Sheet 'cases': one row per case, each case exactly once.")
    put(
        "4. The other sheets: one row per contact, need, referral, event, assessment, outcome, "
        "training, funding line, quarter or target, if you record them."
    )
    put(f"Required sheets: {required}. Optional sheets: {optional}.")
    put(
        "- If you do not record an optional table, delete its sheet. A sheet you keep but leave "
        "empty says 'there were none' (zero);"
    )
    put(
        "  a deleted sheet says 'not recorded', and figures that need it are shown as not "
        "available."
    )
    put()
    put("Rules for the cells", _HEADING_FONT)
    put(
        f"- Dates: enter real dates, typed as YYYY-MM-DD (e.g. {_example_date()}); not as text. "
        f"Dates before {schema.EARLIEST_DATE} are refused."
    )
    put(f"- No date may be later than data_as_of, except in: {future}.")
    put(
        "- Columns with a fixed list of values have a drop-down. Use exactly these values "
        "(lower case, with underscores)."
    )
    put("- Numbers: enter plain numbers, without units or currency signs.")
    put(
        "- Leave a cell empty when an optional value is unknown. Do not write 'n/a', '-' or "
        "'unknown' unless the list offers 'unknown'."
    )
    put(
        "- Do not rename sheets or columns and do not add columns: unknown columns are refused, "
        "because that is where personal data hides."
    )
    put(
        "- Headers of required columns are dark blue, optional ones light blue. Point at a "
        "header to see what the column means."
    )
    put(f"- The sheets {helpers} are ignored when you upload; you may leave them in the file.")
    put("- Save the workbook as .xlsx (Excel workbook) and upload it.")
    put()
    put("The sheets", _HEADING_FONT)
    _header_row(ws, row, ("sheet", "required", "what it is for"))
    row += 1
    for table in tables:
        ws.cell(row=row, column=1, value=table.name)
        ws.cell(row=row, column=2, value="required" if table.required else "optional")
        ws.cell(row=row, column=3, value=table.doc)
        row += 1
    row += 1
    put("The columns of each sheet", _HEADING_FONT)
    _header_row(ws, row, ("sheet", "column", "required", "type", "meaning", "rule"))
    row += 1
    for table in tables:
        for column in table.columns:
            values = (
                table.name,
                column.name,
                "required" if column.required else "optional",
                _PLAIN_TYPES[column.type],
                _plain(column.doc),
                _plain(column.rule_text()),
            )
            for index, value in enumerate(values, start=1):
                cell = ws.cell(row=row, column=index, value=value or None)
                if index >= 5:
                    cell.alignment = _WRAP_TOP
                elif index <= 2:
                    cell.alignment = Alignment(vertical="top")
            row += 1
        if table.key_value:
            for key, req, meaning in table.keys:
                ws.cell(row=row, column=1, value=table.name)
                ws.cell(row=row, column=2, value=f"key: {key}")
                ws.cell(row=row, column=3, value="required" if req else "optional")
                ws.cell(row=row, column=5, value=meaning).alignment = _WRAP_TOP
                row += 1

    for letter, width in zip("ABCDEF", (18, 22, 11, 20, 45, 70), strict=True):
        ws.column_dimensions[letter].width = width


def _header_row(ws: Worksheet, row: int, labels: tuple[str, ...]) -> None:
    for index, label in enumerate(labels, start=1):
        cell = ws.cell(row=row, column=index, value=label)
        cell.font = _REQUIRED_FONT
        cell.fill = _REQUIRED_FILL


# --- helpers -------------------------------------------------------------------------------


def _header_note(table: Table, column: Column) -> str:
    need = "required" if column.required else "optional"
    lines = [f"{column.name} - {need}, {_PLAIN_TYPES[column.type]}"]
    if column.doc:
        lines.append(_plain(column.doc))
    rule = _plain(column.rule_text())
    if rule:
        lines.append(f"Rule: {rule}")
    if table.key_value:
        lines.append("Keys: " + ", ".join(k for k, _, _ in table.keys))
    return "\n".join(lines)


def _number_format(column: Column) -> str | None:
    if column.type == "date":
        return DATE_FORMAT
    if column.type == "integer":
        return "0"
    if column.type in ("text", "vocab", "bool") and not column.free_text:
        # Keeps Excel from turning identifiers such as 0012 or 1E5 into numbers, and a picked
        # `true` into a boolean that no longer matches the drop-down's text values.
        return "@"
    return None


def _width(column: Column) -> float:
    longest = max([len(column.name), *(len(v) for v in column.vocab)])
    if column.type == "date":
        longest = max(longest, 12)
    if column.free_text:
        longest = max(longest, 30)
    return min(longest + 4, 45)


def _plain(text: str) -> str:
    """Markdown-free text for cells and notes (the registry writes code in backticks)."""
    return text.replace("`", "")


def _fit(text: str, limit: int = _MAX_DV_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _title(text: str) -> str:
    return _fit(text, _MAX_DV_TITLE)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _example_date() -> str:
    return "2024-03-31"
