"""A report as plain data: what every format writes, built once from the engine's results.

``build_reports`` computes everything one template asks for, for one or many programmes, in one
pass of the engine (``compute_together``: the summary, the trends and the splits are protected
as one publication), and returns a ``Report`` per programme: the cover, the summary table, the
drafted narrative, the sections with their tables and charts, and the annexes (definitions, data
quality, method, provenance, tidy data). The writers (``xlsx``, ``docx``, ``html``, ``pdf``)
only lay this out; none of them computes or formats a figure on its own, so the four files of a
pack always say the same thing.

A shared report reads every figure from the releases covering its periods, its data quality
too: the completeness each released cell carries (blank where the cell is hidden), not a share
counted from the case rows, and the method note states the thresholds recorded with those
releases.

A report is written in one language (``Report.lang``: ``build_reports(lang=...)``, by default
the language of the moment): its headings, table headers, notes and sentences are built in it,
its cells' texts and dates are read in it (``Cell.text`` follows the language of the moment, and
every writer writes within ``language.using(report.lang)``), and no code reaches a reader: split
values are named by ``code_label`` in their order (``code_order``), periods by their label. A
chart with nothing to show (every figure hidden or missing, or every figure shown a 0) is not
drawn: one sentence in the section says which charts are left out and why
(``Section.chart_notes``). A chart drawn from its first figure says so in its note, which counts
only the gaps drawn (``ChartSpec.start``, ``charts.start_note``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from evaluation import __version__
from evaluation.errors import EvaluationError
from evaluation.measures.catalogue import Catalogue, Indicator, load_catalogue
from evaluation.measures.completeness import completeness
from evaluation.measures.engine import IndicatorRequest, as_number, compute_together, shown_number
from evaluation.periods import Period, ending_with, from_days, period_of
from evaluation.reports.charts import (
    ChartSpec,
    Series,
    ValueFormat,
    start_note,
    zero_gaps,
    zero_text,
)
from evaluation.reports.narrative import (
    Figure,
    and_list,
    day_text,
    draft,
    indicator_name,
    period_label,
    sentence,
)
from evaluation.reports.spec import (
    ReportTemplate,
    headline_indicators,
    section_indicators,
)
from evaluation.sharing.disclosure import DisclosureSettings, method_note
from evaluation.sharing.releases.read import RELEASE_COLUMNS, release_note, release_settings
from evaluation.store.access import Scope
from evaluation.store.database import Store, cursor_of
from evaluation.views.comparison import METHOD as COMPARISON_METHOD
from evaluation.views.programme import completeness_table, released_completeness
from evaluation.views.programmes import programmes_in_scope
from evaluation.vocabulary import marks, numbers
from evaluation.vocabulary.audiences import Audience
from evaluation.vocabulary.codes import code_label, code_order
from evaluation.vocabulary.kinds import AMOUNT_KINDS, PERCENT_KINDS
from evaluation.vocabulary.language import N_, _, current, n_, normalise, using
from evaluation.vocabulary.names import shown_name
from evaluation.vocabulary.splits import split_name
from evaluation.vocabulary.units import is_money

HIDDEN = marks.HIDDEN
NO_DATA = marks.NO_DATA
Progress = Callable[[str, float], None]


class ReportError(EvaluationError, ValueError):
    """The report cannot be made (unknown programme, period the template does not take …)."""


@dataclass(frozen=True)
class Cell:
    """One table cell: the number (or text) and how to show it."""

    value: float | str | None
    fmt: str = "text"
    """``text``, ``number``, ``percent``, ``eur``, ``days``, ``months``, ``points``, ``change``,
    ``interval`` (a rate's 95 % interval: ``value`` is its low end, ``high`` its high end)."""
    state: str = "ok"
    """``ok``, ``hidden`` (suppressed), ``no_data``, ``partial`` (period not over)."""
    high: float | None = None
    """The high end of an ``interval``."""

    @property
    def text(self) -> str:
        """The cell as a person reads it, in the language of the moment."""
        if self.state == "hidden":
            return marks.hidden()
        if self.value is None or (isinstance(self.value, float) and math.isnan(self.value)):
            return marks.no_data() if self.state == "no_data" else numbers.MISSING
        if isinstance(self.value, str):
            return self.value
        if self.fmt == "interval":
            if self.high is None:
                return numbers.MISSING
            return numbers.interval(float(self.value), self.high, current())
        return formatas_number(self.value, self.fmt)

    @property
    def number(self) -> float | None:
        """The cell's one number (``None`` for a text, a hidden figure or an interval)."""
        if (
            self.state == "hidden"
            or self.fmt == "interval"
            or isinstance(self.value, str)
            or self.value is None
        ):
            return None
        return None if math.isnan(float(self.value)) else float(self.value)

    @property
    def bounds(self) -> tuple[float, float] | None:
        """An interval's two ends (``None`` unless the cell is a shown interval)."""
        if self.fmt != "interval" or self.state == "hidden":
            return None
        if not isinstance(self.value, int | float) or self.high is None:
            return None
        return float(self.value), float(self.high)


def formatas_number(value: float, fmt: str) -> str:
    """A cell's number in its format, as ``vocabulary.numbers`` writes it in the language of
    the moment."""
    lang = current()
    if fmt == "percent":
        return numbers.percent(value, lang)
    if fmt == "points":
        return numbers.points(value, lang)
    if fmt == "change":
        return numbers.change(value, lang)
    if fmt == "eur":
        return numbers.amount(value, lang=lang)
    return numbers.number(value, lang)


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    key: str = ""
    """A stable name for tests and the XLSX sheet (``summary``, ``cases-and-reach``)."""


@dataclass
class Section:
    heading: str
    intro: str
    narrative: list[str]
    tables: list[Table]
    charts: list[ChartSpec]
    chart_notes: list[str] = field(default_factory=list)
    """What stands for the charts with nothing to show: one sentence naming them and why."""


@dataclass
class Report:
    template: ReportTemplate
    title: str
    funder: str
    programme_id: str
    programme: str
    organisation: str
    period: Period
    previous_period: Period
    data_as_of: dt.date | None
    generated_at: dt.datetime
    audience: str
    summary: Table
    narrative: list[str]
    sections: list[Section]
    definitions: Table
    data_quality: list[Table]
    data_quality_notes: list[str]
    method: list[str]
    provenance: list[tuple[str, str]]
    data: pd.DataFrame
    """The tidy rows behind every figure of the report (the audience's view)."""
    release: str = ""
    """Shared reports: the releases every figure was read from (``Release 3, approved 4 Dec
    2026``), on the cover and in the provenance; empty for an internal report."""
    lang: str = "en"
    """The language the report is written in; every writer writes within ``using(lang)``."""
    value_formats: dict[str, str] = field(default_factory=dict)
    """How each indicator's values are shown (``value_format``), by indicator id."""
    chart_images: dict[int, bytes] = field(default_factory=dict, repr=False)
    """Each chart's image for Word and PDF by ``id(chart)``, drawn once: by ``chart_png`` on
    demand, or ahead in worker processes by ``pack.charts_drawn``."""
    chart_pending: dict[int, Future[tuple[bytes, bytes]]] = field(default_factory=dict, repr=False)
    """Charts being drawn in worker processes while the writers write (``pack.charts_drawn``),
    by ``id(chart)``: each a future of its ``png_key`` and image. Empty outside a pack."""

    @property
    def charts(self) -> list[ChartSpec]:
        return [c for s in self.sections for c in s.charts]

    def chart_png(self, chart: ChartSpec) -> bytes:
        """The chart drawn for Word and PDF, drawn once per report (or waited for, where a
        worker draws it)."""
        from evaluation.reports.charts import keep_png, to_png

        key = id(chart)
        if key not in self.chart_images:
            pending = self.chart_pending.pop(key, None)
            if pending is None:
                self.chart_images[key] = to_png(chart)
            else:
                content, png = pending.result()
                keep_png(content, png)
                self.chart_images[key] = png
        return self.chart_images[key]

    @property
    def logo(self) -> Path | None:
        """The funder's logo file beside the template, when the template names one."""
        path = self.template.resolve(self.template.funder.logo)
        return path if path is not None and path.is_file() else None

    @property
    def file_stem(self) -> str:
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in self.programme_id)
        return f"{self.template.id}_{safe}_{self.period.spec.replace('..', '_to_')}"

    @property
    def draft_notice(self) -> str:
        return _(self.template.wording.draft_notice)

    @property
    def period_label(self) -> str:
        """The report period's label in the language of the moment."""
        return period_label(self.period)


