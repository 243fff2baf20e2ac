"""The language a person reads the dashboard in: chosen in the sidebar, kept with their account.

Streamlit's AppTest runs the real dashboard against a real store (the minimal package, one
account per role). Choosing German in the sidebar turns the navigation, the sidebar and the
pages German; the choice is stored with the account, so it survives signing out and in, while
another person's dashboard stays English. Before signing in (and in demo mode) the choice is the
browser session's, and a browser that asks for German gets German without choosing. The shell's
own pages (sign-in, users, audit trail, catalogue) show no raw code in either language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import assert_page_ok
from streamlit.testing.v1 import AppTest

from evaluation.app import session
from evaluation.intake.ingest import ingest
from evaluation.store import users
from evaluation.store.access import AccessDenied
from evaluation.store.database import Store
from evaluation.vocabulary import language
from tests.conftest import MINIMAL, ORACLE_RELEASED, approve_releases
from tests.raw_codes import raw_codes

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
PAGES = {
    "catalogue": "evaluation/app/pages/catalogue.py",
    "audit": "evaluation/app/pages/audit.py",
    "users": "evaluation/app/pages/users.py",
}
TIMEOUT = 180
PASSWORD = "correct horse battery"
ORGANISATION = "Brückenbau Exit e.V. (fictional)"
ACCOUNTS = {  # name → (role, scope)
    "admin.lang": ("admin", ()),
    "manager.lang": ("cso_manager", (ORGANISATION,)),
    "funder.lang": ("funder", ("P-CJS",)),
    "other.lang": ("cso_manager", (ORGANISATION,)),
}
GERMAN_TITLES = {  # the navigation of a CSO manager, in German
    "Datenübersicht",
    "Indikatorenkatalog",
    "Protokoll",
    "Berichte",
}


@pytest.fixture(scope="module")
def language_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("language") / "evaluation.duckdb"
    with Store.open(path) as store:
        ingest(MINIMAL, store, actor="test")
        for name, (role, scope) in ACCOUNTS.items():
            users.add_user(store, name, role, scope, PASSWORD, actor=users.Operator("test"))
        approve_releases(store, ORACLE_RELEASED)
    return path


@pytest.fixture()
def db(language_db: Path) -> Iterator[Path]:
    """The module's store with every account's language forgotten again."""
    with Store.open(language_db) as store:
        for name in ACCOUNTS:
            users.set_language(store, name, None, actor=users.OPERATOR)
    yield language_db


@pytest.fixture(autouse=True)
def english_again() -> Iterator[None]:
    """The test's own thread back to English afterwards (see ``_speak``)."""
    yield
    language.set_language(None)


def _speak(lang: str) -> None:
    """Let the test's thread speak the app's language: AppTest calls the widgets' format
    functions there (not in the app's run) to send their state with the next run."""
    language.set_language(lang)


