"""The shared audience reads releases only (``docs/spec/releases.md``, What the shared audience
reads): figures equal the internal ones wherever shown, nothing a release does not cover is
served, the newest active release wins, a withdrawn one is not served, and every shared output
names its release."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from evaluation.intake.ingest import ingest
from evaluation.measures.engine import IndicatorRequest, compute, compute_together
from evaluation.periods import parse_periods
from evaluation.sharing.releases import NotReleased, ReleaseError, approve, withdraw
from evaluation.sharing.releases.read import (
    RELEASE_COLUMNS,
    blank_suppressed,
    coverage,
    release_note,
)
from evaluation.store.access import Scope
from evaluation.store.database import Store
from evaluation.store.users import OPERATOR
from evaluation.views import explore
from tests.conftest import ORACLE, approve_releases

SHARED = Scope.everything("shared")
APPROVED = "2025-Q1,2025-Q2,2025-H1"
FIGURES = ["numerator", "denominator", "value", "ci_low", "ci_high"]


def _periods(spec: str):
    return tuple(parse_periods(spec))


@pytest.fixture(scope="module")
def released_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The oracle package with one release of its organisation for ``APPROVED``."""
    path = tmp_path_factory.mktemp("shared") / "store.duckdb"
    with Store.open(path) as s:
        assert ingest(ORACLE, s).status == "loaded"
        approve_releases(s, APPROVED)
    return path


@pytest.fixture
def cursor(released_db: Path):
    with Store.open(released_db, read_only=True) as s:
        yield s.cursor()


@pytest.fixture
def own(tmp_path: Path):
    """A writable oracle store without releases, for tests that approve and withdraw."""
    with Store.open(tmp_path / "store.duckdb") as s:
        assert ingest(ORACLE, s).status == "loaded"
        yield s


@pytest.mark.parametrize("split", [(), ("gender",), ("age_band",)])
def test_shared_figures_equal_the_internal_ones_wherever_shown(cursor, split) -> None:
    periods = _periods(APPROVED)
    internal = compute(cursor, IndicatorRequest(periods=periods, split_by=split))
    shared = compute(cursor, IndicatorRequest(periods=periods, split_by=split, scope=SHARED))
    # the engine's layout, in its order, plus the release columns
    assert list(shared.columns) == [*internal.columns, *RELEASE_COLUMNS]
    keys = ["indicator_id", "indicator_version", "programme_id", "period_start", "period_end"]
    keys += list(split)
    pd.testing.assert_frame_equal(
        shared[keys].astype(str), internal[keys].astype(str), check_dtype=False
    )
    shown = ~shared["suppressed"].to_numpy()
    assert shown.any() and (~shown).any()
    pd.testing.assert_frame_equal(
        shared.loc[shown, [*FIGURES, "status"]].reset_index(drop=True),
        internal.loc[shown, [*FIGURES, "status"]].reset_index(drop=True),
        check_dtype=False,
    )
    # a suppressed row shows no figure, and no completeness of the same people
    assert shared.loc[~shown, [*FIGURES, "completeness"]].isna().all().all()
    assert (shared["period"] == internal["period"]).all()
    assert set(shared["release"]) == {1}
    assert shared["approved_at"].notna().all()


def test_the_shared_path_reads_no_case_row(released_db: Path, tmp_path: Path) -> None:
    """With the case rows gone, the shared figures are unchanged: they come from the release."""
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(released_db.read_bytes())
    secret = released_db.with_name(released_db.name + ".secret")
    if secret.exists():
        (tmp_path / "copy.duckdb.secret").write_bytes(secret.read_bytes())
    request = IndicatorRequest(periods=_periods("2025-Q2"), split_by=("gender",), scope=SHARED)
    with Store.open(copy) as s:
        before = compute(s, request)
        s.cursor().execute("DELETE FROM cases")
        after = compute(s, request)
    pd.testing.assert_frame_equal(before, after)


def test_a_period_no_release_covers_is_refused_with_who_can_approve_it(cursor) -> None:
    request = IndicatorRequest(periods=_periods("2025-Q2,2024"), scope=SHARED)
    with pytest.raises(NotReleased) as caught:
        compute(cursor, request)
    sentence = str(caught.value)
    assert "2024" in sentence and "P-A" in sentence
    assert "Q2" not in sentence  # what is covered is not named as missing
    assert "A CSO manager or admin of Oracle Test Org (fictional) can approve" in sentence


def test_a_programme_no_release_covers_is_refused(own: Store) -> None:
    approve(own, ["P-A"], _periods("2025-Q2"), actor=OPERATOR)
    with pytest.raises(NotReleased, match="P-B"):
        compute(own, IndicatorRequest(periods=_periods("2025-Q2"), scope=SHARED))
    only_a = IndicatorRequest(periods=_periods("2025-Q2"), programmes=("P-A",), scope=SHARED)
    assert set(compute(own, only_a)["programme_id"]) == {"P-A"}


def test_a_custom_range_is_served_only_when_approved_with_exactly_those_days(cursor) -> None:
    """Periods match by their first and last day: 2025 Q2 is not served for a range a day
    shorter, and not for the half-year it lies in."""
    for spec in ("2025-04-01..2025-06-29", "2025-04-01..2025-07-01", "2025"):
        with pytest.raises(NotReleased):
            compute(cursor, IndicatorRequest(periods=_periods(spec), scope=SHARED))
    same_days = compute(
        cursor, IndicatorRequest(periods=_periods("2025-04-01..2025-06-30"), scope=SHARED)
    )
    assert set(same_days["release"]) == {1}


