"""Shared figures, read from releases: the only way a figure reaches the shared audience.

Why a read path of its own: a figure computed for a funder on demand is protected against that
one request only, so asking twice (a total and its split, a year and its quarters, two custom
ranges a day apart) gives hidden small counts away. A release is protected once, as one set with
every earlier release of its programmes; serving the shared audience only what a release holds
means every combination a funder can make was already checked (``docs/spec/releases.md``).

Contract of :func:`released`: for each programme × period of the request, the newest *active*
release that holds both (periods match by exact first and last day) serves that programme and
period; its cells come back in the engine's result layout for the request (the same columns and
order as ``compute`` gives, ``period`` label and the request's split column included) plus
``release`` and ``approved_at``. Suppressed rows are blanked here (:func:`blank_suppressed`),
because the release tables keep the true figures the protection of later releases needs.
Whatever no release covers is refused with :class:`NotReleased`, a sentence naming the missing
programmes and periods and who can approve them. Nothing here reads a case row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

import duckdb
import pandas as pd

from evaluation.measures.catalogue import Catalogue, Indicator, load_catalogue
from evaluation.measures.engine.request import IndicatorRequest, RequestError
from evaluation.measures.result import KEY_COLUMNS, NUMBER_COLUMNS, PERIOD_LABEL
from evaluation.periods import Period
from evaluation.periods import label as period_label
from evaluation.sharing.disclosure import DisclosureSettings
from evaluation.sharing.releases.model import UNSPLIT, NotReleased, ReleaseError, approval_day
from evaluation.store.database import Store, cursor_of
from evaluation.vocabulary.language import _, current, n_
from evaluation.vocabulary.numbers import count
from evaluation.vocabulary.splits import ALL_SPLITS, CASE_SPLITS, NO_SPLIT, TOTAL, split_name

__all__ = [
    "RELEASE_COLUMNS",
    "blank_suppressed",
    "coverage",
    "release_labels",
    "release_note",
    "release_settings",
    "released",
]

RELEASE_COLUMNS: tuple[str, ...] = ("release", "approved_at")
"""The columns every shared result carries after the engine's: which release served the row
and when it was approved (UTC)."""
BLANKED: tuple[str, ...] = (*NUMBER_COLUMNS, "completeness")
"""What a suppressed row never shows: its figures, interval and completeness (a share of the
same people)."""


def released(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    request: IndicatorRequest,
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """The shared result of ``request``, read from the newest active release covering each of
    its programmes and periods.

    Splits: none (one row per programme) or one case column. A total over programmes, a
    programme attribute or two columns at once are not released (``ReleaseError``). Programmes:
    those named, else every programme in the scope that has current data or an active release.
    Raises ``NotReleased`` for any programme × period (or indicator version) no active release
    holds; ``RequestError`` for an unknown indicator or split, as ``compute`` does.
    """
    catalogue = catalogue or load_catalogue()
    inds = _indicators(catalogue, request)
    split = _split(request)
    cur = cursor_of(store_or_cursor)
    programmes = _programmes(cur, request)
    periods = list(request.periods)
    if not periods:
        raise RequestError(_("Give at least one period, e.g. 2025-Q2."))
    columns = _columns(split)
    if programmes.empty:
        return pd.DataFrame(columns=columns)
    cover = _covering(cur, list(programmes["programme_id"]), periods)
    _refuse_uncovered(programmes, periods, cover)
    _refuse_missing_indicators(cur, cover, inds)
    cells = _cells(cur, cover, periods, inds, split)
    approvals = dict(zip(cover["release"].astype(int), cover["approved_at"], strict=True))
    return _laid_out(cells, inds, periods, split, columns, approvals)


def coverage(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    programmes: Sequence[str],
    periods: Sequence[Period],
) -> pd.DataFrame:
    """``programme_id, period_start, period_end, release, approved_at``: for each programme and
    period that an active release covers, the newest such release (uncovered pairs are absent).

    For callers that offer only what can be served (a trend over the released periods) rather
    than have a whole request refused."""
    periods = list(periods)
    cover = _covering(cursor_of(store_or_cursor), list(programmes), periods)
    cover.insert(1, "period_start", [periods[p].start for p in cover["pidx"]])
    cover.insert(2, "period_end", [periods[p].end for p in cover["pidx"]])
    return cover.drop(columns="pidx")


def blank_suppressed(cells: pd.DataFrame) -> pd.DataFrame:
    """``cells`` with the figures of every suppressed row emptied (``BLANKED`` columns present).

    The one place a shared reader hides what the release tables keep: every caller of the
    release tables that serves the shared audience goes through it."""
    out = cells.copy()
    hidden = out["suppressed"].fillna(False).astype(bool).to_numpy()
    for col in BLANKED:
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
            out.loc[hidden, col] = float("nan")
    return out


def release_note(
    frame: pd.DataFrame,
    store_or_cursor: Store | duckdb.DuckDBPyConnection | None = None,
    *,
    most: int = 3,
) -> str:
    """Which releases a shared result came from, for a caption or a report's provenance:
    ``Release 3, approved 4 Dec 2026`` (several joined with ``;``); empty without any.

    Given the store, a release imported from a return names its sender and the sender's own
    number (``release_labels``), and more than ``most`` releases (a funder's store of returns
    from hundreds of organisations) are summed up: ``500 releases of 500 organisations,
    approved 1 Nov 2026 to 2 Nov 2026``."""
    if frame.empty or "release" not in frame.columns:
        return ""
    pairs = list(
        frame[list(RELEASE_COLUMNS)]
        .dropna()
        .drop_duplicates("release")
        .sort_values("release")
        .itertuples(index=False)
    )
    if store_or_cursor is None:
        return "; ".join(
            _("Release {number}, approved {day}", number=int(n), day=approval_date(at))
            for n, at in pairs
        )
    if len(pairs) <= most:
        labels = release_labels(store_or_cursor, [int(n) for n, _x in pairs])
        return "; ".join(labels[int(n)] for n, _x in pairs)
    numbers = [int(n) for n, _x in pairs]
    orgs = (
        cursor_of(store_or_cursor)
        .execute(
            "SELECT count(DISTINCT organisation) FROM releases "
            "WHERE number IN (SELECT unnest(?::INTEGER[]))",
            [numbers],
        )
        .fetchall()[0][0]
    )
    days = sorted(pd.Timestamp(at) for _x, at in pairs)
    first, last = approval_date(days[0]), approval_date(days[-1])
    when = (
        _("approved {day}", day=first)
        if first == last
        else _("approved {first} to {last}", first=first, last=last)
    )
    n = len(numbers)
    releases = n_("{n} release", "{n} releases", n, n=count(n, current()))
    organisations = n_(
        "{releases} of {n} organisation",
        "{releases} of {n} organisations",
        int(orgs),
        releases=releases,
        n=count(int(orgs), current()),
    )
    return f"{organisations}, {when}"


def release_labels(
    store_or_cursor: Store | duckdb.DuckDBPyConnection, releases: Iterable[object]
) -> dict[int, str]:
    """Release number → where figures come from, as a person reads it: ``Release 3, approved
    4 Dec 2026`` for one approved here; ``Release 3: the return of Verein A (their release 7),
    approved 4 Dec 2026`` for one imported from a return (``sharing.returns``)."""
    numbers = sorted({int(r) for r in releases if r is not None and not pd.isna(r)})  # type: ignore[call-overload]
    rows = (
        cursor_of(store_or_cursor)
        .execute(
            """SELECT number, organisation, approved_at, coalesce(source, 'approved'),
                      origin_number
               FROM releases WHERE number IN (SELECT unnest(?::INTEGER[]))""",
            [numbers],
        )
        .fetchall()
    )
    out = {}
    for number, organisation, approved_at, source, origin in rows:
        when = approval_date(approved_at)
        if source == "return":
            out[int(number)] = _(
                "Release {number}: the return of {organisation} (their release {origin}), "
                "approved {day}",
                number=int(number),
                organisation=organisation,
                origin=origin,
                day=when,
            )
        else:
            out[int(number)] = _("Release {number}, approved {day}", number=int(number), day=when)
    return out


def release_settings(
    store_or_cursor: Store | duckdb.DuckDBPyConnection, releases: Iterable[object]
) -> DisclosureSettings:
    """The disclosure settings recorded with ``releases`` (the ``settings`` column), the
    strictest of each threshold when they differ; the defaults when none is given.

    What a shared view applies beside a release's cells (the comparison's smallest denominator,
    a report's method note) must be what the release was protected with, not today's defaults.
    """
    numbers = sorted({int(r) for r in releases if r is not None and not pd.isna(r)})  # type: ignore[call-overload]
    if not numbers:
        return DisclosureSettings()
    rows = (
        cursor_of(store_or_cursor)
        .execute(
            "SELECT settings FROM releases WHERE number IN (SELECT unnest(?::INTEGER[]))",
            [numbers],
        )
        .fetchall()
    )
    recorded = [DisclosureSettings(**json.loads(r[0])) for r in rows if r[0]]
    if not recorded:
        return DisclosureSettings()
    return DisclosureSettings(
        min_count=min(s.min_count for s in recorded),
        max_small=max(s.max_small for s in recorded),
        min_denominator=max(s.min_denominator for s in recorded),
        min_width=max(s.min_width for s in recorded),
    )


def approval_date(at: object) -> str:
    """An approval time as a person reads it (``4 Dec 2026``, ``04.12.2026``: the day in UTC,
    in the language of the moment)."""
    return approval_day(pd.Timestamp(at).date())  # type: ignore[arg-type]


# -- the request ----------------------------------------------------------------------------


def _indicators(catalogue: Catalogue, request: IndicatorRequest) -> list[Indicator]:
    try:
        found = [catalogue.get(i) for i in request.indicators] or list(catalogue.latest())
    except KeyError as exc:
        known = ", ".join(i.id for i in catalogue.latest())
        raise RequestError(
            _("There is no indicator {id}. Known: {known}.", id=exc.args[0], known=known)
        ) from None
    return list({i.key: i for i in found}.values())


def _split(request: IndicatorRequest) -> str | None:
    """The request's one case column, or None for no split (``ReleaseError`` otherwise)."""
    asked = [s.strip().lower() for s in request.split_by if s.strip()]
    for s in asked:
        if s not in ALL_SPLITS:
            raise RequestError(
                _(
                    "Indicators cannot be split by “{split}”. Splits: {splits}.",
                    split=s,
                    splits=", ".join(ALL_SPLITS),
                )
            )
    cols = [s for s in dict.fromkeys(asked) if s != NO_SPLIT]
    if not cols:
        return None
    if len(cols) == 1 and cols[0] in CASE_SPLITS:
        return cols[0]
    names = _(" and ").join(
        _inline(_(split_name(c))) if c != "all" else _("all programmes together") for c in cols
    )
    raise ReleaseError(
        _(
            "Shared figures are released for each programme, unsplit or split by one of "
            "{splits}; a split by {names} is not among them.",
            splits=", ".join(_inline(_(split_name(c))) for c in CASE_SPLITS),
            names=names,
        )
    )


