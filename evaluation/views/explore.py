"""The indicator explorer: what the dashboard's explorer and catalogue pages ask the package.

The pages only draw; every choice they offer and every number they show comes from here:

* ``period_choices`` — the periods to offer, anchored on the newest ``data_as_of`` in the
  caller's scope so that the first view never shows a partial period;
* ``indicator_choices`` and ``split_choices`` — what may be picked (the programmes come from
  ``evaluation.views.programmes``);
* ``build_request`` and ``run`` — the engine's tidy result, with each indicator's published
  definition, version, caveats and the SQL behind it (an evaluator can check every number);
* ``tidy_bytes`` — the CSV or Parquet download of exactly the rows shown, CSV cells made inert
  against formula injection;
* ``catalogue_groups`` — the catalogue, searchable, grouped by the letter of the id.

Everything is a pure function of the request and its scope (plus the store's contents), so the
dashboard may cache results keyed by ``request_key`` and ``data_version``.
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

import duckdb
import pandas as pd

from evaluation.measures.catalogue import Catalogue, Indicator, load_catalogue
from evaluation.measures.engine import IndicatorRequest, RequestError, compute, explain
from evaluation.periods import Period, PeriodChoices, series_choices
from evaluation.sharing.releases.read import release_note
from evaluation.store.access import Scope
from evaluation.views.programmes import returned_programmes
from evaluation.views.spreadsheet import safe_frame
from evaluation.vocabulary.groups import GROUPS, group_of_id
from evaluation.vocabulary.headline import HEADLINE_INDICATORS
from evaluation.vocabulary.splits import CASE_SPLITS, NO_SPLIT, SPLITS

MAX_PERIODS = 40
"""More periods than this make charts unreadable; a longer view wants longer periods."""

Format = Literal["csv", "parquet"]
MIME: dict[str, str] = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


@functools.cache
def shipped_catalogue() -> Catalogue:
    """The agreed catalogue shipped with the package, loaded (and validated) once."""
    return load_catalogue()


# -- periods ---------------------------------------------------------------------------------


def newest_data_as_of(cursor: duckdb.DuckDBPyConnection, scope: Scope) -> date | None:
    """The newest ``data_as_of`` of the current data of the programmes in ``scope`` (shared:
    of the programmes held from returns too, ``programmes.returned_programmes``)."""
    where, params = scope.sql_filter("s.organisation", "p.programme_id")
    row = cursor.execute(
        "SELECT max(s.data_as_of) FROM current_programmes p JOIN submissions s "
        f"USING (submission_id) WHERE {where}",
        params,
    ).fetchone()
    value = row[0] if row else None
    if not scope.internal:  # a funder's store: the programmes it holds from returns too
        returned = returned_programmes(cursor, scope)["data_as_of"].dropna()
        if not returned.empty:
            newest = pd.Timestamp(returned.max()).date()
            value = max(value, newest) if isinstance(value, date) else newest
    return value if isinstance(value, date) else None


def period_choices(
    cursor: duckdb.DuckDBPyConnection, scope: Scope, today: date | None = None
) -> PeriodChoices:
    """The explorer's ``periods.series_choices``: latest complete quarter (the default), the
    last 8 quarters, 3 calendar years, 3 financial years (from the ``financial_year_start``
    setting) and a typed ``SPEC`` of at most ``MAX_PERIODS`` — all over by the newest
    ``data_as_of`` in scope, so none shows a period whose counts will still grow."""
    as_of = newest_data_as_of(cursor, scope)
    return series_choices(
        as_of if as_of is not None else (today or date.today()),
        known=as_of is not None,
        max_periods=MAX_PERIODS,
    )


# -- what may be picked ----------------------------------------------------------------------


def indicator_choices(catalogue: Catalogue | None = None) -> dict[str, str]:
    """Id → ``C06 · First contact within 7 days``, newest versions, in catalogue order."""
    catalogue = catalogue or shipped_catalogue()
    return {i.id: f"{i.id} · {i.name}" for i in catalogue.latest()}


def default_indicators(catalogue: Catalogue | None = None) -> list[str]:
    """The headline indicators (``vocabulary.headline``) the catalogue has (all of them for
    the shipped one): what the explorer opens on."""
    known = indicator_choices(catalogue)
    return [i for i in HEADLINE_INDICATORS if i in known]


def split_choices(*, shared: bool = False) -> dict[str, str]:
    """Every split the engine knows, ``programme`` (no further split) first, with labels.

    ``shared``: only the splits a release holds (none, or one case column): totals over
    programmes are not released."""
    return {
        s.column: s.choice
        for s in SPLITS.values()
        if not shared or s.column == NO_SPLIT or s.column in CASE_SPLITS
    }


# -- the request and its result --------------------------------------------------------------


def build_request(
    indicators: Iterable[str],
    periods: Sequence[Period],
    split: str | None,
    programmes: Iterable[str],
    scope: Scope,
) -> IndicatorRequest:
    """The engine request for the explorer's choices; empty ``programmes``: all in scope.

    ``RequestError`` (a sentence) when no indicator or no period is chosen.
    """
    chosen = tuple(dict.fromkeys(i.strip().upper() for i in indicators if i.strip()))
    if not chosen:
        raise RequestError("Choose at least one indicator.")
    if not periods:
        raise RequestError("Choose at least one period, e.g. 2025-Q2.")
    split_by = () if split in (None, "", NO_SPLIT) else (str(split),)
    return IndicatorRequest(
        periods=tuple(periods),
        indicators=chosen,
        split_by=split_by,
        programmes=tuple(sorted(set(programmes))),
        scope=scope,
    )


def request_key(request: IndicatorRequest) -> str:
    """A stable text naming everything the result depends on besides the store's contents."""
    periods = ",".join(f"{p.spec}={p.label}" for p in request.periods)
    return "|".join(
        [
            periods,
            ",".join(request.indicators),
            ",".join(request.split_by),
            ",".join(request.programmes),
            request.scope.key,
            request.effective_audience,
        ]
    )


