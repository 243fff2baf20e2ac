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
from evaluation.measures.completeness import completeness
from evaluation.measures.engine import IndicatorRequest, compute
from evaluation.measures.result import KEY_COLUMNS, PERIOD_LABEL, RESULT_COLUMNS
from evaluation.periods import Period, date_range
from evaluation.progress import Progress, no_progress
from evaluation.sharing.disclosure import DisclosureSettings
from evaluation.sharing.releases.model import UNSPLIT
from evaluation.vocabulary.language import _
from evaluation.vocabulary.splits import CASE_SPLITS, TOTAL, split_name

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
    min_cases: int | None = None,
) -> pd.DataFrame:
    """Every cell of the release's table set with its true figures (``suppressed`` false).

    ``completeness`` is left out where it is a share of fewer than ``min_cases`` cases (the
    disclosure settings' ``min_denominator`` by default; see ``_few_cases_completeness_blanked``).

    One engine request per split over all the programmes at once: the engine answers a
    request set-based, so 500 programmes cost little more than one.
    """
    if min_cases is None:
        min_cases = DisclosureSettings().min_denominator
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
        progress(
            _("Computing the figures unsplit")
            if column == UNSPLIT
            else _("Computing the figures split by {split}", split=_(split_name(column))),
            n / len(requests),
        )
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
    progress(_("Computed the figures"), 1.0)
    cells = pd.concat(parts, ignore_index=True)
    cells["suppressed"] = False
    return _few_cases_completeness_blanked(cur, cells, programmes, periods, catalogue, min_cases)


def _few_cases_completeness_blanked(
    cur: duckdb.DuckDBPyConnection,
    cells: pd.DataFrame,
    programmes: Sequence[str],
    periods: Sequence[Period],
    catalogue: Catalogue,
    min_cases: int,
) -> pd.DataFrame:
    """``cells`` with no completeness where it is a share of fewer than ``min_cases`` cases.

    An indicator's completeness is the share of the programme's cases open in the period that
    have its optional case fields filled in: a share of people, so rule 3 (no share of fewer
    than ``min_denominator`` people) holds for it as for a rate. Shares of staffing rows are
    not shares of people and stay."""
    case_fields = {
        i.id for i in catalogue.latest() if any(f.startswith("cases.") for f in i.optional_fields)
    }
    if not case_fields or cells.empty:
        return cells
    counted = completeness(cur, list(periods), None, tuple(programmes))
    counted = counted[counted["field"].str.startswith("cases.")]
    few = counted[counted["rows"] < min_cases][["programme_id", "period_start", "period_end"]]
    if few.empty:
        return cells
    few = few.drop_duplicates().assign(_few=True)
    at = cells[["programme_id", "period_start", "period_end"]].copy()
    for col in ("period_start", "period_end"):
        at[col] = pd.to_datetime(at[col]).dt.date
    hit = at.merge(few, on=["programme_id", "period_start", "period_end"], how="left")["_few"]
    blank = (
        hit.fillna(False).astype(bool).to_numpy()
        & cells["indicator_id"].isin(case_fields).to_numpy()
    )
    cells.loc[blank, "completeness"] = float("nan")
    return cells
