"""Indicator benchmark: the whole catalogue for every programme × 20 quarters on the large demo
store, against one bare DuckDB scan-and-aggregate of the same contacts, in one run.

    python -m evaluation demo --scale large --db benchmarks/out/large.duckdb   # once, ~10 min
    python benchmarks/indicators_bench.py --db benchmarks/out/large.duckdb
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "benchmarks" / "out" / "large.duckdb")
    parser.add_argument("--quarters", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

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

    ours = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = compute(store, request)
        ours.append(time.perf_counter() - start)
    bare = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        cur.execute(
            "SELECT case_id, date_trunc('quarter', contact_on) AS q, count(*), "
            "sum(minutes) FROM contacts GROUP BY ALL"
        ).fetchall()
        bare.append(time.perf_counter() - start)
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
    }
    (ROOT / "benchmarks" / "out").mkdir(parents=True, exist_ok=True)
    (ROOT / "benchmarks" / "out" / "indicators.json").write_text(json.dumps(out, indent=2))
    print(
        f"{counts[0]} programmes, {counts[1]:,} cases, {counts[2]:,} contacts; "
        f"{len(quarters)} quarters; {out['indicators']} indicators; {len(result):,} rows"
    )
    print(
        f"whole catalogue: {', '.join(f'{s:.2f}' for s in ours)} s "
        "(the first compiles the plan, later ones reuse it)"
    )
    print(f"explain: {len(sql_lines)} lines, the longest {out['explain_longest_line']} characters")
    print(
        f"bare scan-and-aggregate of contacts by case and quarter: "
        f"{', '.join(f'{s:.2f}' for s in bare)} s"
    )
    print(f"ratio (best of each): {out['ratio_best']:.1f}x")


if __name__ == "__main__":
    main()
