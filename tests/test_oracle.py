"""Oracle tests: every catalogue indicator recomputed in plain Python, straight from the spec.

``tests/fixtures/oracle`` is a small hand-made package (``data_as_of`` 2025-06-30, programmes
P-A with every table, P-B, P-C without custody events, P-D without any cases) with the
boundary cases of ``docs/spec/indicators-v1.md`` planted in it; the case refs say what each
case is for (``A-REQ-7D``: a contact exactly 7 days after the first request,
``A-O8-LOST366``: a drop-out 366 days after a release, …). The CSVs are read with the ``csv``
module, never with the engine or DuckDB, and each oracle below is one indicator's sentence of
the spec. The engine's result must agree row by row: numerator, denominator, value, Wilson
interval and status.

When the engine disagrees with the spec these tests fail; the oracle is never adapted to the
engine.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import PackageBuilder, read_rows

from evaluation.intake.ingest import ingest
from evaluation.measures.catalogue import load_catalogue
from evaluation.measures.engine import IndicatorRequest, compute
from evaluation.periods import Period, parse_periods
from evaluation.store.database import Store

FIXTURE = Path(__file__).parent / "fixtures" / "oracle"
PERIODS = parse_periods("2025-Q1,2025-Q2,2024,2025")
Z = 1.959963984540054
TOL = 1e-9

Row = dict[str, Any]

# -- vocabulary of the spec's Notation --------------------------------------------------------
CONCERNED = {"relative", "friend", "professional"}
EXCLUDED = {"died", "moved_away"}
STATE = {
    "police",
    "prosecution",
    "court",
    "prison",
    "probation",
    "municipality",
    "school",
    "social_services",
    "youth_services",
    "health_services",
}
CJS = {"pre_trial_detention", "prison", "probation"}
PLANNED = {"goals_achieved", "planned_transfer"}
DROP_OUT = {"client_withdrew", "lost_contact"}
RATED = {"met", "partially_met", "unmet"}
FUNCTIONAL = {
    "housing",
    "education",
    "employment",
    "financial",
    "administrative",
    "relocation",
    "tattoo_removal",
}
SOCIAL = {"social_network", "family"}
MENTAL = {"mental_health", "addiction"}
RISK = {"low": 1, "medium": 2, "high": 3}

# -- "Source tables" of the spec: an indicator is no_data when one of these is absent ---------
SOURCES: dict[str, set[str]] = {
    **{i: {"cases"} for i in ("C01", "C02", "C03", "C04", "C05", "C09", "O01", "O02")},
    **{i: {"cases", "contacts"} for i in ("C06", "C07", "C10", "C11")},
    **{i: {"cases", "needs"} for i in ("C08", "O03", "O04", "O05")},
    "O06": {"cases", "contacts", "custody_events"},
    "O07": {"cases", "contacts", "custody_events"},
    "O08": {"cases", "custody_events"},
    "O09": {"cases", "assessments"},
    **{i: {"cases", "outcomes"} for i in ("O10", "O11", "O12", "O13")},
    "O14": {"cases", "referrals"},
    **{i: {"capacity"} for i in ("K01", "K02", "K03")},
    **{i: {"funding"} for i in ("F01", "F03", "F04")},
    "F02": {"funding", "cases"},
    "S01": {"staffing"},
}
CASE_TABLES = ("contacts", "needs", "referrals", "custody_events", "assessments", "outcomes")
PROGRAMME_TABLES = ("capacity", "funding", "staffing")


# -- reading the package with the csv module ---------------------------------------------------
def d(text: str) -> date:
    return date.fromisoformat(text.strip())


NUMBER_COLUMNS = {
    "minutes",
    "participants",
    "hours",
    "amount_eur",
    "headcount",
    "fte",
    "leavers",
    "former_extremists",
    "target",
    "baseline",
}
DATE_COLUMNS = {"period_start", "period_end", "quarter_start"}


def _cell(column: str, text: str | None) -> object:
    if text is None or not text.strip():
        return None  # an empty or whitespace-only cell is missing
    if column.endswith("_on") or column in DATE_COLUMNS:
        return d(text)
    if column in NUMBER_COLUMNS:
        return float(text)
    return text


def load(folder: Path) -> dict[str, list[Row]]:
    tables = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            tables[path.stem] = [
                {k: _cell(k, v) for k, v in row.items()} for row in csv.DictReader(fh)
            ]
    return tables


DATA = load(FIXTURE)
AS_OF = d(next(r["value"] for r in DATA["about"] if r["key"] == "data_as_of"))
PROGRAMMES = [r["programme_id"] for r in DATA["programmes"]]


@dataclass
class View:
    """What one programme holds (optionally only the cases of one gender)."""

    as_of: date
    present: frozenset[str]
    cases: list[Row]
    rows: dict[str, list[Row]]

    def of(self, table: str, case: Row) -> list[Row]:
        return [r for r in self.rows[table] if r["case_ref"] == case["case_ref"]]

    def case(self, ref: str) -> Row:
        return next(c for c in self.cases if c["case_ref"] == ref)


def view(
    pid: str,
    gender: str | None = None,
    present: frozenset[str] | None = None,
    split: tuple[str, str | None] | None = None,
) -> View:
    """``split``: (case column, value) keeps only the cases whose ``split_value`` is that value."""
    cases = [
        c
        for c in DATA["cases"]
        if c["programme_id"] == pid
        and (gender is None or c["gender"] == gender)
        and (split is None or split_value(c, split[0]) == split[1])
    ]
    refs = {c["case_ref"] for c in cases}
    rows = {t: [r for r in DATA.get(t, []) if r["case_ref"] in refs] for t in CASE_TABLES}
    rows |= {t: [r for r in DATA.get(t, []) if r["programme_id"] == pid] for t in PROGRAMME_TABLES}
    return View(AS_OF, present if present is not None else frozenset(DATA), cases, rows)


# -- splits: the format's reading of a case's value -------------------------------------------
SPLIT_COLUMNS = (
    "client_type",
    "referral_source",
    "participation",
    "setting_at_intake",
    "ideology",
    "gender",
    "age_band",
    "returnee",
    "risk_at_intake",
    "region",
)  # indicators-v1.md, Disaggregation: every case column a result can be split by
BOOLEANS = {
    "true": "true",
    "yes": "true",
    "1": "true",
    "false": "false",
    "no": "false",
    "0": "false",
}
MISSING_MEANS = {"returnee": "false"}  # data-format.md: "returnee … missing = false"


def split_value(case: Row, column: str) -> str | None:
    """The value a case is counted under when split by ``column``: booleans and vocabularies
    in any case, a missing cell as the format's default for the column, else missing (None)."""
    text = case[column]
    if text is None:
        return MISSING_MEANS.get(column)
    if column == "returnee":
        return BOOLEANS[text.strip().lower()]
    return text.strip() if column == "region" else text.strip().lower()


