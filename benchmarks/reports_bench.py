"""Report benchmark: one programme's full pack (XLSX, DOCX, HTML, PDF) and the XLSX batch for
every programme of a store, against the bare libraries doing comparable work, in one run.

    python -m evaluation demo --db benchmarks/out/demo.duckdb                  # ~1 minute
    python -m evaluation demo --scale large --db benchmarks/out/large.duckdb   # once, ~15 min
    python benchmarks/reports_bench.py --pack-db benchmarks/out/demo.duckdb \\
        --batch-db benchmarks/out/large.duckdb

*Pack*: ``ministry-annual`` (27 indicators, 27 charts, two splits) for the first programme, for
the latest financial year from April that is over; each step timed in a warm process (imports
done). *Bare*: the engine's unprotected ``compute`` of the same indicators and periods plus an
openpyxl workbook of the tidy rows; it shows what the report adds (protection of everything
published together, narrative, charts, layout). *Batch*: ``report --all`` as the CLI runs it
(a fresh process, XLSX only), against the same bare work for all programmes in one process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TEMPLATE = "ministry-annual"


def _period(store) -> object:
    from evaluation.periods import period_of

    as_of = store.cursor().execute("SELECT max(data_as_of) FROM submissions").fetchall()[0][0]
    fy = period_of("financial_year", as_of, start_month=4)
    return fy if fy.end <= as_of else fy.previous()


def _bare(store, template, period, programmes: list[str] | None, out: Path) -> float:
    from openpyxl import Workbook

    from evaluation.measures.catalogue import load_catalogue
    from evaluation.measures.engine import IndicatorRequest, compute
    from evaluation.reports.model import trend_periods
    from evaluation.reports.spec import headline_indicators, section_indicators

    catalogue = load_catalogue()
    inds = {i.key for i in headline_indicators(template, catalogue)}
    inds |= {i.key for s in template.sections for i in section_indicators(s, catalogue)}
    periods = tuple(dict.fromkeys([period, period.previous(), *trend_periods(template, period)]))
    start = time.perf_counter()
    frame = compute(
        store,
        IndicatorRequest(
            periods=periods, indicators=tuple(sorted(inds)), programmes=tuple(programmes or ())
        ),
    )
    for pid, rows in frame.groupby("programme_id"):
        wb = Workbook()
        ws = wb.active
        ws.append(list(rows.columns))
        for r in rows.astype(object).where(rows.notna(), None).itertuples(index=False):
            ws.append([str(v) if hasattr(v, "isoformat") else v for v in r])
        wb.save(out / f"bare_{pid}.xlsx")
    return time.perf_counter() - start


def pack(db: Path) -> dict:
    from evaluation.reports.model import build_report
    from evaluation.reports.pack import draw_charts, write_report
    from evaluation.reports.spec import load_templates
    from evaluation.store.database import Store

    template = load_templates().get(TEMPLATE)
    with Store.open(db, read_only=True) as store, tempfile.TemporaryDirectory() as tmp:
        period = _period(store)
        pid = (
            store.cursor()
            .execute("SELECT min(programme_id) FROM current_programmes")
            .fetchall()[0][0]
        )
        build_report(store, template, pid, period)  # warm: imports, catalogue
        steps: dict[str, float] = {}
        start = time.perf_counter()
        report = build_report(store, template, pid, period)
        steps["build (engine, protection, narrative)"] = time.perf_counter() - start
        t = time.perf_counter()
        workers = os.cpu_count() or 1
        draw_charts(report, workers)  # as `report` does; then each one is cached
        for chart in report.charts:
            report.chart_png(chart)
        steps[f"chart images (matplotlib, {workers} processes)"] = time.perf_counter() - t
        for fmt in ("xlsx", "docx", "html", "pdf"):
            t = time.perf_counter()
            write_report(report, Path(tmp), [fmt])
            steps[fmt] = time.perf_counter() - t
        total = time.perf_counter() - start
        bare = _bare(store, template, period, [pid], Path(tmp))
    return {
        "programme": pid,
        "period": period.label,
        "charts": len(report.charts),
        "steps": steps,
        "total": total,
        "bare": bare,
    }


def batch(db: Path, workers: int | None) -> dict:
    from evaluation.reports.spec import load_templates
    from evaluation.store.database import Store

    with Store.open(db, read_only=True) as store:
        period = _period(store)
        n = store.cursor().execute("SELECT count(*) FROM current_programmes").fetchall()[0][0]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "evaluation",
            "report",
            "--db",
            str(db),
            "--all",
            "--period",
            period.spec,
            "--template",
            TEMPLATE,
            "--formats",
            "xlsx",
            "--out",
            str(Path(tmp) / "ours"),
        ]
        if workers:
            cmd += ["--workers", str(workers)]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        ours = time.perf_counter() - start
        files = len(list((Path(tmp) / "ours").glob("*.xlsx")))
        template = load_templates().get(TEMPLATE)
        (Path(tmp) / "bare").mkdir()
        with Store.open(db, read_only=True) as store:
            bare = _bare(store, template, period, None, Path(tmp) / "bare")
    return {"programmes": n, "files": files, "period": period.label, "ours": ours, "bare": bare}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack-db", type=Path, default=ROOT / "benchmarks" / "out" / "demo.duckdb")
    parser.add_argument(
        "--batch-db", type=Path, default=ROOT / "benchmarks" / "out" / "large.duckdb"
    )
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--skip-batch", action="store_true")
    args = parser.parse_args()
    out = {"pack": pack(args.pack_db)}
    p = out["pack"]
    print(f"Pack: {TEMPLATE}, {p['programme']}, {p['period']}, {p['charts']} charts")
    for step, seconds in p["steps"].items():
        print(f"  {step:<40} {seconds:6.2f} s")
    print(
        f"  {'all four formats':<40} {p['total']:6.2f} s   (bare compute + workbook: "
        f"{p['bare']:.2f} s)"
    )
    if not args.skip_batch:
        out["batch"] = b = batch(args.batch_db, args.workers)
        print(
            f"Batch: {b['files']} XLSX reports of {b['programmes']} programmes, "
            f"{b['period']}: {b['ours']:.1f} s (bare compute + workbooks: {b['bare']:.1f} s)"
        )
    (ROOT / "benchmarks" / "out").mkdir(parents=True, exist_ok=True)
    (ROOT / "benchmarks" / "out" / "reports.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
