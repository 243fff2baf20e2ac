"""Report charts say what they draw (issue 13, the reviewers' findings on report charts).

Real report packs are built, in English and German, from the shipped demo store (the
ministry's renewal report of every demo programme, where the reviewers saw the faults) and from
the hand-made oracle package (every template at its golden period), and every chart they draw
is drawn again with matplotlib, as Word and PDF show it:

* a chart leaves out the hidden or empty periods before its first figure, and its note says so
  ("Starts at 2024 Q3 …" / "Beginnt mit Q3 2024 …"); the note's count of hidden periods is the
  number of hidden columns drawn;
* no chart is drawn whose figures are only zeros among hidden values: one sentence stands in
  its place, saying the figures shown are 0 and how many periods are hidden;
* the legend of a hidden figure is a row of crosses drawn as markers (``Line2D``), never a
  hatched swatch cut to stray strokes ("⸝ ✕") nor a text glyph.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from matplotlib.lines import Line2D

from evaluation.demo.prebuilt import restore
from evaluation.periods import parse_periods
from evaluation.reports.charts import (
    GAP_HATCHES,
    ChartSpec,
    Series,
    start_note,
    to_figure,
    to_png,
)
from evaluation.reports.model import Report, build_report, build_reports
from evaluation.reports.spec import period_choices
from evaluation.store.access import Scope
from evaluation.store.database import Store
from evaluation.views.programmes import programmes_in_scope
from evaluation.vocabulary.language import n_, using
from tests.test_reports import GOLDEN_PERIODS

LANGS = ("en", "de")
STRAY = ("⸝", "✕", "\u2e1d", "\u2715")
"""What the reviewers saw in the legend of a hidden figure."""
ZERO_SAID = {"en": "that may be shown is 0;", "de": "die gezeigt werden darf, ist 0;"}


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The shipped demo store, restored as ``evaluation demo`` restores it."""
    with Store.open(tmp_path_factory.mktemp("demo") / "store.duckdb") as store:
        assert restore(store, None)
        yield store


@pytest.fixture(scope="module")
def packs(
    demo_store: Store, oracle_store: Store, report_templates
) -> Callable[[str], list[Report]]:
    """The reports of a language: the ministry's renewal report of every demo programme for
    the period the Reports page offers first, and every template of the oracle package."""
    made: dict[str, list[Report]] = {}

    def get(lang: str) -> list[Report]:
        if lang not in made:
            ministry = report_templates.get("ministry-annual")
            info = programmes_in_scope(demo_store.cursor(), Scope.everything()).iloc[0]
            period = period_choices(ministry, info["data_as_of"], info["first_date"])[0]
            out = list(build_reports(demo_store, ministry, period, lang=lang))
            for template, spec in GOLDEN_PERIODS.items():
                out.append(
                    build_report(
                        oracle_store,
                        report_templates.get(template),
                        "P-A",
                        parse_periods(spec)[0],
                        lang=lang,
                    )
                )
            made[lang] = out
        return made[lang]

    return get


def _charts(reports: list[Report]) -> list[ChartSpec]:
    return [c for r in reports for s in r.sections for c in s.charts]


def _hidden_said(note: str, lang: str) -> list[int]:
    """The counts of hidden periods a chart's note states."""
    with using(lang):
        words = n_(
            "{n} hidden to protect small numbers", "{n} hidden to protect small numbers", 2
        ).replace("2", "", 1)
    return [int(n) for n in re.findall(r"(\d+)" + re.escape(words), note)]


@pytest.mark.parametrize("lang", LANGS)
def test_the_note_counts_the_hidden_periods_drawn(
    packs: Callable[[str], list[Report]], lang: str
) -> None:
    charts = _charts(packs(lang))
    started = [c for c in charts if c.start() > 0]
    assert started, "the packs hold a chart that starts after its first period"
    assert any(any(i < c.start() for i in c.gaps()["hidden"]) for c in charts), (
        "the packs hold a chart with hidden periods before its first figure"
    )
    for chart in charts:
        drawn = chart.drawn()
        hidden = len(drawn.gaps()["hidden"])
        assert _hidden_said(chart.note, lang) == ([hidden] if hidden else []), chart
        with using(lang):
            start = start_note(chart)
            figure = to_figure(chart)
        if chart.start():
            assert start and start in chart.note and chart.categories[chart.start()] in start
            assert drawn.categories == chart.categories[chart.start() :]
        else:
            assert not start and drawn.categories == chart.categories
        ax = figure.axes[0]
        columns = [p for p in ax.patches if p.get_hatch() == GAP_HATCHES["hidden"]]
        assert len(columns) == hidden, chart.title  # one hatched column per hidden period
        said = "\n".join(t.get_text() for t in figure.texts)
        assert said.replace("\n", " ") == " ".join(chart.note.split()) or not chart.note
    if lang == "de":
        assert any("Beginnt mit" in c.note for c in started)
    else:
        assert any("Starts at" in c.note for c in started)


