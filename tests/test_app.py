"""The dashboard (router, sign-in, roles, pages) and ``evaluation.views.overview``.

The pages run in Streamlit's AppTest against a real store built from ``tests/fixtures/minimal``
with one account per role; every page each role can open is opened, in real mode (signed in
through the sign-in page) and in demo mode (through the sidebar's role switcher). The overview
functions are checked against a plain-Python count of the same CSV files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import assert_page_ok
from streamlit.testing.v1 import AppTest

from evaluation.app.render import md
from evaluation.intake.ingest import ingest
from evaluation.store import users
from evaluation.store.access import AccessDenied, Scope, Viewer
from evaluation.store.database import Store, Submission
from evaluation.views import overview
from evaluation.vocabulary.roles import ROLES
from tests.conftest import ORACLE_RELEASED, approve_releases, first_report_choice

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "tests" / "fixtures" / "minimal"
APP = str(ROOT / "streamlit_app.py")
PAGES = {
    "upload": "evaluation/app/pages/upload.py",
    "submissions": "evaluation/app/pages/submissions.py",
    "overview": "evaluation/app/pages/overview.py",
    "programme": "evaluation/app/pages/programme.py",
    "explorer": "evaluation/app/pages/explorer.py",
    "comparison": "evaluation/app/pages/comparison.py",
    "reports": "evaluation/app/pages/reports.py",
    "approvals": "evaluation/app/pages/approvals.py",
    "audit": "evaluation/app/pages/audit.py",
    "catalogue": "evaluation/app/pages/catalogue.py",
    "users": "evaluation/app/pages/users.py",
}
ROLE_PAGES = {
    "admin": [
        "upload",
        "submissions",
        "overview",
        "programme",
        "explorer",
        "comparison",
        "reports",
        "approvals",
        "catalogue",
        "audit",
        "users",
    ],
    "cso_manager": [
        "upload",
        "submissions",
        "overview",
        "programme",
        "explorer",
        "reports",
        "approvals",
        "catalogue",
        "audit",
    ],
    "funder": ["overview", "explorer", "comparison", "reports", "catalogue"],
    "evaluator": ["overview", "explorer", "comparison", "reports", "catalogue"],
}
TIMEOUT = 180  # validation runs Great Expectations: seconds, not milliseconds
PASSWORD = "correct horse battery"
ORGANISATION = "Brückenbau Exit e.V. (fictional)"
ACCOUNTS = {  # name → (role, scope)
    "admin.test": ("admin", ()),
    "manager.test": ("cso_manager", (ORGANISATION,)),
    "funder.test": ("funder", ("P-CJS",)),
    "evaluator.test": ("evaluator", (ORGANISATION,)),
    "other.manager": ("cso_manager", ("Another org (fictional)",)),
    "oidc@example.org": ("cso_manager", (ORGANISATION,)),
}
ROLE_ACCOUNT = {
    "admin": "admin.test",
    "cso_manager": "manager.test",
    "funder": "funder.test",
    "evaluator": "evaluator.test",
}


def _rows(name: str, folder: Path = MINIMAL) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(folder.glob("*.csv")):
            zf.write(path, path.name)
    return buf.getvalue()


def _text(elements: object) -> str:
    """Every value of an element list, with Markdown escapes removed, as one text."""
    return " ".join(str(e.value) for e in elements).replace("\\", "")  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def loaded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "evaluation.duckdb"
    with Store.open(path) as store:
        ingest(MINIMAL, store, actor="test")
        for name, (role, scope) in ACCOUNTS.items():
            users.add_user(store, name, role, scope, PASSWORD, actor=users.Operator("test"))
        approve_releases(store, ORACLE_RELEASED)  # what funders see is released first
    return path


@pytest.fixture()
def store(loaded_db: Path) -> Iterator[Store]:
    with Store.open(loaded_db) as opened:
        yield opened


@pytest.fixture()
def app(loaded_db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("EVALUATION_DB", str(loaded_db))
    monkeypatch.delenv("EVALUATION_DEMO", raising=False)
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def _sign_in(at: AppTest, name: str = "admin.test", password: str = PASSWORD) -> AppTest:
    at.run()
    assert not at.exception
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    at.button(key="signin_submit").click().run()
    assert not at.exception
    return at


def _open(at: AppTest, page: str, user: str | None = "admin.test") -> AppTest:
    """Sign in as ``user`` (None: demo mode, no sign-in) and open ``page``."""
    if user is None:
        at.run()
    else:
        _sign_in(at, user)
    if page != "upload":
        at.switch_page(PAGES[page]).run()
    assert_page_ok(at)
    return at


def _navigation(at: AppTest) -> set[str]:
    """The pages the navigation offers, by their short names in ``PAGES``."""
    offered = set()
    for name, path in PAGES.items():
        try:
            at.switch_page(path)
        except ValueError:  # AppTest: "Could not find a navigation page"
            continue
        offered.add(name)
    return offered


# -- evaluation.views.overview against the real store ---------------------------------------------


def test_programme_overview_counts_match_the_fixture(store: Store) -> None:
    cases, contacts = _rows("cases"), _rows("contacts")
    programme_of = {c["case_ref"]: c["programme_id"] for c in cases}
    n_cases = Counter(c["programme_id"] for c in cases)
    n_open = Counter(c["programme_id"] for c in cases if not c["closed_on"])
    n_contacts = Counter(programme_of[k["case_ref"]] for k in contacts)
    programmes = {p["programme_id"]: p for p in _rows("programmes")}
    about = {r["key"]: r["value"] for r in _rows("about")}

    with store.cursor() as cur:
        frame = overview.programme_overview(cur)

    assert list(frame.columns) == overview.PROGRAMME_COLUMNS
    assert sorted(frame["programme_id"]) == sorted(programmes)
    for row in frame.to_dict("records"):
        pid = row["programme_id"]
        assert row["programme"] == programmes[pid]["programme_name"]
        assert row["organisation"] == about["organisation"]
        assert row["country"] == programmes[pid]["country"]
        assert row["intervention_type"] == programmes[pid]["intervention_type"]
        assert row["setting"] == programmes[pid]["setting"]
        assert (row["cases"], row["open_cases"], row["contacts"]) == (
            n_cases[pid],
            n_open[pid],
            n_contacts[pid],
        )
        assert str(row["data_as_of"])[:10] == about["data_as_of"]


def _quarter(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def test_cases_per_quarter_matches_the_fixture_and_fills_gaps(store: Store) -> None:
    cases = _rows("cases")
    as_of = dt.date.fromisoformat({r["key"]: r["value"] for r in _rows("about")}["data_as_of"])
    expected: dict[tuple[str, dt.date], int] = {}
    for pid in {c["programme_id"] for c in cases}:
        opened = [dt.date.fromisoformat(c["opened_on"]) for c in cases if c["programme_id"] == pid]
        q = _quarter(min(opened))
        while q <= _quarter(as_of):
            expected[(pid, q)] = sum(_quarter(d) == q for d in opened)
            q = dt.date(q.year + q.month // 10, (q.month + 2) % 12 + 1, 1)

    with store.cursor() as cur:
        frame = overview.cases_per_quarter(cur)

    assert list(frame.columns) == overview.QUARTER_COLUMNS
    got = {
        (r["programme_id"], r["quarter_start"].date()): r["new_cases"]
        for r in frame.to_dict("records")
    }
    assert got == expected
    assert 0 in got.values()  # quarters without new cases are zeros, not missing
    labels = dict(zip(frame["quarter_start"].dt.date, frame["quarter"], strict=True))
    assert labels[dt.date(2024, 4, 1)] == "2024 Q2"
    assert labels[dt.date(2025, 1, 1)] == "2025 Q1"


def test_the_readers_filter_by_scope(store: Store) -> None:
    organisation = {r["key"]: r["value"] for r in _rows("about")}["organisation"]
    assert organisation == ORGANISATION
    own = Scope(frozenset({organisation.upper()}))  # organisation names ignore case
    with store.cursor() as cur:
        assert len(overview.programme_overview(cur, own)) == 2
        assert len(overview.cases_per_quarter(cur, own)) > 0
        other = Scope(frozenset({"Another org (fictional)"}))
        assert overview.programme_overview(cur, other).empty
        assert overview.cases_per_quarter(cur, Scope(frozenset())).empty
        one = Scope(frozenset({organisation}), frozenset({"P-CJS"}))
        assert list(overview.programme_overview(cur, one)["programme_id"]) == ["P-CJS"]
        assert set(overview.cases_per_quarter(cur, one)["programme_id"]) == {"P-CJS"}
    subs = store.submissions()
    assert overview.submissions_in_scope(subs, own) == subs
    assert overview.submissions_in_scope(subs, other) == []
    # a submission also holding a programme outside the scope is not shown: its row counts
    # cover that programme too
    assert overview.submissions_in_scope(subs, one) == []


def test_the_shared_audience_gets_no_unsuppressed_counts(store: Store) -> None:
    shared = Scope(frozenset({ORGANISATION}), None, "shared")
    with store.cursor() as cur:
        frame = overview.programme_overview(cur, shared)
        assert list(frame.columns) == overview.SHARED_PROGRAMME_COLUMNS
        assert not set(overview.COUNT_COLUMNS) & set(frame.columns)
        assert len(frame) == 2
        with pytest.raises(AccessDenied, match="own staff"):
            overview.cases_per_quarter(cur, shared)
    with pytest.raises(AccessDenied, match="own staff"):
        overview.submissions_in_scope(store.submissions(), shared)


@pytest.mark.slow
def test_cached_results_are_keyed_by_scope(
    loaded_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same request in two scopes: each gets its own result, never the other's cached one,
    and each equals the package's uncached answer."""
    from evaluation.app import state
    from evaluation.measures.engine import IndicatorRequest
    from evaluation.periods import recent_periods
    from evaluation.views import comparison, programme
    from evaluation.views.explore import build_request

    monkeypatch.setenv("EVALUATION_DB", str(loaded_db))
    state.clear_caches()
    everything = Scope.everything()
    funder = Viewer(
        "funder.test", "funder", Scope(frozenset({ORGANISATION}), frozenset({"P-CJS"}), "shared")
    ).scope
    indicator = comparison.default_indicator(comparison.proportion_indicators())
    assert indicator is not None
    programmes = state.programmes_in_scope(everything)
    assert set(programmes["programme_id"]) == {"P-OPEN", "P-CJS"}
    period = recent_periods(max(programmes["data_as_of"]))[0]
    seen: dict[str, set[str]] = {}
    for scope in (everything, funder, everything):  # each asks after the other has cached
        assert set(state.programmes_in_scope(scope)["programme_id"]) == (
            {"P-CJS"} if scope is funder else {"P-OPEN", "P-CJS"}
        )
        got = state.compare(scope, indicator.id, period)
        assert got.scope == scope
        with Store.open(loaded_db) as s:
            fresh = comparison.compare(
                s.cursor(), comparison.ComparisonRequest(indicator.id, period, scope)
            )
            fresh_tiles = programme.headlines(
                s.cursor(), programme.ProgrammeRequest("P-CJS", period, scope)
            ).tiles
        pd.testing.assert_frame_equal(got.funnel.programmes, fresh.funnel.programmes)
        pd.testing.assert_frame_equal(got.trend, fresh.trend)
        seen[scope.key] = set(got.funnel.programmes["programme_id"]) | set(
            got.funnel.excluded["programme_id"]
        )
        tiles = state.programme_headlines(scope, "P-CJS", period).tiles
        assert tiles == fresh_tiles
        request = build_request(["C01"], [period], None, [], scope)
        result = state.explorer_result(scope, request, state.data_version())
        assert result.request.scope == scope
        assert set(result.frame["programme_id"]) <= seen[scope.key] | {"*"}
    assert seen[funder.key] == {"P-CJS"}
    assert "P-OPEN" in seen[everything.key]
    # a programme outside the scope is refused even once another scope has it cached
    state.programme_headlines(everything, "P-OPEN", period)
    with pytest.raises(programme.HeadlinesError, match="not among the programmes"):
        state.programme_headlines(funder, "P-OPEN", period)
    # and a request carrying another scope than the user's is refused outright
    with pytest.raises(ValueError, match="own scope"):
        state.explorer_result(
            funder,
            IndicatorRequest(periods=(period,), scope=everything),
            state.data_version(),
        )
    state.clear_caches()