# --------------------------------------------------------------------------------------------
# Building


def value_format(ind: Indicator) -> ValueFormat:
    if ind.kind in PERCENT_KINDS:
        return "percent"
    if is_money(ind.unit):
        return "eur"
    if ind.kind == "median":
        return "days"
    if ind.kind == "months":
        return "months"
    return "number"


def trend_periods(template: ReportTemplate, period: Period) -> list[Period]:
    """The ``trend.count`` whole periods of ``trend.type`` ending with the one holding the
    report period's last day, oldest first."""
    return ending_with(period_of(template.trend.type, period.end), template.trend.count)


def _figure(row: dict | None) -> Figure:
    if row is None:
        return Figure(None, None, None, None, None, "no_data", False, None)

    value, numerator, denominator, ci_low, ci_high, completeness = (
        shown_number(row, c)
        for c in ("value", "numerator", "denominator", "ci_low", "ci_high", "completeness")
    )
    return Figure(
        value,
        numerator,
        denominator,
        ci_low,
        ci_high,
        str(row.get("status")),
        bool(row.get("suppressed")),
        completeness,
    )


def _state(f: Figure) -> str:
    if f.suppressed:
        return "hidden"
    if f.status == "no_data":
        return "no_data"
    if f.status == "partial_period":
        return "partial"
    return "ok"


class _Rows:
    """Index of result rows by (indicator key, programme, period, split value)."""

    def __init__(self, frame: pd.DataFrame, split: str | None = None) -> None:
        self.rows: dict[tuple, dict] = {}
        for row in frame.to_dict("records"):
            key = (
                f"{row['indicator_id']}@{row['indicator_version']}",
                row["programme_id"],
                row["period_start"],
                row["period_end"],
                row.get(split) if split else None,
            )
            self.rows[key] = row

    def get(
        self, ind: Indicator, programme: str, period: Period, value: object = None
    ) -> dict | None:
        return self.rows.get((ind.key, programme, period.start, period.end, value))

    def values_of(self, ind: Indicator, programme: str, period: Period) -> list[object]:
        return [k[4] for k in self.rows if k[:4] == (ind.key, programme, period.start, period.end)]


