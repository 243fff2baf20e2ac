"""The audit trail (``evaluation.sharing.audit``): append-only, one registry of actions, who may
read it, and every event the spec lists recorded where it happens, on real stores."""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from evaluation.cli import main
from evaluation.errors import PackageRefused
from evaluation.intake.ingest import ingest
from evaluation.periods import parse_periods
from evaluation.sharing import audit
from evaluation.sharing.releases import approve, withdraw
from evaluation.store import users
from evaluation.store.access import AccessDenied, Scope, Viewer
from evaluation.store.database import Store
from evaluation.vocabulary.actions import ACTIONS, LEGACY, action_title
from evaluation.vocabulary.language import using

ROOT = Path(__file__).resolve().parents[1]
ORGANISATION = "Brückenbau Exit e.V. (fictional)"
PASSWORD = "correct horse battery"
ADMIN = Viewer("ada", "admin", Scope.everything())
MANAGER = Viewer("mia", "cso_manager", Scope(frozenset({ORGANISATION})))
OTHER_MANAGER = Viewer("otto", "cso_manager", Scope(frozenset({"Another org (fictional)"})))
FUNDER = Viewer("fay", "funder", Scope(frozenset({ORGANISATION}), None, "shared"))


def _count(store: Store) -> int:
    return int(store.cursor().execute("SELECT count(*) FROM audit_log").fetchall()[0][0])


def test_the_trail_has_no_way_to_change_or_remove_a_row() -> None:
    public = [n for n, _ in inspect.getmembers(audit, callable) if not n.startswith("_")]
    assert not [n for n in public if re.search(r"update|delete|remove|clear|edit|purge", n)]
    writes = re.compile(r"(UPDATE|DELETE\s+FROM|TRUNCATE|DROP\s+TABLE)\s+audit_log", re.I)
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "evaluation").rglob("*.py")
        if writes.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_actions_come_from_one_registry_with_display_names(store: Store) -> None:
    assert all(a.title and a.doc for a in ACTIONS.values())
    assert set(LEGACY.values()) <= set(ACTIONS)
    assert action_title("users.sign_in_refused") == "Failed sign-in"
    with pytest.raises(audit.AuditError):
        audit.record(store, actor="x", role=None, action="made_up")
    assert _count(store) == 0


def test_sign_ins_uploads_and_refusals_are_recorded_and_rows_only_grow(
    store: Store, minimal_dir: Path, package_factory
) -> None:
    seen = [_count(store)]
    ingest(minimal_dir, store, actor="mia", role="cso_manager")
    seen.append(_count(store))
    users.add_user(store, "mia", "cso_manager", [ORGANISATION], PASSWORD, actor=users.OPERATOR)
    seen.append(_count(store))
    assert users.authenticate(store, "mia", PASSWORD) is not None
    assert users.authenticate(store, "mia", "wrong password!") is None
    assert users.authenticate(store, "nobody.here", PASSWORD) is None
    seen.append(_count(store))
    with pytest.raises(PackageRefused):
        ingest(minimal_dir, store, actor="otto", role="cso_manager", scope=OTHER_MANAGER.scope)
    seen.append(_count(store))
    assert seen == sorted(seen) and len(set(seen)) == len(seen)

    trail = audit.read_audit(store, reader=None)
    rows = list(zip(trail["actor"], trail["action"], strict=True))
    assert rows == [
        ("mia", "upload"),
        ("cli", "user_add"),
        ("mia", "sign_in"),
        ("mia", "sign_in_failed"),
        ("(unknown user name)", "sign_in_failed"),  # what was typed is not kept
        ("otto", "upload_refused"),
    ]
    by_action = trail.set_index("action")
    assert by_action.loc["upload", "organisations"] == ORGANISATION
    assert by_action.loc["upload", "role"] == "cso_manager"
    assert by_action.loc["sign_in", "organisations"] == ORGANISATION
    refused = by_action.loc["upload_refused"]
    assert ORGANISATION in refused["organisations"]  # the data's owner sees the attempt
    assert "may not load" in json.loads(str(refused["detail"]))["reason"]
    assert PASSWORD not in trail.to_json() and "wrong password!" not in trail.to_json()


def test_who_may_read_the_trail(store: Store, minimal_dir: Path) -> None:
    ingest(minimal_dir, store, actor="mia")
    audit.record(
        store,
        actor="otto",
        role="cso_manager",
        action="sign_in",
        organisations=["Another org (fictional)"],
    )
    assert len(audit.read_audit(store, reader=ADMIN)) == 2
    mine = audit.read_audit(store, reader=MANAGER)
    assert list(mine["actor"]) == ["mia"]
    assert list(audit.read_audit(store, reader=OTHER_MANAGER)["actor"]) == ["otto"]
    assert audit.read_audit(store, reader=ADMIN, actions=("sign_in",))["actor"].tolist() == ["otto"]
    assert audit.read_audit(store, reader=ADMIN, actor="MIA")["action"].tolist() == ["upload"]
    assert audit.read_audit(store, dt.date(2999, 1, 1), reader=ADMIN).empty
    for outsider in (FUNDER, Viewer("eve", "evaluator", Scope.everything("shared"))):
        assert not audit.may_read_audit(outsider)
        with pytest.raises(AccessDenied, match="administrators and the organisation's CSO"):
            audit.read_audit(store, reader=outsider)