def test_clear_caches_empties_the_reports_caches(
    loaded_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Reports page's report and its download pack are cached in ``state`` and emptied by
    the one ``clear_caches()``: after the data changed, the cached report is still the old one,
    and once the caches are cleared both the report and the pack are made again from the data as
    it is now (so no one downloads a pack of data an ingest has replaced)."""
    from evaluation.app import state

    db = tmp_path / "evaluation.duckdb"  # a copy of its own, since its data is changed below
    shutil.copy(loaded_db, db)
    monkeypatch.setenv("EVALUATION_DB", str(db))
    scope, template, period, version = first_report_choice("P-CJS")

    def pack() -> bytes:
        return state.report_pack_later(scope, template.id, "P-CJS", period, version, ("html",))()

    before = state.report(scope, template.id, "P-CJS", period, version)
    first_pack = pack()
    assert before.programme != "Renamed programme"
    with state.cursor() as cur:  # the data changes, the submission does not (same version)
        cur.execute(
            "UPDATE programmes SET programme_name = 'Renamed programme' "
            "WHERE programme_id = 'P-CJS'"
        )
    assert state.data_version() == version
    stale = state.report(scope, template.id, "P-CJS", period, version)
    assert stale.programme == before.programme  # still cached: the caches are live
    assert pack() == first_pack

    state.clear_caches()
    assert state.report(scope, template.id, "P-CJS", period, version).programme == (
        "Renamed programme"
    )
    assert b"Renamed programme" in _unzipped(pack())
    assert b"Renamed programme" not in _unzipped(first_pack)
    state.clear_caches()


def _unzipped(data: bytes) -> bytes:
    """Every file of a zip, concatenated."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return b"".join(z.read(n) for n in z.namelist())


def test_submission_table(store: Store) -> None:
    subs = store.submissions()
    table = overview.submission_table(subs)
    assert list(table.columns) == overview.SUBMISSION_COLUMNS
    (row,) = table.to_dict("records")
    assert row["source_file"] == "minimal"
    assert row["programmes"] == "P-CJS, P-OPEN"
    assert row["rows"] == sum(subs[0].row_counts.values()) == 18
    assert row["loaded_by"] == "test"
    assert row["current_for"] == "current"
    per_table = overview.submission_rows(subs[0])
    assert per_table.iloc[0].to_dict() == {"table": "contacts", "rows": 7}
    assert dict(zip(per_table["table"], per_table["rows"], strict=True)) == subs[0].row_counts


def test_current_status_names_replaced_programmes() -> None:
    def sub(current: tuple[str, ...]) -> Submission:
        return Submission(
            "S1",
            "Org (fictional)",
            dt.date(2025, 6, 30),
            "h",
            "a.zip",
            ("P-A", "P-B"),
            {"cases": 3},
            dt.datetime(2025, 7, 1),
            "x",
            current,
        )

    assert overview.current_status(sub(("P-A", "P-B"))) == "current"
    assert overview.current_status(sub(())) == "replaced"
    assert overview.current_status(sub(("P-B",))) == "current for P-B; replaced for P-A"
    assert overview.submission_table([]).empty


def test_md_keeps_code_spans_and_neutralises_markdown() -> None:
    assert md("column `a_b` is empty") == "column `a_b` is empty"
    assert md("![x](http://example.org/t.png)") == "!\\[x\\](http\\://example.org/t.png)"
    assert md("$1 and :red[x] <b>") == "\\$1 and \\:red\\[x\\] \\<b\\>"
    assert md("an ` unmatched") == "an \\` unmatched"
    assert md("# 1. heading") == "\\# 1. heading"


# -- signing in and roles ----------------------------------------------------------------------


def test_real_mode_offers_only_the_sign_in_page(app: AppTest) -> None:
    at = app.run()
    assert_page_ok(at)
    assert [t.value for t in at.title] == ["Sign in"]
    assert _navigation(at) == set()
    assert "Demo mode" not in _text(at.sidebar.warning)
    assert not at.sidebar.button  # no sign-out before signing in


def test_a_wrong_password_is_refused_with_a_sentence(app: AppTest) -> None:
    at = _sign_in(app, "manager.test", "not the password")
    assert "user name or password is not right" in _text(at.error)
    assert [t.value for t in at.title] == ["Sign in"]
    at = _sign_in(app, "nobody.here", PASSWORD)
    assert "user name or password is not right" in _text(at.error)
    assert _navigation(at) == set()


@pytest.mark.slow
@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_each_role_signs_in_and_opens_its_pages(app: AppTest, role: str) -> None:
    at = _sign_in(app, ROLE_ACCOUNT[role])
    assert not at.error
    assert _navigation(at) == set(ROLE_PAGES[role])
    assert ROLE_ACCOUNT[role] in _text(at.sidebar.caption)
    for page in ROLE_PAGES[role]:
        at.switch_page(PAGES[page]).run()
        assert_page_ok(at, page)
        assert len(at.title) == 1


def test_funders_and_evaluators_never_get_case_level_pages(app: AppTest) -> None:
    for role in ("funder", "evaluator"):
        at = _sign_in(AppTest.from_file(APP, default_timeout=TIMEOUT), ROLE_ACCOUNT[role])
        offered = _navigation(at)
        assert "upload" not in offered and "submissions" not in offered and "users" not in offered


def test_a_funder_sees_only_their_programmes_without_counts(app: AppTest) -> None:
    at = _open(app, "overview", "funder.test")
    frame = at.dataframe[0].value
    # the funder's scope is P-CJS only, shown by its name
    assert list(frame["Programme"]) == ["Inside Out Continuum (fictional)"]
    assert not {"Cases", "Open", "Contacts"} & set(frame.columns)
    assert "Cases" not in {m.label for m in at.metric}
    assert not at.get("plotly_chart")  # no new cases per quarter
    assert not at.subheader
    assert "shared view" in _text(at.sidebar.caption)


def test_a_cso_manager_sees_only_their_organisation(app: AppTest) -> None:
    at = _open(app, "overview", "other.manager")
    assert "No programme has data in the store yet" in _text(at.info)
    at.switch_page(PAGES["submissions"]).run()
    assert_page_ok(at)
    assert "Nothing has been loaded yet" in _text(at.info)


def test_signing_out_returns_to_the_sign_in_page(app: AppTest) -> None:
    at = _sign_in(app, "manager.test")
    at.sidebar.button(key="sign_out").click().run()
    assert_page_ok(at)
    assert [t.value for t in at.title] == ["Sign in"]
    assert _navigation(at) == set()


def test_a_disabled_account_is_signed_out(app: AppTest, store: Store) -> None:
    users.add_user(
        store, "short.lived", "evaluator", (ORGANISATION,), PASSWORD, actor=users.Operator("test")
    )
    at = _sign_in(app, "short.lived")
    assert _navigation(at) == set(ROLE_PAGES["evaluator"])
    users.set_disabled(store, "short.lived", True, actor=users.Operator("test"))
    at.run()
    assert_page_ok(at)
    assert [t.value for t in at.title] == ["Sign in"]
    assert "user name or password is not right" in _text(_sign_in(app, "short.lived").error)
    users.remove_user(store, "short.lived", actor=users.Operator("test"))


def test_the_identity_provider_maps_an_email_to_a_local_user(app: AppTest) -> None:
    app.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "id",
        "client_secret": "s",
        "server_metadata_url": "https://idp.example.org/.well-known",
    }
    at = app.run()
    assert_page_ok(at)
    assert at.button(key="signin_oidc")
    assert not at.text_input  # no password form when an identity provider is configured

    app.user = {"is_logged_in": True, "email": "oidc@example.org"}
    at = app.run()
    assert_page_ok(at)
    assert _navigation(at) == set(ROLE_PAGES["cso_manager"])

    unknown = AppTest.from_file(APP, default_timeout=TIMEOUT)
    unknown.secrets["auth"] = app.secrets["auth"]
    unknown.user = {"is_logged_in": True, "email": "stranger@example.org"}
    at = unknown.run()
    assert not at.exception
    assert "stranger@example.org has no access" in _text(at.error)
    assert _navigation(at) == set()


