"""Making a return: the part of the newest release a funder asked for, signed.

Why from a release and never from the data: a return is a release, sent. Only what a CSO
manager approved, protected as one set with every earlier release, leaves the store; the
return carries the cells of the programmes × periods asked for (a subset of a protected set
discloses no more than the set) as a funder reads them, hidden figures left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from evaluation.measures.engine.request import IndicatorRequest
from evaluation.periods import Period
from evaluation.periods import label as period_label
from evaluation.sharing.releases.ledger import STORED_CELL_COLUMNS, get_release
from evaluation.sharing.releases.model import NotReleased
from evaluation.sharing.releases.read import coverage, release_settings, released
from evaluation.sharing.returns.content import ReturnContent, make_rows, provenance
from evaluation.sharing.returns.files import write_return
from evaluation.sharing.returns.keys import signing_key
from evaluation.sharing.returns.model import ReturnError
from evaluation.sharing.returns.sign import SignedReturn, sign
from evaluation.store.database import Store, cursor_of
from evaluation.vocabulary.language import _, current, n_
from evaluation.vocabulary.numbers import count


@dataclass(frozen=True)
class ExportResult:
    """What ``export_return`` wrote: the file, the signed return and its release."""

    path: Path
    signed: SignedReturn

    def sentence(self) -> str:
        """What was written, in the language of the moment."""
        c = self.signed.content
        hidden = sum(1 for r in c.rows if r["suppressed"])
        lang = current()
        return _(
            "Wrote {name}: {release}, {programmes}, {periods}, {figures}, signed with key "
            "{fingerprint}.",
            name=self.path.name,
            release=c.label,
            programmes=n_(
                "{n} programme",
                "{n} programmes",
                len(c.programmes),
                n=count(len(c.programmes), lang),
            ),
            periods=n_("{n} period", "{n} periods", len(c.periods), n=count(len(c.periods), lang)),
            figures=n_(
                "{n} figure ({hidden} hidden)",
                "{n} figures ({hidden} hidden)",
                len(c.rows),
                n=count(len(c.rows), lang),
                hidden=count(hidden, lang),
            ),
            fingerprint=self.signed.signature.fingerprint,
        )


def _programme_names(cur: duckdb.DuckDBPyConnection, programmes: Sequence[str]) -> dict[str, str]:
    rows = cur.execute(
        """SELECT programme_id, programme_name FROM current_programmes
           WHERE programme_id IN (SELECT unnest(?::VARCHAR[]))
           UNION ALL
           SELECT programme_id, arg_max(name, release) FROM returned_programmes
           WHERE programme_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY programme_id""",
        [list(programmes), list(programmes)],
    ).fetchall()
    names: dict[str, str] = {}
    for pid, name in rows:
        names.setdefault(str(pid), str(name) if name else str(pid))
    return names


def _one_release(
    cur: duckdb.DuckDBPyConnection, programmes: list[str], periods: list[Period]
) -> int:
    """The one release that newest-covers every programme × period asked for."""
    cover = coverage(cur, programmes, periods)
    if len(cover) < len(programmes) * len(periods):
        # the shared read path words the refusal (what is missing, who can approve it)
        released(cur, IndicatorRequest(periods=tuple(periods), programmes=tuple(programmes)))
        raise NotReleased(
            _(
                "No approved release covers these programmes and periods yet; a CSO manager or "
                "admin of the organisation can approve them on the Approvals page."
            )
        )
    numbers = sorted({int(n) for n in cover["release"]})
    if len(numbers) > 1:
        parts = []
        for n in numbers:
            mine = cover[cover["release"] == n]
            by_spans: dict[tuple[str, ...], list[str]] = {}
            for pid, rows in mine.groupby("programme_id"):
                spans = set(zip(rows["period_start"], rows["period_end"], strict=True))
                labels = tuple(
                    period_label(p, current()) for p in periods if (p.start, p.end) in spans
                )
                by_spans.setdefault(labels, []).append(str(pid))
            held = _(" and ").join(
                _(
                    "{programmes} for {periods}",
                    programmes=", ".join(sorted(pids)),
                    periods=", ".join(labels),
                )
                for labels, pids in by_spans.items()
            )
            parts.append(_("release {number} holds {held}", number=n, held=held))
        raise ReturnError(
            _(
                "A return carries one release, but the newest figures asked for come from "
                "{n}: {parts}. Export a return for each release, or approve these programmes "
                "and periods together; nothing was written.",
                n=count(len(numbers), current()),
                parts="; ".join(parts),
            ),
            "not released",
        )
    return numbers[0]


def build_return(
    store_or_cursor: Store | duckdb.DuckDBPyConnection,
    programmes: Sequence[str],
    periods: Sequence[Period],
    *,
    exported_by: str,
) -> ReturnContent:
    """The content of a return of ``programmes`` × ``periods``, from the newest active release
    covering them (one release). ``NotReleased`` naming what no release covers and who can
    approve it; ``ReturnError`` for unknown programmes or several releases."""
    cur = cursor_of(store_or_cursor)
    programmes = list(dict.fromkeys(p.strip() for p in programmes if p.strip()))
    periods = list(dict.fromkeys(periods))
    if not programmes or not periods:
        raise ReturnError(_("Name at least one programme and one period; nothing was written."))
    known = {
        r[0]
        for r in cur.execute(
            "SELECT programme_id FROM current_programmes UNION SELECT programme_id FROM "
            "release_programmes"
        ).fetchall()
    }
    unknown = [p for p in programmes if p not in known]
    if unknown:
        raise ReturnError(
            n_(
                "There is no programme {ids} in this store; nothing was written.",
                "There are no programmes {ids} in this store; nothing was written.",
                len(unknown),
                ids=", ".join(unknown),
            ),
            "not released",
        )
    number = _one_release(cur, programmes, periods)
    release = get_release(cur, number)
    spans = {(p.start, p.end) for p in periods}
    own_periods = [p for p in release.periods if (p.start, p.end) in spans]
    data = {d.programme_id: d for d in release.data}
    names = _programme_names(cur, programmes)
    cells = cur.execute(
        f"""SELECT {", ".join(STORED_CELL_COLUMNS)} FROM release_cells
            WHERE release = ? AND programme_id IN (SELECT unnest(?::VARCHAR[]))
              AND (period_start, period_end) IN (
                  SELECT (unnest(?::DATE[]), unnest(?::DATE[])))""",
        [number, programmes, [p.start for p in own_periods], [p.end for p in own_periods]],
    ).df()
    prov = provenance(
        organisation=release.organisation,
        release=release.number,
        approved_by=release.approved_by,
        approver_role=release.approver_role,
        approved_at=release.approved_at,
        note=release.note,
        catalogue_version=release.catalogue_version,
        settings=asdict(release_settings(cur, [number])),
        programmes=[
            {
                "programme_id": p,
                "name": names.get(p, p),
                "submission_id": data[p].submission_id,
                "content_hash": data[p].content_hash,
            }
            for p in release.programmes
            if p in programmes
        ],
        periods=own_periods,
        exported_at=dt.datetime.now(dt.UTC),
        exported_by=exported_by,
    )
    return ReturnContent(provenance=prov, rows=make_rows(cells))


def export_return(
    store: Store,
    programmes: Sequence[str],
    periods: Sequence[Period],
    out: Path,
    *,
    actor: str,
    role: str | None = None,
) -> ExportResult:
    """Write a signed return to ``out`` (``.xlsx``, ``.json`` or ``.xml`` for ADX), signed with
    the organisation's key (made on first use), and record it in the audit trail."""
    from evaluation.sharing import audit

    content = build_return(store, programmes, periods, exported_by=actor)
    signed = sign(content, signing_key(store, content.organisation))
    write_return(signed, out)
    audit.record(
        store,
        actor=actor,
        role=role,
        action="export_return",
        release=content.release,
        organisations=[content.organisation],
        target=f"file:{out.name}",
        detail={
            "programmes": list(content.programmes),
            "periods": [p.spec for p in content.periods],
            "fingerprint": signed.signature.fingerprint,
        },
    )
    return ExportResult(out, signed)
