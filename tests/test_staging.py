"""Staging's bulk paths read what the slower, plainer paths read (issue 15).

* Workbook sheets are read by fastexcel into Arrow columns; a sheet it cannot read exactly as
  python-calamine's Python values read (mixed columns, times of day, odd header cells) is read
  by calamine. Both must give the same header, rows and text of every cell.
* A CSV table is counted and loaded without testing every row for being empty when a column
  has no empty cell; else rows whose every cell is empty are still no rows.
* Only the sheets that are read are scanned for sparse-cell bombs; the scan of a read sheet
  looks only at references beyond column Z or row 999 999, and a refusal still names the
  exact number of columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import tempfile
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest import builder_from_minimal, csv_text
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from evaluation.errors import UnsafeFile
from evaluation.intake import container, staging
from evaluation.intake.container import SourceTable, open_package
from evaluation.intake.ingest import check_package
from evaluation.intake.limits import Limits
from evaluation.intake.profiles import NO_PROFILE
from evaluation.store.schema import TABLES_BY_NAME

CONTACTS = ["case_ref", "contact_on", "minutes", "mode", "activity", "staff_role", "setting"]


def _workbook(path: Path, rows: list[list[object]], epoch: object = None) -> Path:
    wb = openpyxl.Workbook()
    if epoch is not None:
        wb.epoch = epoch
    ws = wb.active
    ws.title = "contacts"
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _both(path: Path) -> tuple[staging._Sheet | None, staging._Sheet]:
    src = SourceTable("contacts", 'sheet "contacts"', "sheet", path, "contacts")
    staging._WORKBOOKS.clear()
    staging._FAST_READERS.clear()
    table = TABLES_BY_NAME["contacts"]
    return staging._read_sheet_arrow(src, table, NO_PROFILE), staging._read_sheet(src)


def _same(fast: staging._Sheet, slow: staging._Sheet) -> None:
    assert fast.rows == slow.rows
    width = max(len(fast.header), len(slow.header))
    assert fast.header + [""] * (width - len(fast.header)) == slow.header + [""] * (
        width - len(slow.header)
    )
    for pos, name in enumerate(fast.header):
        if not name.strip() or name in CONTACTS:
            expected = slow.text(pos).to_pylist() or [None] * slow.rows
            assert fast.text(pos).to_pylist() == expected, name


CELLS: dict[str, list[object]] = {
    "text with blanks": ["in_person", None, " phone ", "", "  ", "007"],
    "whole and broken floats with blanks": [60.0, None, 1.5, 1e20, 1e-7, -0.0, 2.0**53, 45],
    "floats without blanks": [60.0, 1.5, 1e20, 1e-7, 2.0**53, 12],
    "dates and date-times": [dt.date(2024, 2, 1), None, dt.datetime(2024, 2, 1, 13, 45)],
    "booleans with blanks": [True, None, False],
    "booleans": [True, False],
    "nothing": [None, None],
}


@pytest.mark.parametrize("epoch", [None, CALENDAR_MAC_1904], ids=["1900", "1904"])
@pytest.mark.parametrize("kind", CELLS)
def test_fastexcel_reads_a_column_as_calamine_does(
    tmp_path: Path, kind: str, epoch: object
) -> None:
    values = CELLS[kind]
    rows: list[list[object]] = [[*CONTACTS, "  "]]
    rows += [["x", v, v, v, "a", "b", "c", None] for v in values]
    fast, slow = _both(_workbook(tmp_path / "t.xlsx", rows, epoch))
    assert fast is not None
    _same(fast, slow)


def test_fastexcel_keeps_empty_rows_and_an_unnamed_column_with_values(tmp_path: Path) -> None:
    rows: list[list[object]] = [[*CONTACTS, " "], ["x", dt.date(2024, 1, 1), 5]]
    rows += [[None] * 8, [None] * 8, ["y", dt.date(2024, 1, 2), 6, None, None, None, None, "v"]]
    fast, slow = _both(_workbook(tmp_path / "t.xlsx", rows))
    assert fast is not None and fast.rows == 4
    _same(fast, slow)


@pytest.mark.parametrize(
    "rows",
    [
        [CONTACTS, ["x", dt.date(2024, 1, 1), 5], ["y", "2024-01-02", 6]],  # a mixed column
        [CONTACTS, ["x", dt.time(10, 30), 5]],  # a time of day
        [CONTACTS, ["x", dt.timedelta(hours=2), 5]],  # a duration
        [[*CONTACTS, "mode"], ["x", dt.date(2024, 1, 1), 5]],  # a column twice
        [[*CONTACTS[:2], None, *CONTACTS[2:]], ["x", dt.date(2024, 1, 1), 5]],  # no name
        [[*CONTACTS, 5], ["x", dt.date(2024, 1, 1), 5]],  # a number as name
        [[*CONTACTS, dt.date(2024, 1, 1)], ["x", dt.date(2024, 1, 1), 5]],  # a date as name
        [[None], CONTACTS, ["x", dt.date(2024, 1, 1), 5]],  # the header in row 2
        [],  # an empty sheet
    ],
    ids=["mixed", "time", "duration", "twice", "unnamed", "number", "date", "row-2", "empty"],
)
def test_sheets_fastexcel_cannot_read_exactly_are_left_to_calamine(
    tmp_path: Path, rows: list[list[object]]
) -> None:
    fast, _slow = _both(_workbook(tmp_path / "t.xlsx", rows))
    assert fast is None


def test_a_workbook_read_either_way_gives_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Excel-cell cases of ``test_rules``, read by fastexcel, and by calamine alone."""
    pkg = builder_from_minimal(tmp_path)
    base = dict(pkg.tables["contacts"][0])
    pkg.add("contacts", **base | {"contact_on": dt.datetime(2024, 2, 1, 13, 45)})
    pkg.add("contacts", **base | {"minutes": 60.0})
    pkg.add("contacts", **base | {"minutes": 1.5})
    pkg.add("contacts", **base | {"mode": None})
    path = pkg.write("xlsx")
    fast = check_package(path)
    monkeypatch.setattr(staging, "_read_sheet_arrow", lambda *_a: None)
    slow = check_package(path)
    assert [p.sentence() for p in fast.problems] == [p.sentence() for p in slow.problems]
    assert fast.row_counts == slow.row_counts


