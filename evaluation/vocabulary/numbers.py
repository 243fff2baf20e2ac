"""How every number reads for a person: counts, numbers, percents, intervals, changes, amounts.

One style, used by the pages, the charts' hover texts, the drafted narrative and every report
format, so a figure reads the same wherever it is shown. Babel supplies each locale's digits,
grouping and decimal signs (``lang``: a locale such as ``en`` or ``de_AT``; by default the
language of the moment, ``language.current()``); the shape is the platform's own, the same in
every locale:

* a count is whole: ``1,234``;
* another number is whole when it is whole, else has one decimal (up to two below 1):
  ``12.5``, ``0.45``; numbers read side by side (a figure, the one before it, its target)
  share the decimals the most precise of them needs (:func:`decimals_for`): ``0.44`` and
  ``0.10`` (nothing stays ``0``);
* a rate (a fraction 0–1) is a whole percent with a space before the sign, as the texts write
  "95 % interval": ``48 %``; an interval ``48–83 %``;
* a change is signed with an ASCII ``+`` or ``-`` (``st.metric`` reads the sign to draw its
  arrow): ``+12``; a change of a rate is in whole percentage points: ``+5 pp`` in a table cell,
  ``+5 percentage points`` in a sentence;
* an amount is whole units followed by the currency code, as funders' forms write it:
  ``12,500 EUR``;
* a figure that is not there is an en dash ``–``.

The words around the numbers (``percentage points``, ``pp``) are translated like every other
text; a day reads as its language writes it (:func:`day`: ``31 Dec 2025``, ``31.12.2025``).
Plotly formats its own hover and axis numbers in the browser with d3 format strings: those are
the ``D3_*`` constants below, so they too are declared in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

from babel.dates import format_date
from babel.numbers import format_decimal

from evaluation.vocabulary.kinds import PERCENT_KINDS
from evaluation.vocabulary.language import _, current, n_
from evaluation.vocabulary.units import is_money

DEFAULT_LOCALE = "en"
"""The source language; ``lang=None`` means the language of the moment."""
MISSING = "–"
"""What stands where there is no figure."""

D3_PERCENT_AXIS = ".0%"
"""The ticks of a 0–100 % axis, and a rate as a bar's label."""
D3_COUNT = ",.0f"
"""A count in a hover text."""
D3_NUMBER = ",~r"
"""Ticks of a number axis: grouped, no trailing zeros."""


def _locale(lang: str | None) -> str:
    """The locale to format in: ``lang``, else the language of the moment."""
    return lang or current()


def _decimal(value: float, pattern: str, lang: str | None) -> str:
    return format_decimal(value, format=pattern, locale=_locale(lang))


def count(value: float, lang: str | None = None) -> str:
    """A count of people, events or rows, whole: ``1,234``."""
    return _decimal(value, "#,##0", lang)


def number(value: float, lang: str | None = None, *, places: int | None = None) -> str:
    """Any other number: whole when it is whole, else one decimal (up to two below 1); with
    ``places``, exactly that many decimals (see :func:`decimals_for`): ``0.10`` beside
    ``0.44``, but nothing is ``0`` (there is nothing to round)."""
    if places is not None and value != 0:
        return _decimal(value, "#,##0" + ("." + "0" * places if places > 0 else ""), lang)
    if float(value).is_integer():
        return count(value, lang)
    return _decimal(value, "#,##0.0#" if abs(value) < 1 else "#,##0.0", lang)


def decimals_for(values: Iterable[float | None]) -> int:
    """The decimals that numbers shown side by side share: the most that :func:`number`
    gives any of ``values`` (none for a whole number, one, up to two below 1), so that
    ``0.44`` and ``0.1`` read ``0.44`` and ``0.10``; ``None`` values are left out."""
    most = 0
    for value in values:
        if value is None:
            continue
        text = number(value, DEFAULT_LOCALE)
        most = max(most, len(text.rpartition(".")[2]) if "." in text else 0)
    return most


def percent(fraction: float, lang: str | None = None) -> str:
    """A rate (a fraction 0–1) as a whole percent: ``0.483`` → ``48 %``."""
    return f"{_decimal(fraction * 100, '#,##0', lang)} %"


