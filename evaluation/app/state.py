"""The store the dashboard reads and writes, and the cached results drawn from it.

One ``StoreLease`` per store file is cached with ``st.cache_resource`` and shared by every
session: it opens the file while page runs use it and lets go when they pause or another
program (the CLI) asks, so the dashboard never locks the file while idle (``store.lease``).
Each page run holds it (``holding``); each request takes its own cursor (``cursor()``), because a
single DuckDB connection is not thread-safe. Query results are cached per store file, per scope
key (``access.Scope.key``: what the viewer may see; the one key every cache here takes) and per
request (the indicator, the period, ...), so two users with the same scope share them and no
user is ever served another scope's result; ``clear_caches()`` drops them all after an ingest.
Pages call the functions here and never key a cache themselves.

The charts drawn from those results are cached the same way, as the figures themselves
(``st.cache_resource``: shared, not copied), because building a Plotly figure costs more than
reading the cached numbers (~0.1 s a chart). They are never changed after they are built.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from evaluation.app import files
from evaluation.measures.engine import IndicatorRequest
from evaluation.periods import Period, PeriodChoices
from evaluation.reports import spec
from evaluation.reports.model import Report, build_report
from evaluation.reports.pack import pack_bytes
from evaluation.store.access import Scope
from evaluation.store.database import Store, Submission, default_db_path
from evaluation.store.lease import StoreLease
from evaluation.views import charts, comparison, explore, overview, programme, programmes
from evaluation.vocabulary.language import _, current


def store_path() -> Path:
    """The store file of this dashboard: ``EVALUATION_DB``, else ``data/evaluation.duckdb``."""
    return default_db_path().resolve()


@st.cache_resource(show_spinner=False)
def _lease(path: str) -> StoreLease:
    return StoreLease(Path(path))


def lease() -> StoreLease:
    """The dashboard's hold on its store file, shared by every session (``store.lease``)."""
    return _lease(str(store_path()))


@contextmanager
def holding() -> Iterator[None]:
    """Hold the store for one page run (``streamlit_app`` wraps every run in it). While another
    program has the store, the page says so and waits; if that program changed the store,
    every cached result is dropped first."""
    held = lease()
    notice = st.empty()

    def say(_why: str) -> None:
        notice.info(
            _(
                "Another program (a backup, a report or a data load from the command line) is "
                "using the store; this page continues as soon as it has finished."
            ),
            icon=":material/hourglass_top:",
        )

    with held.use(say=say):
        notice.empty()
        if held.take_changed():
            clear_caches()
        yield


def store() -> Store:
    """The dashboard's store (``StoreLease.handle``): valid in a page run, a button's callback
    or a module kept between runs; it opens the file when needed. Raises ``StoreError`` (a
    sentence) when the file cannot be opened."""
    return lease().handle


