"""Backup and restore of a store: one ``.zip`` holding everything the store needs to work again.

Why not a copy of the file: another program (the dashboard, a load) may be writing it, and a
file copied half-way through a write is not a database. ``backup`` reads the store through a
read-only connection (which DuckDB grants only while nobody writes, so what it reads is one
consistent state) and lets DuckDB copy it (``COPY FROM DATABASE``: tables with their rows,
keys and defaults, views, sequences and the ``schema_migrations`` record) into a new file.

Why the secret and the keys travel with it: case references are stored only as HMACs with the
store's secret (``<db>.secret``); a database restored without it cannot recognise a case sent
again, so every later load would count returning people as new. The organisation's signing
keys (``<db>.keys/``) sign its returns; without them a funder would have to trust new keys.
Both are kept outside the database file on purpose, so the backup is as sensitive as the two
together: keep it where only the store's operators can read it (docs/operations.md).

The ``.zip`` holds ``store.duckdb``, ``store.secret`` (when the store has one), ``keys/…`` and
``manifest.json`` (format, schema version, when, platform version, SHA-256 and size of every
member). ``restore`` checks all of it before it touches anything, never replaces a store
without ``replace=True``, and then keeps the replaced one beside it as
``<db>.before-restore-<timestamp>`` (with its ``.secret`` and ``.keys`` under the same name, so
it can be opened with ``--db`` as it is).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from evaluation import __version__
from evaluation.errors import StoreError
from evaluation.sharing.returns.keys import keys_dir
from evaluation.store.database import SCHEMA_VERSION, Store, StoreBusy, secret_path
from evaluation.store.failures import storage_failure
from evaluation.store.lease import handover_request, retry_while_busy
from evaluation.vocabulary import language, numbers
from evaluation.vocabulary.language import _, n_

FORMAT = "exit-evaluation store backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "store.duckdb"
SECRET = "store.secret"
KEYS = "keys/"
MAX_MANIFEST = 1024 * 1024
_KEY_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_CHUNK = 1024 * 1024

Say = Callable[[str], None]


def _carried(name: str) -> bool:
    """Whether ``name`` is a member a backup holds: the database, the secret, or a file under
    ``keys/`` whose every part is a plain name (no ``..``, no absolute path, no odd bytes)."""
    if name in (DATABASE, SECRET):
        return True
    parts = name.split("/")
    return (
        len(parts) >= 2
        and parts[0] + "/" == KEYS
        and len(parts) <= 4
        and all(_KEY_PART.fullmatch(p) for p in parts[1:])
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _size(n: int) -> str:
    """A file's size in the language of the moment: ``1.5 MB`` / ``1,5 MB``."""
    from babel.numbers import format_decimal

    value, unit = (n / 1e6, "MB") if n >= 1e6 else (max(n / 1e3, 0.1), "kB")
    return f"{format_decimal(value, format='#,##0.0', locale=language.current())} {unit}"


@dataclass(frozen=True)
class BackupResult:
    """What ``backup`` wrote."""

    path: Path
    schema_version: int
    created_at: dt.datetime
    members: tuple[str, ...]
    rows: int
    size: int

    def sentence(self) -> str:
        """What was written, in the language of the moment."""
        keys = sum(m.startswith(KEYS) for m in self.members)
        files = n_(
            "{n} signing key file", "{n} signing key files", keys, n=numbers.count(keys, _lang())
        )
        secret = SECRET in self.members
        if secret and keys:
            held = _(" with its secret and {files}", files=files)
        elif secret:
            held = _(" with its secret")
        elif keys:
            held = _(" with {files}", files=files)
        else:
            held = ""
        rows = n_("{n} row", "{n} rows", self.rows, n=numbers.count(self.rows, _lang()))
        return _(
            "Wrote the backup {path} ({size}): the store (schema {version}, {rows}){held}. It "
            "holds the secret that links case references: keep it where only the store's "
            "operators can read it.",
            path=self.path,
            size=_size(self.size),
            version=self.schema_version,
            rows=rows,
            held=held,
        )


