"""The check says what the load will say, and the same data exported again is the same data.

``check_package`` with the store (and the scope of the person loading) reports what ``ingest``
would refuse beyond the package's own problems, in the same words; a CSV package exported again
with a byte-order mark or Windows line ends is recognised as already loaded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.errors import PackageRefused
from evaluation.intake.ingest import check_package, ingest
from evaluation.store import users
from evaluation.store.database import Store

ORGANISATION = "Brückenbau Exit e.V. (fictional)"

pytestmark = pytest.mark.slow


def _problem(report, rule: str):
    found = [p for p in report.problems if p.rule == rule]
    assert found, f"no problem {rule!r} in {[p.rule for p in report.problems]}"
    return found[0]


def test_check_refuses_what_the_load_refuses_outside_the_scope(
    store: Store, minimal_dir: Path
) -> None:
    other = users.scope_for(users.User("o", "cso_manager", ("Another org (fictional)",)), store)
    report = check_package(minimal_dir, store=store, scope=other)
    assert not report.ok
    problem = _problem(report, "outside_scope")
    assert "your account may not load" in problem.sentence()
    before = store.fingerprint()
    with pytest.raises(PackageRefused) as refused:
        ingest(minimal_dir, store, scope=other)
    assert problem.message in str(refused.value)
    assert store.fingerprint() == before
    own = users.scope_for(users.User("m", "cso_manager", (ORGANISATION,)), store)
    assert check_package(minimal_dir, store=store, scope=own).ok


def test_check_refuses_older_data_like_the_load(store: Store, package_factory) -> None:
    ingest(package_factory().write(), store)
    older = package_factory()
    older.tables["about"][1]["value"] = "2025-05-31"
    older.tables["contacts"] = [
        r for r in older.tables["contacts"] if r["contact_on"] <= "2025-05-31"
    ]
    older.tables["cases"][4].update(closed_on="", closure_reason="")
    path = older.write("folder", "older")
    alone = check_package(path)
    assert alone.ok  # the package itself is fine
    report = check_package(path, store=store)
    problem = _problem(report, "older_than_loaded")
    assert not report.ok
    assert problem.table == "about" and problem.column == "data_as_of"
    before = store.fingerprint()
    with pytest.raises(PackageRefused) as refused:
        ingest(path, store)
    assert problem.message in str(refused.value)
    assert store.fingerprint() == before


def test_a_programme_of_another_organisation_is_named_by_the_check(
    store: Store, package_factory
) -> None:
    ingest(package_factory().write(), store)
    other = package_factory()
    for row in other.tables["about"]:
        if row["key"] == "organisation":
            row["value"] = "Another org (fictional)"
    report = check_package(other.write("folder", "other"), store=store)
    problem = _problem(report, "programme_owner")
    assert problem.table == "programmes" and problem.column == "programme_id"


def _windows(data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_the_same_data_with_a_bom_and_crlf_is_already_loaded(
    store: Store, package_factory, kind: str
) -> None:
    first = package_factory()
    loaded = ingest(first.write(kind, "plain"), store)
    assert loaded.status == "loaded"
    again = package_factory()
    again.raw = {name: _windows(data) for name, data in again.files().items()}
    path = again.write(kind, "windows")
    report = check_package(path, store=store)
    assert report.ok
    assert loaded.submission_id in _problem(report, "already_loaded").message
    before = store.fingerprint()
    result = ingest(path, store)
    assert result.status == "unchanged"
    assert result.submission_id == loaded.submission_id
    assert store.fingerprint() == before


def test_a_changed_line_is_still_new_data(store: Store, package_factory) -> None:
    """Only the BOM and line ends are ignored: a real change in one cell is a new package."""
    ingest(package_factory().write(), store)
    changed = package_factory()
    files = changed.files()
    changed.raw = {name: _windows(data) for name, data in files.items()}
    changed.raw["contacts"] = changed.raw["contacts"].replace(b"\r\n", b"\r\n\r\n", 1)
    report = check_package(changed.write("folder", "changed"), store=store)
    assert not any(p.rule == "already_loaded" for p in report.problems)


def test_cli_check_reads_the_store(tmp_path: Path, package_factory) -> None:
    db = tmp_path / "cli.duckdb"
    with Store.open(db) as s:
        ingest(package_factory().write(), s)
    older = package_factory()
    older.tables["about"][1]["value"] = "2025-05-31"
    older.tables["contacts"] = [
        r for r in older.tables["contacts"] if r["contact_on"] <= "2025-05-31"
    ]
    older.tables["cases"][4].update(closed_on="", closure_reason="")
    run = subprocess.run(
        [sys.executable, "-m", "evaluation", "check", str(older.write()), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    assert "older than the data" in run.stdout + run.stderr
    assert "Traceback" not in run.stderr
