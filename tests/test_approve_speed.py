"""Fast approvals decide exactly what slow ones did.

Protection in worker processes must give the same cells as one programme after the other (on a
real store, over the union with its earlier releases); the relations found with arrays must be
those, in the same order, that a dictionary of the rows gives (the planner walks them in order);
and a range that feasible points "prove" wide must be wide for the linear program too.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from scipy.optimize import linprog

from evaluation.measures.catalogue import load_catalogue
from evaluation.measures.result import KEY_COLUMNS
from evaluation.periods import parse_periods
from evaluation.sharing.disclosure import DisclosureSettings
from evaluation.sharing.disclosure.attacker import Attacker
from evaluation.sharing.disclosure.table import ADDITIVE_KINDS, Relation, read_table
from evaluation.sharing.releases import ledger
from evaluation.sharing.releases.protect import protect_releases, wide_table
from evaluation.sharing.releases.tables import table_set
from evaluation.sharing.releases.versions import data_versions
from evaluation.store.database import Store
from evaluation.vocabulary.splits import CASE_SPLITS, TOTAL

PERIODS = "2025,2025-Q1,2025-Q2,2025-Q3,2025-Q4,2025-01,2025-02,2025-03"


def _work(store: Store) -> tuple[pd.DataFrame, pd.DataFrame, dict, dict]:
    """The oracle programmes' cells for ``PERIODS`` with their earlier releases' cells."""
    cur = store.cursor()
    catalogue = load_catalogue()
    programmes = [
        r[0]
        for r in cur.execute("SELECT programme_id FROM current_programmes ORDER BY 1").fetchall()
    ]
    versions = [v for _, v in data_versions(cur, programmes).values()]
    cells = table_set(cur, programmes, parse_periods(PERIODS), catalogue)
    cells["virtual"] = False  # these periods are aligned: no pieces
    earlier, hidden = ledger.earlier_cells(cur, versions)
    infos = {i.id: i for i in catalogue.latest()}
    return cells, earlier, hidden, infos


@pytest.mark.slow
def test_workers_protect_exactly_like_one_process(oracle_db: Path) -> None:
    with Store.open(oracle_db, read_only=True) as store:
        cells, earlier, hidden, infos = _work(store)
    assert cells["programme_id"].nunique() >= 2 and len(earlier) > 0
    settings = DisclosureSettings()
    seen: list[tuple[str, int, int]] = []
    (serial,) = protect_releases([(cells, earlier, hidden)], infos, settings, workers=1)
    (parallel,) = protect_releases(
        [(cells, earlier, hidden)],
        infos,
        settings,
        workers=2,
        on_programme=lambda p, done, total: seen.append((p, done, total)),
    )
    pd.testing.assert_frame_equal(serial, parallel)
    assert serial["suppressed"].any() and not serial["suppressed"].all()
    # progress is reported here, once per programme, counting up to all of them
    total = cells["programme_id"].nunique()
    assert [d for _, d, _ in seen] == list(range(1, total + 1))
    assert {p for p, _, _ in seen} == set(cells["programme_id"])


def _reference_relations(table, n_splits: int) -> list[tuple[str, int, tuple[int, ...]]]:
    """The relations as a dictionary of the rows finds them (the earlier, plain algorithm)."""
    rows = [p for p in range(len(table.keys)) if table.additive(p)]

    def grouped(drop: tuple[int, ...]) -> dict:
        groups: dict = defaultdict(list)
        for p in rows:
            key = table.keys[p]
            groups[tuple(v for i, v in enumerate(key) if i not in drop)].append(p)
        return groups

    out = []

    def emit(parent: int, children) -> None:
        kids = tuple(sorted(children, key=lambda c: table.rank[c]))
        for layer in ADDITIVE_KINDS[table.kinds[parent]]:
            out.append((layer, parent, kids))

    first = len(KEY_COLUMNS)
    programme = KEY_COLUMNS.index("programme_id")
    for index in (*range(first, first + n_splits), programme):
        for members in grouped((index,)).values():
            parents = [p for p in members if table.keys[p][index] == TOTAL]
            children = [p for p in members if table.keys[p][index] != TOTAL]
            if len(parents) == 1 and children:
                emit(parents[0], children)
    period = (KEY_COLUMNS.index("period_start"), KEY_COLUMNS.index("period_end"))
    for members in grouped(period).values():
        spans = {p: (table.keys[p][period[0]], table.keys[p][period[1]]) for p in members}
        for whole in members:
            s0, e0 = spans[whole]
            inner = [p for p in members if p != whole and spans[p][0] >= s0 and spans[p][1] <= e0]
            day = pd.Timedelta(days=1)
            stack: list[tuple[pd.Timestamp, tuple[int, ...]]] = [(s0, ())]
            while stack:
                at, path = stack.pop()
                nxt = sorted(((spans[p][1], p) for p in inner if spans[p][0] == at), reverse=True)
                for e, p in nxt:
                    if e == e0:
                        emit(whole, (*path, p))
                    elif e < e0:
                        stack.append((e + day, (*path, p)))
    return out


def test_relations_come_in_the_order_of_the_plain_algorithm(oracle_store: Store) -> None:
    cells, _earlier, _hidden, infos = _work(oracle_store)
    mine = cells[cells["programme_id"] == cells["programme_id"].iloc[0]]
    columns = [c for c in CASE_SPLITS if (mine["split_column"] == c).any()]
    table = read_table(wide_table(mine, columns), infos, columns, published=False)
    found = [(r.layer, r.parent, r.children) for r in table.relations]
    assert len(found) > 100
    assert found == _reference_relations(table, len(columns))


def _exact(a: np.ndarray, b: np.ndarray, j: int) -> tuple[float, float]:
    c = np.zeros(a.shape[1])
    c[j] = 1.0
    low = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
    high = linprog(-c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
    top = np.inf if high.status == 3 else -high.fun
    return float(np.ceil(low.fun - 1e-6)), float(np.floor(top + 1e-6))


@hsettings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 12), min_size=2, max_size=4), min_size=2, max_size=4),
    st.data(),
)
def test_ranges_proven_wide_by_points_are_wide(groups: list[list[int]], data) -> None:
    """A two-level table (total = groups, group = parts) with random cells hidden: whatever
    ``prove_wide`` claims, a fresh linear program confirms, and ``wide`` agrees with it."""
    values, relations, parts = [], [], []
    total_pos = 0
    values.append(float(sum(map(sum, groups))))
    for group in groups:
        gpos = len(values)
        values.append(float(sum(group)))
        kids = []
        for x in group:
            kids.append(len(values))
            values.append(float(x))
        relations.append(Relation("value", gpos, tuple(kids)))
        parts.append(gpos)
    relations.append(Relation("value", total_pos, tuple(parts)))
    n = len(values)
    hidden = set(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)))
    arr = np.array(values)
    attacker = Attacker(relations, {"value": arr}, hidden)
    attacker.witness_truth({"value": arr})
    unknowns = [(p, "value") for p in sorted(hidden) if (p, "value") in attacker.components]
    proven = attacker.prove_wide(unknowns, 5)
    # the attacker's own equations, solved by a fresh linear program
    order = sorted(hidden)
    col = {p: i for i, p in enumerate(order)}
    rows, rhs = [], []
    for rel in relations:
        row = np.zeros(len(order))
        known = 0.0
        for m in rel.members:
            coef = 1.0 if m == rel.parent else -1.0
            if m in hidden:
                row[col[m]] += coef
            else:
                known -= coef * arr[m]
        if row.any():
            rows.append(row)
            rhs.append(known)
    a_eq, b_eq = np.array(rows), np.array(rhs)
    for var in unknowns:
        low, high = _exact(a_eq, b_eq, col[var[0]])
        assert (high - low >= 5) == attacker.wide(var, 5)
        if var in proven:
            assert high - low >= 5, (var, low, high)
