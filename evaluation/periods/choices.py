"""What a period picker offers: whole periods that are over in the data, or series of them.

Every page that lets a person choose a period (programme overview, comparison, reports, the
explorer) offers the same thing through the one picker component
(``evaluation.app.period_picker``): a :class:`PeriodChoices` menu whose options are keyed by a
stable text (a period's ``spec``, or the name of a series) and labelled by the label function.
Only periods that are over by the data's ``data_as_of`` are offered, so a first view never shows
figures that will still grow; financial years start in the month of the
``financial_year_start`` setting unless the caller names another (a template's own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import get_month_names

from evaluation import settings
from evaluation.periods.calendar import latest_complete_quarter, whole_periods_before
from evaluation.periods.labels import label as period_label
from evaluation.periods.parse import parse_periods
from evaluation.periods.period import Period, PeriodError, PeriodKind
from evaluation.vocabulary.language import _, current, n_, using

__all__ = [
    "CUSTOM",
    "RECENT",
    "PeriodChoices",
    "PeriodOption",
    "custom_help",
    "recent_periods",
    "series_choices",
]

RECENT: Mapping[PeriodKind, int] = {
    "quarter": 12,
    "half_year": 6,
    "year": 3,
    "financial_year": 3,
}
"""How many periods of each kind a single-period picker offers by default, in this order:
quarters first (the newest is the default), then half-years, years and financial years, which
funders' targets are often set for."""
CUSTOM = "custom"
"""The key of the option that lets a person type a ``SPEC``."""
SERIES_QUARTERS = 8
SERIES_YEARS = 3


@dataclass(frozen=True)
class PeriodOption:
    """One entry of a picker: the key the widget holds, its label, and the periods it means.

    ``label`` is the text given when the option was made (English for the options made here);
    :attr:`shown` is what a person reads, in the language of the moment: a single period's
    label, or a series's sentence (``series`` names which), else ``label`` as given.
    """

    key: str
    label: str
    periods: tuple[Period, ...]
    series: str = ""
    """``latest``, ``quarters``, ``years``, ``financial_years`` (a series of
    :func:`series_choices`), or empty."""

    @classmethod
    def of(cls, period: Period) -> PeriodOption:
        """The option of one period: keyed by its ``spec``, shown by its label."""
        return cls(period.spec, period.label, (period,))

    @property
    def shown(self) -> str:
        """The option's text in the language of the moment."""
        if self.series:
            return _series_text(self.series, self.periods)
        if len(self.periods) == 1 and self.label == self.periods[0].label:
            return period_label(self.periods[0])
        return self.label

    @property
    def spec(self) -> str:
        """The periods as a ``SPEC`` (``2025-Q1,2025-Q2``) a person can edit or type in."""
        return ",".join(p.spec for p in self.periods)


@dataclass(frozen=True)
class PeriodChoices:
    """A picker's menu: its options, the default, and whether a ``SPEC`` may be typed.

    ``data_as_of`` is the date the options hang on (``None`` when nothing in scope has data
    yet, and the options hang on today). With ``custom`` the menu ends with a "Custom" entry
    (key :data:`CUSTOM`) whose periods are typed; ``max_periods`` bounds how many.
    """

    options: tuple[PeriodOption, ...]
    data_as_of: date | None = None
    default: str = ""
    """Key of the option chosen at first; the first option when empty."""
    custom: bool = False
    max_periods: int | None = None

    @classmethod
    def of(cls, periods: Sequence[Period], data_as_of: date | None = None) -> PeriodChoices:
        """A menu of single periods, the first being the default."""
        return cls(tuple(PeriodOption.of(p) for p in periods), data_as_of)

    @property
    def keys(self) -> list[str]:
        """The widget's options, in order, :data:`CUSTOM` last when a ``SPEC`` may be typed."""
        return [o.key for o in self.options] + ([CUSTOM] if self.custom else [])

    @property
    def default_key(self) -> str:
        """The key chosen at first: ``default``, else the first option's."""
        return self.default or (self.options[0].key if self.options else CUSTOM)

    def option(self, key: str) -> PeriodOption:
        """The option held by ``key`` (``KeyError`` when the menu has none)."""
        for o in self.options:
            if o.key == key:
                return o
        raise KeyError(key)

    def label(self, key: str) -> str:
        """What the picker shows for ``key``, in the language of the moment."""
        return _("Custom") if key == CUSTOM and self.custom else self.option(key).shown

    def typed(self, spec: str) -> tuple[Period, ...]:
        """The periods of a typed ``SPEC``; :class:`PeriodError` (a sentence) when it is not
        one or names more than ``max_periods``."""
        periods = tuple(parse_periods(spec))
        if self.max_periods is not None and len(periods) > self.max_periods:
            raise PeriodError(
                _(
                    "That is {n} periods; at most {most} can be shown. "
                    "Choose longer periods, e.g. years instead of quarters.",
                    n=len(periods),
                    most=self.max_periods,
                )
            )
        return periods


