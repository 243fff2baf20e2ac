"""A CSO manager's overview of one programme and period: headline tiles and data completeness.

A manager preparing a funding renewal wants a handful of numbers at a glance — the headline
indicators (``vocabulary.headline``): new exit cases, the active caseload, planned closures,
drop-outs, contact after release, first contact — each with the change against the period
before and the gap to the target, and next to them how complete the optional fields those
numbers depend on are. Everything here is plain data (dataclasses and DataFrames) computed by
the engine and ``completeness()``; the Programme page, reports and tests draw or check the same
objects.

The shared audience reads none of it from case rows: its tiles come from the releases covering
the period (``sharing.releases.read``), and so does its completeness: the share each release
cell carries (the lowest filled-in share of the optional fields the indicator uses), blank
where the cell is hidden (``released_completeness``). A per-field table from the case rows
would be a figure nobody approved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from evaluation.errors import EvaluationError
from evaluation.measures.catalogue import Catalogue, Indicator, load_catalogue
from evaluation.measures.completeness import completeness
from evaluation.measures.engine import IndicatorRequest, as_number, compute, shown_number
from evaluation.periods import Period, label
from evaluation.sharing.disclosure import DisclosureSettings
from evaluation.sharing.releases.read import coverage, release_note
from evaluation.store.access import Scope
from evaluation.store.database import Store, cursor_of
from evaluation.store.schema import TABLES_BY_NAME
from evaluation.views.programmes import programmes_in_scope
from evaluation.vocabulary import marks, numbers
from evaluation.vocabulary.codes import code_label
from evaluation.vocabulary.headline import HEADLINE_INDICATORS
from evaluation.vocabulary.kinds import PERCENT_KINDS
from evaluation.vocabulary.language import N_, _, current, n_
from evaluation.vocabulary.units import denominator_noun

__all__ = [
    "Headlines",
    "HeadlinesError",
    "ProgrammeRequest",
    "Tile",
    "completeness_table",
    "field_label",
    "headlines",
    "released_completeness",
    "tiles_from_frame",
]

MIN_ROWS_SHARED = DisclosureSettings().min_denominator
"""A completeness share shown to the shared audience needs at least this many rows (rule 3)."""


class HeadlinesError(EvaluationError, ValueError):
    """The programme is not in the caller's scope (or not in the store)."""


def _points(whole: int, sign: str = "") -> str:
    """``+5 percentage points``: a whole number of percentage points, signed, in words."""
    return n_(
        "{n} percentage point",
        "{n} percentage points",
        whole,
        n=sign + numbers.count(whole, current()),
    )


