"""The one label function: how a period is named for a person, in English or German.

Every table, chart axis, report, page and result row names its periods through :func:`label`
(``Period.label`` is ``label(period)``), so one period never reads two ways. Month names come
from Babel's CLDR data for the language.

=================  ========================  ==========================
kind               English (``en``)          German (``de``)
=================  ========================  ==========================
year               2025                      2025
half_year          2025 H1                   1. Hj. 2025
quarter            2025 Q2                   Q2 2025
month              June 2025                 Juni 2025
financial_year     FY 2025/26                GJ 2025/26
range              1 Apr – 30 Sep 2025       1. Apr. – 30. Sept. 2025
=================  ========================  ==========================

A range within one year names the year once; across years each day has its own
(``1 Apr 2025 – 31 Mar 2026``); a single day is just that day. A financial year is named by the
two years it touches, not by its start month (the organisation has one: the
``financial_year_start`` setting); one that starts in January lies within one year and is
``FY 2025``: it keeps its ``FY`` so that it never reads like the calendar year "2025" (same days,
another kind), and the pickers do not offer it next to the calendar years.
A period with a custom ``name`` is labelled with that name in every language.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import TYPE_CHECKING, Literal

from babel.dates import get_month_names

from evaluation.periods.period import PeriodError

if TYPE_CHECKING:
    from evaluation.periods.period import Period

__all__ = ["LANGUAGES", "Language", "in_period", "label"]

Language = Literal["en", "de"]
LANGUAGES: tuple[Language, ...] = ("en", "de")
"""The languages :func:`label` speaks."""

_DASH = " – "


def label(period: Period, lang: str | None = None) -> str:
    """The label of ``period`` a person reads, in ``lang`` (``en`` or ``de``; by default the
    language of the moment, ``language.current()``, or English when labels do not speak it).

    Two periods without a custom name have the same label only when they cover the same days,
    with one exception: financial years are named by their years, not their start month, so
    ``FY2025-04`` and ``FY2025-07`` both read ``FY 2025/26`` (within one organisation the
    pickers offer a single start month, the ``financial_year_start`` setting; reports show the
    dates next to the label). Raises :class:`PeriodError` for a language it does not speak.
    """
    if period.name:
        return period.name
    return _label(period.kind, period.start, period.end, _language(lang))


def _language(lang: str | None) -> str:
    """``lang``, or the language of the moment where labels speak it, else English."""
    if lang is not None:
        return lang
    from evaluation.vocabulary.language import current

    return current() if current() in LANGUAGES else "en"


def in_period(period: Period, lang: str | None = None) -> str:
    """ "in" and the period's label, as a sentence says it: ``in FY 2025/26``, ``in March
    2026``; German with the preposition and article the period's word takes: ``im GJ
    2025/26``, ``im Jahr 2026``, ``im 1. Hj. 2026``, ``im Zeitraum 1. Jan. – 31. März 2026``.
    Lower case: a sentence that starts with it capitalises it."""
    lang = _language(lang)
    text = label(period, lang)
    named = period.kind in _NAMED_KINDS and not period.name  # else its label is its days
    if lang != "de":
        return f"in {text}" if named else f"in the period {text}"
    if not named:
        return f"im Zeitraum {text}"
    if period.kind == "year":
        return f"im Jahr {text}"
    return f"im {text}"  # GJ, Hj., Q and a month's name all take "im"


_NAMED_KINDS = frozenset({"year", "half_year", "quarter", "month", "financial_year"})
"""The kinds a label names by their word (any other label is the period's days)."""


@functools.lru_cache(maxsize=8192)
def _label(kind: str, start: date, end: date, lang: str) -> str:
    if lang not in LANGUAGES:
        raise PeriodError(f"Period labels are written in {' and '.join(LANGUAGES)}, not “{lang}”.")
    de = lang == "de"
    y = start.year
    if kind == "year":
        return f"{y}"
    if kind == "half_year":
        h = 1 if start.month <= 6 else 2
        return f"{h}. Hj. {y}" if de else f"{y} H{h}"
    if kind == "quarter":
        q = (start.month - 1) // 3 + 1
        return f"Q{q} {y}" if de else f"{y} Q{q}"
    if kind == "month":
        return f"{_months(lang, 'wide')[start.month]} {y}"
    if kind == "financial_year":
        word = "GJ" if de else "FY"
        if start.month == 1:
            return f"{word} {y}"
        return f"{word} {y}/{(y + 1) % 100:02d}"
    return _range(start, end, lang)


def _range(start: date, end: date, lang: str) -> str:
    if start == end:
        return _day(start, lang, with_year=True)
    if start.year == end.year:
        return f"{_day(start, lang, with_year=False)}{_DASH}{_day(end, lang, with_year=True)}"
    return f"{_day(start, lang, with_year=True)}{_DASH}{_day(end, lang, with_year=True)}"


def _day(d: date, lang: str, *, with_year: bool) -> str:
    month_name = _months(lang, "abbreviated")[d.month]
    text = f"{d.day}. {month_name}" if lang == "de" else f"{d.day} {month_name}"
    return f"{text} {d.year}" if with_year else text


@functools.cache
def _months(lang: str, width: Literal["wide", "abbreviated"]) -> dict[int, str]:
    return {int(k): str(v) for k, v in get_month_names(width, "format", lang).items()}