def test_approvals_withdrawals_and_shared_reads_name_the_release(
    store: Store, minimal_dir: Path
) -> None:
    ingest(minimal_dir, store, actor="mia")
    period = parse_periods("2025-Q1")
    release = approve(store, ["P-CJS", "P-OPEN"], period, actor=MANAGER, note="for the funder")
    assert audit.record_shared_read(store, MANAGER, [release.number], "page:overview") == 0
    written = audit.record_shared_read(
        store, FUNDER, [release.number, float("nan")], "download:indicators.csv"
    )
    assert written == 1
    withdraw(store, release.number, actor=MANAGER)
    trail = audit.read_audit(store, reader=MANAGER)
    assert list(trail["action"]) == ["upload", "approve", "shared_read", "withdraw"]
    read = trail[trail["action"] == "shared_read"].iloc[0]
    assert (read["actor"], read["role"], read["release"], read["target"]) == (
        "fay",
        "funder",
        release.number,
        "download:indicators.csv",
    )
    assert read["organisations"] == ORGANISATION
    assert set(trail.loc[trail["action"] != "upload", "release"]) == {release.number}


def test_exports_are_inert_in_spreadsheets(store: Store, tmp_path: Path) -> None:
    audit.record(
        store, actor="mia", role="cso_manager", action="upload_refused", target="=HYPERLINK(1)"
    )
    csv_path = audit.export_audit(store, tmp_path / "trail.csv", reader=ADMIN)
    with csv_path.open(encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    assert row["target"] == "'=HYPERLINK(1)" and row["action_title"] == "Refused upload"
    sheet = load_workbook(audit.export_audit(store, tmp_path / "t.xlsx", reader=ADMIN)).active
    assert sheet.cell(row=2, column=8).value == "'=HYPERLINK(1)"
    data = json.loads(audit.export_audit(store, tmp_path / "t.json", reader=ADMIN).read_text())
    assert data[0]["target"] == "=HYPERLINK(1)" and data[0]["detail"] == {}
    with pytest.raises(audit.AuditError, match="csv"):
        audit.export_audit(store, tmp_path / "t.txt", reader=ADMIN)


def test_the_audit_command_prints_and_exports(
    tmp_path: Path, minimal_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.duckdb"
    with Store.open(db) as store:
        ingest(minimal_dir, store, actor="mia")
    assert main(["audit", "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("when (UTC)\tactor") and "\tupload\t" in out[1]
    assert main(["audit", "--db", str(db), "--since", "2999-01-01"]) == 0
    assert "no events since 2999-01-01" in capsys.readouterr().out
    assert main(["audit", "--db", str(db), "--out", str(tmp_path / "a.json")]) == 0
    assert json.loads((tmp_path / "a.json").read_text())[0]["action"] == "upload"


def test_the_table_reads_in_words_in_either_language(store: Store, minimal_dir: Path) -> None:
    """``audit_table`` on real rows: the command line's operator by name and where it acted,
    every detail key by its display name, programmes by name, numbers in the language's style."""
    ingest(minimal_dir, store, actor=users.OPERATOR.name)
    approve(store, ["P-CJS"], parse_periods("2025-Q1"), actor=users.OPERATOR)
    names = {"P-CJS": "Inside Out Continuum"}
    english = audit.audit_table(audit.read_audit(store, reader=None), names)
    with using("de"):
        german = audit.audit_table(audit.read_audit(store, reader=None), names)
        approval = action_title("approve")
    assert set(english["Who"]) == {"Command line"} and set(german["Who"]) == {"Kommandozeile"}
    assert set(english["Role"]) == {"on the server"} and set(german["Role"]) == {"am Server"}
    approved = german.loc[german["What"] == approval, "Detail"].iloc[0]
    assert approved.startswith("Kennzahlen: ") and "Zeiträume: Q1 2025" in approved
    assert "Programme: Inside Out Continuum" in approved and "P-CJS" not in approved
    assert not re.search(r"\b(cells|hidden|periods|programmes|source|submission id):", approved)
    uploaded = english.loc[english["What"] == action_title("upload"), "Detail"].iloc[0]
    assert "file: minimal" in uploaded and "submission: S" in uploaded
