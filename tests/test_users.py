"""Local accounts (``evaluation.store.users``) and ``python -m evaluation users``.

Passwords: the hash format, a fresh salt each time, constant-time comparison, nothing
recoverable in the store or the audit log. Accounts: validation, updates by re-adding, removal,
audit, and who may change them (administrators and the local operator, checked by the
functions themselves). Scopes: what each role may see, proven through the same readers and engine
the dashboard uses. The command line runs in a subprocess, as scripts use it, with its exit
statuses.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import store_at_schema

from evaluation import cli
from evaluation.demo.users import demo_users
from evaluation.errors import EvaluationError, PackageRefused
from evaluation.intake.ingest import ingest
from evaluation.measures.engine import IndicatorRequest, compute
from evaluation.periods import parse_periods
from evaluation.store import users
from evaluation.store.access import AccessDenied, Scope, Viewer
from evaluation.store.database import SCHEMA_VERSION, Store
from evaluation.views import overview
from tests.conftest import approve_releases

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
ORGANISATION = "Brückenbau Exit e.V. (fictional)"
ADMIN = users.User("admin.test", "admin")
"""A signed-in administrator, the actor of most account changes here."""
OPERATOR = users.OPERATOR


@pytest.fixture
def loaded(store: Store, minimal_dir: Path) -> Store:
    """A store of its own with the minimal package (programmes P-CJS and P-OPEN)."""
    ingest(minimal_dir, store, actor="test")
    return store


def _audit(store: Store) -> list[tuple[str, str, dict[str, object]]]:
    rows = (
        store.cursor()
        .execute(
            "SELECT actor, action, detail FROM audit_log "
            "WHERE action IN ('user_add', 'user_change', 'user_remove', 'sign_in', "
            "'sign_in_failed') "
            "ORDER BY happened_at"
        )
        .fetchall()
    )
    return [(a, b, json.loads(c)) for a, b, c in rows]


# -- passwords ---------------------------------------------------------------------------------


def test_the_hash_is_salted_scrypt_in_the_agreed_format() -> None:
    stored = users.hash_password(PASSWORD)
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**14), "8", "1")
    assert len(base64.b64decode(salt, validate=True)) == 16
    assert len(base64.b64decode(digest, validate=True)) == 32
    assert PASSWORD not in stored


def test_every_hash_has_its_own_salt() -> None:
    first, second = users.hash_password(PASSWORD), users.hash_password(PASSWORD)
    assert first.split("$")[4] != second.split("$")[4]
    assert first.split("$")[5] != second.split("$")[5]
    assert users.verify_password(PASSWORD, first) and users.verify_password(PASSWORD, second)


def test_verify_accepts_only_the_password() -> None:
    stored = users.hash_password(PASSWORD)
    assert users.verify_password(PASSWORD, stored)
    assert not users.verify_password(PASSWORD + " ", stored)
    assert not users.verify_password("correct horse batterY", stored)
    assert not users.verify_password("", stored)
    # the same characters typed in another Unicode form are the same password
    assert users.verify_password("ﬁne password", users.hash_password("fine password"))


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain",
        "scrypt$16384$8$1$c2FsdA==",
        "bcrypt$16384$8$1$c2FsdA==$aGFzaA==",
        "scrypt$16384$8$1$not base64$aGFzaA==",
        "scrypt$16384$8$1$c2FsdA==$",
        "scrypt$1073741824$8$1$c2FsdA==$aGFzaA==",  # asks for far too much work
        "scrypt$x$8$1$c2FsdA==$aGFzaA==",
    ],
)
def test_a_malformed_hash_never_matches(stored: str) -> None:
    assert not users.verify_password(PASSWORD, stored)


def test_the_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = users.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(users.hmac, "compare_digest", spy)
    stored = users.hash_password(PASSWORD)
    assert users.verify_password(PASSWORD, stored)
    assert not users.verify_password("wrong password!", stored)
    assert len(calls) == 2 and all(len(a) == len(b) == 32 for a, b in calls)


def test_the_password_is_nowhere_in_the_store(loaded: Store) -> None:
    users.add_user(loaded, "alice", "cso_manager", [ORGANISATION], PASSWORD, actor=OPERATOR)
    assert users.authenticate(loaded, "alice", PASSWORD)
    loaded.conn.execute("CHECKPOINT")
    assert PASSWORD.encode() not in loaded.path.read_bytes()
    log = json.dumps(_audit(loaded))
    assert PASSWORD not in log and "scrypt$" not in log
    assert not any("hash" in vars(u) for u in users.list_users(loaded))


# -- accounts ----------------------------------------------------------------------------------


def test_add_update_list_remove_with_audit(loaded: Store) -> None:
    added = users.add_user(
        loaded, "alice", "cso_manager", [ORGANISATION, ORGANISATION], PASSWORD, actor=ADMIN
    )
    assert (added.name, added.role, added.scope) == ("alice", "cso_manager", (ORGANISATION,))
    assert added.created_at is not None and not added.disabled and added.has_password

    # re-adding the same name (in any case) updates role and scope, and keeps the password
    updated = users.add_user(loaded, "ALICE", "funder", ["P-CJS"], None, actor=ADMIN)
    assert (updated.name, updated.role, updated.scope) == ("alice", "funder", ("P-CJS",))
    assert updated.created_at == added.created_at
    assert users.authenticate(loaded, "Alice", PASSWORD) == updated
    users.set_password(loaded, "alice", "another password", actor=ADMIN)
    assert users.authenticate(loaded, "alice", PASSWORD) is None
    assert users.authenticate(loaded, "alice", "another password")
    users.set_role(loaded, "alice", "evaluator", actor=OPERATOR)
    users.set_scope(loaded, "alice", [ORGANISATION], actor=OPERATOR)
    assert users.get_user(loaded, "alice").role == "evaluator"
    assert users.get_user(loaded, "alice").scope == (ORGANISATION,)

    bob = users.add_user(loaded, "bob", "admin", (), PASSWORD, actor=OPERATOR)
    assert [u.name for u in users.list_users(loaded)] == ["alice", "bob"]
    users.remove_user(loaded, "alice", actor=bob)
    assert users.get_user(loaded, "alice") is None

    actions = [(actor, action) for actor, action, _ in _audit(loaded)]
    assert ("admin.test", "user_add") in actions
    assert ("admin.test", "user_change") in actions
    assert ("cli", "user_change") in actions  # the local operator
    assert ("bob", "user_remove") in actions
    assert ("alice", "sign_in") in actions
    assert ("alice", "sign_in_failed") in actions


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("", "admin", PASSWORD, "1 to 64 characters"),
        ("a" * 65, "admin", PASSWORD, "1 to 64 characters"),
        ("alice smith", "admin", PASSWORD, "letters A-Z"),
        ("alice;drop", "admin", PASSWORD, "letters A-Z"),
        ("alice", "superuser", PASSWORD, "There is no role 'superuser'"),
        ("alice", "funder", "short", "at least 10 characters"),
        ("alice", "funder", None, "A new user needs a password"),
    ],
)
def test_bad_accounts_are_refused_with_a_sentence(
    store: Store, name: str, role: str, password: str | None, message: str
) -> None:
    with pytest.raises(users.UserError, match=message) as caught:
        users.add_user(store, name, role, (), password, actor=OPERATOR)
    assert isinstance(caught.value, EvaluationError) and isinstance(caught.value, ValueError)
    assert users.list_users(store) == []
    assert _audit(store) == []


def test_accounts_without_password_need_an_identity_provider(store: Store) -> None:
    user = users.add_user(
        store, "x@example.org", "funder", (), None, actor=OPERATOR, allow_no_password=True
    )
    assert not user.has_password
    assert users.authenticate(store, "x@example.org", "") is None
    assert users.authenticate(store, "x@example.org", PASSWORD) is None


def test_administrators_cannot_lock_themselves_out(store: Store) -> None:
    root = users.add_user(store, "root.admin", "admin", (), PASSWORD, actor=OPERATOR)
    with pytest.raises(users.UserError, match="your own administrator role"):
        users.set_role(store, "root.admin", "funder", actor=root)
    with pytest.raises(users.UserError, match="your own account"):
        users.remove_user(store, "root.admin", actor=root)
    with pytest.raises(users.UserError, match="disable your own"):
        users.set_disabled(store, "root.admin", True, actor=root)
    with pytest.raises(users.UserError, match="There is no user 'nobody'"):
        users.remove_user(store, "nobody", actor=OPERATOR)
    assert users.get_user(store, "root.admin").role == "admin"


@pytest.mark.parametrize("role", ["cso_manager", "funder", "evaluator"])
def test_only_administrators_may_change_accounts(store: Store, role: str) -> None:
    """The package functions refuse a signed-in actor who is not an administrator, whichever
    page or command calls them, and change nothing (not even the audit log)."""
    users.add_user(store, "dora", "evaluator", ("P-CJS",), PASSWORD, actor=OPERATOR)
    before = (users.list_users(store), _audit(store))
    # the dashboard's viewer and a stored account alike, even one changing itself
    changes: list[tuple[Callable[..., object], tuple[object, ...]]] = [
        (users.add_user, ("mallory", "admin", (), PASSWORD)),
        (users.add_user, ("dora", "admin", (), None)),
        (users.set_role, ("dora", "admin")),
        (users.set_scope, ("dora", [ORGANISATION])),
        (users.set_password, ("dora", "a new password")),
        (users.set_disabled, ("dora", True)),
        (users.remove_user, ("dora",)),
        (users.remove_user, ("nobody",)),
    ]
    for actor in (Viewer("eve", role, Scope.everything()), users.User("dora", role)):
        for change, args in changes:
            with pytest.raises(AccessDenied, match="Only administrators can manage users") as no:
                change(store, *args, actor=actor)
            assert isinstance(no.value, EvaluationError) and isinstance(no.value, PermissionError)
            assert actor.name in str(no.value)
    assert (users.list_users(store), _audit(store)) == before
    assert users.authenticate(store, "dora", PASSWORD)


def test_an_administrator_viewer_and_the_operator_may_change_accounts(store: Store) -> None:
    users.add_user(store, "dora", "evaluator", (), PASSWORD, actor=OPERATOR)
    users.set_role(store, "dora", "funder", actor=Viewer("ada", "admin", Scope.everything()))
    users.set_disabled(store, "dora", True, actor=users.Operator("setup-script"))
    assert users.get_user(store, "dora") == users.User(
        "dora", "funder", (), users.get_user(store, "dora").created_at, disabled=True
    )
    assert [(a, b) for a, b, _ in _audit(store)] == [
        ("cli", "user_add"),
        ("ada", "user_change"),
        ("setup-script", "user_change"),
    ]


def test_disabled_and_unknown_accounts_cannot_sign_in(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    users.add_user(store, "carol", "evaluator", (), PASSWORD, actor=OPERATOR)
    users.set_disabled(store, "carol", True, actor=OPERATOR)
    assert users.authenticate(store, "carol", PASSWORD) is None
    assert ("carol", "sign_in_failed", {"method": "password", "reason": "disabled"}) in _audit(
        store
    )

    checked: list[str] = []
    real = users.verify_password
    monkeypatch.setattr(
        users, "verify_password", lambda pw, stored: checked.append(stored) or real(pw, stored)
    )
    assert users.authenticate(store, "nobody", PASSWORD) is None
    assert checked and checked[0].startswith("scrypt$")  # an unknown name costs a hash too


def test_a_store_of_schema_1_gains_the_users_table(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    store_at_schema(db, 1)
    with pytest.raises(EvaluationError, match="schema 1"):
        Store.open(db, read_only=True)
    with Store.open(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert users.list_users(store) == []


# -- what each role sees -----------------------------------------------------------------------


def _programmes(store: Store, scope: Scope) -> list[str]:
    with store.cursor() as cur:
        return sorted(overview.programme_overview(cur, scope)["programme_id"])


def test_scope_for_each_role(loaded: Store) -> None:
    admin = users.User("a", "admin", ("ignored",))
    assert users.scope_for(admin, loaded) == Scope.everything("internal")

    manager = users.User("m", "cso_manager", (ORGANISATION.lower(),))
    scope = users.scope_for(manager, loaded)
    assert scope == Scope(frozenset({ORGANISATION}), None, "internal")
    assert _programmes(loaded, scope) == ["P-CJS", "P-OPEN"]

    funder = users.User("f", "funder", ("P-CJS",))
    scope = users.scope_for(funder, loaded)
    assert scope == Scope(frozenset({ORGANISATION}), frozenset({"P-CJS"}), "shared")
    assert _programmes(loaded, scope) == ["P-CJS"]

    evaluator = users.User("e", "evaluator", (ORGANISATION,))
    scope = users.scope_for(evaluator, loaded)
    assert scope.audience == "shared" and scope.programmes is None
    assert _programmes(loaded, scope) == ["P-CJS", "P-OPEN"]

    nobody = users.User("n", "funder", ())
    assert _programmes(loaded, users.scope_for(nobody, loaded)) == []

    # an organisation that has not uploaded yet: in scope, but nothing to see so far
    early = users.User("x", "cso_manager", ("Not Yet Loaded (fictional)",))
    assert users.scope_for(early, loaded).organisations == {"Not Yet Loaded (fictional)"}
    assert _programmes(loaded, users.scope_for(early, loaded)) == []

    # an organisation and a programme of another one: both
    mixed = users.User("y", "funder", ("Not Yet Loaded (fictional)", "P-OPEN"))
    scope = users.scope_for(mixed, loaded)
    assert scope.organisations == {"Not Yet Loaded (fictional)", ORGANISATION}
    assert _programmes(loaded, scope) == ["P-OPEN"]


@pytest.mark.slow
def test_the_engine_enforces_a_funders_scope_and_audience(loaded: Store) -> None:
    approve_releases(loaded, "2025")  # a funder reads released figures only
    scope = users.scope_for(users.User("f", "funder", ("P-CJS",)), loaded)
    request = IndicatorRequest(
        periods=tuple(parse_periods("2025")), indicators=("C01",), scope=scope, audience="internal"
    )
    assert request.effective_audience == "shared"  # a funder cannot ask for internal
    result = compute(loaded, request)
    assert set(result["programme_id"]) == {"P-CJS"}


@pytest.mark.slow
def test_ingest_refuses_a_package_outside_the_scope(store: Store, minimal_dir: Path) -> None:
    before = store.fingerprint()
    other = users.scope_for(users.User("o", "cso_manager", ("Another org (fictional)",)), store)
    with pytest.raises(PackageRefused, match="your account may not load"):
        ingest(minimal_dir, store, scope=other)
    funder = users.scope_for(users.User("f", "funder", (ORGANISATION,)), store)
    with pytest.raises(PackageRefused, match="your account may not load"):
        ingest(minimal_dir, store, scope=funder)
    assert store.fingerprint() == before
    own = users.scope_for(users.User("m", "cso_manager", (ORGANISATION,)), store)
    assert ingest(minimal_dir, store, scope=own).status == "loaded"


@pytest.mark.slow
def test_demo_users_cover_the_three_views_and_an_admin(loaded: Store) -> None:
    demo = demo_users(loaded)
    assert list(demo) == ["cso_manager", "funder", "evaluator", "admin"]
    assert demo["cso_manager"].scope == (ORGANISATION,)
    assert demo["funder"].scope == demo["evaluator"].scope == (ORGANISATION,)
    assert users.list_users(loaded) == []  # none of them is stored


# -- the command line --------------------------------------------------------------------------


def _cli(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evaluation", "users", *args, "--db", str(db)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.slow
def test_cli_add_list_remove(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    done = _cli(db, "list")
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["name\trole\tscope\tstatus"]
    assert "There are no users yet" in done.stderr

    done = _cli(
        db,
        "add",
        "alice",
        "--role",
        "cso_manager",
        "--scope",
        f"{ORGANISATION},P-X",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert done.returncode == 0, done.stderr
    assert "Added the user alice (CSO manager)." in done.stdout
    assert "warning: P-X is not an organisation or programme in this store yet" in done.stderr

    assert (
        _cli(
            db, "add", "bob", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"
        ).returncode
        == 0
    )
    # re-adding updates; an empty line keeps the password
    done = _cli(
        db, "add", "alice", "--role", "funder", "--scope", "P-CJS", "--password-stdin", stdin="\n"
    )
    assert done.returncode == 0, done.stderr
    assert "Updated the user alice (Funder)." in done.stdout

    done = _cli(db, "list")
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        "name\trole\tscope\tstatus",
        "alice\tfunder\tP-CJS\tactive",
        "bob\tadmin\t*\tactive",
    ]
    assert "scrypt" not in done.stdout + done.stderr and PASSWORD not in done.stdout
    with Store.open(db) as store:
        assert users.authenticate(store, "alice", PASSWORD)

    done = _cli(db, "remove", "alice")
    assert done.returncode == 0 and "Removed the user alice." in done.stdout
    done = _cli(db, "remove", "alice")
    assert done.returncode == 1
    assert done.stderr.strip() == "There is no user 'alice'."


@pytest.mark.parametrize(
    ("args", "stdin", "status", "message"),
    [
        (
            ("add", "dave", "--role", "funder", "--password-stdin"),
            "short\n",
            1,
            "at least 10 characters",
        ),
        (
            ("add", "dave", "--role", "funder", "--password-stdin"),
            "",
            1,
            "A new user needs a password",
        ),
        (
            ("add", "dave smith", "--role", "funder", "--password-stdin"),
            PASSWORD + "\n",
            1,
            "1 to 64 characters",
        ),
        (
            ("add", "dave", "--role", "superuser", "--password-stdin"),
            PASSWORD + "\n",
            2,
            "invalid choice",
        ),
        (("add", "dave", "--password-stdin"), PASSWORD + "\n", 2, "--role"),
        (("add",), "", 2, "name"),
        (("rename", "dave"), "", 2, "invalid choice"),
        (("remove",), "", 2, "name"),
    ],
)
def test_cli_refusals_and_usage_errors(
    tmp_path: Path, args: tuple[str, ...], stdin: str, status: int, message: str
) -> None:
    db = tmp_path / "cli.duckdb"
    done = _cli(db, *args, stdin=stdin)
    assert done.returncode == status, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert PASSWORD not in done.stderr
    if db.exists():
        with Store.open(db) as store:
            assert users.list_users(store) == []


def test_cli_asks_for_the_password_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.duckdb"
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["users", "add", "erin", "--role", "evaluator", "--db", str(db)]) == 1
    assert "The two passwords differ" in capsys.readouterr().err

    prompts: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": prompts.append(prompt) or PASSWORD)
    assert cli.main(["users", "add", "erin", "--role", "evaluator", "--db", str(db)]) == 0
    assert prompts == ["Password for erin: ", "The same password again: "]
    with Store.open(db) as store:
        assert users.authenticate(store, "erin", PASSWORD)


def test_cli_adds_an_account_for_single_sign_on_only(tmp_path: Path) -> None:
    """``--no-password``: the first administrator of a store run with single sign-on needs no
    password that is never used; such an account cannot sign in with a password."""
    db = tmp_path / "sso.duckdb"
    done = _cli(db, "add", "it.admin@example.org", "--role", "admin", "--no-password")
    assert done.returncode == 0, done.stderr
    assert "Added the user it.admin@example.org (Administrator)." in done.stdout
    with Store.open(db) as store:
        assert users.authenticate(store, "it.admin@example.org", "") is None
        assert users.authenticate(store, "it.admin@example.org", "x" * 12) is None
        assert users.get_user(store, "it.admin@example.org") is not None
