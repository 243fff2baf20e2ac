"""Reporting periods (``evaluation/periods/``): every ``SPEC`` form and error, the value's kind,
spec and label, the one label function in English and German, the picker's choices and the
picker component itself, and the financial-year label the comparison once got wrong.

Examples pin the forms of ``docs/spec/cli.md``; Hypothesis checks the invariants on periods of
every kind between 1980 and 2100 (round trips through ``parse_periods``, unique labels, stepping
back).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from conftest import assert_page_ok
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from evaluation import periods
from evaluation.errors import EvaluationError
from evaluation.periods import (
    KINDS,
    Period,
    PeriodChoices,
    PeriodError,
    date_range,
    ending_with,
    financial_year,
    from_days,
    half_year,
    label,
    latest_complete_quarter,
    month,
    parse_periods,
    period_of,
    quarter,
    recent_periods,
    series_choices,
    whole_periods_before,
    year,
)
from evaluation.store.database import Store
from evaluation.views import comparison

D = date
ONE = timedelta(days=1)
FIRST, LAST = D(1980, 1, 1), D(2100, 12, 31)
CALENDAR_KINDS = [k for k in KINDS if k != "range"]
FY_ENV = "EVALUATION_FINANCIAL_YEAR_START"

settings.register_profile("periods", max_examples=150, deadline=None)
settings.load_profile("periods")


@pytest.fixture(autouse=True)
def _default_financial_year(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts from the default setting (April) unless it sets its own."""
    monkeypatch.delenv(FY_ENV, raising=False)


# --------------------------------------------------------------------------------------------
# Strategies

years = st.integers(1980, 2100)
start_months = st.integers(1, 12)
days = st.dates(min_value=FIRST, max_value=LAST)


@st.composite
def ranges(draw: st.DrawFn, max_days: int = 800) -> Period:
    start = draw(st.dates(min_value=FIRST, max_value=LAST - timedelta(days=max_days)))
    return date_range(start, start + timedelta(days=draw(st.integers(0, max_days))))


def of_kind(kind: str, fy_month: int | None = None) -> st.SearchStrategy[Period]:
    """Periods of ``kind``; financial years start in ``fy_month`` (any month when ``None``)."""
    return {
        "year": years.map(year),
        "half_year": st.builds(half_year, years, st.integers(1, 2)),
        "quarter": st.builds(quarter, years, st.integers(1, 4)),
        "month": st.builds(month, years, st.integers(1, 12)),
        "financial_year": st.builds(
            financial_year,
            st.integers(1980, 2099),
            start_months if fy_month is None else st.just(fy_month),
        ),
        "range": ranges(),
    }[kind]


any_period = st.one_of(*(of_kind(k) for k in KINDS))


# --------------------------------------------------------------------------------------------
# Every form of the SPEC


