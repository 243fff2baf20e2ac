"""Backup and restore (``evaluation.store.backup``) through the real command line.

Every test runs ``python -m evaluation`` as a subprocess on real store files: a backup is
restored and compared table by table with the store it came from (rows, secret, keys, schema
record, views); a backup that is damaged, tampered with, from a newer version or not a backup
at all is refused before anything changes; a store is never replaced without ``--replace``,
and the replaced one is kept and still opens; a backup is taken while the dashboard holds the
store.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from evaluation.errors import StoreError
from evaluation.intake.ingest import ingest
from evaluation.sharing.returns.keys import export_public_key, keys_dir
from evaluation.store import backup as backup_module
from evaluation.store.database import SCHEMA_VERSION, Store, secret_path
from evaluation.store.lease import StoreLease
from tests.conftest import MINIMAL, store_at_schema

ROOT = Path(__file__).resolve().parents[1]
ORGANISATION = "Brückenbau Exit e.V. (fictional)"


def _cli(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("EVALUATION_DB", "EVALUATION_SECRET_FILE")
    }
    return subprocess.run(
        [sys.executable, "-m", "evaluation", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


def _refused(run: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    for phrase in phrases:
        assert phrase in run.stderr, run.stderr


def _state(db: Path) -> dict[str, object]:
    """Everything a restore must bring back: every table's rows (also the audit trail), the
    schema record, the views, the secret's bytes and the keys' bytes."""
    with Store.open(db, read_only=True) as store:
        cur = store.cursor()
        state: dict[str, object] = dict(store.fingerprint())
        state["audit_log"] = cur.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]
        state["migrations"] = cur.execute(
            "SELECT version FROM schema_migrations ORDER BY 1"
        ).fetchall()
        state["views"] = cur.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY 1"
        ).fetchall()
        state["case_key"] = store.case_key("CASE-1")
    state["secret"] = secret_path(db).read_bytes()
    keys = keys_dir(db)
    state["keys"] = (
        {p.name: p.read_bytes() for p in sorted(keys.iterdir())} if keys.is_dir() else {}
    )
    return state


@pytest.fixture(scope="module")
def source_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the minimal package and the organisation's signing key."""
    db = tmp_path_factory.mktemp("source") / "store.duckdb"
    with Store.open(db) as store:
        assert ingest(MINIMAL, store, actor="test").status == "loaded"
        export_public_key(store, ORGANISATION, db.parent / "public.json")
    assert any(keys_dir(db).iterdir())
    return db


