"""Ingest: open → stage → validate → load, all or nothing.

``check_package`` validates without storing anything; ``ingest`` validates and, when the
package is clean, loads it as one submission in one transaction. A package whose content was
already loaded is a no-op that says so; a newer package for the same programmes replaces their
current data, and the older submission stays on record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from evaluation.errors import PackageRefused
from evaluation.intake.container import open_package
from evaluation.intake.expectations import prewarm
from evaluation.intake.limits import Limits
from evaluation.intake.problems import Problem, ValidationReport, count, day
from evaluation.intake.profiles import NO_PROFILE, Profile, load_profile
from evaluation.intake.staging import (
    Staged,
    drop_staging,
    quote_name,
    sheets_read,
    stage_package,
)
from evaluation.intake.validation import validate
from evaluation.progress import Progress, no_progress, scaled
from evaluation.sharing import audit
from evaluation.store.access import Scope
from evaluation.store.database import DATA_TABLES, Store, stored_columns
from evaluation.store.names import look_alikes, shown
from evaluation.store.schema import FORMAT_VERSION, Table
from evaluation.vocabulary.language import N_, _, n_


@dataclass
class IngestResult:
    status: Literal["loaded", "unchanged"]
    report: ValidationReport
    submission_id: str
    organisation: str
    programmes: tuple[str, ...]
    row_counts: dict[str, int]
    data_as_of: dt.date
    first_date: dt.date | None = None
    replaced: dict[str, str] = field(default_factory=dict)
    """programme_id → the submission whose data this one replaced."""

    def sentence(self) -> str:
        """What the load did, in the language of the moment."""
        if self.status == "unchanged":
            return _(
                "{source} was already loaded (submission {submission}); nothing changed.",
                source=self.report.source,
                submission=self.submission_id,
            )
        n_rows = sum(self.row_counts.values())
        rows = n_("{n} row", "{n} rows", n_rows, n=count(n_rows))
        programmes = n_(
            "{n} programme of {organisation}",
            "{n} programmes of {organisation}",
            len(self.programmes),
            n=count(len(self.programmes)),
            organisation=self.organisation,
        )
        if self.first_date:
            text = _(
                "Loaded {source} as submission {submission}: {programmes}, {rows} covering "
                "{first} to {last}.",
                source=self.report.source,
                submission=self.submission_id,
                programmes=programmes,
                rows=rows,
                first=day(self.first_date),
                last=day(self.data_as_of),
            )
        else:
            text = _(
                "Loaded {source} as submission {submission}: {programmes}, {rows} with data as "
                "of {last}.",
                source=self.report.source,
                submission=self.submission_id,
                programmes=programmes,
                rows=rows,
                last=day(self.data_as_of),
            )
        if self.replaced:
            text += " " + n_(
                "It replaces the earlier data of {n} programme, which stays on record.",
                "It replaces the earlier data of {n} programmes, which stays on record.",
                len(self.replaced),
                n=count(len(self.replaced)),
            )
        return text


def _configure(conn: duckdb.DuckDBPyConnection, limits: Limits) -> None:
    conn.execute(f"SET memory_limit = '{limits.memory_limit}'")
    conn.execute("SET enable_progress_bar = false")  # progress is ours to show


def _resolve_profile(profile: Profile | str | Path | None) -> Profile:
    if isinstance(profile, Profile):
        return profile
    return load_profile(profile) if profile else NO_PROFILE


def check_package(
    path: Path | str,
    *,
    profile: Profile | str | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
    source_name: str | None = None,
    store: Store | None = None,
    scope: Scope | None = None,
) -> ValidationReport:
    """Validate a package in a private in-memory database; nothing is stored anywhere.

    With the ``store`` it would be loaded into (and the ``scope`` of the person loading it),
    the report also holds what ``ingest`` would refuse beyond the package's own problems
    (``admission``): a package outside the scope, a programme on record for another
    organisation, data older than what is loaded. So the check says what the load will say.

    Every sentence (problems, refusals, progress) is written in the language of the moment of
    the calling thread, where all of the check runs (the threads it starts, hashing and the
    import of Great Expectations, write none). To check in another thread, run the call in a
    copy of the caller's context (``contextvars.copy_context().run``) or in ``language.using``.
    """
    prewarm()
    limits = limits or Limits.from_env()
    prof = _resolve_profile(profile)
    say = progress or no_progress
    conn = duckdb.connect()
    _configure(conn, limits)
    try:
        with open_package(Path(path), limits, source_name, sheets_read(prof)) as package:
            staged = stage_package(conn, package, prof, scaled(say, 0.0, 0.5))
            report = validate(conn, staged, package.source_name, limits, scaled(say, 0.5, 1.0))
            key = _submission_key(package.content_hash, prof)
    finally:
        conn.close()
    if report.ok and (store is not None or scope is not None):
        cur = store.cursor() if store is not None else None
        try:
            loaded = _already_loaded(cur, key) if cur is not None else None
            report.extend(admission(None if loaded else cur, report, scope))
            if loaded and report.ok:
                report.extend([_loaded_note(loaded)])
        finally:
            if cur is not None:
                cur.close()
    return report


def _submission_key(content_hash: str, profile: Profile) -> str:
    """What names a submission's content: the package's content hash under its mapping."""
    return hashlib.sha256(f"{content_hash}:{profile.digest}".encode()).hexdigest()


def _already_loaded(cur: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """The submission that already holds this content, if any."""
    rows = cur.execute(
        "SELECT submission_id FROM submissions WHERE content_hash = ? ORDER BY loaded_at LIMIT 1",
        [key],
    ).fetchall()
    return str(rows[0][0]) if rows else None


def _loaded_note(submission_id: str) -> Problem:
    return Problem(
        "about",
        None,
        "already_loaded",
        _("this content was already loaded as submission {submission}", submission=submission_id),
        _("loading it again changes nothing"),
        severity="warning",
    )


def admission(
    cur: duckdb.DuckDBPyConnection | None, report: ValidationReport, scope: Scope | None
) -> list[Problem]:
    """What a load of a valid package is refused for beyond its own content, as problems: the
    package is outside the ``scope`` of the person loading it; a programme is on record for
    another organisation; its data are older than the data already loaded (``cur`` reads the
    store; ``None`` skips those two). ``check_package`` reports them, ``ingest`` refuses with
    the first, in the same words. With ``cur``, warnings of names that look like names on
    record follow (``look_alike_names``); they refuse nothing."""
    out: list[Problem] = []
    org = report.organisation or ""
    if scope is not None and (
        scope.audience != "internal" or not scope.allows(org, report.programmes)
    ):
        out.append(
            Problem(
                "about",
                "organisation",
                "outside_scope",
                (
                    _(
                        "the package holds data of {organisation} (programmes {programmes}), "
                        "which your account may not load",
                        organisation=org,
                        programmes=", ".join(report.programmes),
                    )
                    if org
                    else _(
                        "the package holds data of an organisation (programmes {programmes}), "
                        "which your account may not load",
                        programmes=", ".join(report.programmes),
                    )
                ),
                _(
                    "nothing can be loaded from it; ask an administrator if your scope should "
                    "include it"
                ),
            )
        )
    if cur is None or not report.data_as_of:
        return out
    as_of = dt.date.fromisoformat(report.data_as_of)
    rows = cur.execute(
        "SELECT cp.programme_id, s.data_as_of, s.organisation "
        "FROM current_submission cp JOIN submissions s USING (submission_id) "
        "WHERE cp.programme_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY cp.programme_id",
        [list(report.programmes)],
    ).fetchall()
    for pid, old_as_of, owner in rows:
        if str(owner).strip().casefold() != org.strip().casefold():
            out.append(
                Problem(
                    "programmes",
                    "programme_id",
                    "programme_owner",
                    _(
                        "programme {programme} is already on record for another organisation",
                        programme=pid,
                    ),
                    _(
                        "a programme belongs to one organisation: check `programme_id` in the "
                        "programmes table"
                    ),
                )
            )
        elif old_as_of > as_of:
            out.append(
                Problem(
                    "about",
                    "data_as_of",
                    "older_than_loaded",
                    _(
                        "the package has data as of {day}, older than the data of programme "
                        "{programme} already loaded (as of {loaded})",
                        day=day(as_of),
                        programme=pid,
                        loaded=day(old_as_of),
                    ),
                    _("upload the newer export instead; nothing can be changed by this one"),
                )
            )
    out.extend(look_alike_names(cur, report))
    return out


_LOOK_ALIKE = {
    "about": (
        N_("the organisation name looks like the organisation already on record as “{other}”"),
        N_("if it is the same organisation, use exactly that spelling"),
    ),
    "programmes": (
        N_("the programme name looks like the programme already on record as “{other}”"),
        N_("if it is the same programme, use exactly that spelling"),
    ),
}
"""The warning of ``look_alike_names``, by table."""


def look_alike_names(cur: duckdb.DuckDBPyConnection, report: ValidationReport) -> list[Problem]:
    """Warnings for an organisation or programme name of the package that is not equal to, but
    looks like, one on record (``store.names.look_alikes``: a Cyrillic ``а`` for a Latin
    ``a``, another case): loaded as it is, it would be a second organisation or programme that
    reads like the first. Such names are not personal data, so the warning quotes the one on
    record; only a person can tell whether the two are the same."""
    if not report.names:
        return []
    on_record = {
        "about": "SELECT DISTINCT organisation FROM current_submission",
        "programmes": "SELECT DISTINCT programme_name FROM current_programmes "
        "WHERE programme_name IS NOT NULL",
    }
    existing = {t: [str(v) for (v,) in cur.execute(sql).fetchall()] for t, sql in on_record.items()}
    found: dict[tuple[str, str, str], list[int]] = {}
    for table, column, row, name in report.names:
        for other in look_alikes(name, existing.get(table, ())):
            found.setdefault((table, column, other), []).append(row)
    return [
        Problem(
            table,
            column,
            "looks_like_name_on_record",
            _(_LOOK_ALIKE[table][0], other=shown(other)),
            _(_LOOK_ALIKE[table][1]),
            tuple(rows),
            len(rows),
            severity="warning",
        )
        for (table, column, other), rows in found.items()
    ]


def _refusal(report: ValidationReport, problem: Problem) -> PackageRefused:
    """The refusal of ``ingest`` for an ``admission`` problem: the check's words, one sentence."""
    return PackageRefused(
        _(
            "{source}: {problem}. {fix}.",
            source=report.source,
            problem=problem.message,
            fix=problem.how_to_fix(),
        ),
        report,
    )


