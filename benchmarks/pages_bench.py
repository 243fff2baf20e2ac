"""Page benchmark: how long each dashboard page takes to answer in a real browser.

    python -m evaluation demo --db /tmp/demo/x.duckdb                         # ~1 min
    python benchmarks/pages_bench.py --db /tmp/demo/x.duckdb --label demo
    python -m evaluation demo --scale large --db /tmp/large/x.duckdb --out /tmp/large/demo
    python benchmarks/pages_bench.py --db /tmp/large/x.duckdb --label large  # ~14 min to build
    python benchmarks/pages_bench.py --db /tmp/demo/x.duckdb --role funder    # funder's pages

Starts ``python -m evaluation serve --demo --db DB`` (a fresh server: every cache cold), opens
it in headless Chromium at 1280 × 900 and uses the demo role switcher. Each page is opened by
clicking its link in the navigation, as a person would, and timed from the click until the
page is done (see ``scripts/appdriver.py``: script finished, the page's charts, tables and tiles
drawn, nothing stale or running, then quiet). *First visit*: the first time any session opens
the page with that role's scope on this server (the results are computed). *Later visit*: the
median of ``--rounds`` further visits (the results come from the caches). A screenshot of every
timed page is saved in ``--shots`` to check that what was timed was complete.

The funder's pages read every figure from the approved releases (the demo approves one per
organisation): ``--role funder`` times only those (and the app's first load); ``--page Reports``
only the pages of that title (repeatable).

The bare twins: in the same run, before our server starts, two minimal Streamlit apps are each
served by ``streamlit run`` with the same flags on another port and timed the same way to their
first page done, each in a fresh browser context of the same browser: one title alone (the floor
of any first page of a fresh Streamlit server in this browser) and the twin of the Upload page
(a title, text, a download button, a file uploader, a button and a small table, importing pandas
as its first run does). Both are printed beside the app's first load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from compiled import compile_code

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.appdriver import (  # noqa: E402
    DOWNLOAD,
    TABLE,
    VIEWPORT,
    Driver,
    Spec,
    free_port,
    healthy,
    launch,
    serve,
    server_flags,
    stop,
)

# (role in the demo switcher, its label there, the pages it opens); the first page of the
# first role is where the app opens.
ROLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "cso_manager",
        "CSO manager",
        (
            "Upload",
            "Submissions",
            "Data overview",
            "Programme",
            "Indicator explorer",
            "Reports",
            "Indicator catalogue",
        ),
    ),
    ("funder", "Funder", ("Data overview", "Indicator explorer", "Comparison", "Reports")),
    ("admin", "Administrator", ("Comparison", "Users")),
)
NEUTRAL = "Indicator catalogue"  # every role may open it: roles are switched on this page

BARE_APP = """\
import pandas as pd
import streamlit as st

st.set_page_config(page_title="Bare twin", layout="wide")
st.title("Bare twin")
st.markdown("What the Upload page shows, and nothing of ours.")
st.download_button("Blank template", data=b"x", file_name="x.txt")
st.file_uploader("A package", type=["xlsx", "zip"])
st.button("Load")
st.dataframe(pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}))
"""
BARE_SPEC = Spec(
    "Bare twin",
    "Bare twin",
    (('[data-testid="stFileUploaderDropzone"]', 1), (DOWNLOAD, 1), (TABLE, 1)),
)
BARE_TITLE_APP = 'import streamlit as st\n\nst.title("Bare title")\n'
BARE_TITLE_SPEC = Spec("Bare title", "Bare title")
"""The floor of any first page: a fresh server's page with one title."""


@contextmanager
def serve_bare(log: Path, source: str = BARE_APP) -> Iterator[str]:
    """``source`` (a script) served by ``streamlit run`` with the dashboard's server flags;
    yields its URL."""
    with tempfile.TemporaryDirectory(prefix="bare-twin-") as tmp:
        app = Path(tmp) / "bare_app.py"
        app.write_text(source, encoding="utf-8")
        port = free_port()
        url = f"http://localhost:{port}"
        cmd = [sys.executable, "-m", "streamlit", "run", str(app), *server_flags(port)]
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=tmp,
                env=dict(os.environ),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                deadline = time.monotonic() + 120
                while not healthy(url):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"The bare twin did not start; see {log}.")
                    time.sleep(0.25)
                yield url
            finally:
                stop(proc)


def bare_first_page(
    browser: object, log: Path, settle: float, source: str = BARE_APP, spec: Spec = BARE_SPEC
) -> float:
    """Milliseconds from opening a bare app's address (a fresh server, a fresh browser
    context) to its first page done."""
    with serve_bare(log, source) as url:
        context = browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
        time.sleep(settle)
        driver = Driver.open(context, url)
        ms = driver.first_page(spec)
        context.close()
    return ms


def run(
    db: Path,
    label: str,
    rounds: int,
    shots: Path,
    log: Path,
    skip: frozenset[str] = frozenset(),
    settle: float = 0.0,
    bare: bool = True,
) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    first: dict[str, float] = {}
    later: dict[str, list[float]] = {}
    bare_ms: float | None = None
    title_ms: float | None = None
    t0 = time.monotonic()
    with sync_playwright() as pw:
        browser = launch(pw)
        if bare:  # before our server, each in a fresh server and browser context as ours
            bare_log = log.with_name("bare-twin-server.log")
            title_ms = bare_first_page(browser, bare_log, settle, BARE_TITLE_APP, BARE_TITLE_SPEC)
            print(f"first  {'bare title (streamlit run)':40s} {title_ms:8.0f} ms", flush=True)
            bare_ms = bare_first_page(browser, bare_log, settle)
            print(f"first  {'bare twin (streamlit run)':40s} {bare_ms:8.0f} ms", flush=True)
        result = _run_app(db, log, browser, rounds, shots, label, skip, settle, first, later)
        browser.close()
    return {
        "label": label,
        "db": str(db),
        "rounds": rounds,
        "settle_seconds": settle,
        "first_ms": first,
        "later_ms": later,
        "bare_twin_first_ms": bare_ms,
        "bare_title_first_ms": title_ms,
        "browser_errors": result,
        "wall_seconds": round(time.monotonic() - t0, 1),
    }