def _inline(name: str) -> str:
    """A display name inside a sentence: lower case in English (``age band``); German keeps
    its nouns capitalised (``Altersgruppe``)."""
    return name.lower() if current() == "en" else name


def _columns(split: str | None) -> list[str]:
    return [
        *KEY_COLUMNS,
        PERIOD_LABEL,
        *([split] if split else []),
        *NUMBER_COLUMNS,
        "status",
        "suppressed",
        "target",
        "baseline",
        "completeness",
        *RELEASE_COLUMNS,
    ]


def _programmes(cur: duckdb.DuckDBPyConnection, request: IndicatorRequest) -> pd.DataFrame:
    """``programme_id, organisation`` of the request: named ones within the scope, else every
    programme of the scope with current data or an active release."""
    current_sql, current_params = request.scope.sql_filter("s.organisation", "p.programme_id")
    released_sql, released_params = request.scope.sql_filter("rp.organisation", "rp.programme_id")
    rows = cur.execute(
        f"""
        SELECT p.programme_id, s.organisation
        FROM current_programmes p JOIN submissions s USING (submission_id)
        WHERE {current_sql}
        UNION
        SELECT rp.programme_id, rp.organisation
        FROM release_programmes rp JOIN releases r ON r.number = rp.release
        WHERE r.status = 'active' AND {released_sql}
        """,
        [*current_params, *released_params],
    ).df()
    rows = rows.drop_duplicates("programme_id").sort_values("programme_id")
    if request.programmes:
        rows = rows[rows["programme_id"].isin(list(request.programmes))]
    return rows.reset_index(drop=True)