@dataclass(frozen=True)
class Tile:
    """One headline number: the value in the period, the period before, and the target."""

    indicator_id: str
    indicator_version: int
    name: str
    kind: str
    unit: str
    direction: str
    """``higher``, ``lower`` or ``neutral``: which way is better."""
    definition: str
    period: Period
    previous_period: Period
    value: float | None
    numerator: float | None
    denominator: float | None
    status: str
    suppressed: bool
    previous_value: float | None
    previous_status: str
    previous_suppressed: bool
    target: float | None = None
    baseline: float | None = None
    missing_tables: tuple[str, ...] = ()

    @property
    def change(self) -> float | None:
        """Value minus the previous period's value (``None`` when either is missing)."""
        if self.value is None or self.previous_value is None:
            return None
        return self.value - self.previous_value

    @property
    def vs_target(self) -> float | None:
        """Value minus the target (``None`` without a target for exactly this period)."""
        if self.value is None or self.target is None:
            return None
        return self.value - self.target

    @property
    def title(self) -> str:
        """The indicator's name in the language of the moment."""
        return _(self.name)

    @property
    def value_text(self) -> str:
        """The value as it reads (locale digits), or the mark of a hidden figure or of one
        without data (``vocabulary.marks``): the two never look alike."""
        if self.suppressed:
            return marks.hidden()
        if self.value is None:
            return marks.no_data()
        return numbers.figure(self.value, self.kind, self.unit, current())

    @property
    def change_text(self) -> str | None:
        """The signed change (``+3``, ``-5 percentage points``) ``st.metric`` draws an arrow
        for; ``None`` when there is none."""
        if self.change is None:
            return None
        if self.kind not in PERCENT_KINDS:
            return numbers.change(self.change, current())
        whole = round(self.change * 100)
        sign = "+" if whole > 0 else "-" if whole < 0 else ""
        return _points(abs(whole), sign)

    @property
    def note(self) -> str:
        """Why a value is missing or may still change, in a sentence (empty when all is well),
        in the language of the moment."""
        if self.suppressed:
            return _("Hidden to protect small numbers.")
        if self.status == "no_data":
            if self.missing_tables:
                names = [_("“{name}”", name=code_label("table", t)) for t in self.missing_tables]
                listed = (
                    names[0]
                    if len(names) == 1
                    else _("{some} and {last}", some=", ".join(names[:-1]), last=names[-1])
                )
                return n_(
                    "No data: the table {names} was not supplied.",
                    "No data: the tables {names} were not supplied.",
                    len(names),
                    names=listed,
                )
            noun = denominator_noun(self.unit)
            if self.kind == "proportion" and noun and (current() == "en" or _(noun) != noun):
                return _("No data: no {noun} in this period.", noun=_(noun))
            return _("No data: nothing to count in this period.")
        if self.status == "partial_period":
            return _("The period is not over in the data yet: the number may still grow.")
        return ""

    @property
    def previous_text(self) -> str:
        """``2025 Q1: 12``: the period before and its figure, in the language of the moment."""
        if self.previous_suppressed:
            shown = _("hidden to protect small numbers")
        elif self.previous_value is None:
            shown = marks.no_data()
        else:
            shown = numbers.figure(self.previous_value, self.kind, self.unit, current())
        return f"{label(self.previous_period, current())}: {shown}"

    @property
    def target_text(self) -> str:
        """The target and the gap to it, in a sentence in the language of the moment."""
        if self.target is None:
            return _("No target for this period.")
        target = numbers.figure(self.target, self.kind, self.unit, current())
        gap = self.vs_target
        if gap is None:
            return _("Target {target}.", target=target)
        if self.kind in PERCENT_KINDS:
            whole = round(abs(gap) * 100)
            size = _points(whole) if whole else "0"
        else:
            size = numbers.number(abs(gap), current())
        if abs(gap) < 1e-9 or size == "0":
            return _("Target {target}: on target.", target=target)
        if gap > 0:
            return _("Target {target}: {gap} above.", target=target, gap=size)
        return _("Target {target}: {gap} below.", target=target, gap=size)


@dataclass(frozen=True)
class ProgrammeRequest:
    programme: str
    period: Period
    scope: Scope = field(default_factory=Scope.everything)
    indicators: tuple[str, ...] = HEADLINE_INDICATORS


@dataclass(frozen=True)
class Headlines:
    programme_id: str
    programme: str
    organisation: str
    data_as_of: date | None
    period: Period
    previous_period: Period
    tiles: list[Tile]
    completeness: pd.DataFrame
    """``completeness_table`` of the programme and period (internal), or
    ``released_completeness`` (shared: from the release, one row per indicator)."""
    releases: tuple[int, ...] = ()
    """Shared: the releases the tiles and the completeness were read from (audit trail)."""
    release: str = ""
    """Shared: ``Release 3, approved 4 Dec 2026`` (``release_note``), for the caption."""


def _indicators(ids: Sequence[str], catalogue: Catalogue) -> list[Indicator]:
    out = []
    for ref in ids:
        try:
            out.append(catalogue.get(ref))
        except KeyError:
            continue
    return out


def _row(frame: pd.DataFrame, ind: Indicator, programme: str, period: Period) -> dict | None:
    rows = frame[
        (frame["indicator_id"] == ind.id)
        & (frame["indicator_version"] == ind.version)
        & (frame["programme_id"] == programme)
        & (frame["period_start"] == period.start)
        & (frame["period_end"] == period.end)
    ]
    return None if rows.empty else rows.iloc[0].to_dict()