def test_a_sheet_left_to_calamine_keeps_its_place_in_the_report(tmp_path: Path) -> None:
    """A sheet fastexcel leaves to calamine (text in a date column) is parsed beside the sheets
    after it and staged last; the report still names the tables in the package's order, and
    the late sheet's cells and rows are read as any other's."""
    pkg = builder_from_minimal(tmp_path)
    for row in pkg.tables["cases"]:
        row["shoe_size"] = 42
    pkg.tables["cases"][1]["opened_on"] = "soon"  # text among dates: calamine reads the sheet
    for row in pkg.tables["contacts"]:
        row["shoe_size"] = 42
    pkg.tables["contacts"][0]["minutes"] = -5
    path = pkg.write("xlsx")
    with open_package(path, Limits()) as package:
        src = next(t for t in package.tables if t.name == "cases")
        assert staging._read_sheet_arrow(src, TABLES_BY_NAME["cases"], NO_PROFILE) is None

    report = check_package(path)
    found = [(p.table, p.column, p.rule, p.rows) for p in report.problems]
    assert ("cases", "opened_on", "date", (3,)) in found
    assert ("contacts", "minutes", "range", (2,)) in found
    order = list(TABLES_BY_NAME)
    for kind in ({"unknown_column"}, {"date", "range"}):
        tables = [t for t, _c, rule, _r in found if rule in kind]
        assert tables == sorted(tables, key=order.index) and len(tables) == 2, found
    assert report.row_counts["cases"] == len(pkg.tables["cases"])


