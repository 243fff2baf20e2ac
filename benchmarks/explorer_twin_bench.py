"""The Indicator explorer against its bare twin: the same charts and tables, bare Streamlit.

    python -m evaluation demo --db /tmp/demo/x.duckdb
    python benchmarks/explorer_twin_bench.py --db /tmp/demo/x.duckdb

The funder's Indicator explorer draws six Plotly charts and six grids (the default indicators
of every organisation). What it sends the browser is read from the page itself, run once by
Streamlit's AppTest as the demo's funder: each chart's figure (its JSON) and each grid's rows.
The twin is a two-page app served by ``streamlit run`` with the dashboard's flags: a page with a
title, and a page that draws those figures and rows with the widgets the explorer shows around
them (two pickers, a choice, a note, two download buttons, an expander of code per indicator),
from a file, with nothing of ours. Both are timed the same way in the same browser (see
``scripts/appdriver.py``): the page's first visit right after the first page, then later
visits from another page. Our page is timed by ``pages_bench.run`` in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compiled import compile_code
from pages_bench import ROLES, run, serve_bare

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.appdriver import DOWNLOAD, PLOT, TABLE, VIEWPORT, Driver, Spec, launch  # noqa: E402

TWIN_APP = """\
import os
import pickle

import streamlit as st


def start():
    st.title("Bare start")


def charts():
    import plotly.io as pio

    with open(os.environ["TWIN_DATA"], "rb") as f:
        shown = pickle.load(f)
    st.title("Bare explorer")
    st.caption("The explorer's charts and tables, and nothing of ours.")
    top = st.columns([3, 2])
    top[0].multiselect("Indicators", ["a", "b", "c"], default=["a", "b"])
    top[1].multiselect("Periods", ["2025", "2026"], default=["2026"])
    bottom = st.columns([2, 3])
    bottom[0].selectbox("Split by", ["none", "gender"])
    bottom[1].multiselect("Programmes", ["x", "y"])
    st.info("Small numbers are hidden.")
    left, right, _rest = st.columns(3)
    left.download_button("Download CSV", b"x", file_name="x.csv")
    right.download_button("Download Parquet", b"x", file_name="x.parquet")
    for i, (figure, rows) in enumerate(shown):
        st.subheader(f"Indicator {i + 1}")
        st.markdown("Version 1 · a count · higher is better")
        st.plotly_chart(pio.from_json(figure), key=f"chart_{i}")
        st.dataframe(rows, hide_index=True, width="stretch")
        with st.expander("SQL behind these numbers"):
            st.code("SELECT 1", language="sql")


st.navigation([st.Page(start, title="Start"), st.Page(charts, title="Charts")]).run()
"""
START = Spec("Start", "Bare start")
KEY = "funder/Indicator explorer"
"""Our page the twin copies: the only one ``pages_bench.run`` times here (with the first load)."""
CHARTS = Spec("Charts", "Bare explorer", ((PLOT, 1), (TABLE, 1), (DOWNLOAD, 2)))


def explorer_content(db: Path) -> list[tuple[str, object]]:
    """(figure JSON, rows) of each chart and grid the demo funder's explorer sends."""
    os.environ["EVALUATION_DB"] = str(db)
    os.environ["EVALUATION_DEMO"] = "1"
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.run()
    radio = at.sidebar.radio[0]
    radio.set_value(next(o for o in radio.options if o.startswith("Funder"))).run()
    at.switch_page("evaluation/app/pages/explorer.py")
    at.run()
    if at.exception or at.error:
        raise SystemExit("The explorer did not run in AppTest; nothing to copy.")
    figures = [c.proto.spec for c in at.get("plotly_chart")]
    frames = [f.value for f in at.dataframe]
    return list(zip(figures, frames, strict=True))


def twin(browser: object, log: Path, data: Path, rounds: int) -> tuple[float, list[float]]:
    """The twin's Charts page: its first visit right after the first page, and ``rounds``
    later visits, in milliseconds."""
    os.environ["TWIN_DATA"] = str(data)
    with serve_bare(log, TWIN_APP) as url:
        context = browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
        driver = Driver.open(context, url)
        driver.first_page(START)
        first = driver.open_page(CHARTS)
        later = []
        for _n in range(rounds):
            driver.open_page(START)
            later.append(driver.open_page(CHARTS))
        context.close()
    return first, later


def main() -> None:
    compile_code(ROOT)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a store built by `demo`")
    parser.add_argument("--rounds", type=int, default=5, help="later visits of each page")
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = args.db.resolve()
    if args.dump:  # in a process of its own: the app holds the store open while it lives
        args.dump.write_bytes(pickle.dumps(explorer_content(db)))
        return
    out = ROOT / "benchmarks" / "out" / "explorer-twin"
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="explorer-twin-") as tmp:
        data = Path(tmp) / "shown.pickle"
        subprocess.run(
            [sys.executable, __file__, "--db", str(db), "--dump", str(data)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shown = pickle.loads(data.read_bytes())
        with sync_playwright() as pw:
            browser = launch(pw)
            t_first, t_later = twin(browser, out / "twin-server.log", data, args.rounds)
            browser.close()
    ours = run(
        db,
        "demo",
        args.rounds,
        out,
        out / "server.log",
        frozenset(
            f"{role}/{title}"
            for role, _label, titles in ROLES
            for title in titles
            if f"{role}/{title}" not in (KEY, "cso_manager/Upload")  # the page before it
        ),
        bare=False,
    )
    first: dict[str, float] = ours["first_ms"]  # type: ignore[assignment]
    later: dict[str, list[float]] = ours["later_ms"]  # type: ignore[assignment]
    print()
    print(f"{len(shown)} charts and grids; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}")
    print("| page | first visit | later visits, median (max) |")
    print("|---|---:|---:|")
    print(
        f"| our Indicator explorer (funder) | {first[KEY] / 1000:.2f} s | "
        f"{statistics.median(later[KEY]) / 1000:.2f} s ({max(later[KEY]) / 1000:.2f} s) |"
    )
    print(
        f"| its bare twin | {t_first / 1000:.2f} s | "
        f"{statistics.median(t_later) / 1000:.2f} s ({max(t_later) / 1000:.2f} s) |"
    )
    (out / "result.json").write_text(
        json.dumps(
            {
                "ours": {"first_ms": first[KEY], "later_ms": later[KEY]},
                "twin": {"first_ms": t_first, "later_ms": t_later},
                "when": time.strftime("%Y-%m-%d %H:%M:%S"),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
