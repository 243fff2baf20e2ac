"""The reviewers' findings on words (issue 13): the audit trail, the pickers, the demo's own
texts and the sentences said to an administrator read as words in the reader's language.

* The audit trail names every detail key in words (one registry, ``audit.DETAIL_KEYS``, which
  covers every key the code writes), numbers in the language's style, the command line's
  operator as "Command line"/"Kommandozeile" and an empty role with the reason.
* Pickers name programmes and submissions, never by their id unless two would read the same.
* The demo's release note and the "(fictional)" mark of demo names are shown in the reader's
  language; no page says "Ihres Trägers" to an administrator, who has no organisation.

Real parts: the minimal package loaded into a real store by the command line's operator, its
releases approved as the demo approves them, real accounts, and the pages run by Streamlit's
AppTest straight from their files in German as each role.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from evaluation.demo.releases import NOTE, note_text
from evaluation.intake.ingest import ingest
from evaluation.sharing import audit
from evaluation.store import users
from evaluation.views import explore
from evaluation.vocabulary.language import translate, using
from evaluation.vocabulary.names import FICTIONAL, shown_name
from tests.conftest import MINIMAL, approve_releases, builder_from_minimal, page_in_language

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "evaluation" / "app" / "pages"
TIMEOUT = 180
PASSWORD = "correct horse battery"
ORGANISATION = "Brückenbau Exit e.V. (fictional)"
ACCOUNTS = {  # role → account
    "admin": "admin.words",
    "cso_manager": "manager.words",
}
PROGRAMME_IDS = ("P-OPEN", "P-CJS")
WRITERS = ("record", "record_read", "record_shared_read", "_record_shared_read", "record_sign_in")
ENGLISH_KEYS = re.compile(
    r"\b(cells|periods|programmes|hidden|fingerprint|submission id|source|method|reason|"
    r"command|template|password set|origin release|content hash)\s*:"
)
GERMAN_ADMIN_FORBIDDEN = ("Ihres Trägers", "Ihren Träger", "Ihrem Träger")


@pytest.fixture(scope="module")
def words_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minimal package loaded by the command line's operator, the demo's releases, one
    account per internal role, and events of each kind the trail shows in the pages."""
    from evaluation.store.database import Store

    path = tmp_path_factory.mktemp("words") / "evaluation.duckdb"
    with Store.open(path) as store:
        assert ingest(MINIMAL, store, actor=users.OPERATOR.name).status == "loaded"
        again = builder_from_minimal(path.parent / "again")  # the same programmes and day
        again.tables["about"][2]["value"] = "Spreadsheet, corrected"
        assert ingest(again.write("folder", "corrected"), store, actor="mia").status == "loaded"
        for role, name in ACCOUNTS.items():
            scope = () if role == "admin" else (ORGANISATION,)
            users.add_user(store, name, role, scope, PASSWORD, actor=users.OPERATOR)
        assert approve_releases(store)  # as the demo approves: the operator, the demo's note
        assert users.authenticate(store, ACCOUNTS["cso_manager"], PASSWORD) is not None
        assert users.authenticate(store, "nobody.here", PASSWORD) is None
        audit.record(
            store,
            actor=users.OPERATOR.name,
            role=None,
            action="shared_read",
            target="file:report.zip",
            detail={"command": "report", "template": "standard", "period": "2025-Q1"},
            organisations=[ORGANISATION],
        )
    return path


