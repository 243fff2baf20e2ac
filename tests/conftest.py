"""Shared fixtures: the minimal package, a builder for mutated packages, and stores.

``package_factory()`` copies the minimal fixture into ``tmp_path``; a test changes tables as lists
of dicts (``pkg.tables["cases"]``) or replaces a whole file with raw text/bytes (``pkg.raw``),
then writes it as a folder, a ``.zip`` or an ``.xlsx`` workbook (date columns as real date cells).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from evaluation.intake.ingest import ingest
from evaluation.store import database, schema
from evaluation.store.database import Store

os.environ["EVALUATION_LANGUAGE"] = "en"
"""The command line speaks English in the tests whatever the machine's locale (a developer's
``LANG=de_DE.UTF-8``), and so do the commands they start; a test of another language says so
(``--lang de``, or its own environment: ``tests/test_cli_language.py``)."""

ORACLE = Path(__file__).parent / "fixtures" / "oracle"
MINIMAL = Path(__file__).parent / "fixtures" / "minimal"
ORACLE_RELEASED = ",".join(
    [
        *(f"{y}-Q{q}" for y in (2023, 2024, 2025) for q in (1, 2, 3, 4)),
        *(f"{y}-H{h}" for y in (2023, 2024, 2025) for h in (1, 2)),
        "2023,2024,2025,FY2023-04,FY2024-04",
        "2025-04-01..2025-09-30,2024-09-30..2025-03-31",
    ]
)
"""The periods the oracle store's organisation approves (``oracle_db``): every period the
tests of shared figures, reports and pages read it for, with the periods before and the trends."""

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


def assert_page_ok(at: Any, where: str = "") -> None:
    """Fail when a page run by Streamlit's AppTest raised, or showed an ``st.error``.

    Pages translate the package's exceptions into ``st.error`` sentences, so ``at.exception``
    alone misses a page that failed politely. The message names each exception and error with
    its text (``where``, e.g. the page, says which run it was). A test that expects an error on
    purpose asserts that error itself instead.
    """
    found = [f"exception: {e.value}" for e in at.exception]
    found += [f"st.error: {e.value}" for e in at.error]
    assert not found, (f"{where}: " if where else "") + "\n".join(found)


def page_in_language(page: Path, user: str, lang: str, timeout: float = 300) -> Any:
    """Streamlit's AppTest of the dashboard page ``page`` (a file of ``evaluation/app/pages``),
    run as ``user`` with ``lang`` the language of the run: set in the script's own thread, as
    the dashboard sets it per run. AppTest formats the options of a picker in the test's
    thread: read them within ``using(lang)`` too. Fails when the page raised or showed an
    error (``assert_page_ok``)."""
    from streamlit.testing.v1 import AppTest

    from evaluation.app import session

    script = (
        "import runpy\n"
        "from evaluation.vocabulary.language import set_language\n"
        f"set_language({lang!r})\n"
        f"runpy.run_path({str(page)!r}, run_name='__main__')\n"
    )
    at = AppTest.from_string(script, default_timeout=timeout)
    at.session_state[session.USER_KEY] = user
    at.run()
    assert_page_ok(at, f"{page.stem} as {user} in {lang}")
    return at


def store_at_schema(path: Path, version: int) -> None:
    """Create the store file ``path`` as a platform that knew schema ``version`` left it: the
    real migrations up to that version, none after (to test what opening an old store does)."""
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP "
            "NOT NULL)"
        )
        for v in range(1, version + 1):
            for stmt in database.MIGRATIONS[v]():
                conn.execute(stmt)
            conn.execute("INSERT INTO schema_migrations VALUES (?, now())", [v])


def copy_store(db: Path, to: Path) -> Path:
    """A copy of the store ``db`` to change freely: the file with its write-ahead log (a cached
    store may hold it open) and its pseudonym secret."""
    to.write_bytes(db.read_bytes())
    for suffix in (".wal", ".secret"):
        extra = db.with_name(db.name + suffix)
        if extra.exists():
            to.with_name(to.name + suffix).write_bytes(extra.read_bytes())
    return to


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
        approve_releases(s, ORACLE_RELEASED)
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


def approve_releases(store: Store, periods: str | None = None) -> list[Any]:
    """Approve, as the local operator, one release per organisation of every programme in
    ``store`` for ``periods`` (a ``SPEC``; default: the periods the dashboard shows first, as
    the demo approves them), so tests of the shared audience have releases to read."""
    from evaluation.demo.releases import approve_demo
    from evaluation.periods import parse_periods
    from evaluation.sharing.releases import approve_each
    from evaluation.store.users import OPERATOR

    if periods is None:
        return approve_demo(store)
    programmes = [
        r[0]
        for r in store.cursor()
        .execute("SELECT programme_id FROM current_programmes ORDER BY 1")
        .fetchall()
    ]
    return approve_each(store, programmes, parse_periods(periods), actor=OPERATOR)


def first_report_choice(programme: str, template_id: str = "standard") -> tuple[Any, Any, Any, str]:
    """What the Reports page offers first for ``programme`` of the store in ``EVALUATION_DB``,
    seen by everyone's scope, with the dashboard's caches emptied first: (scope, template,
    period, data version), the arguments of ``state.report`` and ``state.report_pack_later``."""
    from evaluation.app import state
    from evaluation.reports.spec import period_choices
    from evaluation.store.access import Scope

    state.clear_caches()
    scope = Scope.everything()
    template = state.report_templates().get(template_id)
    programmes = state.programmes_in_scope(scope)
    info = programmes[programmes["programme_id"] == programme].iloc[0]
    period = period_choices(template, info["data_as_of"], info["first_date"])[0]
    return scope, template, period, state.data_version()
