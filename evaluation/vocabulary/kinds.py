"""The kinds of indicator value (``indicators-v1.md``, Kinds of value) and what follows from each.

A kind decides how a value is shown (a percent or a number), which figures a result row carries,
and which small-number rules apply to it; every module asks here instead of listing kinds.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["count", "total", "proportion", "share", "ratio", "median", "months"]
KINDS: tuple[Kind, ...] = ("count", "total", "proportion", "share", "ratio", "median", "months")
PERCENT_KINDS: frozenset[str] = frozenset({"proportion", "share"})
"""Fractions 0–1, shown as percents."""
AMOUNT_KINDS: frozenset[str] = frozenset({"count", "total"})
"""Sums of people or amounts: drawn as bars, added up over periods and splits."""
RULE3_KINDS: frozenset[str] = frozenset({"proportion", "ratio", "median"})
"""Kinds whose denominator (or n) must reach the minimum (rule 3 of small-number protection)."""