def _change(ind: Indicator, now: Figure, before: Figure) -> Cell:
    if (
        now.value is None
        or before.value is None
        or now.status == "no_data"
        or before.status == "no_data"
    ):
        return Cell(None)
    if ind.kind in PERCENT_KINDS:
        return Cell(now.value - before.value, "points")
    if is_money(ind.unit):  # whole euros, as the amounts beside it
        return Cell(float(round(now.value - before.value)), "change")
    # the difference of the two figures as shown (5.8 and 5.7: +0.1, never +0.16)
    places = 1 if max(abs(now.value), abs(before.value)) >= 1 else 2
    return Cell(round(round(now.value, places) - round(before.value, places), places), "change")


def _indicator_rows(
    template: ReportTemplate,
    inds: Sequence[Indicator],
    rows: _Rows,
    programme: str,
    period: Period,
    previous: Period,
) -> list[tuple[Cell, ...]]:
    out = []
    for ind in inds:
        now = _figure(rows.get(ind, programme, period))
        before = _figure(rows.get(ind, programme, previous))
        row = rows.get(ind, programme, period) or {}
        fmt = value_format(ind)
        cells = [
            Cell(f"{ind.id} {_(ind.name)}"),
            Cell(_(ind.unit)),
            Cell(now.value, fmt, _state(now)),
        ]
        if not template.counts_only:
            shown = now.ci_low is not None and now.ci_high is not None
            cells.append(
                Cell(
                    now.ci_low if shown else None,
                    "interval",
                    "hidden" if now.suppressed else "ok",
                    high=now.ci_high if shown else None,
                )
            )
        cells += [Cell(before.value, fmt, _state(before)), _change(ind, now, before)]
        if template.show_targets:
            cells.append(Cell(as_number(row.get("target")), fmt))
        if template.show_baselines:
            cells.append(Cell(as_number(row.get("baseline")), fmt))
        out.append(tuple(cells))
    return out


def _indicator_header(
    template: ReportTemplate, period: Period, previous: Period
) -> tuple[str, ...]:
    head = [_("Indicator"), _("Unit"), period_label(period)]
    if not template.counts_only:
        head.append(_("95 % interval"))
    head += [period_label(previous), _("Change")]
    if template.show_targets:
        head.append(_("Target"))
    if template.show_baselines:
        head.append(_("Baseline"))
    return tuple(head)


def _trend_chart(
    ind: Indicator, rows: _Rows, programme: str, trend: list[Period], min_count: int = 5
) -> ChartSpec:
    """An indicator's chart over ``trend``. Its note counts the gaps the chart draws: from
    its first period with a figure (``ChartSpec.start``), after the sentence saying the chart
    starts there (``start_note``) when periods before it are left out."""
    figs = [_figure(rows.get(ind, programme, p)) for p in trend]
    band = ind.kind == "proportion"
    series = Series(
        _(ind.name),
        tuple(f.value for f in figs),
        tuple(f.ci_low for f in figs) if band else (),
        tuple(f.ci_high for f in figs) if band else (),
        hidden=tuple(f.suppressed for f in figs),
    )
    targets = tuple(as_number((rows.get(ind, programme, p) or {}).get("target")) for p in trend)
    spec = ChartSpec(
        title=f"{ind.id} {_(ind.name)}",
        kind="bar" if ind.kind in AMOUNT_KINDS else "line",
        categories=tuple(period_label(p) for p in trend),
        series=(series,),
        value_format=value_format(ind),
        y_title=_(ind.unit),
        target=targets if any(t is not None for t in targets) else (),
        min_count=min_count,
    )
    first = spec.start()
    drawn = list(zip(trend[first:], figs[first:], strict=True))
    hidden = sum(f.suppressed for _p, f in drawn)
    missing = sum(f.status == "no_data" and not f.suppressed for _p, f in drawn)
    partial = [
        period_label(p) for p, f in drawn if f.status == "partial_period" and not f.suppressed
    ]
    notes = []
    if hidden:
        notes.append(
            n_("{n} hidden to protect small numbers", "{n} hidden to protect small numbers", hidden)
        )
    if missing:
        notes.append(n_("{n} without data", "{n} without data", missing))
    if partial:
        notes.append(_("{periods} not over yet", periods=and_list(partial)))
    said = [start_note(spec)] if first else []
    said += [_("Gaps: {gaps}.", gaps="; ".join(notes))] if notes else []
    return dataclasses.replace(spec, note=" ".join(said))


def _split_table(
    template: ReportTemplate,
    inds: Sequence[Indicator],
    rows: _Rows,
    split: str,
    programme: str,
    period: Period,
    heading: str,
    legend_count: int = 5,
) -> Table:
    out = []
    for ind in inds:
        if ind.splits != "case":
            continue
        fmt = value_format(ind)
        found = rows.values_of(ind, programme, period)
        known = {str(v): v for v in found if not _missing(v)}
        ordered = [known[c] for c in code_order(split, list(known))]
        values = [*ordered, *(v for v in found if _missing(v))]
        for v in values:
            f = _figure(rows.get(ind, programme, period, v))
            base = f.denominator if ind.kind == "proportion" else None
            cells = [
                Cell(f"{ind.id} {_(ind.name)}"),
                Cell(split_label(v, split)),
                Cell(f.value, fmt, _state(f)),
            ]
            if not template.counts_only:
                cells.append(Cell(base, "number", "hidden" if f.suppressed else "ok"))
            out.append(tuple(cells))
    name = _(split_name(split))
    header = (_("Indicator"), name, period_label(period)) + (
        () if template.counts_only else (_("Out of"),)
    )
    return Table(
        _("{heading}: {by}", heading=heading, by=by_split(split)),
        header,
        tuple(out),
        note=marks.legend(legend_count),
        key=f"by-{split}",
    )