def ingest(
    path: Path | str,
    store: Store,
    *,
    profile: Profile | str | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
    actor: str = "cli",
    source_name: str | None = None,
    scope: Scope | None = None,
    role: str | None = None,
) -> IngestResult:
    """Validate ``path`` and load it into ``store`` as one submission, all or nothing.

    Raises ``PackageRefused`` (with ``.report``) when the package has errors; the store is then
    unchanged. With a ``scope`` (the dashboard's signed-in user), a package of an organisation
    or programme outside it is refused too, as is any package for the shared audience. Both a
    load and a refusal are written to the audit trail under ``actor`` (and ``role``, the
    actor's role code when a person signed in acts).
    """
    prewarm()
    limits = limits or Limits.from_env()
    prof = _resolve_profile(profile)
    say = progress or no_progress
    cur = store.cursor()
    _configure(cur, limits)
    report: ValidationReport | None = None
    try:
        with open_package(Path(path), limits, source_name, sheets_read(prof)) as package:
            say(_("Opened {source}", source=package.source_name), 0.02)
            staged = stage_package(cur, package, prof, scaled(say, 0.02, 0.45))
            try:
                report = validate(cur, staged, package.source_name, limits, scaled(say, 0.45, 0.7))
                if not report.ok:
                    raise PackageRefused(report.summary(), report)
                for problem in admission(None, report, scope):
                    raise _refusal(report, problem)
                key = _submission_key(package.content_hash, prof)
                return _load(
                    cur,
                    store,
                    staged,
                    report,
                    key,
                    package.source_name,
                    package.container,
                    prof,
                    actor,
                    role,
                    scaled(say, 0.7, 1.0),
                )
            finally:
                drop_staging(cur, staged)
    except PackageRefused as exc:
        seen = exc.report if isinstance(exc.report, ValidationReport) else report
        orgs = {seen.organisation} if seen and seen.organisation else set()
        audit.record(
            store,
            actor=actor,
            role=role,
            action="upload_refused",
            target=seen.source if seen else (source_name or Path(path).name),
            detail={
                "reason": str(exc)[:500],
                "programmes": list(seen.programmes) if seen else [],
            },
            organisations=orgs | set((scope.organisations if scope else None) or ()),
        )
        raise
    finally:
        cur.close()


