"""Worker processes started from a fork server that has their imports done
(``evaluation.workers``), and a report pack whose charts are drawn in them while its files
are written (``reports.pack.charts_drawn``).

A process has one fork server for its life, started by whoever asks first, so each test runs
its own fresh Python process: what another test started in this one cannot decide the result.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import copy_store

ROOT = Path(__file__).resolve().parents[1]


def run(script: str) -> str:
    """``script`` in a fresh Python process at the repository; its output (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_fork_server_started_for_charts_hands_its_imports_to_every_worker() -> None:
    """The workers of a fork server started with the chart modules have matplotlib imported
    before their first task; the server says which modules it has (``ready``), and a later call
    with other modules changes nothing. Without a preload, a worker has no matplotlib."""
    out = run(
        """
        import sys
        from evaluation.reports.charts import WORKER_MODULES, start_chart_workers
        from evaluation.workers import ready, start_workers, worker_pool

        assert not ready(WORKER_MODULES)
        start_chart_workers()
        assert ready(WORKER_MODULES) and ready(WORKER_MODULES[:1])
        start_workers(["json"])  # the server runs: its imports stay as they were
        assert not ready(["json"])
        assert "matplotlib" not in sys.modules  # imported there, not here
        probe = "__import__('sys').modules.__contains__('matplotlib.figure')"
        with worker_pool(2) as pool:
            print(sorted(pool.map(eval, [probe] * 4)))
        """
    )
    assert out.split("\n")[-2] == "[True, True, True, True]"
    bare = run(
        """
        from evaluation.workers import ready, worker_pool

        probe = "__import__('sys').modules.__contains__('matplotlib.figure')"
        with worker_pool(1) as pool:
            print(pool.submit(eval, probe).result(), ready(["matplotlib.figure"]))
        """
    )
    assert bare.split("\n")[-2] == "False False"


@pytest.mark.slow
def test_a_pack_draws_its_charts_in_workers_while_it_writes(
    oracle_db: Path, tmp_path: Path
) -> None:
    """With the chart workers started (as ``report`` and the dashboard do), a pack of Word and
    PDF draws every chart in the workers (this process never imports matplotlib), each image
    the very PNG drawn here would be; every chart is in both files, and no drawing is left
    pending. A writer that fails meanwhile leaves nothing pending either."""
    db = copy_store(oracle_db, tmp_path / "store.duckdb")
    out = run(
        f"""
        import sys
        from pathlib import Path
        from evaluation.reports.charts import start_chart_workers
        start_chart_workers()
        from evaluation.periods import parse_periods
        from evaluation.reports.model import build_report
        from evaluation.reports.pack import charts_drawn, write_report
        from evaluation.reports.spec import load_templates
        from evaluation.store.database import Store

        template = load_templates().get("ministry-annual")
        with Store.open(Path({str(db)!r}), read_only=True) as store:
            report = build_report(store, template, "P-A", parse_periods("FY2024-04")[0])
            again = build_report(store, template, "P-B", parse_periods("FY2024-04")[0])
        paths = write_report(report, Path({str(tmp_path / "pack")!r}), ["pdf", "docx"])
        print([p.suffix for p in paths], report.chart_pending == {{}})
        print("matplotlib" in sys.modules, len(report.charts), len(report.chart_images))
        try:
            with charts_drawn(again, 2):
                raise RuntimeError("a writer failed")
        except RuntimeError:
            print("pending after a failure:", len(again.chart_pending))
        from evaluation.reports.charts import _png, to_figure
        print(all(report.chart_png(c) == _png(to_figure(c)) for c in report.charts))
        """
    )
    lines = out.strip().split("\n")
    assert lines[0] == "['.pdf', '.docx'] True"
    imported, charts, images = lines[1].split()
    assert imported == "False" and int(charts) == int(images) == 8
    assert lines[2] == "pending after a failure: 0"
    assert lines[3] == "True"
    from docx import Document
    from pypdf import PdfReader

    docx = Document(str(next((tmp_path / "pack").glob("*.docx"))))
    assert len(docx.inline_shapes) == 8
    pdf = PdfReader(str(next((tmp_path / "pack").glob("*.pdf"))))
    assert sum(len(page.images) for page in pdf.pages) == 8


@pytest.mark.slow
def test_the_dashboard_starts_the_chart_workers_and_reads_the_fonts_once_idle(
    oracle_db: Path, tmp_path: Path
) -> None:
    """The app, for someone who may write reports, starts the chart workers' fork server and
    reads the PDF's fonts once no page runs (``state.warm_charts``), so the first pack of the
    session draws its charts in warm workers and parses no font."""
    db = copy_store(oracle_db, tmp_path / "store.duckdb")
    out = run(
        f"""
        import os, time
        os.environ.update(EVALUATION_DB={str(db)!r}, EVALUATION_DEMO="1")
        from streamlit.testing.v1 import AppTest
        from evaluation.app import state
        from evaluation.reports import pdf
        from evaluation.reports.charts import WORKER_MODULES
        from evaluation.workers import ready

        state.IDLE_BEFORE = 0.0
        print(ready(WORKER_MODULES), sorted(pdf._PARSED))
        at = AppTest.from_file("streamlit_app.py", default_timeout=180).run()  # CSO manager
        assert not at.exception and not at.error, (at.exception, at.error)
        deadline = time.monotonic() + 120
        while not state._CHARTS_WARM.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        print(ready(WORKER_MODULES), sorted(pdf._PARSED))
        """
    )
    assert out.strip().split("\n")[-2:] == ["False []", "True ['', 'B', 'I']"]


@pytest.mark.slow
def test_the_reports_page_draws_its_preview_in_the_chart_workers(
    oracle_db: Path, tmp_path: Path
) -> None:
    """Under ``serve`` the chart workers' server runs from the start, so the Reports page's
    first visit draws its preview charts there: the page shows four, drawn and kept (for the
    download), and its process never imports matplotlib (0.5 s). That a worker's image is the
    very PNG drawn in-process, the pack's test above checks."""
    db = copy_store(oracle_db, tmp_path / "store.duckdb")
    out = run(
        f"""
        import os, sys
        os.environ.update(EVALUATION_DB={str(db)!r}, EVALUATION_DEMO="1")
        from evaluation.reports.charts import start_chart_workers
        start_chart_workers()  # as `serve` does first (evaluation.app.server.main)
        from streamlit.testing.v1 import AppTest
        from evaluation.app import state

        state.IDLE_BEFORE = 1e9  # no warm-up once idle: the page alone
        at = AppTest.from_file("streamlit_app.py", default_timeout=180).run()
        at.switch_page("evaluation/app/pages/reports.py").run()
        assert not at.exception and not at.error, (at.exception, at.error)
        from evaluation.reports import charts

        pngs = list(charts._PNGS.values())
        print(len(at.image), len(pngs), all(png.startswith(b"\\x89PNG") for png in pngs))
        print("matplotlib" in sys.modules)
        """
    )
    assert out.strip().split("\n")[-2:] == ["4 4 True", "False"]
