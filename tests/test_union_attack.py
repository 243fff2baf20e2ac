"""The attack over the union of releases: whatever a funder combines across releases (totals,
every single-column split, a year and its quarters, a half-year and a custom range one day
shorter), no hidden count of 1-4 can be pinned to a range under 5 wide.

Property-based: hypothesis generates case data for two programmes of one organisation, loads it
into a real store, approves four releases, and attacks everything they published with the
disclosure LP (``disclosure.attack``) and, for one indicator, an independent scipy ``linprog``.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import builder_from_minimal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from evaluation.intake.ingest import ingest
from evaluation.measures.catalogue import load_catalogue
from evaluation.periods import parse_periods
from evaluation.sharing.disclosure import attack
from evaluation.sharing.releases import ReleaseError, approve
from evaluation.sharing.releases.protect import cell_keys, wide_table
from evaluation.sharing.releases.tables import atoms, table_set
from evaluation.store.database import Store
from evaluation.store.users import OPERATOR
from evaluation.vocabulary.splits import CASE_SPLITS

RELEASES = ("2024", "2024-Q1,2024-Q2,2024-Q3,2024-Q4", "2024-H1", "2024-01-01..2024-06-29")
CHOICES = {
    "client_type": ["exit_participant", "exit_participant", "relative"],
    "referral_source": ["self", "police", "prison", "helpline"],
    "participation": ["voluntary", "mandated", "unknown"],
    "setting_at_intake": ["community", "prison"],
    "ideology": ["right_wing", "islamist"],
    "gender": ["male", "male", "female"],
    "age_band": ["18_24", "25_34", "45_plus"],
    "returnee": ["false", "true"],
    "risk_at_intake": ["high", "medium", "not_assessed"],
    "region": ["DE30", "DE21"],
}


def _package(root: Path, seed: int, sizes: tuple[int, int]) -> Path:
    """Two programmes' cases opened in 2024 (some closed), attributes drawn at random."""
    rng = random.Random(seed)
    pkg = builder_from_minimal(root)
    pkg.drop("contacts")
    pkg.drop("custody_events")
    rows = []
    for programme, n in zip(("P-OPEN", "P-CJS"), sizes, strict=True):
        for i in range(n):
            opened = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(366))
            closed = opened + dt.timedelta(days=rng.randrange(30, 300))
            done = closed <= dt.date(2025, 6, 30) and rng.random() < 0.6
            row = {"case_ref": f"{programme}-{i}", "programme_id": programme}
            row |= {c: rng.choice(v) for c, v in CHOICES.items()}
            row |= {
                "first_request_on": opened.isoformat(),
                "opened_on": opened.isoformat(),
                "plan_agreed_on": "",
                "closed_on": closed.isoformat() if done else "",
                "closure_reason": rng.choice(["goals_achieved", "lost_contact"]) if done else "",
            }
            rows.append(row)
    pkg.tables["cases"] = rows
    return pkg.write()


