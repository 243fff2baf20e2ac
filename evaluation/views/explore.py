"""The indicator explorer: what the dashboard's explorer and catalogue pages ask the package.

The pages only draw; every choice they offer and every number they show comes from here:

* ``period_choices`` — the periods to offer, anchored on the newest ``data_as_of`` in the
  caller's scope so that the first view never shows a partial period;
* ``indicator_choices`` and ``split_choices`` — what may be picked (the programmes come from
  ``evaluation.views.programmes``);
* ``build_request`` and ``run`` — the engine's tidy result, with each indicator's published
  definition, version, caveats and the SQL behind it (an evaluator can check every number);
* ``table`` — one indicator's rows as a person reads them: programme and period names, the
  value and its interval first, a hidden figure and a missing one marked differently
  (``vocabulary.marks``);
* ``download_frame``, ``tidy_bytes`` and ``download_name`` — the CSV or Parquet download of
  exactly the rows shown (codes kept for machines, with label columns beside them), CSV cells
  made inert against formula injection; an internal (unsuppressed) file is named as such;
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
from evaluation.measures.result import NO_DATA, PARTIAL_PERIOD
from evaluation.periods import Period, PeriodChoices, from_days, label, series_choices
from evaluation.sharing.releases.read import release_note
from evaluation.store.access import Scope
from evaluation.views.programmes import returned_programmes
from evaluation.views.spreadsheet import safe_frame
from evaluation.vocabulary import marks, numbers
from evaluation.vocabulary.codes import code_label, code_order
from evaluation.vocabulary.groups import GROUPS, group_of_id
from evaluation.vocabulary.headline import HEADLINE_INDICATORS
from evaluation.vocabulary.kinds import PERCENT_KINDS, direction_sentence, kind_phrase
from evaluation.vocabulary.language import N_, _, current
from evaluation.vocabulary.names import shown_name
from evaluation.vocabulary.splits import CASE_SPLITS, NO_SPLIT, SPLITS, TOTAL, split_name

MAX_PERIODS = 40
"""More periods than this make charts unreadable; a longer view wants longer periods."""

Format = Literal["csv", "parquet"]
MIME: dict[str, str] = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
INTERNAL_SUFFIX = "-internal-not-for-sharing"
"""Ends the name of a file of unsuppressed figures (the internal audience): it must not leave
the organisation, and its name says so wherever it is saved or attached."""
ALL_PROGRAMMES = N_("All programmes")
"""How the total over every programme (``programme_id`` ``*``) is named."""
NO_SPLIT_CHOICE = N_("No split: one row per programme")


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
    """Id → ``C06 · First contact within 7 days``, newest versions, in catalogue order, in the
    language of the moment."""
    catalogue = catalogue or shipped_catalogue()
    return {i.id: f"{i.id} · {_(i.name)}" for i in catalogue.latest()}


def default_indicators(catalogue: Catalogue | None = None) -> list[str]:
    """The headline indicators (``vocabulary.headline``) the catalogue has (all of them for
    the shipped one): what the explorer opens on."""
    known = indicator_choices(catalogue)
    return [i for i in HEADLINE_INDICATORS if i in known]


def split_choices(*, shared: bool = False) -> dict[str, str]:
    """Every split the engine knows, ``programme`` (no further split) first, with labels.

    ``shared``: only the splits a release holds (none, or one case column): totals over
    programmes are not released. Labels in the language of the moment."""
    return {
        s.column: _(NO_SPLIT_CHOICE) if s.column == NO_SPLIT else _(s.choice)
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
        raise RequestError(_("Choose at least one indicator."))
    if not periods:
        raise RequestError(_("Choose at least one period."))
    split_by = () if split in (None, "", NO_SPLIT) else (str(split),)
    return IndicatorRequest(
        periods=tuple(periods),
        indicators=chosen,
        split_by=split_by,
        programmes=tuple(sorted(set(programmes))),
        scope=scope,
    )


def request_key(request: IndicatorRequest) -> str:
    """A stable text naming everything the result depends on besides the store's contents,
    and the language of the moment (a chart drawn from the result speaks it)."""
    periods = ",".join(f"{p.spec}={p.label}" for p in request.periods)
    return "|".join(
        [
            current(),
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
        """``C06 · First contact within 7 days``, in the language of the moment."""
        return f"{self.id} · {_(self.name)}"


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
    note: str = field(default="", compare=False)
    """Shared: where the figures come from, named with the store (``release_note``)."""

    @property
    def split(self) -> str | None:
        return self.splits[0] if self.splits else None

    @property
    def period_labels(self) -> dict[tuple[date, date], str]:
        """Each requested period's label by its first and last day, in the language of the
        moment (``2025 Q2``, ``Q2 2025``)."""
        return {(p.start, p.end): label(p, current()) for p in self.request.periods}

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
        raise RequestError(_("There is no indicator {ref}.", ref=exc.args[0])) from None
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
    shared = request.effective_audience == "shared"
    return ExplorerResult(
        request,
        frame,
        tuple(results),
        explain(cursor, request, catalogue),
        splits,
        release_note(frame, cursor) if shared else "",
    )


# -- what a person reads, and the files ------------------------------------------------------


def kind_text(kind: str) -> str:
    """``a proportion``: an indicator's kind as it reads in a sentence, in the language of the
    moment (``vocabulary.kinds.kind_phrase``)."""
    return kind_phrase(kind)


def direction_text(direction: str) -> str:
    """``higher is better``: which way an indicator is better, in the language of the moment
    (``vocabulary.kinds.direction_sentence``)."""
    return direction_sentence(direction)


COLUMN_NAMES: dict[str, str] = {
    "programme": N_("Programme"),
    "period": N_("Period"),
    "value": N_("Value"),
    "interval": N_("95 % interval"),
    "counted": N_("Counted"),
    "target": N_("Target"),
    "completeness": N_("Data complete"),
    "note": N_("Note"),
}
"""The explorer table's columns (``table``) and their headers, in the order they are shown."""
COLUMN_WIDTHS: dict[str, int] = {
    "programme": 170,
    "period": 90,
    "value": 90,
    "interval": 120,
    "counted": 100,
    "target": 80,
    "completeness": 130,
    "note": 320,
}
SPLIT_WIDTH = 150
"""Least pixels of each column of ``table`` (a split column: ``SPLIT_WIDTH``), each wide
enough for its header in English and German. Programme, period and value fit the 358 pixels
of a phone's 390-pixel screen, so the value is never off-screen; programme, period, split,
value, interval and what was counted fit the 848 pixels a 1280-pixel screen leaves beside the
sidebar, which shares what is left over among the columns (a programme's name gets more)."""


