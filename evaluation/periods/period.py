"""The reporting period: a value that knows its days, its kind, its ``SPEC`` and its label.

Why a value and not two dates: a period reaches the platform from the command line, the pages,
report templates and funder returns, and goes on to the engine, the result rows, the charts and
the reports. If any of them held only the first and last day, it would have to guess the kind
back and rebuild a label, and two screens would name the same days differently (the comparison
once called ``FY2025-04`` "2025-04-01..2026-03-31"). So the kind travels with the days, and the
label is always derived by the one label function (:func:`evaluation.periods.label`).

A period is the pair of its first and last day, both included (``docs/spec/indicators-v1.md``,
Notation). Its kind is checked against its days when it is made, so a ``Period`` that says
``quarter`` always is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from evaluation.errors import EvaluationError

__all__ = [
    "KINDS",
    "Period",
    "PeriodError",
    "PeriodKind",
    "date_range",
    "financial_year",
    "half_year",
    "month",
    "period_of",
    "quarter",
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

ONE_DAY = timedelta(days=1)
_MONTHS: dict[PeriodKind, int] = {
    "year": 12,
    "half_year": 6,
    "quarter": 3,
    "month": 1,
    "financial_year": 12,
}
"""How many whole months a period of each aligned kind holds."""


class PeriodError(EvaluationError, ValueError):
    """A period cannot be parsed or built; the message is a sentence naming the bad part."""


@dataclass(frozen=True, order=True, repr=False)
class Period:
    """A reporting period ``[start, end]``, both days included, of a known ``kind``.

    ``kind`` is checked against the days: ``Period(date(2025, 1, 1), date(2025, 3, 31),
    "quarter")`` is the first quarter of 2025, and the same days with ``"month"`` are refused.
    A financial year starts on the 1st of any month and holds 12 months. ``name`` is an
    optional custom label (a template may call a range "Grant year 1"); it replaces the label
    the label function would give, never the ``spec``.

    Periods sort by start, then end (then kind and name), the order of tables and trend charts.
    Two periods are equal when their days, kind and name are; ``parse_periods`` keeps only the
    first of several spellings of the same days.
    """

    start: date
    end: date
    kind: PeriodKind = "range"
    name: str = ""

    def __post_init__(self) -> None:
        # pandas hands out Timestamps (datetime subclasses); comparing a datetime with a date
        # raises TypeError, so normalise once here instead of at every comparison.
        object.__setattr__(self, "start", as_day(self.start, "start"))
        object.__setattr__(self, "end", as_day(self.end, "end"))
        object.__setattr__(self, "name", str(self.name).strip())
        if self.end < self.start:
            raise PeriodError(
                f"The period from {self.start.isoformat()} ends ({self.end.isoformat()}) "
                "before it starts."
            )
        if self.kind not in KINDS:
            raise PeriodError(
                f"“{self.kind}” is not a kind of period; the kinds are {', '.join(KINDS)}."
            )
        if self.kind != "range":
            whole = period_of(self.kind, self.start, start_month=self.start.month)
            if (whole.start, whole.end) != (self.start, self.end):
                raise PeriodError(
                    f"The days {self.start.isoformat()} to {self.end.isoformat()} are not a "
                    f"whole {self.kind.replace('_', '-')}."
                )

    def __str__(self) -> str:
        return self.label

    def __repr__(self) -> str:
        named = f", name={self.name!r}" if self.name else ""
        return f"Period({self.spec!r}{named})"

    @property
    def label(self) -> str:
        """The English label (``2025 Q2``, ``FY 2025/26``), or the custom name, whatever the
        language of the moment: what result rows, caches and signed returns carry, so they never
        depend on who computed them. A person reads :func:`evaluation.periods.label` (``label(p)``:
        the language of the moment).
        """
        from evaluation.periods.labels import label

        return label(self, "en")

    @property
    def spec(self) -> str:
        """The ``SPEC`` text the command line parses back to these days and kind.

        ``2025``, ``2025-H1``, ``2025-Q2``, ``2025-03``, ``FY2025-04`` or
        ``2025-04-01..2026-03-31``: for cache keys, file names, reproduction commands and
        anything a machine reads. A custom ``name`` is not part of it.
        """
        y = self.start.year
        if self.kind == "year":
            return f"{y:04d}"
        if self.kind == "half_year":
            return f"{y:04d}-H{1 if self.start.month <= 6 else 2}"
        if self.kind == "quarter":
            return f"{y:04d}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{y:04d}-{self.start.month:02d}"
        if self.kind == "financial_year":
            return f"FY{y:04d}-{self.start.month:02d}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def days(self) -> int:
        """Number of days in the period, both ends included (never less than 1)."""
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same kind immediately before this one (without a custom name).

        Year, half-year, quarter, month and financial year step back one of themselves (the
        financial year keeps its start month). A range steps back by its own length: the range
        of the same number of days that ends the day before this one starts, so "the same
        stretch before" can be compared like for like.
        """
        if self.kind == "range":
            end = self.start - ONE_DAY
            return date_range(end - timedelta(days=self.days - 1), end)
        return period_of(self.kind, self.start - ONE_DAY, start_month=self.start.month)