# -- shared helpers: the spec's Notation -------------------------------------------------------
def plus(day: date, n: int) -> date:
    return day + timedelta(days=n)


def in_p(day: date | None, p: Period) -> bool:
    return day is not None and p.start <= day <= p.end


def between(day: date | None, lo: date, hi: date) -> bool:
    return day is not None and lo <= day <= hi


def is_exit(c: Row) -> bool:
    return c["client_type"] == "exit_participant"


def open_during(c: Row, p: Period) -> bool:
    return c["opened_on"] <= p.end and (c["closed_on"] is None or c["closed_on"] >= p.start)


def open_on(c: Row, day: date) -> bool:
    return c["opened_on"] <= day and (c["closed_on"] is None or c["closed_on"] >= day)


def exit_cases(v: View) -> list[Row]:
    return [c for c in v.cases if is_exit(c)]


def d_closed(v: View, p: Period) -> list[Row]:
    """D_closed(P): exit cases closed in P, not for an excluded closure."""
    return [
        c for c in exit_cases(v) if in_p(c["closed_on"], p) and c["closure_reason"] not in EXCLUDED
    ]


def release_cohort(v: View, p: Period) -> list[tuple[Row, Row]]:
    """R(P): (event, case) for released events in P of exit cases open on the event day."""
    out = []
    for e in v.rows["custody_events"]:
        c = v.case(e["case_ref"])
        if (
            e["event"] == "released"
            and in_p(e["event_on"], p)
            and is_exit(c)
            and open_on(c, e["event_on"])
        ):
            out.append((e, c))
    return out