@pytest.fixture()
def app(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("EVALUATION_DB", str(db))
    monkeypatch.delenv("EVALUATION_DEMO", raising=False)
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def _sign_in(at: AppTest, name: str) -> AppTest:
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(PASSWORD)
    at.button(key="signin_submit").click().run()
    assert_page_ok(at, f"signing in as {name}")
    return at


def _choose(at: AppTest, lang: str) -> AppTest:
    at.sidebar.selectbox(key=session.LANGUAGE_PICK).select(lang).run()
    _speak(lang)
    assert_page_ok(at, f"choosing {lang}")
    return at


def _navigation(at: AppTest) -> set[str]:
    """The titles the navigation shows (AppTest keeps the pages ``st.navigation`` registered)."""
    return {str(info.get("page_name")) for info in at._registered_pages.values()}


def _texts(at: AppTest) -> list[str]:
    """Every text a person reads on the page and in the sidebar: headings, paragraphs,
    captions, alerts, labels, options and the cells of tables, Markdown escapes removed and
    balanced code spans shown as the code they are."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text"):
        out += [str(e.value) for e in at.get(kind)]
    for kind in ("info", "success", "warning", "error"):
        out += [str(e.value) for e in at.get(kind)]
    out += [str(e.label) for e in at.expander]
    out += [str(e.label) for e in at.button]
    for widget in (*at.selectbox, *at.multiselect, *at.radio):
        out.append(str(widget.label))
        out += [str(o) for o in widget.options]
    out += [str(e.label) for e in at.text_input]
    for frame in at.dataframe:
        table = frame.value
        out += [str(c) for c in table.columns]
        out += [str(v) for v in table.astype(str).to_numpy().ravel()]
    return [re.sub(r"`([^`]*)`", r"\1", t).replace("\\", "") for t in out]


def _raw(at: AppTest) -> list[str]:
    return [f"{code!r} in {text!r}" for text in _texts(at) for code in raw_codes(text)]


# -- choosing and keeping ------------------------------------------------------------------------


def test_german_in_the_sidebar_gives_german_titles_and_texts(app: AppTest) -> None:
    at = app.run()
    _sign_in(at, "manager.lang")
    assert {"Data overview", "Indicator catalogue", "Audit trail"} <= _navigation(at)
    at.switch_page(PAGES["catalogue"]).run()
    _choose(at, "de")
    assert _navigation(at) >= GERMAN_TITLES
    assert "Data overview" not in _navigation(at)
    sidebar = " ".join(str(h.value) for h in at.sidebar.header)
    assert "Evaluation der Ausstiegsarbeit" in sidebar
    assert at.sidebar.selectbox(key=session.LANGUAGE_PICK).label == "Sprache"
    assert at.sidebar.button(key="sign_out").label == "Abmelden"
    assert "Ansicht:" in " ".join(str(c.value) for c in at.sidebar.caption)

    at.switch_page(PAGES["catalogue"]).run()
    assert_page_ok(at, "catalogue in German")
    assert at.title[0].value == "Indikatorenkatalog"
    assert at.text_input(key="catalogue_search").label == "Suche"
    at.switch_page(PAGES["audit"]).run()
    assert_page_ok(at, "audit trail in German")
    assert at.title[0].value == "Protokoll"
    assert "Wer" in at.dataframe[0].value.columns
    assert any("Ereignis" in str(c.value) for c in at.caption)


def test_the_choice_is_kept_with_the_account_and_survives_signing_out(
    app: AppTest, db: Path
) -> None:
    at = app.run()
    _sign_in(at, "manager.lang")
    _choose(at, "de")
    with Store.open(db) as store:
        assert users.get_user(store, "manager.lang").language == "de"  # type: ignore[union-attr]

    at.sidebar.button(key="sign_out").click().run()
    assert_page_ok(at, "signed out")
    assert at.title[0].value == "Sign in"  # the next person's sign-in page: not the choice
    _speak("en")
    _sign_in(at, "manager.lang")
    assert _navigation(at) >= GERMAN_TITLES
    _speak("de")

    at.sidebar.button(key="sign_out").click().run()  # another person in the same browser
    _speak("en")
    _sign_in(at, "other.lang")
    assert "Data overview" in _navigation(at)
    assert at.sidebar.selectbox(key=session.LANGUAGE_PICK).value == "en"

    other = AppTest.from_file(APP, default_timeout=TIMEOUT).run()  # and in a browser of their own
    _sign_in(other, "funder.lang")
    assert "Data overview" in _navigation(other)


def test_choosing_english_again_is_kept_too(app: AppTest, db: Path) -> None:
    at = app.run()
    _sign_in(at, "manager.lang")
    _choose(at, "de")
    _choose(at, "en")
    assert "Data overview" in _navigation(at)
    with Store.open(db) as store:
        assert users.get_user(store, "manager.lang").language == "en"  # type: ignore[union-attr]


def test_before_signing_in_the_choice_is_the_sessions(app: AppTest, db: Path) -> None:
    at = app.run()
    assert at.title[0].value == "Sign in"
    _choose(at, "de")
    assert at.title[0].value == "Anmelden"
    assert at.text_input(key="signin_name").label == "Benutzername"
    _sign_in(at, "other.lang")  # no language of their own: the session's
    assert _navigation(at) >= GERMAN_TITLES
    with Store.open(db) as store:  # and nothing was stored for them
        assert users.get_user(store, "other.lang").language is None  # type: ignore[union-attr]


def test_a_browser_asking_for_german_gets_german(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session, "browser_language", lambda: "de")
    _speak("de")
    at = app.run()
    assert_page_ok(at)
    assert at.title[0].value == "Anmelden"
    _sign_in(at, "manager.lang")
    assert _navigation(at) >= GERMAN_TITLES


def test_accept_language_headers_are_read_by_preference() -> None:
    assert session._accepted("fr-FR,de;q=0.8,en;q=0.5") == ["fr-FR", "de", "en"]
    assert session._accepted("en;q=0.2, de-AT") == ["de-AT", "en"]
    assert session._accepted("*, de;q=0") == []
    assert session._accepted("") == []


def test_demo_mode_keeps_the_choice_in_the_session(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALUATION_DB", str(db))
    monkeypatch.setenv("EVALUATION_DEMO", "1")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert_page_ok(at, "demo")
    _choose(at, "de")
    warning = " ".join(str(w.value) for w in at.sidebar.warning)
    assert "Demo-Modus" in warning
    assert at.sidebar.radio(key=session.DEMO_ROLE_KEY).label == "Dashboard ansehen als"
    at.sidebar.radio(key=session.DEMO_ROLE_KEY).set_value("funder").run()
    assert_page_ok(at, "demo as a funder")
    assert "Indikatorenkatalog" in _navigation(at)


# -- who may set a language --------------------------------------------------------------------


def test_a_person_sets_their_own_language_an_administrator_anyones(db: Path) -> None:
    with Store.open(db) as store:
        manager = users.get_user(store, "manager.lang")
        admin = users.get_user(store, "admin.lang")
        assert manager is not None and admin is not None
        assert users.set_language(store, "manager.lang", "de-AT", actor=manager).language == "de"
        with pytest.raises(AccessDenied):
            users.set_language(store, "other.lang", "de", actor=manager)
        assert users.set_language(store, "other.lang", "de", actor=admin).language == "de"
        assert users.set_language(store, "other.lang", "", actor=admin).language is None
        with pytest.raises(users.UserError, match="no language"):
            users.set_language(store, "manager.lang", "xx", actor=manager)
        changed = users.add_user(
            store, "other.lang", "cso_manager", (ORGANISATION,), actor=admin, language="de"
        )
        assert changed.language == "de"
        kept = users.add_user(store, "other.lang", "cso_manager", (ORGANISATION,), actor=admin)
        assert kept.language == "de"  # not given: kept


def test_an_administrator_sets_a_users_language_on_the_users_page(app: AppTest, db: Path) -> None:
    at = app.run()
    _sign_in(at, "admin.lang")
    at.switch_page(PAGES["users"]).run()
    assert_page_ok(at, "users")
    assert "language" in at.dataframe[0].value.columns
    at.selectbox(key="user_pick").select("funder.lang").run()
    assert at.selectbox(key="user_language").value == ""  # not chosen
    at.selectbox(key="user_language").select("de")
    at.button(key="user_save").click().run()
    assert_page_ok(at, "saving")
    assert "Saved the user funder.lang" in " ".join(str(s.value) for s in at.success)
    with Store.open(db) as store:
        assert users.get_user(store, "funder.lang").language == "de"  # type: ignore[union-attr]
    row = at.dataframe[0].value.set_index("name").loc["funder.lang"]
    assert row["language"] == "Deutsch"


def test_callbacks_speak_the_readers_language(app: AppTest) -> None:
    """A widget's callback runs before the app sets the language: it must still be German."""
    at = app.run()
    _sign_in(at, "admin.lang")
    _choose(at, "de")
    at.switch_page(PAGES["users"]).run()
    at.selectbox(key="user_pick").select("funder.lang").run()
    at.button(key="user_save").click().run()
    assert_page_ok(at, "saving in German")
    assert "Benutzer funder.lang" in " ".join(str(s.value) for s in at.success)


# -- no raw code on the shell's pages ----------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_shells_pages_show_no_raw_code(app: AppTest, lang: str) -> None:
    at = app.run()
    _choose(at, lang)
    assert_page_ok(at, "sign-in")
    assert not _raw(at), _raw(at)
    _sign_in(at, "admin.lang")
    for name, path in PAGES.items():
        at.switch_page(path).run()
        assert_page_ok(at, f"{name} in {lang}")
        assert not _raw(at), f"{name} in {lang}: {_raw(at)}"  # (closed expanders too)


@pytest.mark.parametrize(
    ("account", "shown", "never"),
    [
        ("funder.lang", "Inside Out Continuum", ("P-CJS", "(fictional)")),
        ("manager.lang", "Brückenbau Exit e.V. (fiktiv)", ("(fictional)",)),
    ],
)
def test_the_sidebar_names_the_scope_in_words(
    app: AppTest, account: str, shown: str, never: tuple[str, ...]
) -> None:
    """The sidebar's "Viewing: …" named a funder's programmes by their ids ("P-CJS") and the
    demo's organisations with the English mark on German pages."""
    at = app.run()
    _sign_in(at, account)
    _choose(at, "de")
    viewing = " ".join(str(c.value) for c in at.sidebar.caption if "Ansicht:" in str(c.value))
    assert shown in viewing, viewing
    assert not [word for word in never if word in viewing], viewing
