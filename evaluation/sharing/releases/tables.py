"""The table set of a release, computed internally by the engine.

Every indicator of the catalogue in force for the programmes × periods, unsplit, and split by
each single case column (``vocabulary.splits.CASE_SPLITS``) for the indicators that split by
case (K, F and S indicators are per programme: unsplit only). Long form: one row per cell, with
``split_column`` and ``split_value`` ('' and '' when unsplit; a NULL ``split_value`` is the cases
without a value in that column).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence

import duckdb
import pandas as pd

from evaluation.measures.catalogue import Catalogue
from evaluation.measures.engine import IndicatorRequest, compute
from evaluation.measures.result import KEY_COLUMNS, PERIOD_LABEL, RESULT_COLUMNS
from evaluation.periods import Period, date_range
from evaluation.progress import Progress, no_progress
from evaluation.sharing.releases.model import UNSPLIT
from evaluation.vocabulary.splits import CASE_SPLITS, TOTAL

CELL_COLUMNS: tuple[str, ...] = (
    *KEY_COLUMNS,
    PERIOD_LABEL,
    "split_column",
    "split_value",
    *RESULT_COLUMNS,
    "completeness",
)
"""The columns of a computed table set (before protection adds the attacker's ranges)."""


def atoms(periods: Iterable[tuple[dt.date, dt.date]]) -> list[Period]:
    """The elementary day ranges that the periods' boundaries cut the covered days into, less
    the periods themselves: what an attacker learns by subtracting overlapping periods.

    A half-year and a custom range one day shorter leave one day; the cases of that day are a
    count nobody published, yet it is exactly known unless it is protected like a hidden cell.
    Adding these ranges as hidden cells lets rule 4 see that every published period is the sum
    of its pieces; aligned calendar periods (a year and its quarters) leave none.
    """
    spans = sorted(set(periods))
    if not spans:
        return []
    cuts = sorted({s for s, _ in spans} | {e + dt.timedelta(days=1) for _, e in spans})
    out = []
    for start, after in itertools.pairwise(cuts):
        end = after - dt.timedelta(days=1)
        covered = any(s <= start and end <= e for s, e in spans)
        if covered and (start, end) not in spans:
            out.append(date_range(start, end))
    return out


def table_set(
    cur: duckdb.DuckDBPyConnection,
    programmes: Sequence[str],
    periods: Sequence[Period],
    catalogue: Catalogue,
    *,
    progress: Progress = no_progress,
) -> pd.DataFrame:
    """Every cell of the release's table set with its true figures (``suppressed`` false).

    One engine request per split over all the programmes at once: the engine answers a
    request set-based, so 500 programmes cost little more than one.
    """
    latest = catalogue.latest()
    by_case = tuple(i.key for i in latest if i.splits == "case")
    requests: list[tuple[str, IndicatorRequest]] = [
        (
            UNSPLIT,
            IndicatorRequest(
                periods=tuple(periods),
                indicators=tuple(i.key for i in latest),
                programmes=tuple(programmes),
                audience="internal",
            ),
        )
    ]
    if by_case:
        requests += [
            (
                column,
                IndicatorRequest(
                    periods=tuple(periods),
                    indicators=by_case,
                    split_by=(column,),
                    programmes=tuple(programmes),
                    audience="internal",
                ),
            )
            for column in CASE_SPLITS
        ]
    parts = []
    for n, (column, request) in enumerate(requests):
        what = "unsplit" if column == UNSPLIT else f"split by {column}"
        progress(f"Computing the figures {what}", n / len(requests))
        out = compute(cur, request, catalogue)
        if column == UNSPLIT:
            out["split_value"] = UNSPLIT
        else:
            out = out[out[column].astype(object) != TOTAL].copy()
            values = out[column].astype(object)
            out["split_value"] = values.where(values.notna(), None).map(
                lambda v: v if v is None else str(v)
            )
        out["split_column"] = column
        parts.append(out[list(CELL_COLUMNS)])
    progress("Computed the figures", 1.0)
    cells = pd.concat(parts, ignore_index=True)
    cells["suppressed"] = False
    return cells
