"""Signing keys: each organisation of a store signs its returns; a funder trusts their keys.

Why Ed25519 and files beside the store: a return travels by e-mail or a portal, so the funder
must be able to tell that it came, unchanged, from the organisation that approved it. Each
organisation gets a key pair at first use; the private key stays beside the store file (like
the pseudonym secret: ``<db>.keys/``, the folder mode 0700, the file 0600), never in the
database file nor in a return, so a copy of the database or of a return cannot sign anything.
The public key travels as a small JSON file; a person registers it in the funder's store
(``trust``) after comparing its fingerprint with the organisation by phone.

A fingerprint is the first 20 bytes of the SHA-256 of the raw 32-byte public key, as five
groups of eight upper-case hex digits (``3F2A9C01 …``): short enough to read aloud.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from evaluation.sharing.returns.model import ReturnError, TrustResult
from evaluation.store.database import Store, cursor_of
from evaluation.vocabulary.language import _

KEY_FORMAT = "exit-evaluation public key"
KEY_VERSION = 1
ALGORITHM = "Ed25519"
MAX_KEY_FILE = 64 * 1024


@dataclass(frozen=True)
class PublicKey:
    """An organisation's public key: what ``keys export`` writes and ``keys trust`` reads."""

    organisation: str
    raw: bytes
    """The 32 bytes of the Ed25519 public key."""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.raw)

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "format": KEY_FORMAT,
                    "version": KEY_VERSION,
                    "organisation": self.organisation,
                    "algorithm": ALGORITHM,
                    "public_key": base64.b64encode(self.raw).decode("ascii"),
                    "fingerprint": self.fingerprint,
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``data``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class TrustedKey:
    """A key registered in this store: whose, its fingerprint, when and by whom."""

    organisation: str
    fingerprint: str
    trusted_at: dt.datetime
    trusted_by: str
    public_key: PublicKey


def fingerprint(raw: bytes) -> str:
    """Five groups of eight upper-case hex digits of SHA-256(raw public key)[:20]."""
    digest = hashlib.sha256(raw).hexdigest()[:40].upper()
    return " ".join(digest[i : i + 8] for i in range(0, 40, 8))


# -- the organisation's own keys ------------------------------------------------------------


def keys_dir(db_path: Path) -> Path:
    """``<db>.keys`` beside the store file."""
    return db_path.with_name(db_path.name + ".keys")


def key_path(db_path: Path, organisation: str) -> Path:
    """The private key file of ``organisation``: a readable slug of its name and 8 hex digits
    of its hash (two names with the same slug never share a key)."""
    slug = re.sub(r"[^a-z0-9]+", "-", organisation.lower()).strip("-")[:40] or "organisation"
    tag = hashlib.sha256(organisation.encode("utf-8")).hexdigest()[:8]
    return keys_dir(db_path) / f"{slug}-{tag}.key"


def organisations(store_or_cursor: Store | duckdb.DuckDBPyConnection) -> list[str]:
    """The organisations of this store that may sign returns: those whose data it holds or
    that approved a release here (not the senders of returns it imported)."""
    rows = (
        cursor_of(store_or_cursor)
        .execute(
            """SELECT organisation FROM submissions
               UNION SELECT organisation FROM releases
               WHERE coalesce(source, 'approved') = 'approved'
               ORDER BY 1"""
        )
        .fetchall()
    )
    return [str(r[0]) for r in rows]


