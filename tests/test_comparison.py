"""Programme comparison (funnel plots, small multiples), the programme headlines, and their pages.

Pure tests build engine-shaped frames by hand; the rest runs on a real store holding two
fictional demo organisations (seed 7), and checks numbers against plain-Python computations
on the generated tables.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from conftest import assert_page_ok
from streamlit.testing.v1 import AppTest

from evaluation.app import session
from evaluation.demo.generate import DemoPackage, generate, write_package
from evaluation.intake.ingest import ingest
from evaluation.measures.catalogue import load_catalogue
from evaluation.measures.completeness import completeness
from evaluation.measures.engine import IndicatorRequest, compute
from evaluation.periods import (
    Period,
    financial_year,
    half_year,
    parse_periods,
    quarter,
    recent_periods,
)
from evaluation.store.access import Scope
from evaluation.store.database import Store
from evaluation.views import comparison as cmp
from evaluation.views import programme as hl
from evaluation.vocabulary import marks, numbers
from evaluation.vocabulary.headline import HEADLINE_INDICATORS
from evaluation.vocabulary.language import using
from tests.conftest import approve_releases

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "comparison": str(ROOT / "evaluation/app/pages/comparison.py"),
    "programme": str(ROOT / "evaluation/app/pages/programme.py"),
}
TIMEOUT = 180
Q1 = quarter(2026, 1)
Q2 = quarter(2026, 2)
SHARED = Scope.everything("shared")
INTERNAL = Scope.everything()


# --------------------------------------------------------------------------------------------
# Independent arithmetic


def _cdf(r: int, n: int, p: float) -> float:
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(r + 1)) if r >= 0 else 0.0


def _limit(p: float, n: int, q: float) -> float:
    """Spiegelhalter's interpolated binomial limit, from first principles (math.comb)."""
    r = next(r for r in range(n + 1) if _cdf(r, n, p) >= q - 1e-12)
    alpha = (_cdf(r, n, p) - q) / (_cdf(r, n, p) - _cdf(r - 1, n, p))
    return (r - alpha) / n


def test_limits_match_an_independent_binomial_computation() -> None:
    lo95, hi95 = cmp.control_limits(0.3, 50, 0.95)
    lo998, hi998 = cmp.control_limits(0.3, 50, 0.998)
    assert lo95[0] == pytest.approx(_limit(0.3, 50, 0.025), abs=1e-9)
    assert hi95[0] == pytest.approx(_limit(0.3, 50, 0.975), abs=1e-9)
    assert lo998[0] == pytest.approx(_limit(0.3, 50, 0.001), abs=1e-9)
    assert hi998[0] == pytest.approx(_limit(0.3, 50, 0.999), abs=1e-9)
    # close to the normal approximation 0.3 ± 1.96·√(0.21/50) = [0.173, 0.427] ...
    half = 1.959964 * math.sqrt(0.3 * 0.7 / 50)
    assert lo95[0] == pytest.approx(0.3 - half, abs=0.01)
    assert hi95[0] == pytest.approx(0.3 + half, abs=0.01)
    # ... and the same for large denominators
    lo, hi = cmp.control_limits(0.3, 20_000, 0.95)
    half = 1.959964 * math.sqrt(0.3 * 0.7 / 20_000)
    assert (lo[0], hi[0]) == pytest.approx((0.3 - half, 0.3 + half), abs=2e-4)


def test_limits_stay_in_bounds_and_narrow_with_size() -> None:
    n = np.arange(cmp.MIN_DENOMINATOR, 400)  # below 10 nothing is compared
    for p in (0.02, 0.5, 0.97):
        lo95, hi95 = cmp.control_limits(p, n, 0.95)
        lo998, hi998 = cmp.control_limits(p, n, 0.998)
        assert (
            (lo998 >= 0)
            & (lo998 <= lo95)
            & (lo95 <= p)
            & (p <= hi95)
            & (hi95 <= hi998)
            & (hi998 <= 1)
        ).all()
        assert (hi95 - lo95)[-1] < (hi95 - lo95)[20] < (hi95 - lo95)[0]
    for p in (0.0, 1.0):
        lo, hi = cmp.control_limits(p, [10, 100])
        assert list(lo) == list(hi) == [p, p]
    with pytest.raises(cmp.ComparisonError):
        cmp.control_limits(0.5, [0])


