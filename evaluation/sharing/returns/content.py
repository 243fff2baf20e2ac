"""The content of a return: what a funder receives of one release, and its canonical form.

Why a canonical form: the signature must cover the *meaning* of a return, not the bytes of one
file format. The same ``ReturnContent`` is written as a JSON file, inside a workbook (in chunks
of cells) or as ADX XML; ``canonical_bytes`` is the one byte string the organisation signs and
the funder verifies, whatever the file was.

Contract: ``provenance`` is a JSON object (format, version, organisation, release number,
approver, approval time, note, catalogue version, disclosure settings, programmes with their
data versions and names, periods, when and by whom it was exported); ``rows`` are the
release's cells as a funder may read them: a hidden cell keeps its key with ``suppressed``
true and no figures (never the true figure), and only an unsplit hidden cell may carry the
attacker's ranges the comparison of programmes shows. Rows hold JSON values: dates as ISO
text, figures as floats or ``None``.

Canonical bytes: JSON with sorted keys, no spaces, ASCII only (``\\u`` escapes, so the text
survives any file format unchanged), rows in key order, floats in Python's shortest
round-trip form, NaN and infinities as ``null``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evaluation.periods import Period, PeriodError
from evaluation.sharing.releases.ledger import STORED_CELL_COLUMNS
from evaluation.sharing.releases.protect import RANGE_COLUMNS
from evaluation.sharing.returns.model import ReturnError
from evaluation.vocabulary.language import _

FORMAT = "exit-evaluation return"
VERSION = 1

ROW_COLUMNS: tuple[str, ...] = STORED_CELL_COLUMNS
"""The columns of a return's rows (those of ``release_cells`` after ``release``)."""
FIGURES: tuple[str, ...] = (
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "completeness",
)
"""What a hidden row never carries."""
RANGES: tuple[str, ...] = RANGE_COLUMNS
FLOAT_COLUMNS: tuple[str, ...] = (*FIGURES, *RANGES)
PROVENANCE_KEYS: tuple[str, ...] = (
    "format",
    "version",
    "organisation",
    "release",
    "approved_by",
    "approver_role",
    "approved_at",
    "note",
    "catalogue_version",
    "settings",
    "programmes",
    "periods",
    "exported_at",
    "exported_by",
)
PROGRAMME_KEYS: tuple[str, ...] = ("programme_id", "name", "submission_id", "content_hash")
PERIOD_KEYS: tuple[str, ...] = ("spec", "kind", "start", "end")


@dataclass(frozen=True)
class ReturnContent:
    """One return's signed content: ``provenance`` and ``rows`` (see the module docstring).

    Build it with ``export.build_return`` (from a store) or ``from_object`` (from a file);
    both give rows in canonical order and checked values."""

    provenance: Mapping[str, Any]
    rows: tuple[Mapping[str, Any], ...]

    @property
    def organisation(self) -> str:
        return str(self.provenance["organisation"])

    @property
    def release(self) -> int:
        """The organisation's own number of the release the return was made from."""
        return int(self.provenance["release"])

    @property
    def approved_at(self) -> dt.datetime:
        """When the organisation approved the release (aware, UTC)."""
        return dt.datetime.fromisoformat(str(self.provenance["approved_at"])).astimezone(dt.UTC)

    @property
    def catalogue_version(self) -> str:
        return str(self.provenance["catalogue_version"])

    @property
    def programmes(self) -> tuple[str, ...]:
        return tuple(str(p["programme_id"]) for p in self.provenance["programmes"])

    @property
    def names(self) -> dict[str, str]:
        """Programme id → name, as the organisation calls the programme."""
        return {str(p["programme_id"]): str(p["name"]) for p in self.provenance["programmes"]}

    @property
    def periods(self) -> tuple[Period, ...]:
        return tuple(
            Period(dt.date.fromisoformat(p["start"]), dt.date.fromisoformat(p["end"]), p["kind"])
            for p in self.provenance["periods"]
        )

    @property
    def label(self) -> str:
        """``Verein A, release 3 (approved 4 Dec 2026)``: how files and messages name it, in
        the language of the moment."""
        from evaluation.sharing.releases.model import approval_day

        return _(
            "{organisation}, release {number} (approved {day})",
            organisation=self.organisation,
            number=self.release,
            day=approval_day(self.approved_at),
        )

    def frame(self) -> pd.DataFrame:
        """The rows as a table (``ROW_COLUMNS``): dates as ``date``, figures as floats (NaN for
        none), ``suppressed`` as bool."""
        out = pd.DataFrame([dict(r) for r in self.rows], columns=list(ROW_COLUMNS))
        for c in ("period_start", "period_end"):
            out[c] = [dt.date.fromisoformat(v) for v in out[c]]
        for c in FLOAT_COLUMNS:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
        out["indicator_version"] = out["indicator_version"].astype(int)
        out["suppressed"] = out["suppressed"].astype(bool)
        out["split_value"] = out["split_value"].astype(object)
        return out