BY_SPLIT: dict[str, str] = {
    "client_type": N_("by client type"),
    "referral_source": N_("by referral source"),
    "participation": N_("by participation"),
    "setting_at_intake": N_("by setting at intake"),
    "ideology": N_("by ideology"),
    "gender": N_("by gender"),
    "age_band": N_("by age band"),
    "returnee": N_("by returnee"),
    "risk_at_intake": N_("by risk at intake"),
    "region": N_("by region"),
    "organisation": N_("by organisation"),
    "country": N_("by country"),
    "intervention_type": N_("by intervention type"),
    "setting": N_("by setting"),
}
"""How a table split by each column is titled (``Cases and reach: by age band``)."""


def by_split(split: str) -> str:
    """``by age band`` in the language of the moment."""
    if split in BY_SPLIT:
        return _(BY_SPLIT[split])
    return _("by {split}", split=split_name(split).lower())


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


YES_NO = {"true": N_("Yes"), "false": N_("No")}
"""The values of a yes-or-no split column (``returnee``), by what the engine gives."""


def split_label(value: object, column: str = "") -> str:
    """A split value as a reader sees it, in the language of the moment: its display name
    (``code_label``); a value no vocabulary names reads with dashes between digits and spaces
    for underscores (``18_24`` → ``18–24``); a missing value → ``not recorded``."""
    if _missing(value):
        return code_label(column, None)
    text = str(value)
    named = code_label(column, text)
    if column and (text in code_order(column) or named != text.replace("_", " ").capitalize()):
        return named  # a named code, even one whose name is the code capitalised (Female)
    if text.lower() in YES_NO:  # a yes-or-no column (returnee): "Returnee: Yes"
        return _(YES_NO[text.lower()])
    text = re.sub(r"(?<=\d)_(?=\d)", "–", text)
    return text.replace("_", " ")


