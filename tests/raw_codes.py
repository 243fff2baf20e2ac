"""Find what a person should never read: a code where a word belongs.

``raw_codes(text)`` lists the codes in ``text``: every value of a ``vocab`` column of the data
format that is not a plain word (``stand_alone_exit``, ``left_wing``), every split column and
indicator group code (``age_band``, ``case_and_reach``), period ids (``FY2025-04``,
``2025-Q2``), regions' NUTS codes (``DE21`` where "Oberbayern" belongs; an example of the
format, "such as DE30", is allowed), the spec's notation (``D_closed(P)``, ``R(P)``), literal
backticks, and Python's ``None``/``nan`` standing in for a figure. Used by the page, report and
browser tests in both languages.
"""

from __future__ import annotations

import functools
import re

from evaluation.store import schema
from evaluation.vocabulary.groups import GROUPS_BY_CODE
from evaluation.vocabulary.regions import TABLE as REGIONS
from evaluation.vocabulary.splits import SPLIT_COLUMNS


@functools.cache
def _codes() -> frozenset[str]:
    codes: set[str] = set()
    for table in schema.TABLES.values() if isinstance(schema.TABLES, dict) else schema.TABLES:
        for column in table.columns:
            for value in column.vocab:
                if "_" in value:
                    codes.add(value)
    codes.update(c for c in SPLIT_COLUMNS if "_" in c)
    codes.update(c for c in GROUPS_BY_CODE if "_" in c)
    return frozenset(codes)


@functools.cache
def _regions() -> frozenset[str]:
    """The NUTS codes of two letters and two or three more signs, one a digit (``DE21``, not a
    word such as ``DEAL``)."""
    codes = (line.split("\t", 1)[0] for line in REGIONS.read_text(encoding="utf-8").splitlines())
    return frozenset(c for c in codes if len(c) >= 4 and any(ch.isdigit() for ch in c))


_REGION = re.compile(r"(?<!such as )(?<!z\. B\. )\b[A-Z]{2}[0-9A-Z]{2,3}\b")

_PATTERNS = (
    re.compile(r"\bFY\d{4}-\d{2}\b"),  # a financial-year id
    re.compile(r"\b\d{4}-(?:Q[1-4]|H[12])\b"),  # a quarter or half-year id
    re.compile(r"\b[A-Z]_?[a-z_]*\((?:P|A)\)"),  # D_closed(P), R(P)
    re.compile(r"`"),
    re.compile(r"(?<![\w-])(?:None|nan|NaN|NaT)(?![\w-])"),
)


def raw_codes(text: str) -> list[str]:
    """The codes found in ``text`` (empty when it reads as words)."""
    found = [m.group(0) for p in _PATTERNS for m in p.finditer(text)]
    words = set(re.findall(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+", text))
    found += sorted(words & _codes())
    found += [m.group(0) for m in _REGION.finditer(text) if m.group(0) in _regions()]
    return found
