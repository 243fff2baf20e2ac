"""Local accounts: who may sign in, with which role, and what they may see.

Accounts live in the store's ``users`` table (schema 2). A role says *how* someone sees data
(``ROLES``: the CSO's own staff see it internally, unsuppressed; funders and evaluators see only
the shared audience, small numbers hidden); a scope says *which* data: organisation names or
programme ids. ``scope_for`` turns both into the ``access.Scope`` every reader takes, so access
is enforced by the SQL the readers write, not by which pages a user is shown.

Passwords are never stored: only a salted, deliberately slow scrypt hash
(``scrypt$n$r$p$salt$hash``, standard library only), compared in constant time. The parameters
travel with each hash, so they can be raised later without invalidating existing accounts.
Every change is written to the audit log, never with a password or a hash.

Guessing is slowed and then stopped (``authenticate``): after ``sign_in_delay_after`` failed
sign-ins of one account name, or from one client (the computer's address, else its browser
session), each further attempt must wait, twice as long each time up to
``sign_in_delay_max_seconds``; ``sign_in_lock_after`` failures of a name within
``sign_in_window_minutes`` lock it for ``sign_in_lock_minutes`` (``sign_in_client_lock_after``
for a client, whatever names it tries). An attempt that comes too early is refused
(``SignInRefused``, saying until when) without checking the password, so even the right one is
refused during a lock and the server never sleeps. The state is the store's ``sign_in_guard``
table, keyed by a keyed hash of the name or client (never the name or address), so it holds
across restarts, processes and browser sessions, and unknown names are limited exactly like
existing ones (the limits tell nothing about which names exist). Failed sign-ins and locks go
to the audit trail, under the account's name only when such an account exists.

Only an administrator may change accounts, and the functions that change them check it
themselves (``AccessDenied`` otherwise), whichever page or command calls them. Each takes the
``actor`` who acts: a signed-in person (a ``User``, or the dashboard's ``access.Viewer``), or
the store's local ``OPERATOR``, whoever runs the command line on the machine that holds the store
file; they could change the file directly anyway, so they are trusted to manage accounts (that is
how the first administrator is made).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import duckdb
import pandas as pd

from evaluation import settings
from evaluation.errors import EvaluationError
from evaluation.sharing import audit
from evaluation.store import names
from evaluation.store.access import AccessDenied, Scope
from evaluation.store.database import Store
from evaluation.vocabulary.language import LANGUAGES, N_, _, language_name, n_
from evaluation.vocabulary.roles import ROLES, Role, role_title

NAME_PATTERN = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
MIN_PASSWORD, MAX_PASSWORD = 10, 1024
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32
_MAX_N = 2**20  # a hash asking for more work than this is not one of ours


class UserError(EvaluationError, ValueError):
    """An account cannot be created, changed or removed as asked; nothing was changed."""


@dataclass(frozen=True)
class User:
    """An account as anyone may see it: never the password hash."""

    name: str
    role: Role
    scope: tuple[str, ...] = ()
    """Organisation names or programme ids; for an administrator it has no effect."""
    created_at: dt.datetime | None = None
    """When the account was made (UTC)."""
    disabled: bool = False
    has_password: bool = True
    """False for accounts that sign in only through the identity provider."""
    language: str | None = None
    """The language the person reads the dashboard in (``en``, ``de``, …); None: not chosen,
    the browser's language is used."""

    @property
    def title(self) -> str:
        return ROLES[self.role].title


