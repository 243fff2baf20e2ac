"""Demo benchmark: ``serve --demo`` from a fresh store to its first page, and ``demo --scale
large``, each beside its bare twin from the same run.

    python benchmarks/demo_bench.py                 # serve --demo (~1 min)
    python benchmarks/demo_bench.py --full          # also the real load (the old first start)
    python benchmarks/demo_bench.py --large         # also demo --scale large (minutes)
    python benchmarks/demo_bench.py --large --serial  # and the same in one process

*serve --demo*: ``python -m evaluation serve --demo --db NEW`` on a store file that does not
exist yet, as on a fresh install, timed from the start of the command until the server answers
its health check, and until the first page (Upload, as the demo's CSO manager) is done in
headless Chromium (``scripts/appdriver.py``: script finished, its elements drawn, quiet). The
browser is started before the clock. Bare twin: ``streamlit run`` of a one-line page, timed
the same way; and the copy of the shipped files the store is filled from.

*--full*: the first start as it was before the prebuilt store: ``serve --demo`` with the
shipped copy hidden, so it loads the demo the real way (``load_demo``: generate, write, check
and load every package, approve the releases), timed the same way.

*--large*: ``python -m evaluation demo --scale large`` into a new store, its phases read from
its progress lines; bare twin: DuckDB's ``read_csv`` of the same CSV files into tables of a new
database file (no checks, no types from the format). *--serial*: the same packages loaded one
after another in one process, as before the worker processes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compiled import compile_code

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.appdriver import (  # noqa: E402
    PAGES,
    VIEWPORT,
    Driver,
    Spec,
    free_port,
    healthy,
    launch,
    stop,
)

HELLO = Spec("", "Hello")
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}


def _first_page(pw_browser: object, cmd: list[str], spec: Spec, log: Path) -> tuple[float, float]:
    """Run ``cmd`` (a server on the port its last ``--server.port``/``--port`` names); seconds
    from its start until it answers, and until ``spec``'s page is done in a new tab."""
    port = int(cmd[cmd.index("--port" if "--port" in cmd else "--server.port") + 1])
    url = f"http://localhost:{port}"
    with log.open("wb") as out:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=ENV, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            while not healthy(url):
                if proc.poll() is not None or time.monotonic() - t0 > 600:
                    raise SystemExit(f"{cmd[:4]} did not start; see {log}")
                time.sleep(0.05)
            up = time.monotonic() - t0
            context = pw_browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
            goto = time.monotonic() - t0
            driver = Driver.open(context, url)
            ms = driver.settle(spec, 0.0, 0)
            context.close()
            return up, goto + ms / 1000
        finally:
            stop(proc)


def bench_serve(work: Path, rounds: int) -> list[tuple[str, float, str, float]]:
    from playwright.sync_api import sync_playwright

    hello = work / "hello.py"
    hello.write_text('import streamlit as st\n\nst.title("Hello")\n')
    ours_up, ours_page, bare_up, bare_page = [], [], [], []
    with sync_playwright() as pw:
        browser = launch(pw)
        for n in range(rounds):
            db = work / f"fresh{n}" / "evaluation.duckdb"
            cmd = [sys.executable, "-m", "evaluation", "serve", "--demo", "--db", str(db)]
            up, page = _first_page(
                browser, [*cmd, "--port", str(free_port())], PAGES["Upload"], work / "ours.log"
            )
            ours_up.append(up)
            ours_page.append(page)
            bare = [sys.executable, "-m", "streamlit", "run", str(hello), "--server.headless"]
            bare += ["true", "--browser.gatherUsageStats", "false"]
            up, page = _first_page(
                browser, [*bare, "--server.port", str(free_port())], HELLO, work / "bare.log"
            )
            bare_up.append(up)
            bare_page.append(page)
            print(
                f"round {n + 1}: ours {ours_up[-1]:.1f} s up, {ours_page[-1]:.1f} s page; "
                f"bare {bare_up[-1]:.1f} s up, {bare_page[-1]:.1f} s page",
                flush=True,
            )
        browser.close()
    return [
        ("serve --demo: server answers", min(ours_up), "streamlit run hello.py", min(bare_up)),
        ("serve --demo: first page done", min(ours_page), "its page done", min(bare_page)),
    ]


def bench_restore(work: Path) -> list[tuple[str, float, str, float]]:
    from evaluation.demo.prebuilt import PREBUILT, restore
    from evaluation.store.database import Store

    t = time.perf_counter()
    with Store.open(work / "restore" / "x.duckdb") as store:
        opened = time.perf_counter() - t
        t = time.perf_counter()
        if not restore(store, work / "restore" / "demo"):
            raise SystemExit(f"the prebuilt demo in {PREBUILT} does not fit this version")
        restored = time.perf_counter() - t
    t = time.perf_counter()
    shutil.copytree(PREBUILT, work / "copy")
    copied = time.perf_counter() - t
    return [
        ("  a new store (schema)", opened, "", float("nan")),
        ("  prebuilt demo copied in", restored, "copying its files", copied),
    ]


