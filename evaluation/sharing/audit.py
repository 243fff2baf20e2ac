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
* **Read in words** (``audit_table``): every detail key has a display name (``DETAIL_KEYS``,
  one registry; a new key written anywhere is added there), its values in the reader's
  language and number style; ``cli`` reads "Command line", and an empty role says why.
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
from evaluation.vocabulary.language import N_, _
from evaluation.vocabulary.roles import role_title

__all__ = [
    "ACTORS",
    "AUDIT_COLUMNS",
    "DETAIL_KEYS",
    "DETAIL_VALUES",
    "EXPORT_SUFFIXES",
    "AuditError",
    "actor_text",
    "audit_table",
    "detail_key",
    "detail_text",
    "export_audit",
    "may_read_audit",
    "read_audit",
    "record",
    "record_shared_read",
    "role_text",
    "target_text",
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


DETAIL_KEYS: dict[str, str] = {
    # every key a writer puts into a row's detail (grep ``detail=`` and ``record_read``)
    "cells": N_("figures"),
    "client": N_("computer"),
    "command": N_("command"),
    "content_hash": N_("checksum of the content"),
    "disabled": N_("account disabled"),
    "failures": N_("failed attempts"),
    "fingerprint": N_("key fingerprint"),
    "hidden": N_("hidden figures"),
    "indicator": N_("indicator"),
    "indicators": N_("indicators"),
    "language": N_("language"),
    "locked": N_("locked"),
    "method": N_("sign-in method"),
    "name": N_("account"),
    "origin_release": N_("release it came from"),
    "page": N_("page"),
    "password_set": N_("new password"),
    "period": N_("period"),
    "periods": N_("periods"),
    "programme": N_("programme"),
    "programmes": N_("programmes"),
    "reason": N_("reason"),
    "replaced": N_("replaced"),
    "role": N_("role"),
    "scope": N_("scope"),
    "source": N_("file"),
    "split": N_("split by"),
    "submission_id": N_("submission"),
    "template": N_("report template"),
    "until": N_("until"),
}
"""The name of each key the code writes into a row's ``detail``, translated where shown
(``detail_text``). A key not listed here (a row written by an older version) is shown with its
underscores as spaces."""
DETAIL_VALUES: dict[str, str] = {
    # the fixed words the writers put into ``reason``, ``method`` and ``locked``
    "unknown user": N_("unknown user name"),
    "wrong password": N_("wrong password"),
    "disabled": N_("account disabled"),
    "no account": N_("no account with this e-mail address"),
    "address not verified": N_("e-mail address not verified"),
    "password": N_("password"),
    "identity provider": N_("identity provider"),
    "account": N_("the account"),
    "computer": N_("the computer"),
}
"""The fixed words of a detail's values, translated where shown; any other value (a refusal's
message, a file name) is shown as written."""
PAGES: dict[str, str] = {
    # the pages a shared read or a download is recorded on (``page:…``, ``"page": …``)
    "overview": N_("Data overview"),
    "programme": N_("Programme"),
    "explorer": N_("Indicator explorer"),
    "comparison": N_("Comparison"),
    "reports": N_("Reports"),
    "send": N_("Send a return"),
}
ACTORS: dict[str, str] = {
    # the names the platform itself acts under (``users.OPERATOR``, the demo loader, …)
    "cli": N_("Command line"),
    "demo": N_("Demo loader"),
    "(unknown user name)": N_("(unknown user name)"),
    "(no e-mail address)": N_("(no e-mail address)"),
}
"""The actors that are no person's account, as the trail names them."""


def actor_text(actor: object) -> str:
    """Who acted, as a person reads it: an account's name, or for the command line's operator
    "Command line" (``cli``) in the language of the moment."""
    text = _text(actor)
    return _(ACTORS[text]) if text in ACTORS else text


def role_text(role: object, actor: object = None) -> str:
    """The actor's role in the language of the moment; for an actor without one, why: the
    command line and the demo loader act on the server, an unknown user name is nobody's."""
    text = _text(role)
    if text:
        try:
            return role_title(text)
        except KeyError:
            return text.replace("_", " ")
    who = _text(actor)
    if who in ("cli", "demo"):
        return _("on the server")
    if who.startswith("("):  # "(unknown user name)", "(no e-mail address)"
        return _("not signed in")
    return _("no role")


def target_text(target: object) -> str:
    """The page, file or package an event is about: ``page:overview`` reads "Data overview
    page", ``download:indicators.csv`` "file indicators.csv"."""
    text = _text(target)
    kind, sep, rest = text.partition(":")
    if not sep or not rest:
        return text
    if kind == "page":
        return _("page {page}", page=_(PAGES[rest]) if rest in PAGES else rest)
    if kind in ("file", "download"):
        return _("file {name}", name=rest)
    if kind == "cli":
        return _("command line: {command}", command=rest)
    return text


def detail_key(key: str) -> str:
    """The name of a detail's key in the language of the moment (``DETAIL_KEYS``)."""
    return _(DETAIL_KEYS[key]) if key in DETAIL_KEYS else key.replace("_", " ")


def detail_text(detail: object, names: Mapping[str, str] | None = None) -> str:
    """A row's JSON detail as a person reads it, in the language of the moment: ``figures:
    25,400 · periods: 2025 Q2, …`` / ``Kennzahlen: 25.400 · Zeiträume: …``; keys from
    ``DETAIL_KEYS``, numbers and times in the language's style, period ids named by the label
    function, roles, languages, pages, indicators and templates by their display names, and
    programmes by ``names`` (programme id → name; an id not in it is shown as recorded)."""
    text = _text(detail)
    if not text:
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict):
        return text
    parts = [
        f"{detail_key(str(key))}: {_value_text(str(key), value, names or {})}"
        for key, value in data.items()
    ]
    return " · ".join(parts)


