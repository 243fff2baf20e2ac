"""Limits on guessing passwords (``users.authenticate``) and who sees the store's path.

Against real stores: the growing delay (1, 2, 4 … 30 s), the lock of an account after 10 failures
in 15 minutes (the right password refused too, with when it opens), the lock of a client after 30
failures whatever the names, unknown names limited exactly like existing ones, the state kept in
the store across a reopen and another process, parallel guesses held to one, the environment's
overrides, and the audit trail (failures under an account's name only when it exists, locks
recorded, nothing typed kept). Time is passed in (``now``) so no test sleeps. Then the sign-in
page in Streamlit's AppTest: the waiting and locked sentences, a lock per browser session, and
the store path in the sidebar for administrators only, never before sign-in.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from evaluation.errors import EvaluationError
from evaluation.store import users
from evaluation.store.database import Store

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
TIMEOUT = 120
PASSWORD = "correct horse battery"
WRONG = "not the password at all"
ORGANISATION = "Brückenbau Exit e.V. (fictional)"
T0 = dt.datetime(2025, 3, 3, 9, 0, 0)
CLIENT = "address 192.0.2.7"


@pytest.fixture
def accounts(store: Store) -> Store:
    """The store of the test with an administrator, a CSO manager and an evaluator."""
    users.add_user(store, "admin.test", "admin", (), PASSWORD, actor=users.OPERATOR)
    users.add_user(store, "mia", "cso_manager", [ORGANISATION], PASSWORD, actor=users.OPERATOR)
    users.add_user(store, "eve", "evaluator", [ORGANISATION], PASSWORD, actor=users.OPERATOR)
    return store


def _try(
    store: Store, name: str, password: str, at: dt.datetime, client: str | None = CLIENT
) -> users.User | users.SignInRefused | None:
    """One attempt: the account, None (refused as wrong), or the refusal for too many."""
    try:
        return users.authenticate(store, name, password, client=client, now=at)
    except users.SignInRefused as refused:
        return refused


def _fail(store: Store, name: str, times: int, start: dt.datetime, gap: int = 31) -> dt.datetime:
    """``times`` wrong passwords ``gap`` seconds apart (longer than any delay); the last time."""
    at = start
    for i in range(times):
        at = start + dt.timedelta(seconds=gap * i)
        assert _try(store, name, WRONG, at) is None, f"attempt {i + 1} was not checked"
    return at


def _trail(store: Store) -> list[tuple[str, str, dict[str, object]]]:
    rows = (
        store.cursor()
        .execute(
            "SELECT actor, action, detail FROM audit_log WHERE action LIKE 'sign_in%' "
            "ORDER BY happened_at, rowid"
        )
        .fetchall()
    )
    return [(a, b, json.loads(c)) for a, b, c in rows]


# -- the delay ---------------------------------------------------------------------------------


def _fail_fast(
    store: Store, names: list[str], start: dt.datetime, client: str | None = CLIENT
) -> list[dt.datetime]:
    """A wrong password for each of ``names`` in turn, each as early as it is let through;
    returns when each was checked (the right password is refused at every refused moment)."""
    checked: list[dt.datetime] = []
    at = start
    for name in names:
        while isinstance(out := _try(store, name, WRONG, at, client), users.SignInRefused):
            assert not out.locked
            assert isinstance(_try(store, name, PASSWORD, at, client), users.SignInRefused)
            at = out.until
        assert out is None
        checked.append(at)
        at += dt.timedelta(milliseconds=1)
    return checked


def test_the_delay_doubles_after_three_failures_up_to_30_seconds(accounts: Store) -> None:
    checked = _fail_fast(accounts, ["mia"] * 9, T0, client=None)
    waits = [round((b - a).total_seconds()) for a, b in itertools.pairwise(checked)]
    assert waits == [0, 0, 1, 2, 4, 8, 16, 30]


def test_the_delay_is_said_in_a_sentence_and_a_success_clears_it(accounts: Store) -> None:
    last = _fail(accounts, "mia", 5, T0, gap=20)
    refused = _try(accounts, "mia", PASSWORD, last + dt.timedelta(seconds=1))
    assert isinstance(refused, users.SignInRefused)
    assert str(refused) == (
        "Too many failed sign-ins: try again in 3 seconds (from 09:01:24 UTC). Nothing was checked."
    )
    user = _try(accounts, "mia", PASSWORD, last + dt.timedelta(seconds=4))
    assert isinstance(user, users.User) and user.name == "mia"
    # the name's count starts again: the next failure has no delay (from a computer without
    # failures; the first one's own count goes on, see the client lock)
    again = last + dt.timedelta(seconds=5)
    assert _try(accounts, "mia", WRONG, again, client="address 198.51.100.2") is None
    user = _try(accounts, "mia", PASSWORD, again, client="address 198.51.100.2")
    assert isinstance(user, users.User)


def test_the_first_wrong_passwords_have_no_delay(accounts: Store) -> None:
    assert _try(accounts, "mia", WRONG, T0) is None
    assert _try(accounts, "mia", WRONG, T0) is None
    user = _try(accounts, "mia", PASSWORD, T0)
    assert isinstance(user, users.User)


# -- the lock ----------------------------------------------------------------------------------


def test_ten_failures_lock_the_account_for_15_minutes_even_for_the_right_password(
    accounts: Store,
) -> None:
    last = _fail(accounts, "mia", 10, T0)  # 10 failures within 4 min 39 s
    for later in (dt.timedelta(seconds=40), dt.timedelta(minutes=14, seconds=59)):
        refused = _try(accounts, "mia", PASSWORD, last + later)
        assert isinstance(refused, users.SignInRefused) and refused.locked
        assert refused.until == last + dt.timedelta(minutes=15)
        assert str(refused).startswith("This account is temporarily locked after too many")
        assert "Nothing was checked: try again then, or ask an administrator." in str(refused)
    assert "opens again in 15 minutes, at 09:20 UTC" in str(
        _try(accounts, "mia", PASSWORD, last + dt.timedelta(seconds=1))
    )
    # another account from elsewhere is not affected
    assert isinstance(
        _try(accounts, "eve", PASSWORD, last, client="address 198.51.100.1"), users.User
    )
    user = _try(accounts, "mia", PASSWORD, last + dt.timedelta(minutes=15))
    assert isinstance(user, users.User) and user.name == "mia"


def test_failures_spread_over_more_than_the_window_do_not_lock(accounts: Store) -> None:
    _fail(accounts, "mia", 9, T0)
    later = T0 + dt.timedelta(minutes=16)  # the window of the first failure is over
    for i in range(9):
        assert _try(accounts, "mia", WRONG, later + dt.timedelta(seconds=31 * i)) is None
    assert isinstance(
        _try(accounts, "mia", PASSWORD, later + dt.timedelta(seconds=31 * 9)), users.User
    )


def test_the_audit_trail_records_failures_and_the_lock_never_what_was_typed(
    accounts: Store,
) -> None:
    last = _fail(accounts, "mia", 10, T0)
    typed = "jane.doe.1984@example.org"
    assert _try(accounts, typed, PASSWORD, last + dt.timedelta(seconds=31)) is None
    spaced = "Wrong Name With Spaces"
    assert _try(accounts, spaced, PASSWORD, last + dt.timedelta(seconds=62)) is None
    trail = _trail(accounts)
    assert [(a, b) for a, b, _ in trail[:10]] == [("mia", "sign_in_failed")] * 10
    actor, action, detail = trail[10]
    assert (actor, action) == ("mia", "sign_in_locked")
    assert detail["locked"] == "account" and detail["failures"] == 10
    assert detail["until"] == (last + dt.timedelta(minutes=15)).isoformat()
    fingerprint = detail["client"]
    assert isinstance(fingerprint, str) and len(fingerprint) == 12
    assert trail[11][:2] == (users.UNKNOWN_ACTOR, "sign_in_failed")
    assert trail[12][:2] == (users.UNKNOWN_ACTOR, "sign_in_failed")
    assert all(d.get("client") == fingerprint for _, _, d in trail)
    everything = json.dumps(
        accounts.cursor().execute("SELECT * FROM audit_log").fetchall(), default=str
    ) + json.dumps(accounts.cursor().execute("SELECT * FROM sign_in_guard").fetchall(), default=str)
    for secret in (typed, "jane", "Wrong Name", "192.0.2.7", PASSWORD, WRONG):
        assert secret not in everything
    # the lock is recorded under mia's organisation, so her CSO managers read it
    orgs = (
        accounts.cursor()
        .execute("SELECT organisations FROM audit_log WHERE action = 'sign_in_locked'")
        .fetchall()
    )
    assert orgs == [([ORGANISATION],)]


def test_unknown_names_are_limited_exactly_like_existing_ones(accounts: Store) -> None:
    """The limits must not tell which names exist: same refusals, same times."""

    def story(name: str) -> list[str]:
        seen = []
        for i in range(14):
            outcome = _try(accounts, name, WRONG, T0 + dt.timedelta(seconds=7 * i), client=None)
            if isinstance(outcome, users.SignInRefused):
                seen.append(str(outcome).replace(name, "NAME"))
            else:
                seen.append(repr(outcome))
        return seen

    existing, unknown = story("mia"), story("nobody.here")
    assert existing == unknown
    assert existing.count("None") == 8  # at 0, 7, 14, 21, 28, 35, 49 and 70 seconds
    assert any("try again in" in s for s in existing)


@pytest.mark.slow
def test_a_client_trying_many_names_is_locked_after_30_failures(accounts: Store) -> None:
    # a new name each time, so no name's own limit is reached; 30 failures take 11.5 minutes
    at = _fail_fast(accounts, [f"guess{i:02d}" for i in range(30)], T0)[-1]
    assert at - T0 < dt.timedelta(minutes=12)
    refused = _try(accounts, "eve", PASSWORD, at + dt.timedelta(seconds=31))
    assert isinstance(refused, users.SignInRefused) and refused.locked
    assert str(refused).startswith("Sign-in from this computer is temporarily locked")
    # the same account from another computer is let in
    other = _try(
        accounts, "eve", PASSWORD, at + dt.timedelta(seconds=31), client="address 2001:db8::1"
    )
    assert isinstance(other, users.User)
    locks = [d for a, b, d in _trail(accounts) if b == "sign_in_locked"]
    assert [(d["locked"], d["failures"]) for d in locks] == [("computer", 30)]


def test_the_limits_follow_the_environment(
    accounts: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALUATION_SIGN_IN_LOCK_AFTER", "4")
    monkeypatch.setenv("EVALUATION_SIGN_IN_LOCK_MINUTES", "2")
    monkeypatch.setenv("EVALUATION_SIGN_IN_DELAY_AFTER", "100")
    for _ in range(4):
        assert _try(accounts, "mia", WRONG, T0) is None  # no delay at all
    refused = _try(accounts, "mia", PASSWORD, T0)
    assert isinstance(refused, users.SignInRefused) and refused.locked
    assert refused.until == T0 + dt.timedelta(minutes=2)
    assert isinstance(_try(accounts, "mia", PASSWORD, T0 + dt.timedelta(minutes=2)), users.User)
    monkeypatch.setenv("EVALUATION_SIGN_IN_LOCK_AFTER", "1")
    with pytest.raises(EvaluationError, match="EVALUATION_SIGN_IN_LOCK_AFTER must be"):
        users.authenticate(accounts, "mia", PASSWORD)


# -- kept in the store -------------------------------------------------------------------------


@pytest.mark.slow
def test_a_lock_survives_reopening_the_store_and_holds_in_another_process(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.duckdb"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with Store.open(path) as store:
        users.add_user(store, "mia", "cso_manager", [ORGANISATION], PASSWORD, actor=users.OPERATOR)
        _fail(store, "mia", 10, now - dt.timedelta(minutes=5), gap=31)
    with Store.open(path) as store:
        refused = _try(store, "mia", PASSWORD, now)
        assert isinstance(refused, users.SignInRefused) and refused.locked
    script = (
        "import sys\n"
        "from evaluation.store import users\n"
        "from evaluation.store.database import Store\n"
        "with Store.open(sys.argv[1]) as store:\n"
        "    try:\n"
        "        users.authenticate(store, 'mia', sys.argv[2])\n"
        "    except users.SignInRefused as refused:\n"
        "        print(refused)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), PASSWORD],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("This account is temporarily locked")


def test_parallel_guesses_at_the_same_moment_are_checked_one_at_a_time(accounts: Store) -> None:
    _fail(accounts, "mia", 3, T0 - dt.timedelta(minutes=1), gap=10)  # the next one delays
    outcomes: list[object] = []
    start = threading.Barrier(8)

    def guess() -> None:
        start.wait()
        outcomes.append(_try(accounts, "mia", WRONG, T0))

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    checked = [o for o in outcomes if o is None]
    held = [o for o in outcomes if isinstance(o, users.SignInRefused)]
    assert len(checked) == 1 and len(held) == 7
    failures = [a for a, b, _ in _trail(accounts) if b == "sign_in_failed"]
    assert failures == ["mia"] * 4


# -- the sign-in page --------------------------------------------------------------------------


@pytest.fixture
def app(accounts: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("EVALUATION_DB", str(accounts.path))
    monkeypatch.delenv("EVALUATION_DEMO", raising=False)
    yield AppTest.from_file(APP, default_timeout=TIMEOUT)


def _sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    at.run()
    assert not at.exception
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    at.button(key="signin_submit").click().run()
    assert not at.exception
    return at


def _text(elements: object) -> str:
    return " ".join(str(e.value) for e in elements).replace("\\", "")  # type: ignore[attr-defined]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_the_page_says_when_to_try_again_after_failures(app: AppTest, accounts: Store) -> None:
    at = app.run()
    # seven failures of mia's name just now (from another computer): the next attempt must
    # wait 16 seconds after the last
    now = _now()
    for ago in (100, 86, 72, 58, 44, 30, 1):
        at_time = now - dt.timedelta(seconds=ago)
        assert _try(accounts, "mia", WRONG, at_time, client="address 203.0.113.9") is None
    at.text_input(key="signin_name").input("mia")
    at.text_input(key="signin_password").input(PASSWORD)
    at.button(key="signin_submit").click().run()
    assert "Too many failed sign-ins: try again in" in _text(at.error)
    assert "Nothing was checked" in _text(at.error)
    assert [t.value for t in at.title] == ["Sign in"]


def test_the_page_refuses_the_right_password_of_a_locked_account(
    app: AppTest, accounts: Store
) -> None:
    now = _now()
    _fail(accounts, "mia", 10, now - dt.timedelta(minutes=5), gap=31)
    at = _sign_in(app, "mia")
    error = _text(at.error)
    assert "This account is temporarily locked after too many failed sign-ins" in error
    assert "opens again in 1" in error and "UTC" in error  # 10 or 11 minutes from now
    assert [t.value for t in at.title] == ["Sign in"]
    assert not at.sidebar.button  # not signed in
    at = _sign_in(AppTest.from_file(APP, default_timeout=TIMEOUT), "eve")
    assert not at.error and "eve" in _text(at.sidebar.caption)


def test_the_page_locks_a_browser_session_that_tries_many_names(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, accounts: Store
) -> None:
    monkeypatch.setenv("EVALUATION_SIGN_IN_CLIENT_LOCK_AFTER", "3")
    monkeypatch.setenv("EVALUATION_SIGN_IN_DELAY_AFTER", "100")
    for name in ("guess.one", "guess.two", "guess.three"):
        at = _sign_in(app, name, WRONG)
        assert "user name or password is not right" in _text(at.error)
    at = _sign_in(app, "eve")
    assert "Sign-in from this computer is temporarily locked" in _text(at.error)
    assert [t.value for t in at.title] == ["Sign in"]
    # another browser session is another client (the test has no network address)
    at = _sign_in(AppTest.from_file(APP, default_timeout=TIMEOUT), "eve")
    assert not at.error and "eve" in _text(at.sidebar.caption)
    locks = [(a, d["locked"]) for a, b, d in _trail(accounts) if b == "sign_in_locked"]
    assert locks == [(users.UNKNOWN_ACTOR, "computer")]


# -- the store's path in the sidebar -------------------------------------------------------------


def test_the_store_path_is_shown_to_administrators_only(app: AppTest, accounts: Store) -> None:
    path = str(accounts.path.resolve())
    at = app.run()
    assert path not in _text(at.sidebar.caption) and "Store:" not in _text(at.sidebar.caption)
    assert path not in _text(at.main.markdown)
    for name in ("mia", "eve"):
        at = _sign_in(AppTest.from_file(APP, default_timeout=TIMEOUT), name)
        assert name in _text(at.sidebar.caption)
        assert "Store:" not in _text(at.sidebar.caption)
    at = _sign_in(AppTest.from_file(APP, default_timeout=TIMEOUT), "admin.test")
    assert f"Store: {path}" in _text(at.sidebar.caption).replace("`", "")