# --------------------------------------------------------------------------------------------
# Constructors


def year(y: int) -> Period:
    """Calendar year ``y`` (``2025``)."""
    return Period(date(y, 1, 1), date(y, 12, 31), "year")


def half_year(y: int, h: int) -> Period:
    """Half ``h`` (1 = January-June, 2 = July-December) of year ``y`` (``2025-H1``)."""
    if h not in (1, 2):
        raise PeriodError(f"A year has half-years 1 and 2, not {h}.")
    return period_of("half_year", date(y, 1 if h == 1 else 7, 1))


def quarter(y: int, q: int) -> Period:
    """Calendar quarter ``q`` (1-4) of year ``y`` (``2025-Q2``)."""
    if q not in (1, 2, 3, 4):
        raise PeriodError(f"A year has quarters 1 to 4, not {q}.")
    return period_of("quarter", date(y, 3 * (q - 1) + 1, 1))


def month(y: int, m: int) -> Period:
    """Calendar month ``m`` of year ``y`` (``2025-03``)."""
    check_month(m)
    return period_of("month", date(y, m, 1))


def financial_year(y: int, start_month: int) -> Period:
    """The 12 months starting on the 1st of ``start_month`` in year ``y`` (``FY2025-04``).

    Financial years are named by the year they start in, whatever the start month, so
    ``FY2025-04`` runs from 1 April 2025 to 31 March 2026 and ``FY2025-01`` holds the days of
    calendar 2025 (it is still a financial year, labelled ``FY 2025``).
    """
    check_month(start_month)
    return period_of("financial_year", date(y, start_month, 1), start_month=start_month)


def date_range(start: date, end: date, name: str = "") -> Period:
    """The custom range ``[start, end]``, both included (``2025-04-01..2026-03-31``)."""
    return Period(start, end, "range", name)


def period_of(kind: PeriodKind, d: date, start_month: int = 1) -> Period:
    """The period of ``kind`` that holds day ``d``.

    ``start_month`` is only used for ``financial_year`` (the organisation's first month; the
    dashboard takes it from ``evaluation.settings``). A ``range`` has no natural boundaries, so
    asking for one is an error.
    """
    d = as_day(d, "day")
    if kind not in _MONTHS:
        raise PeriodError(
            f"There is no period of kind “{kind}” around a day; the kinds are "
            "year, half_year, quarter, month and financial_year."
        )
    check_month(start_month)
    length = _MONTHS[kind]
    anchor = start_month - 1 if kind == "financial_year" else 0
    index = d.year * 12 + d.month - 1 - anchor
    first = index - index % length + anchor
    start = date(first // 12, first % 12 + 1, 1)
    last = first + length  # the month after the period
    end = date(last // 12, last % 12 + 1, 1) - ONE_DAY
    return _aligned(start, end, kind)


def _aligned(start: date, end: date, kind: PeriodKind) -> Period:
    """A period whose days are known to fit ``kind``, made without checking them again."""
    period = object.__new__(Period)
    object.__setattr__(period, "start", start)
    object.__setattr__(period, "end", end)
    object.__setattr__(period, "kind", kind)
    object.__setattr__(period, "name", "")
    return period


# --------------------------------------------------------------------------------------------
# Small date checks shared by the package


def as_day(value: object, what: str) -> date:
    """``value`` as a plain date (datetimes and pandas Timestamps lose their time of day)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"The {what} of a period must be a date, not {type(value).__name__}.")


def check_month(m: int) -> None:
    """Refuse a month number outside 1-12 with a sentence."""
    if not 1 <= m <= 12:
        raise PeriodError(f"Months are numbered 1 to 12, not {m}.")
