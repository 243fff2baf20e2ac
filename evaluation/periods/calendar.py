"""Period arithmetic: stepping back, the periods that are over by a date, naming bare days.

The pickers offer whole periods that are over in the data, trend charts want the periods of one
kind that end with the report's, and code that only holds a result row's first and last day
(``period_start``, ``period_end``) needs the period those days are, to name it.
"""

from __future__ import annotations

from datetime import date

from evaluation.periods.period import (
    Period,
    PeriodKind,
    as_day,
    date_range,
    period_of,
)

__all__ = ["ending_with", "from_days", "latest_complete_quarter", "whole_periods_before"]

_RECOGNISED: tuple[PeriodKind, ...] = ("year", "half_year", "quarter", "month")


def from_days(start: date, end: date) -> Period:
    """The period that is exactly the days ``[start, end]``: its calendar kind when it has one.

    A calendar year, half-year, quarter or month is recognised; twelve whole months starting
    on the 1st of another month than January are the financial year starting then (twelve
    months from January are the calendar year); anything else is a range. For code that holds
    only the first and last day of a result row and must name it like the rest of the platform.
    """
    start, end = as_day(start, "start"), as_day(end, "end")
    for kind in _RECOGNISED:
        whole = period_of(kind, start)
        if (whole.start, whole.end) == (start, end):
            return whole
    if start.day == 1 and start.month != 1:
        fy = period_of("financial_year", start, start_month=start.month)
        if fy.end == end:
            return fy
    return date_range(start, end)


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
    leaving out those that end before ``first_date`` (nothing had happened yet).

    ``start_month`` is the first month of a ``financial_year``.
    """
    data_as_of = as_day(data_as_of, "data_as_of")
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
    return whole_periods_before("quarter", data_as_of, 1)[0]