# -- coverage -------------------------------------------------------------------------------


def _covering(
    cur: duckdb.DuckDBPyConnection, programmes: list[str], periods: Sequence[Period]
) -> pd.DataFrame:
    """``programme_id, pidx, release, approved_at``: the newest active release (by approval
    time, then number) holding each programme and each period (by position in ``periods``);
    pairs none holds are absent."""
    cover = cur.execute(
        """
        WITH asked AS (
            SELECT unnest(?::INTEGER[]) AS pidx, unnest(?::DATE[]) AS p_start,
                   unnest(?::DATE[]) AS p_end
        ), newest AS (
            -- newest by approval, not by local number: a funder's store numbers the
            -- returns it imports in the order they arrived
            SELECT rp.programme_id, a.pidx,
                   arg_max(r.number, (r.approved_at, r.number)) AS release
            FROM releases r
            JOIN release_programmes rp ON rp.release = r.number
            JOIN release_periods pe ON pe.release = r.number
            JOIN asked a ON pe.period_start = a.p_start AND pe.period_end = a.p_end
            WHERE r.status = 'active' AND rp.programme_id IN (SELECT unnest(?::VARCHAR[]))
            GROUP BY ALL
        )
        SELECT n.programme_id, n.pidx, n.release, r.approved_at
        FROM newest n JOIN releases r ON r.number = n.release
        """,
        [
            list(range(len(periods))),
            [p.start for p in periods],
            [p.end for p in periods],
            programmes,
        ],
    ).df()
    cover["pidx"] = cover["pidx"].astype(int)
    cover["release"] = cover["release"].astype(int)
    return cover


