"""Report benchmark: one programme's full pack (XLSX, DOCX, HTML, PDF), the ministry's annual
PDF from the command line, switching the template on the Reports page and the XLSX batch for
every programme of a store, each against the bare libraries doing comparable work, in one run.

    python -m evaluation demo --db benchmarks/out/demo.duckdb                  # ~1 minute
    python -m evaluation demo --scale large --db benchmarks/out/large.duckdb   # once, ~15 min
    python benchmarks/reports_bench.py --pack-db benchmarks/out/demo.duckdb \\
        --batch-db benchmarks/out/large.duckdb
    python benchmarks/reports_bench.py --break-even     # when drawing charts in workers pays

*Pack*: ``ministry-annual`` (27 indicators, a chart each that has something to show, two
splits) for the first programme, for the latest financial year from April that is over; each
step timed in a warm process (imports done) one after the other, then the pack as a download or
``report`` writes it (one ``write_report``: the charts drawn in workers while the files are
written, as the dashboard has them once idle), then the same pack again from a new computation
(as a second download or a template switched back does: the chart images are kept by their
content). *Bare*: the engine's unprotected ``compute`` of the same indicators and periods plus
an openpyxl workbook of the tidy rows; it shows what the report adds (protection of everything
published together, narrative, charts, layout). *CLI*: ``report --formats pdf`` for that
programme in a fresh process, against a fresh process importing the same libraries
(DuckDB, pandas, fpdf2) and writing the bare compute's rows as a PDF table. *Page*: the Reports
page in Streamlit's AppTest, switching to each template once (after the dashboard's background
import of Great Expectations), against ``build_report`` of that template alone. *Batch*:
``report --all`` as the CLI runs it (a fresh process, XLSX only),
against the same bare work for all programmes in one process.

``--code DIR`` runs the same measurements against another checkout (e.g. the code before a
change, ``git archive HEAD | tar -x -C DIR``), so before and after come from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evaluation.periods import Period

from compiled import compile_code

ROOT = Path(__file__).resolve().parents[1]
CODE = ROOT
TEMPLATE = "ministry-annual"


def _use_code(code: Path) -> None:
    global CODE
    CODE = code.resolve()
    sys.path.insert(0, str(CODE))


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(CODE)}


def _period(store) -> Period:
    from evaluation.periods import period_of

    as_of = store.cursor().execute("SELECT max(data_as_of) FROM submissions").fetchall()[0][0]
    fy = period_of("financial_year", as_of, start_month=4)
    return fy if fy.end <= as_of else fy.previous()


def _first_programme(store) -> str:
    cur = store.cursor()
    return cur.execute("SELECT min(programme_id) FROM current_programmes").fetchall()[0][0]


def _bare_frame(store, template, period, programmes: list[str] | None):
    from evaluation.measures.catalogue import load_catalogue
    from evaluation.measures.engine import IndicatorRequest, compute
    from evaluation.reports.model import trend_periods
    from evaluation.reports.spec import headline_indicators, section_indicators

    catalogue = load_catalogue()
    inds = {i.key for i in headline_indicators(template, catalogue)}
    inds |= {i.key for s in template.sections for i in section_indicators(s, catalogue)}
    periods = tuple(dict.fromkeys([period, period.previous(), *trend_periods(template, period)]))
    return compute(
        store,
        IndicatorRequest(
            periods=periods, indicators=tuple(sorted(inds)), programmes=tuple(programmes or ())
        ),
    )


def _bare(store, template, period, programmes: list[str] | None, out: Path) -> float:
    from openpyxl import Workbook

    start = time.perf_counter()
    frame = _bare_frame(store, template, period, programmes)
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
    formats = ("xlsx", "docx", "html", "pdf")
    with Store.open(db, read_only=True) as store, tempfile.TemporaryDirectory() as tmp:
        period = _period(store)
        pid = _first_programme(store)
        _start_chart_workers()  # as the dashboard does once idle
        warm = build_report(store, template, pid, period)  # imports, catalogue, writers
        write_report(warm, Path(tmp) / "warm", list(formats))
        _clear_images()
        steps: dict[str, float] = {}  # one after the other, to show where the time goes
        start = time.perf_counter()
        report = build_report(store, template, pid, period)
        steps["build (engine, protection, narrative)"] = time.perf_counter() - start
        t = time.perf_counter()
        workers = os.cpu_count() or 1
        draw_charts(report, workers)  # alone here; a pack draws them while it writes
        for chart in report.charts:
            report.chart_png(chart)
        steps[f"chart images ({len(report.charts)}, matplotlib)"] = time.perf_counter() - t
        for fmt in formats:
            t = time.perf_counter()
            write_report(report, Path(tmp), [fmt])
            steps[fmt] = time.perf_counter() - t
        steps["one after the other"] = time.perf_counter() - start
        _clear_images()
        start = time.perf_counter()  # the pack as a download or `report` makes it
        report = build_report(store, template, pid, period)
        write_report(report, Path(tmp) / "pack", list(formats), chart_workers=workers)
        total = time.perf_counter() - start
        t = time.perf_counter()
        again = build_report(store, template, pid, period)
        write_report(again, Path(tmp) / "again", list(formats), chart_workers=workers)
        second = time.perf_counter() - t
        bare = _bare(store, template, period, [pid], Path(tmp))
    return {
        "programme": pid,
        "period": period.label,
        "charts": len(report.charts),
        "steps": steps,
        "total": total,
        "again": second,
        "bare": bare,
    }


def _start_chart_workers() -> None:
    """Start the chart workers' fork server, as the dashboard does (code without one starts
    nothing)."""
    from evaluation.reports import charts

    start = getattr(charts, "start_chart_workers", None)
    if start is not None:
        start()


def _clear_images() -> None:
    """Forget the chart images kept in this process (code that keeps none has nothing to clear)."""
    from evaluation.reports import charts

    clear = getattr(charts, "clear_pngs", None)
    if clear is not None:
        clear()


BARE_PDF = """
import sys, time
from pathlib import Path
sys.path.insert(0, {bench!r})
start = time.perf_counter()
import duckdb, pandas  # noqa: F401 - the libraries the report uses
from fpdf import FPDF
import matplotlib
from reports_bench import _bare_frame, _period, TEMPLATE
from evaluation.reports.spec import load_templates
from evaluation.store.database import Store
with Store.open({db!r}, read_only=True) as store:
    frame = _bare_frame(store, load_templates().get(TEMPLATE), _period(store), [{pid!r}])
