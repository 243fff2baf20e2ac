"""A return as ADX XML: the same content, for funders who run DHIS2 or a statistics office's tools.

Why ADX: ministries and donors that collect aggregates already run DHIS2 (or tools that read
SDMX), and ADX (IHE QRPH Aggregate Data Exchange) is the XML both import. Writing the return in
that form lets a funder load the released figures without this platform; the signed ``.json``
or ``.xlsx`` file stays the one to verify and import here (an ADX file carries no signature).

What the document holds (``docs/returns.md``, "ADX"): one ``<group>`` per programme (as
``orgUnit``) and period (ISO 8601 start and duration: ``2025-01-01/P1Y``, ``2025-04-01/P3M``,
``2025-06-01/P1M``, a custom range in days ``2025-04-01/P183D``) of the one data set; in it a
``<dataValue>`` per released figure: ``C01`` the value, and for an indicator with a numerator or
denominator also ``C06_NUM`` and ``C06_DEN``. A split row names its data element after the split
(``C06_BY_GENDER``), so each data element has one disaggregation, as DHIS2 needs, and carries the
split as an attribute (``gender="female"``). Hidden cells, and cells without data, are left out,
never written as zero: a funder's system reads an absent value as "not reported".
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from evaluation.measures.result import NO_DATA
from evaluation.periods import Period
from evaluation.sharing.releases.model import UNSPLIT
from evaluation.sharing.returns.content import ReturnContent, content_hash
from evaluation.sharing.returns.model import ReturnError
from evaluation.vocabulary.language import _

__all__ = [
    "DATA_SET",
    "FIGURE_SUFFIXES",
    "NAMESPACE",
    "NOT_RECORDED",
    "adx_bytes",
    "adx_period",
    "attribute_name",
    "data_element",
    "write_adx",
]

NAMESPACE = "urn:ihe:qrph:adx:2015"
"""The ADX namespace of the IHE profile (final text, 2015), the one DHIS2 reads."""
DATA_SET = "EXIT_EVALUATION"
"""The ``dataSet`` code of every group; a funder's DHIS2 defines a data set with this code."""
NOT_RECORDED = "not_recorded"
"""The code of a split value the case data did not record (an empty value in the release)."""
FIGURE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("value", ""),
    ("numerator", "_NUM"),
    ("denominator", "_DEN"),
)
"""Which figures of a row become data values, and the suffix of each data element's code.
Intervals, completeness and status stay in the signed return (``.json``/``.xlsx``)."""
_RESERVED = frozenset({"dataElement", "value", "annotation"})
"""Attribute names a data value already uses in ADX; a split column never takes one."""
_MONTHS = {"year": 12, "financial_year": 12, "half_year": 6, "quarter": 3, "month": 1}
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def adx_period(period: Period) -> str:
    """The ISO 8601 start and duration ADX (and SDMX's time range) names a period by:
    ``2025-01-01/P1Y`` for a year or a financial year, ``P6M`` a half year, ``P3M`` a quarter,
    ``P1M`` a month, and ``P183D`` (its days, both ends counted) for a custom range, even one
    that happens to span whole months, since its kind says it was asked for by days."""
    start = period.start.isoformat()
    if period.kind == "range":
        return f"{start}/P{(period.end - period.start).days + 1}D"
    months = _MONTHS[period.kind]
    return f"{start}/P1Y" if months == 12 else f"{start}/P{months}M"


def attribute_name(column: str) -> str:
    """A split column as an XML attribute name (an NCName, as ADX disaggregations are): letters,
    digits, ``_``, ``-`` and ``.`` kept (accents dropped), anything else ``_``; a leading
    ``_`` when it would start with a digit, ``-``, ``.`` or ``xml``, and a trailing one when
    it would be a name the data value uses itself (``value``)."""
    ascii_only = unicodedata.normalize("NFKD", column).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^A-Za-z0-9_.\-]", "_", ascii_only)
    if not name or not (name[0].isalpha() or name[0] == "_") or name.lower().startswith("xml"):
        name = "_" + name
    return name + "_" if name in _RESERVED else name