@dataclass(frozen=True)
class Manifest:
    """The checked ``manifest.json`` of a backup."""

    schema_version: int
    created_at: str
    platform_version: str
    store_name: str
    members: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class RestoreResult:
    """What ``restore`` did."""

    path: Path
    source: Path
    manifest: Manifest
    schema_version: int
    kept: Path | None

    def sentence(self) -> str:
        """What was restored, in the language of the moment."""
        text = _(
            "Restored the store {path} from {source} (made {made} by platform version "
            "{platform}, schema {schema}).",
            path=self.path,
            source=self.source,
            made=self.manifest.created_at,
            platform=self.manifest.platform_version,
            schema=self.manifest.schema_version,
        )
        if self.schema_version != self.manifest.schema_version:
            text += " " + _(
                "It was brought up to date to schema {version}.", version=self.schema_version
            )
        if SECRET not in self.manifest.members:
            text += " " + _("The backup held no secret: the store had none (it held no cases).")
        if self.kept is not None:
            text += " " + _("The store that was there is kept as {path}.", path=self.kept)
        return text


def _lang() -> str:
    return language.current()


# -- backup --------------------------------------------------------------------------------------


def backup(store: Store, out: Path | str) -> BackupResult:
    """Write a backup of ``store`` (open it read-only) to the new ``.zip`` file ``out``.

    Nothing is left behind when it fails: the copy is built in a folder beside ``out`` and
    only renamed to ``out`` once complete; a storage failure says so in a sentence."""
    out = Path(out)
    if out.suffix.lower() != ".zip":
        raise StoreError(
            _(
                "A backup is one .zip file: give --out a name ending in .zip (not {name}). "
                "Nothing was written.",
                name=out.name,
            )
        )
    if out.exists():
        raise StoreError(
            _(
                "There is already a file {path}; a backup never overwrites one. Choose another "
                "name (e.g. with the date in it). Nothing was written.",
                path=out,
            )
        )
    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    staging = out.with_name(f".{out.name}.partial-{os.getpid()}")
    partial = staging / "backup.zip"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir(mode=0o700)
        copy = staging / DATABASE
        version = store.schema_version
        rows = _copy_database(store, copy)
        members: dict[str, Path] = {DATABASE: copy}
        secret = secret_path(store.path)
        if secret.is_file():
            members[SECRET] = secret
        keys = keys_dir(store.path)
        if keys.is_dir():
            for f in sorted(keys.rglob("*")):
                if f.is_file():
                    name = KEYS + f.relative_to(keys).as_posix()
                    if not _carried(name):
                        raise StoreError(
                            _(
                                "The keys folder {path} holds a file whose name a backup "
                                "cannot carry (use letters, digits, '.', '_' and '-'); rename "
                                "or remove it. Nothing was written.",
                                path=keys,
                            )
                        )
                    members[name] = f
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_version": version,
            "created_at": created.isoformat().replace("+00:00", "Z"),
            "platform_version": __version__,
            "duckdb_version": duckdb.__version__,
            "store_name": store.path.name,
            "rows": rows,
            "members": {
                name: {"sha256": _sha256(path), "size": path.stat().st_size}
                for name, path in members.items()
            },
        }
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, path in members.items():
                zf.write(path, name)
            zf.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        os.replace(partial, out)
    except StoreError:
        raise
    except Exception as exc:
        failure = storage_failure(
            exc,
            outcome=_("no backup was written"),
            place=_("the backup {path}", path=out),
        )
        if failure is None:
            raise
        raise failure from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BackupResult(
        out,
        version,
        created,
        tuple(members),
        rows,
        out.stat().st_size,
    )


def _copy_database(store: Store, copy: Path) -> int:
    """DuckDB's own copy of the store's current state into the new file ``copy``; its total
    row count, read from the copy."""
    cur = store.cursor()
    source = cur.execute("SELECT current_database()").fetchall()[0][0]
    alias = f"backup_copy_{os.getpid()}"
    cur.execute(f"ATTACH {_literal(str(copy))} AS {alias} (READ_WRITE)")
    try:
        cur.execute(f"COPY FROM DATABASE {_quote(source)} TO {alias}")
        tables = cur.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY 1", [alias]
        ).fetchall()
        rows = 0
        for (name,) in tables:
            rows += int(
                cur.execute(f"SELECT count(*) FROM {alias}.main.{_quote(name)}").fetchall()[0][0]
            )
    finally:
        with contextlib.suppress(duckdb.Error):
            cur.execute(f"DETACH {alias}")
    return rows


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- reading a backup ----------------------------------------------------------------------------


def _not_a_backup(path: Path, why: str) -> StoreError:
    return StoreError(
        _("{path} is not a backup of a store ({why}); nothing was changed.", path=path, why=why)
    )