def _union(store: Store, programme: str) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Everything the releases published for ``programme`` as the attacker's table (hidden
    figures blanked) and the truth, plus the pieces of overlapping periods as unknown rows."""
    cur = store.cursor()
    cells = cur.execute(
        "SELECT * FROM release_cells WHERE programme_id = ? ORDER BY release", [programme]
    ).df()
    cells = cells.assign(_k=cell_keys(cells)).drop_duplicates("_k").drop(columns="_k")
    spans = {
        (r[0], r[1])
        for r in cur.execute(
            "SELECT DISTINCT period_start, period_end FROM release_periods"
        ).fetchall()
    }
    parts = [cells]
    if cut := atoms(spans):  # none when every overlapping release was refused
        pieces = table_set(cur, [programme], cut, load_catalogue())
        parts.append(pieces.assign(suppressed=True))
    union = pd.concat(parts, ignore_index=True)
    columns = [c for c in CASE_SPLITS if (union["split_column"] == c).any()]
    truth = wide_table(union, columns)
    published = truth.copy()
    hidden = published["suppressed"].to_numpy(dtype=bool)
    for col in ("numerator", "denominator", "value", "ci_low", "ci_high"):
        published[col] = published[col].where(~hidden)
    return published, truth, columns


def _true(truth: pd.DataFrame, columns: list[str]) -> dict[tuple[object, ...], dict[str, float]]:
    from evaluation.sharing.disclosure import row_keys

    out = {}
    for key, (_, row) in zip(row_keys(truth, columns), truth.iterrows(), strict=True):
        num, den, val = row["numerator"], row["denominator"], row["value"]
        out[key] = {"value": val, "numerator": num, "complement": den - num, "denominator": den}
    return out


def _linprog_c01(truth: pd.DataFrame, published: pd.DataFrame) -> list[tuple[float, float, float]]:
    """C01 (new exit cases) of one programme, attacked without our code: an equation for every
    total = sum of a split's values and every period = sum of the periods that tile it (only
    the calendar ones and the pieces: year = quarters, half = two quarters, half = range +
    day); (true, low, high) of each hidden cell."""
    t = truth[truth["indicator_id"] == "C01"].reset_index(drop=True)
    p = published[published["indicator_id"] == "C01"].reset_index(drop=True)
    split_cols = [c for c in CASE_SPLITS if c in t.columns]
    key = [*split_cols]
    hidden = p["suppressed"].to_numpy(dtype=bool)
    unknown = {i: j for j, i in enumerate(np.flatnonzero(hidden))}
    equations: list[tuple[dict[int, float], float]] = []

    def add(parent: int, children: list[int]) -> None:
        vals = t["value"].to_numpy()
        if abs(vals[parent] - sum(vals[c] for c in children)) > 1e-9:
            return  # a relation that does not hold is no use to anyone
        coef: dict[int, float] = {}
        rhs = 0.0
        for row, sign in [(parent, 1.0), *[(c, -1.0) for c in children]]:
            if row in unknown:
                coef[unknown[row]] = coef.get(unknown[row], 0.0) + sign
            else:
                rhs -= sign * vals[row]
        if coef:
            equations.append((coef, rhs))

    t["_s"] = pd.to_datetime(t["period_start"]).dt.date
    t["_e"] = pd.to_datetime(t["period_end"]).dt.date
    for _, group in t.groupby(["_s", "_e"]):
        unsplit = group[(group[split_cols] == "*").all(axis=1)].index
        for col in split_cols:
            parts = group[(group[col] != "*")].index
            if len(unsplit) and len(parts):
                add(int(unsplit[0]), [int(i) for i in parts])
    t["_cell"] = t[key].astype(str).agg("|".join, axis=1)
    for _, group in t.groupby("_cell"):
        spans = {(r._s, r._e): int(i) for i, r in group.iterrows()}
        for (s, e), whole in spans.items():
            inside = sorted((a, b) for (a, b) in spans if s <= a and b <= e and (a, b) != (s, e))
            # greedy tilings through the parts inside, enough for these calendars
            for first in [x for x in inside if x[0] == s]:
                path, at = [first], first
                while at[1] < e:
                    nxt = [x for x in inside if x[0] == at[1] + dt.timedelta(days=1)]
                    if not nxt:
                        break
                    at = max(nxt, key=lambda x: x[1] if x[1] <= e else dt.date.min)
                    path.append(at)
                if path[-1][1] == e and len(path) > 1:
                    add(whole, [spans[x] for x in path])
    if not unknown or not equations:
        return []
    a_eq = np.zeros((len(equations), len(unknown)))
    b_eq = np.zeros(len(equations))
    for r, (coef, rhs) in enumerate(equations):
        for j, c in coef.items():
            a_eq[r, j] = c
        b_eq[r] = rhs
    out = []
    for row, j in unknown.items():
        c = np.zeros(len(unknown))
        c[j] = 1.0
        lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = np.inf if hi.status == 3 else -hi.fun
        out.append((float(t["value"].iloc[row]), float(lo.fun), float(high)))
    return out


@pytest.mark.slow
@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(seed=167, sizes=(17, 20))  # a release refused (seen in CI): the rest stays protected
@example(seed=4217, sizes=(15, 20))  # half-year or range refused: no pieces (crashed)
@example(seed=1911, sizes=(37, 12))  # fails without the union or with ranges 2 wide
@given(
    seed=st.integers(0, 10_000),
    # P-OPEN from 25 cases: with fewer nearly every figure is small and hidden, and a weakened
    # protection passes (seed 0 with 12 cases did without the union and with ranges 2 wide)
    sizes=st.tuples(st.integers(25, 45), st.integers(3, 20)),
)
def test_no_small_count_can_be_pinned_across_releases(seed: int, sizes: tuple[int, int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with Store.open(root / "store.duckdb") as store:
            assert ingest(_package(root / "pkg", seed, sizes), store).status == "loaded"
            for spec in RELEASES:
                try:
                    approve(store, ["P-OPEN", "P-CJS"], parse_periods(spec), actor=OPERATOR)
                except ReleaseError as refused:  # protection could not be met: nothing shared
                    assert "nothing was approved" in str(refused)
            infos = {i.id: i for i in load_catalogue().latest()}
            for programme in ("P-OPEN", "P-CJS"):
                published, truth, columns = _union(store, programme)
                ranges = attack(published, infos, original=truth, splits=columns)
                true = _true(truth, columns)
                for cell, (low, high) in ranges.items():
                    figure = true[cell.key][cell.quantity]
                    if 1 <= figure <= 4:
                        assert high - low >= 5, (cell, figure, low, high)
                for figure, low, high in _linprog_c01(truth, published):
                    if 1 <= figure <= 4:
                        assert high - low >= 5 - 1e-6, (figure, low, high)
