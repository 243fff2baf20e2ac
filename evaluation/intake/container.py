"""Opening a programme data package: `.xlsx` workbook, folder of CSVs, or `.zip` of CSVs.

This module decides what the file is (by its bytes, not only its ending), refuses hostile or
oversized files before anything heavy reads them, and hands back one ``SourceTable`` per table:
its normalised name, where its rows come from, and the header as written. Nothing here touches
the store.
"""

from __future__ import annotations

import csv
import hashlib
import io
import posixpath
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

import numpy as np
from babel.numbers import format_decimal

from evaluation.errors import PackageRefused, UnsafeFile
from evaluation.intake.limits import Limits
from evaluation.intake.problems import count
from evaluation.store.schema import TEMPLATE_HELPER_SHEETS
from evaluation.vocabulary import language
from evaluation.vocabulary.language import _, n_

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls / encrypted .xlsx
JUNK_FILES = {".ds_store", "thumbs.db", "desktop.ini"}
# Only cells have an ` r="` attribute starting with letters (rows have numbers only).
_CELL_COL = re.compile(rb" r=\"([A-Z]{1,4})\d")
_CELL_ROW = re.compile(rb" r=\"[A-Z]{1,4}(\d{7,})\"")  # rows of 7+ digits can exceed Excel's
# The cell references either of them can act on, found in one pass: two or more letters (a
# column beyond Z), or a row of 7+ digits. A sheet within Z and row 999 999 has none.
_CELL_WIDE = re.compile(rb" r=\"([A-Z]{2,4}\d+\"?|[A-Z]\d{7,}\")")
_LETTERS = re.compile(rb"[A-Z]+")
_DTD = re.compile(rb"<!(?i:doctype|entity)")


@dataclass
class SourceTable:
    """One table of the package as it arrived."""

    name: str
    """Table name as written (sheet name or file stem), trimmed."""
    label: str
    """How the user knows it: ``sheet "cases"`` or ``cases.csv``."""
    kind: Literal["csv", "sheet"]
    path: Path
    """The CSV file, or the workbook the sheet lives in."""
    sheet: str | None = None
    scanned: bool = True
    """False for a sheet whose part was not scanned for bombs (``_open_xlsx``): never read it."""


@dataclass
class OpenedPackage:
    source_name: str
    container: Literal["xlsx", "zip", "folder"]
    hash_source: str | Future[str]
    """The content hash, or the background computation of it (see ``content_hash``)."""
    tables: list[SourceTable] = field(default_factory=list)
    size_bytes: int = 0

    @property
    def content_hash(self) -> str:
        """SHA-256 of the package's content; a folder's is computed while its tables are read."""
        if isinstance(self.hash_source, Future):
            return self.hash_source.result()
        return self.hash_source


class TextHash:
    """SHA-256 of a CSV file's text as a person sees it: a UTF-8 byte-order mark at the start
    and Windows line ends (CR LF) do not count, so the same data exported again by a program
    that adds them is recognised as already loaded (not a new submission).

    Fed chunk by chunk; a CR at the end of a chunk waits for the next one, because it may be
    the first half of a CR LF split between chunks.
    """

    def __init__(self, h: hashlib._Hash) -> None:
        self.h = h
        self.start = True
        self.cr = False

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self.start:
            self.start = False
            if chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
        if self.cr:
            chunk = b"\r" + chunk
            self.cr = False
        if chunk.endswith(b"\r"):
            chunk, self.cr = chunk[:-1], True
        # a search for CR runs at memory speed; the copy of a replace is saved where none is
        self.h.update(chunk.replace(b"\r\n", b"\n") if b"\r" in chunk else chunk)

    def finish(self) -> None:
        if self.cr:
            self.h.update(b"\r")
            self.cr = False


def _sha256_file(path: Path, h: hashlib._Hash | None = None) -> hashlib._Hash:
    """``h`` updated with the text of the CSV file at ``path`` (see ``TextHash``)."""
    h = h or hashlib.sha256()
    text = TextHash(h)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(4 * 1024 * 1024), b""):
            text.feed(chunk)
    text.finish()
    return h


