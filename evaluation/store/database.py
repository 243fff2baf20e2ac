"""The embedded store: one DuckDB file per organisation (or funder), schema-versioned.

* Tables of the format are created from the registry, each row tagged with its
  ``submission_id``; case-linked tables carry the case's ``programme_id`` and ``case_id`` (a
  small integer, unique within a submission); ``case_ref`` is stored only in ``cases``, as
  ``case_key`` = HMAC-SHA256(store secret, case_ref), which is the same for the same case in
  every submission.
* Every accepted package is a submission on record. ``current_submission`` points each programme
  at the submission whose data is current; replacing a programme's data moves the pointer, so
  an older submission's rows stay retrievable. ``current_<table>`` views show current data.
* The secret lives outside the database file (``<db>.secret`` beside it, mode 0600, or the file
  named by ``EVALUATION_SECRET_FILE``): a copy of the database alone cannot be linked back to
  case references.
* One writing process per database file. Readers take a cursor per request (``cursor()``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from evaluation.errors import StoreError
from evaluation.store.failures import storage_failure
from evaluation.store.schema import TABLES, Table
from evaluation.vocabulary.language import _

DEFAULT_DB = Path("data") / "evaluation.duckdb"
SCHEMA_VERSION = 8
DATA_TABLES = tuple(t for t in TABLES if t.name != "about")


def default_db_path() -> Path:
    """``EVALUATION_DB`` if set, else ``data/evaluation.duckdb``."""
    return Path(os.environ.get("EVALUATION_DB") or DEFAULT_DB)


def stored_columns(table: Table) -> list[tuple[str, str]]:
    """(name, DuckDB type) of a data table in the store, after the submission columns."""
    cols: list[tuple[str, str]] = [("submission_id", "VARCHAR NOT NULL")]
    if table.belongs_to == "case":
        cols.append(("programme_id", "VARCHAR NOT NULL"))
    for c in table.columns:
        if c.name == "case_ref":
            cols.append(("case_id", "INTEGER NOT NULL"))
            if table.name == "cases":
                cols.append(("case_key", "VARCHAR NOT NULL"))
        elif not (table.belongs_to == "case" and c.name == "programme_id"):
            cols.append((c.name, c.sql_type + (" NOT NULL" if c.required else "")))
    return cols


def _ddl_v1() -> list[str]:
    stmts = [
        """CREATE TABLE submissions (
            submission_id VARCHAR PRIMARY KEY,
            organisation VARCHAR NOT NULL,
            data_as_of DATE NOT NULL,
            source_system VARCHAR,
            content_hash VARCHAR NOT NULL,
            source_name VARCHAR NOT NULL,
            container VARCHAR NOT NULL,
            profile VARCHAR,
            programmes VARCHAR[] NOT NULL,
            tables VARCHAR[] NOT NULL,
            row_counts JSON NOT NULL,
            format_version VARCHAR NOT NULL,
            loaded_at TIMESTAMP NOT NULL,
            loaded_by VARCHAR NOT NULL
        )""",
        """CREATE TABLE current_submission (
            programme_id VARCHAR PRIMARY KEY,
            submission_id VARCHAR NOT NULL,
            organisation VARCHAR NOT NULL,
            since TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE replacements (
            programme_id VARCHAR NOT NULL,
            old_submission_id VARCHAR NOT NULL,
            new_submission_id VARCHAR NOT NULL,
            replaced_at TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE audit_log (
            happened_at TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            detail JSON
        )""",
    ]
    for t in DATA_TABLES:
        cols = ",\n  ".join(f"{n} {typ}" for n, typ in stored_columns(t))
        stmts.append(f"CREATE TABLE {t.name} (\n  {cols}\n)")
    for t in DATA_TABLES:
        stmts.append(
            f"CREATE VIEW current_{t.name} AS SELECT x.* FROM {t.name} x "
            "JOIN current_submission cp ON x.programme_id = cp.programme_id "
            "AND x.submission_id = cp.submission_id"
        )
    return stmts


def _ddl_v2() -> list[str]:
    """Local accounts (``evaluation.store.users``): role, scope and a salted scrypt hash, never a
    password. ``scope`` holds organisation names or programme ids; a NULL hash means the account
    signs in only through the identity provider."""
    return [
        """CREATE TABLE users (
            name VARCHAR PRIMARY KEY,
            role VARCHAR NOT NULL,
            scope VARCHAR[] NOT NULL,
            password_hash VARCHAR,
            created_at TIMESTAMP NOT NULL,
            disabled BOOLEAN NOT NULL DEFAULT false
        )"""
    ]


def _defaults_v3() -> list[str]:
    """Missing cells of columns with a default in the registry take their default.

    Stores loaded before schema 3 kept an empty ``returnee`` cell as NULL, where the format says
    missing means false; ingest now stores the default (``evaluation.intake.ingest``), and this
    fills it into every submission already on record, so old and new data read the same.
    Idempotent: it only touches NULLs, so it is safe for any column a later default adds."""
    return [
        f"UPDATE {t.name} SET {c.name} = {c.default_sql} WHERE {c.name} IS NULL"
        for t in DATA_TABLES
        for c in t.columns
        if c.default_sql is not None
    ]


def _releases_v4() -> list[str]:
    """Releases (``evaluation.sharing.releases``): what a CSO manager approved for sharing.

    A release is written once and never updated, except that withdrawing it sets ``status``,
    ``withdrawn_at`` and ``withdrawn_by``. Its cells keep their true figures also when
    suppressed: the protection of a later release re-checks the union of everything published,
    and every shared reader blanks a suppressed cell's figures. ``range_*``/``den_*``: the
    attacker's feasible range of a hidden cell's count (numerator) and denominator."""
    return [
        """CREATE TABLE releases (
            number INTEGER PRIMARY KEY,
            organisation VARCHAR NOT NULL,
            approved_by VARCHAR NOT NULL,
            approver_role VARCHAR NOT NULL,
            approved_at TIMESTAMP NOT NULL,
            note VARCHAR NOT NULL DEFAULT '',
            catalogue_version VARCHAR NOT NULL,
            settings JSON NOT NULL,
            status VARCHAR NOT NULL,
            withdrawn_at TIMESTAMP,
            withdrawn_by VARCHAR
        )""",
        """CREATE TABLE release_programmes (
            release INTEGER NOT NULL,
            programme_id VARCHAR NOT NULL,
            organisation VARCHAR NOT NULL,
            submission_id VARCHAR NOT NULL,
            content_hash VARCHAR NOT NULL,
            PRIMARY KEY (release, programme_id)
        )""",
        """CREATE TABLE release_periods (
            release INTEGER NOT NULL,
            spec VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            period_start DATE NOT NULL,
            period_end DATE NOT NULL,
            PRIMARY KEY (release, spec)
        )""",
        """CREATE TABLE release_cells (
            release INTEGER NOT NULL,
            indicator_id VARCHAR NOT NULL,
            indicator_version INTEGER NOT NULL,
            programme_id VARCHAR NOT NULL,
            period_start DATE NOT NULL,
            period_end DATE NOT NULL,
            split_column VARCHAR NOT NULL,
            split_value VARCHAR,
            numerator DOUBLE,
            denominator DOUBLE,
            value DOUBLE,
            ci_low DOUBLE,
            ci_high DOUBLE,
            status VARCHAR NOT NULL,
            suppressed BOOLEAN NOT NULL,
            completeness DOUBLE,
            range_low DOUBLE,
            range_high DOUBLE,
            den_low DOUBLE,
            den_high DOUBLE
        )""",
    ]


def _audit_v5() -> list[str]:
    """The audit trail (``evaluation.sharing.audit``) names the actor's role, the organisations
    an event concerns (a CSO manager reads their organisations' events), the release and the
    page, file or package. Columns are only added: rows already on record stay as written."""
    return [
        "ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS role VARCHAR",
        "ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS organisations VARCHAR[]",
        "ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS release INTEGER",
        "ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS target VARCHAR",
    ]


def _returns_v6() -> list[str]:
    """Returns (``evaluation.sharing.returns``): a funder's store holds releases it received.

    A release's ``source`` says whether it was approved here (``approved``) or imported as a
    signed return (``return``); an imported one keeps the sender's release number
    (``origin_number``), the hash of its signed content (``return_hash``: the same return twice
    is found and not stored again) and the fingerprint of the key that signed it
    (``signed_by``). ``trusted_keys`` are the senders' public keys a person registered;
    ``returned_programmes`` the programme names a return carried (the funder has no
    ``programmes`` table of its own). Private keys never enter the database."""
    return [
        "ALTER TABLE releases ADD COLUMN IF NOT EXISTS source VARCHAR DEFAULT 'approved'",
        "ALTER TABLE releases ADD COLUMN IF NOT EXISTS origin_number INTEGER",
        "ALTER TABLE releases ADD COLUMN IF NOT EXISTS return_hash VARCHAR",
        "ALTER TABLE releases ADD COLUMN IF NOT EXISTS signed_by VARCHAR",
        """CREATE TABLE IF NOT EXISTS trusted_keys (
            organisation VARCHAR NOT NULL,
            fingerprint VARCHAR PRIMARY KEY,
            public_key VARCHAR NOT NULL,
            trusted_at TIMESTAMP NOT NULL,
            trusted_by VARCHAR NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS returned_programmes (
            release INTEGER NOT NULL,
            programme_id VARCHAR NOT NULL,
            organisation VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            PRIMARY KEY (release, programme_id)
        )""",
    ]


def _sign_in_guard_v7() -> list[str]:
    """Sign-in throttling (``evaluation.store.users.authenticate``): one row per account name
    typed or client (browser address or session) with recent failed sign-ins. ``subject`` is a
    keyed hash (HMAC with the store secret), never the name or address itself; ``failures``
    counts the failures since ``window_start``; no attempt is checked before
    ``next_attempt_at`` or, once locked, before ``locked_until``. Kept in the store so a
    restarted dashboard or another process honours it; rows are dropped once they are over."""
    return [
        """CREATE TABLE IF NOT EXISTS sign_in_guard (
            subject VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,
            failures INTEGER NOT NULL,
            window_start TIMESTAMP NOT NULL,
            next_attempt_at TIMESTAMP NOT NULL,
            locked_until TIMESTAMP
        )"""
    ]


def _user_language_v8() -> list[str]:
    """Each account's language (``evaluation.vocabulary.language``: ``en``, ``de``, …), chosen
    by the person in the dashboard or set by an administrator; NULL: not chosen (the browser's
    language is used)."""
    return ["ALTER TABLE users ADD COLUMN IF NOT EXISTS language VARCHAR"]


MIGRATIONS: dict[int, Callable[[], list[str]]] = {
    1: _ddl_v1,
    2: _ddl_v2,
    3: _defaults_v3,
    4: _releases_v4,
    5: _audit_v5,
    6: _returns_v6,
    7: _sign_in_guard_v7,
    8: _user_language_v8,
}


@dataclass(frozen=True)
class Submission:
    submission_id: str
    organisation: str
    data_as_of: dt.date
    content_hash: str
    source_name: str
    programmes: tuple[str, ...]
    row_counts: dict[str, int]
    loaded_at: dt.datetime
    loaded_by: str
    current_programmes: tuple[str, ...]


class StoreBusy(StoreError):
    """The store file is held by another process (DuckDB's file lock); see ``store.lease``."""


class Store:
    """A DuckDB store file and its secret. Use ``Store.open(path)``."""

    def __init__(self, path: Path, conn: duckdb.DuckDBPyConnection, secret: bytes) -> None:
        self.path = path
        self.conn = conn
        self._secret = secret

    @classmethod
    def open(cls, path: Path | str | None = None, *, read_only: bool = False) -> Store:
        """Open (creating on first use) the store and bring its schema up to date."""
        path = Path(path) if path else default_db_path()
        if read_only and not path.exists():
            raise StoreError(
                _("There is no store at {path}. Run `python -m evaluation init`.", path=path)
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreBusy(
                    _(
                        "The store {path} is in use by another program that is writing to it. "
                        "Wait until it has finished (or close the dashboard) and try again.",
                        path=path,
                    )
                ) from None
            outcome = (
                _("it cannot be opened") if read_only else _("it cannot be opened for changes")
            )
            raise storage_failure(exc, outcome=outcome, store=path) or StoreError(
                _(
                    "The store {path} cannot be opened: it is not a database file or it is "
                    "damaged.",
                    path=path,
                )
            ) from None
        store = cls(path, conn, _load_secret(path, create=not read_only))
        if not read_only:
            store._migrate()
        elif (version := store.schema_version) > SCHEMA_VERSION:
            conn.close()
            raise StoreError(
                _(
                    "The store {path} was written by a newer version of the platform (schema "
                    "{version}; this version knows {known}). Update the platform; "
                    "nothing was read or changed.",
                    path=path,
                    version=version,
                    known=SCHEMA_VERSION,
                )
            )
        elif 0 < version < SCHEMA_VERSION:
            conn.close()
            raise StoreError(
                _(
                    "The store {path} was written by an earlier version of the platform (schema "
                    "{version}; this version reads {known}). Bring it up to date once with "
                    "`python -m evaluation init`, then try again.",
                    path=path,
                    version=version,
                    known=SCHEMA_VERSION,
                )
            )
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own for one request or thread."""
        return self.conn.cursor()

    @property
    def schema_version(self) -> int:
        try:
            row = self.conn.execute("SELECT max(version) FROM schema_migrations").fetchall()[0]
        except duckdb.CatalogException:
            return 0
        return int(row[0] or 0)

    def _migrate(self) -> None:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
        )
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise StoreError(
                _(
                    "The store {path} was written by a newer version of the platform (schema "
                    "{version}; this version knows {known}). Update the platform; "
                    "nothing was changed.",
                    path=self.path,
                    version=current,
                    known=SCHEMA_VERSION,
                )
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            self.conn.execute("BEGIN TRANSACTION")
            try:
                for stmt in MIGRATIONS[version]():
                    self.conn.execute(stmt)
                self.conn.execute("INSERT INTO schema_migrations VALUES (?, now())", [version])
                self.conn.execute("COMMIT")
            except Exception:
                self.conn.execute("ROLLBACK")
                raise

    # -- case keys ---------------------------------------------------------------------------
    def case_key(self, case_ref: str) -> str:
        """The stored form of a case reference: HMAC-SHA256 with this store's secret."""
        return hmac.new(self._secret, case_ref.encode("utf-8"), hashlib.sha256).hexdigest()

    def hmac_sql(self, expr: str) -> tuple[str, list[bytes]]:
        """SQL computing ``case_key`` of ``expr`` inside DuckDB, and its two parameters.

        HMAC(K, m) = SHA256((K ⊕ opad) ‖ SHA256((K ⊕ ipad) ‖ m)) with a 64-byte block.
        """
        key = self._secret.ljust(64, b"\0")
        ipad = bytes(b ^ 0x36 for b in key)
        opad = bytes(b ^ 0x5C for b in key)
        sql = f"sha256(?::BLOB || unhex(sha256(?::BLOB || encode({expr}))))"
        return sql, [opad, ipad]

    # -- reading -----------------------------------------------------------------------------
    def submissions(self, cursor: duckdb.DuckDBPyConnection | None = None) -> list[Submission]:
        cur = cursor or self.cursor()
        rows = cur.execute(
            """SELECT s.submission_id, s.organisation, s.data_as_of, s.content_hash,
                      s.source_name, s.programmes, s.row_counts, s.loaded_at, s.loaded_by,
                      coalesce(list(cp.programme_id ORDER BY cp.programme_id)
                               FILTER (WHERE cp.programme_id IS NOT NULL), [])
               FROM submissions s LEFT JOIN current_submission cp USING (submission_id)
               GROUP BY ALL ORDER BY s.loaded_at DESC, s.submission_id DESC"""
        ).fetchall()
        return [
            Submission(
                r[0], r[1], r[2], r[3], r[4], tuple(r[5]), json.loads(r[6]), r[7], r[8], tuple(r[9])
            )
            for r in rows
        ]

    def fingerprint(self) -> dict[str, tuple[int, int]]:
        """(row count, order-independent hash) of every table, to prove nothing changed."""
        cur = self.cursor()
        names = [
            r[0]
            for r in cur.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY 1"
            ).fetchall()
        ]
        out = {}
        for n in names:
            if n == "audit_log":
                continue
            count, h = cur.execute(
                f"SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM {n} t"
            ).fetchall()[0]
            out[n] = (int(count), int(h))
        return out

    def table_counts(self, tables: Sequence[str] | None = None) -> dict[str, int]:
        cur = self.cursor()
        return {
            t.name: int(cur.execute(f"SELECT count(*) FROM current_{t.name}").fetchall()[0][0])
            for t in DATA_TABLES
            if tables is None or t.name in tables
        }


def secret_path(db_path: Path) -> Path:
    env = os.environ.get("EVALUATION_SECRET_FILE")
    return Path(env) if env else db_path.with_name(db_path.name + ".secret")


def _load_secret(db_path: Path, *, create: bool) -> bytes:
    path = secret_path(db_path)
    if path.exists():
        data = path.read_text(encoding="ascii").strip()
        try:
            secret = bytes.fromhex(data)
        except ValueError:
            raise StoreError(_("The store secret {path} is damaged.", path=path)) from None
        if len(secret) < 32:
            raise StoreError(_("The store secret {path} is too short.", path=path))
        return secret
    if db_path.exists() and db_path.stat().st_size > 0 and _has_cases(db_path):
        raise StoreError(
            _(
                "The store {path} holds case data but its secret {secret} is missing. Restore "
                "the secret from your backup; without it new case references cannot be matched.",
                path=db_path,
                secret=path,
            )
        )
    if not create:
        return b""
    secret = secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret.hex() + "\n")
    return secret


def _has_cases(db_path: Path) -> bool:
    try:
        with duckdb.connect(str(db_path), read_only=True) as c:
            return bool(c.execute("SELECT count(*) FROM cases").fetchall()[0][0])
    except duckdb.Error:
        return False


def cursor_of(store_or_cursor: Store | duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor from a ``Store`` (a new one of its own) or the cursor itself: readers take
    either, so the CLI passes a store and the dashboard the cursor of its request."""
    if isinstance(store_or_cursor, duckdb.DuckDBPyConnection):
        return store_or_cursor
    return store_or_cursor.cursor()