def funding_in(row: Row, p: Period) -> float:
    row_days = (row["period_end"] - row["period_start"]).days + 1
    overlap = (min(row["period_end"], p.end) - max(row["period_start"], p.start)).days + 1
    return row["amount_eur"] * max(0, overlap) / row_days


# -- what an oracle returns --------------------------------------------------------------------
@dataclass(frozen=True)
class Expected:
    numerator: float | None
    denominator: float | None
    value: float | None
    wilson: bool = False


def count(n: float) -> Expected:  # count, total and months: a value, no numerator/denominator
    return Expected(None, None, float(n))


def proportion(num: int, den: int) -> Expected:
    return Expected(num, den, num / den if den else None, wilson=True)


def rate(num: float, den: float) -> Expected:  # ratio and share: no interval
    return Expected(num, den, num / den if den else None)


def median(days: list[int]) -> Expected:
    return Expected(None, len(days), statistics.median(days) if days else None)


# -- the oracles: one per indicator, each a sentence of the spec -------------------------------
def c01(v: View, p: Period) -> Expected:
    return count(sum(in_p(c["opened_on"], p) for c in exit_cases(v)))


def c02(v: View, p: Period) -> Expected:
    return count(sum(in_p(c["opened_on"], p) for c in v.cases if c["client_type"] in CONCERNED))


def c03(v: View, p: Period) -> Expected:
    return count(sum(open_during(c, p) for c in exit_cases(v)))


def c04(v: View, p: Period) -> Expected:
    den = [
        c for c in exit_cases(v) if in_p(c["opened_on"], p) and c["referral_source"] != "unknown"
    ]
    return proportion(sum(c["referral_source"] in STATE for c in den), len(den))


def c05(v: View, p: Period) -> Expected:
    den = [c for c in exit_cases(v) if in_p(c["opened_on"], p) and c["participation"] != "unknown"]
    return proportion(sum(c["participation"] == "mandated" for c in den), len(den))


def c06(v: View, p: Period) -> Expected:
    den = [
        c
        for c in v.cases
        if in_p(c["first_request_on"], p) and plus(c["first_request_on"], 7) <= v.as_of
    ]
    num = [
        c
        for c in den
        if any(
            between(x["contact_on"], c["first_request_on"], plus(c["first_request_on"], 7))
            for x in v.of("contacts", c)
        )
    ]
    return proportion(len(num), len(den))


def c07(v: View, p: Period) -> Expected:
    days = []
    for c in v.cases:
        if in_p(c["first_request_on"], p):
            later = [
                x["contact_on"]
                for x in v.of("contacts", c)
                if x["contact_on"] >= c["first_request_on"]
            ]
            if later:
                days.append((min(later) - c["first_request_on"]).days)
    return median(days)


def c08(v: View, p: Period) -> Expected:
    den = [
        c for c in exit_cases(v) if in_p(c["opened_on"], p) and plus(c["opened_on"], 30) <= v.as_of
    ]
    num = [
        c
        for c in den
        if any(n["identified_on"] <= plus(c["opened_on"], 30) for n in v.of("needs", c))
    ]
    return proportion(len(num), len(den))


def c09(v: View, p: Period) -> Expected:
    den = [
        c for c in exit_cases(v) if in_p(c["opened_on"], p) and plus(c["opened_on"], 60) <= v.as_of
    ]
    num = [
        c
        for c in den
        if c["plan_agreed_on"] is not None and c["plan_agreed_on"] <= plus(c["opened_on"], 60)
    ]
    return proportion(len(num), len(den))


def c10(v: View, p: Period) -> Expected:
    active = [c for c in exit_cases(v) if open_during(c, p)]
    minutes = sum(
        x["minutes"] for c in active for x in v.of("contacts", c) if in_p(x["contact_on"], p)
    )
    return rate(minutes / 60, len(active))