# -- demo mode ----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_demo_mode_switches_roles_without_sign_in(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    monkeypatch.setenv("EVALUATION_DEMO", "1")
    at = app.run()
    assert_page_ok(at)
    assert "Demo mode — fictional data" in _text(at.sidebar.warning)
    assert not at.text_input  # nobody signs in
    at.sidebar.radio(key="demo_role").set_value(role).run()
    assert_page_ok(at)
    assert _navigation(at) == set(ROLE_PAGES[role])
    for page in ROLE_PAGES[role]:
        at.switch_page(PAGES[page]).run()
        assert_page_ok(at, page)
        assert len(at.title) == 1
    assert "Sign out" not in [b.label for b in at.sidebar.button]


def test_demo_mode_opens_as_the_cso_manager_of_the_first_organisation(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALUATION_DEMO", "1")
    at = _open(app, "upload", None)
    assert at.sidebar.radio(key="demo_role").value == "cso_manager"
    assert ORGANISATION in _text(at.sidebar.caption)
    assert [t.value for t in at.title] == ["Upload a programme data package"]
    at.sidebar.radio(key="demo_role").set_value("funder").run()
    assert "upload" not in _navigation(at)
    assert [t.value for t in at.title] == ["Data overview"]  # off a page the role lacks


# -- the pages ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_page_shows_the_store(app: AppTest, loaded_db: Path) -> None:
    for page in ROLE_PAGES["admin"]:
        at = _open(AppTest.from_file(APP, default_timeout=TIMEOUT), page)
        assert str(loaded_db.resolve()) in _text(at.sidebar.caption)
        assert "Demo mode" not in _text(at.sidebar.warning)
        assert len(at.title) == 1


def test_the_users_page_adds_changes_and_removes_a_user(app: AppTest, store: Store) -> None:
    at = _open(app, "users")
    listed = at.dataframe[0].value
    assert "manager.test" in set(listed["name"])
    assert "scrypt" not in listed.to_csv()

    at.text_input(key="user_name").input("page.user")
    at.selectbox(key="user_role").set_value("funder")
    at.multiselect(key="user_scope").set_value(["P-CJS"])
    at.text_input(key="user_password").input("short")
    at.button(key="user_save").click().run()
    assert not at.exception
    assert "at least 10 characters" in _text(at.error)
    assert users.get_user(store, "page.user") is None

    at.text_input(key="user_name").input("page.user")
    at.selectbox(key="user_role").set_value("funder")
    at.multiselect(key="user_scope").set_value(["P-CJS"])
    at.text_input(key="user_password").input(PASSWORD)
    at.button(key="user_save").click().run()
    assert_page_ok(at)
    assert "Saved the user page.user (Funder)" in _text(at.success)
    row = at.dataframe[0].value.set_index("name").loc["page.user"]
    assert (row["role"], row["scope"], row["status"]) == ("Funder", "P-CJS", "active")
    assert users.authenticate(store, "page.user", PASSWORD) is not None

    at.selectbox(key="user_pick").set_value("page.user").run()  # fills the form
    assert at.multiselect(key="user_scope").value == ["P-CJS"]
    at.selectbox(key="user_role").set_value("evaluator")
    at.button(key="user_save").click().run()
    assert_page_ok(at)
    assert users.get_user(store, "page.user").role == "evaluator"
    assert users.authenticate(store, "page.user", PASSWORD) is not None  # password kept

    at.selectbox(key="remove_name").set_value("admin.test").run()
    at.button(key="remove_button").click().run()
    assert "cannot remove your own account" in _text(at.error)
    at.selectbox(key="remove_name").set_value("page.user").run()
    at.button(key="remove_button").click().run()
    assert_page_ok(at)
    assert "Removed the user page.user" in _text(at.success)
    assert users.get_user(store, "page.user") is None
    actions = {
        r[0]
        for r in store.cursor()
        .execute("SELECT action FROM audit_log WHERE actor = 'admin.test'")
        .fetchall()
    }
    assert {"user_add", "user_change", "user_remove"} <= actions


def test_submissions_page_lists_the_submission(app: AppTest) -> None:
    at = _open(app, "submissions")
    frame = at.dataframe[0].value
    assert list(frame["source_file"]) == ["minimal"]
    assert list(frame["current_for"]) == ["current"]
    assert at.selectbox(key="submission_select").value.startswith("S")


def test_overview_page_shows_the_programmes(app: AppTest) -> None:
    at = _open(app, "overview")
    names = sorted(at.dataframe[0].value.iloc[:, 0])  # programmes by name, no id column
    assert names == ["Inside Out Continuum (fictional)", "Open Door Exit (fictional)"]
    assert {m.label: m.value for m in at.metric}["Cases"] == "5"
    assert len(at.multiselect(key="overview_programmes").value) == 2


def test_upload_page_offers_the_template_and_profiles(app: AppTest) -> None:
    at = _open(app, "upload")
    assert at.download_button(key="download_template").label == "Blank template workbook"
    assert at.selectbox(key="upload_profile").value == "none"
    assert not at.main.button  # no load button before a package is uploaded


@pytest.mark.slow
def test_a_good_package_validates_loads_and_is_then_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = tmp_path / "fresh.duckdb"
    with Store.open(fresh) as empty:
        users.add_user(
            empty, "manager.test", "cso_manager", (ORGANISATION,), PASSWORD, actor=users.OPERATOR
        )
    monkeypatch.setenv("EVALUATION_DB", str(fresh))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    _open(at, "overview", "manager.test")
    assert "No programme has data" in _text(at.info)

    at.switch_page(PAGES["upload"]).run()
    at.file_uploader(key="upload_file").set_value(("minimal.zip", _zip(MINIMAL), "application/zip"))
    at.run()
    assert_page_ok(at)
    assert "minimal.zip: no problems found" in _text(at.success)
    assert not at.error
    assert not at.button(key="load_button").disabled

    # the report is kept for the session: a rerun does not check the package again
    def no_second_check(*_a: object, **_k: object) -> None:
        raise AssertionError("checked again")

    monkeypatch.setattr("evaluation.intake.ingest.check_package", no_second_check)
    at.run()
    assert_page_ok(at)
    assert "no problems found" in _text(at.success)

    at.button(key="load_button").click().run()
    assert_page_ok(at)
    assert "Loaded minimal.zip as submission" in _text(at.success)
    assert "2024-01-05 to 2025-06-30" in _text(at.markdown)
    rows = at.dataframe[0].value
    assert dict(zip(rows["table"], rows["rows"], strict=True))["cases"] == 5

    at.button(key="load_button").click().run()
    assert_page_ok(at)
    assert "already loaded" in _text(at.info)

    at.switch_page(PAGES["overview"]).run()  # the cached, empty overview was cleared
    assert_page_ok(at)
    assert sorted(at.dataframe[0].value.iloc[:, 0]) == [
        "Inside Out Continuum (fictional)",
        "Open Door Exit (fictional)",
    ]


def test_a_bad_package_lists_its_problems_and_cannot_be_loaded(
    app: AppTest, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(MINIMAL, bad)
    cases = (bad / "cases.csv").read_text(encoding="utf-8")
    (bad / "cases.csv").write_text(
        cases.replace(",male,25_34,false", ",mal,25_34,false"), encoding="utf-8"
    )
    with (bad / "contacts.csv").open("a", encoding="utf-8") as fh:
        fh.write("Z-999,2024-01-05,60,in_person,counselling,social_worker,community\n")

    at = _open(app, "upload")
    at.file_uploader(key="upload_file").set_value(("bad.zip", _zip(bad), "application/zip"))
    at.run()
    assert not at.exception
    assert "bad.zip: 2 problems to fix in 2 tables" in _text(at.error)
    assert not at.success
    assert [e.label for e in at.expander] == [  # in the order to fix them, not by table
        "1\\. Values: 1 to fix",
        "2\\. Links between tables: 1 to fix",
    ]
    problems = _text(at.expander[0].error)
    assert "Table `cases`, column `gender`, row 2" in problems
    assert "How to fix:" in problems
    assert at.button(key="load_button").disabled
    assert at.download_button(key="download_problems")


def test_a_refused_file_is_a_sentence_not_a_traceback(app: AppTest) -> None:
    at = _open(app, "upload")
    at.file_uploader(key="upload_file").set_value(("odd.zip", b"not a zip", "application/zip"))
    at.run()
    assert not at.exception
    assert "odd.zip is not really a .zip file" in _text(at.error)


def test_a_damaged_store_is_a_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    damaged = tmp_path / "damaged.duckdb"
    damaged.write_text("this is not a database", encoding="utf-8")
    monkeypatch.setenv("EVALUATION_DB", str(damaged))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "cannot be opened" in _text(at.error)
    assert str(damaged) not in _text(at.error)  # the path is for administrators only
    monkeypatch.setenv("EVALUATION_DEMO", "1")  # demo mode reads the store before any page
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "cannot be opened" in _text(at.error)


CASE_LEVEL = {"case_ref", "case_key", "case_id", "first_request_on", "opened_on", "closed_on"}


@pytest.mark.slow
def test_a_funder_crawl_finds_no_case_rows_and_nothing_outside_scope(app: AppTest) -> None:
    """Every page a funder can open, and every download on it: aggregates of P-CJS only."""
    import io

    at = _sign_in(app, ROLE_ACCOUNT["funder"])
    for page in ROLE_PAGES["funder"]:
        at.switch_page(PAGES[page]).run()
        assert_page_ok(at, page)
        for frame in at.dataframe:
            df = frame.value
            assert not CASE_LEVEL & {str(c) for c in df.columns}, page
            if "programme_id" in df.columns:
                assert set(df["programme_id"].dropna()) <= {"P-CJS", "*"}, page
        page_text = _text(at.markdown) + _text(at.caption) + _text(at.info)
        assert "P-OPEN" not in page_text, page
    # the explorer's download is exactly what the funder sees: shared, in scope
    from evaluation.measures.engine import IndicatorRequest
    from evaluation.periods import parse_periods
    from evaluation.views.explore import run, tidy_bytes

    scope = Scope.everything(ROLES["funder"].audience)  # a funder of every organisation
    assert scope.audience == "shared"
    with Store.open(app_db()) as s:
        result = run(
            s.cursor(), IndicatorRequest(periods=tuple(parse_periods("2024,2025-Q1")), scope=scope)
        )
    csv = pd.read_csv(io.BytesIO(tidy_bytes(result.frame, "csv")))
    hidden = csv[csv.suppressed]
    assert len(hidden) and hidden[["numerator", "denominator", "value"]].isna().all().all()
    assert not CASE_LEVEL & set(csv.columns)


def app_db() -> Path:
    import os

    return Path(os.environ["EVALUATION_DB"])


@pytest.mark.slow
def test_the_reports_page_gives_a_funder_the_shared_report(app: AppTest) -> None:
    """The funder picks a template: only P-CJS is offered, the report is the shared one, and
    the zip is offered for download."""
    at = _sign_in(app, ROLE_ACCOUNT["funder"])
    at.switch_page(PAGES["reports"]).run()
    assert_page_ok(at)
    options = at.selectbox(key="reports_programme").options
    assert options == ["Inside Out Continuum (fictional)"]  # P-CJS, by its name only
    # the preview shows the report's own chart images (the PNGs its Word and PDF hold), no
    # Plotly figure: Plotly's first load in the browser cost about 0.8 s
    at.selectbox(key="reports_template").select("standard").run()
    assert "Charts (first of the report)" in [h.value for h in at.subheader]
    assert at.get("image") and not at.get("plotly_chart")
    at.selectbox(key="reports_template").select("municipality-quarterly").run()
    assert_page_ok(at)
    button = at.download_button(key="reports_download").proto
    assert button.url or button.deferred_file_id  # the zip is written on a click
    assert "Shared: small numbers are hidden" in _text(at.caption)
    summary = at.table[0].value
    assert list(summary.columns[:2]) == ["Indicator", "Unit"]
    assert not CASE_LEVEL & set(summary.columns)
