"""The kinds of indicator value (``indicators-v1.md``, Kinds of value) and what follows from each.

A kind decides how a value is shown (a percent or a number), which figures a result row carries,
and which small-number rules apply to it; every module asks here instead of listing kinds.
"""

from __future__ import annotations

from typing import Literal

from evaluation.vocabulary.language import N_, _

Kind = Literal["count", "total", "proportion", "share", "ratio", "median", "months"]
KINDS: tuple[Kind, ...] = ("count", "total", "proportion", "share", "ratio", "median", "months")
PERCENT_KINDS: frozenset[str] = frozenset({"proportion", "share"})
"""Fractions 0–1, shown as percents."""
AMOUNT_KINDS: frozenset[str] = frozenset({"count", "total"})
"""Sums of people or amounts: drawn as bars, added up over periods and splits."""
RULE3_KINDS: frozenset[str] = frozenset({"proportion", "ratio", "median"})
"""Kinds whose denominator (or n) must reach the minimum (rule 3 of small-number protection)."""

KIND_NAMES: dict[str, str] = {
    "count": N_("count"),
    "total": N_("total"),
    "proportion": N_("proportion"),
    "share": N_("share"),
    "ratio": N_("ratio"),
    "median": N_("median"),
    "months": N_("months"),
}
"""Each kind in words, as a catalogue shows it (English: translate with :func:`kind_name`)."""

DIRECTIONS: dict[str, str] = {
    "higher": N_("higher is better"),
    "lower": N_("lower is better"),
}
"""Which way an indicator is better, in words (:func:`direction_name`)."""


def kind_name(kind: str) -> str:
    """``proportion`` → "proportion" / "Anteil": a kind in the language of the moment."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def direction_name(direction: str | None) -> str:
    """``higher`` → "higher is better", in the language of the moment ("" for neither)."""
    text = DIRECTIONS.get(direction or "")
    return _(text) if text else ""