def c11(v: View, p: Period) -> Expected:
    den = [c for c in exit_cases(v) if open_during(c, p) and c["setting_at_intake"] in CJS]
    num = [
        c
        for c in den
        if any(
            x["activity"] == "case_conference" and in_p(x["contact_on"], p)
            for x in v.of("contacts", c)
        )
    ]
    return proportion(len(num), len(den))


def o01(v: View, p: Period) -> Expected:
    den = d_closed(v, p)
    return proportion(sum(c["closure_reason"] in PLANNED for c in den), len(den))


def o02(v: View, p: Period) -> Expected:
    den = d_closed(v, p)
    return proportion(sum(c["closure_reason"] in DROP_OUT for c in den), len(den))


def needs_met(domains: set[str]) -> Callable[[View, Period], Expected]:
    def oracle(v: View, p: Period) -> Expected:
        exits = {c["case_ref"] for c in exit_cases(v)}
        den = [
            n
            for n in v.rows["needs"]
            if n["case_ref"] in exits
            and n["domain"] in domains
            and n["status"] in RATED
            and in_p(n["status_on"], p)
        ]
        return proportion(sum(n["status"] == "met" for n in den), len(den))

    return oracle


def o06(v: View, p: Period) -> Expected:
    den = [(e, c) for e, c in release_cohort(v, p) if plus(e["event_on"], 3) <= v.as_of]
    num = [
        e
        for e, c in den
        if any(
            between(x["contact_on"], e["event_on"], plus(e["event_on"], 3))
            for x in v.of("contacts", c)
        )
    ]
    return proportion(len(num), len(den))


def o07(v: View, p: Period) -> Expected:
    den = [(e, c) for e, c in release_cohort(v, p) if plus(e["event_on"], 90) <= v.as_of]
    num = [
        e
        for e, c in den
        if sum(
            between(x["contact_on"], e["event_on"], plus(e["event_on"], 90))
            for x in v.of("contacts", c)
        )
        >= 6
    ]
    return proportion(len(num), len(den))


def closed_within(c: Row, reasons: set[str], last_day: date) -> bool:
    return c["closure_reason"] in reasons and c["closed_on"] <= last_day


def o08(v: View, p: Period) -> Expected:
    den = [
        (e, c)
        for e, c in release_cohort(v, p)
        if plus(e["event_on"], 365) <= v.as_of
        and not closed_within(c, EXCLUDED, plus(e["event_on"], 365))
    ]
    num = [
        e
        for e, c in den
        if not closed_within(
            c, {"client_withdrew", "lost_contact", "re_engaged"}, plus(e["event_on"], 365)
        )
    ]
    return proportion(len(num), len(den))


def o09(v: View, p: Period) -> Expected:
    den, num = 0, 0
    for c in d_closed(v, p):
        done = [
            a
            for a in v.of("assessments", c)
            if between(a["assessed_on"], c["opened_on"], c["closed_on"])
        ]
        if c["risk_at_intake"] not in ("medium", "high") or not done:
            continue
        den += 1
        latest = max(a["assessed_on"] for a in done)
        level = max(RISK[a["risk_level"]] for a in done if a["assessed_on"] == latest)
        num += level < RISK[c["risk_at_intake"]]
    return proportion(num, den)


def outcome_by_closure(
    kind: str,
    cases: Callable[[View, Period], list[Row]],
) -> Callable[[View, Period], Expected]:
    """O10, O11, O13: an outcome recorded up to closed_on + 30 (also before opening)."""

    def oracle(v: View, p: Period) -> Expected:
        den = cases(v, p)
        num = [
            c
            for c in den
            if any(
                o["outcome"] == kind and o["recorded_on"] <= plus(c["closed_on"], 30)
                for o in v.of("outcomes", c)
            )
        ]
        return proportion(len(num), len(den))

    return oracle


def concerned_closed(v: View, p: Period) -> list[Row]:
    return [
        c
        for c in v.cases
        if c["client_type"] in CONCERNED
        and in_p(c["closed_on"], p)
        and c["closure_reason"] not in EXCLUDED
    ]