def _refuse_uncovered(
    programmes: pd.DataFrame, periods: Sequence[Period], cover: pd.DataFrame
) -> None:
    covered = set(zip(cover["programme_id"], cover["pidx"], strict=True))
    missing: dict[str, list[int]] = {}
    for pid in programmes["programme_id"]:
        gaps = [i for i in range(len(periods)) if (pid, i) not in covered]
        if gaps:
            missing[str(pid)] = gaps
    if not missing:
        return
    orgs = dict(zip(programmes["programme_id"], programmes["organisation"], strict=True))
    raise NotReleased(_missing_sentence(missing, orgs, periods))


def _missing_sentence(
    missing: dict[str, list[int]], orgs: dict[str, str], periods: Sequence[Period]
) -> str:
    """``No approved release covers BV-ANSTALT for 2025 Q3 and 2025 Q4 yet …``: grouped by the
    periods missing, at most a few programmes named, who can approve them last."""
    by_gap: dict[tuple[int, ...], list[str]] = {}
    for pid, gaps in missing.items():
        by_gap.setdefault(tuple(gaps), []).append(pid)
    parts = []
    for gap, pids in by_gap.items():
        names = _listing(sorted(pids), PROGRAMMES)
        labels = [period_label(periods[i], current()) for i in gap]
        parts.append(
            _("{programmes} for {periods}", programmes=names, periods=_listing(labels, PERIODS))
        )
    owners = sorted({str(orgs.get(p) or "") for p in missing} - {""})
    text = (
        _(
            "No approved release covers {what} yet, so these figures cannot be shared. A CSO "
            "manager or admin of {organisations} can approve them on the Approvals page (or "
            "with “python -m evaluation approve”).",
            what="; ".join(parts),
            organisations=_listing(owners, ORGANISATIONS, joiner=_(" or ")),
        )
        if owners
        else _(
            "No approved release covers {what} yet, so these figures cannot be shared. A CSO "
            "manager of the organisation or an admin can approve them on the Approvals page (or "
            "with “python -m evaluation approve”).",
            what="; ".join(parts),
        )
    )
    return text