@contextmanager
def cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor of its own for this request, closed afterwards."""
    cur = store().cursor()
    try:
        yield cur
    finally:
        cur.close()


@st.cache_data(show_spinner=False)
def _programme_overview(db: str, scope_key: str, _scope: Scope) -> pd.DataFrame:
    with cursor() as cur:
        return overview.programme_overview(cur, _scope)


@st.cache_data(show_spinner=False)
def _cases_per_quarter(db: str, scope_key: str, _scope: Scope) -> pd.DataFrame:
    with cursor() as cur:
        return overview.cases_per_quarter(cur, _scope)


@st.cache_data(show_spinner=False)
def _submissions(db: str, scope_key: str, _scope: Scope) -> list[Submission]:
    with cursor() as cur:
        return overview.submissions_in_scope(store().submissions(cur), _scope)


@st.cache_data(show_spinner=False)
def _programmes_in_scope(db: str, scope_key: str, _scope: Scope) -> pd.DataFrame:
    with cursor() as cur:
        return programmes.programmes_in_scope(cur, _scope)


def _period_key(period: Period) -> str:
    return f"{period.spec}={period.label}"


def _db_key() -> str:
    """The first key of every cache below: the store file and the reader's language (a cached
    table, chart or report holds its labels and sentences in the language it was made in)."""
    return f"{store_path()}|{current()}"


@st.cache_data(show_spinner=False, max_entries=128)
def _comparison(
    db: str, scope_key: str, request_key: str, _request: comparison.ComparisonRequest
) -> comparison.Comparison:
    with cursor() as cur:
        return comparison.compare(cur, _request)


@st.cache_data(show_spinner=False, max_entries=128)
def _headlines(
    db: str, scope_key: str, request_key: str, _request: programme.ProgrammeRequest
) -> programme.Headlines:
    with cursor() as cur:
        return programme.headlines(cur, _request)


@st.cache_data(show_spinner=False, max_entries=32)
def _explorer_choices(
    db: str,
    scope_key: str,
    version: str,
    _scope: Scope,
) -> tuple[PeriodChoices, pd.DataFrame]:
    with cursor() as cur:
        return explore.period_choices(cur, _scope), programmes.programmes_in_scope(cur, _scope)


@st.cache_data(show_spinner=False, max_entries=64)
def _explorer_run(
    db: str, scope_key: str, request_key: str, version: str, _request: IndicatorRequest
) -> explore.ExplorerResult:
    with cursor() as cur:
        return explore.run(cur, _request)


@st.cache_resource(show_spinner=False, max_entries=256)
def _figure(
    what: str, db: str, scope_key: str, request_key: str, _make: Callable[[], go.Figure]
) -> go.Figure:
    return _make()


def programme_overview(scope: Scope) -> pd.DataFrame:
    return _programme_overview(_db_key(), scope.key, scope)


def cases_per_quarter(scope: Scope) -> pd.DataFrame:
    return _cases_per_quarter(_db_key(), scope.key, scope)


def submissions(scope: Scope) -> list[Submission]:
    return _submissions(_db_key(), scope.key, scope)


def programmes_in_scope(scope: Scope) -> pd.DataFrame:
    """``programmes.programmes_in_scope`` for this user (the programmes with current data)."""
    return _programmes_in_scope(_db_key(), scope.key, scope)


def compare(scope: Scope, indicator: str, period: Period) -> comparison.Comparison:
    """The comparison (funnel and trend) of ``indicator`` in ``period``, in the user's scope."""
    request = comparison.ComparisonRequest(indicator=indicator, period=period, scope=scope)
    key = f"{indicator}|{_period_key(period)}|{request.trend_periods}"
    return _comparison(_db_key(), scope.key, key, request)


def comparison_figure(
    scope: Scope, indicator: str, period: Period, which: Literal["funnel", "trend"]
) -> go.Figure:
    """The comparison's funnel plot or its small multiples of the trend (``compare()``'s)."""

    def make() -> go.Figure:
        result = compare(scope, indicator, period)
        if which == "funnel":
            return comparison.funnel_figure(result.funnel, result.indicator)
        return comparison.small_multiples_figure(result.trend, result.indicator)

    key = f"{indicator}|{_period_key(period)}"
    return _figure(f"comparison_{which}", _db_key(), scope.key, key, make)


def programme_headlines(scope: Scope, programme_id: str, period: Period) -> programme.Headlines:
    """The headline tiles and completeness of ``programme_id`` in ``period``, in the user's scope.

    Raises ``HeadlinesError`` (a sentence; not cached) for a programme outside the scope.
    """
    request = programme.ProgrammeRequest(programme_id, period, scope)
    key = f"{programme_id}|{_period_key(period)}|{','.join(request.indicators)}"
    return _headlines(_db_key(), scope.key, key, request)


def data_version() -> str:
    """``explore.data_version`` of the store: the explorer's results are keyed by it too, so
    they cannot outlive the data they were computed from even without ``clear_caches()``."""
    with cursor() as cur:
        return explore.data_version(cur)


def explorer_choices(scope: Scope, version: str) -> tuple[PeriodChoices, pd.DataFrame]:
    """The explorer's period choices and the programmes it offers, for the user's scope."""
    return _explorer_choices(_db_key(), scope.key, version, scope)


