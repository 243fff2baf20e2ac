"""Storage failures happen for real and end in a sentence, with the store as it was.

Nothing is mocked: a full disk is a small tmpfs filled to the last byte, a read-only file
system is that tmpfs remounted read-only, a missing permission is a folder or file without
write permission used by a process that file modes bind (root normally ignores them, so as
root the command runs without the capabilities that let it: the interpreter lives under
``/root``, which an unprivileged user could not even run), and a store from a newer version
is a store whose schema record is one ahead. Each command runs as ``python -m evaluation`` in
a subprocess; each test asserts the exit status, the sentence, that no traceback was shown
and that the store is unchanged afterwards. Mounting needs root; where it is not permitted
the tests that need it are skipped and say why.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from evaluation.intake.ingest import ingest
from evaluation.store.database import SCHEMA_VERSION, Store, secret_path
from tests.conftest import MINIMAL, builder_from_minimal, store_at_schema

ROOT = Path(__file__).resolve().parents[1]
WITHOUT_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"]
"""Run as root without the capabilities that ignore file modes (see the module docstring)."""


def _cli(
    *args: str | Path, bound_by_modes: bool = False, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("EVALUATION_DB", "EVALUATION_SECRET_FILE")
    }
    prefix = WITHOUT_OVERRIDE if bound_by_modes and os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "evaluation", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


def _refused(run: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and "Error:" not in run.stderr, run.stderr
    for phrase in phrases:
        assert phrase in run.stderr, run.stderr


def _state(db: Path) -> dict[str, object]:
    """Every table's rows (the audit trail too) and the releases, read without writing."""
    with Store.open(db, read_only=True) as store:
        cur = store.cursor()
        state: dict[str, object] = dict(store.fingerprint())
        state["audit_log"] = cur.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]
    return state


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run_root(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB file system of its own (tmpfs), unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = _run_root(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)])
    if mounted.returncode != 0:
        pytest.skip(f"mounting a small file system is not permitted here: {mounted.stderr}")
    try:
        yield disk
    finally:
        if _run_root(["umount", str(disk)]).returncode != 0:
            _run_root(["umount", "-l", str(disk)])


def _fill(disk: Path) -> None:
    """Take every free byte of ``disk``."""
    stat = os.statvfs(disk)
    filler = disk / "filler"
    with filler.open("wb") as fh:
        os.posix_fallocate(fh.fileno(), 0, stat.f_bavail * stat.f_frsize)
    assert os.statvfs(disk).f_bavail == 0


def _remount(disk: Path, mode: str) -> None:
    done = _run_root(["mount", "-o", f"remount,{mode}", str(disk)])
    if done.returncode != 0:
        pytest.skip(f"remounting read-only is not permitted here: {done.stderr}")


@pytest.fixture(scope="module")
def loaded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed store file holding the minimal package (copied where each test needs it)."""
    db = tmp_path_factory.mktemp("loaded") / "store.duckdb"
    with Store.open(db) as store:
        assert ingest(MINIMAL, store, actor="test").status == "loaded"
    return db


def _place(store: Path, folder: Path) -> Path:
    db = folder / "store.duckdb"
    shutil.copyfile(store, db)
    shutil.copyfile(secret_path(store), secret_path(db))
    os.chmod(secret_path(db), 0o600)
    return db


@pytest.fixture(scope="module")
def newer_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minimal package exported a month later: a load that would go through."""
    pkg = builder_from_minimal(tmp_path_factory.mktemp("newer"))
    for row in pkg.tables["about"]:
        if row["key"] == "data_as_of":
            row["value"] = "2025-07-31"
    return pkg.write("folder", "newer")


# -- a full disk ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_ingest_on_a_full_disk_says_so_and_loads_nothing(
    small_disk: Path, loaded_store: Path, newer_package: Path
) -> None:
    db = _place(loaded_store, small_disk)
    before = _state(db)
    _fill(small_disk)
    run = _cli("ingest", newer_package, "--db", db)
    _refused(run, f"The disk holding the store {db} is full", "nothing was loaded")
    assert "invalidated" not in run.stderr
    assert _state(db) == before
    (small_disk / "filler").unlink()  # with space again, the same load goes through
    assert _cli("ingest", newer_package, "--db", db).returncode == 0
    assert _state(db)["submissions"][0] == 2  # type: ignore[index]


@pytest.mark.slow
def test_approve_on_a_full_disk_makes_no_release(small_disk: Path, loaded_store: Path) -> None:
    db = _place(loaded_store, small_disk)
    before = _state(db)
    _fill(small_disk)
    run = _cli("approve", "--programme", "P-OPEN", "--period", "2024", "--db", db)
    _refused(run, f"The disk holding the store {db} is full", "no release was made")
    assert _state(db) == before
    listed = _cli("releases", "--db", db)  # reading still works on the full disk
    assert listed.returncode == 0 and "There are no releases." in listed.stdout