def table_widths(splits: Sequence[str] = ()) -> dict[str, int]:
    """Header (in the language of the moment) → width in pixels, for the columns of
    ``table(view, splits)``."""
    widths = {_(COLUMN_NAMES[c]): w for c, w in COLUMN_WIDTHS.items()}
    return widths | {split_name(s): SPLIT_WIDTH for s in splits}


def date_text(day: date | None) -> str:
    """A date as a person reads it in the language of the moment: ``30 Jun 2025``,
    ``30.06.2025``."""
    if day is None:
        return ""
    return numbers.day(day)


MOMENT_DATE_FORMATS = {"en": "D MMM YYYY", "de": "DD.MM.YYYY"}


def moment_date_format() -> str:
    """How a date column of a dashboard table reads in the language of the moment (a
    Moment.js pattern, as Streamlit's date columns take): ``30 Jun 2025``, ``30.06.2025``."""
    return MOMENT_DATE_FORMATS.get(current(), MOMENT_DATE_FORMATS["en"])


def programme_names(programmes: pd.DataFrame) -> dict[str, str]:
    """Programme id → the name a person reads (``programmes_in_scope``'s rows); two programmes
    of the same name are told apart by their organisation, and only within one organisation
    by their id."""
    if programmes.empty:
        return {}
    ids, named = programmes["programme_id"], programmes["programme"]
    orgs = programmes["organisation"] if "organisation" in programmes else [""] * len(ids)
    rows = [(str(p), shown_name(n), str(o or "")) for p, n, o in zip(ids, named, orgs, strict=True)]
    seen = [n for _pid, n, _org in rows]
    pairs = [(n, o) for _pid, n, o in rows]
    return {
        p: n
        if seen.count(n) == 1
        else f"{n} ({shown_name(o)})"
        if o and pairs.count((n, o)) == 1
        else f"{n} ({p})"
        for p, n, o in rows
    }


def programme_name(programme_id: object, names: dict[str, str]) -> str:
    """The name of ``programme_id`` (``*``: all programmes together); its id without a name."""
    pid = str(programme_id)
    if pid == TOTAL:
        return _(ALL_PROGRAMMES)
    return names.get(pid, pid)


def _present(value: object) -> float | None:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if x != x else x


def _period_label(row: dict, labels: dict[tuple[date, date], str]) -> str:
    span = (row["period_start"], row["period_end"])
    if span in labels:
        return labels[span]
    return label(from_days(*span), current())