PROGRAMMES, PERIODS, ORGANISATIONS, INDICATORS, RELEASES = (
    "programmes",
    "periods",
    "organisations",
    "indicators",
    "releases",
)


def _listing(items: list[str], noun: str, most: int = 5, *, joiner: str | None = None) -> str:
    """``A, B and C``; ``A, B, C, D, E and 3 more programmes`` past ``most``; in the language
    of the moment (``joiner`` instead of "and" before the last, e.g. " or ")."""
    if len(items) > most:
        return _more(noun, ", ".join(items[:most]), len(items) - most)
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + (joiner or _(" and ")) + items[-1]


def _more(noun: str, listed: str, rest: int) -> str:
    """``A, B and 3 more programmes``: each noun's forms spelled out, for the translators."""
    n = count(rest, current())
    if noun == PROGRAMMES:
        return n_(
            "{listed} and {n} more programme",
            "{listed} and {n} more programmes",
            rest,
            listed=listed,
            n=n,
        )
    if noun == PERIODS:
        return n_(
            "{listed} and {n} more period",
            "{listed} and {n} more periods",
            rest,
            listed=listed,
            n=n,
        )
    if noun == ORGANISATIONS:
        return n_(
            "{listed} and {n} more organisation",
            "{listed} and {n} more organisations",
            rest,
            listed=listed,
            n=n,
        )
    if noun == INDICATORS:
        return n_(
            "{listed} and {n} more indicator",
            "{listed} and {n} more indicators",
            rest,
            listed=listed,
            n=n,
        )
    return n_(
        "{listed} and {n} more release", "{listed} and {n} more releases", rest, listed=listed, n=n
    )


# -- cells ----------------------------------------------------------------------------------


def _cells(
    cur: duckdb.DuckDBPyConnection,
    cover: pd.DataFrame,
    periods: Sequence[Period],
    inds: Sequence[Indicator],
    split: str | None,
) -> pd.DataFrame:
    """The release cells of the covered pairs for the indicators: the split column's rows for
    case-split indicators, the unsplit rows for the rest (``*`` in the split column, as the
    engine gives them)."""
    by_split = [i for i in inds if split and i.splits == "case"]
    unsplit = [i for i in inds if i not in by_split]
    parts = []
    for chosen, column in ((unsplit, UNSPLIT), (by_split, split or UNSPLIT)):
        if chosen:
            parts.append(_read_cells(cur, cover, periods, chosen, column))
    cells = pd.concat(parts, ignore_index=True)
    if split:
        cells[split] = cells.pop("split_key")
    return cells


def _read_cells(
    cur: duckdb.DuckDBPyConnection,
    cover: pd.DataFrame,
    periods: Sequence[Period],
    inds: Sequence[Indicator],
    column: str,
) -> pd.DataFrame:
    return cur.execute(
        """
        WITH wanted AS (
            SELECT unnest(?::INTEGER[]) AS release, unnest(?::VARCHAR[]) AS programme_id,
                   unnest(?::INTEGER[]) AS pidx, unnest(?::DATE[]) AS p_start,
                   unnest(?::DATE[]) AS p_end
        ), inds AS (
            SELECT unnest(?::VARCHAR[]) AS indicator_id, unnest(?::INTEGER[]) AS indicator_version
        )
        SELECT w.pidx, c.indicator_id, c.indicator_version, c.programme_id,
               -- as the engine gives them: the total's marker, NULL for a case without a value
               CASE WHEN c.split_column = ? THEN ? ELSE nullif(c.split_value, ?) END AS split_key,
               c.numerator, c.denominator, c.value, c.ci_low, c.ci_high,
               c.status, c.suppressed, c.completeness, c.release
        FROM release_cells c
        JOIN wanted w ON c.release = w.release AND c.programme_id = w.programme_id
             AND c.period_start = w.p_start AND c.period_end = w.p_end
        JOIN inds i ON c.indicator_id = i.indicator_id
             AND c.indicator_version = i.indicator_version
        WHERE c.split_column = ?
        """,
        [
            [int(r) for r in cover["release"]],
            list(cover["programme_id"]),
            [int(p) for p in cover["pidx"]],
            [periods[int(p)].start for p in cover["pidx"]],
            [periods[int(p)].end for p in cover["pidx"]],
            [i.id for i in inds],
            [i.version for i in inds],
            UNSPLIT,
            TOTAL,
            UNSPLIT,
            column,
        ],
    ).df()


