"""The audit trail: who signed in, uploaded, approved, withdrew and read shared figures, and when.

Why it exists: nothing about people leaves an organisation unless one of its people approved it
(``docs/spec/releases.md``), and the organisation must be able to see afterwards who was let
in, who loaded what, who approved what, and who read which release, on which page or file.

Contract:

* **Append-only.** ``record`` (and ``record_shared_read``, built on it) only ever inserts into
  the store's ``audit_log``; this module has no function that changes or removes a row, and no
  other module of the package writes to the table except through ``record``. Older rows keep
  the codes they were written with; readers translate them (``vocabulary.actions.LEGACY``).
* **One registry of actions**: ``evaluation.vocabulary.actions.ACTIONS`` (codes, display
  names); ``record`` refuses a code that is not in it.
* **Whose event.** Each row names the organisations it concerns (``organisations``): the
  organisation a package or release belongs to, or the organisations in a person's scope for a
  sign-in. A release's organisation is looked up when only its number is given.
* **Who may read it**: administrators (everything) and CSO managers (the events of their
  organisations), through ``read_audit``/``export_audit`` with the reader's ``Viewer``;
  everyone else is refused (``AccessDenied``). The command line's local operator reads
  everything (``reader=None``): they hold the store file anyway.
* Rows of the table: ``happened_at`` (UTC), ``actor`` (a user name; ``cli`` for the command
  line's operator, ``demo`` for the demo loader), ``role`` (the actor's role code, NULL when
  none), ``action``, ``organisations``, ``release``, ``target`` (the page, file or package the
  event is about) and ``detail`` (JSON, never a password or a figure).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import duckdb
import pandas as pd

from evaluation.errors import EvaluationError
from evaluation.store.access import AccessDenied, Viewer
from evaluation.store.database import Store, cursor_of
from evaluation.views.spreadsheet import safe_frame, write_rows
from evaluation.vocabulary.actions import ACTIONS, LEGACY, action_title
from evaluation.vocabulary.language import _
from evaluation.vocabulary.roles import role_title

__all__ = [
    "AUDIT_COLUMNS",
    "EXPORT_SUFFIXES",
    "AuditError",
    "audit_table",
    "export_audit",
    "may_read_audit",
    "read_audit",
    "record",
    "record_shared_read",
]

AUDIT_COLUMNS = (
    "happened_at",
    "actor",
    "role",
    "action",
    "action_title",
    "organisations",
    "release",
    "target",
    "detail",
)
"""The columns ``read_audit`` returns, oldest row first."""
EXPORT_SUFFIXES = (".csv", ".xlsx", ".json")
READERS = frozenset({"admin", "cso_manager"})
"""Roles that may read the trail (a CSO manager only their organisations' events)."""


class AuditError(EvaluationError, ValueError):
    """An audit row or export cannot be made as asked (unknown action, unknown file type)."""


# -- writing -----------------------------------------------------------------------------------


def record(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    *,
    actor: str,
    role: str | None,
    action: str,
    release: int | None = None,
    target: str | None = None,
    detail: Mapping[str, object] | None = None,
    organisations: Iterable[str] = (),
) -> None:
    """Append one event to the trail.

    ``actor`` is the name the person acts under, ``role`` their role code (None for the command
    line's operator or the demo loader), ``action`` a code of ``ACTIONS``. With a ``release``
    and no ``organisations``, the release's organisation is looked up. Given a cursor, the row
    is written in that cursor's transaction (so it rolls back with an approval that fails);
    given a store, on a cursor of its own.
    """
    if action not in ACTIONS:
        raise AuditError(_("{action} is not an action of the audit trail.", action=repr(action)))
    cur = cursor_of(store_or_cursor)
    try:
        orgs = sorted({o for o in organisations if o})
        if release is not None and not orgs:
            orgs = _release_organisations(cur, [release]).get(release, [])
        cur.execute(
            "INSERT INTO audit_log (happened_at, actor, action, detail, role, organisations, "
            "release, target) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                _now(),
                actor,
                action,
                json.dumps(dict(detail or {}), default=str, sort_keys=True),
                role,
                orgs,
                release,
                target,
            ],
        )
    finally:
        if cur is not store_or_cursor:
            cur.close()