pdf = FPDF()
fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
pdf.set_font("DejaVu", "", 7)
pdf.add_page()
for row in frame.itertuples(index=False):
    pdf.cell(0, 3.5, " | ".join(map(str, row[:8]))[:150], new_x="LMARGIN", new_y="NEXT")
pdf.output({out!r})
print(len(frame), pdf.pages_count)
"""


def cli(db: Path) -> dict:
    """``report --formats pdf`` for one programme in a fresh process, and its bare twin."""
    from pypdf import PdfReader

    from evaluation.store.database import Store

    with Store.open(db, read_only=True) as store:
        period, pid = _period(store), _first_programme(store)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "evaluation", "report", "--db", str(db)]
        cmd += ["--programme", pid, "--template", TEMPLATE, "--period", period.spec]
        cmd += ["--formats", "pdf", "--out", str(Path(tmp) / "ours")]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=CODE, env=_env(), capture_output=True)
        ours = time.perf_counter() - start
        pages = sum(len(PdfReader(str(p)).pages) for p in (Path(tmp) / "ours").glob("*.pdf"))
        script = BARE_PDF.format(
            bench=str(ROOT / "benchmarks"), db=str(db), pid=pid, out=str(Path(tmp) / "bare.pdf")
        )
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", script], check=True, cwd=CODE, env=_env(), capture_output=True
        )
        bare = time.perf_counter() - start
    return {"programme": pid, "pages": pages, "ours": ours, "bare": bare}


PAGE = """
import json, os, sys, time
sys.path.insert(0, {code!r})
os.environ["EVALUATION_DB"] = {db!r}
os.environ["EVALUATION_DEMO"] = "1"
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=900)
at.run()
start = time.perf_counter()
at.switch_page("evaluation/app/pages/reports.py").run()
out = {{"open": time.perf_counter() - start, "switch": {{}}}}
assert not at.exception, at.exception
# the dashboard imports Great Expectations in a background thread after the first page (for
# the first upload); it holds the GIL for seconds: switch templates once it is done
from evaluation.intake import expectations
warming = getattr(expectations, "_PREWARM", None)
if warming is not None:
    warming.join()
box = at.selectbox(key="reports_template")
first = box.value
ids = [t for t in {templates!r} if t != first]
for tid in ids + [first]:
    start = time.perf_counter()
    at.selectbox(key="reports_template").select(tid).run()
    assert not at.exception, at.exception
    out["switch"][tid] = time.perf_counter() - start
