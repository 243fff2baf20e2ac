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
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from evaluation.errors import PackageRefused, UnsafeFile
from evaluation.intake.limits import Limits
from evaluation.store.schema import TEMPLATE_HELPER_SHEETS

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls / encrypted .xlsx
JUNK_FILES = {".ds_store", "thumbs.db", "desktop.ini"}
# Only cells have an ` r="` attribute starting with letters (rows have numbers only).
_CELL_COL = re.compile(rb" r=\"([A-Z]{1,4})\d")
_CELL_ROW = re.compile(rb" r=\"[A-Z]{1,4}(\d{7,})\"")  # rows of 7+ digits can exceed Excel's
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
        self.h.update(chunk.replace(b"\r\n", b"\n"))

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
    mb = n / 1024**2
    return f"{mb:,.0f} MB" if mb >= 10 else f"{mb:,.2g} MB" if mb >= 0.01 else f"{n:,} bytes"


def _refuse_size(label: str, size: int, limits: Limits) -> None:
    if size == 0:
        raise UnsafeFile(f"{label} is empty. Export the data again and upload the new file.")
    if size > limits.max_file_bytes:
        raise UnsafeFile(
            f"{label} is {_megabytes(size)}, more than the limit of "
            f"{_megabytes(limits.max_file_bytes)}. Split the export by programme, or ask "
            "your administrator to raise EVALUATION_MAX_FILE_MB."
        )


def _check_zip_members(zf: zipfile.ZipFile, label: str, limits: Limits) -> None:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise UnsafeFile(f"{label} holds {len(infos):,} files, more than a package can have.")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnsafeFile(f"{label} is password-protected. Save it without a password.")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 10 * 1024**2 and ratio > limits.max_compression_ratio:
            raise UnsafeFile(
                f"{label} contains a file that unpacks to {ratio:,.0f} times its size "
                "(a zip bomb). It was not opened."
            )
    if total > limits.max_unpacked_bytes:
        raise UnsafeFile(
            f"{label} unpacks to {_megabytes(total)}, more than the limit of "
            f"{_megabytes(limits.max_unpacked_bytes)}. It was not opened."
        )