def record_shared_read(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    viewer: Viewer,
    releases: Iterable[object],
    target: str,
    detail: Mapping[str, object] | None = None,
) -> int:
    """Record that ``viewer`` read figures of ``releases`` on ``target`` (a page such as
    ``page:comparison`` or a file such as ``download:indicators.csv``): one row per release,
    each under its organisation. Returns the number of rows written (0 when nothing released
    was read, e.g. an internal view, which is no shared read)."""
    numbers = sorted({int(r) for r in releases if r is not None and not pd.isna(r)})  # type: ignore[call-overload]
    if not numbers or viewer.internal:
        return 0
    cur = cursor_of(store_or_cursor)
    try:
        owners = _release_organisations(cur, numbers)
        for number in numbers:
            record(
                cur,
                actor=viewer.name,
                role=viewer.role,
                action="shared_read",
                release=number,
                target=target,
                detail=detail,
                organisations=owners.get(number, []),
            )
    finally:
        if cur is not store_or_cursor:
            cur.close()
    return len(numbers)


def _release_organisations(
    cur: duckdb.DuckDBPyConnection, numbers: Sequence[int]
) -> dict[int, list[str]]:
    try:
        rows = cur.execute(
            "SELECT number, organisation FROM releases WHERE number IN (SELECT unnest(?))",
            [list(numbers)],
        ).fetchall()
    except duckdb.CatalogException:  # a store without releases yet
        return {}
    return {int(n): [str(o)] for n, o in rows if o}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# -- reading -----------------------------------------------------------------------------------


def may_read_audit(viewer: Viewer | None) -> bool:
    """Whether ``viewer`` may read the trail (None: the command line's operator, who may)."""
    return viewer is None or viewer.role in READERS


def _organisations_of(reader: Viewer | None) -> list[str] | None:
    """The organisations whose events ``reader`` sees (None: all). Refuses other roles."""
    if reader is None or reader.role == "admin":
        return None
    if reader.role not in READERS:
        raise AccessDenied(
            _(
                "The audit trail is for administrators and the organisation's CSO managers; "
                "{name} is signed in as {role}.",
                name=reader.name,
                role=_(role_title(reader.role)),
            )
        )
    orgs = reader.scope.organisations
    return sorted(orgs) if orgs is not None else None


def read_audit(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    since: dt.date | dt.datetime | None = None,
    organisation: str | None = None,
    *,
    reader: Viewer | None,
    actions: Sequence[str] = (),
    actor: str | None = None,
) -> pd.DataFrame:
    """The events ``reader`` may see (``AUDIT_COLUMNS``), oldest first.

    ``since``: from that day (or moment, UTC) on; ``organisation``: only events concerning it;
    ``actions``: only these codes (older codes of the same action included); ``actor``: only
    this person (without regard to case). A CSO manager sees only events that concern an
    organisation of their scope; ``reader=None`` is the command line's operator.
    """
    visible = _organisations_of(reader)
    conds: list[str] = ["TRUE"]
    params: list[object] = []
    if since is not None:
        start = since if isinstance(since, dt.datetime) else dt.datetime.combine(since, dt.time())
        conds.append("happened_at >= ?")
        params.append(start)
    if visible is not None:
        conds.append("list_has_any(lower_orgs, ?::VARCHAR[])")
        params.append([o.strip().lower() for o in visible])
    if organisation:
        conds.append("list_contains(lower_orgs, ?)")
        params.append(organisation.strip().lower())
    if actions:
        codes = set(actions) | {old for old, new in LEGACY.items() if new in actions}
        conds.append("action IN (SELECT unnest(?::VARCHAR[]))")
        params.append(sorted(codes))
    if actor:
        conds.append("lower(actor) = lower(?)")
        params.append(actor.strip())
    cur = cursor_of(store_or_cursor)
    try:
        frame = cur.execute(
            f"""
            SELECT happened_at, actor, role, action, organisations, release, target,
                   CAST(detail AS VARCHAR) AS detail
            FROM (SELECT * EXCLUDE (organisations), rowid AS n,
                         coalesce(organisations, [s.organisation], []) AS organisations,
                         list_transform(coalesce(organisations, [s.organisation], []),
                                        lambda o: lower(trim(o))) AS lower_orgs
                  FROM audit_log a
                  -- rows written before schema 5 name their organisation only through the
                  -- submission they loaded
                  LEFT JOIN (SELECT submission_id, organisation FROM submissions) s
                    ON a.organisations IS NULL
                   AND s.submission_id = json_extract_string(a.detail, '$.submission_id'))
            WHERE {" AND ".join(conds)}
            ORDER BY happened_at, n
            """,
            params,
        ).df()
    finally:
        if cur is not store_or_cursor:
            cur.close()
    frame["action"] = frame["action"].map(lambda a: LEGACY.get(str(a), str(a)))
    frame["action_title"] = frame["action"].map(action_title)
    frame["organisations"] = frame["organisations"].map(
        lambda v: ", ".join(v) if isinstance(v, list | tuple) or hasattr(v, "tolist") else ""
    )
    frame["release"] = frame["release"].astype("Int64")
    return frame.reindex(columns=list(AUDIT_COLUMNS)).reset_index(drop=True)