@pytest.fixture()
def page_env(words_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EVALUATION_DB", str(words_db))
    monkeypatch.delenv("EVALUATION_DEMO", raising=False)
    yield words_db


def _page(name: str, role: str, lang: str = "de") -> AppTest:
    return page_in_language(PAGES / f"{name}.py", ACCOUNTS[role], lang, TIMEOUT)


def _texts(at: AppTest) -> str:
    """Every sentence, caption, metric and table cell of the page, as one text."""
    parts = [str(e.value) for e in (*at.markdown, *at.caption, *at.info, *at.success)]
    parts += [str(m.label) + " " + str(m.value) for m in at.metric]
    for frame in (*at.dataframe, *at.table):
        value = frame.value
        parts += [str(c) for c in value.columns]
        parts += [str(v) for v in value.to_numpy().ravel()]
    return "\n".join(parts)


def _options(at: AppTest, lang: str = "de") -> list[str]:
    """The options of every picker of the page as the reader reads them (AppTest formats them
    in the test's thread: in the page's language here)."""
    out: list[str] = []
    with using(lang):
        for box in (*at.selectbox, *at.multiselect, *at.radio):
            out += [str(o) for o in box.options]
    return out


# -- the registry of detail keys ---------------------------------------------------------------


def _written_detail_keys() -> set[str]:
    """Every key the package writes into an audit row's detail: the string keys of the dict
    literals given to a writer of the trail (``detail=``, ``extra=`` or positionally, also
    within ``**{...}`` and conditionals), and of those assigned to ``detail`` or to the sign-in's
    ``fingerprint``."""
    keys: set[str] = set()

    def literal_keys(node: ast.AST) -> None:
        for found in ast.walk(node):
            if isinstance(found, ast.Dict):
                keys.update(
                    k.value
                    for k in found.keys
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)
                )

    for path in (ROOT / "evaluation").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name in WRITERS:
                    for kw in node.keywords:
                        if kw.arg in ("detail", "extra"):
                            literal_keys(kw.value)
                    for arg in node.args:
                        literal_keys(arg)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in ("detail", "fingerprint") for t in node.targets
            ):
                literal_keys(node.value)
    return keys


def test_every_detail_key_the_code_writes_has_a_name_in_both_languages() -> None:
    written = _written_detail_keys()
    assert {"cells", "periods", "submission_id", "fingerprint", "client", "command"} <= written
    assert written - set(audit.DETAIL_KEYS) == set(), "add them to audit.DETAIL_KEYS"
    for key in audit.DETAIL_KEYS:
        assert translate(audit.DETAIL_KEYS[key], "de"), key
    with using("de"):
        untranslated = [k for k in audit.DETAIL_KEYS if audit.detail_key(k) == k.replace("_", " ")]
    assert untranslated == []
    assert audit.detail_key("made_up_key") == "made up key"  # an unknown key: still readable


def test_details_read_as_words_in_german_and_english() -> None:
    detail = json.dumps(
        {
            "cells": 12345,
            "hidden": 12,
            "periods": ["2025-Q2"],
            "programmes": ["P-OPEN"],
            "method": "password",
            "reason": "wrong password",
            "password_set": True,
            "until": "2026-01-02T10:11:12",
        }
    )
    names = {"P-OPEN": "Open Door Exit"}
    with using("de"):
        german = audit.detail_text(detail, names)
        who, role = audit.actor_text("cli"), audit.role_text(None, "cli")
    english = audit.detail_text(detail, names)
    assert german.startswith("Kennzahlen: 12.345 · Verborgene Kennzahlen: 12 · Zeiträume: Q2 2025")
    assert "Programme: Open Door Exit" in german and "P-OPEN" not in german
    assert "falsches Passwort" in german and "Neues Passwort: ja" in german
    assert "02.01.2026, 10:11" in german
    assert not ENGLISH_KEYS.search(german), german
    assert english.startswith("figures: 12,345 · hidden figures: 12 · periods: 2025 Q2")
    assert (who, role) == ("Kommandozeile", "am Server")
    assert (audit.actor_text("cli"), audit.role_text(None, "cli")) == (
        "Command line",
        "on the server",
    )
    assert audit.role_text(None, "(unknown user name)") == "not signed in"
    assert audit.role_text("cso_manager", "mia") == "CSO manager"