def _refuse_missing_indicators(
    cur: duckdb.DuckDBPyConnection, cover: pd.DataFrame, inds: Sequence[Indicator]
) -> None:
    """A covering release made under another catalogue version may lack an indicator version
    asked for: refused by name rather than served as a silent gap. (A split may rightly have
    no rows, e.g. for a programme without cases; every indicator has its unsplit cells.)"""
    numbers = sorted({int(r) for r in cover["release"]})
    held = cur.execute(  # only the indicators asked: a store may hold millions of cells
        """SELECT DISTINCT release, indicator_id, indicator_version FROM release_cells
           WHERE release IN (SELECT unnest(?::INTEGER[])) AND split_column = ?
             AND indicator_id IN (SELECT unnest(?::VARCHAR[]))""",
        [numbers, UNSPLIT, sorted({i.id for i in inds})],
    ).fetchall()
    have = {(i, int(v), int(r)) for r, i, v in held}
    gaps = sorted({(i.key, n) for i in inds for n in numbers if (i.id, i.version, n) not in have})
    if gaps:
        keys = _listing(sorted({k for k, _x in gaps}), INDICATORS)
        found = sorted({r for _x, r in gaps})
        which = _listing([str(n) for n in found], RELEASES)
        raise NotReleased(
            n_(
                "Release {releases} holds no figures for {indicators} (it was approved under "
                "another version of the catalogue). A CSO manager or admin of the organisation "
                "can approve a new release for these periods.",
                "Releases {releases} hold no figures for {indicators} (they were approved under "
                "another version of the catalogue). A CSO manager or admin of the organisation "
                "can approve a new release for these periods.",
                len(found),
                releases=which,
                indicators=keys,
            )
        )


def _laid_out(
    cells: pd.DataFrame,
    inds: Sequence[Indicator],
    periods: Sequence[Period],
    split: str | None,
    columns: list[str],
    approvals: dict[int, datetime],
) -> pd.DataFrame:
    """The cells in the engine's layout and order (catalogue order, programme, period, split
    value), blanked where suppressed."""
    order = {(i.id, i.version): n for n, i in enumerate(inds)}
    pidx = cells["pidx"].astype(int)
    out = pd.DataFrame(
        {
            "indicator_id": cells["indicator_id"].astype(str),
            "indicator_version": cells["indicator_version"].astype(int),
            "programme_id": cells["programme_id"].astype(str),
            "period_start": [periods[p].start for p in pidx],
            "period_end": [periods[p].end for p in pidx],
            PERIOD_LABEL: [periods[p].label for p in pidx],
            **({split: cells[split]} if split else {}),
            **{c: pd.to_numeric(cells[c], errors="coerce").astype(float) for c in NUMBER_COLUMNS},
            "status": cells["status"].astype(str),
            "suppressed": cells["suppressed"].fillna(False).astype(bool),
            "target": None,
            "baseline": None,
            "completeness": pd.to_numeric(cells["completeness"], errors="coerce").astype(float),
            "release": cells["release"].astype(int),
            "_o": [
                order[(i, int(v))]
                for i, v in zip(cells.indicator_id, cells.indicator_version, strict=True)
            ],
            "_p": pidx,
        }
    )
    out["approved_at"] = out["release"].map(approvals)
    out = out.sort_values(
        ["_o", "programme_id", "period_start", *([split] if split else []), "_p"], kind="stable"
    )
    return blank_suppressed(out.drop(columns=["_o", "_p"]))[columns].reset_index(drop=True)
