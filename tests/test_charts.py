"""The charts of pages and reports (issue 13): each test would have caught one thing a reader met.

* a chart with nothing to show is one sentence, never an empty frame of axes;
* a count axis has whole-number ticks (no 2.5 people);
* a band or target is never drawn across hidden periods;
* the colours are far apart, for normal vision and the colour-vision deficiencies;
* numbers follow the reader's language (Plotly's separators, matplotlib's tick labels);
* period labels come from the label function, wrapped rather than cut ("2026-(");
* a trend starts at its first period with a figure, a small chart with nothing is left out;
* a hidden figure and a missing one look different and the legend says why;
* no chart text is a raw code, in English or German.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from evaluation.measures.catalogue import load_catalogue
from evaluation.periods import label, parse_periods
from evaluation.reports import charts as report_charts
from evaluation.reports.charts import ChartSpec, Series, plotly_dict, to_figure, to_png
from evaluation.views import charts
from evaluation.vocabulary import marks, numbers
from evaluation.vocabulary.language import using
from tests.raw_codes import raw_codes

QUARTERS = tuple(parse_periods("2022-Q1,2022-Q2,2022-Q3,2022-Q4,2023-Q1,2023-Q2,2023-Q3,2023-Q4"))
HIDDEN_SENTENCE = "Every value of this chart is hidden to protect small numbers."
NO_DATA_SENTENCE = "There is no data for this chart in the period."


def _frame(
    values: Sequence[float | None],
    *,
    programme: str = "P-1",
    hidden: Sequence[bool] | None = None,
    target: float | None = None,
    band: float | None = None,
    periods: Sequence[Any] = QUARTERS,
    **extra: Any,
) -> pd.DataFrame:
    n = len(values)
    hidden = list(hidden) if hidden is not None else [False] * n
    return pd.DataFrame(
        {
            "indicator_id": "X01",
            "indicator_version": 1,
            "programme_id": programme,
            "period_start": [p.start for p in periods[:n]],
            "period_end": [p.end for p in periods[:n]],
            "numerator": None,
            "denominator": None,
            "value": [None if h else v for v, h in zip(values, hidden, strict=True)],
            "ci_low": [None if v is None or band is None or h else v - band
                       for v, h in zip(values, hidden, strict=True)],
            "ci_high": [None if v is None or band is None or h else v + band
                        for v, h in zip(values, hidden, strict=True)],
            "status": ["no_data" if v is None and not h else "ok"
                       for v, h in zip(values, hidden, strict=True)],
            "suppressed": hidden,
            "target": target,
            "baseline": None,
            "completeness": None,
            **extra,
        }
    )  # fmt: skip


def _ind(code: str) -> Any:
    return load_catalogue().get(code)


def _texts(value: Any) -> Iterator[str]:
    """Every string a Plotly figure (or its dict) writes: names, titles, tick and hover texts."""
    if isinstance(value, go.Figure):
        value = value.to_plotly_json()
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, v in value.items():
            if key not in ("meta", "fillcolor", "color", "fgcolor", "bgcolor", "template"):
                yield from _texts(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _texts(v)


def _role(trace: Any, role: str) -> bool:
    meta = trace["meta"] if isinstance(trace, dict) else trace.meta
    return isinstance(meta, dict) and meta.get("role") == role


# -- a chart with nothing to show is one sentence ----------------------------------------------


def test_empty_sentence_reads_frames_figures_and_report_charts() -> None:
    hidden = _frame([1.0, 2.0], hidden=[True, True])
    missing = _frame([None, None])
    some = _frame([None, 2.0])
    assert charts.empty_sentence(hidden) == HIDDEN_SENTENCE
    assert charts.empty_sentence(missing) == NO_DATA_SENTENCE
    assert charts.empty_sentence(some) is None
    assert charts.empty_sentence(some.iloc[0:0]) == NO_DATA_SENTENCE
    assert charts.empty_sentence(None) == NO_DATA_SENTENCE
    assert charts.empty_sentence(missing, hidden=True) == HIDDEN_SENTENCE
    # any plotly figure: a trace without a role counts by its numbers
    assert charts.empty_sentence(go.Figure(go.Bar(x=["a"], y=[None]))) == NO_DATA_SENTENCE
    assert charts.empty_sentence(go.Figure(go.Bar(x=["a"], y=[0]))) is None  # a zero is a value
    assert charts.empty_sentence(go.Figure(go.Funnel(y=["a", "b"], x=[3, 2]))) is None
    assert charts.empty_sentence(go.Figure(go.Bar(x=[3], y=["a"], orientation="h"))) is None
    # gap columns, bands and targets are not figures
    gap_only = go.Figure(go.Bar(x=[0], y=[1], meta={"role": charts.HIDDEN}))
    assert charts.empty_sentence(gap_only) == HIDDEN_SENTENCE
    target_only = go.Figure(go.Scatter(x=[0], y=[1], meta={"role": charts.ROLE_TARGET}))
    assert charts.empty_sentence(target_only) == NO_DATA_SENTENCE
    # a report chart, its plotly dict, and the sentence in German
    spec = ChartSpec("t", "line", ("a", "b"), (Series("s", (None, None), hidden=(True, False)),))
    assert spec.empty_sentence == HIDDEN_SENTENCE
    assert charts.empty_sentence(plotly_dict(spec)) == HIDDEN_SENTENCE
    nothing = ChartSpec("t", "bar", ("a",), (Series("s", (float("nan"),)),))
    assert nothing.empty_sentence == NO_DATA_SENTENCE and nothing.points() == 0
    assert ChartSpec("t", "bar", ("a", "b"), (Series("s", (0.0, 2.0)),)).empty_sentence is None
    # a report chart of zeros alone says so in one sentence (tests/test_report_chart_finish.py)
    zeros = ChartSpec("t", "bar", ("a",), (Series("s", (0.0,)),))
    assert zeros.empty_sentence == "Every figure of this chart is 0."
    with using("de"):
        assert spec.empty_sentence == (
            "Jeder Wert dieses Diagramms ist zum Schutz kleiner Zahlen verborgen."
        )
        assert charts.empty_sentence(missing) == (
            "Für dieses Diagramm gibt es im Zeitraum keine Daten."
        )


def test_a_chart_of_hidden_figures_is_its_title_and_one_sentence() -> None:
    frame = _frame([3.0, 4.0, 2.0], hidden=[True, True, True])
    fig = charts.indicator_figure(frame, _ind("C01"))
    assert not fig.data  # no axes, no gap columns: nothing pretends to be a chart
    assert [a.text for a in fig.layout.annotations] == [HIDDEN_SENTENCE]
    assert charts.empty_sentence(fig) == HIDDEN_SENTENCE
    fig = charts.indicator_figure(_frame([None, None]), _ind("C01"))
    assert charts.empty_sentence(fig) == NO_DATA_SENTENCE
    drawn = charts.indicator_figure(_frame([None, 2.0]), _ind("C01"))
    assert charts.empty_sentence(drawn) is None


def test_a_report_chart_with_nothing_is_no_plot() -> None:
    spec = ChartSpec("C01 New cases", "bar", ("a", "b"), (Series("s", (None, None)),))
    figure = plotly_dict(spec)
    assert figure["data"] == []
    assert figure["layout"]["annotations"][0]["text"] == NO_DATA_SENTENCE
    assert to_png(spec)[:8] == b"\x89PNG\r\n\x1a\n"  # the fallback image says the sentence
    assert NO_DATA_SENTENCE in [t.get_text() for t in to_figure(spec).texts]


# -- whole numbers on count axes ---------------------------------------------------------------


@pytest.mark.parametrize("top", [1.0, 3.0, 7.0, 13.0, 37.0, 480.0, 12_500.0])
def test_count_axes_have_whole_number_ticks(top: float) -> None:
    fig = charts.indicator_figure(_frame([top / 2, top, 1.0]), _ind("C01"))
    axis = fig.layout.yaxis
    assert axis.tickmode == "linear" and axis.tick0 == 0
    assert axis.dtick >= 1 and float(axis.dtick).is_integer()
    assert ".0f" in axis.tickformat or axis.tickformat.endswith("d")
    assert top / axis.dtick <= 10  # a readable number of ticks

    spec = ChartSpec("t", "bar", ("a", "b", "c"), (Series("s", (top / 2, top, 1.0)),))
    layout = plotly_dict(spec)["layout"]["yaxis"]
    assert float(layout["dtick"]).is_integer() and layout["tickformat"] == ",d"
    ticks = to_figure(spec).axes[0].get_yticks()
    assert all(float(t).is_integer() for t in ticks), ticks


def test_count_step_is_whole_and_round() -> None:
    assert [charts.count_step(t) for t in (0.5, 1, 3, 6, 7, 13, 37, 480)] == [
        1,
        1,
        1,
        1,
        2,
        5,
        10,
        100,
    ]


# -- bands and targets break at hidden periods -------------------------------------------------


def test_band_and_target_are_not_drawn_across_hidden_periods() -> None:
    values = [0.4, 0.5, 0.5, 0.6, 0.7]
    frame = _frame(values, hidden=[False, False, True, False, False], target=0.6, band=0.1)
    fig = charts.indicator_figure(frame, _ind("C06"))
    bands = [t for t in fig.data if _role(t, charts.ROLE_BAND)]
    assert len(bands) == 2
    for band in bands:  # neither band reaches over the hidden quarter (x = 2)
        assert not (min(band.x) < 2 < max(band.x))
    target = next(t for t in fig.data if _role(t, charts.ROLE_TARGET))
    assert dict(zip(target.x, target.y, strict=True))[2.0] is None

    spec = ChartSpec(
        "t",
        "line",
        tuple(f"2025 Q{q}" for q in range(1, 6)),
        (
            Series(
                "s",
                (0.4, 0.5, None, 0.6, 0.7),
                (0.3, 0.4, None, 0.5, 0.6),
                (0.5, 0.6, None, 0.7, 0.8),
                hidden=(False, False, True, False, False),
            ),
        ),
        value_format="percent",
        target=(0.6,) * 5,
    )
    data = plotly_dict(spec)["data"]
    bands = [t for t in data if _role(t, "band")]
    assert len(bands) == 2 and all(not (min(b["x"]) < 2 < max(b["x"])) for b in bands)
    assert not any(t.get("fill") == "tonexty" for t in data)  # that fill crossed the gap
    target = next(t for t in data if _role(t, "target"))
    assert target["y"][2] is None and target["y"][3] == 60
    # matplotlib: no band polygon covers the hidden quarter, the target is not there
    ax = to_figure(spec).axes[0]
    for poly in ax.collections:
        xs = [x for path in poly.get_paths() for x, _y in path.vertices]
        if xs:
            assert not (min(xs) < 2 < max(xs))
    target_line = next(line for line in ax.lines if line.get_label() == "Target")
    assert math.isnan(target_line.get_ydata()[2])


# -- colours -----------------------------------------------------------------------------------


def _lab(colour: str, cvd: Sequence[Sequence[float]] | None = None) -> tuple[float, float, float]:
    def lin(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    rgb = [lin(int(colour[i : i + 2], 16)) for i in (1, 3, 5)]
    if cvd is not None:
        rgb = [max(0.0, min(1.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in cvd]
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


CVD = {  # Machado, Oliveira & Fernandes (2009), severity 1
    "deuteranopia": ((0.367, 0.861, -0.228), (0.280, 0.673, 0.047), (-0.012, 0.043, 0.969)),
    "protanopia": ((0.152, 1.053, -0.205), (0.115, 0.786, 0.099), (-0.004, -0.048, 1.052)),
    "tritanopia": ((1.256, -0.077, -0.179), (-0.078, 0.931, 0.148), (0.005, 0.691, 0.304)),
}


def _distance(a: str, b: str, cvd: Any = None) -> float:
    return math.dist(_lab(a, cvd), _lab(b, cvd))


def test_series_colours_are_far_apart_for_every_reader() -> None:
    """Near-identical colours: every pair of the colours a chart uses at once is at least
    ΔE 25 apart for normal vision and 15 for each colour-vision deficiency (CIE76)."""
    used = charts.PALETTE[: charts.MAX_SERIES]
    for a, b in itertools.combinations(used, 2):
        assert _distance(a, b) >= 25, (a, b)
        for name, matrix in CVD.items():
            assert _distance(a, b, matrix) >= 15, (a, b, name)
    for a, b in itertools.combinations(used[:3], 2):  # most charts have one to three series
        assert min(_distance(a, b, m) for m in CVD.values()) >= 20, (a, b)
    for colour in used:  # a series never looks like the target line
        assert _distance(colour, charts.TARGET_COLOUR) >= 25
    assert report_charts.PALETTE == charts.PALETTE  # pages and reports draw alike


def test_many_programmes_get_different_colours() -> None:
    frame = pd.concat(
        [_frame([1.0 + n, 2.0, 3.0], programme=f"P-{n}") for n in range(charts.MAX_SERIES)]
    )
    fig = charts.indicator_figure(frame, _ind("C01"))
    colours = [t.marker.color for t in fig.data if _role(t, charts.ROLE_VALUE)]
    assert len(colours) == len(set(colours)) == charts.MAX_SERIES


# -- the reader's language ---------------------------------------------------------------------


def test_german_numbers_in_plotly_and_matplotlib() -> None:
    assert charts.separators("en") == ".,"
    assert charts.separators("de") == ",."  # decimal comma, thousands point: 1.234,5
    frame = _frame([1200.5, 1500.25, 900.0])
    ratio = _ind("C01")
    spec = ChartSpec("t", "line", ("a", "b"), (Series("s", (0.25, 1.5)),), value_format="days")
    for lang, sep, half in (("en", ".,", "0.5"), ("de", ",.", "0,5")):
        with using(lang):
            assert charts.indicator_figure(frame, ratio).layout.separators == sep
            assert plotly_dict(spec)["layout"]["separators"] == sep
            formatter = to_figure(spec).axes[0].yaxis.get_major_formatter()
            assert formatter(0.5, 0) == half
    with using("de"):
        fig = charts.indicator_figure(frame, ratio)
        hover = " ".join(t for tr in fig.data for t in (tr.hovertext or ()))
        assert "1.200" in hover and "1,200" not in hover


def test_percent_axes_write_a_percent_as_the_tables_do() -> None:
    """The tables write ``100 %`` (``numbers.percent``); d3's ``.0%`` wrote ``100%`` on the
    axis beside them, in German too."""
    rate = _ind("O06")
    frame = _frame([0.25, 0.5, 1.0])
    for lang in ("en", "de"):
        with using(lang):
            fig = charts.indicator_figure(frame, rate)
            axis = fig.layout.yaxis
            assert axis.tickmode == "array"
            assert list(axis.tickvals) == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1])
            assert list(axis.ticktext) == [numbers.percent(v) for v in axis.tickvals]
            assert fig.layout.separators == charts.separators(lang)
    with using("de"):
        axis = charts.indicator_figure(frame, rate).layout.yaxis
        assert list(axis.ticktext) == ["0 %", "20 %", "40 %", "60 %", "80 %", "100 %"]
        assert charts.percent_ticks((0.5,))["ticktext"] == ["50 %"]


def test_period_ticks_come_from_the_label_function_in_the_language() -> None:
    frame = _frame([1.0, 2.0, 3.0])
    for lang in ("en", "de"):
        with using(lang):
            fig = charts.indicator_figure(frame, _ind("C01"))
            assert list(fig.layout.xaxis.ticktext) == [label(p, lang) for p in QUARTERS[:3]]


def test_long_period_labels_are_wrapped_never_cut() -> None:
    long = "1 Apr 2025 – 31 Mar 2026"
    wrapped = charts.tick_text(long)
    assert "<br>" in wrapped and wrapped.replace("<br>", " ").replace("  ", " ") == long
    assert charts.tick_text("2025 Q1") == "2025 Q1"
    cats = tuple(f"{m}. Monat 2026 (noch nicht abgeschlossen)" for m in range(1, 13))
    labels, angle = report_charts.tick_labels(cats, 5.6)
    joined = [t.replace("\n", " ") for t in labels]
    assert joined == list(cats)  # every word of every label is there
    assert angle in (0, 30)
    spec = ChartSpec("t", "bar", cats, (Series("s", tuple(float(m) for m in range(12))),))
    fig = to_figure(spec)
    fig.canvas.draw()
    width, height = fig.canvas.get_width_height()
    for tick in fig.axes[0].get_xticklabels():  # inside the image: nothing cut at an edge
        box = tick.get_window_extent()
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, box
    layout = plotly_dict(spec)["layout"]
    assert layout["xaxis"]["automargin"] is True


# -- nothing to see: leading periods and blank small charts -----------------------------------


def test_a_trend_starts_at_the_first_period_with_a_figure() -> None:
    values = [1.0, 2.0, None, 4.0, 5.0, 6.0, 7.0, 8.0]
    frame = _frame(values, hidden=[True, True, False, False, False, False, True, False])
    fig = charts.indicator_figure(frame, _ind("C01"))
    assert fig.layout.xaxis.ticktext[0] == QUARTERS[3].label
    assert "Starts at 2022 Q4" in fig.layout.title.subtitle.text
    assert "2022 Q1" not in " ".join(_texts(fig))

    spec = ChartSpec(
        "t",
        "line",
        tuple(p.label for p in QUARTERS),
        (Series("s", (None, None, None, 0.4, 0.5, None, 0.6, 0.7), hidden=(True,) * 3),),
        target=(0.5,) * 8,
    )
    drawn = spec.drawn()
    assert drawn.categories == spec.categories[3:]
    assert drawn.target[2] is None  # the hidden 2023 Q2: no target there either
    assert plotly_dict(spec)["layout"]["xaxis"]["ticktext"][0] == "2022 Q4"


def test_small_charts_with_nothing_in_them_are_left_out_and_named() -> None:
    frames = [
        _frame([0.5, 0.6, 0.7], programme=f"P-{n}", band=0.1, hidden=[n == 0] * 3) for n in range(5)
    ]
    fig = charts.indicator_figure(pd.concat(frames), _ind("C06"))
    titles = [a.text for a in fig.layout.annotations]
    assert "P-0" not in titles and {"P-1", "P-2", "P-3", "P-4"} <= set(titles)
    assert "No chart of P-0" in fig.layout.title.subtitle.text


# -- hidden versus no data ---------------------------------------------------------------------


def test_hidden_and_missing_look_different_and_the_legend_says_why() -> None:
    frame = _frame([1.0, 2.0, None, 4.0], hidden=[False, True, False, False])
    fig = charts.indicator_figure(frame, _ind("C01"))
    hidden = next(t for t in fig.data if _role(t, charts.HIDDEN))
    missing = next(t for t in fig.data if _role(t, charts.NO_DATA))
    assert hidden.marker.pattern.shape != missing.marker.pattern.shape
    assert hidden.marker.pattern.fgcolor != missing.marker.pattern.fgcolor
    assert hidden.name == marks.legend().split(" · ")[0]
    assert missing.name == marks.legend().split(" · ")[1]
    assert hidden.showlegend and missing.showlegend

    spec = ChartSpec(
        "t",
        "bar",
        ("a", "b", "c"),
        (Series("s", (1.0, None, None), hidden=(False, True, False)),),
        min_count=4,
    )
    data = plotly_dict(spec)["data"]
    gaps = {t["meta"]["role"]: t for t in data if t["meta"]["role"] in ("hidden", "no_data")}
    assert gaps["hidden"]["x"] == [1] and gaps["no_data"]["x"] == [2]
    assert (
        gaps["hidden"]["marker"]["pattern"]["shape"]
        != gaps["no_data"]["marker"]["pattern"]["shape"]
    )
    assert "fewer than 4" in gaps["hidden"]["name"]
    legend = [t.get_text() for t in to_figure(spec).legends[0].get_texts()]
    assert marks.legend(4).split(" · ") == [t for t in legend if ":" in t]


# -- words, not codes --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "de"])
def test_no_chart_text_is_a_raw_code(lang: str) -> None:
    codes = ["right_wing", "left_wing", "mixed_unclear", "single_issue", None]
    frame = pd.concat(
        [
            _frame([5.0, 6.0, 7.0], ideology=code, hidden=[code == "single_issue"] * 3)
            for code in codes
        ]
    )
    with using(lang):
        figures = [
            charts.indicator_figure(frame, _ind("C01"), split="ideology"),
            charts.indicator_figure(frame[frame.ideology == "left_wing"], _ind("C06")),
            charts.indicator_figure(frame.iloc[0:0], _ind("C01")),
        ]
        spec = ChartSpec(
            "C01", "bar", tuple(label(p, lang) for p in QUARTERS[:2]), (Series("s", (1.0, None)),)
        )
        texts = [t for f in figures for t in _texts(f)] + list(_texts(plotly_dict(spec)))
        texts += [t.get_text() for ax in to_figure(spec).axes for t in ax.get_xticklabels()]
    found = sorted({c for t in texts for c in raw_codes(t)})
    assert not found, found
    assert not any("Not split" in t for t in texts) or lang == "en"


def test_german_chart_texts_are_german() -> None:
    frame = _frame([0.5, None, 0.7], hidden=[False, True, False], band=0.1, target=0.6)
    with using("de"):
        fig = charts.indicator_figure(frame, _ind("C06"))
    text = " ".join(_texts(fig))
    for english in ("Shaded", "Dashed", "Target", "hidden to protect", "interval"):
        assert english not in text, english
    assert "Ziel" in text and "95-%-Intervall" in text


def test_a_long_name_breaks_where_its_language_hyphenates_it() -> None:
    """A tick label's long word breaks at a syllable (``Angehörigen-<br>beratung``), never
    inside one (``Angehörigenb-<br>eratung``)."""
    from evaluation.views.charts import name_text
    from evaluation.vocabulary.language import using

    with using("de"):
        assert name_text("Angehörigenberatung", 12) == "Angehörigen-<br>beratung"
        assert name_text("Fallkonferenzen Nord", 12) == "Fallkonfe-<br>renzen Nord"
    with using("en"):
        assert name_text("Counselling programme", 12) == "Counselling<br>programme"
        assert all(len(line) <= 12 for line in name_text("Deradicalisation", 12).split("<br>"))
