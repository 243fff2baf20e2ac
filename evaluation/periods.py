"""Reporting periods: parsing the ``SPEC`` of the command line and reasoning about periods.

Why one module: every indicator is computed "in P", and P reaches the platform from the command
line (``--period``), the dashboard, report templates and funder returns. If each of them parsed
``2025-Q2`` or ``FY2025-04`` on its own, two screens could disagree about which days a period
holds. Here a period is always the pair of its first and last day, both included
(``shared/spec/indicators-v1.md``, Notation), plus a canonical label for tables and reports.

Forms accepted in a ``SPEC`` (``shared/spec/cli.md``), comma-separated:

* ``2025`` calendar year;
* ``2025-Q2`` calendar quarter (``q`` in any case);
* ``2025-H1`` / ``2025-H2`` calendar half-year (an extension the funder templates need);
* ``2025-03`` calendar month;
* ``FY2025-04`` financial year of 12 months starting on 1 April 2025 (any start month 01-12;
  ``FY2025-01`` is calendar 2025);
* ``2025-04-01..2026-03-31`` a range of days, both included.

The helpers at the bottom (``period_of``, ``split_into``, ``quarters_between`` …) serve the
indicator engine: secondary suppression has to see every period published next to another, and
trend charts need the sub-periods that partition a period without gaps or overlaps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, NoReturn

from evaluation.errors import EvaluationError

__all__ = [
    "KINDS",
    "MAX_YEAR",
    "MIN_YEAR",
    "Period",
    "PeriodError",
    "PeriodKind",
    "date_range",
    "ending_with",
    "financial_year",
    "financial_years_between",
    "half_year",
    "latest_complete_quarter",
    "month",
    "months_between",
    "parse_periods",
    "period_of",
    "periods_between",
    "quarter",
    "quarters_between",
    "split_into",
    "whole_periods_before",
    "year",
]

PeriodKind = Literal["year", "half_year", "quarter", "month", "financial_year", "range"]
KINDS: tuple[PeriodKind, ...] = (
    "year",
    "half_year",
    "quarter",
    "month",
    "financial_year",
    "range",
)
"""Every kind of period; all but ``range`` are aligned to the calendar (or the financial year)."""

MIN_YEAR = 1980
"""Earliest year a ``SPEC`` may name: older dates in a package are almost surely typing errors."""
MAX_YEAR = 2100
"""Latest year a ``SPEC`` may name (funding may be committed far ahead, but not that far)."""

_ONE_DAY = timedelta(days=1)
_FORMS = (
    "Write a year (2025), a quarter (2025-Q2), a half-year (2025-H1), a month (2025-03), "
    "a financial year (FY2025-04 starts on 1 April 2025) or a range of days "
    "(2025-04-01..2026-03-31, both days included), and separate several periods with commas."
)
_MAX_ECHO = 40
"""Longest piece of a rejected ``SPEC`` quoted back; a pasted paragraph is shortened."""


class PeriodError(EvaluationError, ValueError):
    """A period cannot be parsed or built; the message is a sentence naming the bad part."""


# --------------------------------------------------------------------------------------------
# The period itself


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period ``[start, end]``, both days included, with the label shown for it.

    Periods sort by start, then end, then label, which is the order of tables and trend charts.
    The label is free text (a template may say "Grant year 1"); ``kind`` only reports a calendar
    kind when the label is that kind's canonical label *and* the dates agree with it, so a
    mislabelled period is treated as a plain range rather than trusted.
    """

    start: date
    end: date
    label: str

    def __post_init__(self) -> None:
        # pandas hands out Timestamps (datetime subclasses); comparing a datetime with a date
        # raises TypeError, so normalise once here instead of at every comparison.
        object.__setattr__(self, "start", _day(self.start, "start"))
        object.__setattr__(self, "end", _day(self.end, "end"))
        if self.end < self.start:
            raise PeriodError(
                f"The period {_quote(self.label)} ends ({self.end.isoformat()}) before it starts "
                f"({self.start.isoformat()})."
            )

    def __str__(self) -> str:
        return self.label

    @property
    def days(self) -> int:
        """Number of days in the period, both ends included (never less than 1)."""
        return (self.end - self.start).days + 1

    @property
    def kind(self) -> PeriodKind:
        """``year``, ``half_year``, ``quarter``, ``month``, ``financial_year`` or ``range``."""
        try:
            kind, start, end = _interpret(self.label)
        except PeriodError:
            return "range"
        if (start, end) != (self.start, self.end):
            return "range"
        return kind

    def contains(self, d: date) -> bool:
        """Whether day ``d`` lies in the period (both ends included)."""
        d = _day(d, "day")
        return self.start <= d <= self.end

    def overlap_days(self, start: date, end: date) -> int:
        """How many days of ``[start, end]`` (both included) lie in the period; 0 if none.

        This is the ``overlap_days`` of the funding indicators: a grant row's amount is spread
        evenly over its days and the period gets the share of the days it holds. An empty
        range (``end`` before ``start``) has no days and so overlaps nothing.
        """
        first = max(self.start, _day(start, "start"))
        last = min(self.end, _day(end, "end"))
        return max(0, (last - first).days + 1)

    def is_partial(self, data_as_of: date) -> bool:
        """Whether the period ends after the data's ``data_as_of`` date (it is not over yet).

        Every result row for a partial period says so, because its counts will still grow.
        """
        return self.end > _day(data_as_of, "data_as_of")

    def previous(self) -> Period:
        """The period of the same kind immediately before this one.

        Year, half-year, quarter, month and financial year step back one of themselves (the
        financial year keeps its start month). A range steps back by its own length: the range
        of the same number of days that ends the day before this one starts, so "the same
        stretch before" can be compared like for like.
        """
        kind = self.kind
        if kind == "range":
            end = self.start - _ONE_DAY
            return date_range(end - timedelta(days=self.days - 1), end)
        return period_of(kind, self.start - _ONE_DAY, start_month=self.start.month)