print(json.dumps(out))
"""


def page(db: Path) -> dict:
    """The Reports page: switching to each template once (AppTest, a fresh process, a copy of
    the store), against ``build_report`` of that template alone in a warm process."""
    from evaluation.reports.model import build_report
    from evaluation.reports.spec import load_templates, period_choices
    from evaluation.store.access import Scope
    from evaluation.store.database import Store
    from evaluation.views.programmes import programmes_in_scope

    templates = [t.id for t in load_templates()]
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "store.duckdb"
        shutil.copy(db, copy)
        if Path(f"{db}.secret").exists():
            shutil.copy(f"{db}.secret", f"{copy}.secret")
        script = PAGE.format(
            code=str(CODE), db=str(copy), app=str(CODE / "streamlit_app.py"), templates=templates
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            check=True,
            cwd=CODE,
            env=_env(),
            capture_output=True,
            text=True,
        )
        out = json.loads(done.stdout.strip().splitlines()[-1])
    bare: dict[str, float] = {}
    with Store.open(db, read_only=True) as store:
        info = programmes_in_scope(store.cursor(), Scope.everything()).iloc[0]
        for template in load_templates():
            period = period_choices(template, info["data_as_of"], info["first_date"])[0]
            start = time.perf_counter()
            build_report(store, template, info["programme_id"], period)
            bare[template.id] = time.perf_counter() - start
    out["bare"] = bare
    return out


def break_even(db: Path, counts: tuple[int, ...] = (2, 3, 4, 6, 8, 16)) -> list[dict]:
    """Charts drawn in this process against a pool of 2 workers started for them (as
    ``draw_charts`` would), for ``counts`` distinct charts (the report's, retitled), with the
    fork server started with the chart modules imported (as ``report`` and the dashboard have
    it; without it a pool pays from ~100 charts, ``MIN_PARALLEL_CHARTS``)."""
    import dataclasses

    from evaluation.reports.charts import to_png
    from evaluation.reports.model import build_report
    from evaluation.reports.pack import draw_charts
    from evaluation.reports.spec import load_templates
    from evaluation.store.database import Store

    _start_chart_workers()
    template = load_templates().get(TEMPLATE)
    with Store.open(db, read_only=True) as store:
        report = build_report(store, template, _first_programme(store), _period(store))
    base = [c for c in report.charts if c.empty_sentence is None]
    to_png(base[0])
    rows = []
    for n in counts:
        for how, workers, least in (("here", 1, None), ("pool", 2, 1)):
            _clear_images()
            charts = [
                dataclasses.replace(base[k % len(base)], title=f"{base[k % len(base)].title} {k}")
                for k in range(n)
            ]
            report.sections[0].charts[:] = charts
            for s in report.sections[1:]:
                s.charts[:] = []
            report.chart_images.clear()
            start = time.perf_counter()
            draw_charts(report, workers, min_parallel=least)
            rows.append({"charts": n, "how": how, "seconds": time.perf_counter() - start})
            print(f"  {n:4d} charts, {how}: {rows[-1]['seconds']:6.2f} s", flush=True)
    return rows


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
        subprocess.run(cmd, check=True, cwd=CODE, env=_env(), stdout=subprocess.DEVNULL)
        ours = time.perf_counter() - start
        files = len(list((Path(tmp) / "ours").glob("*.xlsx")))
        template = load_templates().get(TEMPLATE)
        (Path(tmp) / "bare").mkdir()
        with Store.open(db, read_only=True) as store:
            bare = _bare(store, template, period, None, Path(tmp) / "bare")
    return {"programmes": n, "files": files, "period": period.label, "ours": ours, "bare": bare}


def main() -> None:
    compile_code(ROOT)  # as a user's machine has it after a first run
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack-db", type=Path, default=ROOT / "benchmarks" / "out" / "demo.duckdb")
    parser.add_argument(
        "--batch-db", type=Path, default=ROOT / "benchmarks" / "out" / "large.duckdb"
    )
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--skip-page", action="store_true")
    parser.add_argument("--break-even", action="store_true", help="only the chart break-even")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to measure")
    args = parser.parse_args()
    _use_code(args.code)
    compile_code(CODE)
    print(f"Code: {CODE}")
    if args.break_even:
        print("Chart images: in this process against a pool of 2 workers (fork server warm)")
        break_even(args.pack_db)
        return
    out = {"pack": pack(args.pack_db)}
    p = out["pack"]
    print(f"Pack: {TEMPLATE}, {p['programme']}, {p['period']}, {p['charts']} charts")
    for step, seconds in p["steps"].items():
        print(f"  {step:<40} {seconds:6.2f} s")
    print(
        f"  {'the pack (one call, as a download)':<40} {p['total']:6.2f} s   "
        f"(bare compute + workbook: {p['bare']:.2f} s)"
    )
    print(f"  {'again (new computation, images kept)':<40} {p['again']:6.2f} s")
    if not args.skip_cli:
        out["cli"] = c = cli(args.pack_db)
        print(
            f"CLI: report --formats pdf, {c['programme']}, {c['pages']} pages, fresh process: "
            f"{c['ours']:.2f} s (bare: same libraries, rows as a PDF table: {c['bare']:.2f} s)"
        )
    if not args.skip_page:
        out["page"] = g = page(args.pack_db)
        print(f"Reports page (AppTest): open {g['open']:.2f} s; switching the template to")
        for tid, seconds in g["switch"].items():
            print(f"  {tid:<40} {seconds:6.2f} s   (build_report alone: {g['bare'][tid]:.2f} s)")
    if not args.skip_batch:
        out["batch"] = b = batch(args.batch_db, args.workers)
        print(
            f"Batch: {b['files']} XLSX reports of {b['programmes']} programmes, "
            f"{b['period']}: {b['ours']:.1f} s (bare compute + workbooks: {b['bare']:.1f} s)"
        )
    (ROOT / "benchmarks" / "out").mkdir(parents=True, exist_ok=True)
    name = "reports.json" if CODE == ROOT else "reports-other-code.json"
    (ROOT / "benchmarks" / "out" / name).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