def _run_app(
    db: Path,
    log: Path,
    browser: object,
    rounds: int,
    shots: Path,
    label: str,
    skip: frozenset[str],
    settle: float,
    first: dict[str, float],
    later: dict[str, list[float]],
) -> list[str]:
    """Our dashboard: the first load, then every page's first and later visits; the errors
    the page logged."""
    with serve(db, log, demo=True) as url:
        context = browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
        time.sleep(settle)  # a person opening the address the server printed
        driver = Driver.open(context, url)
        role_now = "cso_manager"
        first["cso_manager/Upload"] = driver.first_page("Upload")
        page_now = "Upload"

        def visit(role: str, title: str) -> float:
            nonlocal role_now, page_now
            if role != role_now:
                if page_now != NEUTRAL:
                    driver.open_page(NEUTRAL)
                driver.switch_role(next(lbl for r, lbl, _ in ROLES if r == role), NEUTRAL)
                role_now, page_now = role, NEUTRAL
            ms = driver.open_page(title)
            page_now = title
            return ms

        for role, _, titles in ROLES:
            for title in titles:
                key = f"{role}/{title}"
                if key in first or key in skip:
                    continue
                first[key] = visit(role, title)
                driver.screenshot(shots / f"{label}-{role}-{title.replace(' ', '_')}.png")
                print(f"first  {key:40s} {first[key]:8.0f} ms", flush=True)
        for n in range(rounds):
            for role, _, titles in ROLES:
                for title in titles:
                    key = f"{role}/{title}"
                    if key in skip:
                        continue
                    ms = visit(role, title)
                    later.setdefault(key, []).append(ms)
                    print(f"later{n + 1} {key:40s} {ms:8.0f} ms", flush=True)
        errors = list(driver.errors)
        context.close()
    return errors


def table(result: dict[str, object], aim_ms: float) -> str:
    first: dict[str, float] = result["first_ms"]  # type: ignore[assignment]
    later: dict[str, list[float]] = result["later_ms"]  # type: ignore[assignment]
    lines = [
        f"| page (role) | store | first visit | later visit, median (max) | "
        f"aim {aim_ms / 1000:g} s |",
        "|---|---|---:|---:|---|",
    ]
    for key, ms in first.items():
        role, title = key.split("/", 1)
        runs = later.get(key, [])
        med = statistics.median(runs) if runs else float("nan")
        worst = max(runs) if runs else float("nan")
        met = "met" if runs and worst <= aim_ms else "**not met**" if runs else "first load only"
        lines.append(
            f"| {title} ({role}) | {result['label']} | {ms / 1000:.2f} s | "
            f"{med / 1000:.2f} s ({worst / 1000:.2f} s) | {met} |"
        )
    bare = result.get("bare_twin_first_ms")
    if isinstance(bare, float | int):
        lines.append(
            f"| bare twin: `streamlit run` of a title, uploader, buttons, a table (its first "
            f"page) | — | {bare / 1000:.2f} s | — | the Upload page's floor |"
        )
    floor = result.get("bare_title_first_ms")
    if isinstance(floor, float | int):
        lines.append(
            f"| bare title: `streamlit run` of one title (its first page) | — | "
            f"{floor / 1000:.2f} s | — | any first page's floor |"
        )
    return "\n".join(lines)


def main() -> None:
    compile_code(ROOT)  # as a user's machine has it after a first run
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a store built by `demo`")
    parser.add_argument("--label", default="demo", help="the store's name in the table")
    parser.add_argument("--rounds", type=int, default=3, help="later visits of each page")
    parser.add_argument("--aim", type=float, default=1.5, help="seconds, for the table")
    parser.add_argument("--shots", type=Path, default=ROOT / "benchmarks" / "out" / "pages")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="ROLE/PAGE",
        help="leave a page out, e.g. 'funder/Indicator explorer'",
    )
    parser.add_argument(
        "--role",
        action="append",
        default=[],
        choices=[r for r, _, _ in ROLES],
        help="time only this role's pages (repeatable), e.g. 'funder': the pages that read "
        "releases",
    )
    parser.add_argument(
        "--page",
        action="append",
        default=[],
        metavar="TITLE",
        help="time only the pages of this title (repeatable), e.g. 'Reports' (the app's first "
        "load, Upload, is always timed)",
    )
    parser.add_argument("--no-bare", action="store_true", help="leave out the bare Streamlit twin")
    parser.add_argument(
        "--settle",
        type=float,
        default=0.0,
        help="seconds between the server answering and the first visit (a person opening the "
        "address; `serve` imports the app's modules meanwhile); default 0: at once",
    )
    args = parser.parse_args()
    if args.role:
        args.skip += [f"{r}/{t}" for r, _, titles in ROLES if r not in args.role for t in titles]
    if args.page:
        args.skip += [f"{r}/{t}" for r, _, titles in ROLES for t in titles if t not in args.page]

    result = run(
        args.db.resolve(),
        args.label,
        args.rounds,
        args.shots,
        args.shots / f"{args.label}-server.log",
        frozenset(args.skip),
        args.settle,
        bare=not args.no_bare,
    )
    print()
    print(table(result, args.aim * 1000))
    errors: list[str] = result["browser_errors"]  # type: ignore[assignment]
    if errors:
        print("\nErrors in the page:", *errors, sep="\n  ")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
