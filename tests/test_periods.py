"""Reporting periods (evaluation/periods.py): every ``SPEC`` form and error, and the invariants the
indicator engine relies on (both days included, partitions without gaps or overlaps, leap years).

Examples pin the forms of ``shared/spec/cli.md``; Hypothesis checks the invariants on periods of
every kind between 1980 and 2100, against brute-force day counting where that is possible.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.errors import EvaluationError
from evaluation.periods import (
    KINDS,
    Period,
    PeriodError,
    date_range,
    financial_year,
    financial_years_between,
    half_year,
    latest_complete_quarter,
    month,
    months_between,
    parse_periods,
    period_of,
    periods_between,
    quarter,
    quarters_between,
    split_into,
    year,
)

D = date
ONE = timedelta(days=1)
FIRST, LAST = D(1980, 1, 1), D(2100, 12, 31)
CALENDAR_KINDS = [k for k in KINDS if k != "range"]

settings.register_profile("periods", max_examples=150, deadline=None)
settings.load_profile("periods")


# --------------------------------------------------------------------------------------------
# Strategies

years = st.integers(1980, 2100)
start_months = st.integers(1, 12)
days = st.dates(min_value=FIRST, max_value=LAST)


@st.composite
def ranges(draw: st.DrawFn, max_days: int = 800) -> Period:
    start = draw(st.dates(min_value=FIRST, max_value=LAST - timedelta(days=max_days)))
    return date_range(start, start + timedelta(days=draw(st.integers(0, max_days))))


periods = st.one_of(
    years.map(year),
    st.builds(half_year, years, st.integers(1, 2)),
    st.builds(quarter, years, st.integers(1, 4)),
    st.builds(month, years, st.integers(1, 12)),
    st.builds(financial_year, years, start_months),
    ranges(),
)


def assert_partition(pieces: list[Period], whole: Period) -> None:
    """Pieces are in order, contiguous, non-overlapping and cover exactly ``whole``."""
    assert pieces, "a period always has at least one piece"
    assert pieces[0].start == whole.start
    assert pieces[-1].end == whole.end
    for before, after in pairwise(pieces):
        assert after.start == before.end + ONE
    assert sum(p.days for p in pieces) == whole.days


# --------------------------------------------------------------------------------------------
# Every form of the SPEC


@pytest.mark.parametrize(
    ("spec", "start", "end", "label", "kind"),
    [
        ("2025", D(2025, 1, 1), D(2025, 12, 31), "2025", "year"),
        ("2024", D(2024, 1, 1), D(2024, 12, 31), "2024", "year"),
        ("2025-Q1", D(2025, 1, 1), D(2025, 3, 31), "2025-Q1", "quarter"),
        ("2025-Q2", D(2025, 4, 1), D(2025, 6, 30), "2025-Q2", "quarter"),
        ("2025-q3", D(2025, 7, 1), D(2025, 9, 30), "2025-Q3", "quarter"),
        ("2025-Q4", D(2025, 10, 1), D(2025, 12, 31), "2025-Q4", "quarter"),
        ("2025-03", D(2025, 3, 1), D(2025, 3, 31), "2025-03", "month"),
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29), "2024-02", "month"),
        ("2025-02", D(2025, 2, 1), D(2025, 2, 28), "2025-02", "month"),
        ("2025-12", D(2025, 12, 1), D(2025, 12, 31), "2025-12", "month"),
        ("FY2025-04", D(2025, 4, 1), D(2026, 3, 31), "FY2025-04", "financial_year"),
        ("fy2025-07", D(2025, 7, 1), D(2026, 6, 30), "FY2025-07", "financial_year"),
        ("FY2025-01", D(2025, 1, 1), D(2025, 12, 31), "FY2025-01", "financial_year"),
        ("FY2025-12", D(2025, 12, 1), D(2026, 11, 30), "FY2025-12", "financial_year"),
        ("FY2023-03", D(2023, 3, 1), D(2024, 2, 29), "FY2023-03", "financial_year"),
        ("2025-H1", D(2025, 1, 1), D(2025, 6, 30), "2025-H1", "half_year"),
        ("2025-h2", D(2025, 7, 1), D(2025, 12, 31), "2025-H2", "half_year"),
        (
            "2025-04-01..2026-03-31",
            D(2025, 4, 1),
            D(2026, 3, 31),
            "2025-04-01..2026-03-31",
            "range",
        ),
        (
            "2025-04-01 .. 2025-04-01",
            D(2025, 4, 1),
            D(2025, 4, 1),
            "2025-04-01..2025-04-01",
            "range",
        ),
        ("1980", D(1980, 1, 1), D(1980, 12, 31), "1980", "year"),
        ("2100-Q4", D(2100, 10, 1), D(2100, 12, 31), "2100-Q4", "quarter"),
    ],
)
def test_every_form(spec: str, start: date, end: date, label: str, kind: str) -> None:
    [period] = parse_periods(spec)
    assert (period.start, period.end, period.label, period.kind) == (start, end, label, kind)
    assert str(period) == label


def test_list_keeps_order_allows_spaces_and_drops_duplicates() -> None:
    got = parse_periods(" 2025-Q2 ,2025-03 ,  2024,2025-q2, FY2025-04,2025-04-01..2026-03-31 ")
    assert [p.label for p in got] == ["2025-Q2", "2025-03", "2024", "FY2025-04"]


def test_duplicates_are_the_same_days_and_the_first_label_wins() -> None:
    # Result rows are keyed by period_start/period_end: one stretch of days, one row.
    assert [p.label for p in parse_periods("FY2025-01, 2025, 2025-01-01..2025-12-31")] == [
        "FY2025-01"
    ]
    assert [p.label for p in parse_periods("2025, FY2025-01")] == ["2025"]


ACCEPTED = "Write a year (2025), a quarter (2025-Q2)"


@pytest.mark.parametrize(
    ("spec", "named", "reason"),
    [
        ("2025-Q5", "“2025-Q5”", "Q1 to Q4"),
        ("2025-Q0", "“2025-Q0”", "Q1 to Q4"),
        ("2025-H3", "“2025-H3”", "H1 and H2"),
        ("2025-13", "“2025-13”", "01 to 12"),
        ("2025-00", "“2025-00”", "01 to 12"),
        ("2025-3", "“2025-3”", "two digits"),
        ("FY2025-13", "“FY2025-13”", "01 to 12"),
        ("FY2025-00", "“FY2025-00”", "01 to 12"),
        ("FY2025-4", "“FY2025-4”", "two digits"),
        ("FY2025", "“FY2025”", "start month"),
        ("1979", "“1979”", "between 1980 and 2100"),
        ("2101-Q1", "“2101-Q1”", "between 1980 and 2100"),
        ("FY1979-04", "“FY1979-04”", "between 1980 and 2100"),
        ("1979-12-31..2025-01-01", "“1979-12-31..2025-01-01”", "between 1980 and 2100"),
        ("2025-01-01..2101-01-01", "“2025-01-01..2101-01-01”", "between 1980 and 2100"),
        ("2026-03-31..2025-04-01", "“2026-03-31..2025-04-01”", "ends (2025-04-01) before"),
        ("2025-02-30..2025-03-31", "“2025-02-30..2025-03-31”", "not a day in the calendar"),
        ("2025-4-1..2025-05-01", "“2025-4-1..2025-05-01”", "YYYY-MM-DD"),
        ("2025..2026", "“2025..2026”", "YYYY-MM-DD"),
        ("2025-04-01", "“2025-04-01”", "2025-04-01..2025-04-01"),
        ("last year", "“last year”", ""),
        ("25", "“25”", ""),
        ("2025-Q2-extra", "“2025-Q2-extra”", ""),
        ("2025-W14", "“2025-W14”", ""),
        ("2025, 2025-Q9", "“2025-Q9”", "Q1 to Q4"),
    ],
)
def test_bad_parts_are_named_with_the_accepted_forms(spec: str, named: str, reason: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_periods(spec)
    message = str(caught.value)
    assert message.startswith(f"{named} is not a period")
    assert reason in message
    assert ACCEPTED in message
    assert message.endswith(".")


@pytest.mark.parametrize("spec", ["", "   ", ",", "2025,", "2025,,2026", " ,2025"])
def test_empty_specs_and_entries_are_refused(spec: str) -> None:
    with pytest.raises(PeriodError, match="Write a year"):
        parse_periods(spec)


def test_period_error_is_both_ours_and_a_value_error() -> None:
    assert issubclass(PeriodError, EvaluationError)
    assert issubclass(PeriodError, ValueError)
    with pytest.raises(ValueError):
        parse_periods("2025-Q5")


def test_a_long_bad_entry_is_shortened_in_the_message() -> None:
    with pytest.raises(PeriodError) as caught:
        parse_periods("x" * 500)
    assert "x" * 41 not in str(caught.value)
    assert "…”" in str(caught.value)


# --------------------------------------------------------------------------------------------
# The Period object


def test_period_refuses_an_end_before_its_start() -> None:
    with pytest.raises(PeriodError, match="ends"):
        Period(D(2025, 2, 1), D(2025, 1, 31), "backwards")
    with pytest.raises(PeriodError):
        date_range(D(2025, 2, 1), D(2025, 1, 31))


def test_datetimes_become_dates() -> None:
    p = Period(datetime(2025, 1, 1, 13, 5), datetime(2025, 1, 31, 23, 59), "2025-01")
    assert p == month(2025, 1)
    assert p.contains(datetime(2025, 1, 31, 23, 59))
    assert p.overlap_days(datetime(2025, 1, 30, 1), datetime(2025, 2, 3, 1)) == 2


def test_a_period_of_another_type_is_refused() -> None:
    with pytest.raises(TypeError):
        Period("2025-01-01", D(2025, 1, 31), "x")  # type: ignore[arg-type]


def test_kind_trusts_a_label_only_when_the_dates_agree() -> None:
    assert Period(D(2025, 1, 1), D(2025, 1, 31), "2025-Q1").kind == "range"
    assert Period(D(2025, 1, 1), D(2025, 12, 31), "Grant year 1").kind == "range"
    assert Period(D(2025, 1, 1), D(2025, 3, 31), "2025-Q1").kind == "quarter"
    assert date_range(D(2025, 1, 1), D(2025, 3, 31)).kind == "range"


def test_days_contains_partial_and_order() -> None:
    q = quarter(2025, 2)
    assert q.days == 91
    assert year(2024).days == 366
    assert date_range(D(2025, 5, 5), D(2025, 5, 5)).days == 1
    assert q.contains(D(2025, 4, 1)) and q.contains(D(2025, 6, 30))
    assert not q.contains(D(2025, 3, 31)) and not q.contains(D(2025, 7, 1))
    assert q.is_partial(D(2025, 6, 29))
    assert not q.is_partial(D(2025, 6, 30))
    # By start, then end: a month sorts before the quarter it opens.
    assert sorted([quarter(2025, 3), quarter(2025, 2), month(2025, 4)]) == [
        month(2025, 4),
        quarter(2025, 2),
        quarter(2025, 3),
    ]


def test_overlap_days_examples() -> None:
    q = quarter(2025, 2)  # 1 April - 30 June
    assert q.overlap_days(D(2025, 1, 1), D(2025, 12, 31)) == 91
    assert q.overlap_days(D(2025, 3, 15), D(2025, 4, 10)) == 10
    assert q.overlap_days(D(2025, 6, 30), D(2025, 7, 31)) == 1
    assert q.overlap_days(D(2025, 7, 1), D(2025, 7, 31)) == 0
    assert q.overlap_days(D(2024, 1, 1), D(2025, 3, 31)) == 0
    assert q.overlap_days(D(2025, 5, 2), D(2025, 5, 1)) == 0  # an empty range


@pytest.mark.parametrize(
    ("period", "before"),
    [
        (year(2025), year(2024)),
        (half_year(2025, 1), half_year(2024, 2)),
        (half_year(2025, 2), half_year(2025, 1)),
        (quarter(2025, 1), quarter(2024, 4)),
        (quarter(2025, 3), quarter(2025, 2)),
        (month(2025, 1), month(2024, 12)),
        (month(2024, 3), month(2024, 2)),
        (financial_year(2025, 4), financial_year(2024, 4)),
        (financial_year(2025, 1), financial_year(2024, 1)),
        (date_range(D(2025, 4, 1), D(2026, 3, 31)), date_range(D(2024, 4, 1), D(2025, 3, 31))),
        (date_range(D(2024, 3, 1), D(2024, 3, 10)), date_range(D(2024, 2, 20), D(2024, 2, 29))),
    ],
)
def test_previous_examples(period: Period, before: Period) -> None:
    assert period.previous() == before
    assert period.previous().kind == period.kind


def test_latest_complete_quarter() -> None:
    assert latest_complete_quarter(D(2025, 6, 30)) == quarter(2025, 2)
    assert latest_complete_quarter(D(2025, 6, 29)) == quarter(2025, 1)
    assert latest_complete_quarter(D(2025, 2, 10)) == quarter(2024, 4)
    assert latest_complete_quarter(datetime(2025, 12, 31, 8)) == quarter(2025, 4)


def test_period_of_examples() -> None:
    d = D(2025, 2, 14)
    assert period_of("year", d) == year(2025)
    assert period_of("half_year", d) == half_year(2025, 1)
    assert period_of("quarter", d) == quarter(2025, 1)
    assert period_of("month", d) == month(2025, 2)
    assert period_of("financial_year", d) == financial_year(2025, 1)
    assert period_of("financial_year", d, start_month=4) == financial_year(2024, 4)
    assert period_of("financial_year", D(2025, 4, 1), start_month=4) == financial_year(2025, 4)
    with pytest.raises(PeriodError):
        period_of("range", d)
    with pytest.raises(PeriodError):
        period_of("financial_year", d, start_month=13)


def test_between_helpers_give_whole_overlapping_periods() -> None:
    assert [p.label for p in quarters_between(D(2025, 2, 15), D(2025, 7, 1))] == [
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
    ]
    assert [p.label for p in months_between(D(2024, 12, 31), D(2025, 2, 1))] == [
        "2024-12",
        "2025-01",
        "2025-02",
    ]
    assert [p.label for p in financial_years_between(D(2025, 3, 31), D(2026, 4, 1), 4)] == [
        "FY2024-04",
        "FY2025-04",
        "FY2026-04",
    ]
    assert quarters_between(D(2025, 5, 5), D(2025, 5, 5)) == [quarter(2025, 2)]
    with pytest.raises(PeriodError):
        months_between(D(2025, 2, 1), D(2025, 1, 1))


def test_split_into_examples() -> None:
    fy = financial_year(2025, 4)
    assert [p.label for p in split_into(fy, "quarter")] == [
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
    ]
    assert [p.label for p in split_into(fy, "year")] == [
        "2025-04-01..2025-12-31",
        "2026-01-01..2026-03-31",
    ]
    assert split_into(fy, "financial_year") == [fy]  # its own start month by default
    assert [p.label for p in split_into(year(2025), "financial_year", start_month=7)] == [
        "2025-01-01..2025-06-30",
        "2025-07-01..2025-12-31",
    ]
    r = date_range(D(2025, 1, 15), D(2025, 3, 10))
    assert [p.label for p in split_into(r, "month")] == [
        "2025-01-15..2025-01-31",
        "2025-02",
        "2025-03-01..2025-03-10",
    ]
    assert [p.kind for p in split_into(r, "month")] == ["range", "month", "range"]
    with pytest.raises(PeriodError):
        split_into(r, "range")


def test_leap_day_in_fy2023_03() -> None:
    [fy] = parse_periods("FY2023-03")
    assert fy.contains(D(2024, 2, 29))
    assert fy.end == D(2024, 2, 29)
    assert fy.days == 366
    assert financial_year(2024, 3).days == 365


# --------------------------------------------------------------------------------------------
# Properties


@given(periods)
def test_parse_round_trips_the_label(period: Period) -> None:
    assert parse_periods(period.label) == [period]
    assert parse_periods(f"  {period.label.lower()}  ") == [period]


@given(st.lists(periods, min_size=1, max_size=6))
def test_a_list_round_trips_in_order_without_duplicate_days(ps: list[Period]) -> None:
    expected: list[Period] = []
    for p in ps:
        if all((p.start, p.end) != (e.start, e.end) for e in expected):
            expected.append(p)
    assert parse_periods(" , ".join(p.label for p in ps)) == expected


@given(periods)
def test_days_count_both_ends(period: Period) -> None:
    assert period.days == (period.end - period.start).days + 1 >= 1
    assert period.contains(period.start) and period.contains(period.end)
    assert not period.contains(period.start - ONE)
    assert not period.contains(period.end + ONE)


@given(years)
def test_quarters_and_months_partition_a_year(y: int) -> None:
    whole = year(y)
    quarters = split_into(whole, "quarter")
    assert [q.label for q in quarters] == [f"{y}-Q{i}" for i in range(1, 5)]
    assert quarters == quarters_between(whole.start, whole.end)
    assert_partition(quarters, whole)
    months = split_into(whole, "month")
    assert len(months) == 12 and all(m.kind == "month" for m in months)
    assert months == months_between(whole.start, whole.end)
    assert_partition(months, whole)
    assert_partition(split_into(whole, "half_year"), whole)
    for q in quarters:
        in_quarter = split_into(q, "month")
        assert len(in_quarter) == 3 and all(m.kind == "month" for m in in_quarter)
        assert_partition(in_quarter, q)


@given(years, start_months)
def test_a_financial_year_is_twelve_whole_months(y: int, m: int) -> None:
    fy = financial_year(y, m)
    assert fy.kind == "financial_year"
    assert fy.start == D(y, m, 1)
    months = split_into(fy, "month")
    assert len(months) == 12 and all(p.kind == "month" for p in months)
    assert_partition(months, fy)
    has_leap_day = any(p.end.month == 2 and p.end.day == 29 for p in months)
    assert fy.days == (366 if has_leap_day else 365)
    assert fy.end + ONE == financial_year(y + 1, m).start
    assert period_of("financial_year", fy.start, m) == fy
    assert period_of("financial_year", fy.end, m) == fy


@given(periods, st.sampled_from(CALENDAR_KINDS), start_months)
def test_split_into_partitions_any_period(period: Period, kind: str, m: int) -> None:
    pieces = split_into(period, kind, start_month=m)  # type: ignore[arg-type]
    assert_partition(pieces, period)
    for piece in pieces:
        whole = period_of(kind, piece.start, m)  # type: ignore[arg-type]
        assert whole.start <= piece.start and piece.end <= whole.end
        # A piece keeps a calendar label only when it is the whole calendar period.
        assert (piece.kind == kind) == (piece == whole)


@given(periods)
def test_previous_ends_the_day_before_and_keeps_the_kind(period: Period) -> None:
    before = period.previous()
    assert before.end == period.start - ONE
    assert before.kind == period.kind
    if period.kind in ("range", "year", "quarter", "half_year", "financial_year"):
        # Months differ in length; every other kind repeats its length or stays within a day
        # (leap years), and a range repeats its length exactly.
        assert abs(before.days - period.days) <= (0 if period.kind == "range" else 3)
    if period.kind == "financial_year":
        assert before.start.month == period.start.month


@given(st.sampled_from(CALENDAR_KINDS), days, start_months)
def test_period_of_contains_the_day(kind: str, d: date, m: int) -> None:
    p = period_of(kind, d, start_month=m)  # type: ignore[arg-type]
    assert p.contains(d)
    assert p.kind == kind
    if 1980 <= p.start.year <= 2100:  # a SPEC may only name these years (FY1979-02 holds 1980)
        assert parse_periods(p.label) == [p]


@given(ranges(max_days=120), ranges(max_days=120))
def test_overlap_days_agrees_with_counting_days(a: Period, b: Period) -> None:
    counted = sum(1 for i in range(b.days) if a.contains(b.start + timedelta(days=i)))
    assert a.overlap_days(b.start, b.end) == counted
    assert b.overlap_days(a.start, a.end) == counted


@given(
    st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)),
    st.integers(0, 200),
    st.integers(0, 200),
)
def test_overlap_days_on_nearby_ranges(start: date, shift: int, length: int) -> None:
    a = date_range(start, start + timedelta(days=90))
    b_start = start - timedelta(days=100) + timedelta(days=shift)
    b_end = b_start + timedelta(days=length)
    counted = sum(1 for i in range(length + 1) if a.contains(b_start + timedelta(days=i)))
    assert a.overlap_days(b_start, b_end) == counted
    assert date_range(b_start, b_end).overlap_days(a.start, a.end) == counted


@given(days)
def test_latest_complete_quarter_is_over_and_the_last_one(d: date) -> None:
    q = latest_complete_quarter(d)
    assert q.kind == "quarter"
    assert not q.is_partial(d)
    assert q.end <= d < q.end + timedelta(days=93)
    assert period_of("quarter", q.end + ONE).is_partial(d) or q.end == d


@given(st.sampled_from(CALENDAR_KINDS), days, st.integers(0, 1500), start_months)
def test_periods_between_cover_the_range_with_whole_periods(
    kind: str, start: date, length: int, m: int
) -> None:
    end = min(start + timedelta(days=length), LAST)
    got = periods_between(kind, start, end, start_month=m)  # type: ignore[arg-type]
    assert got[0].contains(start) and got[-1].contains(end)
    assert all(p.kind == kind for p in got)
    for before, after in pairwise(got):
        assert after.start == before.end + ONE