# -- canonical form -----------------------------------------------------------------------


def _number(value: object) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def row_order(row: Mapping[str, Any]) -> tuple[object, ...]:
    """The canonical order of rows: programme, indicator, version, period, split."""
    return (
        row["programme_id"],
        row["indicator_id"],
        row["indicator_version"],
        row["period_start"],
        row["period_end"],
        row["split_column"],
        row["split_value"] is None,
        row["split_value"] or "",
    )


def to_object(content: ReturnContent) -> dict[str, Any]:
    """The content as a JSON object (what the ``.json`` file holds under ``content``)."""
    return {"provenance": dict(content.provenance), "rows": [dict(r) for r in content.rows]}


def canonical_text(obj: Mapping[str, Any]) -> str:
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def canonical_bytes(content: ReturnContent) -> bytes:
    """The bytes the organisation signs: ``to_object`` as canonical JSON (module docstring)."""
    return canonical_text(to_object(content)).encode("ascii")


def content_hash(content: ReturnContent) -> str:
    """SHA-256 (hex) of the canonical bytes: the same return has the same hash in any file."""
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def make_rows(cells: pd.DataFrame) -> tuple[dict[str, Any], ...]:
    """Release cells (``ROW_COLUMNS``, figures of hidden cells possibly still present) as the
    rows of a return: JSON values, hidden figures dropped, ranges kept only on unsplit hidden
    cells, in canonical order."""
    rows = []
    for rec in cells[list(ROW_COLUMNS)].to_dict("records"):
        hidden = bool(rec["suppressed"])
        split_value = rec["split_value"]
        row: dict[str, Any] = {
            "indicator_id": str(rec["indicator_id"]),
            "indicator_version": int(rec["indicator_version"]),
            "programme_id": str(rec["programme_id"]),
            "period_start": pd.Timestamp(rec["period_start"]).date().isoformat(),
            "period_end": pd.Timestamp(rec["period_end"]).date().isoformat(),
            "split_column": str(rec["split_column"] or ""),
            "split_value": None
            if split_value is None or (isinstance(split_value, float) and math.isnan(split_value))
            else str(split_value),
            "status": str(rec["status"]),
            "suppressed": hidden,
        }
        for c in FIGURES:
            row[c] = None if hidden else _number(rec[c])
        for c in RANGES:
            row[c] = _number(rec[c]) if hidden and row["split_column"] == "" else None
        rows.append(row)
    rows.sort(key=row_order)
    return tuple(rows)


# -- reading back ---------------------------------------------------------------------------


def _bad(what: str) -> ReturnError:
    return ReturnError(
        _(
            "The return is malformed: {what}. It was not made by this platform or was damaged; "
            "nothing was imported.",
            what=what,
        ),
        "malformed",
    )