# -- CSV: empty rows ------------------------------------------------------------------------------
def test_a_csv_row_of_empty_cells_is_no_row(tmp_path: Path) -> None:
    pkg = builder_from_minimal(tmp_path)
    for t in ("cases", "contacts", "custody_events", "funding"):
        pkg.drop(t)
    rows = pkg.tables["programmes"]
    lines = csv_text(rows).splitlines()
    bad = lines[2].replace(",DE,", ",Germany,")
    empty = "," * (len(lines[0].split(",")) - 1)
    pkg.tables.pop("programmes")
    pkg.raw["programmes"] = "\n".join([lines[0], lines[1], empty, bad, *lines[3:]]) + "\n"
    report = check_package(pkg.write("folder"))
    assert [(p.column, p.rule, p.rows) for p in report.errors if p.table == "programmes"] == [
        ("country", "vocab", (4,))
    ]
    assert report.row_counts["programmes"] == len(rows)


# -- CSV: pyarrow's fast read, its quote screen, and DuckDB's strict reader -----------------------
_PIECES = st.sampled_from([b"a", b" ", b",", b'"', b'""', b"\n", b"\r\n", b"\r"])
_CSV_BODIES = st.lists(_PIECES, max_size=24).map(b"".join)


def _quotes_in_place(text: bytes) -> bool:
    """RFC 4180's quoting read one character at a time: the oracle of ``screen_quotes``."""
    inside, prev, i = False, None, 0
    while i < len(text):
        c = text[i : i + 1]
        if inside and c == b'"':
            if text[i + 1 : i + 2] == b'"':
                i += 2
                continue
            inside = False
            if text[i + 1 : i + 2] not in (b"", b",", b"\n", b"\r"):
                return False
        elif c == b'"':
            if prev not in (None, b",", b"\n", b"\r"):
                return False
            inside = True
        prev, i = c, i + 1
    return not inside