@pytest.mark.parametrize("lang", LANGS)
def test_no_chart_of_zeros_and_hidden_values_is_drawn(
    packs: Callable[[str], list[Report]], lang: str
) -> None:
    reports = packs(lang)
    for chart in _charts(reports):
        shown = [v for s in chart.series for v in s.values if v is not None]
        assert any(v != 0 for v in shown), f"{chart.title}: only zeros drawn"
    said = " ".join(n for r in reports for s in r.sections for n in s.chart_notes)
    # the funder's pack of the demo: C02 (new concerned-person cases) is 0 or hidden
    assert re.search(r"\(C02\)[^()]*?" + re.escape(ZERO_SAID[lang]), said), said


@pytest.mark.parametrize("lang", LANGS)
def test_a_chart_of_zeros_is_one_sentence_in_its_language(lang: str) -> None:
    spec = ChartSpec(
        "C02 New concerned-person cases",
        "bar",
        ("a", "b", "c", "d"),
        (Series("s", (0.0, None, 0.0, None), hidden=(False, True, False, True)),),
    )
    zeros = ChartSpec("K03", "bar", ("a", "b"), (Series("s", (0.0, 0.0)),))
    share = ChartSpec(
        "C11", "line", ("a", "b"), (Series("s", (0.0, None)),), value_format="percent"
    )
    with using(lang):
        if lang == "de":
            assert spec.empty_sentence == (
                "Jede Zahl dieses Diagramms, die gezeigt werden darf, ist 0; 2 Zeiträume "
                "zum Schutz kleiner Zahlen verborgen (weniger als 5)."
            )
            assert zeros.empty_sentence == "Jede Zahl dieses Diagramms ist 0."
            assert "ist 0 %;" in str(share.empty_sentence)
        else:
            assert spec.empty_sentence == (
                "Every figure of this chart that may be shown is 0; 2 periods hidden to "
                "protect small numbers (fewer than 5)."
            )
            assert zeros.empty_sentence == "Every figure of this chart is 0."
            assert "is 0 %;" in str(share.empty_sentence)
        figure = to_figure(spec)
        sentence = spec.empty_sentence
    assert not figure.axes  # no axis from 0 to 1: the sentence instead
    assert sentence in [t.get_text().replace("\n", " ") for t in figure.texts]
    # a zero among other figures is a figure: that chart is drawn
    assert ChartSpec("t", "bar", ("a", "b"), (Series("s", (0.0, 3.0)),)).empty_sentence is None


@pytest.mark.parametrize("lang", LANGS)
def test_the_hidden_mark_in_the_legend_is_a_marker_not_a_glyph(
    packs: Callable[[str], list[Report]], lang: str, tmp_path: Path
) -> None:
    charts = [c for c in _charts(packs(lang)) if c.drawn().gaps()["hidden"]]
    assert charts
    for chart in charts:
        with using(lang):
            figure = to_figure(chart)
        legend = figure.legends[0]
        texts = [t.get_text() for t in legend.get_texts()]
        assert not any(g in t for t in texts for g in STRAY), texts
        assert not any(g in t.get_text() for t in figure.texts for g in STRAY)
        marks = {
            t.get_text(): h
            for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)
            if isinstance(h, Line2D) and h.get_marker() in ("x", "o")
        }
        hidden = next(t for t in texts if t.startswith("hidden" if lang == "en" else "verborgen"))
        assert hidden in marks and marks[hidden].get_marker() == "x"
        assert marks[hidden].get_linestyle() == "None"  # marks only, no stroke
    with using(lang):
        png = to_png(charts[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / f"hidden-{lang}.png").write_bytes(png)


@pytest.mark.parametrize("lang", LANGS)
def test_the_word_pack_draws_the_charts_and_says_the_zeros(
    packs: Callable[[str], list[Report]], lang: str, tmp_path: Path
) -> None:
    import docx

    from evaluation.reports.docx import write_docx

    report = next(
        r
        for r in packs(lang)
        if any(ZERO_SAID[lang] in n for s in r.sections for n in s.chart_notes)
    )
    document = docx.Document(str(write_docx(report, tmp_path / f"report-{lang}.docx")))
    assert len(document.inline_shapes) == len(report.charts)  # the zero charts are not drawn
    text = "\n".join(p.text for p in document.paragraphs)
    assert ZERO_SAID[lang] in text
    images = {
        rel.target_part.blob
        for rel in document.part.rels.values()
        if rel.reltype.endswith("/image")
    }
    with using(lang):
        drawn = {to_png(c) for c in report.charts}
    assert images == drawn  # what the tests above drew is what Word shows