def explorer_result(
    scope: Scope, request: IndicatorRequest, version: str
) -> explore.ExplorerResult:
    """The explorer's indicators for ``request``, which must carry ``scope``."""
    if request.scope != scope:
        raise ValueError("the explorer's request must carry the user's own scope")
    return _explorer_run(_db_key(), scope.key, explore.request_key(request), version, request)


def explorer_figure(
    scope: Scope,
    result: explore.ExplorerResult,
    version: str,
    view: explore.IndicatorResult,
    names: dict[str, str] | None = None,
) -> go.Figure:
    """The chart of one indicator of ``explorer_result()``'s ``result``, programmes named by
    ``names`` (``explore.programme_names``)."""

    def make() -> go.Figure:
        return charts.indicator_figure(
            view.frame,
            view,
            split=result.split,
            period_labels=result.period_labels,
            programme_names=names,
        )

    named = "|".join(f"{k}={v}" for k, v in sorted((names or {}).items()))
    key = f"{explore.request_key(result.request)}|{version}|{view.key}|{named}"
    return _figure("explorer", _db_key(), scope.key, key, make)


@st.cache_resource(show_spinner=False)
def _report_templates() -> spec.Templates:
    return spec.load_templates()


@st.cache_data(show_spinner=False, max_entries=16)
def _report(
    db: str,
    version: str,
    scope_key: str,
    template_id: str,
    programme_id: str,
    period_key: str,
    _scope: Scope,
    _period: Period,
) -> Report:
    template = _report_templates().get(template_id)
    with cursor() as cur:  # in the reader's language (part of the key ``db``)
        return build_report(cur, template, programme_id, _period, scope=_scope, lang=current())


def report_templates() -> spec.Templates:
    """The report templates shipped with the package, read once (and again after
    ``clear_caches()``)."""
    return _report_templates()


def report(
    scope: Scope, template_id: str, programme_id: str, period: Period, version: str
) -> Report:
    """The report of ``programme_id`` for ``period`` in the template ``template_id``, computed
    in the user's scope (a funder's is the shared, suppressed one). Keyed by ``version``
    (``data_version()``) as well, so a new submission makes a new report."""
    return _report(
        _db_key(),
        version,
        scope.key,
        template_id,
        programme_id,
        _period_key(period),
        scope,
        period,
    )


def report_pack_later(
    scope: Scope,
    template_id: str,
    programme_id: str,
    period: Period,
    version: str,
    formats: tuple[str, ...],
) -> Callable[[], bytes]:
    """``report()``'s report written in ``formats`` and zipped, when the reader asks for it:
    the download button calls it on a click (Streamlit's deferred download), so choosing a
    template, a programme or a period costs the report's figures and its preview, never the
    writing of files nobody has asked for yet. The zip is kept (``PACKS_KEPT``) for the next
    click; it needs no store (only the report)."""
    made = report(scope, template_id, programme_id, period, version)
    key = "|".join(
        (_db_key(), version, scope.key, template_id, programme_id, _period_key(period), *formats)
    )

    def write() -> bytes:
        with _PACKS_LOCK:
            kept = _PACKS.get(key)
        if kept is None:
            kept = pack_bytes(made, formats)
            with _PACKS_LOCK:
                _PACKS[key] = kept
                while len(_PACKS) > PACKS_KEPT:
                    _PACKS.pop(next(iter(_PACKS)))
        return kept

    return write


def template_later() -> Callable[[], bytes]:
    """The blank intake template (``files.template_bytes``) in the reader's language, written
    when the download button is clicked (Streamlit's deferred download), not on the Upload
    page's first run, where writing the workbook took 0.2 s of the app's first load."""
    lang = current()

    def write() -> bytes:
        return files.cached_template_bytes(lang)

    return write


_FROZEN_MODULES = 0


def freeze_heap() -> None:
    """Move every object alive now out of the garbage collector's reach (``gc.freeze``) when
    modules were imported since the last time (the app's imports at the first run, Great
    Expectations' in the background later): Streamlit runs a full collection after every
    script run (``runner.postScriptGC``), and walking the ~170 000 objects of the imported
    libraries took 0.08-0.15 s of every page run, holding the GIL while the run's last message
    waited to be sent. Frozen objects are still freed when nothing refers to them; only
    reference cycles among them are no longer collected, so this is done only when the
    modules grew, when what is alive is almost all modules."""
    global _FROZEN_MODULES
    if len(sys.modules) > _FROZEN_MODULES:
        _FROZEN_MODULES = len(sys.modules)
        gc.freeze()


