"""Importing a return into a funder's store: verify everything, then store it as a release.

Why a release: the funder's pages, comparison and reports already read shared figures only
from releases (``releases.read.released``); a return stored as a release of the funder's store
(``source`` = ``return``, with the sender's number, approval time, content hash and signing
key) is served by the same read path with the same suppression, and nothing else is needed to
show it. The newest approval of an organisation's programme × period wins there; older returns
stay on record.

Order of the checks (each refuses with a sentence and changes nothing): the file can be read
and is complete; it is signed; the key is trusted here; the signature matches; the content has
the structure of a return and was signed by its own organisation's key; a workbook's readable
sheet still says what was signed; it was made under the catalogue in force here; its
programmes are not another organisation's, nor data this store holds itself. Only then one
transaction writes it (with its audit row). The same return twice is found by its hash, or by
its origin (same organisation, release, programmes and periods) and is a no-op.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from evaluation.sharing.releases.ledger import STORED_CELL_COLUMNS, next_number
from evaluation.sharing.releases.versions import SHORT, catalogue_version
from evaluation.sharing.returns.content import ReturnContent, canonical_bytes, content_hash
from evaluation.sharing.returns.files import parse_signed, read_return
from evaluation.sharing.returns.keys import trusted_keys
from evaluation.sharing.returns.model import ImportResult, ReturnError
from evaluation.sharing.returns.sign import verify
from evaluation.store.database import Store
from evaluation.vocabulary.language import _

RETURN = "return"
"""``releases.source`` of a release imported from a return."""


def _same_origin(cur: duckdb.DuckDBPyConnection, content: ReturnContent) -> int | None:
    """A release of this store that already holds this return's release, programmes and
    periods (the origin release never changes, so its figures are the same)."""
    rows = cur.execute(
        """SELECT r.number,
                  list(DISTINCT p.programme_id ORDER BY p.programme_id),
                  list(DISTINCT (d.period_start, d.period_end))
           FROM releases r
           JOIN release_programmes p ON p.release = r.number
           JOIN release_periods d ON d.release = r.number
           WHERE r.source = ? AND r.organisation = ? AND r.origin_number = ?
           GROUP BY r.number ORDER BY r.number""",
        [RETURN, content.organisation, content.release],
    ).fetchall()
    want_p = sorted(content.programmes)
    want_d = {(p.start, p.end) for p in content.periods}
    for number, progs, spans in rows:
        got = {
            (s["period_start"], s["period_end"]) if isinstance(s, dict) else tuple(s) for s in spans
        }
        if list(progs) == want_p and got == want_d:
            return int(number)
    return None


def _refuse_foreign(cur: duckdb.DuckDBPyConnection, content: ReturnContent) -> None:
    ids = list(content.programmes)
    own = cur.execute(
        "SELECT programme_id FROM current_submission WHERE programme_id IN "
        "(SELECT unnest(?::VARCHAR[])) ORDER BY 1",
        [ids],
    ).fetchall()
    if own:
        raise ReturnError(
            _(
                "This store holds the data of {ids} itself; returns are imported into a "
                "funder's store, which holds no case data. Nothing was imported.",
                ids=", ".join(r[0] for r in own),
            ),
            "conflict",
        )
    other = cur.execute(
        """SELECT DISTINCT programme_id, organisation FROM release_programmes
           WHERE programme_id IN (SELECT unnest(?::VARCHAR[])) AND organisation <> ?
           ORDER BY 1""",
        [ids, content.organisation],
    ).fetchall()
    if other:
        listing = "; ".join(
            _("{programme} of {organisation}", programme=p, organisation=o) for p, o in other
        )
        raise ReturnError(
            _(
                "This store already holds returns about programme {listing}, and a programme "
                "belongs to one organisation, not also to {organisation}. Ask the "
                "organisations which programme ids are theirs; nothing was imported.",
                listing=listing,
                organisation=content.organisation,
            ),
            "conflict",
        )


def _superseded(cur: duckdb.DuckDBPyConnection, content: ReturnContent) -> tuple[int, ...]:
    """Active releases of the organisation that served some of these programmes × periods
    and were approved before this return's release."""
    rows = cur.execute(
        """SELECT DISTINCT r.number FROM releases r
           JOIN release_programmes p ON p.release = r.number
           JOIN release_periods d ON d.release = r.number
           WHERE r.status = 'active' AND r.organisation = ?
             AND p.programme_id IN (SELECT unnest(?::VARCHAR[]))
             AND (d.period_start, d.period_end) IN (
                 SELECT (unnest(?::DATE[]), unnest(?::DATE[])))
             AND (r.approved_at, coalesce(r.origin_number, r.number)) < (?, ?)
           ORDER BY 1""",
        [
            content.organisation,
            list(content.programmes),
            [p.start for p in content.periods],
            [p.end for p in content.periods],
            content.approved_at.replace(tzinfo=None),
            content.release,
        ],
    ).fetchall()
    return tuple(int(r[0]) for r in rows)