def o12(v: View, p: Period) -> Expected:
    den = [c for c in d_closed(v, p) if plus(c["closed_on"], 365) <= v.as_of]
    num = [
        c
        for c in den
        if any(
            o["outcome"] == "reoffended"
            and c["closed_on"] < o["recorded_on"] <= plus(c["closed_on"], 365)
            for o in v.of("outcomes", c)
        )
    ]
    return proportion(len(num), len(den))


def o14(v: View, p: Period) -> Expected:
    den = [
        r for r in v.rows["referrals"] if in_p(r["referred_on"], p) and r["outcome"] != "pending"
    ]
    return proportion(sum(r["outcome"] == "taken_up" for r in den), len(den))


def k01(v: View, p: Period) -> Expected:
    return count(
        sum(
            r["participants"]
            for r in v.rows["capacity"]
            if in_p(r["held_on"], p)
            and r["activity"] in ("training", "workshop")
            and r["audience"] != "general_public"
        )
    )


def k02(v: View, p: Period) -> Expected:
    return count(
        sum(
            r["hours"]
            for r in v.rows["capacity"]
            if in_p(r["held_on"], p) and r["activity"] in ("training", "workshop")
        )
    )


def k03(v: View, p: Period) -> Expected:
    return count(
        sum(
            in_p(r["held_on"], p)
            and r["activity"] in ("network_meeting", "publication", "awareness_event")
            for r in v.rows["capacity"]
        )
    )


def f01_total(v: View, p: Period) -> float:
    return sum(funding_in(r, p) for r in v.rows["funding"])


def f01(v: View, p: Period) -> Expected:
    return count(f01_total(v, p))


def f02(v: View, p: Period) -> Expected:
    return rate(f01_total(v, p), sum(open_during(c, p) for c in v.cases))


def f03(v: View, p: Period) -> Expected:
    by_funder: dict[str, float] = {}
    for r in v.rows["funding"]:
        key = r["funder"].strip().lower()
        by_funder[key] = by_funder.get(key, 0.0) + funding_in(r, p)
    return rate(max(by_funder.values(), default=0.0), f01_total(v, p))


def f04(v: View, p: Period) -> Expected:
    latest = max((r["period_end"] for r in v.rows["funding"]), default=p.end)
    return count(max(0, (latest - p.end).days) / 30.4375)


def s01(v: View, p: Period) -> Expected:
    rows = [r for r in v.rows["staffing"] if in_p(r["quarter_start"], p)]
    mean = sum(r["headcount"] for r in rows) / len(rows) if rows else 0.0
    return rate(sum(r["leavers"] for r in rows), mean)


ORACLES: dict[str, Callable[[View, Period], Expected]] = {
    "C01": c01,
    "C02": c02,
    "C03": c03,
    "C04": c04,
    "C05": c05,
    "C06": c06,
    "C07": c07,
    "C08": c08,
    "C09": c09,
    "C10": c10,
    "C11": c11,
    "O01": o01,
    "O02": o02,
    "O03": needs_met(FUNCTIONAL),
    "O04": needs_met(SOCIAL),
    "O05": needs_met(MENTAL),
    "O06": o06,
    "O07": o07,
    "O08": o08,
    "O09": o09,
    "O10": outcome_by_closure("disengaged", d_closed),
    "O11": outcome_by_closure("employment_or_education", d_closed),
    "O12": o12,
    "O13": outcome_by_closure("situation_improved", concerned_closed),
    "O14": o14,
    "K01": k01,
    "K02": k02,
    "K03": k03,
    "F01": f01,
    "F02": f02,
    "F03": f03,
    "F04": f04,
    "S01": s01,
}


def wilson(num: float, den: float) -> tuple[float, float]:
    p = num / den
    centre = (p + Z * Z / (2 * den)) / (1 + Z * Z / den)
    half = Z * math.sqrt(p * (1 - p) / den + Z * Z / (4 * den * den)) / (1 + Z * Z / den)
    return centre - half, centre + half