# --------------------------------------------------------------------------------------------
# Constructors: the only place labels are made, so every label is canonical


def year(y: int) -> Period:
    """Calendar year ``y``, labelled ``2025``."""
    return Period(date(y, 1, 1), date(y, 12, 31), f"{y:04d}")


def half_year(y: int, h: int) -> Period:
    """Half ``h`` (1 = January-June, 2 = July-December) of year ``y``, labelled ``2025-H1``."""
    if h not in (1, 2):
        raise PeriodError(f"A year has half-years 1 and 2, not {h}.")
    first = 1 if h == 1 else 7
    return Period(date(y, first, 1), _month_end(y, first + 5), f"{y:04d}-H{h}")


def quarter(y: int, q: int) -> Period:
    """Calendar quarter ``q`` (1-4) of year ``y``, labelled ``2025-Q2``."""
    if q not in (1, 2, 3, 4):
        raise PeriodError(f"A year has quarters 1 to 4, not {q}.")
    first = 3 * (q - 1) + 1
    return Period(date(y, first, 1), _month_end(y, first + 2), f"{y:04d}-Q{q}")


def month(y: int, m: int) -> Period:
    """Calendar month ``m`` of year ``y``, labelled ``2025-03``."""
    _check_month(m)
    return Period(date(y, m, 1), _month_end(y, m), f"{y:04d}-{m:02d}")


def financial_year(y: int, start_month: int) -> Period:
    """The 12 months starting on the 1st of ``start_month`` in year ``y``, labelled ``FY2025-04``.

    Financial years are named by the year they start in, whatever the start month, so
    ``FY2025-04`` runs from 1 April 2025 to 31 March 2026 and ``FY2025-01`` is calendar 2025.
    """
    _check_month(start_month)
    last_y, last_m = _add_months(y, start_month, 11)
    return Period(
        date(y, start_month, 1), _month_end(last_y, last_m), f"FY{y:04d}-{start_month:02d}"
    )


def date_range(start: date, end: date) -> Period:
    """The custom range ``[start, end]``, both included, labelled ``2025-04-01..2026-03-31``."""
    start, end = _day(start, "start"), _day(end, "end")
    return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")