# --------------------------------------------------------------------------------------------
# Hand-made engine frames


def _row(
    pid: str,
    num: float | None,
    den: float | None,
    *,
    period: Period = Q2,
    version: int = 1,
    status: str = "ok",
    suppressed: bool = False,
    ind: str = "O06",
) -> dict[str, object]:
    value = num / den if num is not None and den else math.nan
    return {
        "indicator_id": ind,
        "indicator_version": version,
        "programme_id": pid,
        "period_start": period.start,
        "period_end": period.end,
        "numerator": math.nan if num is None else num,
        "denominator": math.nan if den is None else den,
        "value": value,
        "ci_low": value - 0.1 if not math.isnan(value) else math.nan,
        "ci_high": value + 0.1 if not math.isnan(value) else math.nan,
        "status": status,
        "suppressed": suppressed,
        "target": math.nan,
        "baseline": math.nan,
        "completeness": math.nan,
    }


def _frame(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


O06 = load_catalogue().get("O06")
NAMES = {
    "P1": "Alpha",
    "P2": "Bravo",
    "P3": "Charlie",
    "P4": "Delta",
    "P5": "Echo",
    "P6": "Foxtrot",
    "P7": "Golf",
    "P8": "Hotel",
}


def _mixed() -> pd.DataFrame:
    return _frame(
        _row("P1", 200, 500),
        _row("P2", 215, 520),
        _row("P3", 55, 100),
        _row("P4", 90, 100),  # far above the pooled rate
        _row("P5", 40, 80, version=2),  # another definition
        _row("P7", None, None, status="no_data"),  # a source table is missing
        _row("P8", 3, 6),
    )  # too small to compare


def test_pooled_rate_is_the_sum_of_numerators_over_the_sum_of_denominators() -> None:
    f = cmp.funnel(_mixed(), Q2, indicator=O06, names=NAMES)
    assert (f.numerator, f.denominator) == (200 + 215 + 55 + 90, 500 + 520 + 100 + 100)
    assert f.pooled == pytest.approx(560 / 1220)
    lo, hi = cmp.control_limits(560 / 1220, [520], 0.95)
    row = f.programmes.set_index("programme_id").loc["P2"]
    assert (row["lower_95"], row["upper_95"]) == pytest.approx((lo[0], hi[0]))


def test_a_programme_far_outside_is_flagged() -> None:
    f = cmp.funnel(_mixed(), Q2, indicator=O06, names=NAMES)
    pooled = 560 / 1220
    for row in f.programmes.itertuples():
        n = int(row.denominator)
        out95 = not _limit(pooled, n, 0.025) <= row.value <= _limit(pooled, n, 0.975)
        out998 = not _limit(pooled, n, 0.001) <= row.value <= _limit(pooled, n, 0.999)
        want = cmp.OUTSIDE_998 if out998 else cmp.OUTSIDE_95 if out95 else cmp.INSIDE
        assert row.position == want, row.programme_id
    pos = f.programmes.set_index("programme_id")[["position", "side"]]
    assert tuple(pos.loc["P4"]) == (cmp.OUTSIDE_998, "above")  # 90 % against 46 %
    assert tuple(pos.loc["P1"]) == (cmp.OUTSIDE_95, "below")  # 40 % of 500
    assert tuple(pos.loc["P3"]) == (cmp.INSIDE, "")  # 55 % of only 100
    balanced = cmp.funnel(
        _frame(_row("P1", 30, 100), _row("P2", 33, 100), _row("P3", 27, 90)), Q2, indicator=O06
    )
    assert set(balanced.programmes["position"]) == {cmp.INSIDE}
    assert set(balanced.programmes["side"]) == {""}


def test_only_programmes_with_the_same_definition_are_compared() -> None:
    f = cmp.funnel(_mixed(), Q2, indicator=O06, names=NAMES)
    assert "P5" not in set(f.programmes["programme_id"])
    reasons = dict(zip(f.excluded["programme_id"], f.excluded["reason"], strict=True))
    assert reasons["P5"] == "definition differs: computed with version 2, compared on version 1"
    # compared on version 2 instead, only P5 is left
    v2 = cmp.funnel(_mixed(), Q2, version=2)
    assert list(v2.programmes["programme_id"]) == ["P5"]


def test_excluded_programmes_are_listed_with_reasons_and_never_plotted() -> None:
    missing = {"P7": ("custody_events",)}
    f = cmp.funnel(_mixed(), Q2, indicator=O06, names=NAMES, missing_tables=missing)
    reasons = dict(zip(f.excluded["programme"], f.excluded["reason"], strict=True))
    assert reasons == {
        "Echo": "definition differs: computed with version 2, compared on version 1",
        "Golf": "no data: the table “Custody events” was not supplied",
        "Hotel": "fewer than 10 in the denominator",
    }
    assert list(f.programmes["programme"]) == ["Alpha", "Bravo", "Charlie", "Delta"]
    fig = cmp.funnel_figure(f, O06)
    plotted = {t for trace in fig.data if trace.mode == "markers+text" for t in trace.text}
    assert plotted == {"Alpha", "Bravo", "Charlie", "Delta"}
    xs = {x for trace in fig.data if trace.mode == "markers+text" for x in trace.x}
    assert 6 not in xs and 80 not in xs
    # a denominator of 0 is "no data" for a reason a person understands
    empty = cmp.funnel(_frame(_row("P1", 0, 0, status="no_data")), Q2, indicator=O06)
    assert list(empty.excluded["reason"]) == ["no data: no releases in this period"]
    assert empty.pooled is None and empty.limits.empty
    # a suppressed row stays compared, hidden, and never says why (that would tell the number
    # is small); with nothing published about its size, no pooled rate can be shown
    small_hidden = cmp.funnel(_frame(_row("P1", None, None, suppressed=True)), Q2)
    assert small_hidden.excluded.empty
    assert list(small_hidden.programmes["display"]) == ["hidden to protect small numbers"]
    assert small_hidden.pooled is None and small_hidden.pooled_low is None


def test_funnel_figure_has_limits_pooled_line_and_points() -> None:
    f = cmp.funnel(_mixed(), Q2, indicator=O06, names=NAMES)
    fig = cmp.funnel_figure(f, O06)
    names = [t.name for t in fig.data]
    assert names.count("95 % limits") == 2 and names.count("99.8 % limits") == 2
    assert "Pooled rate 46 %" in names  # 560 / 1220, as every rate reads
    assert {"Inside the limits", "Outside 95 %", "Outside 99.8 %"} <= set(names)
    pooled = next(t for t in fig.data if t.name.startswith("Pooled"))
    assert list(pooled.y) == pytest.approx([560 / 1220] * 2)
    assert fig.layout.xaxis.title.text == "Number of releases (denominator)"
    upper = next(t for t in fig.data if t.name == "95 % limits")
    assert len(upper.x) > 20 and min(upper.x) <= 100 and max(upper.x) >= 520


NOT_JUDGED = {
    "en": "Not judged: no limits without a pooled rate",
    "de": "Nicht beurteilt: ohne Gesamtquote keine Grenzen",
}
INSIDE = {"en": "Inside the limits", "de": "Innerhalb der Grenzen"}


def test_a_programme_not_judged_is_never_drawn_as_inside_the_limits() -> None:
    """Without a pooled rate there are no limits: the shown programmes have a legend entry of
    their own, a neutral grey square, not the blue "Inside the limits"."""
    frame = _frame(_row("P1", 40, 50), _row("P2", 30, 42), _row("P3", None, None, suppressed=True))
    f = cmp.funnel(frame, Q2, indicator=O06, names=NAMES)
    assert not f.pooled_shown
    assert list(f.programmes["position"]) == [cmp.NOT_JUDGED, cmp.NOT_JUDGED, cmp.HIDDEN]
    for lang in ("en", "de"):
        with using(lang):
            fig = cmp.funnel_figure(f, O06)
        names = [t.name for t in fig.data]
        assert INSIDE[lang] not in names
        unjudged = next(t for t in fig.data if t.name == NOT_JUDGED[lang])
        assert [row[0] for row in unjudged.customdata] == ["Alpha", "Bravo"]
        assert unjudged.showlegend is not False
        assert unjudged.marker.symbol == "square"
        assert unjudged.marker.color not in {cmp._COLOURS[cmp.INSIDE], "#7f7f7f"}
    # judged programmes have no such entry
    judged = cmp.funnel_figure(cmp.funnel(_mixed(), Q2, indicator=O06, names=NAMES), O06)
    assert NOT_JUDGED["en"] not in {t.name for t in judged.data}


def _labels(fig: go.Figure) -> dict[tuple[float, float], str]:
    """Each funnel point (x, y) → its label, beside it (the trace's text) or on a leader line
    (an annotation pointing at it)."""
    out: dict[tuple[float, float], str] = {}
    for trace in fig.data:
        if trace.mode == "markers+text":
            for x, y, text in zip(trace.x, trace.y, trace.text, strict=True):
                out[(round(float(x), 6), round(float(y), 6))] = text
    for note in fig.layout.annotations:
        point = (round(float(note.x), 6), round(float(note.y), 6))
        assert out[point] == "", point  # never two labels for one point
        out[point] = note.text
    return out


def test_every_funnel_point_has_a_label_even_side_by_side_at_100_percent() -> None:
    """Two programmes at 100 % near the right edge: the second label found no free spot
    beside its point and was dropped; now it goes out on a leader line."""
    names = {
        "P1": "Ausstiegsbegleitung Nord",
        "P2": "Ausstieg Rechts Süd",
        "P3": "Charlie",
        "P4": "Delta",
        "P5": "Beratung Angehörige West",
        "P6": "Foxtrot",
    }
    frame = _frame(
        _row("P1", 40, 42),
        _row("P2", 44, 44),
        _row("P3", 30, 35),
        _row("P4", 25, 30),
        _row("P5", 47, 47),
        _row("P6", 20, 25),
    )
    f = cmp.funnel(frame, Q2, indicator=O06, names=names)
    for lang in ("en", "de"):
        with using(lang):
            fig = cmp.funnel_figure(f, O06)
        labels = _labels(fig)
        assert len(labels) == 6
        assert sorted(labels.values()) == sorted(names.values())
        assert labels[(44.0, 1.0)] == "Ausstieg Rechts Süd"
        assert labels[(47.0, 1.0)] == "Beratung Angehörige West"
        for note in fig.layout.annotations:  # a leader line, its label inside the plot
            assert note.showarrow and note.axref == note.ayref == "pixel"
            assert abs(note.ax) + abs(note.ay) > 0


def test_funnel_axis_writes_percent_as_the_tables_do() -> None:
    f = cmp.funnel(_mixed(), Q2, indicator=O06, names=NAMES)
    for lang, sep in (("en", ".,"), ("de", ",.")):
        with using(lang):
            fig = cmp.funnel_figure(f, O06)
            assert list(fig.layout.yaxis.ticktext) == [
                numbers.percent(v) for v in fig.layout.yaxis.tickvals
            ]
        assert fig.layout.separators == sep
    assert fig.layout.yaxis.ticktext[-1] == "100 %"  # German: as the table writes it


def test_programme_table_is_ordered_by_name_not_by_rate() -> None:
    table = cmp.programme_table(cmp.funnel(_mixed(), Q2, indicator=O06, names=NAMES))
    assert list(table["programme"]) == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert "rank" not in table.columns
    assert list(table["limits"]) == [
        "below the 95 % limit",
        "below the 95 % limit",
        "inside the limits",
        "above the 99.8 % limit",
    ]


def test_trend_gives_a_rate_per_programme_and_period_and_the_pooled_rate() -> None:
    frame = _frame(
        _row("P1", 30, 100, period=Q1),
        _row("P2", 10, 50, period=Q1),
        _row("P1", 40, 100),
        _row("P2", None, None, suppressed=True),
    )
    t = cmp.trend(frame, indicator=O06, names=NAMES)
    assert list(t["period"]) == ["2026 Q1", "2026 Q2", "2026 Q1", "2026 Q2"]
    assert list(t["shown"]) == [True, True, True, False]
    assert t.loc[3, "reason"] == "hidden to protect small numbers"
    assert math.isnan(t.loc[3, "value"])
    pooled = dict(zip(t["period"], t["pooled"], strict=False))
    assert pooled["2026 Q1"] == pytest.approx(40 / 150)
    assert math.isnan(pooled["2026 Q2"])  # never the shown programme's 40 % alone
    fig = cmp.small_multiples_figure(t, O06)
    assert [tr.name for tr in fig.data] == ["Pooled rate", "Alpha", "Pooled rate", "Bravo"]
    bravo = fig.data[3]
    assert list(bravo.x) == ["2026 Q1", "2026 Q2"]
    assert bravo.y[0] == pytest.approx(0.2) and math.isnan(bravo.y[1])


def test_the_trend_note_shows_in_full_above_the_panels() -> None:
    """A note of two lines was cut at the figure's top edge: Plotly lifts a title of several
    lines about 0.7 em above its anchor, so it is padded by that and the margin makes room."""
    frame = _frame(
        *(_row(f"P{n}", 10 + n, 30 + n, period=p) for n in range(1, 5) for p in (Q1, Q2)),
        _row("P5", None, None, period=Q1, status="no_data"),
    )
    t = cmp.trend(frame, indicator=O06, names=NAMES)
    for lang in ("en", "de"):
        with using(lang):
            fig = cmp.small_multiples_figure(t, O06, max_panels=2)
        title = fig.layout.title
        lines = title.text.count("<br>") + 1
        assert lines >= 2 and "Echo" in title.text
        assert (title.yref, title.y, title.yanchor) == ("container", 1, "top")
        assert title.pad.t >= 8 + 0.7 * title.font.size
        panel_titles = 1 + max(a.text.count("<br>") for a in fig.layout.annotations)
        assert fig.layout.margin.t >= title.pad.t + 18 * lines + 18 * panel_titles
        assert list(fig.layout.yaxis.ticktext) == [numbers.percent(v, lang) for v in (0, 0.5, 1)]


def test_hover_texts_write_rates_and_counts_as_the_tables_do() -> None:
    """Hovers were d3 formats: "46.0%" in English and "46,0%" in German beside tables that
    write "46 %"; now every hover of the funnel and the trend is written by the vocabulary,
    and a hidden rate reads "–", never "NaN"."""
    frame = _frame(
        _row("P1", 30, 1000, period=Q1),
        _row("P2", 10, 50, period=Q1),
        _row("P1", 400, 1000),
        _row("P2", None, None, suppressed=True),
    )
    for lang in ("en", "de"):
        with using(lang):
            figs = [
                cmp.funnel_figure(cmp.funnel(_mixed(), Q2, indicator=O06, names=NAMES), O06),
                cmp.small_multiples_figure(cmp.trend(frame, indicator=O06, names=NAMES), O06),
            ]
        texts = []
        for fig in figs:
            for trace in fig.data:
                template = trace.hovertemplate or ""
                assert ":." not in template and ":," not in template, template  # no d3 format
                texts += [str(t) for t in trace.hovertext or ()]
        assert texts
        joined = " ".join(texts)
        assert "NaN" not in joined and "nan" not in joined
        assert re.search(r"\d %", joined) and not re.search(r"\d%", joined)
        if lang == "de":
            assert "1.000" in joined  # German digits: n=1.000
        else:
            assert "1,000" in joined


def test_a_funnel_takes_one_indicator_and_a_proportion() -> None:
    with pytest.raises(cmp.ComparisonError):
        cmp.funnel(_frame(_row("P1", 1, 10), _row("P1", 1, 10, ind="C06")), Q2)
    with pytest.raises(cmp.ComparisonError):
        cmp.funnel(_frame(_row("P1", 1, 10, ind="C01")), Q2, indicator=load_catalogue().get("C01"))
    assert cmp.default_indicator(cmp.proportion_indicators()).id == "O06"
    assert all(i.kind == "proportion" for i in cmp.proportion_indicators())
    assert cmp.trend_periods(Q2, 3) == (quarter(2025, 4), Q1, Q2)


# --------------------------------------------------------------------------------------------
# Headline tiles from a hand-made frame


def test_tiles_compute_change_and_gap_to_target() -> None:
    cat = load_catalogue()
    inds = [cat.get("C01"), cat.get("O01"), cat.get("O06")]
    count = {"indicator_id": "C01", "numerator": math.nan, "denominator": math.nan}
    frame = pd.DataFrame(
        [
            {**_row("P1", None, None, ind="C01"), **count, "value": 14.0, "target": 12.0},
            {**_row("P1", None, None, ind="C01", period=Q1), **count, "value": 9.0},
            {**_row("P1", 6, 10, ind="O01"), "target": 0.5},
            _row("P1", 5, 10, ind="O01", period=Q1, suppressed=True),
            _row("P1", None, None, ind="O06", status="no_data"),
        ]
    )
    tiles = {
        t.indicator_id: t
        for t in hl.tiles_from_frame(frame, inds, "P1", Q2, missing_tables=("custody_events",))
    }
    c01, o01, o06 = tiles["C01"], tiles["O01"], tiles["O06"]
    assert (c01.value, c01.previous_value, c01.change, c01.vs_target) == (14, 9, 5, 2)
    assert (c01.value_text, c01.change_text) == ("14", "+5")
    assert c01.target_text == "Target 12: 2 above."
    assert o01.change is None  # the previous value is suppressed
    assert o01.previous_text == "2026 Q1: hidden to protect small numbers"
    assert o01.vs_target == pytest.approx(0.1)
    assert o01.target_text == "Target 50 %: 10 percentage points above."
    assert o06.value is None and o06.note == "No data: the table “Custody events” was not supplied."
    # a figure without data and a hidden one never read alike
    hidden = hl.tiles_from_frame(frame, inds, "P1", Q1)
    assert {t.indicator_id: t.value_text for t in hidden}["O01"] == marks.hidden()
    assert o06.value_text == marks.no_data() != marks.hidden()
    assert numbers.figure_change(-0.034, "proportion", short=False) == "-3 percentage points"
    assert numbers.figure_change(-0.034, "proportion") == "-3 pp"


def test_period_choices() -> None:
    choices = recent_periods(date(2026, 9, 30), date(2025, 2, 3))
    assert choices[0] == quarter(2026, 3)
    assert all(p.end <= date(2026, 9, 30) and p.end >= date(2025, 2, 3) for p in choices)
    assert [p.label for p in choices if p.kind == "year"] == ["2025"]
    assert [p.label for p in choices if p.kind == "financial_year"] == ["FY 2025/26", "FY 2024/25"]
    assert financial_year(2025, 4) in choices  # the setting's start month, April by default
    assert recent_periods(date(2026, 8, 15))[0] == quarter(2026, 2)
    assert recent_periods(date(2026, 8, 15))[12] == half_year(2026, 1)


# --------------------------------------------------------------------------------------------
# A real store with two fictional organisations


@dataclass
class Demo:
    db: Path
    packages: list[DemoPackage]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("comparison")
    packages = generate(seed=7)[:2]
    db = root / "evaluation.duckdb"
    with Store.open(db) as store:
        for pkg in packages:
            path = write_package(pkg, root / f"{pkg.name}.xlsx", "xlsx")
            assert ingest(path, store, actor="test").status == "loaded"
        approve_releases(store)  # what the dashboard shows a funder first, as the demo does
    return Demo(db, packages)


@pytest.fixture()
def store(demo: Demo) -> Iterator[Store]:
    with Store.open(demo.db) as opened:
        yield opened


def _cases(demo: Demo, programme: str) -> pd.DataFrame:
    for pkg in demo.packages:
        cases = pkg.tables["cases"].to_pandas()
        cases = cases[cases["programme_id"] == programme]
        if len(cases):
            for c in ("opened_on", "closed_on"):
                cases[c] = pd.to_datetime(cases[c]).dt.date
            return cases
    raise KeyError(programme)


def _new_exit(cases: pd.DataFrame, p: Period) -> int:
    exit_ = cases[cases["client_type"] == "exit_participant"]
    return int(sum(p.start <= d <= p.end for d in exit_["opened_on"]))


def _active_exit(cases: pd.DataFrame, p: Period) -> int:
    exit_ = cases[cases["client_type"] == "exit_participant"]
    return int(
        sum(
            o <= p.end and (pd.isna(c) or c >= p.start)
            for o, c in zip(exit_["opened_on"], exit_["closed_on"], strict=True)
        )
    )


@pytest.mark.slow  # builds and approves two demo organisations (~50 s)
def test_headlines_change_against_the_previous_period(demo: Demo, store: Store) -> None:
    cases = _cases(demo, "NORD-EXIT")
    q3 = quarter(2026, 3)
    h = hl.headlines(store.cursor(), hl.ProgrammeRequest("NORD-EXIT", q3, INTERNAL))
    assert h.previous_period == Q2 and h.programme == "Nordlicht Ausstiegsberatung"
    tiles = {t.indicator_id: t for t in h.tiles}
    assert list(tiles) == list(HEADLINE_INDICATORS)
    assert tiles["C01"].value == _new_exit(cases, q3)
    assert tiles["C01"].previous_value == _new_exit(cases, Q2)
    assert tiles["C01"].change == _new_exit(cases, q3) - _new_exit(cases, Q2)
    assert tiles["C03"].change == _active_exit(cases, q3) - _active_exit(cases, Q2)
    frame = compute(
        store, IndicatorRequest(periods=(q3, Q2), indicators=("O01",), programmes=("NORD-EXIT",))
    )
    value = frame.set_index("period_start")["value"]
    assert tiles["O01"].change == pytest.approx(value[q3.start] - value[Q2.start])


@pytest.mark.slow  # builds and approves two demo organisations (~50 s)
def test_headlines_targets_and_completeness(demo: Demo, store: Store) -> None:
    h1 = half_year(2026, 1)
    targets = demo.packages[0].tables["targets"].to_pandas()
    want = targets[
        (targets["programme_id"] == "NORD-EXIT")
        & (targets["indicator_id"] == "C01")
        & (targets["period_start"] == h1.start.isoformat())
    ]
    h = hl.headlines(store.cursor(), hl.ProgrammeRequest("NORD-EXIT", h1, INTERNAL))
    c01 = next(t for t in h.tiles if t.indicator_id == "C01")
    assert c01.target == float(want["target"].iloc[0])
    assert c01.vs_target == c01.value - c01.target
    rows = completeness(store.cursor(), [h1], INTERNAL, ("NORD-EXIT",))
    assert list(h.completeness["field"]) == list(rows["field"])
    assert list(h.completeness["share"]) == pytest.approx(list(rows["share"]))
    assert "C06" in h.completeness.set_index("field").loc["cases.first_request_on", "used_by"]
    shared = hl.headlines(store.cursor(), hl.ProgrammeRequest("NORD-EXIT", h1, SHARED))
    assert "rows" not in shared.completeness.columns
    assert "filled" not in shared.completeness.columns
    with pytest.raises(hl.HeadlinesError):
        hl.headlines(
            store.cursor(),
            hl.ProgrammeRequest("NORD-EXIT", h1, Scope(programmes=frozenset({"KP-NAZORG"}))),
        )


@pytest.mark.slow  # builds and approves two demo organisations (~50 s)
def test_compare_on_the_store_uses_the_callers_scope(store: Store) -> None:
    q3 = quarter(2026, 3)
    for scope in (INTERNAL, SHARED):
        result = cmp.compare(store.cursor(), cmp.ComparisonRequest("C06", q3, scope))
        f = result.funnel
        frame = compute(store, IndicatorRequest(periods=(q3,), indicators=("C06",), scope=scope))
        shown = frame[~frame["suppressed"] & (frame["denominator"] >= cmp.MIN_DENOMINATOR)]
        compared = f.programmes[f.programmes["shown"]]
        assert set(compared["programme_id"]) == set(shown["programme_id"])
        assert f.numerator == shown["numerator"].sum()
        assert f.denominator == shown["denominator"].sum()
        assert (compared["denominator"] >= cmp.MIN_DENOMINATOR).all()
        assert len(f.programmes) + len(f.excluded) == 4
        if scope is SHARED:
            hidden = set(frame.loc[frame["suppressed"], "programme_id"])
            assert hidden  # the demo has small programmes
            # a hidden rate stays compared, never excluded, and the pooled rate is not the
            # shown programmes' alone
            assert hidden <= set(f.programmes.loc[~f.programmes["shown"], "programme_id"])
            assert f.pooled is None
            assert not any("fewer than" in r for r in f.excluded["reason"])
        else:
            assert set(result.trend["period"]) == {p.label for p in cmp.trend_periods(q3)}
    with pytest.raises(cmp.ComparisonError):
        cmp.compare(store.cursor(), cmp.ComparisonRequest("C01", q3))


# --------------------------------------------------------------------------------------------
# The pages


@pytest.fixture()
def page_env(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages read ``EVALUATION_DB``; demo mode lets a test pick the role (no sign-in)."""
    monkeypatch.setenv("EVALUATION_DB", str(demo.db))
    monkeypatch.setenv("EVALUATION_DEMO", "1")


def _page(name: str, role: str) -> AppTest:
    at = AppTest.from_file(PAGES[name], default_timeout=TIMEOUT)
    at.session_state[session.DEMO_ROLE_KEY] = role
    return at.run()


def _text(elements: object) -> str:
    return " ".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


@pytest.mark.slow  # runs the page on the approved demo store (~50 s to build)
@pytest.mark.usefixtures("page_env")
def test_comparison_page_renders_the_funnel_and_trend() -> None:
    at = _page("comparison", "evaluator")
    assert_page_ok(at)
    assert at.selectbox(key="comparison_indicator").value == "O06"
    assert at.selectbox(key="comparison_period").value == "2026-Q3"
    assert len(at.get("plotly_chart")) >= 1
    at.selectbox(key="comparison_indicator").set_value("C06").run()
    assert_page_ok(at)
    assert len(at.get("plotly_chart")) == 2  # the funnel and the small multiples
    assert "First contact within 7 days" in _text(at.markdown)  # the definition beside it


@pytest.mark.slow  # runs the page on the approved demo store (~50 s to build)
@pytest.mark.usefixtures("page_env")
def test_comparison_page_for_a_funder_lists_suppressed_programmes() -> None:
    at = _page("comparison", "funder")
    at.selectbox(key="comparison_indicator").set_value("C06").run()
    assert_page_ok(at)
    compared = at.dataframe[0].value
    hidden = compared[compared["Rate"] == marks.hidden()]
    assert len(hidden) >= 1  # hidden rates stay in the table, with what may be shown
    assert (hidden["Against the limits"] == marks.hidden()).all()
    assert hidden["95 % interval"].str.startswith(("hidden", "fewer than 5")).all()
    assert marks.legend() in [c.value for c in at.caption]
    assert "never computed over the shown programmes alone" in " ".join(
        str(c.value) for c in at.caption
    )
    assert len(at.get("plotly_chart")) >= 1


@pytest.mark.slow  # runs the page on the approved demo store (~50 s to build)
@pytest.mark.usefixtures("page_env")
def test_programme_page_renders_tiles_and_completeness() -> None:
    at = _page("programme", "cso_manager")
    assert_page_ok(at)
    assert at.selectbox(key="programme_period").value == "2026-Q3"
    labels = {m.label for m in at.metric}
    assert {"New exit cases", "Active exit caseload", "Planned closure rate"} <= labels
    assert len(at.get("plotly_chart")) == 1
    programmes = at.selectbox(key="programme_programme").options  # by name, not by code
    at.selectbox(key="programme_programme").select_index(len(programmes) - 1)
    at.selectbox(key="programme_period").set_value("2026-H1").run()
    assert_page_ok(at)
    assert "2025 H2" in _text(at.caption)


def test_parse_periods_round_trip_for_choices() -> None:
    """The pickers hold each period's spec: every offered spec parses back to the period."""
    for p in recent_periods(date(2026, 9, 30)):
        assert parse_periods(p.spec) == [p]