def _slug(text: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")[:40]


def build_reports(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    template: ReportTemplate,
    period: Period,
    programmes: Sequence[str] | None = None,
    *,
    scope: Scope | None = None,
    catalogue: Catalogue | None = None,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    lang: str | None = None,
) -> Iterator[Report]:
    """One ``Report`` per programme (every programme in scope when ``programmes`` is None),
    written in ``lang`` (default: the language of the moment).

    Raises ``ReportError`` for a period the template does not take or a programme outside the
    caller's scope. A template for the shared audience always gets suppressed figures; an
    internal template read with a shared scope is shared too (the engine decides).
    """
    lang = normalise(lang) if lang else current()
    catalogue = catalogue or load_catalogue()
    scope = scope or Scope.everything()
    progress = progress or (lambda _m, _f: None)
    check_period(template, period)
    cur = cursor_of(store_or_cursor)
    chosen = choose_programmes(cur, scope, programmes)
    if chosen.empty:
        return
    ids = tuple(chosen["programme_id"])
    audience: Audience = (
        "internal" if template.audience == "internal" and scope.audience == "internal" else "shared"
    )
    previous = period.previous()
    trend = trend_periods(template, period)
    heads = headline_indicators(template, catalogue)
    sections = [(s, section_indicators(s, catalogue)) for s in template.sections]
    used = list({i.key: i for i in [*heads, *(i for _, inds in sections for i in inds)]}.values())
    periods = tuple(dict.fromkeys([period, previous, *trend]))
    requests = [
        IndicatorRequest(
            periods=periods,
            indicators=tuple(i.key for i in used),
            programmes=ids,
            scope=scope,
            audience=audience,
        )
    ]
    splits: list[tuple[int, str]] = []
    for n, (s, inds) in enumerate(sections):
        case_inds = [i for i in inds if i.splits == "case"]
        for split in s.splits:
            if case_inds:
                splits.append((n, split))
                requests.append(
                    IndicatorRequest(
                        periods=(period,),
                        indicators=tuple(i.key for i in case_inds),
                        split_by=(split,),
                        programmes=ids,
                        scope=scope,
                        audience=audience,
                    )
                )
    progress(_("Computing the indicators"), 0.02)
    results = compute_together(cur, requests, catalogue)
    progress(_("Checking data quality"), 0.3)
    if audience == "shared":  # from the releases' cells, never from the case rows
        comp = pd.DataFrame(columns=["programme_id", "field", "rows", "filled", "share"])
        settings = release_settings(cur, {r for f in results for r in f["release"].dropna()})
    else:
        comp = completeness(cur, [period], scope, ids)
        settings = DisclosureSettings()
    submissions = _submissions(cur, ids)
    generated = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    main_by_prog = dict(tuple(results[0].groupby("programme_id", sort=False)))
    split_by_prog = [dict(tuple(r.groupby("programme_id", sort=False))) for r in results[1:]]
    empty = results[0].iloc[0:0]
    total = len(chosen)
    for k, info in enumerate(chosen.to_dict("records")):
        pid = info["programme_id"]
        main = _Rows(main_by_prog.get(pid, empty))
        split_rows = [
            _Rows(m.get(pid, results[j + 1].iloc[0:0]), split)
            for j, ((_sec, split), m) in enumerate(zip(splits, split_by_prog, strict=True))
        ]
        with using(lang):
            report = _assemble(
                template,
                catalogue,
                info,
                period,
                previous,
                trend,
                heads,
                sections,
                used,
                main,
                splits,
                split_rows,
                comp[comp["programme_id"] == pid],
                submissions.get(pid, []),
                audience,
                generated,
                tidy=_tidy(
                    main_by_prog.get(pid, empty),
                    [
                        (split, m.get(pid))
                        for (_sec, split), m in zip(splits, split_by_prog, strict=True)
                    ],
                    catalogue,
                    periods,
                ),
                settings=settings,
                lang=lang,
            )
        progress(
            _("Report {n} of {total}: {programme}", n=k + 1, total=total, programme=pid),
            0.3 + 0.7 * (k + 1) / total,
        )
        yield report


def choose_programmes(
    cur: duckdb.DuckDBPyConnection, scope: Scope, programmes: Sequence[str] | None
) -> pd.DataFrame:
    """The programmes in scope (``programmes_in_scope`` rows), all or those named; a named
    programme the scope does not allow is refused with ``ReportError``."""
    known = programmes_in_scope(cur, scope)
    if programmes is None:
        return known
    missing = [p for p in programmes if p not in set(known["programme_id"])]
    if missing:
        raise ReportError(
            _(
                "The programme {programme} is not among the programmes you may see, or it has "
                "no current data.",
                programme=missing[0],
            )
        )
    return known[known["programme_id"].isin(list(programmes))]


def check_period(template: ReportTemplate, period: Period) -> None:
    """Refuse a period the template does not report in, with a sentence."""
    if not template.period.accepts(period):
        raise ReportError(
            _(
                "The template {template} reports {periods} (e.g. {example}); {period} is not "
                "one of them.",
                template=template.id,
                periods=template.period.describe(),
                example=template.period.example(),
                period=period_label(period),
            )
        )


def build_report(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    template: ReportTemplate,
    programme: str,
    period: Period,
    **kwargs: object,
) -> Report:
    """The report of one programme (see ``build_reports``)."""
    reports = list(build_reports(store_or_cursor, template, period, [programme], **kwargs))  # type: ignore[arg-type]
    return reports[0]


def _submissions(cur: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, list[dict]]:
    rows = cur.execute(
        """SELECT cs.programme_id, s.submission_id, s.content_hash, s.data_as_of, s.loaded_at
           FROM current_submission cs JOIN submissions s USING (submission_id)
           WHERE cs.programme_id IN (SELECT unnest(?::VARCHAR[]))""",
        [list(ids)],
    ).fetchall()
    out: dict[str, list[dict]] = {}
    for pid, sid, digest, as_of, loaded in rows:
        out.setdefault(pid, []).append(
            {"submission_id": sid, "content_hash": digest, "data_as_of": as_of, "loaded_at": loaded}
        )
    return out


def _tidy(
    main: pd.DataFrame,
    splits: list[tuple[str, pd.DataFrame | None]],
    catalogue: Catalogue,
    periods: Sequence[Period],
) -> pd.DataFrame:
    labels = {(p.start, p.end): p.label for p in periods}
    parts = []
    base = main.copy()
    base.insert(2, "split", None)
    base.insert(3, "split_value", None)
    parts.append(base)
    for split, frame in splits:
        if frame is None or frame.empty:
            continue
        f = frame.copy()
        values = f.pop(split)
        f.insert(2, "split", split)
        f.insert(
            3,
            "split_value",
            [
                None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                for v in values
            ],
        )
        parts.append(f)
    out = pd.concat(parts, ignore_index=True)
    names = {i.key: i.name for i in catalogue}
    out.insert(
        2,
        "indicator_name",
        [
            names.get(f"{a}@{b}", "")
            for a, b in zip(out["indicator_id"], out["indicator_version"], strict=True)
        ],
    )
    out = out.drop(columns=["period"], errors="ignore")  # the engine's, named the same way
    out.insert(
        4,
        "period",
        [
            labels.get((s, e)) or from_days(s, e).label
            for s, e in zip(out["period_start"], out["period_end"], strict=True)
        ],
    )
    keep = [
        "indicator_id",
        "indicator_version",
        "indicator_name",
        "programme_id",
        "period",
        "period_start",
        "period_end",
        "split",
        "split_value",
        "numerator",
        "denominator",
        "value",
        "ci_low",
        "ci_high",
        "status",
        "suppressed",
        "target",
        "baseline",
        "completeness",
        *RELEASE_COLUMNS,
    ]
    return out[[c for c in keep if c in out.columns]]


STATUS_NAMES: dict[str, str] = {
    "ok": N_("period over"),
    "no_data": marks.NO_DATA,
    "partial_period": N_("period not over"),
}
"""What a result row's status says, in the readable data."""
DATA_COLUMNS: dict[str, str] = {
    "indicator_id": N_("Indicator"),
    "indicator_version": N_("Version"),
    "indicator_name": N_("Name"),
    "programme_id": N_("Programme ID"),
    "period": N_("Period"),
    "period_start": N_("First day"),
    "period_end": N_("Last day"),
    "split": N_("Split by"),
    "split_value": N_("Group"),
    "numerator": N_("Numerator"),
    "denominator": N_("Denominator"),
    "value": N_("Value"),
    "ci_low": N_("95 % interval, low"),
    "ci_high": N_("95 % interval, high"),
    "status": N_("Status"),
    "suppressed": N_("Hidden"),
    "target": N_("Target"),
    "baseline": N_("Baseline"),
    "completeness": N_("Data complete"),
    "release": N_("Release"),
    "approved_at": N_("Approved at"),
}
"""The readable data's column headers (translated where shown)."""


def readable_data(report: Report) -> pd.DataFrame:
    """The tidy data behind the report as a person reads it, in the language of the moment:
    named columns, indicator names, period labels, split names and groups in words, statuses
    in words (the CSV of the pack keeps the codes, for machines)."""
    frame = report.data.copy()
    if "indicator_name" in frame.columns:
        frame["indicator_name"] = [_(str(n)) if n else "" for n in frame["indicator_name"]]
    if {"period_start", "period_end"} <= set(frame.columns):
        labels = {(p.start, p.end): p for p in (report.period, report.previous_period)}
        frame["period"] = [
            period_label(labels.get((a, b)) or from_days(a, b))
            for a, b in zip(frame["period_start"], frame["period_end"], strict=True)
        ]
    if {"split", "split_value"} <= set(frame.columns):
        frame["split_value"] = [
            None if _missing(c) else split_label(v, str(c))
            for c, v in zip(frame["split"], frame["split_value"], strict=True)
        ]
        frame["split"] = [None if _missing(c) else _(split_name(str(c))) for c in frame["split"]]
    if "status" in frame.columns:
        frame["status"] = [_(STATUS_NAMES.get(str(v), str(v))) for v in frame["status"]]
    if "suppressed" in frame.columns:
        frame["suppressed"] = [marks.hidden() if bool(v) else "" for v in frame["suppressed"]]
    return frame.rename(columns={c: _(DATA_COLUMNS.get(c, c)) for c in frame.columns})


def _assemble(
    template: ReportTemplate,
    catalogue: Catalogue,
    info: dict,
    period: Period,
    previous: Period,
    trend: list[Period],
    heads: list[Indicator],
    sections: list,
    used: list[Indicator],
    main: _Rows,
    splits: list[tuple[int, str]],
    split_rows: list[_Rows],
    comp: pd.DataFrame,
    submissions: list[dict],
    audience: str,
    generated: dt.datetime,
    tidy: pd.DataFrame,
    settings: DisclosureSettings | None = None,
    lang: str = "en",
) -> Report:
    """The report of one programme, its texts in the language of the moment (``lang``)."""
    pid = info["programme_id"]
    settings = settings or DisclosureSettings()
    legend_count = settings.max_small + 1
    release = release_note(tidy) if audience == "shared" else ""
    header = _indicator_header(template, period, previous)
    missing_tables = tuple(
        sorted(t for t in {t for i in used for t in i.sources} if t not in info["tables"])
    )
    phrases = template.wording.phrases

    def say(ind: Indicator) -> str:
        return sentence(
            ind,
            _figure(main.get(ind, pid, period)),
            _figure(main.get(ind, pid, previous)),
            period,
            previous,
            phrases.get(ind.id),
            missing_tables=missing_tables,
            target=as_number((main.get(ind, pid, period) or {}).get("target")),
            data_as_of=info["data_as_of"],
        )

    def hidden(ind: Indicator) -> bool:
        return _figure(main.get(ind, pid, period)).suppressed

    hidden_heads = [i for i in heads if hidden(i)]
    summary_note = [
        marks.legend(legend_count) + ".",
        _("Change: against the previous period, in percentage points (pp) for rates."),
    ]
    if hidden_heads:
        summary_note.insert(
            0,
            _(
                "Hidden to protect small numbers in {period}: {names}.",
                period=period_label(period),
                names=and_list([indicator_name(i) for i in hidden_heads]),
            ),
        )
    summary = Table(
        _(template.wording.summary_heading),
        header,
        tuple(_indicator_rows(template, heads, main, pid, period, previous)),
        key="summary",
        note=" ".join(summary_note),
    )
    built: list[Section] = []
    for n, (s, inds) in enumerate(sections):
        heading = _(s.heading)
        tables = [
            Table(
                heading,
                header,
                tuple(_indicator_rows(template, inds, main, pid, period, previous)),
                note=marks.legend(legend_count),
                key=_slug(s.heading),
            )
        ]
        for (sec, split), rows in zip(splits, split_rows, strict=True):
            if sec == n:
                tables.append(
                    _split_table(template, inds, rows, split, pid, period, heading, legend_count)
                )
        drawn = (
            [_trend_chart(i, main, pid, trend, legend_count) for i in inds]
            if s.chart == "trend"
            else []
        )
        charts = [c for c in drawn if c.empty_sentence is None and c.points() >= TREND_POINTS]
        empty = [
            (i, c)
            for i, c in zip(inds, drawn, strict=False)
            if c.empty_sentence is not None and not c.only_zeros
        ]
        zeros = [
            (i, c)
            for i, c in zip(inds, drawn, strict=False)
            if c.empty_sentence is not None and c.only_zeros
        ]
        lone = [
            i
            for i, c in zip(inds, drawn, strict=False)
            if c.empty_sentence is None and c.points() < TREND_POINTS
        ]
        said = [empty_charts_sentence(empty, trend)] if empty else []
        said += [zero_charts_sentence(i, c, trend) for i, c in zeros]
        said += [lone_charts_sentence(lone, trend)] if lone else []
        notes = [" ".join(said)] if said else []  # one paragraph for the charts left out
        narrative = draft(inds, say, hidden, period, skip=heads) if s.narrative else []
        built.append(
            Section(heading, _(s.intro) if s.intro else "", narrative, tables, charts, notes)
        )
    defs = Table(
        _(template.wording.definitions_heading),
        (
            _("Indicator"),
            _("Version"),
            _("Name"),
            _("Unit"),
            _("Definition"),
            _("Caveats"),
            _("Sources"),
        ),
        tuple(
            (
                Cell(i.id),
                Cell(float(i.version), "number"),
                Cell(_(i.name)),
                Cell(_(i.unit)),
                Cell(_(i.definition).replace("`", "")),
                Cell(" ".join(_(c) for c in i.caveats) or numbers.MISSING),
                Cell(", ".join(code_label("table", t) for t in i.sources)),
            )
            for i in used
        ),
        key="definitions",
    )
    if audience == "shared":
        q_table = _released_quality(tidy, used, pid, period)
    else:
        q_table = _quality(comp, catalogue, period)
    notes = []
    as_of = info["data_as_of"]
    for p in [period, previous, *trend]:
        if as_of is not None and p.end > as_of:
            notes.append(
                _(
                    "{period} is not over in the data (data as of {date}): its figures may "
                    "still change.",
                    period=period_label(p),
                    date=day_text(as_of),
                )
            )
    notes = list(dict.fromkeys(notes))
    for t in missing_tables:
        by = [i.id for i in used if t in i.sources]
        notes.append(
            n_(
                "The table {table} was not supplied, so {indicators} shows no data.",
                "The table {table} was not supplied, so {indicators} show no data.",
                len(by),
                table=code_label("table", t),
                indicators=and_list(by),
            )
        )
    if not notes:
        notes.append(
            _(
                "Every period of this report is over in the data, and every table the "
                "indicators need was supplied."
            )
        )
    method = []
    if audience == "shared":
        method.append(method_note(settings))
    else:
        method.append(
            _(
                "Internal report: figures are not suppressed. Do not share it outside "
                "the organisation; use a shared template for funders."
            )
        )
    method += [
        _(
            "Rates are given with a 95 % Wilson score interval: the range that, given the number "
            "of people the rate is based on, plausibly holds the true rate. Small groups have "
            "wide intervals; a change smaller than the intervals' overlap may be chance."
        ),
        _(COMPARISON_METHOD),
        _(
            "Every figure is computed from the programme's current submission by the agreed "
            "indicator definitions (see the definitions); a period is counted by days, both "
            "first and last day included. A period that is not over in the data is marked and "
            "its figures may still change."
        ),
    ]
    cat_digest = hashlib.sha256(
        json.dumps([i.model_dump(mode="json") for i in used], sort_keys=True).encode()
    ).hexdigest()[:16]
    tpl_digest = hashlib.sha256(template.model_dump_json(exclude={"folder"}).encode()).hexdigest()[
        :16
    ]
    reproduce = (
        f"python -m evaluation report --programme {pid} --period "
        f"{period.spec} --template {template.id}"
    )
    if lang != "en":
        reproduce += f" --lang {lang}"
    prov = [
        (
            _("Generated at"),
            _(
                "{date}, {time} UTC",
                date=day_text(generated.date()),
                time=generated.strftime("%H:%M:%S"),
            ),
        ),
        (_("Software"), f"exit-evaluation {__version__}"),
        (_("Template"), _("{template} (digest {digest})", template=template.id, digest=tpl_digest)),
        (
            _("Catalogue"),
            _(
                "agreed catalogue v1; indicators {indicators} (digest {digest})",
                indicators=", ".join(i.key for i in used),
                digest=cat_digest,
            ),
        ),
        (
            _("Audience"),
            _("shared (small numbers suppressed)")
            if audience == "shared"
            else _("internal (not suppressed)"),
        ),
        (
            _("Period"),
            _(
                "{period} ({start} to {end})",
                period=period_label(period),
                start=day_text(period.start),
                end=day_text(period.end),
            ),
        ),
        *([(_("Figures from"), release)] if release else []),
    ]
    for sub in submissions:
        prov.append(
            (
                _("Submission"),
                _(
                    "{submission}, content hash {digest}, data as of {date}",
                    submission=sub["submission_id"],
                    digest=sub["content_hash"],
                    date=day_text(sub["data_as_of"]),
                ),
            )
        )
    prov.append((_("Reproduce"), reproduce))
    narrative = draft(heads, say, hidden, period)
    return Report(
        template=template,
        title=_(template.title),
        funder=_(template.funder.name),
        programme_id=pid,
        programme=shown_name(info["programme"]),  # the demo's mark in the reader's language
        organisation=shown_name(info["organisation"]),
        period=period,
        previous_period=previous,
        data_as_of=info["data_as_of"],
        generated_at=generated,
        audience=audience,
        summary=summary,
        narrative=narrative,
        sections=built,
        definitions=defs,
        data_quality=[q_table],
        data_quality_notes=notes,
        method=method,
        provenance=prov,
        data=tidy,
        release=release,
        lang=lang,
        value_formats={i.id: value_format(i) for i in used},
    )


TREND_POINTS = 2
"""A trend chart is drawn with at least this many figures shown: one dot among hidden periods
says nothing a table does not (pages of them say less)."""


def lone_charts_sentence(inds: Sequence[Indicator], trend: Sequence[Period]) -> str:
    """The sentence standing for a section's trend charts with one figure to show."""
    return n_(
        "No chart of {names}: from {first} to {last} only one period has a figure that may "
        "be shown, too few for a trend.",
        "No charts of {names}: from {first} to {last} each has only one period with a figure "
        "that may be shown, too few for a trend.",
        len(inds),
        names=and_list([indicator_name(i) for i in inds]),
        first=period_label(trend[0]),
        last=period_label(trend[-1]),
    )


def zero_charts_sentence(ind: Indicator, chart: ChartSpec, trend: Sequence[Period]) -> str:
    """The sentence standing for a trend chart whose every figure shown is 0
    (``ChartSpec.only_zeros``): a chart of zeros among hidden periods shows nothing readable,
    so the finding is said in words, with how many periods are hidden or have no data."""
    places = {
        "name": indicator_name(ind),
        "first": period_label(trend[0]),
        "last": period_label(trend[-1]),
        "zero": zero_text(chart),
    }
    gaps = zero_gaps(chart)
    if not gaps:
        return _("No chart of {name}: every figure from {first} to {last} is {zero}.", **places)
    return _(
        "No chart of {name}: every figure from {first} to {last} that may be shown is {zero}; "
        "{gaps}.",
        gaps=gaps,
        **places,
    )


def empty_charts_sentence(
    empty: Sequence[tuple[Indicator, ChartSpec]], trend: Sequence[Period]
) -> str:
    """The one sentence standing for a section's charts with nothing to show
    (``ChartSpec.empty_sentence``): which they are, and why (hidden, no data, or both)."""
    inds = [i for i, _c in empty]
    gaps = {
        "hidden" if k < len(s.hidden) and s.hidden[k] else "no_data"
        for _i, c in empty
        for s in c.series
        for k in range(len(s.values))
    }
    places = {
        "names": and_list([indicator_name(i) for i in inds]),
        "first": period_label(trend[0]),
        "last": period_label(trend[-1]),
    }
    if gaps == {"hidden"}:
        return n_(
            "No chart of {names}: every figure from {first} to {last} is hidden to protect "
            "small numbers.",
            "No charts of {names}: every figure from {first} to {last} is hidden to protect "
            "small numbers.",
            len(inds),
            **places,
        )
    if gaps == {"no_data"}:
        return n_(
            "No chart of {names}: there is no data from {first} to {last}.",
            "No charts of {names}: there is no data from {first} to {last}.",
            len(inds),
            **places,
        )
    return n_(
        "No chart of {names}: every figure from {first} to {last} is hidden to protect small "
        "numbers or has no data.",
        "No charts of {names}: every figure from {first} to {last} is hidden to protect small "
        "numbers or has no data.",
        len(inds),
        **places,
    )


def _released_quality(
    tidy: pd.DataFrame, used: Sequence[Indicator], pid: str, period: Period
) -> Table:
    """The shared report's data quality: the completeness of each indicator's released cell
    (``views.programme.released_completeness``), hidden where the cell is."""
    unsplit = tidy[tidy["split"].isna()] if "split" in tidy.columns else tidy
    rows = released_completeness(unsplit, used, pid, period)
    return Table(
        _("Completeness of the fields the indicators use"),
        (
            _("Indicator"),
            _("Name"),
            _("Optional fields it uses"),
            _("Data complete ({period})", period=period_label(period)),
        ),
        tuple(
            (
                Cell(r["indicator"]),
                Cell(r["name"]),
                Cell(r["fields"]),
                Cell(
                    as_number(r["share"]),
                    "percent",
                    "hidden" if r["hidden"] else "ok",
                ),
            )
            for r in rows.to_dict("records")
        ),
        note=_(
            "As released: for each indicator, the lowest share filled in of the optional "
            "fields it uses, in the cases open in the period (staffing: of the quarters). "
            "“hidden”: the indicator's figure is hidden to protect small numbers, and so is its "
            "completeness; or fewer than 10 cases were open, too few to share a share of them."
        )
        if len(rows)
        else _("None of this report's indicators uses an optional field: nothing to check."),
        key="completeness",
    )


def _quality(comp: pd.DataFrame, catalogue: Catalogue, period: Period) -> Table:
    """The internal report's data quality: each optional field's share filled in, counted
    from the programme's current case rows (``completeness``)."""
    quality = completeness_table(
        comp[["field", "rows", "filled", "share"]].reset_index(drop=True),
        catalogue,
        audience="internal",
    )
    quality = quality[quality["used_by"].str.len() > 0]
    q_rows = tuple(
        (
            Cell(str(r.get("label") or r["field"])),
            Cell(_(str(r["meaning"])) if r["meaning"] else ""),
            Cell(
                as_number(r["share"]),
                "percent",
                "ok" if as_number(r["share"]) is not None else "hidden",
            ),
            Cell(r["used_by"]),
        )
        for r in quality.to_dict("records")
    )
    return Table(
        _("Completeness of the fields the indicators use"),
        (
            _("Field"),
            _("Meaning"),
            _("Filled in ({period})", period=period_label(period)),
            _("Used by"),
        ),
        q_rows,
        note=_(
            "Share of the cases open in the period (staffing: of the quarters) with the field "
            "filled in. “hidden”: fewer than {n} cases.",
            n=DisclosureSettings().min_denominator,
        ),
        key="completeness",
    )