def _text(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise _bad(_("{where} has no text for {key}", where=where, key=repr(key)))
    return value


def _check_row(row: object, n: int) -> dict[str, Any]:
    where = _("row {n}", n=n + 1)
    if not isinstance(row, dict) or set(row) != set(ROW_COLUMNS):
        raise _bad(_("{where} does not have the columns of a return", where=where))
    for c in ("indicator_id", "programme_id", "split_column", "status"):
        _text(row, c, where)
    if not isinstance(row["indicator_version"], int) or isinstance(row["indicator_version"], bool):
        raise _bad(_("{where} has no whole-number indicator version", where=where))
    if not isinstance(row["suppressed"], bool):
        raise _bad(_("{where} does not say whether it is hidden", where=where))
    if row["split_value"] is not None and not isinstance(row["split_value"], str):
        raise _bad(_("{where} has a split value that is not text", where=where))
    for c in ("period_start", "period_end"):
        try:
            dt.date.fromisoformat(_text(row, c, where))
        except ValueError:
            raise _bad(_("{where} has no date for {column}", where=where, column=c)) from None
    for c in FLOAT_COLUMNS:
        v = row[c]
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            raise _bad(_("{where} has a figure that is not a number", where=where))
    if row["suppressed"] and any(row[c] is not None for c in FIGURES):
        raise _bad(_("{where} is hidden but carries figures", where=where))
    return dict(row)


def from_object(obj: object) -> ReturnContent:
    """The content of a JSON object (as ``to_object`` wrote it), its structure checked;
    ``ReturnError`` (malformed) naming the first thing wrong."""
    if not isinstance(obj, dict) or set(obj) != {"provenance", "rows"}:
        raise _bad(_("it does not hold provenance and rows"))
    prov, rows = obj["provenance"], obj["rows"]
    if not isinstance(prov, dict) or not isinstance(rows, list):
        raise _bad(_("its provenance or rows are of the wrong kind"))
    missing = [k for k in PROVENANCE_KEYS if k not in prov]
    if missing:
        raise _bad(_("its provenance lacks {keys}", keys=", ".join(missing)))
    if prov["format"] != FORMAT or prov["version"] != VERSION:
        raise ReturnError(
            _(
                "The file is not a return of version {version} of this platform (it says "
                "{says}, version {its}); nothing was imported.",
                version=VERSION,
                says=repr(str(prov["format"])[:40]),
                its=str(prov["version"])[:10],
            ),
            "malformed",
        )
    provenance = _("the provenance")
    for key in ("organisation", "approved_by", "approver_role", "catalogue_version", "note"):
        _text(prov, key, provenance)
    if not isinstance(prov["release"], int) or isinstance(prov["release"], bool):
        raise _bad(_("its release number is not a whole number"))
    try:
        dt.datetime.fromisoformat(_text(prov, "approved_at", provenance))
        dt.datetime.fromisoformat(_text(prov, "exported_at", provenance))
    except ValueError:
        raise _bad(_("its approval or export time is not a date and time")) from None
    if not isinstance(prov["settings"], dict):
        raise _bad(_("its disclosure settings are missing"))
    programmes = prov["programmes"]
    if (
        not isinstance(programmes, list)
        or not programmes
        or any(not isinstance(p, dict) or set(p) != set(PROGRAMME_KEYS) for p in programmes)
    ):
        raise _bad(_("its list of programmes is damaged"))
    for p in programmes:
        for k in PROGRAMME_KEYS:
            _text(p, k, _("a programme"))
    periods = prov["periods"]
    if (
        not isinstance(periods, list)
        or not periods
        or any(not isinstance(p, dict) or set(p) != set(PERIOD_KEYS) for p in periods)
    ):
        raise _bad(_("its list of periods is damaged"))
    try:
        for p in periods:
            Period(dt.date.fromisoformat(p["start"]), dt.date.fromisoformat(p["end"]), p["kind"])
    except (TypeError, ValueError, PeriodError):
        raise _bad(_("one of its periods is not a period")) from None
    checked = tuple(_check_row(r, n) for n, r in enumerate(rows))
    ids = {str(p["programme_id"]) for p in programmes}
    spans = {(p["start"], p["end"]) for p in periods}
    for n, r in enumerate(checked):
        if r["programme_id"] not in ids or (r["period_start"], r["period_end"]) not in spans:
            raise _bad(
                _(
                    "row {n} is about a programme or period the return does not name",
                    n=n + 1,
                )
            )
    if list(checked) != sorted(checked, key=row_order):
        raise _bad(_("its rows are not in order"))
    return ReturnContent(provenance=prov, rows=checked)


def provenance(
    *,
    organisation: str,
    release: int,
    approved_by: str,
    approver_role: str,
    approved_at: dt.datetime,
    note: str,
    catalogue_version: str,
    settings: Mapping[str, Any],
    programmes: Sequence[Mapping[str, str]],
    periods: Sequence[Period],
    exported_at: dt.datetime,
    exported_by: str,
) -> dict[str, Any]:
    """The provenance object of a return (times as ISO text in UTC)."""

    def iso(at: dt.datetime) -> str:
        aware = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
        return aware.isoformat()

    return {
        "format": FORMAT,
        "version": VERSION,
        "organisation": organisation,
        "release": int(release),
        "approved_by": approved_by,
        "approver_role": approver_role,
        "approved_at": iso(approved_at),
        "note": note,
        "catalogue_version": catalogue_version,
        "settings": dict(settings),
        "programmes": [{k: str(p[k]) for k in PROGRAMME_KEYS} for p in programmes],
        "periods": [
            {"spec": p.spec, "kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat()}
            for p in periods
        ],
        "exported_at": iso(exported_at),
        "exported_by": exported_by,
    }
