"""The Approvals and Audit trail pages in Streamlit's AppTest, signed in, against a real store
built from ``tests/fixtures/minimal``: preview, approve with a note, list, withdraw; read,
filter and download the trail; refused to those who may not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import assert_page_ok
from streamlit.testing.v1 import AppTest

from evaluation.app import session
from evaluation.intake.ingest import ingest
from evaluation.sharing import audit
from evaluation.sharing.releases import list_releases
from evaluation.store import users
from evaluation.store.database import Store

ROOT = Path(__file__).resolve().parents[1]
APPROVALS = str(ROOT / "evaluation/app/pages/approvals.py")
AUDIT = str(ROOT / "evaluation/app/pages/audit.py")
TIMEOUT = 300
ORGANISATION = "Brückenbau Exit e.V. (fictional)"
PASSWORD = "correct horse battery"
PROGRAMMES = {"P-CJS": "Inside Out Continuum (fictional)", "P-OPEN": "Open Door Exit (fictional)"}


@pytest.fixture()
def db(tmp_path: Path, minimal_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "store.duckdb"
    with Store.open(path) as store:
        ingest(minimal_dir, store, actor="test")
        for name, role, scope in (
            ("manager.test", "cso_manager", (ORGANISATION,)),
            ("other.manager", "cso_manager", ("Another org (fictional)",)),
            ("funder.test", "funder", (ORGANISATION,)),
        ):
            users.add_user(store, name, role, scope, PASSWORD, actor=users.OPERATOR)
    monkeypatch.setenv("EVALUATION_DB", str(path))
    monkeypatch.delenv("EVALUATION_DEMO", raising=False)
    yield path


def _as(page: str, user: str) -> AppTest:
    at = AppTest.from_file(page, default_timeout=TIMEOUT)
    at.session_state[session.USER_KEY] = user
    return at.run()


def _text(elements: object) -> str:
    return " ".join(str(e.value) for e in elements).replace("\\", "")  # type: ignore[attr-defined]


def test_a_cso_manager_previews_approves_and_withdraws(db: Path) -> None:
    at = _as(APPROVALS, "manager.test")
    assert_page_ok(at, "approvals")
    assert "No release yet" in _text(at.caption)
    assert at.multiselect(key="approvals_programmes").value == ["P-CJS", "P-OPEN"]
    at.selectbox(key="approvals_periods").set_value("2025-Q1").run()
    at.button(key="approvals_preview").click().run()
    assert_page_ok(at, "preview")
    assert "hidden to protect small numbers" in _text(at.markdown)
    preview = at.dataframe[0].value
    assert set(preview["programme"]) == set(PROGRAMMES.values()) and len(preview) > 10
    # as a funder would see it: a hidden figure marked so, one without data marked otherwise
    assert (preview.loc[preview["hidden"], "value"] == "hidden").all()
    assert preview["hidden"].any() and "hidden: fewer than 5 people" in _text(at.caption)
    assert preview["value"].map(lambda v: isinstance(v, str) and v != "").all()
    assert not set(preview["indicator"]) & {"C01", "O01"}  # indicators by name, not id

    at.text_input(key="approvals_note").input("for the ministry").run()
    at.button(key="approvals_approve").click().run()
    assert_page_ok(at, "approve")
    assert "Approved Release 1" in _text(at.success)
    with Store.open(db) as store:
        (release,) = list_releases(store)
        assert (release.approved_by, release.note) == ("manager.test", "for the ministry")
    at.run()
    listed = at.dataframe[-1].value
    assert list(listed["release"]) == [1] and list(listed["status"]) == ["active"]

    at.button(key="approvals_withdraw").click().run()
    assert_page_ok(at, "withdraw")
    assert "Withdrew Release 1" in _text(at.success)
    assert at.dataframe[-1].value["status"].iloc[0].startswith("withdrawn")
    with Store.open(db) as store:
        actions = list(audit.read_audit(store, reader=None)["action"])
    assert actions[-2:] == ["approve", "withdraw"]


def test_a_manager_of_another_organisation_sees_nothing_to_approve(db: Path) -> None:
    at = _as(APPROVALS, "other.manager")
    assert_page_ok(at, "approvals")
    assert "No programme you may approve" in _text(at.info)


def test_the_audit_page_shows_filters_and_downloads_the_trail(db: Path) -> None:
    with Store.open(db) as store:
        assert users.authenticate(store, "manager.test", PASSWORD)
        assert users.authenticate(store, "manager.test", "not the password") is None
    at = _as(AUDIT, "manager.test")
    assert_page_ok(at, "audit")
    table = at.dataframe[0].value
    assert {"Upload", "Sign-in", "Failed sign-in"} <= set(table["What"])
    assert set(table["Who"]) == {"test", "manager.test"}  # not the other organisation's events
    at.multiselect(key="audit_actions").set_value(["sign_in_failed"]).run()
    assert_page_ok(at, "filtered")
    assert list(at.dataframe[0].value["What"]) == ["Failed sign-in"]
    assert len(at.get("download_button")) == 3


def test_the_audit_trail_is_refused_to_a_funder(db: Path) -> None:
    at = _as(AUDIT, "funder.test")
    assert not at.exception
    assert "administrators and the organisation's CSO managers" in _text(at.error)
    assert not at.dataframe
