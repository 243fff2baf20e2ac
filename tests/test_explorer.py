"""The indicator explorer: ``evaluation.views.explore``, ``evaluation.views.charts`` and their
two pages.

Everything runs against a real store built from ``tests/fixtures/minimal`` and
``tests/fixtures/oracle`` (six programmes, data as of 2025-06-30, one target). The pages run in
Streamlit's AppTest, straight from their files, with ``EVALUATION_DB`` pointing at that store.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from conftest import assert_page_ok
from streamlit.testing.v1 import AppTest

from evaluation.app import render, session
from evaluation.intake.ingest import ingest
from evaluation.measures.catalogue import Catalogue, load_catalogue
from evaluation.measures.engine import IndicatorRequest, RequestError, compute
from evaluation.periods import PeriodError, parse_periods, series_choices
from evaluation.store import users
from evaluation.store.access import Scope
from evaluation.store.database import Store
from evaluation.views import charts, explore
from evaluation.views.programmes import PROGRAMME_COLUMNS, programme_labels, programmes_in_scope
from evaluation.vocabulary import kinds, marks
from evaluation.vocabulary.codes import code_label, code_order
from evaluation.vocabulary.groups import GROUPS, GROUPS_BY_CODE
from evaluation.vocabulary.headline import HEADLINE_INDICATORS as HEADLINE
from evaluation.vocabulary.language import _, using
from evaluation.vocabulary.splits import ALL_SPLITS
from tests.conftest import ORACLE_RELEASED, approve_releases

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
PACKAGES = [p for p in (FIXTURES / "minimal", FIXTURES / "oracle") if p.is_dir()]
EXPLORER = "evaluation/app/pages/explorer.py"
CATALOGUE = "evaluation/app/pages/catalogue.py"
TIMEOUT = 120
SCREEN = 1280 - 336 - 2 * 48
"""The table width a 1280-pixel screen leaves: minus the sidebar and the main area's padding."""
EIGHT = tuple(parse_periods("2023-Q3,2023-Q4,2024-Q1,2024-Q2,2024-Q3,2024-Q4,2025-Q1,2025-Q2"))
INTERNAL = Scope.everything()
SHARED = Scope.everything("shared")
PASSWORD = "correct horse battery"
ACCOUNTS = {  # name → (role, scope)
    "admin.explorer": ("admin", ()),
    "funder.explorer": ("funder", ("Oracle Test Org (fictional)",)),
    "manager.explorer": ("cso_manager", ("Oracle Test Org (fictional)",)),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("explorer") / "evaluation.duckdb"
    with Store.open(path) as store:
        for package in PACKAGES:
            assert ingest(package, store, actor="test").status == "loaded"
        for name, (role, scope) in ACCOUNTS.items():
            users.add_user(store, name, role, scope, PASSWORD, actor=users.Operator("test"))
        approve_releases(store, ORACLE_RELEASED)  # what funders see is released first
    return path


@pytest.fixture()
def cursor(db: Path) -> Iterator[object]:
    with Store.open(db) as store:
        cur = store.cursor()
        yield cur
        cur.close()


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _request(
    indicators: tuple[str, ...],
    periods: tuple = EIGHT,
    split: str | None = None,
    scope: Scope = INTERNAL,
    programmes: tuple[str, ...] = (),
) -> IndicatorRequest:
    return explore.build_request(indicators, periods, split, programmes, scope)


def _traces(fig: go.Figure, kind: type) -> list:
    return [t for t in fig.data if isinstance(t, kind)]


# -- periods, programmes, requests -------------------------------------------------------------


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_period_choices_hang_on_the_newest_data_as_of(cursor) -> None:
    choices = explore.period_choices(cursor, INTERNAL)
    assert choices.data_as_of == dt.date(2025, 6, 30)
    assert choices.default_key == "latest"
    assert choices.keys == ["latest", "quarters", "years", "financial_years", "custom"]
    assert choices.option("latest").spec == "2025-Q2"
    assert choices.option("quarters").periods == EIGHT
    assert choices.option("years").spec == "2022,2023,2024"
    assert choices.option("financial_years").spec == "FY2022-04,FY2023-04,FY2024-04"
    assert choices.label("latest") == "Latest complete quarter (2025 Q2)"
    # every offered period is over by the data's date: a first view is never partial
    for option in choices.options:
        assert all(p.end <= dt.date(2025, 6, 30) for p in option.periods)


@pytest.mark.parametrize(
    ("as_of", "latest", "last_fy", "last_year"),
    [
        (dt.date(2025, 6, 29), "2025-Q1", "FY2024-04", "2024"),
        (dt.date(2025, 3, 31), "2025-Q1", "FY2024-04", "2024"),
        (dt.date(2025, 2, 10), "2024-Q4", "FY2023-04", "2024"),
        (dt.date(2024, 12, 31), "2024-Q4", "FY2023-04", "2024"),
    ],
)
def test_period_choices_are_complete_by_the_date(
    as_of: dt.date, latest: str, last_fy: str, last_year: str
) -> None:
    choices = series_choices(as_of)
    assert choices.option("latest").spec == latest
    assert choices.option("quarters").periods[-1].spec == latest
    assert len(choices.option("quarters").periods) == 8
    assert choices.option("financial_years").periods[-1].spec == last_fy
    assert choices.option("years").periods[-1].spec == last_year
    assert all(p.end <= as_of for o in choices.options for p in o.periods)


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_period_choices_without_data_in_scope(cursor) -> None:
    nobody = Scope(organisations=frozenset({"No such organisation"}))
    choices = explore.period_choices(cursor, nobody, today=dt.date(2026, 1, 15))
    assert choices.data_as_of is None
    assert choices.option(choices.default_key).spec == "2025-Q4"
    assert programmes_in_scope(cursor, nobody).empty


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_custom_periods_are_parsed_or_refused_with_a_sentence(cursor) -> None:
    choices = explore.period_choices(cursor, INTERNAL)
    assert [p.spec for p in choices.typed("2025-Q1, FY2024-04")] == ["2025-Q1", "FY2024-04"]
    with pytest.raises(PeriodError, match="not a period"):
        choices.typed("last spring")
    too_many = ",".join(f"{y}-{m:02d}" for y in (2022, 2023, 2024, 2025) for m in range(1, 13))
    with pytest.raises(PeriodError, match=f"at most {explore.MAX_PERIODS}"):
        choices.typed(too_many)


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_programmes_in_scope_respect_the_scope(cursor) -> None:
    everything = programmes_in_scope(cursor, INTERNAL)
    assert list(everything.columns) == PROGRAMME_COLUMNS
    assert set(everything["programme_id"]) >= {"P-OPEN", "P-CJS"}
    oracle = programmes_in_scope(
        cursor, Scope(organisations=frozenset({"Oracle Test Org (fictional)"}))
    )
    assert set(oracle["programme_id"]) == set(everything["programme_id"]) - {"P-OPEN", "P-CJS"}
    labels = programme_labels(everything, explore.programme_names(everything))
    assert not [t for t in labels.values() if "P-" in t]  # names, never ids
    assert all(t.endswith(")") for t in labels.values())  # several organisations: each named
    alone = programme_labels(oracle, explore.programme_names(oracle))
    assert set(alone.values()) == set(oracle["programme"])  # one organisation: the name alone


def test_indicator_and_split_choices(catalogue: Catalogue) -> None:
    labels = explore.indicator_choices(catalogue)
    assert list(labels) == [i.id for i in catalogue.latest()]
    assert labels["C06"] == "C06 · First contact within 7 days"
    assert explore.default_indicators(catalogue) == list(HEADLINE)
    splits = explore.split_choices()
    assert list(splits) == list(ALL_SPLITS)
    assert splits["programme"] == "No split: one row per programme"  # never "None"


def test_build_request_and_its_key() -> None:
    request = _request(("c06", "C01", "C06"), split="programme", programmes=("P-B", "P-A"))
    assert request.indicators == ("C06", "C01")
    assert request.split_by == ()
    assert request.programmes == ("P-A", "P-B")
    assert _request(("C01",), split="gender").split_by == ("gender",)
    with pytest.raises(RequestError, match="indicator"):
        _request(())
    with pytest.raises(RequestError, match="period"):
        _request(("C01",), periods=())
    key = explore.request_key(request)
    assert key == explore.request_key(_request(("C06", "C01"), programmes=("P-A", "P-B")))
    assert key != explore.request_key(
        _request(("C06", "C01"), programmes=("P-A", "P-B"), scope=SHARED)
    )
    assert key != explore.request_key(
        _request(("C06", "C01"), split="gender", programmes=("P-A", "P-B"))
    )
    with using("de"):  # a chart cached under the key speaks the language it was drawn in
        assert explore.request_key(request) != key


@pytest.mark.slow
def test_data_version_changes_with_an_ingest(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        empty = explore.data_version(store.cursor())
        ingest(PACKAGES[0], store, actor="test")
        assert explore.data_version(store.cursor()) != empty


# -- run ---------------------------------------------------------------------------------------


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_run_returns_the_engine_frame_with_each_indicators_definition(
    cursor, catalogue: Catalogue
) -> None:
    request = _request(HEADLINE)
    result = explore.run(cursor, request, catalogue)
    expected = compute(cursor, request, catalogue)
    pd.testing.assert_frame_equal(result.frame, expected)
    assert [v.id for v in result.indicators] == list(HEADLINE)
    for view in result.indicators:
        ind = catalogue.get(view.id)
        assert (view.version, view.name, view.kind, view.unit, view.definition) == (
            ind.version,
            ind.name,
            ind.kind,
            ind.unit,
            ind.definition,
        )
        assert view.caveats == tuple(ind.caveats)
        assert view.sources == tuple(ind.sources)
        assert set(view.frame["indicator_id"]) == {view.id}
        assert view.sql.lstrip().startswith(("WITH", "--"))
        assert f"'{ind.key}'" in view.sql
        assert f"'{ind.key}'" in result.sql
    # the tables shown, together, are exactly the download
    shown = pd.concat([v.frame for v in result.indicators], ignore_index=True)
    pd.testing.assert_frame_equal(shown, result.frame.reset_index(drop=True))
    assert result.period_labels[(dt.date(2025, 4, 1), dt.date(2025, 6, 30))] == "2025 Q2"
    assert result.split is None and not result.shared


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_run_accepts_versions_and_drops_duplicates(cursor, catalogue: Catalogue) -> None:
    key = catalogue.get("C06").key
    result = explore.run(cursor, _request(("C06", key)), catalogue)
    assert [v.key for v in result.indicators] == [key]
    assert not result.frame.duplicated(["programme_id", "period_start"]).any()
    with pytest.raises(RequestError, match="no indicator"):
        explore.run(cursor, _request(("Z99",)), catalogue)


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_run_with_a_split_names_the_split_column(cursor) -> None:
    result = explore.run(cursor, _request(("C01", "K01"), split="gender"))
    assert result.splits == ("gender",)
    assert "gender" in result.frame.columns
    k01 = next(v for v in result.indicators if v.id == "K01")
    assert set(k01.frame["gender"]) == {"*"}


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_a_shared_scope_hides_small_numbers_in_the_result(cursor) -> None:
    internal = explore.run(cursor, _request(HEADLINE, split="gender"))
    shared = explore.run(cursor, _request(HEADLINE, split="gender", scope=SHARED))
    assert shared.shared and shared.request.effective_audience == "shared"
    hidden = shared.frame[shared.frame["suppressed"]]
    assert len(hidden) > 0 and shared.suppressed == len(hidden)
    assert hidden[["numerator", "denominator", "value", "ci_low", "ci_high"]].isna().all().all()
    assert not internal.frame["suppressed"].any()
    # the download carries the same empty cells, never a number
    back = pd.read_csv(
        io.BytesIO(explore.tidy_bytes(shared.frame, "csv")),
        encoding="utf-8-sig",
        keep_default_na=False,
    )
    hidden_back = back[back["suppressed"].astype(str) == "True"]
    assert len(hidden_back) == len(hidden)
    assert (hidden_back[["numerator", "denominator", "value"]] == "").all().all()


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_an_unknown_programme_gives_an_empty_result(cursor) -> None:
    result = explore.run(cursor, _request(("C01",), programmes=("NOPE",)))
    assert result.frame.empty
    fig = charts.indicator_figure(result.indicators[0].frame, result.indicators[0])
    assert isinstance(fig, go.Figure)
    assert fig.layout.annotations[0].text == charts.empty_sentence(fig)
    assert charts.empty_sentence(fig) == "There is no data for this chart in the period."


# -- downloads ---------------------------------------------------------------------------------


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in ("period_start", "period_end"):
        out[c] = out[c].astype(str)
    for c in out.columns:
        if pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].astype(bool)
        elif pd.api.types.is_numeric_dtype(out[c]):
            out[c] = pd.to_numeric(out[c]).astype(float)
        else:
            out[c] = out[c].astype(str)
    return out.reset_index(drop=True)


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
@pytest.mark.parametrize("split", [None, "gender"])
def test_csv_download_round_trips(cursor, split: str | None) -> None:
    result = explore.run(cursor, _request(HEADLINE, split=split))
    data = explore.tidy_bytes(result.frame, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # spreadsheets then read the accents right
    back = pd.read_csv(
        io.BytesIO(data),
        encoding="utf-8-sig",
        dtype={"programme_id": str, "indicator_id": str, "status": str},
    )
    assert list(back.columns) == list(result.frame.columns)
    assert len(back) == len(result.frame)
    pd.testing.assert_frame_equal(_comparable(back), _comparable(result.frame), check_dtype=False)


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_parquet_download_round_trips(cursor) -> None:
    result = explore.run(cursor, _request(HEADLINE, split="gender", scope=SHARED))
    back = pd.read_parquet(io.BytesIO(explore.tidy_bytes(result.frame, "parquet")))
    pd.testing.assert_frame_equal(back, result.frame, check_dtype=False)


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    frame = pd.DataFrame(
        {
            "indicator_id": ["C01", "C01", "C01"],
            "programme_id": ['=HYPERLINK("http://x")', "+1+1", "P-A"],
            "region": ["@SUM(A1)", "-2", "north"],
            "=header": ["a", "b", "c"],
            "value": [-1.0, 2.0, float("nan")],
        }
    )
    text = explore.tidy_bytes(frame, "csv").decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert list(back.columns)[-2] == "'=header"
    assert list(back["programme_id"]) == ['\'=HYPERLINK("http://x")', "'+1+1", "P-A"]
    assert list(back["region"]) == ["'@SUM(A1)", "'-2", "north"]
    assert list(back["value"]) == ["-1.0", "2.0", ""]  # a negative number stays a number
    assert text.splitlines()[1].endswith(",-1.0")
    # Parquet is for analysis tools: values exactly as they are
    parquet = pd.read_parquet(io.BytesIO(explore.tidy_bytes(frame, "parquet")))
    assert parquet["programme_id"][0] == '=HYPERLINK("http://x")'
    with pytest.raises(ValueError, match="format"):
        explore.tidy_bytes(frame, "xlsx")  # type: ignore[arg-type]


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_download_names(cursor) -> None:
    shared = explore.run(cursor, _request(("C01",), scope=SHARED))
    assert explore.download_name(shared, "csv") == "indicators_2023-Q3_to_2025-Q2.csv"
    custom = explore.run(
        cursor, _request(("C01",), periods=tuple(parse_periods("2025-01-01..2025-02-14")))
    )
    assert explore.download_name(custom, "parquet") == (
        "indicators_2025-01-01__2025-02-14-internal-not-for-sharing.parquet"
    )
    # unsuppressed figures: the file's name says it is internal, never the shared one's
    internal = explore.run(cursor, _request(("C01",)))
    name = explore.download_name(internal, "csv")
    assert name == "indicators_2023-Q3_to_2025-Q2-internal-not-for-sharing.csv"
    assert name != explore.download_name(shared, "csv")
    assert explore.file_name("r", "zip", shared=True) == "r.zip"
    assert explore.file_name("r", "zip", shared=False) == "r-internal-not-for-sharing.zip"


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_the_table_a_person_reads(cursor) -> None:
    """Programme and period by name, the split's values by label in their own order, then the
    value and its interval; a hidden figure and a missing one marked, never alike, never
    ``None``."""
    (period,) = parse_periods("2025-Q2")
    result = explore.run(
        cursor, _request(("O01",), periods=(period,), split="age_band", scope=SHARED)
    )
    names = explore.programme_names(programmes_in_scope(cursor, SHARED))
    (view,) = result.indicators
    table = explore.table(view, result.splits, names, result.period_labels)
    assert list(table.columns)[:4] == ["Programme", "Period", "Age band", "Value"]
    assert list(table.columns)[4] in ("95 % interval", "Counted")  # an empty one left out
    assert all(table[c].astype(bool).any() for c in table.columns)
    assert set(table["Programme"]) <= set(names.values())
    assert set(table["Period"]) == {"2025 Q2"}
    for pid, rows in view.frame.groupby("programme_id"):  # age bands by age, not alphabet
        bands = code_order("age_band", list(rows["age_band"]))
        shown = table[table["Programme"] == names[str(pid)]]["Age band"]
        assert list(shown) == [code_label("age_band", b) for b in bands]
    cells = set(table["Value"])
    assert marks.hidden() in cells and marks.no_data() in cells
    assert marks.hidden() != marks.no_data()
    hidden = view.frame["suppressed"].astype(bool).to_numpy()
    assert (table["Value"] == marks.hidden()).sum() == hidden.sum()
    assert not {"None", "nan", "NaN"} & {str(v) for v in table.to_numpy().ravel()}
    with using("de"):
        german = explore.table(view, result.splits, names, result.period_labels)
        period_column = _("Period")
    assert list(german.columns) != list(table.columns)
    assert set(german[period_column]) == {"Q2 2025"}


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_the_download_keeps_codes_and_adds_labels(cursor) -> None:
    result = explore.run(cursor, _request(("C01",), split="gender"))
    names = explore.programme_names(programmes_in_scope(cursor, INTERNAL))
    rows = explore.download_frame(result, names)
    columns = list(rows.columns)
    assert columns.index("programme") == columns.index("programme_id") + 1
    assert columns.index("indicator") == columns.index("indicator_id") + 1
    assert columns.index("gender_label") == columns.index("gender") + 1
    assert set(rows["programme_id"]) == set(result.frame["programme_id"])  # codes kept
    assert set(rows["programme"]) <= {*names.values(), "All programmes"}
    assert list(rows["gender_label"]) == [code_label("gender", g) for g in rows["gender"]]


# -- charts ------------------------------------------------------------------------------------


def _view(cursor, ind: str, **kwargs) -> tuple[explore.ExplorerResult, explore.IndicatorResult]:
    result = explore.run(cursor, _request((ind,), **kwargs))
    return result, result.indicators[0]


def _figure(result: explore.ExplorerResult, view: explore.IndicatorResult) -> go.Figure:
    return charts.indicator_figure(
        view.frame, view, split=result.split, period_labels=result.period_labels
    )


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_a_proportion_is_a_line_with_a_wilson_band_on_a_percent_axis(cursor) -> None:
    result, view = _view(cursor, "C06", programmes=("P-A",))
    fig = _figure(result, view)
    lines = [t for t in _traces(fig, go.Scatter) if t.mode == "lines+markers" and t.name == "P-A"]
    bands = [t for t in _traces(fig, go.Scatter) if t.fill == "toself"]
    assert len(lines) == 1 and bands
    assert all("95 %" in b.name for b in bands)
    shown = view.frame[~charts.is_gap(view.frame)]
    # the band spans exactly the engine's interval
    band_y = [y for b in bands for y in b.y]
    assert min(band_y) == pytest.approx(shown["ci_low"].min())
    assert max(band_y) == pytest.approx(shown["ci_high"].max())
    low, high = fig.layout.yaxis.range
    assert low == 0 and high >= 1
    assert list(fig.layout.yaxis.tickvals) == [0, 0.2, 0.4, 0.6, 0.8, 1]  # 0 to 100 %
    assert fig.layout.yaxis.tickformat == ".0%"
    # from the first quarter with a figure: the quarters before it would be empty columns
    first = str(min(shown["period_start"]))
    assert list(fig.layout.xaxis.ticktext) == [p.label for p in EIGHT if str(p.start) >= first]
    assert "share of requests" in fig.layout.title.text
    assert "95 % interval" in fig.layout.title.subtitle.text


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_counts_are_bars_and_a_target_is_a_dashed_line(cursor) -> None:
    result, view = _view(cursor, "C01")
    fig = _figure(result, view)
    bars = [t for t in _traces(fig, go.Bar) if t.name.startswith("P-")]
    assert {t.name for t in bars} == set(view.frame["programme_id"])
    assert fig.layout.barmode == "group"
    targets = [t for t in _traces(fig, go.Scatter) if t.line.dash == "dash"]
    assert len(targets) == 1 and "P-A" in targets[0].name
    assert [y for y in targets[0].y if y is not None] == [10.0]
    assert "(cases)" in fig.layout.title.text


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_suppressed_and_missing_points_are_gaps_never_zeros(cursor) -> None:
    result, view = _view(cursor, "C01", scope=SHARED)
    frame = view.frame
    assert frame["suppressed"].any()
    fig = _figure(result, view)
    x_of = {label: n for n, label in enumerate(fig.layout.xaxis.ticktext)}
    for programme, rows in frame.groupby("programme_id"):
        bar = next(t for t in _traces(fig, go.Bar) if t.name == programme)
        ys = dict(zip(bar.x, bar.y, strict=True))
        for _i, row in rows.iterrows():
            label = result.period_labels[(row["period_start"], row["period_end"])]
            y = ys[float(x_of[label])]
            if row["suppressed"]:
                assert y is None
            else:
                assert y == row["value"]
    hidden = [t for t in _traces(fig, go.Bar) if (t.meta or {}).get("role") == charts.HIDDEN]
    assert sum(len(t.x) for t in hidden) == int(frame["suppressed"].sum())
    assert "hidden to protect small numbers" in fig.layout.title.subtitle.text
    assert charts.gap_note(frame).startswith("Gaps, not zeros")


def test_gaps_break_lines_and_bands() -> None:
    periods = tuple(parse_periods("2025-Q1,2025-Q2,2025-Q3,2025-Q4"))
    frame = pd.DataFrame(
        {
            "indicator_id": "X01",
            "indicator_version": 1,
            "programme_id": "P-1",
            "period_start": [p.start for p in periods],
            "period_end": [p.end for p in periods],
            "numerator": [5.0, None, 0.0, 8.0],
            "denominator": [10.0, None, 0.0, 10.0],
            "value": [0.5, None, None, 0.8],
            "ci_low": [0.24, None, None, 0.49],
            "ci_high": [0.76, None, None, 0.94],
            "status": ["ok", "ok", "no_data", "partial_period"],
            "suppressed": [False, True, False, False],
            "target": None,
            "baseline": None,
            "completeness": None,
        }
    )
    ind = load_catalogue().get("C06")
    fig = charts.indicator_figure(
        frame, ind, period_labels={(p.start, p.end): p.label for p in periods}
    )
    line = next(t for t in _traces(fig, go.Scatter) if t.name == "P-1")
    assert list(line.y) == [0.5, None, None, 0.8]
    assert line.connectgaps is False
    assert list(line.marker.symbol) == ["circle", "circle", "circle", "circle-open"]
    bands = [t for t in _traces(fig, go.Scatter) if t.fill == "toself"]
    assert len(bands) == 2  # one per run of values: the gap splits the band
    assert all(None not in b.y for b in bands)
    gaps = {t.meta["role"]: list(t.x) for t in _traces(fig, go.Bar)}
    assert gaps == {charts.HIDDEN: [1.0], charts.NO_DATA: [2.0]}
    note = fig.layout.title.subtitle.text
    assert "1 hidden" in note and "1 without data" in note and "not over yet" in note


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_a_split_is_grouped_bars_per_programme(cursor) -> None:
    result, view = _view(cursor, "C06", split="gender")
    fig = _figure(result, view)
    values = {code_label("gender", v) for v in view.frame["gender"]}
    bars = [t for t in _traces(fig, go.Bar) if t.name in values]
    assert bars and {t.name for t in bars} <= values
    assert fig.layout.barmode == "group"
    titles = {a.text for a in fig.layout.annotations}
    assert set(view.frame["programme_id"]) <= titles  # one small chart per programme
    assert any(t.error_y.array is not None for t in bars)  # the interval as error bars


@pytest.mark.slow
def test_many_programmes_become_small_multiples(cursor) -> None:
    result, view = _view(cursor, "C03")
    assert view.frame["programme_id"].nunique() > 1
    few = _figure(result, view)
    assert not few.layout.annotations  # a handful of series: one chart
    many = view.frame.copy()
    clones = [many.assign(programme_id=many["programme_id"] + f"-{n}") for n in range(2)]
    fig = charts.indicator_figure(pd.concat(clones), view, period_labels=result.period_labels)
    assert len(fig.layout.annotations) == 2 * view.frame["programme_id"].nunique()


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_a_single_period_compares_programmes_side_by_side(cursor) -> None:
    result, view = _view(cursor, "C06", periods=tuple(parse_periods("2025-Q1")))
    fig = _figure(result, view)
    assert list(fig.layout.xaxis.ticktext) == sorted(view.frame["programme_id"])
    points = next(t for t in _traces(fig, go.Scatter) if t.name == "2025 Q1")
    assert points.mode == "markers"


@pytest.mark.parametrize(
    "ind",
    [
        "C07",
        *(
            pytest.param(i, marks=pytest.mark.slow)
            for i in ("C10", "F01", "F03", "F04", "K02", "O12", "S01")
        ),
    ],
)
@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_every_kind_draws(cursor, ind: str) -> None:
    """Every kind draws a chart where it has a value to show; a split whose every cell is
    hidden or missing becomes one sentence, never an empty frame of axes."""
    drawn = 0
    for split in (None, "gender", "all", "country"):
        result, view = _view(cursor, ind, split=split)
        fig = _figure(result, view)
        assert isinstance(fig, go.Figure)
        if (~charts.is_gap(view.frame)).any():
            assert fig.data and charts.empty_sentence(fig) is None
            drawn += 1
        else:
            assert not fig.data and charts.empty_sentence(fig)
            assert [a.text for a in fig.layout.annotations] == [charts.empty_sentence(view.frame)]
        fig.to_json()  # serialisable for the browser
    assert drawn >= 2  # the total and at least one split have values in the fixture


# -- the pages ---------------------------------------------------------------------------------


@pytest.fixture()
def page_env(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALUATION_DB", str(db))
    monkeypatch.delenv("EVALUATION_DEMO", raising=False)


def _run_page(
    path: str, user: str | None = "admin.explorer", *, error_expected: bool = False
) -> AppTest:
    """Run a page file on its own, as ``user`` (signed in as the sign-in page would); it must
    show neither an exception nor an error unless the test expects an error (and checks it)."""
    at = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)
    if user is not None:
        at.session_state[session.USER_KEY] = user
    at.run()
    if error_expected:
        assert not at.exception, [e.value for e in at.exception]
    else:
        assert_page_ok(at, path)
    return at


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_explorer_page_draws_charts_tables_and_downloads(page_env: None) -> None:
    at = _run_page(EXPLORER)
    assert at.multiselect(key="explorer_indicators").value == list(HEADLINE)
    assert len(at.get("plotly_chart")) == len(HEADLINE)
    assert len(at.dataframe) == len(HEADLINE)
    assert len(at.code) == len(HEADLINE)  # the SQL behind each chart
    keys = {b.key for b in at.get("download_button")}
    assert {"download_csv", "download_parquet"} <= keys
    text = " ".join(m.value for m in at.markdown)
    assert text.count("**Version 1**") == len(HEADLINE)  # above every chart
    assert render.md(load_catalogue().get("C06").definition) in text  # C06's definition
    assert render.md(kinds.kind_phrase("proportion")) in text  # the kind in vocabulary's words
    for frame in at.dataframe:  # the value and what it counted are on a 1280-pixel screen
        config = json.loads(frame.proto.columns or "{}")
        columns = list(frame.value.columns)
        up_to = columns[: columns.index("Value") + 2]
        widths = [config[c]["width"] for c in up_to]
        assert all(isinstance(w, int) for w in widths) and sum(widths) <= SCREEN, widths
        assert all(frame.value[c].astype(bool).any() for c in columns), columns  # none empty


@pytest.mark.slow
def test_explorer_page_with_a_split_and_custom_periods(page_env: None) -> None:
    at = _run_page(EXPLORER)
    at.multiselect(key="explorer_indicators").set_value(["C06", "O12"])
    at.selectbox(key="explorer_split").set_value("gender")
    at.selectbox(key="explorer_periods").set_value("custom").run()
    assert_page_ok(at)
    at.text_input(key="explorer_periods_custom").set_value("2024-Q4, 2025-Q1, FY2024-04").run()
    assert_page_ok(at)
    assert len(at.get("plotly_chart")) == 2
    assert any("reoffending" in m.value for m in at.markdown)  # O12's caveat beside its chart
    at.text_input(key="explorer_periods_custom").set_value("next Tuesday").run()
    assert not at.exception
    assert at.error and "not a period" in at.error[0].value


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_explorer_page_for_a_funder_hides_small_numbers(page_env: None, db: Path) -> None:
    at = _run_page(EXPLORER, "funder.explorer")
    with Store.open(db) as s:  # the read is on record: who, role, release, page
        reads = (
            s.cursor()
            .execute(
                "SELECT actor, role, release FROM audit_log "
                "WHERE action = 'shared_read' AND target = 'page:explorer'"
            )
            .fetchall()
        )
    assert reads and all(r[:2] == ("funder.explorer", "funder") and r[2] for r in reads)
    assert any("Small numbers are hidden" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == len(HEADLINE)
    # only the funder's organisation can be chosen
    options = at.multiselect(key="explorer_programmes").options
    assert options and not any(o.startswith(("P-OPEN", "P-CJS")) for o in options)


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_explorer_page_marks_hidden_and_missing_figures_apart(page_env: None) -> None:
    at = _run_page(EXPLORER, "funder.explorer")
    cells = {str(v) for frame in at.dataframe for v in frame.value.to_numpy().ravel()}
    assert marks.hidden() in cells and marks.no_data() in cells  # both, and never alike
    assert not {"None", "nan", "NaN", "<NA>"} & cells
    assert marks.legend() in [c.value for c in at.caption]  # what each means, beside them
    for frame in at.dataframe:  # the value comes right after what the row is about
        assert list(frame.value.columns)[:3] == ["Programme", "Period", "Value"]


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_the_internal_download_is_named_and_labelled_as_internal(
    page_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CSO manager's unsuppressed files are named ``…-internal-not-for-sharing`` and their
    buttons say who may receive them; a funder's shared files keep their names."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    saved: list[str] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, data, mimetype, kind, filename=None):  # type: ignore[no-untyped-def]
        if filename:
            saved.append(filename)
        return original(self, data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    files, buttons = {}, {}
    for user in ("manager.explorer", "funder.explorer"):
        saved.clear()
        at = _run_page(EXPLORER, user)
        files[user] = sorted(n for n in saved if n.startswith("indicators_"))
        buttons[user] = [(b.proto.label, b.proto.help) for b in at.get("download_button")]
    internal, shared = files["manager.explorer"], files["funder.explorer"]
    assert len(internal) == len(shared) == 2
    assert all(
        n.removesuffix(".csv").removesuffix(".parquet").endswith(explore.INTERNAL_SUFFIX)
        for n in internal
    )
    assert not any(explore.INTERNAL_SUFFIX in n for n in shared)
    assert not set(internal) & set(shared)
    assert all(
        "internal" in label and "own staff" in tip for label, tip in buttons["manager.explorer"]
    )
    assert not any("internal" in label.lower() for label, _tip in buttons["funder.explorer"])


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_explorer_page_without_sign_in_says_so(page_env: None) -> None:
    at = _run_page(EXPLORER, user=None, error_expected=True)
    assert at.error and "sign in" in at.error[0].value
    assert not at.get("plotly_chart")


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_explorer_page_without_indicators_asks_for_one(page_env: None) -> None:
    at = _run_page(EXPLORER)
    at.multiselect(key="explorer_indicators").set_value([]).run()
    assert_page_ok(at)
    assert not at.get("plotly_chart")
    assert any("at least one indicator" in i.value for i in at.info)


@pytest.mark.slow  # reads the explorer store, built and approved once per module (~36 s)
def test_catalogue_page_lists_and_searches(page_env: None, catalogue: Catalogue) -> None:
    at = _run_page(CATALOGUE)
    assert len(at.expander) == len(catalogue.latest())
    headers = [h.value for h in at.header]
    assert headers[:5] == [f"{g.letter} · {g.name}" for g in GROUPS[:5]]
    at.text_input(key="catalogue_search").set_value("release").run()
    assert_page_ok(at)
    found = [e.label for e in at.expander]
    assert 0 < len(found) < len(catalogue.latest())
    assert any("O06" in label for label in found)
    at.text_input(key="catalogue_search").set_value("C06").run()
    c06 = catalogue.get("C06")
    facts = " ".join(m.value for m in at.markdown)
    assert f"**Kind:** {kinds.kind_name(c06.kind)}" in facts  # vocabulary.kinds' words
    assert kinds.direction_sentence(c06.direction) in facts
    assert len(at.expander) == 1 and "C06" in at.expander[0].label
    at.text_input(key="catalogue_search").set_value("no such words anywhere").run()
    assert not at.expander and at.info


def test_kind_words_have_one_home() -> None:
    """An indicator's kind and direction read in ``vocabulary.kinds``' words on every page: the
    explorer's sentence form ("a number of months") and the catalogue's name ("months") come
    from there, and no page or view keeps a list of its own."""
    for kind in kinds.KINDS:
        assert explore.kind_text(kind) == kinds.kind_phrase(kind)
        assert kinds.kind_name(kind) and kinds.kind_phrase(kind) != kinds.kind_name(kind)
    assert explore.kind_text("months") == "a number of months"
    assert kinds.kind_name("months") == "months"
    assert explore.direction_text("higher") == kinds.direction_name("higher") == "higher is better"
    assert explore.direction_text("neutral") == "neither higher nor lower is better"
    assert kinds.direction_name("neutral") == ""  # (a command line's list says nothing)
    with using("de"):
        assert (explore.kind_text("count"), kinds.kind_name("count")) == ("eine Anzahl", "Anzahl")
        assert explore.direction_text("neutral") == "weder höher noch niedriger ist besser"
    for path in (EXPLORER, CATALOGUE, "evaluation/views/explore.py"):
        source = (ROOT / path).read_text(encoding="utf-8")
        for words in ('"a count"', '"a number of months"', '"higher is better"', '"higher"'):
            assert words not in source, (path, words)


def test_catalogue_groups_search_id_name_and_definition(catalogue: Catalogue) -> None:
    groups = explore.catalogue_groups(catalogue)
    assert [g.letter for g in groups] == ["C", "O", "K", "F", "S"]
    assert sum(len(g.entries) for g in groups) == len(catalogue.latest())
    by_name = explore.catalogue_groups(catalogue, "first CONTACT")
    assert {e.latest.id for g in by_name for e in g.entries} >= {"C06"}
    by_definition = explore.catalogue_groups(catalogue, "within 7 days of the first request")
    assert {e.latest.id for g in by_definition for e in g.entries} >= {"C06"}
    assert explore.catalogue_groups(catalogue, "zzz") == []


def test_catalogue_groups_keep_versions_and_own_indicators() -> None:
    custom = load_catalogue(ROOT / "indicators" / "catalogue", FIXTURES / "custom_catalogue")
    groups = {g.letter: g for g in explore.catalogue_groups(custom)}
    c04 = next(e for e in groups["C"].entries if e.latest.id == "C04")
    assert [v.version for v in c04.versions] == [1, 2]
    assert c04.latest.version == 2
    assert "" in groups and groups[""].title == GROUPS_BY_CODE["custom"].name
    assert explore.catalogue_groups(custom, "C04@1")


def test_a_chart_of_hundreds_of_programmes_draws_a_readable_few() -> None:
    """A funder at national scale sees hundreds of programmes: small multiples of all of them
    froze the browser. The figure draws MAX_PANELS and says so; nothing is silently dropped."""
    from datetime import date

    from evaluation.measures.catalogue import load_catalogue
    from evaluation.views import charts

    ind = load_catalogue().get("C01")
    rows = []
    for p in range(40):
        for q, (start, end) in enumerate(
            [(date(2025, 1, 1), date(2025, 3, 31)), (date(2025, 4, 1), date(2025, 6, 30))]
        ):
            rows.append(
                {
                    "indicator_id": "C01",
                    "indicator_version": 1,
                    "programme_id": f"P-{p:03d}",
                    "period_start": start,
                    "period_end": end,
                    "numerator": None,
                    "denominator": None,
                    "value": float(p + q),
                    "ci_low": None,
                    "ci_high": None,
                    "status": "ok",
                    "suppressed": p % 7 == 0,
                    "target": None,
                    "baseline": None,
                    "completeness": None,
                }
            )
    frame = pd.DataFrame(rows)
    fig = charts.indicator_figure(frame, ind)
    names = {t.name for t in fig.data if t.name}
    drawn = {n for n in names if n.startswith("P-")}
    # P-000 and P-007 have every figure hidden: named, not drawn as empty small charts
    assert len(drawn) == charts.MAX_PANELS - 2
    assert "No charts of P-000, P-007" in fig.layout.title.subtitle.text
    assert f"{charts.MAX_PANELS} of 40 programmes" in fig.layout.title.subtitle.text
    few = charts.indicator_figure(frame[frame.programme_id < "P-003"], ind)
    assert "programmes; choose" not in (few.layout.title.subtitle.text or "")
    one_period = frame[frame.period_start == frame.period_start.min()]
    wide = pd.concat(
        [one_period.assign(programme_id=one_period.programme_id + f"-{k}") for k in range(3)]
    )  # 120 programmes, one period: bars side by side
    fig = charts.indicator_figure(wide, ind)
    assert f"{charts.MAX_BARS} of 120 programmes" in fig.layout.title.subtitle.text
    assert max(len(t.x) for t in fig.data if t.x is not None) <= charts.MAX_BARS