def recent_periods(
    data_as_of: date,
    first_date: date | None = None,
    counts: Mapping[PeriodKind, int] = RECENT,
    *,
    start_month: int | None = None,
) -> list[Period]:
    """Whole periods over by ``data_as_of``, newest first within each kind, kinds in the order
    of ``counts`` (by default :data:`RECENT`); the first is the default choice.

    Periods ending before ``first_date`` (no case had been opened yet) are left out, and so is
    a period with the same days as one offered before it (a financial year starting in
    January is the calendar year). Financial years start in ``start_month``, by default the
    ``financial_year_start`` setting.
    """
    if start_month is None:
        start_month = settings.financial_year_start()
    out: list[Period] = []
    seen: set[tuple[date, date]] = set()
    for kind, n in counts.items():
        for p in whole_periods_before(kind, data_as_of, n, first_date, start_month):
            if (p.start, p.end) not in seen:
                seen.add((p.start, p.end))
                out.append(p)
    return out


def series_choices(
    data_as_of: date,
    known: bool = True,
    *,
    start_month: int | None = None,
    max_periods: int | None = None,
) -> PeriodChoices:
    """Series of periods over by ``data_as_of``, for a page that shows several at once.

    The latest complete quarter (the default), the last 8 quarters, the last 3 calendar years,
    the last 3 financial years starting in ``start_month`` (the setting by default; left out
    when that is January, as they would be the calendar years) and a typed ``SPEC`` of at most
    ``max_periods``. ``known=False`` says ``data_as_of`` is only today's date.
    """
    if start_month is None:
        start_month = settings.financial_year_start()
    latest = latest_complete_quarter(data_as_of)
    quarters = whole_periods_before("quarter", data_as_of, SERIES_QUARTERS)[::-1]
    years = whole_periods_before("year", data_as_of, SERIES_YEARS)[::-1]
    options = [
        _series("latest", (latest,)),
        _series("quarters", tuple(quarters)),
        _series("years", tuple(years)),
    ]
    if start_month != 1:
        fys = whole_periods_before(
            "financial_year", data_as_of, SERIES_YEARS, start_month=start_month
        )[::-1]
        options.append(_series("financial_years", tuple(fys)))
    return PeriodChoices(
        tuple(options),
        data_as_of if known else None,
        default="latest",
        custom=True,
        max_periods=max_periods,
    )


def custom_help(start_month: int | None = None) -> str:
    """The help beside a field where a ``SPEC`` is typed, with the financial year's month."""
    if start_month is None:
        start_month = settings.financial_year_start()
    fy = f"FY2025-{start_month:02d}"
    return _(
        "Separated by commas: 2025-Q1, 2025-H1, 2025-03, 2025, "
        "{fy} (a financial year from {month}) or 2025-04-01..2025-09-30.",
        fy=fy,
        month=_month_name(start_month),
    )


def _series(key: str, periods: tuple[Period, ...]) -> PeriodOption:
    """A series option; its ``label`` is the English text (what logs and tests read)."""
    with using("en"):
        text = _series_text(key, periods)
    return PeriodOption(key, text, periods, key)


def _series_text(key: str, periods: tuple[Period, ...]) -> str:
    """A series's sentence in the language of the moment, with its periods' labels."""
    first, last = period_label(periods[0]), period_label(periods[-1])
    if key == "latest":
        return _("Latest complete quarter ({period})", period=first)
    if key == "quarters":
        return n_(
            "Last {n} quarter ({first} to {last})",
            "Last {n} quarters ({first} to {last})",
            len(periods),
            first=first,
            last=last,
        )
    if key == "years":
        return n_(
            "Last {n} year ({first} to {last})",
            "Last {n} years ({first} to {last})",
            len(periods),
            first=first,
            last=last,
        )
    return _(
        "Financial years from {month} ({first} to {last})",
        month=_month_name(periods[0].start.month),
        first=first,
        last=last,
    )


def _month_name(m: int) -> str:
    """A month's name in the language of the moment: ``July``, ``Juli``."""
    return str(get_month_names("wide", "format", current())[m])