def _head(path: Path, n: int = 8) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)


def _megabytes(n: int) -> str:
    """A size as a person reads it, in the language of the moment: ``12 MB``, ``0.5 MB``."""
    lang = language.current()
    mb = n / 1024**2
    if mb >= 10:
        return _("{n} MB", n=format_decimal(round(mb), format="#,##0", locale=lang))
    if mb >= 0.01:
        return _("{n} MB", n=format_decimal(float(f"{mb:.2g}"), format="#,##0.##", locale=lang))
    return n_("{n} byte", "{n} bytes", n, n=format_decimal(n, format="#,##0", locale=lang))


def _refuse_size(label: str, size: int, limits: Limits) -> None:
    if size == 0:
        raise UnsafeFile(
            _("{label} is empty. Export the data again and upload the new file.", label=label)
        )
    if size > limits.max_file_bytes:
        raise UnsafeFile(
            _(
                "{label} is {size}, more than the limit of {limit}. Split the export by "
                "programme, or ask your administrator to raise EVALUATION_MAX_FILE_MB.",
                label=label,
                size=_megabytes(size),
                limit=_megabytes(limits.max_file_bytes),
            )
        )


def _check_zip_members(zf: zipfile.ZipFile, label: str, limits: Limits) -> None:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise UnsafeFile(
            _(
                "{label} holds {n} files, more than a package can have.",
                label=label,
                n=count(len(infos)),
            )
        )
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnsafeFile(
                _("{label} is password-protected. Save it without a password.", label=label)
            )
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 10 * 1024**2 and ratio > limits.max_compression_ratio:
            raise UnsafeFile(
                _(
                    "{label} contains a file that unpacks to {ratio} times its size (a zip "
                    "bomb). It was not opened.",
                    label=label,
                    ratio=count(round(ratio)),
                )
            )
    if total > limits.max_unpacked_bytes:
        raise UnsafeFile(
            _(
                "{label} unpacks to {size}, more than the limit of {limit}. It was not opened.",
                label=label,
                size=_megabytes(total),
                limit=_megabytes(limits.max_unpacked_bytes),
            )
        )