def _typed(table: Table, name: str, present: list[str]) -> str:
    """The stored, typed form of a staged column (``r`` is the staged row).

    A missing cell, or a column left out of the package, is stored as the column's default when
    the registry declares one (``returnee``: missing = false), else as missing (NULL). This is
    the one place every container and mapping profile passes through on its way into the store.
    """
    col = table.column(name)
    q = "r." + quote_name(name)
    default = col.default_sql
    if name not in present:
        return f"{default or 'NULL'}::{col.sql_type}"
    typed = {
        "date": f"CAST({q} AS DATE)",
        "integer": f"CAST({q} AS BIGINT)",
        "decimal": f"CAST({q} AS DOUBLE)",
        "bool": f"({q} = 'true')",
    }.get(col.type, q)
    return typed if default is None else f"coalesce({typed}, {default})"


def _current(
    cur: duckdb.DuckDBPyConnection, report: ValidationReport
) -> dict[str, tuple[str, dt.date, str]]:
    """programme_id → (current submission, its data_as_of, organisation) of the package's
    programmes already on record."""
    return {
        r[0]: (r[1], r[2], r[3])
        for r in cur.execute(
            "SELECT cp.programme_id, cp.submission_id, s.data_as_of, s.organisation "
            "FROM current_submission cp JOIN submissions s USING (submission_id) "
            "WHERE cp.programme_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(report.programmes)],
        ).fetchall()
    }


