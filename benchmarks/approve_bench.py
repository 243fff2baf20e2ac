"""Approval benchmark: every programme of the large demo approved for a year and its quarters,
against protection done one programme after the other and against the bare linear programs.

    python -m evaluation demo --scale large --db benchmarks/out/large.duckdb   # once, ~15 min
    python benchmarks/approve_bench.py --db benchmarks/out/large.duckdb

*Approval*: ``approve_each`` of every programme for ``2025`` and its four quarters, one release
per organisation, on a copy of the store (the original is left as it is), with the progress the
command line shows; its phases are timed from the progress messages (the engine's figures, the
protection, storing the releases). *Serial*: the first ``--sample`` programmes' cells protected
in this process, one after the other, beside the same cells protected in worker processes (the
outputs must be equal). *Bare*: every linear program the serial sample solved, solved again
afresh with scipy's ``linprog`` (HiGHS): what the linear programs alone cost with the bare
library, beside everything protection does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from compiled import compile_code

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PERIODS = "2025,2025-Q1,2025-Q2,2025-Q3,2025-Q4"


def approval(db: Path, periods: str) -> dict:
    """The whole approval on a copy of ``db``, timed by phase."""
    from evaluation.periods import parse_periods
    from evaluation.progress import ConsoleProgress
    from evaluation.sharing.releases import approve_each
    from evaluation.store.database import Store
    from evaluation.store.users import OPERATOR

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "store.duckdb"
        shutil.copy(db, copy)
        if db.with_suffix(db.suffix + ".wal").exists():
            shutil.copy(db.with_suffix(db.suffix + ".wal"), copy.with_suffix(".duckdb.wal"))
        marks: dict[str, float] = {}
        console = ConsoleProgress()

        def progress(message: str, fraction: float) -> None:
            now = time.perf_counter()
            if message.startswith("Protecting the figures"):
                marks.setdefault("engine", now)
            if message.startswith("Storing the release"):
                marks.setdefault("protection", now)
            console(message, fraction)

        with Store.open(copy) as store:
            programmes = [
                r[0]
                for r in store.cursor()
                .execute("SELECT programme_id FROM current_programmes ORDER BY 1")
                .fetchall()
            ]
            start = time.perf_counter()
            releases = approve_each(
                store, programmes, parse_periods(periods), actor=OPERATOR, progress=progress
            )
            end = time.perf_counter()
            cells, hidden = (
                store.cursor()
                .execute("SELECT count(*), count(*) FILTER (suppressed) FROM release_cells")
                .fetchall()[0]
            )
    return {
        "programmes": len(programmes),
        "releases": len(releases),
        "cells": int(cells),
        "hidden": int(hidden),
        "engine": marks["engine"] - start,
        "protection": marks["protection"] - marks["engine"],
        "storing": end - marks["protection"],
        "total": end - start,
    }


def sample(db: Path, periods: str, n: int, workers: int) -> dict:
    """The first ``n`` programmes protected serially, in ``workers`` processes, and their
    linear programs solved bare."""
    import numpy as np
    import pandas as pd
    from scipy.optimize import linprog

    from evaluation.measures.catalogue import load_catalogue
    from evaluation.periods import parse_periods
    from evaluation.sharing.disclosure import DisclosureSettings
    from evaluation.sharing.disclosure.solver import Solver
    from evaluation.sharing.releases.protect import protect_release
    from evaluation.sharing.releases.tables import table_set
    from evaluation.store.database import Store

    catalogue = load_catalogue()
    with Store.open(db, read_only=True) as store:
        cur = store.cursor()
        programmes = [
            r[0]
            for r in cur.execute(
                "SELECT programme_id FROM current_programmes ORDER BY 1 LIMIT ?", [n]
            ).fetchall()
        ]
        cells = table_set(cur, programmes, parse_periods(periods), catalogue)
    cells["virtual"] = False  # a year and its quarters leave no pieces
    infos = {i.id: i for i in catalogue.latest()}
    settings = DisclosureSettings()
    none = cells.iloc[0:0]

    problems: list[tuple] = []
    extreme, point = Solver.extreme, Solver.point

    def recorded_extreme(self: Solver, j: int, sign: float):
        c = np.zeros(self.n)
        c[j] = sign
        problems.append((self.a_eq, self.b_eq, c, None))
        return extreme(self, j, sign)

    def recorded_point(self: Solver, cols: np.ndarray, sign: float, cap: float):
        c = np.zeros(self.n)
        c[cols] = sign
        problems.append((self.a_eq, self.b_eq, c, cap))
        return point(self, cols, sign, cap)

    Solver.extreme, Solver.point = recorded_extreme, recorded_point  # type: ignore[method-assign]
    try:
        start = time.perf_counter()
        serial = protect_release(cells, none, {}, infos, settings, workers=1)
        serial_s = time.perf_counter() - start
    finally:
        Solver.extreme, Solver.point = extreme, point  # type: ignore[method-assign]
    start = time.perf_counter()
    parallel = protect_release(cells, none, {}, infos, settings, workers=workers)
    parallel_s = time.perf_counter() - start
    pd.testing.assert_frame_equal(serial, parallel)
    start = time.perf_counter()
    for a_eq, b_eq, c, cap in problems:
        linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, cap), method="highs")
    bare_s = time.perf_counter() - start
    return {
        "programmes": len(programmes),
        "cells": len(cells),
        "hidden": int(serial["suppressed"].sum()),
        "workers": workers,
        "serial": serial_s,
        "parallel": parallel_s,
        "linear_programs": len(problems),
        "bare_linprog": bare_s,
    }


def main() -> None:
    compile_code(ROOT)  # as a user's machine has it after a first run
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "benchmarks" / "out" / "large.duckdb")
    parser.add_argument("--periods", default=PERIODS)
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--skip-approval", action="store_true")
    args = parser.parse_args()
    out: dict = {"machine": {"processors": os.cpu_count(), "load": os.getloadavg()}}
    out["sample"] = s = sample(args.db, args.periods, args.sample, args.workers)
    print(
        f"Sample: {s['programmes']} programmes, {s['cells']} cells ({s['hidden']} hidden): "
        f"serial {s['serial']:.1f} s, {s['workers']} workers {s['parallel']:.1f} s; "
        f"its {s['linear_programs']} linear programs alone, bare linprog: {s['bare_linprog']:.1f} s"
    )
    if not args.skip_approval:
        out["approval"] = a = approval(args.db, args.periods)
        print(
            f"Approval: {a['programmes']} programmes × {args.periods} → {a['releases']} releases, "
            f"{a['cells']} cells ({a['hidden']} hidden): engine {a['engine']:.0f} s, protection "
            f"{a['protection']:.0f} s, storing {a['storing']:.0f} s, total {a['total']:.0f} s"
        )
    out["machine"]["load_after"] = os.getloadavg()
    (ROOT / "benchmarks" / "out").mkdir(parents=True, exist_ok=True)
    (ROOT / "benchmarks" / "out" / "approve.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