@pytest.mark.parametrize(
    ("text", "start", "end", "spec", "kind"),
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
def test_every_form(text: str, start: date, end: date, spec: str, kind: str) -> None:
    [period] = parse_periods(text)
    assert (period.start, period.end, period.spec, period.kind) == (start, end, spec, kind)
    assert str(period) == period.label == label(period)


def test_list_keeps_order_allows_spaces_and_drops_duplicates() -> None:
    got = parse_periods(" 2025-Q2 ,2025-03 ,  2024,2025-q2, FY2025-04,2025-04-01..2026-03-31 ")
    assert [p.spec for p in got] == ["2025-Q2", "2025-03", "2024", "FY2025-04"]


def test_duplicates_are_the_same_days_and_the_first_spelling_wins() -> None:
    # Result rows are keyed by period_start/period_end: one stretch of days, one row.
    assert [p.spec for p in parse_periods("FY2025-01, 2025, 2025-01-01..2025-12-31")] == [
        "FY2025-01"
    ]
    assert parse_periods("2025, FY2025-01") == [year(2025)]


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
        ("0000", "“0000”", "between 1980 and 2100"),
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
# The Period value


def test_period_refuses_an_end_before_its_start() -> None:
    with pytest.raises(PeriodError, match="ends"):
        Period(D(2025, 2, 1), D(2025, 1, 31))
    with pytest.raises(PeriodError):
        date_range(D(2025, 2, 1), D(2025, 1, 31))


def test_the_kind_is_checked_against_the_days() -> None:
    assert Period(D(2025, 1, 1), D(2025, 3, 31), "quarter") == quarter(2025, 1)
    assert Period(D(2025, 4, 1), D(2026, 3, 31), "financial_year") == financial_year(2025, 4)
    with pytest.raises(PeriodError, match="not a whole quarter"):
        Period(D(2025, 1, 1), D(2025, 1, 31), "quarter")
    with pytest.raises(PeriodError, match="not a whole half-year"):
        Period(D(2025, 4, 1), D(2025, 9, 30), "half_year")
    with pytest.raises(PeriodError, match="not a whole financial-year"):
        Period(D(2025, 4, 2), D(2026, 4, 1), "financial_year")
    with pytest.raises(PeriodError, match="not a kind of period"):
        Period(D(2025, 1, 1), D(2025, 12, 31), "Grant year 1")  # type: ignore[arg-type]
    # The same days as a quarter, but said to be a range: a range it is.
    assert date_range(D(2025, 1, 1), D(2025, 3, 31)).kind == "range"
    assert date_range(D(2025, 1, 1), D(2025, 3, 31)) != quarter(2025, 1)


def test_a_custom_name_is_the_label_in_every_language_but_not_the_spec() -> None:
    grant = date_range(D(2024, 9, 1), D(2025, 8, 31), name="  Grant year 1 ")
    assert grant.label == label(grant, "de") == str(grant) == "Grant year 1"
    assert grant.spec == "2024-09-01..2025-08-31"
    assert parse_periods(grant.spec) == [date_range(grant.start, grant.end)]
    assert grant.previous().name == ""  # the year before is not "Grant year 1"
    assert repr(grant) == "Period('2024-09-01..2025-08-31', name='Grant year 1')"


def test_datetimes_become_dates() -> None:
    p = Period(datetime(2025, 1, 1, 13, 5), datetime(2025, 1, 31, 23, 59), "month")
    assert p == month(2025, 1)
    assert p.days == 31


def test_a_period_of_another_type_is_refused() -> None:
    with pytest.raises(TypeError):
        Period("2025-01-01", D(2025, 1, 31))  # type: ignore[arg-type]


def test_days_and_order() -> None:
    assert quarter(2025, 2).days == 91
    assert year(2024).days == 366
    assert date_range(D(2025, 5, 5), D(2025, 5, 5)).days == 1
    # By start, then end: a month sorts before the quarter it opens.
    assert sorted([quarter(2025, 3), quarter(2025, 2), month(2025, 4)]) == [
        month(2025, 4),
        quarter(2025, 2),
        quarter(2025, 3),
    ]


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


def test_leap_day_in_fy2023_03() -> None:
    [fy] = parse_periods("FY2023-03")
    assert fy.end == D(2024, 2, 29)
    assert fy.days == 366
    assert financial_year(2024, 3).days == 365


# --------------------------------------------------------------------------------------------
# The one label function


@pytest.mark.parametrize(
    ("spec", "en", "de"),
    [
        ("2025", "2025", "2025"),
        ("2025-H1", "2025 H1", "1. Hj. 2025"),
        ("2025-H2", "2025 H2", "2. Hj. 2025"),
        ("2025-Q2", "2025 Q2", "Q2 2025"),
        ("2025-06", "June 2025", "Juni 2025"),
        ("2025-03", "March 2025", "März 2025"),
        ("FY2025-04", "FY 2025/26", "GJ 2025/26"),
        ("FY2099-07", "FY 2099/00", "GJ 2099/00"),
        ("FY2025-01", "FY 2025", "GJ 2025"),
        ("2025-04-01..2025-09-30", "1 Apr – 30 Sep 2025", "1. Apr. – 30. Sept. 2025"),
        ("2025-04-01..2026-03-31", "1 Apr 2025 – 31 Mar 2026", "1. Apr. 2025 – 31. März 2026"),
        ("2025-05-05..2025-05-05", "5 May 2025", "5. Mai 2025"),
        ("2025-01-01..2025-12-31", "1 Jan – 31 Dec 2025", "1. Jan. – 31. Dez. 2025"),
    ],
)
def test_labels_in_english_and_german(spec: str, en: str, de: str) -> None:
    [period] = parse_periods(spec)
    assert label(period) == label(period, lang="en") == period.label == en
    assert label(period, lang="de") == de


def test_a_language_the_labels_do_not_speak_is_refused() -> None:
    with pytest.raises(PeriodError, match="en and de"):
        label(year(2025), lang="fr")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", periods.LANGUAGES)
@settings(max_examples=60)
@given(data=st.data())
def test_a_label_names_one_period_of_its_kind(kind: str, lang: str, data: st.DataObject) -> None:
    # Financial years are named by their years, not their month: unique for one start month.
    m = data.draw(start_months)
    a, b = data.draw(of_kind(kind, m)), data.draw(of_kind(kind, m))
    assert label(a, lang).strip() == label(a, lang) != ""
    assert (label(a, lang) == label(b, lang)) == ((a.start, a.end) == (b.start, b.end))


@given(start_months, st.data())
def test_labels_of_different_periods_differ_across_kinds(m: int, data: st.DataObject) -> None:
    # Only a financial year from January shares its days with a year, and it says "FY".
    mixed = st.one_of(*(of_kind(k, m) for k in KINDS))
    ps = data.draw(st.lists(mixed, min_size=2, max_size=8, unique=True))
    for lang in periods.LANGUAGES:
        assert len({label(p, lang) for p in ps}) == len(ps)


def test_financial_years_of_other_start_months_share_a_label_but_not_a_spec() -> None:
    april, july = financial_year(2025, 4), financial_year(2025, 7)
    assert april.label == july.label == "FY 2025/26"
    assert (april.spec, july.spec) == ("FY2025-04", "FY2025-07")


@given(any_period)
def test_the_spec_round_trips_and_names_the_kind(period: Period) -> None:
    assert parse_periods(period.spec) == [period]
    assert parse_periods(f"  {period.spec.lower()}  ") == [period]


@given(st.lists(any_period, min_size=1, max_size=6))
def test_a_list_round_trips_in_order_without_duplicate_days(ps: list[Period]) -> None:
    expected: list[Period] = []
    for p in ps:
        if all((p.start, p.end) != (e.start, e.end) for e in expected):
            expected.append(p)
    assert parse_periods(" , ".join(p.spec for p in ps)) == expected


@given(any_period)
def test_from_days_recognises_the_period(period: Period) -> None:
    found = from_days(period.start, period.end)
    assert (found.start, found.end) == (period.start, period.end)
    if period.kind == "financial_year" and period.start.month == 1:
        assert found == year(period.start.year)  # twelve months from January: the year
    elif period.kind == "range":
        assert found.kind in KINDS  # a range may happen to be a whole quarter
    else:
        assert found == period


def test_from_days_examples() -> None:
    assert from_days(D(2025, 4, 1), D(2026, 3, 31)) == financial_year(2025, 4)
    assert from_days(D(2025, 4, 1), D(2026, 3, 31)).label == "FY 2025/26"
    assert from_days(D(2025, 4, 1), D(2025, 6, 30)) == quarter(2025, 2)
    assert from_days(datetime(2025, 1, 1), datetime(2025, 12, 31)) == year(2025)
    assert from_days(D(2025, 4, 1), D(2025, 9, 30)).label == "1 Apr – 30 Sep 2025"


# --------------------------------------------------------------------------------------------
# The financial year's label in the comparison (it read 2025-04-01..2026-03-31)


def test_the_comparison_names_a_financial_year_as_such() -> None:
    fy = financial_year(2025, 4)
    rows = [
        {
            "indicator_id": "O06",
            "indicator_version": 1,
            "programme_id": pid,
            "period_start": p.start,
            "period_end": p.end,
            "numerator": 6.0,
            "denominator": 12.0,
            "value": 0.5,
            "ci_low": 0.3,
            "ci_high": 0.7,
            "status": "ok",
            "suppressed": False,
            "completeness": 1.0,
        }
        for pid in ("P1", "P2")
        for p in (fy.previous(), fy)
    ]
    frame = pd.DataFrame(rows)
    assert comparison.funnel(frame).period == fy
    assert comparison.funnel(frame).period.label == "FY 2025/26"
    assert sorted(set(comparison.trend(frame)["period"])) == ["FY 2024/25", "FY 2025/26"]


def test_a_comparison_in_a_store_labels_its_financial_years(oracle_store: Store) -> None:
    fy = financial_year(2024, 4)
    request = comparison.ComparisonRequest("C06", fy, trend_periods=3)
    result = comparison.compare(oracle_store.cursor(), request)
    assert result.funnel.period == fy
    assert set(result.trend["period"]) <= {"FY 2022/23", "FY 2023/24", "FY 2024/25"}
    assert "FY 2024/25" in set(result.trend["period"])
    assert not any(".." in str(p) for p in result.trend["period"])


def test_a_report_names_its_period_for_people_and_reproduces_it_by_spec(
    oracle_store: Store, report_templates
) -> None:
    from evaluation.reports.model import build_report

    fy = financial_year(2024, 4)
    report = build_report(oracle_store, report_templates.get("ministry-annual"), "P-A", fy)
    provenance = dict(report.provenance)
    assert provenance["Period"] == "FY 2024/25 (1 April 2024 to 31 March 2025)"
    assert provenance["Reproduce"].endswith("--period FY2024-04 --template ministry-annual")
    assert report.file_stem == "ministry-annual_P-A_FY2024-04"
    assert "FY 2024/25" in set(report.data["period"])
    assert report.summary.header[2:5] == ("FY 2024/25", "95 % interval", "FY 2023/24")


# --------------------------------------------------------------------------------------------
# Stepping back and the periods over by a date


def test_latest_complete_quarter() -> None:
    assert latest_complete_quarter(D(2025, 6, 30)) == quarter(2025, 2)
    assert latest_complete_quarter(D(2025, 6, 29)) == quarter(2025, 1)
    assert latest_complete_quarter(D(2025, 2, 10)) == quarter(2024, 4)
    assert latest_complete_quarter(datetime(2025, 12, 31, 8)) == quarter(2025, 4)


def test_ending_with_and_whole_periods_before() -> None:
    assert ending_with(quarter(2025, 1), 3) == [
        quarter(2024, 3),
        quarter(2024, 4),
        quarter(2025, 1),
    ]
    assert whole_periods_before("financial_year", D(2025, 3, 30), 2, start_month=4) == [
        financial_year(2023, 4),
        financial_year(2022, 4),
    ]
    assert whole_periods_before("year", D(2025, 12, 31), 3, first_date=D(2024, 5, 1)) == [
        year(2025),
        year(2024),
    ]


@given(st.sampled_from(CALENDAR_KINDS), days, start_months)
def test_period_of_holds_the_day_and_steps_back_without_gaps(kind: str, d: date, m: int) -> None:
    p = period_of(kind, d, start_month=m)  # type: ignore[arg-type]
    assert p.start <= d <= p.end and p.kind == kind
    before = p.previous()
    assert before.end + ONE == p.start and before.kind == p.kind
    if kind == "financial_year":
        assert before.start.month == p.start.month == m


@given(any_period)
def test_previous_ends_the_day_before_and_keeps_the_kind(period: Period) -> None:
    before = period.previous()
    assert before.end == period.start - ONE
    assert before.kind == period.kind
    if period.kind != "month":
        # Months differ in length; every other kind repeats its length within leap days, and
        # a range repeats its length exactly.
        assert abs(before.days - period.days) <= (0 if period.kind == "range" else 3)


@given(days)
def test_latest_complete_quarter_is_over_and_the_last_one(d: date) -> None:
    q = latest_complete_quarter(d)
    assert q.kind == "quarter"
    assert q.end <= d < q.end + timedelta(days=93)
    assert period_of("quarter", q.end + ONE).end > d or q.end == d


# --------------------------------------------------------------------------------------------
# What the pickers offer


def test_recent_periods_offer_every_kind_over_by_the_date() -> None:
    got = recent_periods(D(2026, 9, 30), D(2025, 2, 3))
    assert got[0] == quarter(2026, 3)  # the default: the latest complete quarter
    assert all(D(2025, 2, 3) <= p.end <= D(2026, 9, 30) for p in got)
    kinds = [p.kind for p in got]
    assert kinds == sorted(kinds, key=["quarter", "half_year", "year", "financial_year"].index)
    assert [p.label for p in got if p.kind == "financial_year"] == ["FY 2025/26", "FY 2024/25"]


def test_the_financial_year_setting_moves_the_offered_financial_years(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(FY_ENV, "7")
    fys = [p for p in recent_periods(D(2026, 9, 30)) if p.kind == "financial_year"]
    assert [p.spec for p in fys] == ["FY2025-07", "FY2024-07", "FY2023-07"]
    assert fys[0].label == "FY 2025/26"
    choices = series_choices(D(2026, 9, 30))
    assert choices.option("financial_years").spec == "FY2023-07,FY2024-07,FY2025-07"
    assert "from July" in choices.label("financial_years")
    monkeypatch.setenv(FY_ENV, "1")  # financial years are then the calendar years
    assert [p.kind for p in recent_periods(D(2026, 9, 30))].count("financial_year") == 0
    assert "financial_years" not in series_choices(D(2026, 9, 30)).keys
    monkeypatch.setenv(FY_ENV, "April")
    with pytest.raises(EvaluationError, match=f"{FY_ENV} must be a month number"):
        recent_periods(D(2026, 9, 30))


def test_recent_periods_in_a_template_s_own_month() -> None:
    assert recent_periods(D(2025, 6, 30), counts={"financial_year": 2}, start_month=10) == [
        financial_year(2023, 10),
        financial_year(2022, 10),
    ]


def test_series_choices_and_typed_periods() -> None:
    choices = series_choices(D(2025, 6, 30), max_periods=4)
    assert choices.keys == ["latest", "quarters", "years", "financial_years", "custom"]
    assert choices.default_key == "latest"
    assert choices.label("latest") == "Latest complete quarter (2025 Q2)"
    assert choices.label("quarters") == "Last 8 quarters (2023 Q3 to 2025 Q2)"
    assert choices.label("financial_years") == (
        "Financial years from April (FY 2022/23 to FY 2024/25)"
    )
    assert choices.label("custom") == "Custom"
    assert choices.option("years").spec == "2022,2023,2024"
    assert choices.typed("2025-Q1, FY2024-04") == (quarter(2025, 1), financial_year(2024, 4))
    with pytest.raises(PeriodError, match="at most 4"):
        choices.typed("2025-01,2025-02,2025-03,2025-04,2025-05")
    with pytest.raises(PeriodError, match="not a period"):
        choices.typed("last spring")
    single = PeriodChoices.of([quarter(2025, 2), financial_year(2024, 4)])
    assert single.keys == ["2025-Q2", "FY2024-04"]
    assert [single.label(k) for k in single.keys] == ["2025 Q2", "FY 2024/25"]


# --------------------------------------------------------------------------------------------
# The picker component


def _picker_page() -> None:
    from datetime import date

    import streamlit as st

    from evaluation.app import render
    from evaluation.app.period_picker import pick_period, pick_periods
    from evaluation.periods import PeriodChoices, recent_periods, series_choices

    with render.sentences():
        one = pick_period(
            PeriodChoices.of(recent_periods(date(2025, 6, 30), date(2023, 1, 1))), key="one"
        )
        st.markdown(f"one: {one.spec} is {one.label}")
        several = pick_periods(series_choices(date(2025, 6, 30), max_periods=5), key="several")
        st.markdown("several: " + ", ".join(p.label for p in several))


def _shown(at: AppTest, prefix: str) -> str:
    return next(m.value for m in at.markdown if m.value.startswith(prefix))


def test_the_picker_returns_periods_and_shows_their_labels() -> None:
    at = AppTest.from_function(_picker_page).run()
    assert_page_ok(at)
    one = at.selectbox(key="one")
    assert one.value == "2025-Q2"  # the widget holds the spec
    assert one.options[0] == "2025 Q2"  # and shows the label
    assert {"2025 H1", "2024", "FY 2024/25"} <= set(one.options)
    assert _shown(at, "one:") == "one: 2025-Q2 is 2025 Q2"
    assert _shown(at, "several:") == "several: 2025 Q2"
    one.set_value("FY2024-04").run()
    assert _shown(at, "one:") == "one: FY2024-04 is FY 2024/25"
    at.selectbox(key="several").set_value("financial_years").run()
    assert _shown(at, "several:") == "several: FY 2022/23, FY 2023/24, FY 2024/25"


def test_the_picker_takes_a_typed_spec_and_refuses_a_bad_one() -> None:
    at = AppTest.from_function(_picker_page).run()
    at.selectbox(key="several").set_value("custom").run()
    assert at.text_input(key="several_custom").value == "2025-Q2"
    at.text_input(key="several_custom").set_value("2025-H1, 2025-04-01..2025-09-30").run()
    assert_page_ok(at)
    assert _shown(at, "several:") == "several: 2025 H1, 1 Apr – 30 Sep 2025"
    at.text_input(key="several_custom").set_value("next Tuesday").run()
    assert not at.exception
    assert at.error and "not a period" in at.error[0].value
    at.text_input(key="several_custom").set_value("2025-01,2025-02,2025-03,2025-04,2025-05,2025-06")
    at.run()
    assert at.error and "at most 5" in at.error[0].value


# --------------------------------------------------------------------------------------------
# The package's face


def test_the_package_exports_what_it_declares() -> None:
    assert all(hasattr(periods, name) for name in periods.__all__)


def test_a_sentence_says_in_a_period_with_the_words_its_language_takes() -> None:
    from evaluation.periods import in_period

    fy, y, h, q = financial_year(2025, 4), year(2026), half_year(2026, 1), quarter(2026, 1)
    days = date_range(D(2026, 1, 1), D(2026, 3, 31))
    assert [in_period(p, "en") for p in (fy, y, h, q, month(2026, 3))] == [
        "in FY 2025/26",
        "in 2026",
        "in 2026 H1",
        "in 2026 Q1",
        "in March 2026",
    ]
    assert [in_period(p, "de") for p in (fy, y, h, q, month(2026, 3))] == [
        "im GJ 2025/26",
        "im Jahr 2026",
        "im 1. Hj. 2026",
        "im Q1 2026",
        "im März 2026",
    ]
    assert in_period(days, "en") == "in the period 1 Jan – 31 Mar 2026"
    assert in_period(days, "de") == "im Zeitraum 1. Jan. – 31. März 2026"