def _open_zip(path: Path, label: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise PackageRefused(
            _(
                "{label} is damaged or incomplete and cannot be opened. Export or download it "
                "again.",
                label=label,
            )
        ) from None


@contextmanager
def open_package(
    path: Path,
    limits: Limits | None = None,
    source_name: str | None = None,
    reads: Callable[[str], bool] | None = None,
) -> Iterator[OpenedPackage]:
    """Open a package and yield its tables; temporary files are removed afterwards.

    ``reads`` tells, by sheet name, which sheets of a workbook will be read (those of the
    format's tables): the others are not scanned for bombs, and are marked so.

    Raises ``UnsafeFile`` or ``PackageRefused`` with a sentence for the user when the file
    cannot be a package. Structural problems of a readable package (unknown sheets, missing
    tables) are left to validation, which reports all of them in one pass.
    """
    limits = limits or Limits.from_env()
    path = Path(path)
    label = source_name or path.name
    if not path.exists():
        raise PackageRefused(
            _("{label} does not exist. Check the path and try again.", label=label)
        )
    if path.is_dir():
        yield _open_folder(path, label, limits)
        return
    size = path.stat().st_size
    _refuse_size(label, size, limits)
    head = _head(path)
    suffix = path.suffix.lower()
    if suffix in {".xls", ".ods", ".xlsm", ".xlsb", ".numbers"}:
        raise PackageRefused(
            _(
                "{label} is a {ending} file. Save it as an Excel workbook (.xlsx) and upload that.",
                label=label,
                ending=suffix,
            )
        )
    if suffix == ".csv":
        raise PackageRefused(
            _(
                "{label} is a single CSV file. A package has one CSV per table (at least about, "
                "programmes and cases): put them into a folder or a .zip and upload that.",
                label=label,
            )
        )
    if suffix not in {".xlsx", ".zip"}:
        raise PackageRefused(
            _(
                "{label} is not a package. Upload an .xlsx workbook, a .zip of CSV files, or a "
                "folder of CSV files.",
                label=label,
            )
        )
    if head.startswith(OLE_MAGIC):
        raise PackageRefused(
            _(
                "{label} is not an .xlsx workbook inside (an old .xls or a password-protected "
                "file). Open it in Excel or LibreOffice, remove any password, and save as "
                ".xlsx.",
                label=label,
            )
        )
    if not head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        raise PackageRefused(
            _(
                "{label} is not really an .xlsx workbook: its content is of another kind. "
                "Export it again in the right format.",
                label=label,
            )
            if suffix == ".xlsx"
            else _(
                "{label} is not really a .zip file: its content is of another kind. Export it "
                "again in the right format.",
                label=label,
            )
        )
    if suffix == ".xlsx":
        yield _open_xlsx(path, label, limits, size, reads)
        return
    with tempfile.TemporaryDirectory(prefix="evaluation-zip-") as tmp:
        yield _open_zip_csvs(path, label, limits, Path(tmp), size)


def _open_folder(path: Path, label: str, limits: Limits) -> OpenedPackage:
    files = sorted(p for p in path.iterdir() if p.is_file())
    csvs = [p for p in files if p.suffix.lower() == ".csv"]
    others = [
        p
        for p in files
        if p.suffix.lower() != ".csv"
        and p.name.lower() not in JUNK_FILES
        and not p.name.startswith(".")
    ]
    if others:
        raise PackageRefused(
            n_(
                "{label} holds {n} file that is not a CSV table. A package folder holds only "
                "one <table>.csv per table; move the other files out.",
                "{label} holds {n} files that are not CSV tables. A package folder holds only "
                "one <table>.csv per table; move the other files out.",
                len(others),
                label=label,
                n=count(len(others)),
            )
        )
    if not csvs:
        raise PackageRefused(
            _(
                "{label} holds no CSV files. A package folder holds one <table>.csv per table.",
                label=label,
            )
        )
    size = sum(p.stat().st_size for p in csvs)
    _refuse_size(label, size, limits)

    def digest() -> str:
        h = hashlib.sha256()
        for p in csvs:
            h.update(p.stem.strip().lower().encode() + b"\0")
            _sha256_file(p, h)
        return h.hexdigest()

    # hashlib releases the GIL, so hashing runs beside DuckDB reading the same files.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="package-hash")
    future = pool.submit(digest)
    pool.shutdown(wait=False)
    tables = [SourceTable(p.stem.strip(), p.name, "csv", p) for p in csvs]
    return OpenedPackage(label, "folder", future, tables, size)


def _open_zip_csvs(path: Path, label: str, limits: Limits, tmp: Path, size: int) -> OpenedPackage:
    with _open_zip(path, label) as zf:
        _check_zip_members(zf, label, limits)
        members = []
        for info in zf.infolist():
            p = PurePosixPath(info.filename)
            if (
                info.is_dir()
                or "__MACOSX" in p.parts
                or p.name.lower() in JUNK_FILES
                or p.name.startswith(".")
            ):
                continue
            if p.is_absolute() or ".." in p.parts:
                raise UnsafeFile(
                    _(
                        "{label} contains a file with an unsafe path. It was not opened.",
                        label=label,
                    )
                )
            members.append((info, p))
        folders = {p.parent for _, p in members}
        if len(folders) > 1:
            raise PackageRefused(
                _(
                    "{label} holds files in several folders. Put every <table>.csv at the top "
                    "of the zip (or all in one folder).",
                    label=label,
                )
            )
        not_csv = [p for _info, p in members if p.suffix.lower() != ".csv"]
        if not_csv:
            raise PackageRefused(
                n_(
                    "{label} holds {n} file that is not a CSV table (e.g. a nested zip or a "
                    "document). A package zip holds only one <table>.csv per table.",
                    "{label} holds {n} files that are not CSV tables (e.g. a nested zip or a "
                    "document). A package zip holds only one <table>.csv per table.",
                    len(not_csv),
                    label=label,
                    n=count(len(not_csv)),
                )
            )
        if not members:
            raise PackageRefused(
                _("{label} holds no CSV files. Zip one <table>.csv per table.", label=label)
            )
        h = hashlib.sha256()
        tables = []
        budget = limits.max_unpacked_bytes
        for i, (info, p) in enumerate(sorted(members, key=lambda m: m[1].name)):
            target = tmp / f"{i:03d}.csv"
            h.update(p.stem.strip().lower().encode() + b"\0")
            text = TextHash(h)
            try:
                with zf.open(info) as src, target.open("wb") as dst:
                    while chunk := src.read(4 * 1024 * 1024):
                        budget -= len(chunk)
                        if budget < 0:
                            raise UnsafeFile(
                                _("{label} unpacks to more than the size limit.", label=label)
                            )
                        text.feed(chunk)
                        dst.write(chunk)
                text.finish()
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
                if isinstance(exc, UnsafeFile):
                    raise
                raise PackageRefused(
                    _(
                        "{label} is damaged or incomplete: {member} cannot be unpacked. Create "
                        "the zip again.",
                        label=label,
                        member=p.name,
                    )
                ) from None
            tables.append(SourceTable(p.stem.strip(), p.name, "csv", target))
    return OpenedPackage(label, "zip", h.hexdigest(), tables, size)


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


class _SheetScan:
    """Counts rows, cells and the largest cell reference of a worksheet's XML, chunk by chunk.

    A sheet with one cell in A1 and one in XFD1048576 would make a dense reader allocate
    billions of cells; the limits are checked on this stream before any reader sees the sheet.

    Tags are counted with numpy (a byte comparison over the chunk, then a look at the bytes
    after each ``<``: five times faster than ``bytes.count``). Not ``exact``, only references
    beyond column Z or of a 7-digit row are matched, found the same way (the bytes after each
    ``r="``): a sheet of columns A to Z is within any column limit of 26 or more, so
    ``max_col`` is then exact only above 26; a refusal that names it counts again, exactly.
    """

    def __init__(self, exact: bool = True) -> None:
        self.max_col = self.max_row = self.rows = self.cells = 0
        self.tail = b""
        self.exact = exact

    def feed(self, chunk: bytes) -> None:
        buf = self.tail + chunk
        cut = buf.rfind(b"<")
        body, self.tail = (buf[:cut], buf[cut:]) if cut > 0 else (buf, b"")
        self._count(body)

    def _count(self, body: bytes) -> None:
        n = len(body)
        a = np.frombuffer(body + bytes(16), np.uint8)  # room to look past the end
        lt = np.flatnonzero(a[:n] == ord("<"))
        after, then = a[lt + 1], a[lt + 2]
        closed = (then == ord(" ")) | (then == ord(">"))
        self.cells += int(np.count_nonzero((after == ord("c")) & closed))  # "<c " and "<c>"
        r = lt[after == ord("r")]
        end = a[r + 4]
        self.rows += int(
            np.count_nonzero(
                (a[r + 2] == ord("o"))
                & (a[r + 3] == ord("w"))
                & ((end == ord(" ")) | (end == ord(">")))
            )
        )
        if self.exact:
            for col in set(_CELL_COL.findall(body)):
                self.max_col = max(self.max_col, _col_index(col))
            rows = _CELL_ROW.findall(body)
            if rows:
                self.max_row = max(self.max_row, max(map(int, rows)))
            return
        q = np.flatnonzero(a[:n] == ord('"'))
        q = q[q >= 3]
        q = q[(a[q - 1] == ord("=")) & (a[q - 2] == ord("r")) & (a[q - 3] == ord(" "))]
        second, seventh = a[q + 2], a[q + 8]  # after the quote: 2nd letter, 7th row digit
        wide = (second >= ord("A")) & (second <= ord("Z"))
        tall = (seventh >= ord("0")) & (seventh <= ord("9"))
        for quote in q[wide | tall].tolist():
            close = body.find(b'"', quote + 1)
            for ref in _CELL_WIDE.findall(body[quote - 3 : close + 1 if close >= 0 else n]):
                letters = _LETTERS.match(ref)
                if letters and len(letters.group()) > 1:
                    self.max_col = max(self.max_col, _col_index(letters.group()))
                rows = _CELL_ROW.findall(b' r="' + ref)
                if rows:
                    self.max_row = max(self.max_row, int(rows[0]))

    def finish(
        self, label: str, limits: Limits, exact: Callable[[], _SheetScan] | None = None
    ) -> None:
        """Refuse the sheet if it breaks a limit; ``exact`` scans it again exactly (for the
        number of columns a refusal names, when this scan was not exact)."""
        self._count(self.tail)
        if (
            self.max_col > limits.max_xlsx_columns
            or self.cells > max(self.rows, 1) * limits.max_xlsx_columns
        ):
            if not self.exact and self.max_col <= 26 and exact is not None:
                self.max_col = exact().max_col
            raise UnsafeFile(
                _(
                    "{label} has a sheet with {n} columns, far more than any table has. Delete "
                    "the unused columns (or copy the data into the blank template) and try again.",
                    label=label,
                    n=count(self.max_col),
                )
            )
        if max(self.max_row, self.rows) > limits.max_xlsx_rows:
            raise UnsafeFile(
                _(
                    "{label} has a sheet with more rows than Excel allows. It was not read.",
                    label=label,
                )
            )


def _open_xlsx(
    path: Path, label: str, limits: Limits, size: int, reads: Callable[[str], bool] | None
) -> OpenedPackage:
    """Check a workbook's parts in one streaming pass, then list its sheets.

    Each part is read once: XML parts must not declare entities, worksheets are scanned for
    sparse-cell bombs, and the content hash covers the data parts only, not ``docProps/``
    (author and save time), so the same data saved twice is recognised as already loaded.
    A worksheet no reader will read (a sheet for which ``reads`` is false: the template's
    helper sheets, a sheet that is not a table) is not scanned; its ``SourceTable`` says so.
    """
    h = hashlib.sha256()
    unread: set[str] = set()
    with _open_zip(path, label) as zf:
        _check_zip_members(zf, label, limits)
        names = {i.filename for i in zf.infolist()}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise PackageRefused(
                _(
                    "{label} is a zip file but not an Excel workbook. Save the data as .xlsx.",
                    label=label,
                )
            )
        try:
            parts = _sheet_parts(zf)
            if parts is not None:
                read = {part for sheet, part in parts if _is_read(sheet, reads)}
                unread = {part for _sheet, part in parts} - read
            for info in sorted(zf.infolist(), key=lambda i: i.filename):
                if not info.is_dir():
                    _check_part(zf, info, label, limits, h, info.filename not in unread)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as exc:
            if isinstance(exc, UnsafeFile):
                raise
            raise PackageRefused(
                _(
                    "{label} is damaged or incomplete and cannot be read. Save it again from "
                    "Excel or LibreOffice.",
                    label=label,
                )
            ) from None
    sheet_names = _sheet_names(path, label)
    tables = [
        SourceTable(
            name.strip(),
            _('sheet "{name}"', name=name.strip()),
            "sheet",
            path,
            sheet=name,
            scanned=not unread or _is_read(name, reads),
        )
        for name in sheet_names
        if name.strip().lower() not in TEMPLATE_HELPER_SHEETS
    ]
    return OpenedPackage(label, "xlsx", h.hexdigest(), tables, size)


def _is_read(sheet: str, reads: Callable[[str], bool] | None) -> bool:
    """Whether a sheet of this name is read: every sheet but the template's helper sheets,
    unless ``reads`` says which."""
    if sheet.strip().lower() in TEMPLATE_HELPER_SHEETS:
        return False
    return reads is None or reads(sheet.strip())


_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str]] | None:
    """(sheet name, worksheet part) of every sheet, as a reader finds them (``xl/workbook.xml``
    and its relationships), or ``None`` when they cannot be told for sure (then every
    worksheet is scanned)."""
    from defusedxml import ElementTree

    try:
        texts = []
        for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            info = zf.getinfo(name)
            if info.file_size > 8 * 1024 * 1024:
                return None
            texts.append(zf.read(info))
        if any(_DTD.search(t) for t in texts):
            return None  # refused by the pass over every part
        book, rels = (ElementTree.fromstring(t) for t in texts)
        targets = {
            r.get("Id"): r.get("Target", "") for r in rels if r.tag.endswith("}Relationship")
        }
        members = {i.filename for i in zf.infolist()}
        parts = []
        for el in book.iter():
            if el.tag.endswith("}sheet"):
                target = targets.get(el.get(_REL))
                if not target or el.get("name") is None:
                    return None
                target = target.replace("\\", "/")
                path = posixpath.normpath(target[1:] if target[0] == "/" else "xl/" + target)
                if path not in members:  # a reader may find it another way: scan everything
                    return None
                parts.append((str(el.get("name")), path))
        if len({p.lower() for _s, p in parts}) < len({p for _s, p in parts}):
            return None  # parts that differ only in case: which is read is not sure
        return parts
    except Exception:  # a damaged workbook: the pass over every part says so
        return None


