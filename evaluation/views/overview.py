"""What is in the store: the current programmes, their caseload, and the submissions on record.

These are counts of records as loaded, not indicators: they show a CSO manager what arrived
and let anyone see at a glance which programmes are in the store and how current their data is.
Indicators, with their agreed definitions, come from the indicator catalogue.

Every reader takes a cursor (one per request) and the caller's ``access.Scope``: only the
organisations and programmes in scope are read (``None``: everything, internally). The counts
here are unsuppressed, so the *shared* audience gets the programme list without counts and no
case-level series or submission details at all. What the shared audience learns about figures
here comes from the releases (``released_overview``): which approved release serves each
programme, for which periods, approved when, and how current the data it was made from was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb
import pandas as pd

from evaluation.periods import Period, period_of
from evaluation.store.access import Scope
from evaluation.store.database import Submission
from evaluation.views.programmes import returned_programmes
from evaluation.views.releases import period_list, period_span
from evaluation.vocabulary.codes import code_label
from evaluation.vocabulary.language import N_, _, current
from evaluation.vocabulary.names import shown_name

PROGRAMME_COLUMNS = [
    "programme_id",
    "programme",
    "organisation",
    "country",
    "intervention_type",
    "setting",
    "cases",
    "open_cases",
    "contacts",
    "data_as_of",
]
COUNT_COLUMNS = ("cases", "open_cases", "contacts")
SHARED_PROGRAMME_COLUMNS = [c for c in PROGRAMME_COLUMNS if c not in COUNT_COLUMNS]
QUARTER_COLUMNS = [
    "programme_id",
    "programme",
    "quarter",
    "quarter_start",
    "new_cases",
    "new_exit_cases",
]
"""``cases_per_quarter``: ``new_cases`` counts every case opened (exit participants and
concerned persons); ``new_exit_cases`` the exit participants' alone, the number the indicator
C01 (New exit cases) counts, and what the Data overview draws under that one name."""
VOCAB_COLUMNS = ("country", "intervention_type", "setting")
"""Programme attributes that hold codes of the data format: shown by their labels."""
RELEASED_COLUMNS = [
    *[c for c in SHARED_PROGRAMME_COLUMNS if c != "data_as_of"],
    "release",
    "approved_at",
    "period_span",
    "periods",
    "data_as_of",
]
"""``released_overview``: a programme's row once per release that serves it; ``data_as_of`` is
the date of the export that release was made from; ``periods`` lists the periods it serves
them for, ``period_span`` says them in a few words (``releases.period_span``)."""
RELEASED_ORDER = [
    "programme_id",
    "programme",
    "release",
    "approved_at",
    "period_span",
    "data_as_of",
    "organisation",
    "periods",
    "country",
    "intervention_type",
    "setting",
]
"""The order a person reads ``released_overview`` in: the programme, which release serves it,
for which periods and how current its data is (these fit a 1280-pixel screen), then the rest."""
NOT_RELEASED = N_("none approved yet")
SUBMISSION_COLUMNS = [
    "submission",
    "organisation",
    "data_as_of",
    "source_file",
    "programmes",
    "rows",
    "loaded_at",
    "loaded_by",
    "current_for",
]


def programme_overview(
    cursor: duckdb.DuckDBPyConnection, scope: Scope | None = None
) -> pd.DataFrame:
    """One row per programme with current data in ``scope``.

    ``cases`` counts every case record of the programme (exit participants and concerned
    persons alike); ``open_cases`` those without ``closed_on``; ``contacts`` every contact of
    those cases; ``data_as_of`` is the date of the export the programme's current data came
    from. For the shared audience the counts are left out (``SHARED_PROGRAMME_COLUMNS``).
    """
    scope = scope or Scope.everything()
    where, params = scope.sql_filter("s.organisation", "p.programme_id")
    frame = cursor.execute(
        f"""WITH c AS (
                SELECT programme_id, count(*) AS cases,
                       count(*) FILTER (WHERE closed_on IS NULL) AS open_cases
                FROM current_cases GROUP BY programme_id),
            k AS (SELECT programme_id, count(*) AS contacts
                  FROM current_contacts GROUP BY programme_id)
            SELECT p.programme_id, p.programme_name AS programme, s.organisation, p.country,
                   p.intervention_type, p.setting,
                   coalesce(c.cases, 0)::BIGINT AS cases,
                   coalesce(c.open_cases, 0)::BIGINT AS open_cases,
                   coalesce(k.contacts, 0)::BIGINT AS contacts,
                   s.data_as_of
            FROM current_programmes p
            JOIN current_submission cs ON cs.programme_id = p.programme_id
            JOIN submissions s ON s.submission_id = cs.submission_id
            LEFT JOIN c ON c.programme_id = p.programme_id
            LEFT JOIN k ON k.programme_id = p.programme_id
            WHERE {where}
            ORDER BY s.organisation, p.programme_id""",
        params,
    ).df()
    if scope.audience != "internal":
        return frame[SHARED_PROGRAMME_COLUMNS]
    return frame[PROGRAMME_COLUMNS]


def released_overview(
    cursor: duckdb.DuckDBPyConnection, scope: Scope | None = None
) -> pd.DataFrame:
    """The programmes with current data in ``scope`` and the active releases serving them
    (``RELEASED_COLUMNS``): one row per programme and release that is the newest active one
    for at least one period (a shared read is served from exactly that release), with those
    ``periods`` (labels in the language of the moment, oldest first; ``period_span`` says
    them in a few words), the release's
    ``approved_at`` (UTC) and the ``data_as_of`` of the submission it was made from. A programme
    no active release holds has one row without a release and ``periods`` saying none is
    approved yet (``NOT_RELEASED``, translated). Reads no case row.

    A funder's store (``sharing.returns``) holds programmes only from returns: they are listed
    too, with the name and organisation the returns carried, no programme attributes, and no
    ``data_as_of`` (a return does not carry the date of the export its figures came from).
    """
    scope = scope or Scope.everything()
    programmes = programme_overview(cursor, scope)[
        [c for c in SHARED_PROGRAMME_COLUMNS if c != "data_as_of"]
    ]
    if not scope.internal:
        returned = returned_programmes(cursor, scope)[["programme_id", "programme", "organisation"]]
        if not returned.empty:
            programmes = pd.concat(
                [programmes.astype(object), returned.astype(object)], ignore_index=True
            )
    where, params = scope.sql_filter("rp.organisation", "rp.programme_id")
    served = cursor.execute(
        f"""WITH held AS (
                SELECT rp.programme_id, pe.period_start, pe.period_end, pe.kind, r.number,
                       row_number() OVER (PARTITION BY rp.programme_id, pe.period_start,
                                          pe.period_end
                                          ORDER BY r.approved_at DESC, r.number DESC) AS newest
                FROM releases r
                JOIN release_programmes rp ON rp.release = r.number
                JOIN release_periods pe ON pe.release = r.number
                WHERE r.status = 'active' AND {where})
            SELECT h.programme_id, h.number AS release, r.approved_at, h.kind, h.period_start,
                   h.period_end, s.data_as_of
            FROM held h
            JOIN releases r ON r.number = h.number
            JOIN release_programmes rp
              ON rp.release = h.number AND rp.programme_id = h.programme_id
            LEFT JOIN submissions s ON s.submission_id = rp.submission_id
            WHERE h.newest = 1
            ORDER BY h.programme_id, h.number, h.period_start, h.period_end DESC""",
        params,
    ).fetchall()
    rows: dict[tuple[str, int], dict[str, object]] = {}
    for pid, number, approved, kind, start, end, as_of in served:
        row = rows.setdefault(
            (pid, int(number)),
            {
                "programme_id": pid,
                "release": int(number),
                "approved_at": approved,
                "periods": [],
                "data_as_of": as_of,
            },
        )
        row["periods"].append(Period(start, end, kind))  # type: ignore[attr-defined]
    releases = pd.DataFrame(
        [
            {
                **r,
                "period_span": period_span(r["periods"]),  # type: ignore[arg-type]
                "periods": period_list(r["periods"]),  # type: ignore[arg-type]
            }
            for r in rows.values()
        ],
        columns=["programme_id", "release", "approved_at", "period_span", "periods", "data_as_of"],
    )
    out = programmes.merge(releases, on="programme_id", how="left")
    out["release"] = out["release"].astype("Int64")
    out["periods"] = out["periods"].fillna(_(NOT_RELEASED))
    out["period_span"] = out["period_span"].fillna(_(NOT_RELEASED))
    out["data_as_of"] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in out["data_as_of"]]
    return out[RELEASED_COLUMNS].reset_index(drop=True)


def cases_per_quarter(
    cursor: duckdb.DuckDBPyConnection, scope: Scope | None = None
) -> pd.DataFrame:
    """New cases (by ``opened_on``) per calendar quarter and current programme in ``scope``,
    each quarter named by the period label function (``2025 Q2``; a page relabels it in the
    reader's language from ``quarter_start``): ``new_cases`` every case, ``new_exit_cases``
    those of exit participants (what C01, New exit cases, counts).

    Each programme's series runs from the quarter of its first case to the quarter of its
    ``data_as_of``, with quarters without new cases as 0, so a gap is visible as a zero rather
    than as a missing bar. Programmes without cases have no rows. Unsuppressed counts: refused
    to the shared audience (``AccessDenied``).
    """
    scope = scope or Scope.everything()
    scope.require_internal("new cases per quarter as loaded")
    where, params = scope.sql_filter("s.organisation", "q.programme_id")
    frame = cursor.execute(
        f"""WITH q AS (
                SELECT programme_id, date_trunc('quarter', opened_on)::DATE AS quarter_start,
                       count(*) AS new_cases,
                       count(*) FILTER (WHERE client_type = 'exit_participant') AS new_exit_cases
                FROM current_cases GROUP BY ALL),
            span AS (
                SELECT q.programme_id, min(q.quarter_start) AS lo,
                       date_trunc('quarter', any_value(s.data_as_of))::DATE AS hi
                FROM q
                JOIN current_submission cs ON cs.programme_id = q.programme_id
                JOIN submissions s ON s.submission_id = cs.submission_id
                WHERE {where}
                GROUP BY q.programme_id),
            grid AS (
                SELECT programme_id,
                       unnest(generate_series(lo::TIMESTAMP, hi::TIMESTAMP,
                                              INTERVAL 3 MONTH))::DATE AS quarter_start
                FROM span)
            SELECT g.programme_id, p.programme_name AS programme,
                   g.quarter_start, coalesce(q.new_cases, 0)::BIGINT AS new_cases,
                   coalesce(q.new_exit_cases, 0)::BIGINT AS new_exit_cases
            FROM grid g
            JOIN current_programmes p ON p.programme_id = g.programme_id
            LEFT JOIN q ON q.programme_id = g.programme_id AND q.quarter_start = g.quarter_start
            ORDER BY g.programme_id, g.quarter_start""",
        params,
    ).df()
    frame["quarter"] = [period_of("quarter", d).label for d in frame["quarter_start"]]
    return frame[QUARTER_COLUMNS]


def submissions_in_scope(
    submissions: Sequence[Submission], scope: Scope | None = None
) -> list[Submission]:
    """The submissions wholly in ``scope`` (its organisation and, for a scope of programmes,
    every programme it holds: its row counts cover them all). For internal readers only: the
    row counts are unsuppressed case counts (``AccessDenied`` when shared)."""
    scope = scope or Scope.everything()
    scope.require_internal("submissions and their row counts")
    return [s for s in submissions if scope.allows(s.organisation, s.programmes)]


def current_status(submission: Submission) -> str:
    """Whether a submission's data is current: for all, some or none of its programmes (in the
    language of the moment)."""
    now = set(submission.current_programmes)
    if not now:
        return _("replaced")
    if now >= set(submission.programmes):
        return _("current")
    replaced = [p for p in submission.programmes if p not in now]
    return _(
        "current for {current}; replaced for {replaced}",
        current=", ".join(sorted(now)),
        replaced=", ".join(replaced),
    )


def country_name(code: object) -> str:
    """``Germany`` (``Deutschland``) for ``DE``: a country code's name in the language of the
    moment (Babel's CLDR names), else its label."""
    if code is None or (isinstance(code, float) and code != code) or str(code) == "":
        return ""
    from babel import Locale

    name = Locale.parse(current()).territories.get(str(code).upper())
    return str(name) if name else code_label("country", code)


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its programme attributes (``VOCAB_COLUMNS``) by their labels and its
    organisations by their shown names (``shown_name``) in the language of the moment, for a
    table a person reads."""
    out = frame.copy()
    for column in ("organisation", "programme"):
        if column in out.columns:
            out[column] = [shown_name(v) for v in out[column]]
    if "country" in out.columns:
        out["country"] = [country_name(v) for v in out["country"]]
    for column in VOCAB_COLUMNS[1:]:
        if column in out.columns:
            out[column] = [
                "" if v is None or (isinstance(v, float) and v != v) else code_label(column, v)
                for v in out[column]
            ]
    return out


def submission_table(submissions: Sequence[Submission]) -> pd.DataFrame:
    """The submissions on record, newest first, one row each, for a person to read."""
    rows = [
        {
            "submission": s.submission_id,
            "organisation": s.organisation,
            "data_as_of": s.data_as_of,
            "source_file": s.source_name,
            "programmes": ", ".join(s.programmes),
            "rows": sum(s.row_counts.values()),
            "loaded_at": s.loaded_at,
            "loaded_by": s.loaded_by,
            "current_for": current_status(s),
        }
        for s in submissions
    ]
    return pd.DataFrame(rows, columns=SUBMISSION_COLUMNS)


def row_count_table(row_counts: Mapping[str, int]) -> pd.DataFrame:
    """Rows per table, largest first."""
    ordered = sorted(row_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    frame = pd.DataFrame(ordered, columns=["table", "rows"])
    return frame.astype({"rows": "int64"})


def submission_rows(submission: Submission) -> pd.DataFrame:
    """Rows per table of one submission, largest first."""
    return row_count_table(submission.row_counts)