def data_element(indicator_id: str, version: int, split_column: str = UNSPLIT) -> str:
    """The data element code of an indicator's figures: its id (``C06``), ``_V2`` for a version
    after the first, ``_BY_GENDER`` for the rows split by a column; the figure's suffix
    (``FIGURE_SUFFIXES``) follows."""
    code = indicator_id if int(version) == 1 else f"{indicator_id}_V{int(version)}"
    if split_column != UNSPLIT:
        code += "_BY_" + attribute_name(split_column).lstrip("_").upper()
    return code


def adx_bytes(content: ReturnContent, *, data_set: str = DATA_SET) -> bytes:
    """The return as an ADX document (UTF-8, indented). ``ReturnError`` when it holds no figure
    that may be shown, since an ADX document needs at least one data value."""
    kinds = {(p.start.isoformat(), p.end.isoformat()): p for p in content.periods}
    groups: dict[tuple[str, str, str], list[ET.Element]] = {}
    for row in content.rows:
        values = list(_data_values(row))
        if values:
            key = (str(row["programme_id"]), str(row["period_start"]), str(row["period_end"]))
            groups.setdefault(key, []).extend(values)
    if not groups:
        raise ReturnError(
            _(
                "The return of {release} holds no figure that may be shown (every cell is "
                "hidden or has no data), so there is nothing to write as ADX; no file was "
                "written.",
                release=content.label,
            ),
            "not released",
        )
    # the namespace as the root's default (``xmlns``), so every element is in it unprefixed
    root = ET.Element("adx", {"xmlns": NAMESPACE, **_header(content)})
    for (programme, start, end), values in sorted(groups.items()):
        # a row outside the periods the provenance names (none a checked return has): its days
        period = kinds.get((start, end)) or _range(start, end)
        group = ET.SubElement(
            root,
            "group",
            {
                "orgUnit": _clean(programme),
                "period": adx_period(period),
                "dataSet": _clean(data_set),
            },
        )
        group.extend(values)
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def write_adx(content: ReturnContent, path: Path, *, data_set: str = DATA_SET) -> None:
    """Write ``adx_bytes(content)`` to ``path``, whole or not at all (a temporary file beside
    it, renamed over it when complete)."""
    data = adx_bytes(content, data_set=data_set)
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- pieces -----------------------------------------------------------------------------------


def _header(content: ReturnContent) -> dict[str, str]:
    """The document's attributes: ``exported`` (required by ADX), ``id`` (the content hash, the
    same as the signed files'), and which release of which organisation it is."""
    prov = content.provenance
    return {
        "exported": str(prov["exported_at"]),
        "id": content_hash(content),
        "organisation": _clean(content.organisation),
        "release": str(content.release),
        "approvedAt": str(prov["approved_at"]),
        "catalogueVersion": content.catalogue_version,
    }


def _data_values(row: Mapping[str, Any]) -> Iterable[ET.Element]:
    """The data values of one row: none when it is hidden or has no data; else one per figure
    it holds (``FIGURE_SUFFIXES``), with the split as an attribute."""
    if row["suppressed"] or row["status"] == NO_DATA:
        return
    column = str(row["split_column"] or UNSPLIT)
    code = data_element(str(row["indicator_id"]), int(row["indicator_version"]), column)
    split: dict[str, str] = {}
    if column != UNSPLIT:
        value = _clean(str(row["split_value"] or ""))
        split[attribute_name(column)] = value or NOT_RECORDED
    for figure, suffix in FIGURE_SUFFIXES:
        number = row[figure]
        if number is None or not math.isfinite(float(number)):
            continue
        attrs = {"dataElement": code + suffix, "value": _decimal(float(number)), **split}
        yield ET.Element("dataValue", attrs)


def _decimal(number: float) -> str:
    """A number as ``xs:decimal`` text: no exponent, no trailing ``.0`` (``5``, ``0.625``,
    ``0.0000001``), the shortest digits that read back as the same float."""
    text = format(Decimal(repr(number)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _clean(text: str) -> str:
    """Text fit for an ``xs:token`` attribute: characters XML cannot hold dropped, runs of
    white space made one space, none at either end."""
    return " ".join(_NOT_XML.sub("", text).split())


def _range(start: str, end: str) -> Period:
    return Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end), "range")
