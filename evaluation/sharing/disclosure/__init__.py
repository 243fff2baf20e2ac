"""Small-number protection for results that leave the organisation (the *shared* audience).

Method (plain language; reports quote this paragraph, see ``method_note``):

Before results are shared, numbers about people that are so small that they could point to
individuals are hidden. Any count of 1 to 4 people is hidden; so is any percentage where 1 to 4
people have, or 1 to 4 people do not have, the outcome; and percentages, ratios and medians based
on fewer than 10 people or events are hidden too. A zero is shown. Because tables also show
totals (over groups such as gender, over programmes, and over longer periods such as the year the
quarters make up), a hidden number could otherwise be worked out by subtraction, so further
numbers are hidden as well, the smallest first, until no hidden number can be worked out. This is
then checked by playing the attacker: a linear program that knows every number shown and every
way the numbers add up computes the smallest and the largest value each hidden count could have,
and every hidden count of people must be able to lie anywhere in a range at least 5 wide; where it
cannot, more numbers are hidden and the check is repeated. Hidden numbers are only marked as
suppressed, never with the reason, because the reason would tell that a number is small.

Why it works this way (for maintainers):

* Rules 1-3 of ``docs/spec/indicators-v1.md`` ("Uncertainty and small numbers") are *primary*
  suppression; rule 4 is *secondary* suppression. Kinds ``count`` and ``proportion`` are additive
  (a proportion through its numerator and ``denominator - numerator``, both counts of people);
  ``ratio`` and ``median`` only fall under rule 3; ``total``, ``share`` and ``months`` are amounts,
  not people, and no rule applies to them. Indicators with ``about_people`` false and rows with
  status ``no_data`` are never touched.
* The additive relations an attacker may use are: over the values of a split (the ``"*"`` row of
  that split, same programme, period and other splits), over programmes (``programme_id == "*"``)
  and over published sub-periods that exactly partition a published longer period, always within
  one indicator and version. A relation that does not hold in the unsuppressed figures (e.g. an
  active caseload, where a case open in two quarters counts once in the year) is not modelled:
  nobody can derive anything from an equation that is false.
* The heuristic that chooses secondary cells is deterministic (ties broken by the row's key, so the
  input's row order does not matter) and looks at one relation at a time: a relation with a hidden
  count must hide at least two of its cells, and when its total is shown the hidden parts must
  add up to at least ``min_width``. It repeats over all relations until nothing changes. The
  linear program then has the last word; a hidden count that it can still narrow makes the
  nearest smallest shown cell hidden, and everything is checked again.
* The attacker's bounds are rounded inwards to whole numbers (counts are integers), which makes
  the attacker a little stronger than a plain linear program, never weaker.
* A hidden quantity whose true value is 0 need not be protected: a 0 may be shown (rule 1), so
  learning that it is 0 discloses nothing the rules protect. The denominator of a hidden proportion
  is its numerator plus its complement, and its feasible range is the sum of theirs.

Not covered (callers must keep it in mind): relations *between* indicators (C10's denominator is
C03; C01 bounds C04's denominator), inequalities that hold for non-additive counts (an active
caseload of the year is at least that of each quarter), and figures published elsewhere.

Where each part lives: ``settings`` (the thresholds and ``method_note``), ``table`` (a result read
into cells and the relations between them), ``rules`` (rules 1-3), ``planner`` (the heuristic of
rule 4), ``attacker`` and ``solver`` (the linear programs that judge it), ``suppression``
(``suppress``, ``suppress_with_ranges`` and ``attack``), ``errors`` (``DisclosureError``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evaluation.measures.result import DESCRIPTIVE_COLUMNS as NON_SPLIT_COLUMNS
from evaluation.measures.result import KEY_COLUMNS as BASE_COLUMNS
from evaluation.measures.result import NUMBER_COLUMNS
from evaluation.sharing.disclosure.errors import DisclosureError, ProtectionUnmet
from evaluation.sharing.disclosure.settings import DisclosureSettings, method_note
from evaluation.sharing.disclosure.table import (
    ADDITIVE_KINDS,
    Cell,
    IndicatorInfo,
    row_keys,
    split_columns,
)
from evaluation.vocabulary.kinds import KINDS
from evaluation.vocabulary.splits import TOTAL

if TYPE_CHECKING:
    from evaluation.sharing.disclosure.suppression import attack, suppress, suppress_with_ranges

LAZY = ("attack", "suppress", "suppress_with_ranges")
"""Imported on first use: the linear programs behind them import scipy (~0.8 s), which a page
or report that only reads released figures never needs."""


def __getattr__(name: str) -> Any:
    if name in LAZY:
        from evaluation.sharing.disclosure import suppression

        return getattr(suppression, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ADDITIVE_KINDS",
    "BASE_COLUMNS",
    "KINDS",
    "NON_SPLIT_COLUMNS",
    "NUMBER_COLUMNS",
    "TOTAL",
    "Cell",
    "DisclosureError",
    "DisclosureSettings",
    "IndicatorInfo",
    "ProtectionUnmet",
    "attack",
    "method_note",
    "row_keys",
    "split_columns",
    "suppress",
    "suppress_with_ranges",
]