OLD_START = (
    "import sys; from pathlib import Path; import evaluation.demo.prebuilt as p; "
    "p.PREBUILT = Path('/nonexistent'); from evaluation.cli import main; sys.exit(main())"
)
"""``python -m evaluation`` with the prebuilt copy hidden: the first start before it existed."""


def bench_full(work: Path) -> list[tuple[str, float, str, float]]:
    from playwright.sync_api import sync_playwright

    db = work / "full" / "evaluation.duckdb"
    cmd = [sys.executable, "-c", OLD_START, "serve", "--demo", "--db", str(db)]
    with sync_playwright() as pw:
        browser = launch(pw)
        up, page = _first_page(
            browser, [*cmd, "--port", str(free_port())], PAGES["Upload"], work / "full.log"
        )
        browser.close()
    print(f"the real load: {up:.1f} s up, {page:.1f} s page", flush=True)
    return [
        ("before: the real load, server answers", up, "", float("nan")),
        ("before: the real load, first page done", page, "", float("nan")),
    ]


PROGRESS = re.compile(r"\[\s*[\d.,]+ %\s+([\d.,]+)s\] (.*)")


def bench_large(work: Path, serial: bool) -> list[tuple[str, float, str, float]]:
    import duckdb

    out, db = work / "large" / "demo", work / "large" / "x.duckdb"
    cmd = [sys.executable, "-m", "evaluation", "demo", "--scale", "large"]
    cmd += ["--db", str(db), "--out", str(out)]
    t = time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, check=True)
    total = time.monotonic() - t
    marks: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if m := PROGRESS.match(line):
            seconds, message = float(m.group(1).replace(",", "")), m.group(2)
            if message.startswith("generated"):
                marks["generated"] = seconds
            elif message.startswith("wrote"):
                marks["written"] = seconds
            elif message.startswith("Copying the packages"):
                marks["merge"] = seconds
            elif message.startswith("Demo data loaded"):
                marks["end"] = seconds
    t = time.monotonic()
    con = duckdb.connect(str(work / "large" / "bare.duckdb"))
    names = sorted({p.stem for p in out.glob("*/*.csv")})
    for name in names:
        con.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, union_by_name = true, "
            "all_varchar = true)",
            [str(out / "*" / f"{name}.csv")],
        )
    con.close()
    bare = time.monotonic() - t
    nan = float("nan")
    gen, wrote = marks.get("generated", nan), marks.get("written", nan)
    merge = marks.get("end", nan) - marks.get("merge", nan)
    rows = [
        ("demo --scale large", total, "DuckDB read_csv of its CSVs", bare),
        ("  generating", gen, "", float("nan")),
        ("  writing the packages (end)", wrote, "", float("nan")),
        ("  copying the helpers' stores in", merge, "", float("nan")),
    ]
    if serial:
        t = time.monotonic()
        subprocess.run(
            [sys.executable, "-c", SERIAL, str(work / "serial" / "x.duckdb"), str(out)],
            cwd=ROOT,
            env=ENV,
            capture_output=True,
            check=True,
        )
        rows.append(("  the same in one process", time.monotonic() - t, "", float("nan")))
    return rows


SERIAL = (
    "import sys; from pathlib import Path; from evaluation.demo.load import load_demo; "
    "from evaluation.store.database import Store; s = Store.open(Path(sys.argv[1])); "
    "load_demo(s, Path(sys.argv[2]), scale='large', workers=1); s.close()"
)
"""``demo --scale large`` as it was before the worker processes: one package after another."""


def main() -> None:
    compile_code(ROOT)  # as a user's machine has it after a first run
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="fresh starts (the best counts)")
    parser.add_argument("--full", action="store_true", help="also time the real demo load")
    parser.add_argument("--large", action="store_true", help="also time demo --scale large")
    parser.add_argument(
        "--serial", action="store_true", help="with --large: also in one process, as before"
    )
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep it")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="demo-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = bench_serve(work, args.rounds) + bench_restore(work)
    if args.full:
        rows += bench_full(work)
    if args.large:
        rows += bench_large(work, args.serial)
    print(f"\n{'figure':<40} {'ours':>8}   {'bare twin':<30} {'bare':>8}  ratio")
    for label, ours, twin, bare in rows:
        ratio = f"{ours / bare:5.1f}×" if bare == bare and bare > 0 else ""
        bare_text = f"{bare:7.2f}s" if bare == bare else ""
        print(f"{label:<40} {ours:7.2f}s   {twin:<30} {bare_text:>8}  {ratio}")
    print(f"\n{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