def _text(value: object) -> str:
    """A cell as text: nothing for a missing value (never "nan")."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def detail_text(detail: object) -> str:
    """A row's JSON detail as a person reads it: ``cells: 25,400 · periods: 2025 Q2, …``, with
    period ids named by the label function."""
    text = _text(detail)
    if not text:
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict):
        return text
    parts = []
    for key, value in data.items():
        if key == "periods" and isinstance(value, list):
            value = [_period_label(str(v)) for v in value]
        parts.append(f"{str(key).replace('_', ' ')}: {_text(value)}")
    return " · ".join(parts)


def _period_label(ident: str) -> str:
    from evaluation.periods import label
    from evaluation.periods.parse import parse_periods

    try:
        found = parse_periods(ident)
    except EvaluationError:
        return ident
    return label(found[0]) if len(found) == 1 else ident


def audit_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The trail as a person reads it: display names instead of codes, newest first."""
    return (
        pd.DataFrame(
            {
                "When (UTC)": frame["happened_at"],
                "Who": frame["actor"],
                "Role": frame["role"].map(lambda r: role_title(r) if isinstance(r, str) else ""),
                "What": frame["action_title"],
                "Organisations": frame["organisations"].map(_text),
                "Release": frame["release"],
                "Page, file or package": frame["target"].map(_text),
                "Detail": frame["detail"].map(detail_text),
            }
        )
        .iloc[::-1]
        .reset_index(drop=True)
    )


def export_audit(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    path: Path | str,
    since: dt.date | dt.datetime | None = None,
    organisation: str | None = None,
    *,
    reader: Viewer | None,
) -> Path:
    """Write the events ``reader`` may see to ``path``: ``.csv`` or ``.xlsx`` (every text cell
    made inert for spreadsheets, ``views.spreadsheet``) or ``.json`` (a list of objects)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise AuditError(
            _(
                "The audit trail is exported as {suffixes}, not {name}.",
                suffixes=", ".join(EXPORT_SUFFIXES),
                name=path.name,
            )
        )
    frame = read_audit(store_or_cursor, since, organisation, reader=reader)
    frame["happened_at"] = frame["happened_at"].map(
        lambda t: t.isoformat(sep=" ") if hasattr(t, "isoformat") else str(t)
    )
    if suffix == ".json":
        rows = json.loads(frame.to_json(orient="records", force_ascii=False))
        for row in rows:
            row["detail"] = json.loads(row["detail"]) if row["detail"] else {}
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path
    inert = safe_frame(frame.astype(object).where(frame.notna(), None))
    return write_rows(path, list(inert.columns), inert.values.tolist(), sheet="audit")