@pytest.fixture(scope="module")
def made_backup(source_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("backups") / "nightly.zip"
    run = _cli("backup", "--db", source_store, "--out", out)
    assert run.returncode == 0, run.stderr
    assert "Wrote the backup" in run.stdout and "secret" in run.stdout
    return out


def _rewrite(backup: Path, out: Path, change: Callable[[dict[str, bytes]], object]) -> Path:
    """A copy of ``backup`` whose members (a dict name -> bytes) ``change`` edits."""
    with zipfile.ZipFile(backup) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    change(members)
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def _manifest_of(members: dict[str, bytes]) -> dict:
    return json.loads(members["manifest.json"])


@pytest.mark.slow
def test_a_backup_restores_the_store_as_it_was(
    source_store: Path, made_backup: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(made_backup) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
    assert {"manifest.json", "store.duckdb", "store.secret"} <= names
    assert any(n.startswith("keys/") for n in names)
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert set(manifest["members"]) == names - {"manifest.json"}
    assert made_backup.stat().st_mode & 0o077 == 0  # it holds the secret: owner only

    target = tmp_path / "restored" / "store.duckdb"
    run = _cli("restore", made_backup, "--db", target)
    assert run.returncode == 0, run.stderr
    assert "Restored the store" in run.stdout
    assert _state(target) == _state(source_store)
    assert secret_path(target).stat().st_mode & 0o077 == 0
    # the restored store is usable: a read command and a write command work on it
    listed = _cli("releases", "--db", target)
    assert listed.returncode == 0 and "no releases" in listed.stdout, listed.stderr
    assert _cli("init", "--db", target).returncode == 0


@pytest.mark.slow
def test_restore_never_replaces_a_store_without_being_told(
    source_store: Path, made_backup: Path, tmp_path: Path
) -> None:
    target = tmp_path / "store.duckdb"
    with Store.open(target) as store:  # another store is already there: empty, own secret
        before = store.fingerprint()
    other_secret = secret_path(target).read_bytes()

    refused = _cli("restore", made_backup, "--db", target)
    _refused(refused, "There is already a store", "--replace", "Nothing was changed")
    with Store.open(target, read_only=True) as store:
        assert store.fingerprint() == before
    assert secret_path(target).read_bytes() == other_secret

    run = _cli("restore", made_backup, "--db", target, "--replace")
    assert run.returncode == 0, run.stderr
    (kept_db,) = [
        p
        for p in tmp_path.iterdir()
        if p.name.startswith("store.duckdb.before-restore-") and p.name.endswith("Z")
    ]
    assert str(kept_db) in run.stdout
    assert _state(target) == _state(source_store)
    # the replaced store is kept whole, with its own secret, and opens as it is
    assert secret_path(kept_db).read_bytes() == other_secret
    with Store.open(kept_db, read_only=True) as store:
        assert store.fingerprint() == before


@pytest.mark.parametrize(
    ("case", "phrases"),
    [
        ("not a zip", ["is not a backup of a store", "not a .zip file"]),
        ("no manifest", ["is not a backup of a store", "no manifest.json"]),
        ("tampered database", ["has been changed or damaged", "store.duckdb"]),
        ("newer schema", ["newer version of the platform", f"this version knows {SCHEMA_VERSION}"]),
        ("newer format", ["newer version of the platform", "backup format"]),
        ("foreign member", ["lists a file a backup never holds"]),
        ("unlisted member", ["does not list"]),
        ("missing secret member", ["are missing"]),
    ],
)
def test_restore_refuses_what_is_not_a_sound_backup(
    case: str, phrases: list[str], made_backup: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.zip"
    if case == "not a zip":
        bad.write_bytes(b"PK\x03\x04 but not really a zip file")
    elif case == "no manifest":
        _rewrite(made_backup, bad, lambda m: m.pop("manifest.json"))
    elif case == "tampered database":

        def tamper(m: dict[str, bytes]) -> None:
            data = bytearray(m["store.duckdb"])
            data[len(data) // 2] ^= 0xFF
            m["store.duckdb"] = bytes(data)

        _rewrite(made_backup, bad, tamper)
    elif case in ("newer schema", "newer format", "foreign member"):

        def edit(m: dict[str, bytes]) -> None:
            manifest = _manifest_of(m)
            if case == "newer schema":
                manifest["schema_version"] = SCHEMA_VERSION + 1
            elif case == "newer format":
                manifest["format_version"] = backup_module.FORMAT_VERSION + 1
            else:
                m["../../outside.duckdb"] = b"x"
                manifest["members"]["../../outside.duckdb"] = {
                    "sha256": hashlib.sha256(b"x").hexdigest(),
                    "size": 1,
                }
            m["manifest.json"] = json.dumps(manifest).encode()

        _rewrite(made_backup, bad, edit)
    elif case == "unlisted member":
        _rewrite(made_backup, bad, lambda m: m.update({"keys/extra.key": b"not listed"}))
    else:
        _rewrite(made_backup, bad, lambda m: m.pop("store.secret"))

    target = tmp_path / "target" / "store.duckdb"
    with pytest.raises(StoreError) as refused:
        backup_module.restore(bad, target)
    for phrase in [*phrases, "othing was changed"]:
        assert phrase in str(refused.value)
    assert not target.exists() and not secret_path(target).exists()
    assert not (tmp_path.parent / "outside.duckdb").exists()
    leftovers = list(target.parent.iterdir()) if target.parent.exists() else []
    assert leftovers == [], leftovers


def test_the_command_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    bad = tmp_path / "holiday-photos.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("beach.jpg", b"\xff\xd8\xff")
    target = tmp_path / "store.duckdb"
    run = _cli("restore", bad, "--db", target)
    _refused(run, "is not a backup of a store", "no manifest.json", "nothing was changed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["holiday-photos.zip"]


def test_an_older_backup_is_restored_and_brought_up_to_date(tmp_path: Path) -> None:
    """A backup of a store left by an older platform (schema 5, as ``store_at_schema`` builds
    it), packed as an older ``backup`` would have packed it."""
    old = tmp_path / "old" / "store.duckdb"
    old.parent.mkdir()
    store_at_schema(old, 5)
    data = old.read_bytes()
    manifest = {
        "format": backup_module.FORMAT,
        "format_version": 1,
        "schema_version": 5,
        "created_at": "2025-01-31T02:00:00Z",
        "platform_version": "0.0.9",
        "store_name": "store.duckdb",
        "members": {
            "store.duckdb": {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        },
    }
    packed = tmp_path / "old.zip"
    with zipfile.ZipFile(packed, "w") as zf:
        zf.writestr("store.duckdb", data)
        zf.writestr("manifest.json", json.dumps(manifest))

    target = tmp_path / "new" / "store.duckdb"
    run = _cli("restore", packed, "--db", target)
    assert run.returncode == 0, run.stderr
    assert f"brought up to date to schema {SCHEMA_VERSION}" in run.stdout
    assert "held no secret" in run.stdout
    with Store.open(target, read_only=True) as store:
        assert store.schema_version == SCHEMA_VERSION


@pytest.mark.slow
def test_backup_refuses_to_overwrite_and_wants_a_zip(source_store: Path, tmp_path: Path) -> None:
    existing = tmp_path / "monday.zip"
    existing.write_bytes(b"last week's backup")
    _refused(
        _cli("backup", "--db", source_store, "--out", existing),
        "already a file",
        "never overwrites",
        "Nothing was written",
    )
    assert existing.read_bytes() == b"last week's backup"
    _refused(_cli("backup", "--db", source_store, "--out", tmp_path / "b.tar"), "ending in .zip")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monday.zip"]


@pytest.mark.slow
def test_a_backup_is_taken_while_the_dashboard_holds_the_store(
    source_store: Path, tmp_path: Path
) -> None:
    """The dashboard's lease has the store open for writing and a page run is using it; the
    backup asks for the store, waits, copies one consistent state, and the dashboard goes on."""
    db = tmp_path / "store.duckdb"
    for part in (source_store, secret_path(source_store)):
        (tmp_path / part.name).write_bytes(part.read_bytes())
    expected = _state(db) | {"keys": {}}
    lease = StoreLease(db, idle_seconds=3600)
    page_done = threading.Event()

    def page_run() -> None:  # a page holding the store for a while
        with lease.use() as store:
            store.cursor().execute("SELECT count(*) FROM current_cases").fetchall()
            time.sleep(2)
        page_done.set()

    thread = threading.Thread(target=page_run)
    thread.start()
    time.sleep(0.5)
    out = tmp_path / "during-the-day.zip"
    run = _cli("backup", "--db", db, "--out", out, timeout=120)
    thread.join()
    assert page_done.is_set()
    assert run.returncode == 0, run.stderr
    assert "waiting for it to let go" in run.stderr
    with lease.use() as store:  # the dashboard takes the store back
        assert store.cursor().execute("SELECT count(*) FROM submissions").fetchall() == [(1,)]
    lease.let_go()

    target = tmp_path / "copy" / "store.duckdb"
    assert _cli("restore", out, "--db", target).returncode == 0
    assert _state(target) == expected


def test_the_copy_keeps_sequences_views_and_keys(tmp_path: Path) -> None:
    """``COPY FROM DATABASE`` keeps what the platform's schema relies on; a sequence (none in
    the schema today) included, so a later migration that adds one is covered."""
    db = tmp_path / "store.duckdb"
    with Store.open(db) as store:
        store.conn.execute("CREATE SEQUENCE release_numbers START 40")
        store.conn.execute("SELECT nextval('release_numbers')").fetchall()
    with Store.open(db, read_only=True) as store:
        result = backup_module.backup(store, tmp_path / "b.zip")
    assert result.schema_version == SCHEMA_VERSION
    target = tmp_path / "r" / "store.duckdb"
    backup_module.restore(tmp_path / "b.zip", target)
    with duckdb.connect(str(target)) as conn:
        assert conn.execute("SELECT nextval('release_numbers')").fetchall() == [(41,)]
        primary = conn.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
        ).fetchall()
    with duckdb.connect(str(db), read_only=True) as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
            ).fetchall()
            == primary
        )


@pytest.mark.slow
def test_a_restore_waits_for_the_dashboard_and_the_dashboard_sees_it(
    source_store: Path, made_backup: Path, tmp_path: Path
) -> None:
    """The dashboard's lease has another store open at the target; restore asks it to let go,
    replaces the store, and the dashboard's next page run reads the restored one."""
    db = tmp_path / "store.duckdb"
    Store.open(db).close()  # an empty store where the dashboard runs
    lease = StoreLease(db, idle_seconds=3600)
    in_use = threading.Event()

    def page_run() -> None:  # a page run that holds the store while restore starts
        with lease.use() as store:
            assert store.cursor().execute("SELECT count(*) FROM submissions").fetchall() == [(0,)]
            in_use.set()
            time.sleep(3)

    worker = threading.Thread(target=page_run)
    worker.start()
    assert in_use.wait(30)
    run = _cli("restore", made_backup, "--db", db, "--replace", timeout=120)
    worker.join()
    assert run.returncode == 0, run.stderr
    assert "waiting for it to let go" in run.stderr
    with lease.use() as store:
        assert store.cursor().execute("SELECT count(*) FROM submissions").fetchall() == [(1,)]
    assert lease.take_changed()
    lease.let_go()
    assert _state(db) == _state(source_store)
