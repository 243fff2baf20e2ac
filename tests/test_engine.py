"""The engine's contract beyond single indicators: versions, custom catalogues, validation of
catalogue files, scopes, targets, completeness, splits and the one-statement plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MINIMAL

from evaluation.intake.ingest import ingest
from evaluation.measures.catalogue import CATALOGUE_DIR, CatalogueError, load_catalogue
from evaluation.measures.engine import IndicatorRequest, RequestError, compute, explain
from evaluation.periods import parse_periods
from evaluation.store.access import Scope
from evaluation.store.database import Store

CUSTOM = Path(__file__).parent / "fixtures" / "custom_catalogue"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    s = Store.open(tmp_path_factory.mktemp("engine") / "s.duckdb")
    ingest(MINIMAL, s)
    yield s
    s.close()


def request(spec: str = "2024,2025-Q1", **kw: object) -> IndicatorRequest:
    return IndicatorRequest(periods=tuple(parse_periods(spec)), **kw)  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_whole_catalogue_is_one_statement(store: Store) -> None:
    sql = explain(store, request())
    assert sql.count("UNION ALL") == len(load_catalogue()) - 1
    result = compute(store, request())
    assert set(result.indicator_id) == {i.id for i in load_catalogue()}
    # every programme has a row for every indicator and period
    assert len(result) == len(load_catalogue()) * 2 * 2


@pytest.mark.slow
def test_an_old_version_stays_computable(tmp_path: Path, package_factory) -> None:
    pkg = package_factory()
    pkg.add(
        "cases",
        case_ref="A-004",
        programme_id="P-OPEN",
        client_type="exit_participant",
        opened_on="2024-05-01",
        referral_source="unknown",
        participation="voluntary",
        setting_at_intake="community",
        ideology="right_wing",
        gender="male",
        age_band="18_24",
        risk_at_intake="low",
    )
    catalogue = load_catalogue(CATALOGUE_DIR, CUSTOM)
    assert catalogue.get("C04").version == 2
    with Store.open(tmp_path / "v.duckdb") as s:
        ingest(pkg.write("folder", "versions"), s)
        both = compute(s, request("2024", indicators=("C04@1", "C04@2")), catalogue)
    open_ = both[both.programme_id == "P-OPEN"].set_index("indicator_version")
    # 2024 in P-OPEN: A-001 (self), A-002 (police), A-004 (unknown source).
    assert (open_.loc[1].numerator, open_.loc[1].denominator) == (1, 2)  # unknown left out
    assert (open_.loc[2].numerator, open_.loc[2].denominator) == (1, 3)  # unknown counted
    assert "unknown referral sources included" in catalogue.get("C04@2").definition


def test_a_custom_indicator_computes_like_the_agreed_ones(store: Store) -> None:
    catalogue = load_catalogue(CATALOGUE_DIR, CUSTOM)
    result = compute(store, request("2024", indicators=("X01",)), catalogue)
    assert list(result.value) == [0, 0]
    assert set(result.status) == {"ok"}


def test_catalogue_problems_are_reported_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "Y01.yaml").write_text(
        "id: Y01\nversion: 0\nname: Broken\nkind: rate\nunit: x\ndirection: up\n"
        "definition: too short\ngroup: custom\nsources: [cases, nosuchtable]\n"
        "splits: case\nabout_people: true\n"
        "computation:\n  population: cases\n  anchor: opened_on\n  measure: {type: count}\n"
    )
    (bad / "Y02.yaml").write_text("id: [unclosed\n")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(bad)
    issues = {(i.file, i.line, i.message.split(":")[0]) for i in caught.value.issues}
    assert ("Y01.yaml", 2, "version") in issues
    assert ("Y01.yaml", 4, "kind") in issues
    assert ("Y01.yaml", 6, "direction") in issues
    assert ("Y01.yaml", 7, "definition") in issues
    assert any(
        f == "Y02.yaml" and "not valid YAML" in m
        for f, _, m in {(i.file, i.line, i.message) for i in caught.value.issues}
    )
    assert len(caught.value.issues) >= 5
    assert "Y01.yaml:4:" in str(caught.value)


def test_the_scope_limits_what_is_read(store: Store) -> None:
    only = Scope(programmes=frozenset({"P-CJS"}))
    result = compute(store, request(scope=only, indicators=("C03",)))
    assert set(result.programme_id) == {"P-CJS"}
    nobody = Scope(organisations=frozenset({"Another organisation"}))
    assert compute(store, request(scope=nobody, indicators=("C03",))).empty


def test_a_shared_scope_cannot_ask_for_internal_numbers() -> None:
    req = request(scope=Scope.everything("shared"), audience="internal")
    assert req.effective_audience == "shared"


def test_unknown_indicator_and_split_are_sentences(store: Store) -> None:
    with pytest.raises(RequestError, match="no indicator Z99"):
        compute(store, request(indicators=("Z99",)))
    with pytest.raises(RequestError, match="cannot be split by"):
        compute(store, request(split_by=("shoe_size",)))


@pytest.mark.slow
def test_targets_and_completeness_stand_beside_the_value(tmp_path: Path, package_factory) -> None:
    pkg = package_factory()
    pkg.tables["targets"] = [
        {
            "programme_id": "P-OPEN",
            "indicator_id": "C01",
            "period_start": "2024-01-01",
            "period_end": "2024-12-31",
            "target": "3",
            "baseline": "1",
        }
    ]
    with Store.open(tmp_path / "t.duckdb") as s:
        ingest(pkg.write("folder", "with-targets"), s)
        result = compute(s, request("2024", indicators=("C01", "C06")))
    row = result[(result.indicator_id == "C01") & (result.programme_id == "P-OPEN")].iloc[0]
    assert (row.target, row.baseline, row.value) == (3, 1, 2)
    c06 = result[(result.indicator_id == "C06") & (result.programme_id == "P-CJS")].iloc[0]
    # P-CJS cases open in 2024: B-001 (no first request) and B-002 (has one)
    assert c06.completeness == pytest.approx(0.5)


def test_totals_are_recomputed_from_case_rows(store: Store) -> None:
    per = compute(store, request("2024", indicators=("C01", "C04")))
    total = compute(store, request("2024", indicators=("C01", "C04"), split_by=("all",)))
    assert set(total.programme_id) == {"*"}
    c01 = total[total.indicator_id == "C01"].iloc[0]
    assert c01.value == per[per.indicator_id == "C01"].value.sum()
    c04 = total[total.indicator_id == "C04"].iloc[0]
    per04 = per[per.indicator_id == "C04"]
    assert c04.denominator == per04.denominator.sum()
    assert c04.numerator == per04.numerator.sum()


def test_split_rows_are_the_values_occurring_among_the_cases(store: Store) -> None:
    result = compute(store, request("2024", indicators=("C01", "F01"), split_by=("gender",)))
    c01 = result[result.indicator_id == "C01"]
    assert set(zip(c01.programme_id, c01.gender, strict=True)) == {
        ("P-OPEN", "male"),
        ("P-OPEN", "female"),
        ("P-CJS", "male"),
        ("P-CJS", "diverse"),
    }
    f01 = result[result.indicator_id == "F01"]
    assert set(f01.gender) == {"*"}  # funding is per programme, not split by case columns


def test_the_shared_audience_is_suppressed_and_withstands_an_attack(store: Store) -> None:
    from evaluation.sharing.disclosure import attack
    from tests.conftest import approve_releases

    approve_releases(store, "2024,2024-Q1,2024-Q2,2024-Q3,2024-Q4")  # shared figures are released
    req = request(
        "2024,2024-Q1,2024-Q2,2024-Q3,2024-Q4",
        indicators=("C01", "C03", "O01"),
        split_by=("gender",),
        audience="shared",
    )
    shared = compute(store, req)
    internal = compute(
        store,
        request(
            "2024,2024-Q1,2024-Q2,2024-Q3,2024-Q4",
            indicators=("C01", "C03", "O01"),
            split_by=("gender",),
        ),
    )
    assert shared.suppressed.any()
    hidden = shared[shared.suppressed]
    assert hidden[["numerator", "denominator", "value", "ci_low", "ci_high"]].isna().all().all()
    small = internal[(internal.indicator_id == "C01") & internal.value.between(1, 4)]
    assert len(small) and shared.loc[small.index, "suppressed"].all()
    catalogue = load_catalogue()
    bounds = attack(
        shared, {i.id: i for i in catalogue.latest()}, original=internal, splits=["gender"]
    )
    for low, high in bounds.values():
        assert high - low >= 5 or high == 0


def test_a_catalogue_file_cannot_name_anything_but_columns_of_the_format(tmp_path: Path) -> None:
    """Column names go into SQL: a custom file naming anything else is refused."""
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "E01.yaml").write_text(
        "id: E01\nversion: 1\nname: Sneaky\nkind: count\nunit: cases\ndirection: neutral\n"
        "definition: counts something it should not\ngroup: custom\nsources: [cases]\n"
        "splits: case\nabout_people: true\ncomputation:\n  population: cases\n"
        '  anchor: opened_on\n  where:\n  - {column: "gender) OR (1=1", in: [male]}\n'
        "  measure: {type: count}\n"
    )
    with pytest.raises(CatalogueError, match="is not a column here"):
        load_catalogue(folder)


def test_every_measure_type_of_the_catalogue_compiles_through_the_registry() -> None:
    """The catalogue's model and the engine's registry name the same measure types."""
    from typing import get_args

    from evaluation.measures.catalogue import Measure
    from evaluation.measures.engine import MEASURES

    assert set(get_args(Measure.model_fields["type"].annotation)) == set(MEASURES)
    assert {i.computation.measure.type for i in load_catalogue()} <= set(MEASURES)


def test_result_rows_name_their_period_right_after_its_dates(store: Store) -> None:
    periods = tuple(parse_periods("2024,2025-Q1"))
    result = compute(store, IndicatorRequest(periods=periods, indicators=("C01",)))
    columns = list(result.columns)
    assert columns[columns.index("period_end") + 1] == "period"
    labels = {(p.start, p.end): p.label for p in periods}
    assert all(labels[(r.period_start, r.period_end)] == r.period for r in result.itertuples())
    assert set(result.period) == {p.label for p in periods}


def test_the_engine_names_no_value_of_the_data_format(store: Store) -> None:
    """Domain values (client types, events, risk levels) live in the catalogue, not in code."""
    from evaluation.store.schema import TABLES_BY_NAME

    vocab = {
        v
        for table, column in [
            ("cases", "client_type"),
            ("custody_events", "event"),
            ("assessments", "risk_level"),
            ("cases", "closure_reason"),
        ]
        for v in TABLES_BY_NAME[table].column(column).vocab
    }
    engine = Path(__file__).parents[1] / "evaluation" / "measures" / "engine"
    for source in engine.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        quoted = [v for v in vocab if f'"{v}"' in text or f"'{v}'" in text]
        assert not quoted, f"{source.name} names {quoted}"


def test_the_catalogue_names_values_of_the_data_format() -> None:
    from evaluation.measures.catalogue import CLIENT_GROUPS, POPULATIONS
    from evaluation.store.schema import TABLES_BY_NAME

    for group in CLIENT_GROUPS.values():
        assert set(group.in_ or []) <= set(TABLES_BY_NAME["cases"].column(group.column).vocab)
    for population in POPULATIONS.values():
        for c in population.where:
            vocab = TABLES_BY_NAME[population.table].column(c.column).vocab
            assert set(c.in_ or []) <= set(vocab)
    latest = load_catalogue().get("O09").computation.measure.numerator
    assert latest is not None and latest.latest_lower is not None
    order = latest.latest_lower.order
    assert order == ["low", "medium", "high"]
    assert set(order) <= set(TABLES_BY_NAME["assessments"].column("risk_level").vocab)


def test_the_catalogue_is_read_once_until_a_file_changes(tmp_path: Path) -> None:
    import os
    import shutil
    from concurrent.futures import ThreadPoolExecutor

    folder = tmp_path / "mine"
    shutil.copytree(CUSTOM, folder)
    with ThreadPoolExecutor(8) as pool:
        loaded = list(pool.map(lambda _: load_catalogue(folder), range(16)))
    assert all(c is loaded[0] for c in loaded)
    x01 = folder / "X01.yaml"
    x01.write_text(
        x01.read_text(encoding="utf-8").replace("name: ", "name: Renamed ", 1), encoding="utf-8"
    )
    stat = x01.stat()
    os.utime(x01, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    again = load_catalogue(folder)
    assert again is not loaded[0]
    assert again.get("X01").name.startswith("Renamed ")
    assert load_catalogue(folder) is again


def test_explain_prints_one_clause_per_line(store: Store) -> None:
    sql = explain(
        store, request(split_by=("gender",), scope=Scope(programmes=frozenset({"P-CJS"})))
    )
    lines = sql.splitlines()
    assert lines[0] == "-- parameter 1: ['P-CJS']"
    assert max(len(line) for line in lines) <= 120
    assert sum(line.strip() == "UNION ALL" for line in lines) == len(load_catalogue()) - 1
