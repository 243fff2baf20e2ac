"""Releases: approve, list, withdraw; immutability; a cell hidden before stays hidden; refusals
change nothing. Real stores built from the oracle fixture package (``conftest.oracle_db``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.intake.ingest import ingest
from evaluation.periods import parse_periods
from evaluation.sharing.releases import (
    ReleaseError,
    approve,
    get_release,
    list_releases,
    preview,
    withdraw,
)
from evaluation.store.access import AccessDenied, Scope, Viewer
from evaluation.store.database import Store
from evaluation.store.users import OPERATOR

ORACLE = Path(__file__).parent / "fixtures" / "oracle"


@pytest.fixture
def oracle_copy(tmp_path: Path) -> Path:
    """A store of its own holding the oracle package, with no release yet."""
    path = tmp_path / "store.duckdb"
    with Store.open(path) as store:
        assert ingest(ORACLE, store).status == "loaded"
    return path


def _cells(store: Store, release: int | None = None) -> list[tuple[object, ...]]:
    where = "" if release is None else f"WHERE release = {int(release)}"
    return store.cursor().execute(f"SELECT * FROM release_cells {where} ORDER BY ALL").fetchall()


@pytest.mark.slow
def test_approve_list_withdraw(oracle_copy: Path) -> None:
    with Store.open(oracle_copy) as store:
        release = approve(
            store, ["P-A", "P-B"], parse_periods("2024"), actor=OPERATOR, note="annual return"
        )
        assert release.number == 1 and release.active
        assert release.programmes == ("P-A", "P-B")
        assert [p.spec for p in release.periods] == ["2024"]
        assert release.organisation == "Oracle Test Org (fictional)"
        assert release.approved_by == "cli" and release.note == "annual return"
        assert release.approved_at.tzinfo is not None
        assert release.label.startswith("Release 1 (approved ")
        assert len(release.catalogue_version) == 64
        assert {d.programme_id for d in release.data} == {"P-A", "P-B"}
        cells = (
            store.cursor()
            .execute(
                "SELECT count(*), count(DISTINCT split_column), sum(suppressed::INT) "
                "FROM release_cells WHERE release = 1"
            )
            .fetchall()[0]
        )
        assert cells[0] > 100 and cells[1] >= 10 and cells[2] > 0
        # K, F and S indicators are per programme: never split
        split_k = (
            store.cursor()
            .execute(
                "SELECT count(*) FROM release_cells WHERE indicator_id SIMILAR TO '[KFS].*' "
                "AND split_column <> ''"
            )
            .fetchall()[0][0]
        )
        assert split_k == 0
        second = approve(store, ["P-A"], parse_periods("2024-Q1,2024-Q2"), actor=OPERATOR)
        assert [r.number for r in list_releases(store)] == [1, 2]
        assert [r.number for r in list_releases(store, "P-B")] == [1]
        before = _cells(store)
        gone = withdraw(store, 1, actor=OPERATOR)
        assert gone.status == "withdrawn" and gone.withdrawn_by == "cli"
        assert get_release(store, 1).status == "withdrawn"
        assert get_release(store, second.number).active
        assert _cells(store) == before  # withdrawing never touches a cell
        with pytest.raises(ReleaseError, match="already withdrawn"):
            withdraw(store, 1, actor=OPERATOR)
        with pytest.raises(ReleaseError, match="There is no release 9"):
            get_release(store, 9)


@pytest.mark.slow
def test_refusals_change_nothing(oracle_copy: Path, tmp_path: Path) -> None:
    # a second organisation, so that a mix can be asked for
    pkg = tmp_path / "other"
    shutil.copytree(Path(__file__).parent / "fixtures" / "minimal", pkg)
    with Store.open(oracle_copy) as store:
        assert ingest(pkg, store).status == "loaded"
        approve(store, ["P-A"], parse_periods("2024"), actor=OPERATOR)
        before = store.fingerprint()
        with pytest.raises(ReleaseError, match="one organisation"):
            approve(store, ["P-A", "P-OPEN"], parse_periods("2024"), actor=OPERATOR)
        with pytest.raises(ReleaseError, match="Nothing to approve: release 1"):
            approve(store, ["P-A"], parse_periods("2024"), actor=OPERATOR)
        with pytest.raises(ReleaseError, match="no programme NOPE"):
            approve(store, ["NOPE"], parse_periods("2024"), actor=OPERATOR)
        funder = Viewer("fiona", "funder", Scope.everything("shared"))
        with pytest.raises(AccessDenied, match="Only an administrator or a CSO manager"):
            approve(store, ["P-A"], parse_periods("2025"), actor=funder)
        other_manager = Viewer("otto", "cso_manager", Scope(frozenset({"Someone else"})))
        with pytest.raises(AccessDenied):
            approve(store, ["P-A"], parse_periods("2025"), actor=other_manager)
        with pytest.raises(AccessDenied):
            withdraw(store, 1, actor=funder)
        assert store.fingerprint() == before
        manager = Viewer("mia", "cso_manager", Scope(frozenset({"Oracle Test Org (fictional)"})))
        made = approve(store, ["P-A"], parse_periods("2025-H1"), actor=manager)
        assert made.approved_by == "mia" and made.approver_role == "cso_manager"


def test_preview_is_what_approve_stores(oracle_copy: Path) -> None:
    with Store.open(oracle_copy) as store:
        draft = preview(store, ["P-A"], parse_periods("2024,2024-H1"))
        release = approve(store, ["P-A"], parse_periods("2024,2024-H1"), actor=OPERATOR)
        stored = (
            store.cursor()
            .execute(
                "SELECT indicator_id, period_start, split_column, split_value, suppressed "
                "FROM release_cells WHERE release = ? ORDER BY ALL",
                [release.number],
            )
            .fetchall()
        )
        cells = draft.cells
        mine = sorted(
            zip(
                cells.indicator_id,
                [pd.Timestamp(d).date() for d in cells.period_start],
                cells.split_column,
                cells.split_value,
                cells.suppressed.astype(bool),
                strict=True,
            ),
            key=repr,
        )
        assert sorted(stored, key=repr) == mine
        shared = draft.shared
        hidden = shared[shared.suppressed.astype(bool)]
        assert hidden[["numerator", "denominator", "value", "completeness"]].isna().all().all()
        # a hidden count carries the attacker's range, at least 5 wide when unsplit
        unsplit = cells[cells.suppressed.astype(bool) & (cells.split_column == "")]
        ranged = unsplit.dropna(subset=["range_low"])
        assert ((ranged.range_high - ranged.range_low) >= 5).all()


@pytest.mark.slow
def test_hidden_before_stays_hidden_after_new_data(oracle_copy: Path, tmp_path: Path) -> None:
    """A programme re-submits its data between two releases: a cell hidden in the first stays
    hidden in the second, whatever the new figures; earlier shown cells are never rewritten."""
    with Store.open(oracle_copy) as store:
        first = approve(store, ["P-A"], parse_periods("2024"), actor=OPERATOR)
        hidden_first = set(
            store.cursor()
            .execute(
                "SELECT indicator_id, period_start, split_column, coalesce(split_value, '?') "
                "FROM release_cells WHERE release = ? AND suppressed",
                [first.number],
            )
            .fetchall()
        )
        assert hidden_first
        cells_first = _cells(store, first.number)
        pkg = tmp_path / "resubmitted"
        shutil.copytree(ORACLE, pkg)
        about = (pkg / "about.csv").read_text(encoding="utf-8")
        (pkg / "about.csv").write_text(about.replace("2025-06-30", "2025-07-31"), encoding="utf-8")
        assert ingest(pkg, store).status == "loaded"
        second = approve(store, ["P-A"], parse_periods("2024"), actor=OPERATOR)
        assert second.data != first.data
        hidden_second = set(
            store.cursor()
            .execute(
                "SELECT indicator_id, period_start, split_column, coalesce(split_value, '?') "
                "FROM release_cells WHERE release = ? AND suppressed",
                [second.number],
            )
            .fetchall()
        )
        assert hidden_first <= hidden_second
        assert _cells(store, first.number) == cells_first


def test_cli_approve_releases_withdraw(
    oracle_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(oracle_copy)]
    code = main(["approve", *db, "--programme", "P-A,P-B", "--period", "2024", "--note", "x"])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr()
    assert out.out.strip() == "1"
    assert main(["approve", *db, "--programme", "P-A", "--period", "2024"]) == 1
    assert "Nothing to approve" in capsys.readouterr().err
    assert main(["releases", *db]) == 0
    listing = capsys.readouterr().out
    assert "P-A,P-B" in listing and "\t2024\t" in listing and "active" in listing
    assert main(["withdraw", *db, "1"]) == 0
    capsys.readouterr()
    assert main(["releases", *db, "--programme", "P-B"]) == 0
    assert "withdrawn" in capsys.readouterr().out
    assert main(["withdraw", *db, "7"]) == 1
    assert "There is no release 7" in capsys.readouterr().err


def test_completeness_of_few_cases_is_not_released(store: Store) -> None:
    """Completeness is a share of the programme's cases open in the period: on fewer cases than
    the smallest denominator (rule 3) it is left out of the release, as a rate would be, while
    the internal figures keep it."""
    from evaluation.measures.completeness import completeness
    from evaluation.measures.engine import IndicatorRequest, compute
    from evaluation.sharing.releases import preview

    ingest(Path(__file__).parent / "fixtures" / "minimal", store)
    period = parse_periods("2025-Q2")
    cur = store.cursor()
    counted = completeness(cur, list(period), None, ())
    open_cases = counted[counted["field"] == "cases.first_request_on"].set_index("programme_id")
    assert (open_cases["rows"] < 10).all()  # the minimal package's programmes are small
    internal = compute(cur, IndicatorRequest(periods=tuple(period), indicators=("C06",)))
    assert internal["completeness"].notna().any()
    draft = preview(store, ["P-OPEN", "P-CJS"], period)
    c06 = draft.cells[draft.cells["indicator_id"] == "C06"]
    assert c06["completeness"].isna().all()