def interval(low: float, high: float, lang: str | None = None) -> str:
    """A rate's interval, both ends in whole percents: ``48–83 %``."""
    return f"{_decimal(low * 100, '#,##0', lang)}–{percent(high, lang)}"


def amount(value: float, currency: str = "EUR", lang: str | None = None) -> str:
    """Money in whole units with its currency code: ``12,500 EUR``."""
    return f"{count(value, lang)} {currency}"


def _sign(value: float, text: str) -> str:
    if text.strip("0.,") == "":  # rounds to zero: no sign
        return text
    return ("+" if value > 0 else "-") + text


def change(value: float, lang: str | None = None) -> str:
    """A signed difference of two numbers: ``+12``, ``-1.5``, ``0``."""
    return _sign(value, number(abs(value), lang))


def points(change: float, lang: str | None = None, *, short: bool = True) -> str:
    """A difference of two rates in whole percentage points, signed: ``+5 pp`` (``short``, a
    table cell) or ``+5 percentage points`` (a sentence); ``0 pp`` when it rounds to none."""
    whole = round(change * 100)
    text = _sign(whole, count(abs(whole), lang))
    if short:
        return _("{change} pp", change=text)
    return n_("{change} percentage point", "{change} percentage points", abs(whole), change=text)


def figure(
    value: float | None,
    kind: str,
    unit: str = "",
    lang: str | None = None,
    *,
    places: int | None = None,
) -> str:
    """An indicator's value as a person reads it, chosen by its kind (``vocabulary.kinds``) and
    unit: rates in percent, amounts in euros, counts whole, others as numbers (with ``places``
    decimals when given, see :func:`decimals_for`); ``–`` for none."""
    if value is None:
        return MISSING
    if kind in PERCENT_KINDS:
        return percent(value, lang)
    if is_money(unit):
        return amount(value, lang=lang)
    if kind == "count":
        return count(value, lang)
    return number(value, lang, places=places)


def figure_change(
    change_: float | None, kind: str, lang: str | None = None, *, short: bool = True
) -> str | None:
    """A signed change of an indicator's value: percentage points for rates (see ``points``),
    a number for the rest; ``None`` when no change can be given."""
    if change_ is None:
        return None
    if kind in PERCENT_KINDS:
        return points(change_, lang, short=short)
    return change(change_, lang)


DayWidth = Literal["short", "medium", "long"]


ENGLISH_DAYS: dict[DayWidth, str] = {"short": "dd/MM/y", "medium": "d MMM y", "long": "d MMMM y"}
"""How English writes a day: the British order (``30 Sep 2025``, never the American ``Sep 30,
2025``) with the month names of Babel's ``en``, the English locale everywhere (period labels,
release days, lists): ``Sep``, as Excel's ``mmm`` writes it too, never CLDR's British
``Sept``, so one day reads one way in every page and report format."""


def day(value: date | None, lang: str | None = None, *, width: DayWidth = "medium") -> str:
    """A day as its language writes it: ``31 Dec 2025`` / ``31.12.2025`` (``medium``, tables),
    ``31/12/2025`` / ``31.12.25`` (``short``), ``31 December 2025`` / ``31. Dezember 2025``
    (``long``, sentences); ``–`` for none. A ``datetime`` is shown as its day."""
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        value = value.date()
    locale = _locale(lang)
    if locale.split("_")[0] == DEFAULT_LOCALE:
        return format_date(value, format=ENGLISH_DAYS[width], locale=DEFAULT_LOCALE)
    return format_date(value, format=width, locale=locale)


def month(value: date, lang: str | None = None) -> str:
    """A month as its language abbreviates it: ``Sep 2025`` / ``Sept. 2025``."""
    from babel.dates import format_skeleton

    locale = _locale(lang)
    english = locale.split("_")[0] == DEFAULT_LOCALE  # Babel's en, as ``day`` (no "Sept")
    return str(format_skeleton("yMMM", value, locale=DEFAULT_LOCALE if english else locale))


def moment(value: datetime | None, lang: str | None = None) -> str:
    """A point in time to the minute: ``31 Dec 2025, 14:05`` / ``31.12.2025, 14:05``."""
    if value is None:
        return MISSING
    return f"{day(value, lang)}, {value:%H:%M}"