# -- the pages, in German, as each role --------------------------------------------------------


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_the_audit_page_names_keys_the_operator_and_roles_in_german(
    page_env: Path, role: str
) -> None:
    at = _page("audit", role)
    table = at.dataframe[0].value
    assert len(table) >= 4
    assert "cli" not in set(table["Wer"]) and "Kommandozeile" in set(table["Wer"])
    assert table["Rolle"].astype(str).str.strip().astype(bool).all(), "an empty role says why"
    details = "\n".join(map(str, table["Details"] if "Details" in table else table.iloc[:, -1]))
    assert not ENGLISH_KEYS.search(details), details
    assert "Kennzahlen:" in details and "Befehl:" in details
    assert not set(PROGRAMME_IDS) & set(re.findall(r"P-[A-Z]+", details))
    text = _texts(at)
    assert FICTIONAL not in text and "(fiktiv)" in text
    english = _page("audit", role, "en").dataframe[0].value
    assert "Command line" in set(english["Who"])


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_the_data_pages_name_things_in_german(page_env: Path, role: str) -> None:
    for name in ("submissions", "approvals", "send"):
        at = _page(name, role)
        text = _texts(at)
        options = _options(at)
        assert FICTIONAL not in text + "\n".join(options), name
        for forbidden in GERMAN_ADMIN_FORBIDDEN if role == "admin" else ():
            assert forbidden not in text, (name, forbidden)
        for option in options:
            assert not re.search(r"\bP-[A-Z]+\b|\bS\d{8}-", option), (name, option)
        assert not re.search(r"(^|\n)cli($|\n)", text), name
        if name == "approvals":
            table = at.dataframe[-1].value
            assert set(table["approved_by"]) == {"Kommandozeile"}
            assert set(table["note"]) == {translate(NOTE, "de")}
            assert translate(NOTE, "de") != NOTE
        if name == "submissions":  # two packages of the same programmes and day: told apart
            (box,) = [b for b in at.selectbox if b.key == "submission_select"]
            with using("de"):
                labels = [str(o) for o in box.options]
            assert len(labels) == len(set(labels)) == 2
            assert all(x.startswith("Inside Out Continuum (fiktiv), Open Door") for x in labels)
            assert all("Datenstand 30.06.2025, geladen " in x for x in labels), labels
            assert {x.rsplit("(", 1)[-1] for x in labels} == {"minimal)", "corrected)"}, labels
            loaded_by = set(at.dataframe[0].value["loaded_by"].astype(str))
            assert "Kommandozeile" in loaded_by and "cli" not in loaded_by


def test_the_german_catalogues_say_nothing_of_your_organisation_to_an_administrator() -> None:
    """The sentences of the pages an administrator opens too (approvals, send, the internal
    downloads of the explorer and the reports) address nobody's organisation: "den Träger",
    never "Ihres Trägers"; an administrator has no organisation."""
    for po in (ROOT / "evaluation/vocabulary/locale/de").glob("*.po"):
        text = po.read_text(encoding="utf-8").replace('"\n"', "")  # wrapped lines joined
        assert not [f for f in GERMAN_ADMIN_FORBIDDEN if f in text], po.name


# -- names and labels --------------------------------------------------------------------------


def test_pickers_tell_programmes_apart_by_what_a_person_understands() -> None:
    frame = pd.DataFrame(
        {
            "programme_id": ["A-1", "B-1", "B-2", "C-1"],
            "programme": ["Exit", "Exit", "Exit", "Familie"],
            "organisation": ["Nordlicht", "Südwind", "Südwind", "Nordlicht"],
        }
    )
    assert explore.programme_names(frame) == {
        "A-1": "Exit (Nordlicht)",
        "B-1": "Exit (B-1)",  # same name in the same organisation: only the id tells them apart
        "B-2": "Exit (B-2)",
        "C-1": "Familie",
    }


def test_demo_names_and_note_in_the_readers_language() -> None:
    with using("de"):
        assert shown_name("Nordlicht e.V. (fictional)") == "Nordlicht e.V. (fiktiv)"
        assert shown_name('Alpha, "Beta" (fictional), B (fictional)') == (
            'Alpha, "Beta" (fiktiv), B (fiktiv)'
        )
        assert note_text(NOTE) != NOTE and "freigegeben" in note_text(NOTE)
        assert note_text("für das Ministerium") == "für das Ministerium"  # a person's words
    assert shown_name("Real Org e.V.") == "Real Org e.V."
    assert note_text(NOTE) == NOTE and note_text(None) == ""


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_the_figure_pages_show_the_demo_mark_in_german(page_env: Path, role: str) -> None:
    """The demo's "(fictional)" is stored English; every page that names an organisation shows
    it as "(fiktiv)" to a German reader (``vocabulary.names.shown_name``)."""
    for name in ("overview", "programme", "explorer", "comparison", "reports"):
        at = _page(name, role)
        text = _texts(at) + "\n" + "\n".join(_options(at))
        assert FICTIONAL not in text, [name, *(t for t in text.split("\n") if FICTIONAL in t)]
