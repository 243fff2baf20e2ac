"""The embedded store: submissions, replacement, no-ops, keyed case hashes, all-or-nothing."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import store_at_schema

from evaluation.errors import PackageRefused, StoreError
from evaluation.intake.ingest import ingest
from evaluation.store.database import SCHEMA_VERSION, Store, secret_path


def test_init_is_idempotent_and_versioned(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    for _ in range(2):
        with Store.open(db) as store:
            assert store.schema_version == SCHEMA_VERSION
    assert secret_path(db).exists()
    assert secret_path(db).stat().st_mode & 0o777 == 0o600


def test_a_newer_store_is_refused_with_a_sentence(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store.open(db).close()
    with duckdb.connect(str(db)) as c:
        c.execute("INSERT INTO schema_migrations VALUES (?, now())", [SCHEMA_VERSION + 1])
    with pytest.raises(StoreError, match="newer version"):
        Store.open(db)


def test_case_refs_are_stored_only_as_keyed_hashes(store: Store, minimal_dir: Path) -> None:
    ingest(minimal_dir, store)
    secret = bytes.fromhex(secret_path(store.path).read_text().strip())
    keys = {r[0] for r in store.cursor().execute("SELECT case_key FROM cases").fetchall()}
    expected = {
        hmac.new(secret, ref.encode(), hashlib.sha256).hexdigest()
        for ref in ("A-001", "A-002", "A-003", "B-001", "B-002")
    }
    assert keys == expected
    assert store.case_key("A-001") in keys
    raw = store.path.read_bytes()
    assert b"A-001" not in raw and b"B-002" not in raw


@pytest.mark.slow
def test_the_same_case_ref_maps_to_the_same_key_across_submissions(
    store: Store, package_factory
) -> None:
    first = package_factory()
    ingest(first.write("folder", "first"), store)
    newer = package_factory()
    newer.tables["about"][1]["value"] = "2025-07-31"
    ingest(newer.write("folder", "newer"), store)
    rows = (
        store.cursor().execute("SELECT submission_id, case_key FROM cases ORDER BY 1, 2").fetchall()
    )
    by_sub: dict[str, set[str]] = {}
    for sub, key in rows:
        by_sub.setdefault(sub, set()).add(key)
    assert len(by_sub) == 2
    a, b = by_sub.values()
    assert a == b


@pytest.mark.slow
def test_loading_the_same_content_again_is_a_no_op(
    store: Store, minimal_dir: Path, package_factory
) -> None:
    first = ingest(minimal_dir, store)
    before = store.fingerprint()
    again = ingest(minimal_dir, store)
    assert again.status == "unchanged"
    assert again.submission_id == first.submission_id
    assert "already loaded" in again.sentence()
    zipped = package_factory().write("zip", "same")
    assert ingest(zipped, store).status == "unchanged"  # same tables in a zip: same content
    assert store.fingerprint() == before


def test_a_newer_package_replaces_current_data_and_keeps_the_old(
    store: Store, package_factory
) -> None:
    old = ingest(package_factory().write(), store)
    pkg = package_factory()
    pkg.tables["about"][1]["value"] = "2025-09-30"
    pkg.tables["cases"] = [r for r in pkg.tables["cases"] if r["programme_id"] == "P-OPEN"]
    pkg.tables["programmes"] = [
        r for r in pkg.tables["programmes"] if r["programme_id"] == "P-OPEN"
    ]
    pkg.tables["contacts"] = [r for r in pkg.tables["contacts"] if r["case_ref"][0] == "A"]
    pkg.tables["contacts"].append(
        {
            "case_ref": "A-003",
            "contact_on": "2025-09-01",
            "minutes": "20",
            "mode": "phone",
            "activity": "family_counselling",
            "staff_role": "social_worker",
            "setting": "community",
        }
    )
    pkg.drop("custody_events")
    pkg.tables["funding"] = [r for r in pkg.tables["funding"] if r["programme_id"] == "P-OPEN"]
    new = ingest(pkg.write("folder", "newer"), store)
    assert new.status == "loaded"
    assert new.replaced == {"P-OPEN": old.submission_id}
    cur = store.cursor()
    current = dict(
        cur.execute("SELECT programme_id, submission_id FROM current_submission").fetchall()
    )
    assert current == {"P-OPEN": new.submission_id, "P-CJS": old.submission_id}
    # current data: P-OPEN from the new package (4 contacts), P-CJS still from the old (3)
    counts = dict(
        cur.execute("SELECT programme_id, count(*) FROM current_contacts GROUP BY 1").fetchall()
    )
    assert counts == {"P-OPEN": 5, "P-CJS": 3}
    # the older submission's rows stay retrievable
    assert (
        cur.execute(
            "SELECT count(*) FROM contacts WHERE submission_id = ?", [old.submission_id]
        ).fetchall()[0][0]
        == 7
    )
    assert cur.execute("SELECT count(*) FROM replacements").fetchall()[0][0] == 1
    subs = store.submissions()
    assert [s.current_programmes for s in subs] == [("P-OPEN",), ("P-CJS",)]


@pytest.mark.slow
def test_an_older_package_is_refused(store: Store, package_factory) -> None:
    ingest(package_factory().write(), store)
    before = store.fingerprint()
    older = package_factory()
    older.tables["about"][1]["value"] = "2025-05-31"
    older.tables["contacts"] = [
        r for r in older.tables["contacts"] if r["contact_on"] <= "2025-05-31"
    ]
    older.tables["cases"][4].update(closed_on="", closure_reason="")
    with pytest.raises(PackageRefused, match="older than the data"):
        ingest(older.write("folder", "older"), store)
    assert store.fingerprint() == before


@pytest.mark.slow
def test_a_programme_of_another_organisation_is_refused(store: Store, package_factory) -> None:
    ingest(package_factory().write(), store)
    before = store.fingerprint()
    other = package_factory()
    other.tables["about"][0]["value"] = "Another Organisation (fictional)"
    other.tables["about"][1]["value"] = "2025-07-31"
    with pytest.raises(PackageRefused, match="another organisation"):
        ingest(other.write("folder", "other"), store)
    assert store.fingerprint() == before


@pytest.mark.slow
def test_an_interrupted_load_leaves_nothing_behind(
    store: Store, minimal_dir: Path, package_factory
) -> None:
    ingest(minimal_dir, store)
    before = store.fingerprint()
    newer = package_factory()
    newer.tables["about"][1]["value"] = "2025-07-31"

    def interrupt(message: str, _fraction: float) -> None:
        if message.startswith("Loading contacts"):
            raise KeyboardInterrupt  # the user pressed Ctrl-C halfway through the load

    with pytest.raises(KeyboardInterrupt):
        ingest(newer.write("folder", "newer"), store, progress=interrupt)
    assert store.fingerprint() == before
    temp = (
        store.cursor()
        .execute("SELECT count(*) FROM duckdb_tables() WHERE temporary")
        .fetchall()[0][0]
    )
    assert temp == 0


@pytest.mark.slow
def test_a_refused_package_changes_nothing(
    store: Store, minimal_dir: Path, package_factory
) -> None:
    ingest(minimal_dir, store)
    before = store.fingerprint()
    bad = package_factory()
    bad.tables["about"][1]["value"] = "2025-07-31"
    bad.tables["contacts"][0]["minutes"] = "0"
    with pytest.raises(PackageRefused) as caught:
        ingest(bad.write("folder", "bad"), store)
    assert caught.value.report is not None and not caught.value.report.ok
    assert store.fingerprint() == before


def test_the_store_records_the_submission(store: Store, minimal_dir: Path) -> None:
    result = ingest(minimal_dir, store, actor="tester")
    (sub,) = store.submissions()
    assert sub.submission_id == result.submission_id
    assert sub.organisation == "Brückenbau Exit e.V. (fictional)"
    assert str(sub.data_as_of) == "2025-06-30"
    assert sub.programmes == ("P-CJS", "P-OPEN")
    assert sub.row_counts == {
        "programmes": 2,
        "cases": 5,
        "contacts": 7,
        "custody_events": 2,
        "funding": 2,
    }
    assert sub.loaded_by == "tester"
    assert sub.source_name == "minimal"
    assert len(sub.content_hash) == 64
    audit = store.cursor().execute("SELECT actor, action FROM audit_log").fetchall()
    assert audit == [("tester", "upload")]


@pytest.mark.slow
def test_cli_exit_codes(tmp_path: Path, minimal_dir: Path) -> None:
    db = tmp_path / "cli.duckdb"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "evaluation", *args, "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("init").returncode == 0
    loaded = run("ingest", str(minimal_dir))
    assert loaded.returncode == 0, loaded.stderr
    assert "Loaded minimal as submission" in loaded.stdout
    again = run("ingest", str(minimal_dir))
    assert again.returncode == 0 and "already loaded" in again.stdout
    missing = run("ingest", str(tmp_path / "nope.xlsx"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    usage = run("ingest")
    assert usage.returncode == 2
    profile = run("ingest", str(minimal_dir), "--profile", "no-such-profile")
    assert profile.returncode == 2 and "no mapping profile" in profile.stderr
    assert "Traceback" not in missing.stderr + usage.stderr + profile.stderr


@pytest.mark.parametrize(
    "kind", ["folder", *(pytest.param(k, marks=pytest.mark.slow) for k in ("zip", "xlsx"))]
)
def test_a_missing_cell_is_stored_as_the_columns_default(
    store: Store, package_factory, kind: str
) -> None:
    """``returnee``: "missing = false" (data-format.md), in every container; A-003 is empty."""
    pkg = package_factory()
    pkg.tables["cases"][1]["returnee"] = "   "  # whitespace only: missing too
    result = ingest(pkg.write(kind), store)
    assert result.status == "loaded", result.sentence()
    rows = dict(store.cursor().execute("SELECT case_key, returnee FROM cases").fetchall())
    assert rows[store.case_key("A-003")] is False
    assert rows[store.case_key("A-002")] is False
    assert rows[store.case_key("B-001")] is True
    assert None not in rows.values()


@pytest.mark.slow
def test_a_column_with_a_default_left_out_of_the_package_takes_it(
    store: Store, package_factory
) -> None:
    pkg = package_factory()
    for row in pkg.tables["cases"]:
        del row["returnee"]
    ingest(pkg.write(), store)
    got = store.cursor().execute("SELECT DISTINCT returnee FROM cases").fetchall()
    assert got == [(False,)]


@pytest.mark.slow
def test_a_mapping_profile_export_takes_the_default(store: Store) -> None:
    """The German sample leaves one `Rückkehrer` cell empty; it is stored as false."""
    sample = Path(__file__).parents[1] / "evaluation/intake/profiles/samples/klientis-export.xlsx"
    ingest(sample, store, profile="klientis-de")
    got = store.cursor().execute("SELECT returnee, count(*) FROM cases GROUP BY 1").fetchall()
    assert sorted(got) == [(False, 4), (True, 1)]


def test_opening_an_older_store_fills_in_the_defaults(tmp_path: Path, minimal_dir: Path) -> None:
    """A store of schema 2 kept empty ``returnee`` cells as NULL; opening it for writing once
    stores the default (false), and reading it as it is refuses with a sentence."""
    current = tmp_path / "current.duckdb"
    with Store.open(current) as store:
        ingest(minimal_dir, store)
    old = tmp_path / "old.duckdb"
    store_at_schema(old, 2)
    secret_path(old).write_bytes(secret_path(current).read_bytes())
    with duckdb.connect(str(old)) as c:
        c.execute(f"ATTACH '{current}' AS cur (READ_ONLY)")
        c.execute("INSERT INTO cases SELECT * FROM cur.cases")
        c.execute("UPDATE cases SET returnee = NULL WHERE NOT returnee")  # as loaded before
    with pytest.raises(StoreError, match="evaluation init"):
        Store.open(old, read_only=True)  # reading it as it is would give wrong figures
    with Store.open(old) as store:
        assert store.schema_version == SCHEMA_VERSION
        got = store.cursor().execute("SELECT returnee, count(*) FROM cases GROUP BY 1").fetchall()
        assert sorted(got) == [(False, 4), (True, 1)]
    with Store.open(old, read_only=True) as store:
        assert store.schema_version == SCHEMA_VERSION