def table(
    view: IndicatorResult,
    splits: Sequence[str] = (),
    names: dict[str, str] | None = None,
    period_labels: dict[tuple[date, date], str] | None = None,
) -> pd.DataFrame:
    """One indicator's rows as a person reads them, every cell text in the language of the
    moment: programme (by name) and period, the split value (its label), then the value and
    its 95 % interval, what it counted, the target, completeness and a note.

    A hidden figure reads ``marks.hidden()`` and a figure there is no data for
    ``marks.no_data()``: the two always differ (``marks.legend()`` says what each means).
    Rows are ordered by programme name, period, and split value in its own order (age bands by
    age). A column with nothing in it (no interval, target, completeness or note) is left out."""
    names = names or {}
    labels = period_labels or {}
    lang = current()
    percent = view.kind in PERCENT_KINDS
    frame = view.frame
    rows = []
    for row in frame.to_dict("records"):
        hidden = bool(row.get("suppressed"))
        value = _present(row.get("value"))
        missing = not hidden and (value is None or row.get("status") == NO_DATA)
        if hidden:
            shown, interval, counted = marks.hidden(), "", marks.hidden()
        elif missing:
            shown, interval, counted = marks.no_data(), "", ""
        else:
            shown = numbers.figure(value, view.kind, view.unit, lang)
            low, high = _present(row.get("ci_low")), _present(row.get("ci_high"))
            interval = ""
            if low is not None and high is not None:
                interval = (
                    numbers.interval(low, high, lang)
                    if percent
                    else f"{numbers.number(low, lang)}–{numbers.number(high, lang)}"
                )
            num, den = _present(row.get("numerator")), _present(row.get("denominator"))
            counted = (
                _("{n} of {d}", n=numbers.count(num, lang), d=numbers.count(den, lang))
                if percent and num is not None and den is not None
                else ""
            )
        target = _present(row.get("target"))
        share = _present(row.get("completeness"))
        cells = {
            "programme": programme_name(row.get("programme_id"), names),
            "period": _period_label(row, labels),
            **{s: code_label(s, row.get(s)) for s in splits},
            "value": shown,
            "interval": interval,
            "counted": counted,
            "target": "" if target is None else numbers.figure(target, view.kind, view.unit, lang),
            "completeness": "" if share is None or hidden else numbers.percent(share, lang),
            "note": (
                _("The period is not over in the data yet: the number may still grow.")
                if row.get("status") == PARTIAL_PERIOD
                else ""
            ),
            "_start": row["period_start"],
            **{f"_{s}": row.get(s) for s in splits},
        }
        rows.append(cells)
    columns = ["programme", "period", *splits, *list(COLUMN_NAMES)[2:]]
    out = pd.DataFrame(rows, columns=[*columns, "_start", *(f"_{s}" for s in splits)])
    if len(out):
        keys = ["programme", "_start"]
        for s in splits:
            order = {v: n for n, v in enumerate(code_order(s, sorted(set(map(str, out[f"_{s}"])))))}
            out[f"_{s}"] = [order.get(str(v), len(order)) for v in out[f"_{s}"]]
            keys.append(f"_{s}")
        out = out.sort_values(keys, kind="stable")
    out = out[columns].reset_index(drop=True)
    if not percent:
        out = out.drop(columns=["counted"])
    for empty in ("interval", "target", "completeness", "note"):  # a column with nothing in it
        if not out[empty].astype(bool).any():
            out = out.drop(columns=[empty])
    return out.rename(
        columns={c: (split_name(c) if c in splits else _(COLUMN_NAMES[c])) for c in out.columns}
    )


def has_gaps(frame: pd.DataFrame) -> bool:
    """Whether a result holds a hidden figure or one without data (then show the legend)."""
    if frame.empty or "value" not in frame:
        return False
    hidden = "suppressed" in frame and bool(frame["suppressed"].astype(bool).any())
    return hidden or bool(pd.to_numeric(frame["value"], errors="coerce").isna().any())


def download_frame(result: ExplorerResult, names: dict[str, str] | None = None) -> pd.DataFrame:
    """The rows of the download: the engine's tidy frame (machine columns keep their codes)
    with label columns beside the codes, in the language of the moment: ``programme`` after
    ``programme_id``, ``indicator`` (the name) after ``indicator_id``, the ``period`` label,
    and ``<split>_label`` after each split column."""
    names = names or {}
    out = result.frame.copy()
    if out.empty:
        return out
    labels = result.period_labels
    out["period"] = [
        labels.get((s, e)) or label(from_days(s, e), current())
        for s, e in zip(out["period_start"], out["period_end"], strict=True)
    ]
    by_id = {(i.id, i.version): _(i.name) for i in result.indicators}
    extra = {
        "indicator_id": (
            "indicator",
            [
                by_id.get((i, int(v)), "")
                for i, v in zip(out["indicator_id"], out["indicator_version"], strict=True)
            ],
        ),
        "programme_id": (
            "programme",
            [programme_name(p, names) for p in out["programme_id"]],
        ),
        **{s: (f"{s}_label", [code_label(s, v) for v in out[s]]) for s in result.splits},
    }
    for column, (name, values) in extra.items():
        if column in out.columns and name not in out.columns:
            out.insert(list(out.columns).index(column) + 1, name, values)
    return out


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
    """``indicators_2024-Q3_to_2025-Q2.csv``: what and when, safe as a file name. A file of
    unsuppressed figures (the internal audience) ends ``-internal-not-for-sharing``: only the
    organisation's own staff may receive it."""
    specs = [p.spec for p in result.request.periods]
    span = specs[0] if len(specs) == 1 else f"{specs[0]}_to_{specs[-1]}"
    span = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in span)
    return file_name(f"indicators_{span}", fmt, shared=result.shared)


def file_name(stem: str, extension: str, *, shared: bool) -> str:
    """``stem.extension`` for a file of shared (suppressed) figures; a file of unsuppressed
    figures ends ``-internal-not-for-sharing`` (``INTERNAL_SUFFIX``), so its name says who may
    have it wherever it is saved or attached (the explorer's downloads, the report packs)."""
    return f"{stem}{'' if shared else INTERNAL_SUFFIX}.{extension}"


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
