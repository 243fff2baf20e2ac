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
KIND_PHRASES: dict[str, str] = {
    "count": N_("a count"),
    "total": N_("a total"),
    "proportion": N_("a proportion"),
    "share": N_("a share"),
    "ratio": N_("a ratio"),
    "median": N_("a median"),
    "months": N_("a number of months"),
}
"""Each kind as it reads within a sentence ("C01 is a count"): :func:`kind_phrase`."""

DIRECTIONS: dict[str, str] = {
    "higher": N_("higher is better"),
    "lower": N_("lower is better"),
}
"""Which way an indicator is better, in words (:func:`direction_name`)."""
NEITHER_WAY = N_("neither higher nor lower is better")
"""An indicator better neither way (``neutral``), as :func:`direction_sentence` says it."""


def kind_name(kind: str) -> str:
    """``proportion`` → "proportion" / "Anteil (Quote)": a kind in the language of the
    moment (an unknown kind as it is)."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def kind_phrase(kind: str) -> str:
    """``proportion`` → "a proportion": a kind as it reads within a sentence, in the language
    of the moment (an unknown kind by :func:`kind_name`)."""
    return _(KIND_PHRASES[kind]) if kind in KIND_PHRASES else kind_name(kind)


def direction_name(direction: str | None) -> str:
    """``higher`` → "higher is better", in the language of the moment ("" for neither)."""
    text = DIRECTIONS.get(direction or "")
    return _(text) if text else ""


def direction_sentence(direction: str | None) -> str:
    """``direction_name``, and for an indicator better neither way "neither higher nor lower
    is better" (where a reader would otherwise miss the fact)."""
    return direction_name(direction) or _(NEITHER_WAY)
