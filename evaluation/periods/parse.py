"""Parsing the ``SPEC`` of the command line into periods.

Forms accepted (``docs/spec/cli.md``), comma-separated:

* ``2025`` calendar year;
* ``2025-Q2`` calendar quarter (``q`` in any case);
* ``2025-H1`` / ``2025-H2`` calendar half-year (an extension the funder templates need);
* ``2025-03`` calendar month;
* ``FY2025-04`` financial year of 12 months starting on 1 April 2025 (any start month 01-12;
  ``FY2025-01`` holds the days of calendar 2025);
* ``2025-04-01..2026-03-31`` a range of days, both included.

``Period.spec`` writes each period back in these forms, so ``parse_periods(p.spec) == [p]``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NoReturn

from evaluation.periods.period import Period, PeriodError, date_range, period_of
from evaluation.vocabulary.language import N_, _

__all__ = ["MAX_YEAR", "MIN_YEAR", "SPEC_FORMS", "parse_periods"]

MIN_YEAR = 1980
"""Earliest year a ``SPEC`` may name: older dates in a package are almost surely typing errors."""
MAX_YEAR = 2100
"""Latest year a ``SPEC`` may name (funding may be committed far ahead, but not that far)."""

SPEC_FORMS = N_(
    "Write a year (2025), a quarter (2025-Q2), a half-year (2025-H1), a month (2025-03), "
    "a financial year (FY2025-04 starts on 1 April 2025) or a range of days "
    "(2025-04-01..2026-03-31, both days included), and separate several periods with commas."
)
"""The sentence that ends every refusal: what may be written instead (in English: it is
translated where a refusal is written)."""
_MAX_ECHO = 40
"""Longest piece of a rejected ``SPEC`` quoted back; a pasted paragraph is shortened."""

_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})-Q(\d+)", re.IGNORECASE)
_HALF = re.compile(r"(\d{4})-H(\d+)", re.IGNORECASE)
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_FY = re.compile(r"FY(\d{4})-(\d{1,2})", re.IGNORECASE)
_FY_NO_MONTH = re.compile(r"FY\s*(\d{4})", re.IGNORECASE)
_RANGE = re.compile(r"(\S+?)\s*\.\.\s*(\S+)")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_periods(spec: str) -> list[Period]:
    """Parse a ``SPEC``: periods separated by commas, in the order written, duplicates removed.

    Two entries are duplicates when they cover the same days (``2025, FY2025-01`` or
    ``2025-Q1, 2025-q1``): result rows are keyed by ``period_start`` and ``period_end``, so two
    periods of one stretch of days would publish the same numbers twice. The first one wins.

    Raises :class:`PeriodError` with a sentence naming the bad entry and the accepted forms.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise PeriodError(_("No period was given.") + " " + _(SPEC_FORMS))
    parts = [part.strip() for part in spec.split(",")]
    if any(not part for part in parts):
        raise PeriodError(
            _(
                "The periods {spec} contain an empty entry between commas.",
                spec=_quote(spec.strip()),
            )
            + " "
            + _(SPEC_FORMS)
        )
    seen: set[tuple[date, date]] = set()
    out: list[Period] = []
    for part in parts:
        period = _parse_one(part)
        if (period.start, period.end) not in seen:
            seen.add((period.start, period.end))
            out.append(period)
    return out


def _parse_one(part: str) -> Period:
    """One entry of a ``SPEC``: its form, then the years it may name."""
    text = part.strip()
    if m := _YEAR.fullmatch(text):
        return period_of("year", date(_year(part, m[1]), 1, 1))
    if m := _QUARTER.fullmatch(text):
        q = int(m[2])
        if not 1 <= q <= 4:
            _refuse(part, "a year has quarters Q1 to Q4")
        return period_of("quarter", date(_year(part, m[1]), 3 * q - 2, 1))
    if m := _HALF.fullmatch(text):
        h = int(m[2])
        if h not in (1, 2):
            _refuse(part, "a year has half-years H1 and H2")
        return period_of("half_year", date(_year(part, m[1]), 6 * h - 5, 1))
    if m := _MONTH.fullmatch(text):
        if len(m[2]) != 2 or not 1 <= int(m[2]) <= 12:
            _refuse(part, "months are written with two digits, 01 to 12")
        return period_of("month", date(_year(part, m[1]), int(m[2]), 1))
    if m := _FY.fullmatch(text):
        if len(m[2]) != 2 or not 1 <= int(m[2]) <= 12:
            _refuse(part, _("a financial year starts in a month written with two digits, 01 to 12"))
        start_month = int(m[2])
        return period_of("financial_year", date(_year(part, m[1]), start_month, 1), start_month)
    if m := _FY_NO_MONTH.fullmatch(text):
        example = "FY" + m[1] + "-04"
        _refuse(part, _("a financial year needs its start month, as in {example}", example=example))
    if m := _RANGE.fullmatch(text):
        start, end = _iso_day(part, m[1]), _iso_day(part, m[2])
        for d in (start, end):
            _year(part, str(d.year))
        if end < start:
            _refuse(
                part,
                _(
                    "it ends ({end}) before it starts ({start})",
                    end=end.isoformat(),
                    start=start.isoformat(),
                ),
            )
        return date_range(start, end)
    if _ISO_DAY.fullmatch(text):
        example = text + ".." + text
        _refuse(part, _("a single day is written as a range, {example}", example=example))
    _refuse(part)


def _year(part: str, text: str) -> int:
    """The year written in an entry, refused outside ``MIN_YEAR``-``MAX_YEAR``."""
    y = int(text)
    if not MIN_YEAR <= y <= MAX_YEAR:
        _refuse(part, _("years must be between {low} and {high}", low=MIN_YEAR, high=MAX_YEAR))
    return y


def _iso_day(part: str, text: str) -> date:
    """A ``YYYY-MM-DD`` day inside a range; anything else is refused naming the whole entry."""
    if not _ISO_DAY.fullmatch(text):
        _refuse(part, _("{text} is not a day written as YYYY-MM-DD", text=_quote(text)))
    try:
        return date.fromisoformat(text)
    except ValueError:
        _refuse(part, _("{text} is not a day in the calendar", text=text))


def _refuse(part: str, reason: str | None = None) -> NoReturn:
    if reason:
        sentence = _("{part} is not a period: {reason}.", part=_quote(part), reason=reason)
    else:
        sentence = _("{part} is not a period.", part=_quote(part))
    raise PeriodError(f"{sentence} {_(SPEC_FORMS)}")


def _quote(text: str) -> str:
    text = text.strip()
    if len(text) > _MAX_ECHO:
        text = text[: _MAX_ECHO - 1] + "…"
    return _("“{text}”", text=text)