def read_manifest(path: Path | str) -> Manifest:
    """The manifest of the backup ``path``, checked (format, version, members' names), without
    extracting anything; raises ``StoreError`` with a sentence otherwise."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(_("There is no backup file {path}; nothing was changed.", path=path))
    try:
        with zipfile.ZipFile(path) as zf:
            return _manifest(path, zf)
    except zipfile.BadZipFile:
        raise _not_a_backup(path, _("it is not a .zip file, or it is damaged")) from None


def _manifest(path: Path, zf: zipfile.ZipFile) -> Manifest:
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise _not_a_backup(path, _("it has no manifest.json")) from None
    if info.file_size > MAX_MANIFEST:
        raise _not_a_backup(path, _("its manifest.json is far too large"))
    try:
        data = json.loads(zf.read(info).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile):
        raise _not_a_backup(path, _("its manifest.json cannot be read")) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _not_a_backup(path, _("its manifest.json is not the manifest of a backup"))
    fmt = data.get("format_version")
    if not isinstance(fmt, int) or fmt > FORMAT_VERSION:
        raise StoreError(
            _(
                "The backup {path} was made by a newer version of the platform (backup format "
                "{format}); update the platform to restore it. Nothing was changed.",
                path=path,
                format=fmt,
            )
        )
    version = data.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise _not_a_backup(path, _("its manifest names no schema version"))
    if version > SCHEMA_VERSION:
        raise StoreError(
            _(
                "The backup {path} holds a store of a newer version of the platform (schema "
                "{version}; this version knows {known}). Update the platform to restore "
                "it. Nothing was changed.",
                path=path,
                version=version,
                known=SCHEMA_VERSION,
            )
        )
    members = data.get("members")
    if not isinstance(members, dict) or DATABASE not in members:
        raise _not_a_backup(path, _("its manifest lists no database"))
    for name, meta in members.items():
        if not _carried(name):
            raise _not_a_backup(path, _("its manifest lists a file a backup never holds"))
        if (
            not isinstance(meta, dict)
            or not isinstance(meta.get("size"), int)
            or not re.fullmatch(r"[0-9a-f]{64}", str(meta.get("sha256")))
        ):
            raise _not_a_backup(path, _("its manifest.json is damaged"))
    names = {i.filename for i in zf.infolist()} - {MANIFEST}
    if names != set(members):
        what = (
            _("files its manifest lists are missing")
            if set(members) - names
            else _("it holds files its manifest does not list")
        )
        raise StoreError(
            _(
                "The backup {path} is incomplete or has been changed: {what}. Nothing was changed.",
                path=path,
                what=what,
            )
        )
    return Manifest(
        schema_version=version,
        created_at=str(data.get("created_at", "")),
        platform_version=str(data.get("platform_version", "")),
        store_name=str(data.get("store_name", "")),
        members={k: dict(v) for k, v in members.items()},
    )


def _extract(path: Path, zf: zipfile.ZipFile, manifest: Manifest, into: Path) -> dict[str, Path]:
    """Every member into the folder ``into`` (secret and keys mode 0600), checking each size
    and SHA-256 against the manifest as it is written."""
    out: dict[str, Path] = {}
    for name, meta in manifest.members.items():
        target = into / name
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        mode = 0o644 if name == DATABASE else 0o600
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as fh, zf.open(name) as src:
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                if size > meta["size"]:
                    break
                digest.update(chunk)
                fh.write(chunk)
        if size != meta["size"] or digest.hexdigest() != meta["sha256"]:
            raise StoreError(
                _(
                    "The backup {path} has been changed or damaged since it was made: {name} "
                    "does not match its manifest. Nothing was changed.",
                    path=path,
                    name=name,
                )
            )
        out[name] = target
    return out


def _schema_of(path: Path, database: Path) -> int:
    try:
        with duckdb.connect(str(database), read_only=True) as conn:
            row = conn.execute("SELECT max(version) FROM schema_migrations").fetchall()[0]
    except duckdb.Error:
        raise StoreError(
            _(
                "The database in the backup {path} cannot be read (damaged, or written by a "
                "newer DuckDB). Nothing was changed.",
                path=path,
            )
        ) from None
    return int(row[0] or 0)


def _bring_up_to_date(database: Path, secret: Path | None, version: int) -> int:
    """Run the platform's migrations on the restored copy of an older store before it takes
    the store's place (a current one stays byte for byte as it was backed up)."""
    if version == SCHEMA_VERSION:
        return version
    key = bytes.fromhex(secret.read_text(encoding="ascii").strip()) if secret else b""
    with Store(database, duckdb.connect(str(database)), key) as store:
        store._migrate()
        return store.schema_version