def data_version(cursor: duckdb.DuckDBPyConnection) -> str:
    """Changes whenever an ingest changes which submission is current for any programme.

    Cached results keyed by it cannot outlive the data they were computed from; approving or
    withdrawing a release changes it too, as shared results are read from releases.
    """
    rows = cursor.execute(
        "SELECT programme_id, submission_id FROM current_submission ORDER BY programme_id"
    ).fetchall()
    releases = cursor.execute("SELECT number, status FROM releases ORDER BY number").fetchall()
    return hashlib.sha256(repr((rows, releases)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator's rows and what a reader needs to understand them."""

    key: str
    id: str
    version: int
    name: str
    kind: str
    unit: str
    direction: str
    definition: str
    caveats: tuple[str, ...]
    sources: tuple[str, ...]
    about_people: bool
    sql: str
    frame: pd.DataFrame = field(compare=False, repr=False)

    @property
    def title(self) -> str:
        return f"{self.id} · {self.name}"


@dataclass(frozen=True)
class ExplorerResult:
    request: IndicatorRequest
    frame: pd.DataFrame = field(compare=False, repr=False)
    """The engine's tidy result: what the tables show and the downloads hold."""
    indicators: tuple[IndicatorResult, ...]
    sql: str
    """The whole statement the engine ran for the request."""
    splits: tuple[str, ...]
    """The split columns of ``frame`` (case columns or programme attributes)."""
    period_labels: dict[tuple[date, date], str]
    note: str = field(default="", compare=False)
    """Shared: where the figures come from, named with the store (``release_note``)."""

    @property
    def split(self) -> str | None:
        return self.splits[0] if self.splits else None

    @property
    def suppressed(self) -> int:
        return int(self.frame["suppressed"].sum()) if "suppressed" in self.frame else 0

    @property
    def shared(self) -> bool:
        return self.request.effective_audience == "shared"

    @property
    def release(self) -> str:
        """Which releases a shared result was read from (``Release 3, approved 4 Dec 2026``);
        empty for the internal audience."""
        return (self.note or release_note(self.frame)) if self.shared else ""


def _normalised(
    request: IndicatorRequest, catalogue: Catalogue
) -> tuple[IndicatorRequest, list[Indicator]]:
    refs = request.indicators or tuple(i.key for i in catalogue.latest())
    try:
        inds = list({i.key: i for i in (catalogue.get(r) for r in refs)}.values())
    except KeyError as exc:
        raise RequestError(f"There is no indicator {exc.args[0]}.") from None
    return replace(request, indicators=tuple(i.key for i in inds)), inds


def run(
    cursor: duckdb.DuckDBPyConnection, request: IndicatorRequest, catalogue: Catalogue | None = None
) -> ExplorerResult:
    """Compute ``request`` and gather, per indicator, its rows, definition and SQL.

    The request's scope is what the engine filters and suppresses by: pass the signed-in
    user's (a shared scope can never see unsuppressed numbers).
    """
    catalogue = catalogue or shipped_catalogue()
    request, inds = _normalised(request, catalogue)
    frame = compute(cursor, request, catalogue)
    splits = tuple(
        s
        for s in dict.fromkeys(x.strip().lower() for x in request.split_by)
        if s and s not in ("programme", "all")
    )
    results = []
    for ind in inds:
        rows = (
            (frame["indicator_id"] == ind.id) & (frame["indicator_version"] == ind.version)
        ).to_numpy(dtype=bool)
        results.append(
            IndicatorResult(
                key=ind.key,
                id=ind.id,
                version=ind.version,
                name=ind.name,
                kind=ind.kind,
                unit=ind.unit,
                direction=ind.direction,
                definition=ind.definition,
                caveats=tuple(ind.caveats),
                sources=tuple(ind.sources),
                about_people=ind.about_people,
                sql=explain(cursor, replace(request, indicators=(ind.key,)), catalogue),
                frame=frame[rows].reset_index(drop=True),
            )
        )
    labels = {(p.start, p.end): p.label for p in request.periods}
    shared = request.effective_audience == "shared"
    return ExplorerResult(
        request,
        frame,
        tuple(results),
        explain(cursor, request, catalogue),
        splits,
        labels,
        release_note(frame, cursor) if shared else "",
    )


def tidy_bytes(frame: pd.DataFrame, fmt: Format) -> bytes:
    """``frame`` as a file: CSV (UTF-8 with a byte-order mark so spreadsheets read accents;
    every text cell made inert with ``safe_cell``) or Parquet (typed, values as they are)."""
    if fmt == "csv":
        return safe_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False, engine="pyarrow")
        return buffer.getvalue()
    raise ValueError(f"unknown download format {fmt!r}")


def download_name(result: ExplorerResult, fmt: Format) -> str:
    """``indicators_2024-Q3_to_2025-Q2.csv``: what and when, safe as a file name."""
    specs = [p.spec for p in result.request.periods]
    span = specs[0] if len(specs) == 1 else f"{specs[0]}_to_{specs[-1]}"
    span = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in span)
    return f"indicators_{span}.{fmt}"


