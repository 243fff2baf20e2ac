"""The store's record of releases: written once, read by number or programme, withdrawn.

Nothing here ever updates a cell or a programme of a release; ``withdraw`` only sets the
release's status, time and who withdrew it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict

import duckdb
import pandas as pd

from evaluation.periods import Period
from evaluation.sharing.disclosure import DisclosureSettings
from evaluation.sharing.releases.model import (
    ACTIVE,
    WITHDRAWN,
    DataVersion,
    Release,
    ReleaseError,
)
from evaluation.sharing.releases.protect import RANGE_COLUMNS, cell_keys
from evaluation.store.database import Store, cursor_of
from evaluation.vocabulary.language import _

STORED_CELL_COLUMNS: tuple[str, ...] = (
    "indicator_id",
    "indicator_version",
    "programme_id",
    "period_start",
    "period_end",
    "split_column",
    "split_value",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "status",
    "suppressed",
    "completeness",
    *RANGE_COLUMNS,
)
"""The columns of ``release_cells`` after ``release``, in the table's order."""


def utc(value: dt.datetime) -> dt.datetime:
    """A stored (naive, UTC) timestamp as an aware UTC datetime."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _releases(cur: duckdb.DuckDBPyConnection, where: str, params: list[object]) -> list[Release]:
    rows = cur.execute(
        f"""SELECT number, organisation, approved_by, approver_role, approved_at, note,
                   catalogue_version, status, withdrawn_at, withdrawn_by
            FROM releases WHERE {where} ORDER BY number""",
        params,
    ).fetchall()
    if not rows:
        return []
    numbers = [r[0] for r in rows]
    progs: dict[int, list[DataVersion]] = {n: [] for n in numbers}
    for rel, pid, sub, chash in cur.execute(
        """SELECT release, programme_id, submission_id, content_hash FROM release_programmes
           WHERE release IN (SELECT unnest(?::INTEGER[])) ORDER BY release, programme_id""",
        [numbers],
    ).fetchall():
        progs[rel].append(DataVersion(pid, sub, chash))
    periods: dict[int, list[Period]] = {n: [] for n in numbers}
    for rel, kind, start, end in cur.execute(
        """SELECT release, kind, period_start, period_end FROM release_periods
           WHERE release IN (SELECT unnest(?::INTEGER[]))
           ORDER BY release, period_start, period_end DESC""",
        [numbers],
    ).fetchall():
        periods[rel].append(Period(start, end, kind))
    return [
        Release(
            number=r[0],
            organisation=r[1],
            programmes=tuple(d.programme_id for d in progs[r[0]]),
            periods=tuple(periods[r[0]]),
            approved_by=r[2],
            approver_role=r[3],
            approved_at=utc(r[4]),
            note=r[5] or "",
            catalogue_version=r[6],
            status=r[7],
            withdrawn_at=None if r[8] is None else utc(r[8]),
            withdrawn_by=r[9],
            data=tuple(progs[r[0]]),
        )
        for r in rows
    ]


def list_releases(
    store_or_cursor: Store | duckdb.DuckDBPyConnection, programme: str | None = None
) -> list[Release]:
    """Every release (withdrawn ones too), oldest first; only those holding ``programme`` when
    given."""
    cur = cursor_of(store_or_cursor)
    if programme is None:
        return _releases(cur, "TRUE", [])
    return _releases(
        cur,
        "number IN (SELECT release FROM release_programmes WHERE programme_id = ?)",
        [programme],
    )


def get_release(store_or_cursor: Store | duckdb.DuckDBPyConnection, number: int) -> Release:
    """Release ``number``; ``ReleaseError`` when there is none."""
    cur = cursor_of(store_or_cursor)
    found = _releases(cur, "number = ?", [number])
    if not found:
        raise ReleaseError(_("There is no release {number}.", number=number))
    return found[0]


def earlier_cells(
    cur: duckdb.DuckDBPyConnection, versions: Sequence[DataVersion]
) -> tuple[pd.DataFrame, dict[str, set[tuple[object, ...]]]]:
    """What earlier releases published for these programmes: their cells of the *same* data
    version (true figures and ``suppressed``), and the keys (``protect.CELL_KEY``) of every cell
    hidden before, whatever the data version. Withdrawn releases count: their cells were
    published."""
    if not versions:
        return pd.DataFrame(columns=STORED_CELL_COLUMNS), {}
    cells = cur.execute(
        f"""SELECT {", ".join("c." + c for c in STORED_CELL_COLUMNS)}, p.content_hash
            FROM release_cells c JOIN release_programmes p
              ON p.release = c.release AND p.programme_id = c.programme_id
            WHERE c.programme_id IN (SELECT unnest(?::VARCHAR[]))""",
        [[v.programme_id for v in versions]],
    ).df()
    hidden: dict[str, set[tuple[object, ...]]] = {}
    if cells.empty:
        return cells.drop(columns="content_hash"), hidden
    gone = cells[cells["suppressed"].astype(bool)]
    for programme, keys in cell_keys(gone).groupby(gone["programme_id"]):
        hidden[str(programme)] = set(keys)
    current = {v.programme_id: v.content_hash for v in versions}
    same = cells["content_hash"].to_numpy() == cells["programme_id"].map(current).to_numpy()
    return cells[same].drop(columns="content_hash").reset_index(drop=True), hidden


def earlier_periods(
    cur: duckdb.DuckDBPyConnection, versions: Sequence[DataVersion]
) -> set[tuple[dt.date, dt.date]]:
    """The (first, last) days of every period released earlier for these programmes with the
    same data version (withdrawn releases too)."""
    if not versions:
        return set()
    rows = cur.execute(
        """SELECT DISTINCT d.period_start, d.period_end
           FROM release_periods d JOIN release_programmes p ON p.release = d.release
           WHERE (p.programme_id, p.content_hash) IN (
               SELECT (unnest(?::VARCHAR[]), unnest(?::VARCHAR[])))""",
        [[v.programme_id for v in versions], [v.content_hash for v in versions]],
    ).fetchall()
    return {(r[0], r[1]) for r in rows}


def next_number(cur: duckdb.DuckDBPyConnection) -> int:
    return int(cur.execute("SELECT coalesce(max(number), 0) + 1 FROM releases").fetchall()[0][0])


def write_release(
    cur: duckdb.DuckDBPyConnection,
    *,
    organisation: str,
    approved_by: str,
    approver_role: str,
    note: str,
    catalogue_version: str,
    settings: DisclosureSettings,
    data: Sequence[DataVersion],
    periods: Sequence[Period],
    cells: pd.DataFrame,
    on_written: Callable[[duckdb.DuckDBPyConnection, int], None] | None = None,
) -> int:
    """Insert one release in one transaction; its number. ``cells`` has
    ``STORED_CELL_COLUMNS``; ``on_written(cursor, number)`` runs inside the transaction (the
    audit row), so it fails or succeeds with the release."""
    cur.execute("BEGIN TRANSACTION")
    try:
        number = next_number(cur)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        cur.execute(
            """INSERT INTO releases (number, organisation, approved_by, approver_role,
                   approved_at, note, catalogue_version, settings, status)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                number,
                organisation,
                approved_by,
                approver_role,
                now,
                note,
                catalogue_version,
                json.dumps(asdict(settings)),
                ACTIVE,
            ],
        )
        cur.executemany(
            "INSERT INTO release_programmes VALUES (?, ?, ?, ?, ?)",
            [[number, d.programme_id, organisation, d.submission_id, d.content_hash] for d in data],
        )
        cur.executemany(
            "INSERT INTO release_periods VALUES (?, ?, ?, ?, ?)",
            [[number, p.spec, p.kind, p.start, p.end] for p in periods],
        )
        stored = cells[list(STORED_CELL_COLUMNS)].copy()
        stored.insert(0, "release", number)
        stored["period_start"] = pd.to_datetime(stored["period_start"]).dt.date
        stored["period_end"] = pd.to_datetime(stored["period_end"]).dt.date
        stored["indicator_version"] = stored["indicator_version"].astype(int)
        stored["suppressed"] = stored["suppressed"].astype(bool)
        stored["split_value"] = stored["split_value"].astype(object)
        cur.register("_release_cells_new", stored)
        try:
            cur.execute(
                "INSERT INTO release_cells SELECT release, "
                + ", ".join(STORED_CELL_COLUMNS)
                + " FROM _release_cells_new"
            )
        finally:
            cur.unregister("_release_cells_new")
        if on_written is not None:
            on_written(cur, number)
        cur.execute("COMMIT")
    except Exception:
        cur.execute("ROLLBACK")
        raise
    return number


def set_withdrawn(cur: duckdb.DuckDBPyConnection, number: int, by: str) -> None:
    """Mark release ``number`` withdrawn (its only change ever)."""
    cur.execute(
        "UPDATE releases SET status = ?, withdrawn_at = ?, withdrawn_by = ? WHERE number = ?",
        [WITHDRAWN, dt.datetime.now(dt.UTC).replace(tzinfo=None), by, number],
    )