# -- passwords ---------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _normalise(password: str) -> bytes:
    # NFKC so the same password typed on another keyboard or system gives the same bytes
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt_b64$hash_b64`` with a fresh 16-byte random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(
        _normalise(password), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=HASH_BYTES
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; the comparison takes the same time either way.

    A malformed or foreign hash never matches (and never raises).
    """
    try:
        scheme, n, r, p, salt_b64, hash_b64 = stored.split("$")
        n_, r_, p_ = int(n), int(r), int(p)
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(hash_b64, validate=True)
    except (ValueError, AttributeError):
        return False
    if scheme != "scrypt" or not (1 < n_ <= _MAX_N and 0 < r_ <= 32 and 0 < p_ <= 16):
        return False
    if not expected:
        return False
    try:
        candidate = hashlib.scrypt(
            _normalise(password),
            salt=salt,
            n=n_,
            r=r_,
            p=p_,
            dklen=len(expected),
            maxmem=256 * r_ * n_ + 2**20,
        )
    except ValueError:
        return False
    return hmac.compare_digest(candidate, expected)


_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    """A hash to check against when the name is unknown, so that takes as long as a real one."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_hex(16)))
    return _DUMMY_HASH[0]


# -- checks ------------------------------------------------------------------------------------


def _clean(text: str, where: str) -> str:
    """``text`` under the Unicode policy of names (``store.names``), or :class:`UserError`."""
    try:
        return names.clean(text, where)
    except names.NameRefused as exc:
        raise UserError(str(exc)) from None


def check_name(name: str) -> str:
    name = _clean(name or "", _("The user name"))
    if not NAME_PATTERN.fullmatch(name):
        raise UserError(
            _(
                "A user name is 1 to 64 characters: letters A-Z, digits and . _ @ - only (an "
                "e-mail address works)."
            )
        )
    return name


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise UserError(
            _(
                "There is no role {role}. The roles are {roles}.",
                role=repr(role),
                roles=", ".join(ROLES),
            )
        )
    return ROLES[role].id


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(_("A password needs at least {n} characters.", n=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise UserError(_("A password may have at most {n} characters.", n=MAX_PASSWORD))


def check_language(language: str | None) -> str | None:
    """``language`` as an account keeps it: a language the platform speaks (``de``; ``de-AT``
    and ``DE`` are German), or None (not chosen) for None or an empty text."""
    if language is None or not language.strip():
        return None
    code = language.strip().replace("-", "_").split("_")[0].lower()
    if code not in LANGUAGES:
        raise UserError(
            _(
                "There is no language {language}. The languages are {languages}.",
                language=repr(language),
                languages=", ".join(f"{lang} ({language_name(lang)})" for lang in LANGUAGES),
            )
        )
    return code


def clean_scope(scope: Iterable[str]) -> tuple[str, ...]:
    """The scope's ids, trimmed, without blanks or repeats, in the order given."""
    out: dict[str, None] = {}
    for position, entry in enumerate(scope, start=1):
        item = _clean(str(entry), _("Scope entry {n}", n=position))
        if not item:
            continue
        if len(item) > 200:
            raise UserError(
                _(
                    "A scope entry is an organisation name or a programme id of at most "
                    "200 characters, without line breaks."
                )
            )
        out[item] = None
    return tuple(out)


# -- reading -----------------------------------------------------------------------------------

_COLUMNS = "name, role, scope, created_at, disabled, password_hash IS NOT NULL, language"


def _user(row: Sequence[Any]) -> User:
    """An account from a row of ``_COLUMNS`` (DuckDB gives the scope as a list, the creation
    time as a naive UTC datetime)."""
    name, role, scope, created, disabled, has_password, lang = row
    return User(
        str(name),
        check_role(str(role)),
        tuple(str(item) for item in scope or ()),
        created,
        bool(disabled),
        bool(has_password),
        str(lang) if lang else None,
    )


def list_users(store: Store) -> list[User]:
    """Every account, by name."""
    with store.cursor() as cur:
        rows = cur.execute(f"SELECT {_COLUMNS} FROM users ORDER BY lower(name)").fetchall()
    return [_user(r) for r in rows]


USER_COLUMNS = ["name", "role", "scope", "sign_in", "status", "language", "created_at"]
NOT_CHOSEN = N_("the browser's")
"""What the list of users says for an account without a language of its own."""


def user_table(accounts: Sequence[User]) -> pd.DataFrame:
    """The accounts for a person to read (in the language of the moment): role titles, scope
    as text, the language by its name, never a hash."""
    rows = [
        {
            "name": u.name,
            "role": _(u.title),
            "scope": _("everything") if u.role == "admin" else (", ".join(u.scope) or _("nothing")),
            "sign_in": _("password") if u.has_password else _("identity provider only"),
            "status": _("disabled") if u.disabled else _("active"),
            "language": language_name(u.language) if u.language else _(NOT_CHOSEN),
            "created_at": u.created_at,
        }
        for u in accounts
    ]
    return pd.DataFrame(rows, columns=USER_COLUMNS)


def _find(cur: duckdb.DuckDBPyConnection, name: str) -> tuple[User, str | None] | None:
    rows = cur.execute(
        f"SELECT {_COLUMNS}, password_hash FROM users WHERE lower(name) = lower(?)", [name]
    ).fetchall()
    return (_user(rows[0][:7]), rows[0][7]) if rows else None


def get_user(store: Store, name: str) -> User | None:
    """The account of ``name`` (names are compared without regard to case), or None."""
    with store.cursor() as cur:
        found = _find(cur, name.strip())
    return found[0] if found else None


def authenticate(
    store: Store,
    name: str,
    password: str,
    *,
    client: str | None = None,
    now: dt.datetime | None = None,
) -> User | None:
    """The account if ``name`` and ``password`` match an enabled account, else None.

    An unknown name costs as much time as a wrong password, so timing does not tell which
    names exist. Sign-ins and refused attempts go to the audit log (under the account's name
    only when it exists). ``client`` says where the attempt comes from (the dashboard passes
    the computer's address or its browser session; None: no limit per client). Too many
    failures raise :class:`SignInRefused` before the password is checked (see the module's
    docstring); ``now`` (UTC) is for tests.
    """
    policy = SignInPolicy.from_settings()
    now = _utc(now)
    typed = names.normalise(name).strip()  # a name typed in full-width letters is the name
    subjects = [_subject(store, "account", typed.lower())]
    if client:
        subjects.append(_subject(store, "client", client))
    _check_and_reserve(store, subjects, now)
    fingerprint = {"client": subjects[1].key[:12]} if client else {}
    with store.cursor() as cur:
        found = _find(cur, typed) if NAME_PATTERN.fullmatch(typed) else None
        if found is None:
            verify_password(password, _dummy_hash())
            locks = _record_failure(cur, subjects, now, policy)
            audit.record(
                cur,
                actor=UNKNOWN_ACTOR,
                role=None,
                action="sign_in_failed",
                detail={"reason": "unknown user", **fingerprint},
            )
            _record_locks(store, cur, None, locks, fingerprint)
            return None
        user, stored = found
        ok = verify_password(password, stored or _dummy_hash()) and bool(stored)
        if not ok or user.disabled:
            locks = _record_failure(cur, subjects, now, policy)
            record_sign_in(
                store,
                user,
                "password",
                cur,
                failed="disabled" if ok else "wrong password",
                extra=fingerprint,
            )
            _record_locks(store, cur, user, locks, fingerprint)
            return None
        _record_success(cur, subjects[0])
        record_sign_in(store, user, "password", cur)
    return user


def record_sign_in(
    store: Store,
    user: User,
    method: str,
    cursor: duckdb.DuckDBPyConnection | None = None,
    *,
    failed: str | None = None,
    extra: Mapping[str, object] | None = None,
) -> None:
    """Write a sign-in (or, with ``failed`` the reason, a refused one) of ``user`` to the audit
    trail, under the organisations of their scope, so their CSO managers see it. ``extra`` adds
    to the detail (e.g. the client's fingerprint)."""
    orgs = scope_for(user, store).organisations or frozenset()
    audit.record(
        cursor or store,
        actor=user.name,
        role=user.role,
        action="sign_in_failed" if failed else "sign_in",
        detail={"method": method, **({"reason": failed} if failed else {}), **(extra or {})},
        organisations=orgs,
    )


# -- limits on guessing ------------------------------------------------------------------------

UNKNOWN_ACTOR = "(unknown user name)"
"""The actor of an audit row about a name that is no account (what was typed is not kept)."""
HOLD = dt.timedelta(seconds=5)
"""While one attempt on a name is being checked, others on it wait (so parallel guesses do not
all pass the same check); the hold ends when the attempt is recorded."""
_GUARD = threading.Lock()
"""Makes each check-and-update of ``sign_in_guard`` one step within this process; other
processes cannot write the store file at the same time anyway (DuckDB's file lock)."""


class SignInRefused(UserError):
    """Sign-in is refused for a while after too many failed attempts; the password was not
    checked. ``until`` (UTC) is when an attempt will be checked again."""

    def __init__(self, message: str, until: dt.datetime, *, locked: bool) -> None:
        super().__init__(message)
        self.until = until
        self.locked = locked


@dataclass(frozen=True)
class SignInPolicy:
    """The limits on failed sign-ins, from the settings ``sign_in_*`` (``evaluation.settings``)."""

    delay_after: int = 3
    delay_max: dt.timedelta = dt.timedelta(seconds=30)
    lock_after: int = 10
    client_lock_after: int = 30
    window: dt.timedelta = dt.timedelta(minutes=15)
    lock: dt.timedelta = dt.timedelta(minutes=15)

    @classmethod
    def from_settings(cls) -> SignInPolicy:
        """The limits as the environment sets them now."""
        return cls(
            delay_after=settings.value("sign_in_delay_after"),
            delay_max=dt.timedelta(seconds=settings.value("sign_in_delay_max_seconds")),
            lock_after=settings.value("sign_in_lock_after"),
            client_lock_after=settings.value("sign_in_client_lock_after"),
            window=dt.timedelta(minutes=settings.value("sign_in_window_minutes")),
            lock=dt.timedelta(minutes=settings.value("sign_in_lock_minutes")),
        )

    def delay(self, failures: int) -> dt.timedelta:
        """How long the next attempt waits after ``failures`` failures: none before
        ``delay_after``, then 1 s, 2 s, 4 s, … up to ``delay_max``."""
        if failures < self.delay_after:
            return dt.timedelta(0)
        seconds = 2 ** min(failures - self.delay_after, 30)
        return min(dt.timedelta(seconds=seconds), self.delay_max)

    def locks_after(self, kind: str) -> int:
        return self.lock_after if kind == "account" else self.client_lock_after


@dataclass(frozen=True)
class _Subject:
    kind: Literal["account", "client"]
    key: str
    """The keyed hash of the name or client (the row's ``subject`` is ``kind:key``)."""

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.key}"


def _subject(store: Store, kind: Literal["account", "client"], text: str) -> _Subject:
    # the store's HMAC with a label of its own; case references never contain a space
    return _Subject(kind, store.case_key(f"sign-in {kind} {text}"))


def _utc(when: dt.datetime | None) -> dt.datetime:
    """``when`` (default: now) as the store keeps times: UTC without a zone."""
    when = when or dt.datetime.now(dt.UTC)
    return when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when


def _wait_text(now: dt.datetime, until: dt.datetime) -> tuple[str, str]:
    """How long until ``until`` and its clock time: ``("8 seconds", "14:03:12")``, or
    ``("15 minutes", "14:19")`` with the minute rounded up, so the time shown is never early."""
    seconds = max(1, math.ceil((until - now).total_seconds()))
    if seconds < 120:
        return n_("{n} second", "{n} seconds", seconds), f"{until:%H:%M:%S}"
    rounded = until + dt.timedelta(seconds=59 if until.second or until.microsecond else 0)
    return n_("{n} minute", "{n} minutes", math.ceil(seconds / 60)), f"{rounded:%H:%M}"


def _check_and_reserve(store: Store, subjects: Sequence[_Subject], now: dt.datetime) -> None:
    """Refuse (:class:`SignInRefused`) when a subject is locked or must still wait; else hold
    the account name for this attempt (``HOLD``)."""
    with _GUARD, store.cursor() as cur:
        cur.execute("BEGIN TRANSACTION")
        try:
            rows = {
                r[0]: (r[1], r[2])
                for r in cur.execute(
                    "SELECT subject, next_attempt_at, locked_until FROM sign_in_guard "
                    "WHERE subject IN (SELECT unnest(?))",
                    [[s.subject for s in subjects]],
                ).fetchall()
            }
            for s in subjects:  # a lock first, the account's before the client's
                locked_until = rows.get(s.subject, (None, None))[1]
                if locked_until is not None and now < locked_until:
                    wait, clock = _wait_text(now, locked_until)
                    said = (
                        _(
                            "This account is temporarily locked after too many failed "
                            "sign-ins; it opens again in {wait}, at {clock} UTC. Nothing was "
                            "checked: try again then, or ask an administrator.",
                            wait=wait,
                            clock=clock,
                        )
                        if s.kind == "account"
                        else _(
                            "Sign-in from this computer is temporarily locked after too many "
                            "failed sign-ins; it opens again in {wait}, at {clock} UTC. Nothing "
                            "was checked: try again then, or ask an administrator.",
                            wait=wait,
                            clock=clock,
                        )
                    )
                    raise SignInRefused(
                        said,
                        locked_until,
                        locked=True,
                    )
            waits = [nxt for nxt, _lock in rows.values() if nxt is not None and now < nxt]
            if waits:
                until = max(waits)
                wait, clock = _wait_text(now, until)
                raise SignInRefused(
                    _(
                        "Too many failed sign-ins: try again in {wait} (from {clock} UTC). "
                        "Nothing was checked.",
                        wait=wait,
                        clock=clock,
                    ),
                    until,
                    locked=False,
                )
            cur.execute(
                "INSERT INTO sign_in_guard VALUES (?, ?, 0, ?, ?, NULL) ON CONFLICT (subject) "
                "DO UPDATE SET next_attempt_at = excluded.next_attempt_at",
                [subjects[0].subject, subjects[0].kind, now, now + HOLD],
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise


def _record_failure(
    cur: duckdb.DuckDBPyConnection,
    subjects: Sequence[_Subject],
    now: dt.datetime,
    policy: SignInPolicy,
) -> list[tuple[_Subject, int, dt.datetime]]:
    """Count a failure against every subject; returns the locks it starts (subject, failures,
    locked until). Rows whose window and lock are over are dropped on the way."""
    started = []
    with _GUARD:
        cur.execute("BEGIN TRANSACTION")
        try:
            cur.execute(
                "DELETE FROM sign_in_guard WHERE next_attempt_at <= ? AND window_start < ? "
                "AND (locked_until IS NULL OR locked_until <= ?)",
                [now, now - policy.window, now],
            )
            for s in subjects:
                row = cur.execute(
                    "SELECT failures, window_start, locked_until FROM sign_in_guard "
                    "WHERE subject = ?",
                    [s.subject],
                ).fetchall()
                failures, start = 1, now
                if row:
                    before, window_start, locked_until = row[0]
                    over = locked_until is not None and locked_until <= now
                    if now - window_start <= policy.window and not over:
                        failures, start = int(before) + 1, window_start
                locked = now + policy.lock if failures >= policy.locks_after(s.kind) else None
                cur.execute(
                    "INSERT OR REPLACE INTO sign_in_guard VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        s.subject,
                        s.kind,
                        failures,
                        start,
                        locked or now + policy.delay(failures),
                        locked,
                    ],
                )
                if locked is not None:
                    started.append((s, failures, locked))
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    return started


def _record_success(cur: duckdb.DuckDBPyConnection, account: _Subject) -> None:
    """A right password clears the failures of the name (not those of the client)."""
    with _GUARD:
        cur.execute("DELETE FROM sign_in_guard WHERE subject = ?", [account.subject])


def _record_locks(
    store: Store,
    cur: duckdb.DuckDBPyConnection,
    user: User | None,
    locks: Sequence[tuple[_Subject, int, dt.datetime]],
    fingerprint: Mapping[str, object],
) -> None:
    """Write each lock a failure started to the audit trail, under the account when it exists."""
    orgs = (scope_for(user, store).organisations or frozenset()) if user else frozenset()
    for s, failures, until in locks:
        audit.record(
            cur,
            actor=user.name if user else UNKNOWN_ACTOR,
            role=user.role if user else None,
            action="sign_in_locked",
            detail={
                "locked": "account" if s.kind == "account" else "computer",
                "failures": failures,
                "until": until.isoformat(timespec="seconds"),
                **fingerprint,
            },
            organisations=orgs,
        )


# -- who may change accounts -------------------------------------------------------------------


class Person(Protocol):
    """Someone signed in who acts: a ``User``, or the dashboard's ``access.Viewer``."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> Role: ...


@dataclass(frozen=True)
class Operator:
    """The store's local operator: whoever runs the command line where the store file is.

    They can read and write the file itself, so refusing them account changes would protect
    nothing; they may manage accounts whatever accounts exist (the first administrator is made
    this way). Their changes are recorded in the audit log under ``name``.
    """

    name: str = "cli"


OPERATOR = Operator()
"""The command line's operator, recorded as ``cli``."""

Actor = Person | Operator
"""Who changes an account: a signed-in person (refused unless an administrator), or the
local operator."""


def require_account_manager(actor: Actor) -> None:
    """Refuse (``AccessDenied``) an actor who may not manage accounts: anyone signed in who is
    not an administrator. The local operator may."""
    if isinstance(actor, Operator) or actor.role == "admin":
        return
    raise AccessDenied(
        _(
            "Only administrators can manage users; {name} is signed in as {role}, so nothing "
            "was changed.",
            name=actor.name,
            role=_(role_title(actor.role)),
        )
    )


# -- changing ----------------------------------------------------------------------------------


def add_user(
    store: Store,
    name: str,
    role: str,
    scope: Iterable[str] = (),
    password: str | None = None,
    *,
    actor: Actor,
    disabled: bool | None = None,
    allow_no_password: bool = False,
    language: str | None = None,
) -> User:
    """Create an account, or update the one of that name (role, scope; the password if given).

    A new account needs a password unless ``allow_no_password`` (it then signs in only through
    the identity provider). ``language`` sets the language the person reads (``de``; ``""``
    forgets the choice, None keeps it). ``actor`` must be an administrator or the local
    operator (``AccessDenied`` otherwise), and may not take away their own administrator role
    or disable themselves.
    """
    require_account_manager(actor)
    name, role_id, ids = check_name(name), check_role(role), clean_scope(scope)
    lang = check_language(language) if language is not None else None
    if password is not None and password != "":
        check_password(password)
    else:
        password = None
    new_hash = hash_password(password) if password is not None else None
    cur = store.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        try:
            found = _find(cur, name)
            if found is None:
                if new_hash is None and not allow_no_password:
                    raise UserError(
                        _(
                            "A new user needs a password of at least {n} characters.",
                            n=MIN_PASSWORD,
                        )
                    )
                now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
                cur.execute(
                    "INSERT INTO users (name, role, scope, password_hash, created_at, disabled, "
                    "language) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [name, role_id, list(ids), new_hash, now, bool(disabled), lang],
                )
                action = "user_add"
            else:
                old = found[0]
                name = old.name
                own = name.lower() == actor.name.lower()
                if own and old.role == "admin" and role_id != "admin":
                    raise UserError(
                        _(
                            "You cannot take away your own administrator role; ask "
                            "another administrator."
                        )
                    )
                if own and disabled:
                    raise UserError(_("You cannot disable your own account."))
                cur.execute(
                    "UPDATE users SET role = ?, scope = ?, "
                    "password_hash = coalesce(?, password_hash), "
                    "disabled = coalesce(?, disabled) WHERE name = ?",
                    [role_id, list(ids), new_hash, disabled, name],
                )
                if language is not None:
                    cur.execute("UPDATE users SET language = ? WHERE name = ?", [lang, name])
                action = "user_change"
            audit.record(
                cur,
                actor=actor.name,
                role=getattr(actor, "role", None),
                action=action,
                detail={
                    "name": name,
                    "role": role_id,
                    "scope": list(ids),
                    "password_set": new_hash is not None,
                    "disabled": disabled,
                    **({"language": lang} if language is not None else {}),
                },
            )
            found = _find(cur, name)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    finally:
        cur.close()
    assert found is not None
    return found[0]


def _require(store: Store, name: str) -> User:
    user = get_user(store, name)
    if user is None:
        raise UserError(_("There is no user {name}.", name=repr(name.strip())))
    return user


def set_language(store: Store, name: str, language: str | None, *, actor: Actor) -> User:
    """Set the language ``name``'s account reads the dashboard in (``de``), or forget it (None
    or ``""``: the browser's language is used). Everyone may choose their own language; only
    an administrator or the local operator another account's (``AccessDenied`` otherwise)."""
    user = _require(store, name)
    if isinstance(actor, Operator) or actor.name.lower() != user.name.lower():
        require_account_manager(actor)
    lang = check_language(language)
    if lang == user.language:
        return user
    with store.cursor() as cur:
        cur.execute("BEGIN TRANSACTION")
        try:
            cur.execute("UPDATE users SET language = ? WHERE name = ?", [lang, user.name])
            audit.record(
                cur,
                actor=actor.name,
                role=getattr(actor, "role", None),
                action="user_change",
                detail={"name": user.name, "language": lang},
            )
            found = _find(cur, user.name)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    assert found is not None
    return found[0]


def set_role(store: Store, name: str, role: str, *, actor: Actor) -> User:
    """Change the role of ``name``'s account (see ``add_user`` for who may)."""
    require_account_manager(actor)
    user = _require(store, name)
    return add_user(store, user.name, role, user.scope, actor=actor)


def set_scope(store: Store, name: str, scope: Iterable[str], *, actor: Actor) -> User:
    """Change the scope of ``name``'s account (see ``add_user`` for who may)."""
    require_account_manager(actor)
    user = _require(store, name)
    return add_user(store, user.name, user.role, scope, actor=actor)


def set_password(store: Store, name: str, password: str, *, actor: Actor) -> User:
    """Set a new password for ``name``'s account (see ``add_user`` for who may)."""
    require_account_manager(actor)
    user = _require(store, name)
    check_password(password)
    return add_user(store, user.name, user.role, user.scope, password, actor=actor)


def set_disabled(store: Store, name: str, disabled: bool, *, actor: Actor) -> User:
    """Disable or enable ``name``'s account (see ``add_user`` for who may)."""
    require_account_manager(actor)
    user = _require(store, name)
    return add_user(store, user.name, user.role, user.scope, actor=actor, disabled=disabled)


def remove_user(store: Store, name: str, *, actor: Actor) -> None:
    """Delete an account; its entries in the audit log stay. ``actor`` must be an
    administrator or the local operator (``AccessDenied`` otherwise), and not the account's
    owner."""
    require_account_manager(actor)
    user = _require(store, name)
    if user.name.lower() == actor.name.lower():
        raise UserError(_("You cannot remove your own account while you are signed in with it."))
    with store.cursor() as cur:
        cur.execute("BEGIN TRANSACTION")
        try:
            cur.execute("DELETE FROM users WHERE name = ?", [user.name])
            audit.record(
                cur,
                actor=actor.name,
                role=getattr(actor, "role", None),
                action="user_remove",
                detail={"name": user.name, "role": user.role},
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise


# -- what a user may see -----------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeOption:
    """An organisation or programme that can be put in a user's scope."""

    id: str
    kind: Literal["organisation", "programme"]
    label: str


def scope_options(store: Store) -> list[ScopeOption]:
    """The organisations and programmes on record, organisations first, for a scope picker."""
    with store.cursor() as cur:
        rows = cur.execute(
            """SELECT cs.programme_id, cs.organisation,
                      (SELECT any_value(p.programme_name) FROM current_programmes p
                       WHERE p.programme_id = cs.programme_id)
               FROM current_submission cs ORDER BY cs.organisation, cs.programme_id"""
        ).fetchall()
    orgs = sorted({r[1] for r in rows}, key=str.lower)
    # a name on record from before the Unicode policy shows its invisible characters
    shown = names.shown
    return [
        ScopeOption(o, "organisation", _("{name} (organisation)", name=shown(o))) for o in orgs
    ] + [
        ScopeOption(p, "programme", f"{p} — {shown(name or p)} ({shown(org)})")
        for p, org, name in rows
    ]


def look_alike_warnings(store: Store, user: User) -> list[str]:
    """Sentences warning that the account's name looks like (``names.look_alikes``) the name of
    another account, or that a scope entry matches nothing on record but looks like an
    organisation or programme that is: such an entry grants nothing, and two accounts whose
    names read alike can be mistaken for each other. Nothing is refused. Another account's
    name is not repeated (a user name can be a person's); the list of users shows it."""
    out = []
    others = [u.name for u in list_users(store) if u.name.lower() != user.name.lower()]
    if names.look_alikes(user.name, others):
        out.append(
            _(
                "The user name {name} looks like the name of another account; if both are "
                "meant for the same person, change that account and remove this one.",
                name=user.name,
            )
        )
    known = {o.id: o.kind for o in scope_options(store)}
    lowered = {i.lower() for i in known}
    for item in user.scope:
        if item.lower() in lowered:
            continue
        for other in names.look_alikes(item, known):
            text = (
                N_(
                    "The scope entry “{item}” matches nothing on record but looks like the "
                    "organisation on record as “{other}”; if it is meant to be that "
                    "organisation, use exactly that spelling."
                )
                if known[other] == "organisation"
                else N_(
                    "The scope entry “{item}” matches nothing on record but looks like the "
                    "programme on record as “{other}”; if it is meant to be that programme, "
                    "use exactly that spelling."
                )
            )
            out.append(_(text, item=item, other=names.shown(other)))
    return out


def unknown_scope_ids(store: Store, scope: Iterable[str]) -> list[str]:
    """The ids of ``scope`` that are neither an organisation nor a programme on record yet."""
    known = {o.id.lower() for o in scope_options(store)}
    return [i for i in clean_scope(scope) if i.lower() not in known]


def scope_for(user: User, store: Store) -> Scope:
    """What ``user`` may see, as the scope every reader and the engine take.

    An administrator sees everything, internally. A CSO manager sees the organisations and
    programmes of their scope internally (unsuppressed); funders and evaluators the same
    selection, but only the shared audience. An id in the scope is a programme when a
    programme of that id is on record, otherwise an organisation name (so an account can be
    made before its organisation's first upload). A scope naming only organisations covers
    every programme they load later; naming programmes limits it to those (and to every
    programme of any organisation also named). An empty scope sees nothing.
    """
    audience = ROLES[user.role].audience
    if user.role == "admin":
        return Scope.everything(audience)
    with store.cursor() as cur:
        current = cur.execute(  # and a funder's store's programmes, known from returns
            """SELECT programme_id, organisation FROM current_submission
               UNION SELECT programme_id, organisation FROM release_programmes
               WHERE programme_id NOT IN (SELECT programme_id FROM current_submission)"""
        ).fetchall()
    org_of = {p: o for p, o in current}
    spelled = {names.normalise(o.strip()).lower(): o for o in org_of.values()}
    programmes = {i for i in user.scope if i in org_of}
    named = {
        spelled.get(names.normalise(i.strip()).lower(), i) for i in user.scope if i not in org_of
    }
    organisations = frozenset(named | {org_of[p] for p in programmes})
    if not programmes:
        return Scope(organisations, None, audience)
    lowered = {o.strip().lower() for o in named}
    programmes |= {p for p, o in org_of.items() if o.strip().lower() in lowered}
    return Scope(organisations, frozenset(programmes), audience)