# -- the catalogue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueEntry:
    latest: Indicator
    versions: tuple[Indicator, ...]
    """Every version, oldest first (the last is ``latest``)."""


@dataclass(frozen=True)
class CatalogueGroup:
    letter: str
    title: str
    entries: tuple[CatalogueEntry, ...]


def _matches(entry: CatalogueEntry, words: list[str]) -> bool:
    text = " ".join(f"{i.key} {i.id} {i.name} {i.definition}" for i in entry.versions).lower()
    return all(w in text for w in words)


def catalogue_groups(
    catalogue: Catalogue | None = None,
    search: str = "",
) -> list[CatalogueGroup]:
    """The catalogue grouped by the letter of the id (``vocabulary.groups``: C, O, K, F, S,
    then any other), keeping the indicators whose id, name or definition (of any version) holds
    every searched word. Groups without a match are left out."""
    catalogue = catalogue or shipped_catalogue()
    words = search.lower().split()
    entries = [CatalogueEntry(i, tuple(catalogue.versions(i.id))) for i in catalogue.latest()]
    entries = [e for e in entries if _matches(e, words)]
    out = []
    for group in GROUPS:
        found = tuple(e for e in entries if group_of_id(e.latest.id) == group)
        if found:
            out.append(CatalogueGroup(group.letter, group.name, found))
    return out
