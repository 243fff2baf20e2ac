"""The store the dashboard reads and writes, and the cached results drawn from it.

One ``Store`` (one DuckDB connection) per store file is cached with ``st.cache_resource`` and
shared by every session; each request takes its own cursor from it (``cursor()``), because a
single DuckDB connection is not thread-safe. Query results are cached per store file and per
scope key, and ``clear_caches()`` drops them after an ingest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import streamlit as st

from evaluation import overview
from evaluation.store import Store, Submission, default_db_path

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


def programme_overview(scope: Scope) -> pd.DataFrame:
    return _programme_overview(str(store_path()), scope.key, scope)


def cases_per_quarter(scope: Scope) -> pd.DataFrame:
    return _cases_per_quarter(str(store_path()), scope.key, scope)


def submissions(scope: Scope) -> list[Submission]:
    return _submissions(str(store_path()), scope.key, scope)


def clear_caches() -> None:
    """Forget every cached result drawn from the store (call after an ingest)."""
    for cached in (_programme_overview, _cases_per_quarter, _submissions):
        cached.clear()
