"""What letting go of the store costs the dashboard's pages (``evaluation.store.lease``).

A page run reads through the dashboard's ``StoreLease``. Three ways, in one run, on one store:

* **held**: page runs follow each other, the lease keeps the file open (the common case);
* **reopened**: every page run comes after an idle pause (or a command that took the store),
  so the lease opens the file again first;
* **bare**: the same query on one DuckDB connection held for ever (what the dashboard did
  before, locking every other program out).

    python -m evaluation demo --db benchmarks/out/demo.duckdb      # once
    python benchmarks/lease_bench.py --db benchmarks/out/demo.duckdb
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from compiled import compile_code

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERY = "SELECT programme_id, count(*) FROM current_cases GROUP BY ALL ORDER BY programme_id"
"""A small page query: the work a cached page does is small; the open is what is measured."""


def _ms(times: list[float]) -> float:
    return round(1000 * statistics.median(times), 1)


def main() -> None:
    compile_code(ROOT)  # as a user's machine has it after a first run
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "benchmarks" / "out" / "demo.duckdb")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    import duckdb

    from evaluation.store.lease import StoreLease

    lease = StoreLease(args.db, idle_seconds=3600)
    held: list[float] = []
    reopened: list[float] = []
    bare: list[float] = []

    def page_run() -> float:
        start = time.perf_counter()
        with lease.use() as store:
            cur = store.cursor()
            cur.execute(QUERY).fetchall()
            cur.close()
        return time.perf_counter() - start

    page_run()  # warm: the first open also loads Python modules
    for _ in range(args.runs):  # A/B pair by pair, so a busy machine slows both alike
        held.append(page_run())
        lease.let_go()
        reopened.append(page_run())
    lease.let_go()
    conn = duckdb.connect(str(args.db), read_only=True)
    for _ in range(args.runs):
        start = time.perf_counter()
        cur = conn.cursor()
        cur.execute(QUERY).fetchall()
        cur.close()
        bare.append(time.perf_counter() - start)
    conn.close()
    out = {
        "store": str(args.db),
        "runs": args.runs,
        "held_ms": _ms(held),
        "reopened_ms": _ms(reopened),
        "bare_connection_ms": _ms(bare),
        "opens": lease.opened,
    }
    print(json.dumps(out, indent=2))
    (ROOT / "benchmarks" / "out").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "out" / "lease.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
