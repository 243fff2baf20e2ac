"""Indicator benchmark: the whole catalogue for every programme × 20 quarters on the large demo
store, against one bare DuckDB scan-and-aggregate of the same contacts, in one run.

    python -m evaluation demo --scale large --db benchmarks/out/large.duckdb   # once, ~3 min
    python benchmarks/indicators_bench.py --db benchmarks/out/large.duckdb

Every run computes from the store (the plan, the compiled SQL, is kept; no result is). Two bare
twins run beside it, alternating with ours so that both meet the same load: contacts grouped by
``case_id`` and quarter (the aim's yardstick), and grouped by the case as the store keys it
(``submission_id, case_id``) and quarter, the least any correct per-case figure has to do.
Writes ``benchmarks/out/indicators.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from compiled import compile_code

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    compile_code(ROOT)  # as a user's machine has it after a first run
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "benchmarks" / "out" / "large.duckdb")
    parser.add_argument("--quarters", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd

    from evaluation.measures.engine import IndicatorRequest, compute, explain
    from evaluation.periods import latest_complete_quarter
    from evaluation.store.database import Store

    store = Store.open(args.db, read_only=True)
    cur = store.cursor()
    as_of = cur.execute("SELECT max(data_as_of) FROM submissions").fetchall()[0][0]
    last = latest_complete_quarter(as_of)
    quarters = [last]
    while len(quarters) < args.quarters:
        quarters.append(quarters[-1].previous())
    request = IndicatorRequest(periods=tuple(reversed(quarters)))
    counts = cur.execute(
        "SELECT (SELECT count(*) FROM current_programmes), "
        "(SELECT count(*) FROM current_cases), "
        "(SELECT count(*) FROM current_contacts)"
    ).fetchall()[0]

    bare_sql = (
        "SELECT case_id, date_trunc('quarter', contact_on) AS q, count(*), "
        "sum(minutes) FROM contacts GROUP BY ALL"
    )
    keyed_sql = (
        "SELECT submission_id, case_id, date_trunc('quarter', contact_on) AS q, count(*), "
        "sum(minutes) FROM contacts GROUP BY ALL"
    )

    def timed(run: Callable[[], object], into: list[float]) -> object:
        start = time.perf_counter()
        value = run()
        into.append(time.perf_counter() - start)
        return value

    ours: list[float] = []
    bare: list[float] = []
    keyed: list[float] = []
    load_before = os.getloadavg()
    for _ in range(args.repeat):
        result = timed(lambda: compute(store, request), ours)
        timed(lambda: cur.execute(bare_sql).fetchall(), bare)
        timed(lambda: cur.execute(keyed_sql).fetchall(), keyed)
    load_after = os.getloadavg()
    assert isinstance(result, pd.DataFrame)
    sql_lines = explain(store, request).splitlines()
    out = {
        "programmes": counts[0],
        "cases": counts[1],
        "contacts": counts[2],
        "quarters": len(quarters),
        "indicators": int(result.indicator_id.nunique()),
        "rows": len(result),
        "ours_seconds": ours,
        "ours_first_seconds": ours[0],
        "explain_lines": len(sql_lines),
        "explain_longest_line": max(len(line) for line in sql_lines),
        "bare_seconds": bare,
        "ratio_best": min(ours) / min(bare),
        "bare_keyed_seconds": keyed,
        "ratio_best_keyed": min(ours) / min(keyed),
        "cores": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": load_after,
    }
    (ROOT / "benchmarks" / "out").mkdir(parents=True, exist_ok=True)
    (ROOT / "benchmarks" / "out" / "indicators.json").write_text(json.dumps(out, indent=2))
    print(
        f"{counts[0]} programmes, {counts[1]:,} cases, {counts[2]:,} contacts; "
        f"{len(quarters)} quarters; {out['indicators']} indicators; {len(result):,} rows"
    )

    def seconds(values: list[float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values) + " s"

    print(f"whole catalogue: {seconds(ours)} (the first compiles the plan, later ones reuse it)")
    print(f"explain: {len(sql_lines)} lines, the longest {out['explain_longest_line']} characters")
    print(f"bare scan-and-aggregate of contacts by case_id and quarter: {seconds(bare)}")
    print(f"bare scan-and-aggregate by (submission_id, case_id) and quarter: {seconds(keyed)}")
    print(
        f"ratio (best of each): {out['ratio_best']:.1f}x the bare scan, "
        f"{out['ratio_best_keyed']:.1f}x the keyed one"
    )
    print(
        f"{os.cpu_count()} cores; load average (1, 5, 15 min) "
        f"before {', '.join(f'{x:.2f}' for x in load_before)}, "
        f"after {', '.join(f'{x:.2f}' for x in load_after)}"
    )


if __name__ == "__main__":
    main()