def _write(
    cur: duckdb.DuckDBPyConnection,
    content: ReturnContent,
    fingerprint: str,
    actor: str,
    role: str | None,
    target: str,
) -> int:
    from evaluation.sharing import audit

    p = content.provenance
    number = next_number(cur)
    cur.execute(
        """INSERT INTO releases (number, organisation, approved_by, approver_role, approved_at,
               note, catalogue_version, settings, status, source, origin_number, return_hash,
               signed_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?::JSON, 'active', ?, ?, ?, ?)""",
        [
            number,
            content.organisation,
            p["approved_by"],
            p["approver_role"],
            content.approved_at.replace(tzinfo=None),
            p["note"],
            content.catalogue_version,
            json.dumps(p["settings"], sort_keys=True),
            RETURN,
            content.release,
            content_hash(content),
            fingerprint,
        ],
    )
    cur.executemany(
        "INSERT INTO release_programmes VALUES (?, ?, ?, ?, ?)",
        [
            [number, x["programme_id"], content.organisation, x["submission_id"], x["content_hash"]]
            for x in p["programmes"]
        ],
    )
    cur.executemany(
        "INSERT INTO returned_programmes VALUES (?, ?, ?, ?)",
        [[number, x["programme_id"], content.organisation, x["name"]] for x in p["programmes"]],
    )
    cur.executemany(
        "INSERT INTO release_periods VALUES (?, ?, ?, ?, ?)",
        [[number, x.spec, x.kind, x.start, x.end] for x in content.periods],
    )
    cells = content.frame()[list(STORED_CELL_COLUMNS)]
    cells.insert(0, "release", number)
    if not cells.empty:
        cur.register("_return_cells_new", cells)
        try:
            cur.execute(
                "INSERT INTO release_cells SELECT release, "
                + ", ".join(STORED_CELL_COLUMNS)
                + " FROM _return_cells_new"
            )
        finally:
            cur.unregister("_return_cells_new")
    audit.record(
        cur,
        actor=actor,
        role=role,
        action="import_return",
        release=number,
        organisations=[content.organisation],
        target=target,
        detail={
            "origin_release": content.release,
            "programmes": list(content.programmes),
            "periods": [x.spec for x in content.periods],
            "fingerprint": fingerprint,
            "content_hash": content_hash(content),
        },
    )
    return number


def verified(store: Store, path: Path) -> tuple[ReturnContent, str]:
    """The content of the return file ``path`` and the fingerprint of the trusted key that
    signed it, every check of ``import_return`` passed except those against what the store
    holds (duplicates, conflicts). Changes nothing."""
    data, signature, figures = read_return(path)
    cur = store.cursor()
    key = verify(data, signature, trusted_keys(cur))
    content = parse_signed(data)
    if canonical_bytes(content) != data:
        raise ReturnError(
            _(
                "The content of {name} is signed but not in the form this platform writes; "
                "nothing was imported.",
                name=path.name,
            ),
            "malformed",
        )
    if content.organisation != key.organisation:
        raise ReturnError(
            _(
                "{name} says it comes from {organisation} but is signed with the key of "
                "{signer}; nothing was imported.",
                name=path.name,
                organisation=content.organisation,
                signer=key.organisation,
            ),
            "unknown key",
        )
    if figures is not None:
        from evaluation.sharing.returns.workbook import check_figures

        check_figures(content, figures, path.name)
    here = catalogue_version()
    if content.catalogue_version != here:
        raise ReturnError(
            _(
                "The return of {organisation} was made under catalogue version {theirs}, but "
                "this store uses {ours}: the same indicator could mean something else. Ask the "
                "organisation to approve and send the figures again under the catalogue in "
                "force, or update this platform to theirs; nothing was imported.",
                organisation=content.organisation,
                theirs=content.catalogue_version[:SHORT],
                ours=here[:SHORT],
            ),
            "wrong catalogue",
        )
    return content, key.fingerprint


def import_return(store: Store, path: Path, *, actor: str, role: str | None = None) -> ImportResult:
    """Verify the return file ``path`` and store it as a release of ``store`` (one
    transaction, with an ``import_return`` audit row). ``ReturnError`` (nothing changed) for
    a file that fails any check (module docstring)."""
    content, fingerprint = verified(store, path)
    cur = store.cursor()
    digest = content_hash(content)
    held = cur.execute(
        "SELECT min(number) FROM releases WHERE return_hash = ?", [digest]
    ).fetchall()[0][0]
    if held is None:
        held = _same_origin(cur, content)
    if held is not None:
        return ImportResult(int(held), content.organisation, content.release, "already imported")
    _refuse_foreign(cur, content)
    older = _superseded(cur, content)
    cur.execute("BEGIN TRANSACTION")
    try:
        number = _write(cur, content, fingerprint, actor, role, f"file:{path.name}")
        cur.execute("COMMIT")
    except Exception:
        cur.execute("ROLLBACK")
        raise
    return ImportResult(
        number,
        content.organisation,
        content.release,
        "superseded older" if older else "imported",
        older,
    )


def returned_names(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Programme id → name, as the newest return of each programme names it (the funder's
    store has no ``programmes`` table of its own)."""
    rows = cur.execute(
        "SELECT programme_id, arg_max(name, release) FROM returned_programmes GROUP BY 1"
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}