# -- restore -------------------------------------------------------------------------------------


def _occupants(db: Path) -> list[Path]:
    """What makes up the store at ``db`` now: the file, its log, its secret, its keys."""
    return [
        p for p in (db, db.with_name(db.name + ".wal"), secret_path(db), keys_dir(db)) if p.exists()
    ]


def _kept_name(db: Path, part: Path, stamp: str) -> Path:
    kept = db.with_name(f"{db.name}.before-restore-{stamp}")
    if part == db:
        return kept
    if part == secret_path(db):
        return kept.with_name(kept.name + ".secret")
    suffix = part.name[len(db.name) :] if part.name.startswith(db.name) else "." + part.name
    return kept.with_name(kept.name + suffix)


@contextlib.contextmanager
def _store_to_ourselves(db: Path, wait_seconds: float | None, say: Say | None) -> Iterator[None]:
    """Until the block ends, nobody else has the store at ``db`` open: the dashboard is asked
    to let go (and does not open it again while our request stands), we wait for others."""

    def free() -> None:
        if not db.exists():
            return
        try:
            duckdb.connect(str(db)).close()
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreBusy(str(db)) from None
            # not a database DuckDB can open: nobody can hold it either
        except duckdb.Error:
            pass

    with handover_request(db):
        retry_while_busy(
            db, free, wait_seconds=wait_seconds, say=say, outcome=_("nothing was restored")
        )
        yield


def restore(
    source: Path | str,
    db: Path | str,
    *,
    replace: bool = False,
    wait_seconds: float | None = None,
    say: Say | None = None,
) -> RestoreResult:
    """Put the store in the backup ``source`` at ``db``, with its secret and keys.

    Checks the whole backup first (manifest, every member's SHA-256, the database's schema);
    refuses when a store is already at ``db`` unless ``replace``, and then keeps that store as
    ``<db>.before-restore-<timestamp>``. Waits while another program uses the store."""
    source, db = Path(source), Path(db)
    manifest = read_manifest(source)
    if _occupants(db) and not replace:
        raise StoreError(
            _(
                "There is already a store at {path}. Restoring would replace it: run the "
                "command again with --replace (the store that is there is then kept beside it "
                "as {name}.before-restore-<date and time>). Nothing was changed.",
                path=db,
                name=db.name,
            )
        )
    staging = db.with_name(f"{db.name}.restoring-{os.getpid()}")
    moved: list[tuple[Path, Path]] = []
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(mode=0o700)
        with zipfile.ZipFile(source) as zf:
            files = _extract(source, zf, manifest, staging)
        database = files[DATABASE]
        found = _schema_of(source, database)
        if found != manifest.schema_version:
            raise StoreError(
                _(
                    "The backup {path} does not hold what its manifest says (schema {found}, "
                    "not {listed}). Nothing was changed.",
                    path=source,
                    found=found,
                    listed=manifest.schema_version,
                )
            )
        version = _bring_up_to_date(database, files.get(SECRET), found)
        with _store_to_ourselves(db, wait_seconds, say):
            present = _occupants(db)
            if present and not replace:  # a store appeared while we checked the backup
                raise StoreError(
                    _(
                        "There is already a store at {path}; run the command again with "
                        "--replace. Nothing was changed.",
                        path=db,
                    )
                )
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            kept = db.with_name(f"{db.name}.before-restore-{stamp}") if present else None
            for part in present:
                target = _kept_name(db, part, stamp)
                os.replace(part, target)
                moved.append((target, part))
            placed: list[Path] = []
            try:
                if SECRET in files:
                    secret_path(db).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(files[SECRET], secret_path(db))
                    placed.append(secret_path(db))
                if (staging / "keys").is_dir():
                    os.replace(staging / "keys", keys_dir(db))
                    placed.append(keys_dir(db))
                os.replace(database, db)
                placed.append(db)
            except BaseException:
                for p in placed:
                    if p.is_dir():
                        shutil.rmtree(p, ignore_errors=True)
                    else:
                        p.unlink(missing_ok=True)
                raise
            moved.clear()  # done: what was moved aside stays aside
    except BaseException as exc:
        for target, part in reversed(moved):
            with contextlib.suppress(OSError):
                os.replace(target, part)
        if isinstance(exc, StoreError) or not isinstance(exc, Exception):
            raise
        failure = storage_failure(exc, outcome=_("nothing was restored"), store=db)
        if failure is None:
            raise
        raise failure from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreResult(db, source, manifest, version, kept)