def expected_row(ind: str, v: View, p: Period) -> dict[str, object]:
    """The spec's result row: no_data (all numbers empty) without a source table; no_data for
    an empty denominator; partial_period when the period ends after data_as_of."""
    empty = dict(numerator=None, denominator=None, value=None, ci_low=None, ci_high=None)
    if SOURCES[ind] - v.present:
        return {**empty, "status": "no_data"}
    e = ORACLES[ind](v, p)
    lo, hi = (
        wilson(e.numerator, e.denominator) if e.wilson and e.value is not None else (None, None)
    )
    status = "no_data" if e.value is None else "partial_period" if p.end > v.as_of else "ok"
    return dict(
        numerator=e.numerator,
        denominator=e.denominator,
        value=e.value,
        ci_low=lo,
        ci_high=hi,
        status=status,
    )


# -- the engine's side -------------------------------------------------------------------------
def _num(x: object) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _day(x: object) -> date:
    return pd.Timestamp(x).date()


def engine_rows(df: pd.DataFrame, *split: str) -> dict[tuple, dict[str, object]]:
    """The engine's rows by (indicator, programme, period start, period end, *split values)."""
    out: dict[tuple, dict[str, object]] = {}
    for r in df.to_dict("records"):
        key = (
            r["indicator_id"],
            r["programme_id"],
            _day(r["period_start"]),
            _day(r["period_end"]),
            *(r[s] for s in split),
        )
        out.setdefault(
            key,
            {
                **{
                    c: _num(r[c])
                    for c in ("numerator", "denominator", "value", "ci_low", "ci_high")
                },
                "status": r["status"],
            },
        )
    return out  # duplicate rows are the business of test_every_programme_gets_a_row_…


def differences(where: str, got: dict[str, object] | None, want: dict[str, object]) -> list[str]:
    if got is None:
        return [f"{where}: no row"]
    out = []
    for col, w in want.items():
        g = got[col]
        same = (
            g == w
            if col == "status" or g is None or w is None
            else math.isclose(g, w, rel_tol=1e-12, abs_tol=TOL)
        )
        if not same:
            out.append(f"{where}: {col} expected {w!r}, got {g!r}")
    return out


def compare_all(
    ind: str, got: dict[tuple, dict[str, object]], present: frozenset[str] | None = None
) -> list[str]:
    problems = []
    for pid in PROGRAMMES:
        for p in PERIODS:
            want = expected_row(ind, view(pid, present=present), p)
            problems += differences(
                f"{ind} {pid} {p.label}", got.get((ind, pid, p.start, p.end)), want
            )
    return problems


def _store_with(
    tmp_path_factory: pytest.TempPathFactory, name: str, package: Path
) -> Iterator[Store]:
    s = Store.open(tmp_path_factory.mktemp(name) / "store.duckdb")
    result = ingest(package, s)
    assert result.status == "loaded", result.sentence()
    yield s
    s.close()


@pytest.fixture(scope="module")
def oracle_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    yield from _store_with(tmp_path_factory, "oracle", FIXTURE)


@pytest.fixture(scope="module")
def result(oracle_store: Store) -> pd.DataFrame:
    return compute(oracle_store, IndicatorRequest(periods=tuple(PERIODS)))


@pytest.fixture(scope="module")
def got(result: pd.DataFrame) -> dict[tuple, dict[str, object]]:
    return engine_rows(result)


# -- tests -------------------------------------------------------------------------------------
def test_every_catalogue_indicator_has_an_oracle() -> None:
    assert set(ORACLES) == {i.id for i in load_catalogue()}
    assert set(SOURCES) == set(ORACLES)


def test_every_programme_gets_a_row_for_every_indicator_and_period(result: pd.DataFrame) -> None:
    keys = [
        (r.indicator_id, r.programme_id, _day(r.period_start), _day(r.period_end))
        for r in result.itertuples()
    ]
    assert len(keys) == len(set(keys)), "duplicate result rows"
    assert set(keys) == {
        (i, pid, p.start, p.end) for i in ORACLES for pid in PROGRAMMES for p in PERIODS
    }


@pytest.mark.parametrize("ind", sorted(ORACLES))
def test_indicator(ind: str, got: dict[tuple, dict[str, object]]) -> None:
    problems = compare_all(ind, got)
    assert not problems, "engine disagrees with the spec:\n" + "\n".join(problems)


SPLIT_INDICATORS = ("C01", "C03", "O01", "O06")