def _load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        raise ReturnError(
            _(
                "The signing key {path} is damaged or cannot be read. Restore it from your "
                "backup (a new key would need every funder to trust it again); nothing was "
                "changed.",
                path=path,
            ),
            "key",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ReturnError(
            _("The signing key {path} is not an Ed25519 key; nothing was changed.", path=path),
            "key",
        )
    return key


def signing_key(store: Store, organisation: str, *, create: bool = True) -> Ed25519PrivateKey:
    """The private key of ``organisation`` in this store, made on first use when ``create``.

    ``ReturnError`` for an organisation this store does not hold (a typo would otherwise
    make a second key), or a missing key when not ``create``."""
    known = organisations(store)
    if organisation not in known:
        listing = ", ".join(known) if known else _("none yet")
        raise ReturnError(
            _(
                "This store holds no organisation called {name} (it holds: {listing}); give the "
                "name exactly as in the package's about.organisation. Nothing was changed.",
                name=repr(organisation),
                listing=listing,
            ),
            "key",
        )
    path = key_path(store.path, organisation)
    if path.exists():
        return _load_private(path)
    if not create:
        raise ReturnError(
            _("{organisation} has no signing key in this store yet.", organisation=organisation),
            "key",
        )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


def public_key(store: Store, organisation: str, *, create: bool = True) -> PublicKey:
    """The public half of ``organisation``'s key (made on first use when ``create``)."""
    raw = (
        signing_key(store, organisation, create=create)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return PublicKey(organisation, raw)


def own_keys(store: Store) -> list[PublicKey]:
    """The public keys of this store's organisations that have one already (none is made)."""
    return [
        public_key(store, org, create=False)
        for org in organisations(store)
        if key_path(store.path, org).exists()
    ]


def export_public_key(store: Store, organisation: str, out: Path) -> PublicKey:
    """Write ``organisation``'s public key file to ``out`` (making the key pair on first use)."""
    key = public_key(store, organisation)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(key.to_json(), encoding="utf-8")
    return key


# -- the funder's trusted keys --------------------------------------------------------------


def _bad_key_file(path: Path, what: str) -> ReturnError:
    return ReturnError(
        _(
            "{name} is not a public key file of this platform ({what}); nothing was changed.",
            name=path.name,
            what=what,
        ),
        "malformed",
    )


def read_public_key(path: Path) -> PublicKey:
    """The key in a file ``keys export`` wrote; ``ReturnError`` for anything else, or a file
    whose stated fingerprint does not match its key (damaged or edited)."""
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise _bad_key_file(path, _("it is far too large"))
        obj = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise ReturnError(
            _("The key file {path} cannot be read; nothing was changed.", path=path), "unreadable"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _bad_key_file(path, _("it is not JSON text")) from None
    if not isinstance(obj, dict) or obj.get("format") != KEY_FORMAT:
        raise _bad_key_file(path, _("it does not say it is one"))
    if obj.get("version") != KEY_VERSION or obj.get("algorithm") != ALGORITHM:
        raise _bad_key_file(
            path,
            _(
                "it is not a version {version} {algorithm} key",
                version=KEY_VERSION,
                algorithm=ALGORITHM,
            ),
        )
    organisation = obj.get("organisation")
    if not isinstance(organisation, str) or not organisation.strip():
        raise _bad_key_file(path, _("it names no organisation"))
    try:
        raw = base64.b64decode(str(obj.get("public_key", "")), validate=True)
    except (binascii.Error, ValueError):
        raise _bad_key_file(path, _("its key is not base64")) from None
    if len(raw) != 32:
        raise _bad_key_file(path, _("its key is not 32 bytes"))
    key = PublicKey(organisation, raw)
    if obj.get("fingerprint") != key.fingerprint:
        raise _bad_key_file(path, _("its fingerprint does not match its key"))
    return key


def trusted_keys(
    store_or_cursor: Store | duckdb.DuckDBPyConnection, organisation: str | None = None
) -> list[TrustedKey]:
    """The keys this store trusts (of ``organisation`` only, when given), oldest first."""
    where, params = ("organisation = ?", [organisation]) if organisation else ("TRUE", [])
    rows = (
        cursor_of(store_or_cursor)
        .execute(
            f"""SELECT organisation, fingerprint, public_key, trusted_at, trusted_by
                FROM trusted_keys WHERE {where} ORDER BY trusted_at, organisation""",
            params,
        )
        .fetchall()
    )
    return [
        TrustedKey(r[0], r[1], r[3], r[4], PublicKey(r[0], base64.b64decode(r[2]))) for r in rows
    ]


def trust(store: Store, path: Path, *, actor: str) -> TrustResult:
    """Register the public key in ``path`` as trusted for returns of its organisation.

    The same key twice changes nothing; another key for an organisation that already has one
    is added beside it (an organisation may move its store), and the result says so."""
    from evaluation.sharing import audit

    key = read_public_key(path)
    cur = store.cursor()
    existing = trusted_keys(cur)
    same = [k for k in existing if k.fingerprint == key.fingerprint]
    if same:
        if same[0].organisation != key.organisation:
            raise ReturnError(
                _(
                    "This key is already trusted for {organisation}, not {other}; one key "
                    "signs for one organisation. Nothing was changed.",
                    organisation=same[0].organisation,
                    other=key.organisation,
                ),
                "conflict",
            )
        return TrustResult(key.organisation, key.fingerprint, "already trusted")
    others = tuple(k.fingerprint for k in existing if k.organisation == key.organisation)
    cur.execute("BEGIN TRANSACTION")
    try:
        cur.execute(
            "INSERT INTO trusted_keys VALUES (?, ?, ?, ?, ?)",
            [
                key.organisation,
                key.fingerprint,
                base64.b64encode(key.raw).decode("ascii"),
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                actor,
            ],
        )
        audit.record(
            cur,
            actor=actor,
            role=None,
            action="trust_key",
            organisations=[key.organisation],
            detail={"fingerprint": key.fingerprint},
        )
        cur.execute("COMMIT")
    except Exception:
        cur.execute("ROLLBACK")
        raise
    return TrustResult(
        key.organisation, key.fingerprint, "added beside" if others else "trusted", others
    )