def _load(
    cur: duckdb.DuckDBPyConnection,
    store: Store,
    staged: Staged,
    report: ValidationReport,
    key: str,
    source_name: str,
    container: str,
    profile: Profile,
    actor: str,
    role: str | None,
    say: Progress,
) -> IngestResult:
    as_of = dt.date.fromisoformat(report.data_as_of or "")
    organisation = report.organisation or ""
    existing = _already_loaded(cur, key)
    if existing:
        return IngestResult(
            "unchanged", report, existing, organisation, report.programmes, {}, as_of
        )
    for problem in admission(cur, report, None):
        if problem.severity == "error":
            raise _refusal(report, problem)
        report.extend([problem])  # a warning: loaded all the same, and the result says it
    current = _current(cur, report)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    submission_id = f"S{now:%Y%m%d-%H%M%S}-{key[:8]}"
    source_system = cur.execute(
        "SELECT value FROM rows_about WHERE lower(key) = 'source_system'"
    ).fetchall()
    present = [n for n in staged.tables if n != "about"]
    hmac_sql, hmac_params = store.hmac_sql("case_ref")
    cur.execute("BEGIN TRANSACTION")
    try:
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE case_map AS SELECT case_ref, programme_id, "
            f"CAST(row_number() OVER (ORDER BY case_ref) AS INTEGER) AS case_id, "
            f"{hmac_sql} AS case_key FROM rows_cases",
            hmac_params,
        )
        steps = [t for t in DATA_TABLES if t.name in present]
        for i, table in enumerate(steps):
            st = staged.tables[table.name]
            say(
                n_(
                    "Loading {table} ({n} row)",
                    "Loading {table} ({n} rows)",
                    st.rows,
                    table=table.name,
                    n=count(st.rows),
                ),
                i / max(len(steps), 1),
            )
            names, exprs = [], []
            for col_name, _typ in stored_columns(table):
                names.append(col_name)
                if col_name == "submission_id":
                    exprs.append("?")
                elif col_name in ("case_id", "case_key"):
                    exprs.append(f"m.{col_name}")
                elif col_name == "programme_id" and table.belongs_to == "case":
                    exprs.append("m.programme_id")
                else:
                    exprs.append(_typed(table, col_name, st.columns))
            join = (
                " JOIN case_map m ON r.case_ref = m.case_ref" if table.belongs_to == "case" else ""
            )
            cur.execute(
                f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(exprs)} "
                f"FROM rows_{table.name} r{join}",
                [submission_id],
            )
        counts = {n: st.rows for n, st in staged.tables.items() if n != "about"}
        cur.execute(
            "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                submission_id,
                organisation,
                as_of,
                source_system[0][0] if source_system else None,
                key,
                source_name,
                container,
                profile.name or None,
                list(report.programmes),
                present,
                json.dumps(counts),
                FORMAT_VERSION,
                now,
                actor,
            ],
        )
        replaced = {pid: sub for pid, (sub, _a, _o) in current.items()}
        for pid, old in replaced.items():
            cur.execute(
                "INSERT INTO replacements VALUES (?, ?, ?, ?)", [pid, old, submission_id, now]
            )
        cur.execute(
            "DELETE FROM current_submission WHERE programme_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(report.programmes)],
        )
        cur.execute(
            "INSERT INTO current_submission SELECT unnest(?::VARCHAR[]), ?, ?, ?",
            [list(report.programmes), submission_id, organisation, now],
        )
        audit.record(
            cur,
            actor=actor,
            role=role,
            action="upload",
            target=source_name,
            detail={
                "submission_id": submission_id,
                "source": source_name,
                "programmes": list(report.programmes),
                "replaced": replaced,
            },
            organisations=[organisation],
        )
        first = cur.execute("SELECT min(CAST(opened_on AS DATE)) FROM rows_cases").fetchall()[0][0]
        cur.execute("DROP TABLE case_map")
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    say(_("Loaded"), 1.0)
    return IngestResult(
        "loaded",
        report,
        submission_id,
        organisation,
        report.programmes,
        counts,
        as_of,
        first,
        replaced,
    )