# --------------------------------------------------------------------------------------------
# Parsing


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
    labels for one stretch of days would publish the same numbers twice. The first label wins.

    Raises :class:`PeriodError` with a sentence naming the bad entry and the accepted forms.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise PeriodError(f"No period was given. {_FORMS}")
    parts = [part.strip() for part in spec.split(",")]
    if any(not part for part in parts):
        raise PeriodError(
            f"The periods {_quote(spec.strip())} contain an empty entry between commas. {_FORMS}"
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
    """One entry of a ``SPEC``, with the year bounds a typed period must respect."""
    kind, start, end = _interpret(part)
    for d in (start, end) if kind == "range" else (start,):
        if not MIN_YEAR <= d.year <= MAX_YEAR:
            _refuse(part, f"years must be between {MIN_YEAR} and {MAX_YEAR}")
    if kind == "range":
        return date_range(start, end)
    return period_of(kind, start, start_month=start.month)


def _interpret(part: str) -> tuple[PeriodKind, date, date]:
    """The kind and days of one written period, or PeriodError saying what is wrong with it.

    No year bounds here, so that ``Period.kind`` can recognise any canonical label.
    """
    text = part.strip()
    if m := _YEAR.fullmatch(text):
        p = year(int(m[1]))
        return "year", p.start, p.end
    if m := _QUARTER.fullmatch(text):
        q = int(m[2])
        if not 1 <= q <= 4:
            _refuse(part, "a year has quarters Q1 to Q4")
        p = quarter(int(m[1]), q)
        return "quarter", p.start, p.end
    if m := _HALF.fullmatch(text):
        h = int(m[2])
        if h not in (1, 2):
            _refuse(part, "a year has half-years H1 and H2")
        p = half_year(int(m[1]), h)
        return "half_year", p.start, p.end
    if m := _MONTH.fullmatch(text):
        if len(m[2]) != 2 or not 1 <= int(m[2]) <= 12:
            _refuse(part, "months are written with two digits, 01 to 12")
        p = month(int(m[1]), int(m[2]))
        return "month", p.start, p.end
    if m := _FY.fullmatch(text):
        if len(m[2]) != 2 or not 1 <= int(m[2]) <= 12:
            _refuse(part, "a financial year starts in a month written with two digits, 01 to 12")
        p = financial_year(int(m[1]), int(m[2]))
        return "financial_year", p.start, p.end
    if m := _FY_NO_MONTH.fullmatch(text):
        _refuse(part, f"a financial year needs its start month, as in FY{m[1]}-04")
    if m := _RANGE.fullmatch(text):
        start, end = _iso_day(part, m[1]), _iso_day(part, m[2])
        if end < start:
            _refuse(part, f"it ends ({end.isoformat()}) before it starts ({start.isoformat()})")
        return "range", start, end
    if _ISO_DAY.fullmatch(text):
        _refuse(part, f"a single day is written as a range, {text}..{text}")
    _refuse(part)


def _iso_day(part: str, text: str) -> date:
    """A ``YYYY-MM-DD`` day inside a range; anything else is refused naming the whole entry."""
    if not _ISO_DAY.fullmatch(text):
        _refuse(part, f"{_quote(text)} is not a day written as YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        _refuse(part, f"{text} is not a day in the calendar")


def _refuse(part: str, reason: str | None = None) -> NoReturn:
    because = f": {reason}" if reason else ""
    raise PeriodError(f"{_quote(part)} is not a period{because}. {_FORMS}")


def _quote(text: str) -> str:
    text = text.strip()
    if len(text) > _MAX_ECHO:
        text = text[: _MAX_ECHO - 1] + "…"
    return f"“{text}”"


# --------------------------------------------------------------------------------------------
# Helpers for the indicator engine


def period_of(kind: PeriodKind, d: date, start_month: int = 1) -> Period:
    """The period of ``kind`` that contains day ``d``.

    ``start_month`` is only used for ``financial_year`` (the organisation's first month). A
    ``range`` has no natural boundaries, so asking for one is an error.
    """
    d = _day(d, "day")
    if kind == "year":
        return year(d.year)
    if kind == "half_year":
        return half_year(d.year, 1 if d.month <= 6 else 2)
    if kind == "quarter":
        return quarter(d.year, (d.month - 1) // 3 + 1)
    if kind == "month":
        return month(d.year, d.month)
    if kind == "financial_year":
        _check_month(start_month)
        return financial_year(d.year if d.month >= start_month else d.year - 1, start_month)
    raise PeriodError(
        f"There is no period of kind {_quote(str(kind))} around a day; the kinds are "
        "year, half_year, quarter, month and financial_year."
    )


def periods_between(kind: PeriodKind, start: date, end: date, start_month: int = 1) -> list[Period]:
    """Every whole period of ``kind`` that overlaps ``[start, end]``, in order.

    The periods are not clipped: the first may start before ``start`` and the last end after
    ``end`` (use :func:`split_into` for clipped pieces). Trend charts want whole quarters or
    months with their canonical labels.
    """
    return list(_walk(kind, _day(start, "start"), _day(end, "end"), start_month))


def quarters_between(start: date, end: date) -> list[Period]:
    """Every calendar quarter that overlaps ``[start, end]``, whole and in order."""
    return periods_between("quarter", start, end)


def months_between(start: date, end: date) -> list[Period]:
    """Every calendar month that overlaps ``[start, end]``, whole and in order."""
    return periods_between("month", start, end)


def financial_years_between(start: date, end: date, start_month: int) -> list[Period]:
    """Every financial year starting in ``start_month`` that overlaps ``[start, end]``."""
    return periods_between("financial_year", start, end, start_month)


def ending_with(last: Period, count: int) -> list[Period]:
    """``count`` periods of ``last``'s kind, stepping back from ``last``, oldest first."""
    out = [last]
    for _ in range(count - 1):
        out.append(out[-1].previous())
    return out[::-1]


def whole_periods_before(
    kind: PeriodKind,
    data_as_of: date,
    count: int,
    first_date: date | None = None,
    start_month: int = 1,
) -> list[Period]:
    """The last ``count`` periods of ``kind`` that are over by ``data_as_of``, newest first,
    leaving out those that end before ``first_date`` (nothing had happened yet)."""
    last = period_of(kind, data_as_of, start_month=start_month)
    if last.end > data_as_of:
        last = last.previous()
    return [
        p for p in reversed(ending_with(last, count)) if first_date is None or p.end >= first_date
    ]


def latest_complete_quarter(data_as_of: date) -> Period:
    """The last calendar quarter that is over by ``data_as_of`` (its last day is included).

    The dashboard opens on it so a first view never shows a partial period.
    """
    as_of = _day(data_as_of, "data_as_of")
    current = period_of("quarter", as_of)
    return current if current.end == as_of else current.previous()


def split_into(period: Period, kind: PeriodKind, start_month: int | None = None) -> list[Period]:
    """The sub-periods of ``kind`` that partition ``period``, clipped to it, in order.

    A piece that is a whole period of ``kind`` keeps its canonical label (``2025-Q2``); a piece
    cut by the period's edges is labelled as the range it really covers, so a label never claims
    days the piece does not hold. The pieces are contiguous, do not overlap and together hold
    exactly the days of ``period`` — what secondary suppression across periods relies on.

    ``start_month`` applies to ``financial_year`` pieces; by default it is the start month of
    ``period`` when that is a financial year, else January.
    """
    if start_month is None:
        start_month = period.start.month if period.kind == "financial_year" else 1
    pieces: list[Period] = []
    for whole in _walk(kind, period.start, period.end, start_month):
        if whole.start >= period.start and whole.end <= period.end:
            pieces.append(whole)
        else:
            pieces.append(date_range(max(whole.start, period.start), min(whole.end, period.end)))
    return pieces


def _walk(kind: PeriodKind, start: date, end: date, start_month: int) -> Iterator[Period]:
    if end < start:
        raise PeriodError(
            f"The range from {start.isoformat()} to {end.isoformat()} ends before it starts."
        )
    current = period_of(kind, start, start_month)
    while True:
        yield current
        if current.end >= end:
            return
        current = period_of(kind, current.end + _ONE_DAY, start_month)


# --------------------------------------------------------------------------------------------
# Small date arithmetic


def _day(value: object, what: str) -> date:
    """``value`` as a plain date (datetimes and pandas Timestamps lose their time of day)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"The {what} of a period must be a date, not {type(value).__name__}.")


def _check_month(m: int) -> None:
    if not 1 <= m <= 12:
        raise PeriodError(f"Months are numbered 1 to 12, not {m}.")


def _add_months(y: int, m: int, n: int) -> tuple[int, int]:
    """(year, month) ``n`` months after month ``m`` of year ``y``."""
    index = y * 12 + (m - 1) + n
    return index // 12, index % 12 + 1


def _month_end(y: int, m: int) -> date:
    next_y, next_m = _add_months(y, m, 1)
    return date(next_y, next_m, 1) - _ONE_DAY