@settings(max_examples=400, deadline=None)
@given(_CSV_BODIES)
def test_the_quote_screen_is_rfc_4180s_quoting(body: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_bytes(body)
        screened = staging.screen_quotes(path, 0)
        assert (screened is not staging.Quotes.REFER) == _quotes_in_place(body)
        assert (screened is staging.Quotes.NONE) == (b'"' not in body)


def _strict_rows(path: Path, width: int) -> list[tuple[str | None, ...]] | None:
    try:
        rows = duckdb.sql(f"SELECT * FROM {staging.strict_reader(path, width)}").fetchall()
    except duckdb.Error:
        return None
    return [r for r in rows if any(v is not None for v in r)]


@settings(max_examples=400, deadline=None)
@given(_CSV_BODIES, st.integers(1, 3))
def test_what_the_fast_read_takes_duckdbs_strict_reader_reads_alike(
    body: bytes, width: int
) -> None:
    """The fast path never takes a file that DuckDB's strict reader (the one that decides
    otherwise) would refuse or read differently — except line endings mixed within one file,
    which DuckDB refuses and pyarrow reads as line ends."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_bytes(",".join(f"h{i}" for i in range(width)).encode() + b"\n" + body)
        quotes = staging.screen_quotes(path, 0)
        fast = None if quotes is staging.Quotes.REFER else staging._read_csv(path, width, quotes)
        if fast is None:
            return
        rows = [
            r
            for r in zip(*(fast.column(f"c{i}").to_pylist() for i in range(width)), strict=True)
            if any(v is not None for v in r)
        ]
        strict = _strict_rows(path, width)
        mixed = b"\r" in body  # the header ends in \n
        assert rows == strict or (strict is None and mixed)
        assert fast.column("_idx").to_pylist() == list(range(fast.num_rows))


@pytest.mark.parametrize("stray_quote", [False, True], ids=["pyarrow", "duckdb"])
def test_quoted_values_line_breaks_and_blank_lines_keep_their_spreadsheet_rows(
    tmp_path: Path, stray_quote: bool
) -> None:
    """pyarrow reads a file whose quotes pass the screen; DuckDB's strict reader one with a quote
    inside an unquoted value, which it takes and the screen does not. Both give the
    spreadsheet's row numbers: a value's line break stays in its row, a blank line is a row of
    its own."""
    pkg = builder_from_minimal(tmp_path)
    for t in ("cases", "contacts", "custody_events", "funding"):
        pkg.drop(t)
    first, second = pkg.tables.pop("programmes")
    first["programme_name"] = 'Open Door, "Exit"\n(fictional)'
    second["country"] = "Germany"
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(list(first))
    w.writerow(["" if v is None else v for v in first.values()])
    out.write("\n")
    w.writerow(["" if v is None else v for v in second.values()])
    text = out.getvalue()
    if stray_quote:
        text = text.replace("Inside Out", 'Inside 5" Out')
    pkg.raw["programmes"] = text
    path = pkg.write("folder")
    screened = staging.screen_quotes(path / "programmes.csv")
    assert screened is (staging.Quotes.REFER if stray_quote else staging.Quotes.PLACED)
    report = check_package(path)
    assert {(p.column, p.rule, p.rows) for p in report.errors if p.table == "programmes"} == {
        ("country", "vocab", (4,)),
        ("programme_name", "invisible_character", (2,)),  # the line break in a name
    }
    assert report.row_counts["programmes"] == 2


@pytest.mark.parametrize("empty_row", [False, True], ids=["full", "with-an-empty-row"])
def test_pyarrows_table_is_staged_as_duckdbs_reading_of_the_file(
    tmp_path: Path, empty_row: bool
) -> None:
    """The staged values (counted by pyarrow over its table, or by DuckDB over its own) and the
    normalised rows are the same whichever reader read the file; with a row of empty cells,
    the counts leave it out either way."""
    rows = [
        "A-1,2024-01-05,60, Video,counselling,,prison",
        "A-1,2024-01-05,,video,counselling,social_worker,prison",
        ",,,,,,",
        "A-2,2024-01-06,45,VIDEO,other,social_worker,",
    ]
    if not empty_row:
        rows.remove(",,,,,,")
    path = tmp_path / "contacts.csv"
    path.write_text(",".join(CONTACTS) + "\n" + "\n".join(rows) + "\n")
    table = TABLES_BY_NAME["contacts"]
    refs = {c: f"c{i}" for i, c in enumerate(CONTACTS)}
    staged = []
    for arrow in (staging._read_csv(path, len(CONTACTS), staging.Quotes.NONE), None):
        conn = duckdb.connect()
        staging.new_staged_values(conn)
        if arrow is not None:
            conn.register("csv_contacts", arrow)
            reader = "csv_contacts"
        else:
            reader = staging.strict_reader(path, len(CONTACTS))
        staging._create_norm(conn, table, CONTACTS, reader, refs, NO_PROFILE, None, None, arrow)
        staged.append(
            (
                conn.sql("SELECT * FROM staged_values ORDER BY ALL").fetchall(),
                conn.sql("SELECT * FROM rows_contacts ORDER BY _row").fetchall(),
            )
        )
    assert staged[0] == staged[1]
    values, normalised = staged[0]
    assert ("contacts", "mode", " Video", 1, "video") in values
    assert [r[0] for r in normalised] == ([2, 3, 5] if empty_row else [2, 3, 4])


# -- the bomb scan --------------------------------------------------------------------------------
def _with_sheet(path: Path, name: str) -> Path:
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet(name)
    ws["A1"] = "note"
    ws["XFD1048576"] = "x"
    wb.save(path)
    return path


def test_the_templates_helper_sheet_is_never_read_nor_scanned(tmp_path: Path) -> None:
    path = _with_sheet(builder_from_minimal(tmp_path).write("xlsx"), "lists")
    report = check_package(path)
    assert report.ok, [p.sentence() for p in report.errors]


def test_a_sheet_that_is_no_table_is_not_scanned_and_not_read(tmp_path: Path) -> None:
    path = _with_sheet(builder_from_minimal(tmp_path).write("xlsx"), "notes")
    with pytest.raises(UnsafeFile), open_package(path):  # not told which sheets are read
        pass
    with open_package(path, reads=staging.sheets_read(NO_PROFILE)) as package:
        scanned = {t.name: t.scanned for t in package.tables}
    assert scanned["notes"] is False and scanned["cases"] is True
    report = check_package(path)
    assert [p.rule for p in report.errors] == ["unknown_table"]


def test_a_read_sheet_is_still_scanned(tmp_path: Path) -> None:
    path = builder_from_minimal(tmp_path).write("xlsx")
    wb = openpyxl.load_workbook(path)
    wb["cases"]["XFD1048576"] = "x"
    wb.save(path)
    with pytest.raises(UnsafeFile, match="16,384 columns"):
        check_package(path)


def _sheet_xml(cells_per_row: int, rows: int, column: str = "C") -> bytes:
    row = "".join(f'<c r="{column}{{r}}"><v>1</v></c>' for _ in range(cells_per_row))
    body = "".join(f'<row r="{r}">' + row.format(r=r) + "</row>" for r in range(1, rows + 1))
    return f"<worksheet><sheetData>{body}</sheetData></worksheet>".encode()


@pytest.mark.parametrize(
    ("xml", "refused"),
    [
        (_sheet_xml(3, 5), False),
        (_sheet_xml(250, 2), True),  # many cells in few rows, all within column C
        (_sheet_xml(1, 2, "GS"), True),  # column 201
        (_sheet_xml(1, 2, "GR"), False),  # column 200
    ],
    ids=["plain", "crowded", "col-201", "col-200"],
)
def test_the_quick_scan_refuses_as_the_exact_one(xml: bytes, refused: bool) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/worksheets/sheet1.xml", xml)
    limits = Limits()
    messages: list[str | None] = []
    with zipfile.ZipFile(buf) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
        for exact in (False, True):
            scan = container._SheetScan(exact)
            scan.feed(xml)
            try:
                scan.finish("x.xlsx", limits, lambda: container._exact_scan(zf, info))
                messages.append(None)
            except UnsafeFile as exc:
                messages.append(str(exc))
    assert messages[0] == messages[1]
    assert (messages[0] is not None) == refused


def test_the_quick_scan_counts_and_finds_what_the_exact_one_does() -> None:
    """Random worksheet XML, hostile references included: the quick scan (numpy, and only the
    references beyond Z or row 999 999) against the exact one (a match per cell) and against
    ``bytes.count``."""
    rnd = random.Random(5)

    def ref() -> str:
        letters = "".join(rnd.choice("ABCXYZ") for _ in range(rnd.choice([1, 1, 2, 3, 4, 5])))
        return letters + "".join(rnd.choice("0123456789") for _ in range(rnd.choice([1, 6, 7, 12])))

    pieces = ['<row r="1">', "<row>", "<rowBreaks>", "<c>", "<c/>", "<col ", "<cols>", "<", "<ro"]
    pieces += ['<c r="{}"><v>1</v></c>', '<c  r="{}">', '<c t="n" r="{}">', ' r="{}', 'r="{}"']
    for _trial in range(500):
        parts = rnd.choices(pieces, k=rnd.randint(0, 40))
        xml = "".join(p.format(ref()) for p in parts).encode()
        size = rnd.choice([10, 40, 4096])
        quick, exact = container._SheetScan(exact=False), container._SheetScan(exact=True)
        for scan in (quick, exact):
            for i in range(0, len(xml), size):
                scan.feed(xml[i : i + size])
            scan._count(scan.tail)
        assert (quick.rows, quick.cells, quick.max_row) == (exact.rows, exact.cells, exact.max_row)
        assert quick.max_col == (exact.max_col if exact.max_col > 26 else 0)
        whole = container._SheetScan(exact=True)
        whole._count(xml)
        assert (whole.rows, whole.cells) == (
            xml.count(b"<row ") + xml.count(b"<row>"),
            xml.count(b"<c ") + xml.count(b"<c>"),
        )


def test_an_empty_workbook_column_adds_no_library_warning_to_the_terminal(package_factory) -> None:
    """fastexcel logs a warning for a column without a cell to type it by; the CLI's output is
    our sentences only."""
    import subprocess
    import sys

    pkg = package_factory()
    for case in pkg.tables["cases"]:
        case["region"] = ""
    path = pkg.write("xlsx", "empty-column")
    done = subprocess.run(
        [sys.executable, "-m", "evaluation", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dtype" not in done.stdout + done.stderr
    assert "no problems found" in done.stdout + done.stderr