def test_splits_a_release_does_not_hold_are_refused_with_a_sentence(cursor) -> None:
    for split in (("all",), ("organisation",), ("gender", "age_band")):
        request = IndicatorRequest(periods=_periods("2025-Q2"), split_by=split, scope=SHARED)
        with pytest.raises(ReleaseError, match="one of client type"):
            compute(cursor, request)


def test_the_newest_active_release_wins_and_a_withdrawn_one_is_not_served(own: Store) -> None:
    q2 = _periods("2025-Q2")
    first = approve(own, ["P-A", "P-B", "P-C", "P-D"], q2, actor=OPERATOR)
    second = approve(own, ["P-A", "P-B", "P-C", "P-D"], _periods("2025-Q2,2025-Q1"), actor=OPERATOR)
    request = IndicatorRequest(periods=q2, scope=SHARED)
    assert set(compute(own, request)["release"]) == {second.number}
    withdraw(own, second.number, actor=OPERATOR)
    assert set(compute(own, request)["release"]) == {first.number}
    with pytest.raises(NotReleased):  # Q1 was only in the withdrawn release
        compute(own, IndicatorRequest(periods=_periods("2025-Q1"), scope=SHARED))
    withdraw(own, first.number, actor=OPERATOR)
    with pytest.raises(NotReleased):
        compute(own, request)
    assert coverage(own, ["P-A"], q2).empty


def test_results_published_together_come_from_releases_too(cursor) -> None:
    periods = _periods(APPROVED)
    together = compute_together(
        cursor,
        [
            IndicatorRequest(periods=periods, scope=SHARED),
            IndicatorRequest(periods=periods[:1], split_by=("gender",), scope=SHARED),
        ],
    )
    assert all(set(r["release"]) == {1} for r in together)
    alone = compute(cursor, IndicatorRequest(periods=periods, scope=SHARED))
    pd.testing.assert_frame_equal(together[0], alone)


def test_blanking_keeps_the_true_figures_out_of_every_suppressed_row() -> None:
    cells = pd.DataFrame(
        {"value": [3.0, 40.0], "numerator": [3.0, 40.0], "suppressed": [True, False]}
    )
    out = blank_suppressed(cells)
    assert out["value"].isna().tolist() == [True, False]
    assert out["numerator"].tolist()[1] == 40.0
    assert cells["value"].tolist() == [3.0, 40.0]  # the caller's frame is left alone


def test_the_explorer_names_the_release_and_its_downloads_carry_it(cursor) -> None:
    request = explore.build_request(["C01", "C06"], _periods("2025-Q2"), "gender", [], SHARED)
    result = explore.run(cursor, request)
    assert result.release.startswith("Release 1, approved ")
    assert release_note(result.frame) == result.release
    csv = pd.read_csv(io.BytesIO(explore.tidy_bytes(result.frame, "csv")))
    parquet = pd.read_parquet(io.BytesIO(explore.tidy_bytes(result.frame, "parquet")))
    for table in (csv, parquet):
        assert {"release", "approved_at"} <= set(table.columns)
        assert set(table["release"]) == {1}
    assert "all" not in explore.split_choices(shared=True)
    assert "organisation" not in explore.split_choices(shared=True)
    assert "gender" in explore.split_choices(shared=True)


def test_the_cli_serves_the_shared_audience_from_releases(released_db: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "evaluation", "indicators", "--db", str(released_db), *args],
            capture_output=True,
            text=True,
            check=False,
        )

    ok = run("--period", "2025-Q2", "--indicator", "C01", "--by", "gender", "--audience", "shared")
    assert ok.returncode == 0, ok.stderr
    table = pd.read_csv(io.StringIO(ok.stdout))
    assert {"release", "approved_at"} <= set(table.columns) and set(table["release"]) == {1}
    refused = run("--period", "2024-Q2", "--indicator", "C01", "--audience", "shared")
    assert refused.returncode == 1 and refused.stdout == ""
    assert "No approved release covers" in refused.stderr and "2024 Q2" in refused.stderr
    internal = run("--period", "2024-Q2", "--indicator", "C01")
    assert internal.returncode == 0 and "release" not in internal.stdout.splitlines()[0]


def test_a_shared_report_names_its_release_on_the_cover_and_in_the_provenance(
    own: Store, report_templates
) -> None:
    from evaluation.reports.docx import cover_fields
    from evaluation.reports.model import build_reports

    template = report_templates.get("municipality-quarterly")
    q2 = parse_periods("2025-Q2")[0]
    with pytest.raises(NotReleased):  # nothing approved yet
        list(build_reports(own, template, q2, ["P-A"], scope=SHARED))
    approve_releases(own, "2024-Q3,2024-Q4,2025-Q1,2025-Q2")
    (report,) = build_reports(own, template, q2, ["P-A"], scope=SHARED)
    assert report.release.startswith("Release 1, approved ")
    assert ("Figures from", report.release) in cover_fields(report)  # never "Release: Release 1"
    assert ("Figures from", report.release) in report.provenance
    assert set(report.data["release"]) == {1}
