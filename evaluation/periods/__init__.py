"""Reporting periods, the one currency from the command line and the pages to the reports.

Why one package: every indicator is computed "in P", and P reaches the platform from the command
line (``--period``), the dashboard, report templates and funder returns, then travels to the
engine, the result rows (their ``period`` column), the charts and the reports. If each of them
parsed ``2025-Q2`` or named ``FY2025-04`` on its own, two screens could disagree about which days
a period holds or what it is called. Here a period is a value that knows its days (both
included), its kind, its ``spec`` (the ``SPEC`` text that parses back to it) and its ``label``
(what a person reads, from the one label function).

* ``period`` — :class:`Period` and its constructors (``year``, ``quarter``, ``financial_year`` …);
* ``parse`` — ``parse_periods``, the ``SPEC`` of ``docs/spec/cli.md``;
* ``labels`` — ``label(period, lang)``, the one label function (English and German);
* ``calendar`` — stepping back, the periods over by a date, naming bare days (``from_days``);
* ``choices`` — what a period picker offers (``recent_periods``, ``series_choices``).

``spec`` is for machines (cache keys, file names, reproduction commands, CLI arguments);
``label`` is for people.
"""

from evaluation.periods.calendar import (
    ending_with,
    from_days,
    latest_complete_quarter,
    whole_periods_before,
)
from evaluation.periods.choices import (
    CUSTOM,
    RECENT,
    PeriodChoices,
    PeriodOption,
    custom_help,
    recent_periods,
    series_choices,
)
from evaluation.periods.labels import LANGUAGES, Language, in_period, label
from evaluation.periods.parse import MAX_YEAR, MIN_YEAR, parse_periods
from evaluation.periods.period import (
    KINDS,
    Period,
    PeriodError,
    PeriodKind,
    date_range,
    financial_year,
    half_year,
    month,
    period_of,
    quarter,
    year,
)

__all__ = [
    "CUSTOM",
    "KINDS",
    "LANGUAGES",
    "MAX_YEAR",
    "MIN_YEAR",
    "RECENT",
    "Language",
    "Period",
    "PeriodChoices",
    "PeriodError",
    "PeriodKind",
    "PeriodOption",
    "custom_help",
    "date_range",
    "ending_with",
    "financial_year",
    "from_days",
    "half_year",
    "in_period",
    "label",
    "latest_complete_quarter",
    "month",
    "parse_periods",
    "period_of",
    "quarter",
    "recent_periods",
    "series_choices",
    "whole_periods_before",
    "year",
]
