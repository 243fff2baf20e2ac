"""Shared fixtures: the minimal package, a builder for mutated packages, and stores.

``package_factory()`` copies the minimal fixture into ``tmp_path``; a test changes tables as lists
of dicts (``pkg.tables["cases"]``) or replaces a whole file with raw text/bytes (``pkg.raw``),
then writes it as a folder, a ``.zip`` or an ``.xlsx`` workbook (date columns as real date cells).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from evaluation.intake.ingest import ingest
from evaluation.store import schema
from evaluation.store.database import Store

ORACLE = Path(__file__).parent / "fixtures" / "oracle"
MINIMAL = Path(__file__).parent / "fixtures" / "minimal"

Row = dict[str, object]


def read_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def csv_text(rows: list[Row], header: list[str] | None = None) -> str:
    """Rows as CSV text; the header is the union of the rows' keys in order of appearance."""
    if header is None:
        header = list(dict.fromkeys(k for r in rows for k in r))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows([["" if r.get(c) is None else r.get(c) for c in header] for r in rows])
    return out.getvalue()


def _cell(table: str, column: str, value: object) -> object:
    """The cell an Excel user would type: real dates in date columns, numbers in number ones."""
    reg = schema.TABLES_BY_NAME.get(table.strip().lower())
    try:
        col = reg.column(column.strip().lower()) if reg else None
    except KeyError:
        col = None
    if not isinstance(value, str) or col is None:
        return value
    if col.type == "date":
        try:
            return dt.date.fromisoformat(value) if len(value) == 10 else value
        except ValueError:
            return value
    if col.type in ("integer", "decimal"):
        try:
            return int(value) if col.type == "integer" else float(value)
        except ValueError:
            return value
    return value


@dataclass
class PackageBuilder:
    root: Path
    tables: dict[str, list[Row]] = field(default_factory=dict)
    raw: dict[str, str | bytes] = field(default_factory=dict)
    """Table name → the whole CSV file as written (wins over ``tables``)."""

    def add(self, table: str, **values: object) -> int:
        """Append a row; returns its row number as problems report it (header = row 1)."""
        rows = self.tables.setdefault(table, [])
        rows.append(values)
        return len(rows) + 1

    def drop(self, table: str) -> None:
        self.tables.pop(table, None)
        self.raw.pop(table, None)

    def files(self) -> dict[str, bytes]:
        out = {n: csv_text(rows).encode("utf-8") for n, rows in self.tables.items()}
        for n, content in self.raw.items():
            out[n] = content.encode("utf-8") if isinstance(content, str) else content
        return out

    def write(self, kind: str = "folder", name: str = "package") -> Path:
        if kind == "folder":
            path = self.root / name
            path.mkdir(parents=True)
            for n, data in self.files().items():
                (path / f"{n}.csv").write_bytes(data)
        elif kind == "zip":
            path = self.root / f"{name}.zip"
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                for n, data in self.files().items():
                    zf.writestr(f"{n}.csv", data)
        elif kind == "xlsx":
            path = self.root / f"{name}.xlsx"
            self._write_xlsx(path)
        else:
            raise ValueError(kind)
        return path

    def _write_xlsx(self, path: Path) -> None:
        import openpyxl

        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        sheets: dict[str, list[list[object]]] = {}
        for n, rows in self.tables.items():
            header = list(dict.fromkeys(k for r in rows for k in r))
            sheets[n] = [header, *[[_cell(n, c, r.get(c)) for c in header] for r in rows]]
        for n, content in self.raw.items():
            text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
            sheets[n] = [list(r) for r in csv.reader(io.StringIO(text))]
        for n, cells in sheets.items():
            ws = wb.create_sheet(n)
            for r in cells:
                ws.append([None if v == "" else v for v in r])
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, dt.datetime):
                        c.number_format = "yyyy-mm-dd hh:mm"
                    elif isinstance(c.value, dt.date):
                        c.number_format = "yyyy-mm-dd"
        wb.save(path)


def builder_from_minimal(root: Path) -> PackageBuilder:
    root.mkdir(parents=True, exist_ok=True)
    return PackageBuilder(root, {p.stem: read_rows(p) for p in sorted(MINIMAL.glob("*.csv"))})


@pytest.fixture
def minimal_dir() -> Path:
    return MINIMAL


@pytest.fixture
def package_factory(tmp_path: Path) -> Callable[[], PackageBuilder]:
    count = iter(range(1_000_000))
    return lambda: builder_from_minimal(tmp_path / f"pkg{next(count)}")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "store.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="session")
def loaded_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store holding the minimal package; shared, so tests must leave it unchanged."""
    s = Store.open(tmp_path_factory.mktemp("loaded") / "store.duckdb")
    result = ingest(MINIMAL, s)
    assert result.status == "loaded", result.sentence()
    yield s
    s.close()


@pytest.fixture(scope="session")
def oracle_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file holding the hand-made oracle package; open it read-only (shared)."""
    path = tmp_path_factory.mktemp("oracle") / "store.duckdb"
    with Store.open(path) as s:
        result = ingest(ORACLE, s)
        assert result.status == "loaded", result.sentence()
    return path


@pytest.fixture(scope="session")
def report_templates():  # -> evaluation.reports.spec.Templates
    from evaluation.reports.spec import load_templates

    return load_templates()


@pytest.fixture(scope="session")
def oracle_store(oracle_db: Path) -> Iterator[Store]:
    """The oracle store, opened read-only once for every test that reads it."""
    with Store.open(oracle_db, read_only=True) as s:
        yield s