@pytest.fixture(scope="module")
def by_gender(oracle_store: Store) -> dict[tuple, dict[str, object]]:
    return engine_rows(
        compute(
            oracle_store,
            IndicatorRequest(
                periods=tuple(PERIODS), indicators=SPLIT_INDICATORS, split_by=("gender",)
            ),
        ),
        "gender",
    )


@pytest.mark.parametrize("ind", SPLIT_INDICATORS)
def test_split_by_gender(
    ind: str, by_gender: dict[tuple, dict[str, object]], got: dict[tuple, dict[str, object]]
) -> None:
    problems = []
    for pid in PROGRAMMES:
        genders = {c["gender"] for c in DATA["cases"] if c["programme_id"] == pid}
        for p in PERIODS:
            where = f"{ind} {pid} {p.label}"
            parts = {k[-1]: r for k, r in by_gender.items() if k[:4] == (ind, pid, p.start, p.end)}
            if set(parts) != genders:
                problems.append(
                    f"{where}: split values {sorted(parts)}, expected "
                    f"{sorted(genders)} (those among the programme's cases)"
                )
            whole = got.get((ind, pid, p.start, p.end))
            if whole is None:
                problems.append(f"{where}: no unsplit row")
                continue
            columns = ("value",) if ind in ("C01", "C03") else ("numerator", "denominator")
            for col in columns:
                total = sum(r[col] or 0 for r in parts.values())
                if total != whole[col]:
                    problems.append(f"{where}: split {col}s sum to {total}, unsplit {whole[col]}")
            for g, r in sorted(parts.items()):
                problems += differences(
                    f"{where} gender={g}", r, expected_row(ind, view(pid, gender=g), p)
                )
    assert not problems, "\n".join(problems)


def engine_split_rows(store: Store, column: str) -> dict[tuple, dict[str, object]]:
    """The engine's rows split by ``column``, keyed like ``engine_rows`` with the split value
    read as the oracle writes it: text, ``"true"``/``"false"`` for a boolean, None if missing."""
    df = compute(
        store,
        IndicatorRequest(periods=tuple(PERIODS), indicators=SPLIT_INDICATORS, split_by=(column,)),
    )
    out = {}
    for key, row in engine_rows(df, column).items():
        value = key[4]
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            value = None
        elif not isinstance(value, str):
            value = str(bool(value)).lower()
        out[(*key[:4], value)] = row
    return out


@pytest.mark.parametrize("column", SPLIT_COLUMNS)
def test_split_by_every_case_column(
    column: str, oracle_store: Store, got: dict[tuple, dict[str, object]]
) -> None:
    """Each split value's row equals the oracle over the cases with that value; the parts are
    exactly the values among the programme's cases (a missing ``returnee`` counts as false, a
    missing ``region`` is a part of its own) and add up to the unsplit row."""
    rows = engine_split_rows(oracle_store, column)
    problems = []
    for ind in SPLIT_INDICATORS:
        for pid in PROGRAMMES:
            values = {split_value(c, column) for c in DATA["cases"] if c["programme_id"] == pid}
            for p in PERIODS:
                where = f"{ind} {pid} {p.label}"
                parts = {k[4]: r for k, r in rows.items() if k[:4] == (ind, pid, p.start, p.end)}
                if set(parts) != values:
                    problems.append(
                        f"{where}: {column} values {sorted(parts, key=str)}, expected "
                        f"{sorted(values, key=str)} (those among the programme's cases)"
                    )
                whole = got.get((ind, pid, p.start, p.end))
                if whole is None:
                    problems.append(f"{where}: no unsplit row")
                    continue
                columns = ("value",) if ind in ("C01", "C03") else ("numerator", "denominator")
                for col in columns:
                    total = sum(r[col] or 0 for r in parts.values())
                    if total != whole[col]:
                        problems.append(
                            f"{where}: split {col}s sum to {total}, unsplit {whole[col]}"
                        )
                for value, r in sorted(parts.items(), key=lambda kv: str(kv[0])):
                    want = expected_row(ind, view(pid, split=(column, value)), p)
                    problems += differences(f"{where} {column}={value}", r, want)
    assert not problems, "\n".join(problems)


