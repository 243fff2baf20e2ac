"""How every number reads for a person: counts, numbers, percents, intervals, changes, amounts.

One style, used by the pages, the charts' hover texts, the drafted narrative and every report
format, so a figure reads the same wherever it is shown. Babel supplies each locale's digits,
grouping and decimal signs (``lang``: a locale such as ``en`` or ``de_AT``; by default the
language of the moment, ``language.current()``); the shape is the platform's own, the same in
every locale:

* a count is whole: ``1,234``;
* another number is whole when it is whole, else has one decimal (up to two below 1):
  ``12.5``, ``0.45``;
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

D3_PERCENT = ".1%"
"""A rate in a Plotly hover text (d3 format)."""
D3_PERCENT_AXIS = ".0%"
"""The ticks of a 0–100 % axis, and a rate as a bar's label."""
D3_COUNT = ",.0f"
"""A count in a hover text."""
D3_NUMBER = ",~r"
"""Ticks of a number axis: grouped, no trailing zeros."""
D3_GROUPED = ","
"""A number as it is, digits grouped, in a hover text."""


def _locale(lang: str | None) -> str:
    """The locale to format in: ``lang``, else the language of the moment."""
    return lang or current()


def _decimal(value: float, pattern: str, lang: str | None) -> str:
    return format_decimal(value, format=pattern, locale=_locale(lang))


def count(value: float, lang: str | None = None) -> str:
    """A count of people, events or rows, whole: ``1,234``."""
    return _decimal(value, "#,##0", lang)


def number(value: float, lang: str | None = None) -> str:
    """Any other number: whole when it is whole, else one decimal (up to two below 1)."""
    if float(value).is_integer():
        return count(value, lang)
    return _decimal(value, "#,##0.0#" if abs(value) < 1 else "#,##0.0", lang)


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


def figure(value: float | None, kind: str, unit: str = "", lang: str | None = None) -> str:
    """An indicator's value as a person reads it, chosen by its kind (``vocabulary.kinds``) and
    unit: rates in percent, amounts in euros, counts whole, others as numbers; ``–`` for none."""
    if value is None:
        return MISSING
    if kind in PERCENT_KINDS:
        return percent(value, lang)
    if is_money(unit):
        return amount(value, lang=lang)
    if kind == "count":
        return count(value, lang)
    return number(value, lang)


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


def _date_locale(lang: str | None) -> str:
    # English days read the British way (31 Dec 2025), never the American (Dec 31, 2025).
    locale = _locale(lang)
    return "en_GB" if locale in ("en", "en_US") else locale


def day(value: date | None, lang: str | None = None, *, width: DayWidth = "medium") -> str:
    """A day as its language writes it: ``31 Dec 2025`` / ``31.12.2025`` (``medium``, tables),
    ``31/12/2025`` / ``31.12.25`` (``short``), ``31 December 2025`` / ``31. Dezember 2025``
    (``long``, sentences); ``–`` for none. A ``datetime`` is shown as its day."""
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format=width, locale=_date_locale(lang))


def moment(value: datetime | None, lang: str | None = None) -> str:
    """A point in time to the minute: ``31 Dec 2025, 14:05`` / ``31.12.2025, 14:05``."""
    if value is None:
        return MISSING
    return f"{day(value, lang)}, {value:%H:%M}"