def _check_part(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    label: str,
    limits: Limits,
    h: hashlib._Hash,
    scanned: bool = True,
) -> None:
    """Check one part of a workbook (and add it to the content hash ``h``); a worksheet that
    is read (``scanned``) is scanned for sparse-cell bombs."""
    name = info.filename
    is_xml = name.endswith((".xml", ".rels", ".vml"))
    hashed = not name.startswith("docProps/")
    sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
    scan = _SheetScan(limits.max_xlsx_columns < 26) if sheet and scanned else None
    if hashed:
        h.update(name.encode() + b"\0")
    tail = b""
    with zf.open(info) as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            if is_xml:
                if _DTD.search(tail + chunk):
                    raise UnsafeFile(
                        _(
                            "{label} contains XML entity declarations, which workbooks saved by "
                            "Excel or LibreOffice never have (an XML bomb). It was not read.",
                            label=label,
                        )
                    )
                tail = chunk[-16:]
            if hashed:
                h.update(chunk)
            if scan is not None:
                scan.feed(chunk)
    if scan is not None:
        scan.finish(label, limits, lambda: _exact_scan(zf, info))


def _exact_scan(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> _SheetScan:
    """A worksheet scanned again, matching every cell reference (for a refusal's numbers)."""
    scan = _SheetScan(exact=True)
    with zf.open(info) as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            scan.feed(chunk)
    scan._count(scan.tail)
    return scan


def _sheet_names(path: Path, label: str) -> list[str]:
    import python_calamine

    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        return list(wb.sheet_names)
    except Exception:  # calamine raises its own error types for every kind of damage
        raise PackageRefused(
            _(
                "{label} is damaged or incomplete and cannot be read. Save it again from Excel "
                "or LibreOffice and upload the new file.",
                label=label,
            )
        ) from None


def read_csv_header(table: SourceTable) -> list[str]:
    """The header row of a CSV table, decoded as UTF-8 (a BOM is allowed)."""
    with table.path.open("rb") as fh:
        raw = fh.read(1024 * 1024)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PackageRefused(_encoding_sentence(table.label, "UTF-16"))
    if b"\0" in raw:
        raise PackageRefused(
            _(
                "{label} is not a text file. Export the table as CSV (UTF-8) again.",
                label=table.label,
            )
        )
    if not raw.strip():
        return []
    text = raw.decode("utf-8-sig", errors="strict") if _utf8(raw) else None
    if text is None:
        raise PackageRefused(encoding_sentence(table.label))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return next(reader)
    except (StopIteration, csv.Error):
        return []


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8-sig")
        return True
    except UnicodeDecodeError as exc:
        # The 1 MB sample may cut a multi-byte character at its end.
        return exc.start >= len(raw) - 4


def _encoding_sentence(label: str, found: str) -> str:
    return _(
        "{label} is not saved as UTF-8 ({found}). In Excel choose File › Save As › "
        '"CSV UTF-8 (comma delimited)"; in LibreOffice tick "Edit filter settings" and '
        'pick "Unicode (UTF-8)"; then upload again.',
        label=label,
        found=found,
    )


def encoding_sentence(label: str) -> str:
    return _encoding_sentence(label, _("another encoding"))
