"""The workbook form of a return: readable without the platform, verifiable with it.

Why three sheets: a funder's staff open the file in Excel or LibreOffice and read "Figures"
(one labelled row per figure) and "Provenance" (which release, who approved it, when, from
which data and catalogue). The platform reads neither: it rebuilds the return from the very
hidden sheet "Signed content" (the canonical JSON in chunks of cells, and the signature) and
verifies it, then checks that the Figures sheet still says what was signed, so a figure edited
in the readable sheet is refused like one edited in the signed content.

Every text cell is written as inert text (type string, Excel's quote prefix when it starts
with ``=``, ``+``, ``-``, ``@``): a programme called ``=HYPERLINK(…)`` stays a name.
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluation.measures.catalogue import Catalogue, load_catalogue
from evaluation.periods import Period
from evaluation.sharing.returns.content import ReturnContent, canonical_bytes, content_hash
from evaluation.sharing.returns.model import ReturnError
from evaluation.sharing.returns.sign import Signature, SignedReturn, unsigned
from evaluation.vocabulary.kinds import PERCENT_KINDS
from evaluation.vocabulary.language import DEFAULT, _, using
from evaluation.vocabulary.splits import split_name

FIGURES = "Figures"
PROVENANCE = "Provenance"
SIGNED = "Signed content"
CHUNK = 32_000
"""Characters of canonical JSON per cell (Excel holds at most 32,767)."""
MAX_UNPACKED = 512 * 1024 * 1024
INERT = ("=", "+", "-", "@", "\t", "\r")
HIDDEN_NOTE = "hidden to protect small numbers"

FIGURE_HEADER: tuple[str, ...] = (
    "Programme",
    "Programme ID",
    "Indicator",
    "Indicator ID",
    "Version",
    "Period",
    "First day",
    "Last day",
    "Split by",
    "Group",
    "Value",
    "Numerator",
    "Denominator",
    "95% interval from",
    "95% interval to",
    "Data completeness",
    "Status",
    "Note",
)
CHECKED = (1, 3, 4, 6, 7, 9, 10, 11, 12, 13, 14, 15, 17)
"""Columns of the Figures sheet compared with the signed content on import (ids, days, the
group and every figure; labels that come from the catalogue or vocabulary are not)."""
SPAN_COLUMNS = (6, 7)


# -- the readable rows ----------------------------------------------------------------------


def figure_rows(content: ReturnContent, catalogue: Catalogue | None = None) -> list[list[Any]]:
    """One labelled row per figure of ``content`` (``FIGURE_HEADER``), in the content's order,
    in English whatever the language of the moment (like the sheet's headers): the same file
    whoever exports it, and a sheet other tools read by its words."""
    with using(DEFAULT):
        return _figure_rows(content, catalogue or load_catalogue())


def _figure_rows(content: ReturnContent, catalogue: Catalogue) -> list[list[Any]]:
    names = content.names
    periods = {(p.start.isoformat(), p.end.isoformat()): p for p in content.periods}
    out: list[list[Any]] = []
    for r in content.rows:
        try:
            ind = catalogue.get(f"{r['indicator_id']}@{r['indicator_version']}")
            ind_name = ind.name
        except KeyError:
            ind_name = r["indicator_id"]
        period: Period = periods[(r["period_start"], r["period_end"])]
        column = r["split_column"]
        hidden = bool(r["suppressed"])
        out.append(
            [
                names.get(r["programme_id"], r["programme_id"]),
                r["programme_id"],
                ind_name,
                r["indicator_id"],
                r["indicator_version"],
                period.label,
                period.start,
                period.end,
                split_name(column) if column else "none",
                (r["split_value"] if r["split_value"] is not None else "(no value)")
                if column
                else "",
                r["value"],
                r["numerator"],
                r["denominator"],
                r["ci_low"],
                r["ci_high"],
                r["completeness"],
                r["status"].replace("_", " "),
                HIDDEN_NOTE if hidden else "",
            ]
        )
    return out


def _kind(content: ReturnContent, catalogue: Catalogue) -> dict[tuple[str, int], str]:
    kinds: dict[tuple[str, int], str] = {}
    for r in content.rows:
        key = (str(r["indicator_id"]), int(r["indicator_version"]))
        if key not in kinds:
            try:
                kinds[key] = catalogue.get(f"{key[0]}@{key[1]}").kind
            except KeyError:
                kinds[key] = ""
    return kinds


# -- writing --------------------------------------------------------------------------------


def _put(ws: Any, row: int, col: int, value: object) -> Any:
    """Write one cell; text is always inert text."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
        if value.startswith(INERT):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _rows(ws: Any, rows: Sequence[Sequence[object]], first: int = 1) -> None:
    for i, row in enumerate(rows, start=first):
        for j, value in enumerate(row, start=1):
            _put(ws, i, j, value)


def write_xlsx(signed: SignedReturn, path: Path) -> None:
    """Write the workbook form of ``signed`` to ``path``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    content = signed.content
    catalogue = load_catalogue()
    wb = Workbook()
    ws = wb.active
    ws.title = FIGURES
    _rows(ws, [FIGURE_HEADER])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    body = figure_rows(content, catalogue)
    _rows(ws, body, first=2)
    kinds = _kind(content, catalogue)
    for i, r in enumerate(content.rows, start=2):
        for col in (7, 8):
            ws.cell(row=i, column=col).number_format = "yyyy-mm-dd"
        if kinds[(str(r["indicator_id"]), int(r["indicator_version"]))] in PERCENT_KINDS:
            for col in (11, 14, 15):
                ws.cell(row=i, column=col).number_format = "0.0%"
        ws.cell(row=i, column=16).number_format = "0%"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for letter, width in zip(
        "ABCDEFGHIJKLMNOPQR",
        (28, 14, 40, 10, 8, 18, 11, 11, 16, 18, 10, 11, 12, 10, 10, 10, 14, 30),
        strict=True,
    ):
        ws.column_dimensions[letter].width = width

    _write_provenance(wb.create_sheet(PROVENANCE), signed)

    hidden = wb.create_sheet(SIGNED)
    text = canonical_bytes(content).decode("ascii")
    parts = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    _rows(
        hidden,
        [
            [
                "What this sheet is",
                "The signed content of this return, checked on import. Do not edit.",
            ],
            ["Signature algorithm", signed.signature.algorithm],
            ["Key fingerprint", signed.signature.fingerprint],
            ["Signature", signed.signature.to_object()["value"]],
            ["Content SHA-256", content_hash(content)],
            ["Content parts", len(parts)],
            *[[f"Content part {n}", part] for n, part in enumerate(parts, start=1)],
        ],
    )
    hidden.sheet_state = "veryHidden"
    wb.active = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _write_provenance(ws: Any, signed: SignedReturn) -> None:
    from openpyxl.styles import Font

    c = signed.content
    p = c.provenance
    settings = p["settings"]
    rows: list[list[object]] = [
        ["Return of", c.organisation],
        ["Release", c.release],
        ["Approved by", f"{p['approved_by']} ({p['approver_role'].replace('_', ' ')})"],
        ["Approved on (UTC)", c.approved_at.replace(tzinfo=None)],
        ["Note", p["note"]],
        ["Periods", ", ".join(x.label for x in c.periods)],
        ["Catalogue version", c.catalogue_version],
        [
            "Small-number protection",
            f"counts of {settings.get('min_count', '?')} to {settings.get('max_small', '?')} "
            f"hidden; rates on fewer than {settings.get('min_denominator', '?')} hidden; hidden "
            f"counts cannot be narrowed below a range of {settings.get('min_width', '?')}",
        ],
        ["Exported on (UTC)", dt.datetime.fromisoformat(p["exported_at"]).replace(tzinfo=None)],
        ["Exported by", p["exported_by"]],
        ["Signed with key (fingerprint)", signed.signature.fingerprint],
        ["Content SHA-256", content_hash(c)],
        [
            "How to check it",
            "Import the file with the platform (`python -m evaluation import-return FILE` or "
            "the Upload-a-return page): it verifies the signature against the organisation's "
            "key you trusted. Compare the fingerprint above with the organisation by phone.",
        ],
        [],
        ["Data versions"],
        ["Programme ID", "Programme", "Submission", "Package content hash"],
        *[
            [x["programme_id"], x["name"], x["submission_id"], x["content_hash"]]
            for x in p["programmes"]
        ],
    ]
    _rows(ws, rows)
    for i in (4, 9):
        ws.cell(row=i, column=2).number_format = "yyyy-mm-dd hh:mm"
    for i in (15, 16):
        for cell in ws[i]:
            cell.font = Font(bold=True)
    for cell in ws["A"]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 70


# -- reading --------------------------------------------------------------------------------


def _truncated(name: str) -> ReturnError:
    return ReturnError(
        _(
            "{name} is an incomplete or damaged workbook (perhaps cut off while it was sent). "
            "Ask for the file again; nothing was imported.",
            name=name,
        ),
        "truncated",
    )


def _malformed(name: str, what: str) -> ReturnError:
    return ReturnError(
        _("{name} is not a return workbook: {what}; nothing was imported.", name=name, what=what),
        "malformed",
    )


def read_xlsx(path: Path) -> tuple[bytes, Signature, list[list[Any]]]:
    """The signed bytes, the signature and the Figures rows (header left out) of a return
    workbook; ``ReturnError`` for a truncated, unsigned or malformed one."""
    from openpyxl import load_workbook

    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            if sum(i.file_size for i in zf.infolist()) > MAX_UNPACKED:
                raise _malformed(name, _("it unpacks to far more than a return can hold"))
            if zf.testzip() is not None:
                raise _truncated(name)
    except (zipfile.BadZipFile, EOFError):
        raise _truncated(name) from None
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a zip that is not a workbook
        raise _malformed(name, _("it cannot be opened as a workbook")) from None
    try:
        missing = [s for s in (FIGURES, SIGNED) if s not in wb.sheetnames]
        if missing:
            raise _malformed(
                name,
                _(
                    "it has no sheet {sheets}",
                    sheets=_(" and no sheet ").join(f'"{m}"' for m in missing),
                ),
            )
        signed = {}
        for row in wb[SIGNED].iter_rows(values_only=True):
            if row and isinstance(row[0], str) and len(row) > 1:
                signed[row[0]] = row[1]
        figures = [list(r) for r in wb[FIGURES].iter_rows(min_row=2, values_only=True)]
        header = next(wb[FIGURES].iter_rows(max_row=1, values_only=True), ())
    finally:
        wb.close()
    if tuple(header[: len(FIGURE_HEADER)]) != FIGURE_HEADER:
        raise _malformed(
            name, _('its sheet "{sheet}" does not have the columns of a return', sheet=FIGURES)
        )
    if not signed.get("Signature"):
        raise unsigned()
    signature = Signature.from_object(
        {
            "algorithm": signed.get("Signature algorithm"),
            "fingerprint": signed.get("Key fingerprint"),
            "value": signed.get("Signature"),
        }
    )
    count = signed.get("Content parts")
    if not isinstance(count, int) or count < 1:
        raise _malformed(name, _("its signed content is damaged"))
    parts = [signed.get(f"Content part {n}") for n in range(1, count + 1)]
    if any(not isinstance(p, str) for p in parts):
        raise _truncated(name)
    text = "".join(str(p) for p in parts)
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        raise _malformed(name, _("its signed content was changed")) from None
    return data, signature, figures


def check_figures(content: ReturnContent, figures: list[list[Any]], name: str) -> None:
    """Refuse (tampered) a workbook whose Figures sheet no longer says what was signed."""
    expected = figure_rows(content)
    while figures and all(v is None for v in figures[-1]):
        figures.pop()

    def norm(col: int, value: object) -> object:
        if col in SPAN_COLUMNS and isinstance(value, dt.datetime):
            return value.date()
        if value == "":
            return None
        return value

    def equal(a: object, b: object) -> bool:
        # a spreadsheet keeps 16 significant digits of a float, not the last bit
        if isinstance(a, int | float) and isinstance(b, int | float):
            return not isinstance(a, bool) and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
        return a == b

    same = len(figures) == len(expected) and all(
        equal(norm(c, got[c] if c < len(got) else None), norm(c, want[c]))
        for got, want in zip(figures, expected, strict=True)
        for c in CHECKED
    )
    if not same:
        raise ReturnError(
            _(
                'The sheet "{sheet}" of {name} no longer shows what was signed: a figure, a '
                "programme or a period was changed after the return was made. Ask the "
                "organisation to send it again; nothing was imported.",
                sheet=FIGURES,
                name=name,
            ),
            "tampered",
        )