def test_fixture_leaves_cells_with_a_default_empty() -> None:
    """The split oracle proves the default only if counted cases leave the cell empty."""
    for column in MISSING_MEANS:
        empty = [c for c in DATA["cases"] if c[column] is None and c["programme_id"] == "P-A"]
        assert len(empty) >= 5, column
        assert {split_value(c, column) for c in DATA["cases"]} == {"true", "false"}


@pytest.fixture(scope="module")
def without_custody(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple, dict[str, object]]]:
    """The fixture package without custody_events.csv, in a store of its own."""
    root = tmp_path_factory.mktemp("no_custody_events")
    pkg = PackageBuilder(root, {p.stem: read_rows(p) for p in sorted(FIXTURE.glob("*.csv"))})
    pkg.drop("custody_events")
    for s in _store_with(tmp_path_factory, "no_custody_store", pkg.write()):
        yield engine_rows(compute(s, IndicatorRequest(periods=tuple(PERIODS))))


@pytest.mark.slow
def test_missing_source_table_gives_no_data_for_exactly_the_spec_indicators(
    without_custody: dict[tuple, dict[str, object]],
) -> None:
    present = frozenset(DATA) - {"custody_events"}
    empty = {
        k[0]
        for k, r in without_custody.items()
        if r["status"] == "no_data"
        and all(r[c] is None for c in ("numerator", "denominator", "value"))
    }
    problems = (
        []
        if empty == {"O06", "O07", "O08"}
        else [f"indicators with empty no_data rows: {sorted(empty)}, spec: O06, O07, O08"]
    )
    for ind in sorted(ORACLES):
        problems += compare_all(ind, without_custody, present)
    assert not problems, "\n".join(problems)


def test_fixture_plants_the_boundary_cases() -> None:
    """The oracle is only as good as its fixture: the planted cases must stay planted."""
    cases = {c["case_ref"]: c for c in DATA["cases"]}

    def contacts(ref: str) -> list[date]:
        return [x["contact_on"] for x in DATA["contacts"] if x["case_ref"] == ref]

    def released(ref: str) -> list[date]:
        return [
            e["event_on"]
            for e in DATA["custody_events"]
            if e["case_ref"] == ref and e["event"] == "released"
        ]

    opened = {c["opened_on"] for c in cases.values() if c["programme_id"] == "P-A"}
    assert {d("2025-01-01"), d("2025-03-31"), d("2024-12-31"), d("2025-04-01")} <= opened
    assert min(contacts("A-REQ-7D")) == plus(cases["A-REQ-7D"]["first_request_on"], 7)
    assert max(contacts("A-REQ-8D")) == plus(cases["A-REQ-8D"]["first_request_on"], 8)
    assert min(contacts("A-REL3D")) == plus(released("A-REL3D")[0], 3)
    assert min(contacts("A-REL4D")) == plus(released("A-REL4D")[0], 4)
    for ref, n in (("A-REL3D", 6), ("A-REL4D", 5), ("A-REL-Q2EDGE", 6)):
        e = released(ref)[0]
        assert sum(between(x, e, plus(e, 90)) for x in contacts(ref)) == n
    assert len(released("A-REL-TWICE")) == 2
    assert not [e for e in DATA["custody_events"] if e["case_ref"].startswith("C-")]
    reoffended = {
        o["case_ref"]: o["recorded_on"] for o in DATA["outcomes"] if o["outcome"] == "reoffended"
    }
    assert reoffended["A-CL-24REOFF-ON"] == cases["A-CL-24REOFF-ON"]["closed_on"]
    assert reoffended["A-CL-24REOFF-365"] == plus(cases["A-CL-24REOFF-365"]["closed_on"], 365)
    funders = {r["funder"].strip().lower() for r in DATA["funding"] if r["programme_id"] == "P-A"}
    assert len(funders) < len([r for r in DATA["funding"] if r["programme_id"] == "P-A"])
    assert not [c for c in cases.values() if c["programme_id"] == "P-D"]
    assert d("2025-06-30") == AS_OF
    assert PERIODS[-1].end > AS_OF
