"""Small-number suppression for the shared audience (spec: "Uncertainty and small numbers").

The primary rules are tested at their boundaries; secondary suppression is judged the way an
attacker would: ``attack`` (a linear program) must leave every hidden count of people at least
``min_width`` wide, on hand-made tables and on random ones (hypothesis).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from evaluation.errors import EvaluationError
from evaluation.sharing import disclosure
from evaluation.sharing.disclosure import (
    Cell,
    DisclosureError,
    DisclosureSettings,
    attack,
    method_note,
    row_keys,
    suppress,
)

YEAR = ("2025-01-01", "2025-12-31")
QUARTERS = (
    ("2025-01-01", "2025-03-31"),
    ("2025-04-01", "2025-06-30"),
    ("2025-07-01", "2025-09-30"),
    ("2025-10-01", "2025-12-31"),
)
WIDTH = DisclosureSettings().min_width


@dataclass(frozen=True)
class Info:
    kind: str
    about_people: bool = True


INDICATORS: dict[str, Info] = {
    "C01": Info("count"),
    "C03": Info("count"),
    "K01": Info("count"),
    "K03": Info("count", about_people=False),
    "K02": Info("total", about_people=False),
    "C04": Info("proportion"),
    "O01": Info("proportion"),
    "C07": Info("median"),
    "C10": Info("ratio"),
    "F03": Info("share", about_people=False),
    "F04": Info("months", about_people=False),
    "X99": Info("total"),
}


def row(
    indicator: str = "C01",
    *,
    programme: str = "P1",
    period: tuple[str, str] = YEAR,
    value: float | None = None,
    num: float | None = None,
    den: float | None = None,
    status: str | None = None,
    **splits: str,
) -> dict[str, object]:
    """One result row in the spec's layout; a proportion's value comes from num/den."""
    kind = INDICATORS[indicator].kind
    if kind in ("proportion", "ratio", "share") and den:
        value = (num or 0) / den
    if status is None:
        status = "no_data" if kind in ("proportion", "ratio", "median") and not den else "ok"
    if status == "no_data":
        value = None
    return {
        "indicator_id": indicator,
        "indicator_version": 1,
        "programme_id": programme,
        "period_start": period[0],
        "period_end": period[1],
        **splits,
        "numerator": num,
        "denominator": den,
        "value": value,
        "ci_low": 0.1 if kind == "proportion" and den else None,
        "ci_high": 0.9 if kind == "proportion" and den else None,
        "status": status,
        "suppressed": False,
    }


def frame(rows: Iterable[dict[str, object]]) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    tail = ["numerator", "denominator", "value", "ci_low", "ci_high", "status", "suppressed"]
    return df[[c for c in df.columns if c not in tail] + tail]


def hidden(out: pd.DataFrame) -> pd.DataFrame:
    return out[out["suppressed"]]


def check_safe(
    original: pd.DataFrame,
    out: pd.DataFrame,
    indicators: Mapping[str, Info] = INDICATORS,
    width: int = WIDTH,
) -> dict[Cell, tuple[float, float]]:
    """Attack ``out`` and assert what rule 4 promises, plus that the attacker is sound (the truth
    lies inside every range). A hidden figure whose truth is 0 may be narrow: a 0 may be shown."""
    ranges = attack(out, indicators)
    truth = dict(zip(row_keys(original), original.to_dict("records"), strict=True))
    for cell, (low, high) in ranges.items():
        rec = truth[cell.key]
        num, den, val = rec["numerator"], rec["denominator"], rec["value"]
        true = {
            "value": val,
            "numerator": num,
            "denominator": den,
            "complement": None if num is None or den is None else den - num,
        }[cell.quantity]
        assert low <= true <= high, (cell, low, high, true)
        if true > 0 and cell.quantity != "denominator":
            assert high - low >= width, (cell, low, high, true)
    return ranges


def suppressed_keys(out: pd.DataFrame) -> set[tuple]:
    return {k for k, s in zip(row_keys(out), out["suppressed"], strict=True) if s}


# ------------------------------------------------------------------------------------------
# Primary rules
# ------------------------------------------------------------------------------------------


def test_rule1_counts_from_1_to_4_are_suppressed() -> None:
    df = frame(row("C01", programme=f"P{v}", value=v) for v in (0, 1, 4, 5))
    out = suppress(df, INDICATORS)
    assert dict(zip(df["value"], out["suppressed"], strict=True)) == {
        0: False,
        1: True,
        4: True,
        5: False,
    }


def test_a_suppressed_row_keeps_its_status_and_loses_its_numbers() -> None:
    df = frame(
        [row("O01", num=2, den=20, status="partial_period"), row("C01", programme="P2", value=3)]
    )
    out = suppress(df, INDICATORS)
    assert out["suppressed"].all()
    assert out[["numerator", "denominator", "value", "ci_low", "ci_high"]].isna().all().all()
    assert list(out["status"]) == ["partial_period", "ok"]
    assert list(out["programme_id"]) == ["P1", "P2"]
    assert df["suppressed"].eq(False).all()  # a copy: the input is untouched


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [
        (0, 20, False),
        (1, 20, True),
        (4, 20, True),
        (5, 20, False),  # numerator
        (20, 20, False),
        (19, 20, True),
        (16, 20, True),
        (15, 20, False),  # den - num
        (0, 9, True),
        (0, 10, False),
        (9, 9, True),
        (10, 10, False),  # denominator
    ],
)
def test_rules_2_and_3_for_proportions(num: int, den: int, expected: bool) -> None:
    out = suppress(frame([row("O01", num=num, den=den)]), INDICATORS)
    assert bool(out["suppressed"].iloc[0]) is expected


@pytest.mark.parametrize("indicator", ["C07", "C10"])
@pytest.mark.parametrize(("den", "expected"), [(1, True), (9, True), (10, False), (11, False)])
def test_rule3_for_medians_and_ratios(indicator: str, den: int, expected: bool) -> None:
    # small numerators of ratios and medians are not counts of people: only n matters
    out = suppress(frame([row(indicator, num=2, den=den, value=3.5)]), INDICATORS)
    assert bool(out["suppressed"].iloc[0]) is expected


def test_no_data_rows_are_never_suppressed() -> None:
    df = frame(
        [
            row("O01", num=0, den=0),
            row("C07", programme="P2", den=0),
            row("C01", programme="P3", value=None, status="no_data"),
            row("O01", programme="P4", num=3, den=3, status="no_data"),
        ]
    )
    out = suppress(df, INDICATORS)
    assert not out["suppressed"].any()
    pd.testing.assert_frame_equal(out, df)


def test_indicators_not_about_people_and_amounts_are_never_suppressed() -> None:
    df = frame(
        [
            row("K03", value=2),
            row("K02", value=3.5),
            row("X99", value=1),
            row("F03", num=1, den=3),
            row("F04", value=2),
        ]
    )
    out = suppress(df, INDICATORS)
    assert not out["suppressed"].any()
    pd.testing.assert_frame_equal(out, df)


def test_k01_is_about_people() -> None:
    out = suppress(frame([row("K01", value=3)]), INDICATORS)
    assert out["suppressed"].all()


def test_thresholds_are_settings() -> None:
    df = frame([row("C01", programme="P1", value=6), row("O01", programme="P2", num=10, den=15)])
    strict = DisclosureSettings(max_small=9, min_denominator=20)
    assert suppress(df, INDICATORS, strict)["suppressed"].all()
    assert not suppress(df, INDICATORS)["suppressed"].any()
    with pytest.raises(DisclosureError):
        DisclosureSettings(min_count=5, max_small=4)


# ------------------------------------------------------------------------------------------
# Secondary suppression
# ------------------------------------------------------------------------------------------


def gender_table(values: Mapping[str, int], **kw: object) -> pd.DataFrame:
    return frame(row("C01", value=v, gender=g, **kw) for g, v in values.items())  # type: ignore[arg-type]


def test_one_small_cell_in_a_split_hides_another() -> None:
    df = gender_table({"f": 3, "m": 20, "x": 7, "*": 30})
    out = suppress(df, INDICATORS)
    gone = set(hidden(out)["gender"])
    assert "f" in gone and len(gone) >= 2
    ranges = check_safe(df, out)
    low, high = ranges[Cell(row_keys(df)[0], "value")]
    assert high - low >= WIDTH
    # the heuristic hides the smallest other part, not the total
    assert gone == {"f", "x"}


def test_a_zero_does_not_protect_a_small_cell() -> None:
    # hiding the 0 would leave f in [0, 3]: the 27 has to go
    df = gender_table({"f": 3, "m": 0, "x": 27, "*": 30})
    out = suppress(df, INDICATORS)
    assert set(hidden(out)["gender"]) >= {"f", "x"}
    assert out.loc[out["gender"] == "m", "value"].item() == 0
    check_safe(df, out)


def test_two_small_cells_that_sum_below_the_width_need_a_third() -> None:
    df = gender_table({"f": 1, "m": 2, "x": 30, "*": 33})
    out = suppress(df, INDICATORS)
    assert set(hidden(out)["gender"]) == {"f", "m", "x"}
    check_safe(df, out)


def test_a_small_total_hides_the_part_that_equals_it() -> None:
    # the total 3 is small; the 3 of f would give it away
    df = gender_table({"f": 3, "m": 0, "*": 3})
    out = suppress(df, INDICATORS)
    assert set(hidden(out)["gender"]) == {"f", "*"}
    check_safe(df, out)


def test_programmes_and_their_total() -> None:
    df = frame(
        row("C01", programme=p, value=v) for p, v in {"P1": 12, "P2": 4, "P3": 9, "*": 25}.items()
    )
    out = suppress(df, INDICATORS)
    assert set(hidden(out)["programme_id"]) == {"P2", "P3"}
    check_safe(df, out)


def test_quarters_and_their_year() -> None:
    df = frame(row("C01", period=q, value=v) for q, v in zip(QUARTERS, (6, 2, 8, 7), strict=True))
    df = frame([*df.to_dict("records"), row("C01", period=YEAR, value=23)])
    out = suppress(df, INDICATORS)
    # the 2 of Q2 and the next smallest quarter, the 6 of Q1; the year stays
    assert set(hidden(out)["period_start"]) == {"2025-04-01", "2025-01-01"}
    check_safe(df, out)


def test_months_quarter_and_year_nest() -> None:
    months = [
        (f"2025-{m:02d}-01", str(pd.Period(f"2025-{m:02d}").end_time.date())) for m in range(1, 13)
    ]
    values = [9, 2, 12, 8, 8, 8, 15, 15, 15, 6, 6, 6]
    rows = [row("C01", period=p, value=v) for p, v in zip(months, values, strict=True)]
    rows += [
        row("C01", period=q, value=sum(values[3 * i : 3 * i + 3])) for i, q in enumerate(QUARTERS)
    ]
    rows.append(row("C01", period=YEAR, value=sum(values)))
    df = frame(rows)
    out = suppress(df, INDICATORS)
    assert len(hidden(out)) >= 2
    check_safe(df, out)


def test_a_stock_count_is_not_treated_as_additive_over_periods() -> None:
    # an active caseload: cases open in several quarters count once in the year
    values = (3, 10, 10, 10)
    rows = [row("C03", period=q, value=v) for q, v in zip(QUARTERS, values, strict=True)]
    df = frame([*rows, row("C03", period=YEAR, value=15)])
    out = suppress(df, INDICATORS)
    assert set(hidden(out)["period_start"]) == {"2025-01-01"}
    ranges = attack(out, INDICATORS, original=df)
    assert ranges[Cell(row_keys(df)[0], "value")] == (0.0, math.inf)


def split_programme_period_table(leaf: Mapping[tuple[str, str, int], int]) -> pd.DataFrame:
    """Counts for gender x programme x quarter, with every total: "*" gender, "*" programme
    and the year."""
    genders = sorted({g for g, _, _ in leaf})
    programmes = sorted({p for _, p, _ in leaf})
    rows = []
    for g, p in product([*genders, "*"], [*programmes, "*"]):
        per_q = [
            sum(
                v for (lg, lp, q), v in leaf.items() if q == i and g in (lg, "*") and p in (lp, "*")
            )
            for i in range(4)
        ]
        for i, q in enumerate(QUARTERS):
            rows.append(row("C01", programme=p, period=q, value=per_q[i], gender=g))
        rows.append(row("C01", programme=p, period=YEAR, value=sum(per_q), gender=g))
    return frame(rows)


def test_split_by_programme_by_period() -> None:
    rng = np.random.default_rng(7)
    leaf = {
        (g, p, q): int(rng.choice([0, 2, 3, 6, 11, 17]))
        for g in ("f", "m")
        for p in ("P1", "P2")
        for q in range(4)
    }
    df = split_programme_period_table(leaf)
    out = suppress(df, INDICATORS)
    primary = df["value"].between(1, 4)
    assert (out["suppressed"] | ~primary).all()
    assert out["suppressed"].sum() > primary.sum()
    check_safe(df, out)


def test_proportions_protect_numerator_and_complement() -> None:
    parts = {"f": (2, 12), "m": (10, 30), "x": (7, 15)}  # f: numerator 2
    rows = [row("O01", num=n, den=d, gender=g) for g, (n, d) in parts.items()]
    rows.append(row("O01", num=19, den=57, gender="*"))
    df = frame(rows)
    out = suppress(df, INDICATORS)
    assert set(hidden(out)["gender"]) >= {"f"} and len(hidden(out)) >= 2
    ranges = check_safe(df, out)
    key = row_keys(df)[0]
    for quantity in ("numerator", "complement", "denominator"):
        low, high = ranges[Cell(key, quantity)]
        assert high - low >= WIDTH, quantity


def test_a_small_denominator_is_protected_through_its_complement() -> None:
    # rule 3 (den 8, numerator 0): the complement 8 must not be derivable from the totals
    rows = [
        row("O01", num=0, den=8, gender="f"),
        row("O01", num=0, den=40, gender="m"),
        row("O01", num=0, den=48, gender="*"),
    ]
    df = frame(rows)
    out = suppress(df, INDICATORS)
    assert set(hidden(out)["gender"]) == {"f", "m"}
    ranges = check_safe(df, out)
    assert ranges[Cell(row_keys(df)[0], "complement")] == (0.0, 48.0)
    # the numerators are 0 because the shown total is 0: a 0 may be shown
    assert ranges[Cell(row_keys(df)[0], "numerator")] == (0.0, 0.0)


def test_no_data_rows_take_part_as_known_zeros() -> None:
    rows = [
        row("O01", num=3, den=20, gender="f"),
        row("O01", num=0, den=0, gender="x"),
        row("O01", num=30, den=60, gender="m"),
        row("O01", num=33, den=80, gender="*"),
    ]
    df = frame(rows)
    out = suppress(df, INDICATORS)
    assert set(hidden(out)["gender"]) == {"f", "m"}
    check_safe(df, out)


def test_ratios_and_medians_are_not_additive() -> None:
    rows = [
        row("C10", den=8, num=20, gender="f"),
        row("C10", den=30, num=70, gender="m"),
        row("C10", den=38, num=90, gender="*"),
    ]
    out = suppress(frame(rows), INDICATORS)
    assert list(out["suppressed"]) == [True, False, False]


def test_engine_columns_period_target_baseline_are_not_splits() -> None:
    values = (6, 2, 8, 7)
    rows = [
        row("C01", period=q, value=v)
        | {"period": f"2025-Q{i + 1}", "target": 5.0, "baseline": None}
        for i, (q, v) in enumerate(zip(QUARTERS, values, strict=True))
    ]
    rows.append(
        row("C01", period=YEAR, value=23) | {"period": "2025", "target": 20.0, "baseline": 18.0}
    )
    df = frame(rows)
    for col in ("period_start", "period_end"):  # the engine's dates are datetime.date
        df[col] = pd.to_datetime(df[col]).dt.date
    assert disclosure.split_columns(df) == []
    out = suppress(df, INDICATORS)
    assert len(hidden(out)) == 2
    check_safe(df, out)


def test_row_order_does_not_matter() -> None:
    rng = np.random.default_rng(3)
    leaf = {
        (g, p, q): int(rng.choice([0, 1, 3, 5, 9, 14]))
        for g in ("f", "m", "x")
        for p in ("P1", "P2")
        for q in range(4)
    }
    df = split_programme_period_table(leaf)
    shuffled = df.sample(frac=1.0, random_state=1).reset_index(drop=True)
    assert suppressed_keys(suppress(df, INDICATORS)) == suppressed_keys(
        suppress(shuffled, INDICATORS)
    )


# ------------------------------------------------------------------------------------------
# The attacker and refusals
# ------------------------------------------------------------------------------------------


def test_attack_on_a_naive_publication_finds_the_small_cell() -> None:
    df = gender_table({"f": 3, "m": 20, "x": 7, "*": 30})
    naive = df.copy()
    naive.loc[0, ["value"]] = np.nan
    naive.loc[0, "suppressed"] = True
    assert attack(naive, INDICATORS) == {Cell(row_keys(df)[0], "value"): (3.0, 3.0)}


def test_attack_refuses_contradictory_figures() -> None:
    # f + 20 + 7 = 10 has no nonnegative solution
    df = gender_table({"f": 3, "m": 20, "x": 7, "*": 10})
    df.loc[0, "value"] = np.nan
    df.loc[0, "suppressed"] = True
    with pytest.raises(DisclosureError):
        attack(df, INDICATORS)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda df: df.assign(indicator_id="NOPE"),
        lambda df: pd.concat([df, df.iloc[:1]], ignore_index=True),
        lambda df: df.assign(value=np.nan),
        lambda df: df.drop(columns="status"),
    ],
)
def test_malformed_results_are_refused(mutate) -> None:  # type: ignore[no-untyped-def]
    df = gender_table({"f": 3, "m": 20, "*": 23})
    with pytest.raises(DisclosureError) as exc:
        suppress(mutate(df), INDICATORS)
    assert isinstance(exc.value, EvaluationError) and isinstance(exc.value, ValueError)


def test_method_note_is_the_module_docstring_paragraph() -> None:
    def words(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip()

    assert words(method_note()) in words(disclosure.__doc__ or "")
    custom = method_note(DisclosureSettings(max_small=9, min_denominator=20, min_width=10))
    assert "1 to 9" in custom and "fewer than 20" in custom and "at least 10 wide" in custom


# ------------------------------------------------------------------------------------------
# Property: random small tables
# ------------------------------------------------------------------------------------------

small_or_not = st.one_of(st.integers(0, 6), st.integers(0, 6), st.integers(0, 40))


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    genders = [f"g{i}" for i in range(draw(st.integers(2, 5)))]
    programmes = [f"P{i}" for i in range(draw(st.integers(1, 3)))]
    kind = draw(st.sampled_from(["count", "proportion"]))
    cells = [(g, p, q) for g in genders for p in programmes for q in range(4)]
    rows = []
    if kind == "count":
        leaf = {c: draw(small_or_not) for c in cells}
        return split_programme_period_table(leaf)
    dens = {c: draw(small_or_not) for c in cells}
    nums = {c: draw(st.integers(0, dens[c])) for c in cells}
    for g, p in product([*genders, "*"], [*programmes, "*"]):

        def total(
            d: Mapping[tuple[str, str, int], int], quarters: Iterable[int], g: str = g, p: str = p
        ) -> int:
            return sum(
                v
                for (lg, lp, q), v in d.items()
                if q in quarters and g in (lg, "*") and p in (lp, "*")
            )

        for span, period in [*(((i,), q) for i, q in enumerate(QUARTERS)), ((0, 1, 2, 3), YEAR)]:
            rows.append(
                row(
                    "O01",
                    programme=p,
                    period=period,
                    num=total(nums, span),
                    den=total(dens, span),
                    gender=g,
                )
            )
    return frame(rows)


@pytest.mark.slow
@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_random_tables_are_safe(df: pd.DataFrame) -> None:
    out = suppress(df, INDICATORS)
    check_safe(df, out)
    shown = out[~out["suppressed"]]
    ok = shown[shown["status"] != "no_data"]
    if (ok["indicator_id"] == "C01").all():
        assert not ok["value"].between(1, 4).any()
    else:
        comp = ok["denominator"] - ok["numerator"]
        assert not ok["numerator"].between(1, 4).any()
        assert not comp.between(1, 4).any()
        assert not (ok["denominator"] < 10).any()
    # no_data rows are published exactly as computed
    nd = df["status"] == "no_data"
    pd.testing.assert_frame_equal(out[nd], df[nd], check_dtype=False)


@pytest.mark.slow
@hsettings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(2, 7), st.data())
def test_the_kept_highs_model_finds_the_same_extremes_as_linprog(
    rows: int, cols: int, data: st.DataObject
) -> None:
    """The attacker's fast path (one HiGHS model per component, only the objective changed)
    must answer exactly like a fresh ``scipy`` linprog for every unknown, min and max."""
    from scipy.sparse import csr_matrix

    from evaluation.sharing.disclosure.solver import Solver, highs_binding, linprog_extreme

    assert highs_binding() is not None, "scipy's HiGHS binding moved: the fast path is off"
    a = np.array(
        data.draw(
            st.lists(
                st.lists(st.sampled_from([-1.0, 0.0, 1.0]), min_size=cols, max_size=cols),
                min_size=rows,
                max_size=rows,
            )
        )
    )
    x = np.array(data.draw(st.lists(st.integers(0, 30), min_size=cols, max_size=cols)), float)
    a_eq, b_eq = csr_matrix(a), a @ x  # feasible by construction: x satisfies it
    solver = Solver(a_eq, b_eq)
    for j in range(cols):
        for sign in (1.0, -1.0):
            fast, slow = solver.extreme(j, sign), linprog_extreme(a_eq, b_eq, j, sign)
            assert (fast is None) == (slow is None)
            if fast is not None and slow is not None:
                assert fast[0] == pytest.approx(slow[0], abs=1e-6)
                assert a @ fast[1] == pytest.approx(b_eq, abs=1e-6)