def tiles_from_frame(
    frame: pd.DataFrame,
    indicators: Sequence[Indicator],
    programme: str,
    period: Period,
    previous: Period | None = None,
    missing_tables: Sequence[str] = (),
) -> list[Tile]:
    """The tiles of ``programme`` from an engine result holding ``period`` and the one before.

    An indicator without a row for ``period`` is left out; ``missing_tables`` (the tables the
    programme's submission lacks) names the reason of a ``no_data`` tile.
    """
    previous = previous or period.previous()
    tiles = []
    for ind in indicators:
        now = _row(frame, ind, programme, period)
        if now is None:
            continue
        before = _row(frame, ind, programme, previous) or {}
        tiles.append(
            Tile(
                indicator_id=ind.id,
                indicator_version=ind.version,
                name=ind.name,
                kind=ind.kind,
                unit=ind.unit,
                direction=ind.direction,
                definition=ind.definition,
                period=period,
                previous_period=previous,
                value=shown_number(now, "value"),
                numerator=shown_number(now, "numerator"),
                denominator=shown_number(now, "denominator"),
                status=str(now.get("status")),
                suppressed=bool(now.get("suppressed")),
                previous_value=shown_number(before, "value"),
                previous_status=str(before.get("status", "no_data")),
                previous_suppressed=bool(before.get("suppressed", False)),
                target=as_number(now.get("target")),
                baseline=as_number(now.get("baseline")),
                missing_tables=tuple(t for t in ind.sources if t in set(missing_tables)),
            )
        )
    return tiles


# --------------------------------------------------------------------------------------------
# Completeness


def field_label(name: str) -> str:
    """``Cases: first request on`` for ``cases.first_request_on``: an optional field of the
    data format as a person reads it, in the language of the moment."""
    table, _dot, column = name.partition(".")
    if not column:
        return code_label("table", table)
    return _(
        "{table}: {column}",
        table=code_label("table", table),
        column=code_label("column", column).lower()
        if current() == "en"
        else code_label("column", column),
    )


FIELD_MEANINGS: dict[str, str] = {
    "cases.first_request_on": N_("the day the first request for help or referral came in"),
    "cases.plan_agreed_on": N_("the day the intervention plan was agreed"),
    "cases.closure_reason": N_("why a case ended: needed for every closed case"),
    "cases.returnee": N_("whether the person is a returning foreign fighter"),
    "cases.region": N_("the region, as a NUTS code such as DE30"),
    "staffing.former_extremists": N_("staff members who are former extremists themselves"),
}
"""What each field the completeness check watches (``measures.completeness.WATCHED``) means,
in English, marked for translation: a page shows ``_(meaning)``. Another field's meaning is
the data format's own (``store.schema``), in English."""


def _field_doc(name: str) -> str:
    if name in FIELD_MEANINGS:
        return FIELD_MEANINGS[name]
    table, _dot, column = name.partition(".")
    try:
        return TABLES_BY_NAME[table].column(column).doc
    except KeyError:
        return ""


def completeness_table(
    rows: pd.DataFrame, catalogue: Catalogue | None = None, *, audience: str = "internal"
) -> pd.DataFrame:
    """``completeness()`` rows of one programme and period, ready to read.

    Columns: ``field`` (``table.column``), ``label`` (the field in words: ``field_label``),
    ``meaning`` (from the data-format registry),
    ``rows`` (cases open in the period, or staffing rows), ``filled``, ``share`` and
    ``used_by`` (the catalogue indicators that depend on the field). For the shared audience
    the counts are dropped and a share of a case field on fewer than 10 cases is hidden:
    counts of cases are counts of people.
    """
    catalogue = catalogue or load_catalogue()
    used: dict[str, list[str]] = {}
    for ind in catalogue.latest():
        for f in ind.optional_fields:
            used.setdefault(f, []).append(ind.id)
    out = pd.DataFrame(
        {
            "field": rows["field"].astype(str),
            "label": [field_label(str(f)) for f in rows["field"]],
            "meaning": [_field_doc(f) for f in rows["field"]],
            "rows": rows["rows"].astype("Int64"),
            "filled": rows["filled"].astype("Int64"),
            "share": rows["share"].astype(float),
            "used_by": [", ".join(used.get(f, [])) for f in rows["field"]],
        }
    ).reset_index(drop=True)
    if audience == "shared":
        small = (out["rows"].fillna(0) < MIN_ROWS_SHARED) & out["field"].str.startswith("cases.")
        out["share"] = out["share"].where(~small.to_numpy())
        out = out.drop(columns=["rows", "filled"])
    return out


