"""The store the dashboard reads and writes, and the cached results drawn from it.

One ``Store`` (one DuckDB connection) per store file is cached with ``st.cache_resource`` and
shared by every session; each request takes its own cursor from it (``cursor()``), because a
single DuckDB connection is not thread-safe. Query results are cached per store file, per scope
key and per request (the indicator, the period, ...), so two users with the same scope share
them and no user is ever served another scope's result; ``clear_caches()`` drops them all after
an ingest. Pages call the functions here and never key a cache themselves.

The charts drawn from those results are cached the same way, as the figures themselves
(``st.cache_resource``: shared, not copied), because building a Plotly figure costs more than
reading the cached numbers (~0.1 s a chart). They are never changed after they are built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from evaluation.measures.engine import IndicatorRequest
from evaluation.periods import Period
from evaluation.store.database import Store, Submission, default_db_path
from evaluation.views import charts, comparison, explore, headlines, overview

if TYPE_CHECKING:  # session reads the store through this module
    from evaluation.app.session import Scope


def store_path() -> Path:
    """The store file of this dashboard: ``EVALUATION_DB``, else ``data/evaluation.duckdb``."""
    return default_db_path().resolve()


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> Store:
    return Store.open(Path(path))


def store() -> Store:
    """The shared store. Raises ``StoreError`` (a sentence) when it cannot be opened."""
    return _open_store(str(store_path()))


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
        return overview.programme_overview(cur, _scope.access())


@st.cache_data(show_spinner=False)
def _cases_per_quarter(db: str, scope_key: str, _scope: Scope) -> pd.DataFrame:
    with cursor() as cur:
        return overview.cases_per_quarter(cur, _scope.access())


@st.cache_data(show_spinner=False)
def _submissions(db: str, scope_key: str, _scope: Scope) -> list[Submission]:
    with cursor() as cur:
        return overview.submissions_in_scope(store().submissions(cur), _scope.access())


@st.cache_data(show_spinner=False)
def _programmes_in_scope(db: str, scope_key: str, _scope: Scope) -> pd.DataFrame:
    with cursor() as cur:
        return headlines.programmes_in_scope(cur, _scope.access())


def _period_key(period: Period) -> str:
    return f"{period.label}={period.start.isoformat()}..{period.end.isoformat()}"


@st.cache_data(show_spinner=False, max_entries=128)
def _comparison(
    db: str, scope_key: str, request_key: str, _request: comparison.ComparisonRequest
) -> comparison.Comparison:
    with cursor() as cur:
        return comparison.compare(cur, _request)


@st.cache_data(show_spinner=False, max_entries=128)
def _headlines(
    db: str, scope_key: str, request_key: str, _request: headlines.ProgrammeRequest
) -> headlines.Headlines:
    with cursor() as cur:
        return headlines.headlines(cur, _request)


@st.cache_data(show_spinner=False, max_entries=32)
def _explorer_choices(
    db: str,
    scope_key: str,
    version: str,
    _scope: Scope,
) -> tuple[explore.PeriodChoices, pd.DataFrame]:
    with cursor() as cur:
        access = _scope.access()
        return explore.period_choices(cur, access), explore.programme_choices(cur, access)


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
    return _programme_overview(str(store_path()), scope.key, scope)


def cases_per_quarter(scope: Scope) -> pd.DataFrame:
    return _cases_per_quarter(str(store_path()), scope.key, scope)


def submissions(scope: Scope) -> list[Submission]:
    return _submissions(str(store_path()), scope.key, scope)


def programmes_in_scope(scope: Scope) -> pd.DataFrame:
    """``headlines.programmes_in_scope`` for this user (the programmes with current data)."""
    return _programmes_in_scope(str(store_path()), scope.key, scope)


def compare(scope: Scope, indicator: str, period: Period) -> comparison.Comparison:
    """The comparison (funnel and trend) of ``indicator`` in ``period``, in the user's scope."""
    request = comparison.ComparisonRequest(indicator=indicator, period=period, scope=scope.access())
    key = f"{indicator}|{_period_key(period)}|{request.trend_periods}"
    return _comparison(str(store_path()), scope.key, key, request)


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
    return _figure(f"comparison_{which}", str(store_path()), scope.key, key, make)


def programme_headlines(scope: Scope, programme: str, period: Period) -> headlines.Headlines:
    """The headline tiles and completeness of ``programme`` in ``period``, in the user's scope.

    Raises ``HeadlinesError`` (a sentence; not cached) for a programme outside the scope.
    """
    request = headlines.ProgrammeRequest(programme, period, scope.access())
    key = f"{programme}|{_period_key(period)}|{','.join(request.indicators)}"
    return _headlines(str(store_path()), scope.key, key, request)


def data_version() -> str:
    """``explore.data_version`` of the store: the explorer's results are keyed by it too, so
    they cannot outlive the data they were computed from even without ``clear_caches()``."""
    with cursor() as cur:
        return explore.data_version(cur)


def explorer_choices(scope: Scope, version: str) -> tuple[explore.PeriodChoices, pd.DataFrame]:
    """The explorer's period choices and the programmes it offers, for the user's scope."""
    return _explorer_choices(str(store_path()), scope.key, version, scope)


def explorer_result(
    scope: Scope, request: IndicatorRequest, version: str
) -> explore.ExplorerResult:
    """The explorer's indicators for ``request``, which must carry ``scope.access()``."""
    if request.scope != scope.access():
        raise ValueError("the explorer's request must carry the user's own scope")
    return _explorer_run(
        str(store_path()), scope.key, explore.request_key(request), version, request
    )


def explorer_figure(
    scope: Scope, result: explore.ExplorerResult, version: str, view: explore.IndicatorResult
) -> go.Figure:
    """The chart of one indicator of ``explorer_result()``'s ``result``."""

    def make() -> go.Figure:
        return charts.indicator_figure(
            view.frame, view, split=result.split, period_labels=result.period_labels
        )

    key = f"{explore.request_key(result.request)}|{version}|{view.key}"
    return _figure("explorer", str(store_path()), scope.key, key, make)


def clear_caches() -> None:
    """Forget every cached result drawn from the store (call after an ingest)."""
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
    ):
        cached.clear()