# -- background work done while no page runs ------------------------------------------------

_RUNS = 0
_RUNS_LOCK = threading.Lock()
_IDLE = threading.Event()
_IDLE.set()
_last_end = time.monotonic()
IDLE_BEFORE = 2.0
"""Seconds without any page run (of any session) before background work starts."""
_PENDING: set[str] = set()


@contextmanager
def page_running() -> Iterator[None]:
    """Mark a page run (of any session) in progress, for ``when_idle``."""
    global _RUNS, _last_end
    with _RUNS_LOCK:
        _RUNS += 1
        _IDLE.clear()
    try:
        yield
    finally:
        with _RUNS_LOCK:
            _RUNS -= 1
            _last_end = time.monotonic()
            if _RUNS == 0:
                _IDLE.set()


def when_idle(work: Callable[[], None], name: str) -> None:
    """Run ``work`` in a daemon thread as soon as no page (of any session) has run for
    ``IDLE_BEFORE`` seconds; once at a time per ``name`` (a call while one is waiting does
    nothing), so ``work`` should do nothing when it was done before. For seconds of imports,
    e.g. Great Expectations': a CPU-bound import beside a page run holds the GIL half the time,
    and started at the end of the first page it slowed the page opened right after by most of
    a second."""
    with _RUNS_LOCK:
        if name in _PENDING:
            return
        _PENDING.add(name)

    def run() -> None:
        try:
            while True:
                _IDLE.wait()
                with _RUNS_LOCK:
                    idle = IDLE_BEFORE
                    rest = idle - (time.monotonic() - _last_end) if _RUNS == 0 else idle
                if rest <= 0:
                    break
                time.sleep(rest)
            work()
        except Exception:  # the work's own caller meets the fault again, and says so
            logging.getLogger(__name__).exception("%s failed in the background", name)
        finally:
            with _RUNS_LOCK:
                _PENDING.discard(name)

    threading.Thread(target=run, name=name, daemon=True).start()


_CHARTS_WARM = threading.Event()


def warm_charts() -> None:
    """Import matplotlib and draw one tiny figure (its fonts, the Agg canvas), as the report
    charts are drawn (``reports.charts.to_png``), once per process: the first preview on the
    Reports page should not pay the 0.3-0.5 s. Also start the fork server of the chart
    workers (``reports.charts.start_chart_workers``), so a report pack's charts are drawn in
    worker processes while its files are written, and read the PDF's fonts
    (``reports.pdf.warm_fonts``), which every later PDF of the process shares."""
    if _CHARTS_WARM.is_set():
        return
    from evaluation.reports.charts import start_chart_workers
    from evaluation.reports.pdf import warm_fonts

    start_chart_workers()
    warm_fonts()
    import io

    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(1, 1), dpi=50)
    figure.add_subplot().bar([0, 1], [1, 2])
    figure.savefig(io.BytesIO(), format="png")
    _CHARTS_WARM.set()


PACKS_KEPT = 8
"""The most report zips ``report_pack_later`` keeps (a few MB each), the oldest out first."""
_PACKS: dict[str, bytes] = {}
_PACKS_LOCK = threading.Lock()


def clear_caches() -> None:
    """Forget every cached result drawn from the store (call after an ingest): every cache of
    the dashboard is here, the reports and their packs, the templates and the blank intake
    template too, so none can serve what an ingest has replaced."""
    for cached in (
        _programme_overview,
        _cases_per_quarter,
        _submissions,
        _programmes_in_scope,
        _comparison,
        _headlines,
        _explorer_choices,
        _explorer_run,
        _figure,
        _report_templates,
        _report,
        files.cached_template_bytes,
    ):
        cached.clear()
    with _PACKS_LOCK:
        _PACKS.clear()