SHARED_COMPLETENESS_COLUMNS = ["indicator", "name", "fields", "share", "hidden"]


def released_completeness(
    frame: pd.DataFrame, indicators: Sequence[Indicator], programme: str, period: Period
) -> pd.DataFrame:
    """The completeness the shared audience may see: for each of ``indicators`` that uses
    optional fields, the ``completeness`` of its released cell for ``programme`` and ``period``
    (``frame``: a shared result, read from releases), blank where the cell is hidden.

    Columns ``SHARED_COMPLETENESS_COLUMNS``: ``indicator`` (id), ``name`` (in the language of
    the moment), ``fields`` (the optional fields in words: ``field_label``), ``share`` and
    ``hidden``. Nothing is read from cases.
    """
    rows = []
    for ind in indicators:
        if not ind.optional_fields:
            continue
        row = _row(frame, ind, programme, period) or {}
        share = as_number(row.get("completeness"))
        # hidden with its figure, or a share of fewer cases than rule 3 allows (not released)
        hidden = bool(row.get("suppressed", False)) or (bool(row) and share is None)
        rows.append(
            {
                "indicator": ind.id,
                "name": _(ind.name),
                "fields": ", ".join(field_label(f) for f in ind.optional_fields),
                "share": None if hidden else share,
                "hidden": hidden,
            }
        )
    out = pd.DataFrame(rows, columns=SHARED_COMPLETENESS_COLUMNS)
    out["share"] = out["share"].astype(float)
    out["hidden"] = out["hidden"].astype(bool)
    return out


# --------------------------------------------------------------------------------------------
# The whole overview


def headlines(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    request: ProgrammeRequest,
    catalogue: Catalogue | None = None,
) -> Headlines:
    """Tiles and completeness for one programme and period, computed in the caller's scope.

    Shared: read from the releases covering the period (the period before too, when a release
    covers it; else its comparison is left blank); ``NotReleased`` when none covers the period.
    Raises ``HeadlinesError`` when the programme is not among those the scope may see.
    """
    catalogue = catalogue or load_catalogue()
    cur = cursor_of(store_or_cursor)
    programmes = programmes_in_scope(cur, request.scope)
    match = programmes[programmes["programme_id"] == request.programme]
    if match.empty:
        raise HeadlinesError(
            _(
                "The programme {programme} is not among the programmes you may see, or it "
                "has no current data.",
                programme=request.programme,
            )
        )
    info = match.iloc[0]
    period, previous = request.period, request.period.previous()
    indicators = _indicators(request.indicators, catalogue)
    shared = not request.scope.internal
    periods: tuple[Period, ...] = (period, previous)
    if shared and coverage(cur, [request.programme], [previous]).empty:
        periods = (period,)  # no release holds the period before: no change to show
    frame = compute(
        cur,
        IndicatorRequest(
            periods=periods,
            indicators=tuple(i.key for i in indicators),
            programmes=(request.programme,),
            scope=request.scope,
        ),
        catalogue,
    )
    missing = [t for t in {t for i in indicators for t in i.sources} if t not in info["tables"]]
    tiles = tiles_from_frame(
        frame, indicators, request.programme, period, previous, missing_tables=missing
    )
    if shared:
        quality = released_completeness(frame, indicators, request.programme, period)
        releases = tuple(sorted({int(r) for r in frame["release"].dropna()}))
    else:
        rows = completeness(cur, [period], request.scope, (request.programme,))
        quality = completeness_table(rows, catalogue, audience=request.scope.audience)
        releases = ()
    return Headlines(
        programme_id=request.programme,
        programme=str(info["programme"]),
        organisation=str(info["organisation"]),
        data_as_of=info["data_as_of"],
        period=period,
        previous_period=previous,
        tiles=tiles,
        completeness=quality,
        releases=releases,
        release=release_note(frame) if shared else "",
    )