def _open_zip(path: Path, label: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise PackageRefused(
            f"{label} is damaged or incomplete and cannot be opened ({type(exc).__name__}). "
            "Export or download it again."
        ) from None


@contextmanager
def open_package(
    path: Path, limits: Limits | None = None, source_name: str | None = None
) -> Iterator[OpenedPackage]:
    """Open a package and yield its tables; temporary files are removed afterwards.

    Raises ``UnsafeFile`` or ``PackageRefused`` with a sentence for the user when the file
    cannot be a package. Structural problems of a readable package (unknown sheets, missing
    tables) are left to validation, which reports all of them in one pass.
    """
    limits = limits or Limits.from_env()
    path = Path(path)
    label = source_name or path.name
    if not path.exists():
        raise PackageRefused(f"{label} does not exist. Check the path and try again.")
    if path.is_dir():
        yield _open_folder(path, label, limits)
        return
    size = path.stat().st_size
    _refuse_size(label, size, limits)
    head = _head(path)
    suffix = path.suffix.lower()
    if suffix in {".xls", ".ods", ".xlsm", ".xlsb", ".numbers"}:
        raise PackageRefused(
            f"{label} is a {suffix} file. Save it as an Excel workbook (.xlsx) and upload that."
        )
    if suffix == ".csv":
        raise PackageRefused(
            f"{label} is a single CSV file. A package has one CSV per table (at least about, "
            "programmes and cases): put them into a folder or a .zip and upload that."
        )
    if suffix not in {".xlsx", ".zip"}:
        raise PackageRefused(
            f"{label} is not a package. Upload an .xlsx workbook, a .zip of CSV files, or a "
            "folder of CSV files."
        )
    if head.startswith(OLE_MAGIC):
        raise PackageRefused(
            f"{label} is not an .xlsx workbook inside (an old .xls or a password-protected "
            "file). Open it in Excel or LibreOffice, remove any password, and save as .xlsx."
        )
    if not head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        raise PackageRefused(
            f"{label} is not really a{'n .xlsx workbook' if suffix == '.xlsx' else ' .zip file'}:"
            " its content is of another kind. Export it again in the right format."
        )
    if suffix == ".xlsx":
        yield _open_xlsx(path, label, limits, size)
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
            f"{label} holds {len(others)} file(s) that are not CSV tables. A package folder "
            "holds only one <table>.csv per table; move the other files out."
        )
    if not csvs:
        raise PackageRefused(
            f"{label} holds no CSV files. A package folder holds one <table>.csv per table."
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
                raise UnsafeFile(f"{label} contains a file with an unsafe path. It was not opened.")
            members.append((info, p))
        folders = {p.parent for _, p in members}
        if len(folders) > 1:
            raise PackageRefused(
                f"{label} holds files in several folders. Put every <table>.csv at the top of "
                "the zip (or all in one folder)."
            )
        not_csv = [p for _, p in members if p.suffix.lower() != ".csv"]
        if not_csv:
            raise PackageRefused(
                f"{label} holds {len(not_csv)} file(s) that are not CSV tables (e.g. a nested "
                "zip or a document). A package zip holds only one <table>.csv per table."
            )
        if not members:
            raise PackageRefused(f"{label} holds no CSV files. Zip one <table>.csv per table.")
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
                            raise UnsafeFile(f"{label} unpacks to more than the size limit.")
                        text.feed(chunk)
                        dst.write(chunk)
                text.finish()
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
                if isinstance(exc, UnsafeFile):
                    raise
                raise PackageRefused(
                    f"{label} is damaged or incomplete: {p.name} cannot be unpacked. "
                    "Create the zip again."
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
    """

    def __init__(self) -> None:
        self.max_col = self.max_row = self.rows = self.cells = 0
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        buf = self.tail + chunk
        cut = buf.rfind(b"<")
        body, self.tail = (buf[:cut], buf[cut:]) if cut > 0 else (buf, b"")
        self._count(body)

    def _count(self, body: bytes) -> None:
        self.rows += body.count(b"<row ") + body.count(b"<row>")
        self.cells += body.count(b"<c ") + body.count(b"<c>")
        for col in set(_CELL_COL.findall(body)):
            self.max_col = max(self.max_col, _col_index(col))
        rows = _CELL_ROW.findall(body)
        if rows:
            self.max_row = max(self.max_row, max(map(int, rows)))

    def finish(self, label: str, limits: Limits) -> None:
        self._count(self.tail)
        if (
            self.max_col > limits.max_xlsx_columns
            or self.cells > max(self.rows, 1) * limits.max_xlsx_columns
        ):
            raise UnsafeFile(
                f"{label} has a sheet with {self.max_col:,} columns, far more than any table "
                "has. Delete the unused columns (or copy the data into the blank template) and "
                "try again."
            )
        if max(self.max_row, self.rows) > limits.max_xlsx_rows:
            raise UnsafeFile(
                f"{label} has a sheet with more rows than Excel allows. It was not read."
            )


def _open_xlsx(path: Path, label: str, limits: Limits, size: int) -> OpenedPackage:
    """Check a workbook's parts in one streaming pass, then list its sheets.

    Each part is read once: XML parts must not declare entities, worksheets are scanned for
    sparse-cell bombs, and the content hash covers the data parts only, not ``docProps/``
    (author and save time), so the same data saved twice is recognised as already loaded.
    """
    h = hashlib.sha256()
    with _open_zip(path, label) as zf:
        _check_zip_members(zf, label, limits)
        names = {i.filename for i in zf.infolist()}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise PackageRefused(
                f"{label} is a zip file but not an Excel workbook. Save the data as .xlsx."
            )
        try:
            for info in sorted(zf.infolist(), key=lambda i: i.filename):
                if not info.is_dir():
                    _check_part(zf, info, label, limits, h)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as exc:
            if isinstance(exc, UnsafeFile):
                raise
            raise PackageRefused(
                f"{label} is damaged or incomplete and cannot be read. Save it again from Excel "
                "or LibreOffice."
            ) from None
    sheet_names = _sheet_names(path, label)
    tables = [
        SourceTable(name.strip(), f'sheet "{name.strip()}"', "sheet", path, sheet=name)
        for name in sheet_names
        if name.strip().lower() not in TEMPLATE_HELPER_SHEETS
    ]
    return OpenedPackage(label, "xlsx", h.hexdigest(), tables, size)


def _check_part(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, limits: Limits, h: hashlib._Hash
) -> None:
    name = info.filename
    is_xml = name.endswith((".xml", ".rels", ".vml"))
    hashed = not name.startswith("docProps/")
    scan = _SheetScan() if name.startswith("xl/worksheets/") and name.endswith(".xml") else None
    if hashed:
        h.update(name.encode() + b"\0")
    tail = b""
    with zf.open(info) as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            if is_xml:
                if _DTD.search(tail + chunk):
                    raise UnsafeFile(
                        f"{label} contains XML entity declarations, which workbooks saved by "
                        "Excel or LibreOffice never have (an XML bomb). It was not read."
                    )
                tail = chunk[-16:]
            if hashed:
                h.update(chunk)
            if scan is not None:
                scan.feed(chunk)
    if scan is not None:
        scan.finish(label, limits)


def _sheet_names(path: Path, label: str) -> list[str]:
    import python_calamine

    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        return list(wb.sheet_names)
    except Exception:  # calamine raises its own error types for every kind of damage
        raise PackageRefused(
            f"{label} is damaged or incomplete and cannot be read. Save it again from Excel or "
            "LibreOffice and upload the new file."
        ) from None


def read_csv_header(table: SourceTable) -> list[str]:
    """The header row of a CSV table, decoded as UTF-8 (a BOM is allowed)."""
    with table.path.open("rb") as fh:
        raw = fh.read(1024 * 1024)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PackageRefused(_encoding_sentence(table.label, "UTF-16"))
    if b"\0" in raw:
        raise PackageRefused(
            f"{table.label} is not a text file. Export the table as CSV (UTF-8) again."
        )
    if not raw.strip():
        return []
    text = raw.decode("utf-8-sig", errors="strict") if _utf8(raw) else None
    if text is None:
        raise PackageRefused(_encoding_sentence(table.label, "another encoding"))
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
    return (
        f"{label} is not saved as UTF-8 ({found}). In Excel choose File › Save As › "
        '"CSV UTF-8 (comma delimited)"; in LibreOffice tick "Edit filter settings" and '
        'pick "Unicode (UTF-8)"; then upload again.'
    )


def encoding_sentence(label: str) -> str:
    return _encoding_sentence(label, "another encoding")
