"""The engine's three calls: ``compute``, ``compute_together`` and ``explain``.

A request is planned against the catalogue (``plan``), run as one statement that lays the
computed rows over the rows every programme must have (``frame``), turned into figures
(``figures``), given its targets and completeness. The shared audience is never computed for:
its figures are read from the releases a CSO approved (``evaluation.sharing.releases.read``),
protected once as one set.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from evaluation.measures.catalogue import Catalogue, load_catalogue
from evaluation.measures.completeness import CompletenessCache, with_completeness
from evaluation.measures.engine.figures import figures
from evaluation.measures.engine.plan import Plan, plan
from evaluation.measures.engine.request import IndicatorRequest, RequestError
from evaluation.measures.engine.targets import with_targets
from evaluation.store.database import cursor_of
from evaluation.vocabulary.language import _


def explain(
    store_or_conn: object, request: IndicatorRequest, catalogue: Catalogue | None = None
) -> str:
    """The SQL ``compute`` runs for ``request``, indented one clause per line, its parameters
    listed first as comments. Needs no store (``store_or_conn`` may be None)."""
    planned = plan(catalogue or load_catalogue(), request)
    notes = "".join(f"-- parameter {i + 1}: {p!r}\n" for i, p in enumerate(planned.params))
    return notes + planned.pretty


def compute(
    store_or_conn: object, request: IndicatorRequest, catalogue: Catalogue | None = None
) -> pd.DataFrame:
    """The tidy result of ``request``: the columns of the spec's machine-readable layout with
    ``period`` (the period's label) after ``period_end``, plus ``target``, ``baseline`` and
    ``completeness``. For the shared audience the same layout plus ``release`` and
    ``approved_at``, read from the newest active release covering each programme and period
    (``NotReleased`` for what none covers); no case row is read."""
    if request.effective_audience == "shared":
        return _released(store_or_conn, request, catalogue)
    planned = plan(catalogue or load_catalogue(), request)
    cur = _cursor(store_or_conn)
    out = _figures(cur, planned, request, CompletenessCache(cur))
    return out.reset_index(drop=True)


def compute_together(
    store_or_conn: object, requests: Sequence[IndicatorRequest], catalogue: Catalogue | None = None
) -> list[pd.DataFrame]:
    """The results of several requests that are published *together* (one report).

    For the shared audience every result is read from releases (``compute``): a release was
    protected as one set with every earlier release of its programmes, so whatever a reader
    sees side by side (a total and its split, a year and its quarters) was checked together
    when it was approved. Each result comes back in its request's own columns. All requests
    must share one scope and audience.
    """
    if not requests:
        return []
    first = requests[0]
    if any(
        r.scope != first.scope or r.effective_audience != first.effective_audience for r in requests
    ):
        raise RequestError(_("Results published together must share one scope and audience."))
    catalogue = catalogue or load_catalogue()
    cur = _cursor(store_or_conn)
    if first.effective_audience == "shared":
        return [_released(cur, r, catalogue) for r in requests]
    plans = [plan(catalogue, r) for r in requests]
    cache = CompletenessCache(cur)
    outs = [_figures(cur, p, r, cache) for p, r in zip(plans, requests, strict=True)]
    return [o.reset_index(drop=True) for o in outs]


def _released(
    store_or_conn: object, request: IndicatorRequest, catalogue: Catalogue | None
) -> pd.DataFrame:
    # imported here: sharing sits above measures and imports the engine's request
    from evaluation.sharing.releases.read import released

    return released(_cursor(store_or_conn), request, catalogue)


def _cursor(store_or_conn: object) -> duckdb.DuckDBPyConnection:
    """``store.database.cursor_of`` for callers that pass a store or a cursor untyped."""
    return cursor_of(store_or_conn)  # type: ignore[arg-type]


def _figures(
    cur: duckdb.DuckDBPyConnection,
    planned: Plan,
    request: IndicatorRequest,
    cache: CompletenessCache,
) -> pd.DataFrame:
    """The result with every figure, for the internal audience (``compute`` and
    ``compute_together``); the shared audience reads releases instead."""
    out = figures(cur.execute(planned.sql, list(planned.params)).df(), planned)
    out = with_targets(cur, out)
    wanted = any(i.optional_fields for i in planned.indicators) and not planned.group_by_attr
    rows = cache(planned.periods, request.scope, tuple(request.programmes)) if wanted else None
    out = with_completeness(out, planned.indicators, rows)
    return out.reset_index(drop=True)