@pytest.mark.slow
def test_backup_onto_a_full_disk_writes_nothing(
    small_disk: Path, loaded_store: Path, tmp_path: Path
) -> None:
    db = _place(loaded_store, tmp_path)
    before = _state(db)
    _fill(small_disk)
    out = small_disk / "backups" / "nightly.zip"
    out.parent.mkdir()
    run = _cli("backup", "--db", db, "--out", out)
    _refused(run, f"The disk holding the backup {out} is full", "no backup was written")
    assert list(out.parent.iterdir()) == []  # no half-written copy left behind
    assert _state(db) == before

    # a store on a full disk can still be backed up elsewhere (a backup only reads it)
    (small_disk / "filler").unlink()
    full = _place(loaded_store, small_disk)
    _fill(small_disk)
    elsewhere = tmp_path / "rescue.zip"
    saved = _cli("backup", "--db", full, "--out", elsewhere)
    assert saved.returncode == 0, saved.stderr
    assert elsewhere.stat().st_size > 0


# -- a read-only file system ---------------------------------------------------------------------


@pytest.mark.slow
def test_a_read_only_file_system(small_disk: Path, loaded_store: Path, tmp_path: Path) -> None:
    db = _place(loaded_store, small_disk)
    made = tmp_path / "b.zip"
    assert _cli("backup", "--db", db, "--out", made).returncode == 0
    before, before_bytes = _state(db), _file_hash(db)
    _remount(small_disk, "ro")
    try:
        writing = _cli("init", "--db", db)
        _refused(writing, f"The store {db} is on a read-only file system", "cannot be opened")

        reading = _cli("releases", "--db", db)  # reading needs no write
        assert reading.returncode == 0, reading.stderr

        onto_it = _cli("restore", made, "--db", db, "--replace")
        _refused(onto_it, "read-only file system", "nothing was restored")
        beside_it = _cli("restore", made, "--db", small_disk / "other.duckdb")
        _refused(beside_it, "read-only file system", "nothing was restored")

        into_it = _cli("backup", "--db", db, "--out", small_disk / "b.zip")
        _refused(into_it, "read-only file system", "no backup was written")
        assert _file_hash(db) == before_bytes
        assert sorted(p.name for p in small_disk.iterdir()) == [
            "store.duckdb",
            "store.duckdb.secret",
        ]
    finally:
        _remount(small_disk, "rw")
    assert _state(db) == before


# -- a missing permission ------------------------------------------------------------------------


@pytest.fixture
def bound_by_modes() -> None:
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("setpriv is missing: as root, file modes cannot be made to apply")


@pytest.mark.slow
@pytest.mark.usefixtures("bound_by_modes")
def test_no_permission_to_write(loaded_store: Path, newer_package: Path, tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    db = _place(loaded_store, folder)
    before = _state(db)
    folder.chmod(0o555)  # a read-only folder: the store file is writable, its log cannot be made
    try:
        new = _cli("init", "--db", folder / "new.duckdb", bound_by_modes=True)
        _refused(new, "This account may not write to the store", "cannot be opened for changes")

        load = _cli("ingest", newer_package, "--db", db, bound_by_modes=True)
        _refused(load, f"This account may not write to the store {db}", "nothing was loaded")

        reading = _cli("releases", "--db", db, bound_by_modes=True)
        assert reading.returncode == 0, reading.stderr

        db.chmod(0o444)  # the store file itself read-only
        approve = _cli(
            "approve", "--programme", "P-OPEN", "--period", "2024", "--db", db, bound_by_modes=True
        )
        _refused(approve, "This account may not write to the store", "cannot be opened")
        assert sorted(p.name for p in folder.iterdir()) == ["store.duckdb", "store.duckdb.secret"]
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
    assert _state(db) == before


# -- a store from a newer version ----------------------------------------------------------------


def _newer_store(db: Path) -> None:
    store_at_schema(db, SCHEMA_VERSION)
    with duckdb.connect(str(db)) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (?, now())", [SCHEMA_VERSION + 1])


@pytest.mark.slow
def test_a_store_from_a_newer_version(newer_package: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    _newer_store(db)
    before = _file_hash(db)
    commands = [
        ("ingest", newer_package),
        ("indicators", "--period", "2024"),
        ("backup", "--out", tmp_path / "b.zip"),
        ("approve", "--programme", "P-OPEN", "--period", "2024"),
    ]
    for command in commands:
        run = _cli(*command, "--db", db)
        _refused(
            run,
            "written by a newer version of the platform",
            f"schema {SCHEMA_VERSION + 1}; this version knows {SCHEMA_VERSION}",
        )
    assert _file_hash(db) == before
    assert not (tmp_path / "b.zip").exists()


# -- the dashboard -------------------------------------------------------------------------------


def _page_writing_to(db: str) -> None:
    """A page that writes to the store inside ``render.sentences`` (as every page runs)."""
    from evaluation.app import render
    from evaluation.store.database import Store

    with render.sentences(), Store.open(db) as store:
        store.conn.execute("CREATE TABLE page_notes AS SELECT range AS n FROM range(200000)")


@pytest.mark.slow
def test_a_page_shows_a_full_disk_as_a_sentence(small_disk: Path) -> None:
    from streamlit.testing.v1 import AppTest

    db = small_disk / "store.duckdb"
    Store.open(db).close()
    before = _state(db)
    _fill(small_disk)
    at = AppTest.from_function(_page_writing_to, args=(str(db),), default_timeout=60).run()
    assert not at.exception
    (error,) = at.error
    assert "The disk holding the store is full" in error.value
    assert str(small_disk) not in error.value  # pages leave the store's path out
    assert _state(db) == before