def _value_text(key: str, value: object, names: Mapping[str, str]) -> str:
    from evaluation.vocabulary import numbers

    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int) and key in ("origin_release", "release"):
        return str(value)
    if isinstance(value, int | float):
        return numbers.count(value) if float(value).is_integer() else numbers.number(value)
    if key == "scope" and not value:  # an account of every organisation (an administrator)
        return _("everything")
    if isinstance(value, list | tuple):
        if key in ("periods", "period"):
            return ", ".join(_period_label(str(v)) for v in value) or "–"
        return ", ".join(_value_text(key, v, names) for v in value) or "–"
    if isinstance(value, dict):  # ``replaced``: programme → the submission it replaced
        return ", ".join(names.get(str(k), str(k)) for k in value) or _("none")
    text = _text(value)
    if not text:
        return "–"
    if key in ("programme", "programmes"):
        return names.get(text, text)
    if key == "period":  # one period, or several by commas (the command line's ``--period``)
        return ", ".join(_period_label(p.strip()) for p in text.split(",") if p.strip())
    if key == "periods":
        return _period_label(text)
    if key in ("reason", "method", "locked") and text in DETAIL_VALUES:
        return _(DETAIL_VALUES[text])
    if key == "role" and text:
        return role_text(text)
    if key == "language":
        from evaluation.vocabulary.language import language_name

        return language_name(text) if text else _("the browser's language")
    if key == "page" and text in PAGES:
        return _(PAGES[text])
    if key == "until" and text:
        return _moment(text)
    if key in ("indicator", "indicators") and text:
        return ", ".join(_indicator_name(i.strip()) for i in text.split(",") if i.strip())
    if key == "template" and text:
        return _template_title(text)
    if key == "split":
        from evaluation.vocabulary.splits import split_name

        return split_name(text) if text else _("none")
    return text


def _moment(text: str) -> str:
    from evaluation.vocabulary import numbers

    try:
        return numbers.moment(dt.datetime.fromisoformat(text))
    except ValueError:
        return text


def _indicator_name(key: str) -> str:
    from evaluation.measures.catalogue import load_catalogue

    try:
        return _(load_catalogue().get(key).name)
    except (KeyError, EvaluationError):  # one the catalogue no longer has: its key, as recorded
        return key


def _template_title(template_id: str) -> str:
    from evaluation.reports.spec import load_templates

    try:
        return _(load_templates().get(template_id).title)
    except EvaluationError:  # a template no longer shipped: its id, as recorded
        return template_id


def _period_label(ident: str) -> str:
    from evaluation.periods import label
    from evaluation.periods.parse import parse_periods

    try:
        found = parse_periods(ident)
    except EvaluationError:
        return ident
    return label(found[0]) if len(found) == 1 else ident


def audit_table(frame: pd.DataFrame, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The trail as a person reads it in the language of the moment: display names instead of
    codes (programmes by ``names``, id → name, where given), newest first."""
    return (
        pd.DataFrame(
            {
                "When (UTC)": frame["happened_at"],
                "Who": frame["actor"].map(actor_text),
                "Role": [
                    role_text(r, a) for r, a in zip(frame["role"], frame["actor"], strict=True)
                ],
                "What": frame["action_title"],
                "Organisations": frame["organisations"].map(_text),
                "Release": frame["release"],
                "Page, file or package": frame["target"].map(target_text),
                "Detail": frame["detail"].map(lambda d: detail_text(d, names)),
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
