"""Command-line programs work on the store while the dashboard runs (``store.lease``).

Real processes throughout: a dashboard server with a browser on it, and CLI commands started
beside it. The dashboard never holds the store while idle, lets go at once when a command asks,
and its pages wait (saying why) while a command has the store, then go on with fresh data.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from evaluation.intake.ingest import ingest
from evaluation.store.database import Store
from evaluation.store.lease import StoreLease, handover_requests, open_waiting
from tests.conftest import MINIMAL, approve_releases, builder_from_minimal

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evaluation", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    db = tmp_path / "store.duckdb"
    with Store.open(db) as store:
        assert ingest(MINIMAL, store, actor="test").status == "loaded"
    return db


def _newer_package(root: Path) -> Path:
    """The minimal package exported a month later (the same programmes, newer data)."""
    pkg = builder_from_minimal(root)
    for row in pkg.tables["about"]:
        if row["key"] == "data_as_of":
            row["value"] = "2025-07-31"
    return pkg.write("folder", "newer")


@pytest.mark.slow
def test_the_lease_lets_go_when_idle_and_when_asked(small_store: Path) -> None:
    lease = StoreLease(small_store, idle_seconds=3600)  # never idle: only a request frees it
    with lease.use() as store:
        assert store.cursor().execute("SELECT count(*) FROM submissions").fetchall() == [(1,)]
    assert lease.opened == 1
    # a command asks: the lease lets go although it is not idle, and the command goes through
    run = _cli("indicators", "--db", str(small_store), "--period", "2025-Q2", "--indicator", "C01")
    assert run.returncode == 0, run.stderr
    assert "C01" in run.stdout
    assert handover_requests(small_store) == []  # the command withdrew its request
    # the next page run opens the file again
    with lease.use() as store:
        assert store.cursor().execute("SELECT count(*) FROM submissions").fetchall() == [(1,)]
    assert lease.opened == 2


@pytest.mark.slow
def test_a_command_waits_while_a_page_uses_the_store_then_goes_through(
    small_store: Path, tmp_path: Path
) -> None:
    lease = StoreLease(small_store, idle_seconds=3600)
    in_use = threading.Event()
    done = threading.Event()

    def page_run() -> None:
        with lease.use():
            in_use.set()
            time.sleep(4)  # a long page run (e.g. an approval)
        done.set()

    worker = threading.Thread(target=page_run)
    worker.start()
    assert in_use.wait(30)
    started = time.monotonic()
    run = _cli("ingest", str(_newer_package(tmp_path / "pkg")), "--db", str(small_store))
    waited = time.monotonic() - started
    worker.join()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "waiting for it to let go" in run.stderr
    assert "Traceback" not in run.stderr
    assert done.is_set() and waited >= 2
    # the page run that follows sees the new submission, and knows the store changed
    with lease.use() as store:
        assert store.cursor().execute("SELECT count(*) FROM submissions").fetchall() == [(2,)]
    assert lease.take_changed() is True
    assert lease.take_changed() is False


@pytest.mark.slow
def test_a_command_gives_up_with_a_sentence(small_store: Path) -> None:
    """A program that never lets go (here: this test holding the file) is waited for only as
    long as the setting says."""
    with Store.open(small_store):
        run = subprocess.run(
            [
                *(sys.executable, "-m", "evaluation", "indicators", "--db", str(small_store)),
                *("--period", "2025-Q2", "--indicator", "C01"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            env={**os.environ, "EVALUATION_STORE_WAIT_SECONDS": "2"},
        )
    assert run.returncode != 0
    assert "stayed in use by another program for 2 seconds" in run.stderr
    assert "Traceback" not in run.stderr
    assert handover_requests(small_store) == []


def test_open_waiting_opens_a_free_store_at_once(small_store: Path) -> None:
    started = time.monotonic()
    with open_waiting(small_store, read_only=True, wait_seconds=0) as store:
        assert store.schema_version > 0
    assert time.monotonic() - started < 5


@pytest.mark.slow
@pytest.mark.browser
def test_commands_beside_the_serving_dashboard(tmp_path: Path) -> None:
    """The dashboard serving a browser; ``indicators``, ``report``, ``backup`` and ``ingest``
    from the CLI at the same time all succeed, and the dashboard keeps answering with the new
    data."""
    sync_api = pytest.importorskip("playwright.sync_api")
    sys.path.insert(0, str(ROOT))
    from scripts.appdriver import CHROMIUM_ARGS, VIEWPORT, Driver, chromium_path, serve

    db = tmp_path / "store.duckdb"
    with Store.open(db) as store:
        assert ingest(MINIMAL, store, actor="test").status == "loaded"
        approve_releases(store)
    newer = _newer_package(tmp_path / "pkg")
    with serve(db, tmp_path / "serve.log", demo=True) as url, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        driver = Driver.open(context, url)
        page = driver.page
        expect = sync_api.expect
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav).to_be_visible(timeout=60_000)
        commands = [
            ("indicators", "--db", str(db), "--period", "2025-Q2", "--indicator", "C01"),
            (
                *("report", "--db", str(db), "--programme", "P-OPEN", "--period", "2025-Q2"),
                *("--out", str(tmp_path / "reports"), "--formats", "xlsx"),
            ),
            ("ingest", str(newer), "--db", str(db)),
            ("backup", "--db", str(db), "--out", str(tmp_path / "backup.zip")),
        ]
        with ThreadPoolExecutor(len(commands)) as pool:
            runs = [pool.submit(_cli, *c) for c in commands]
            # meanwhile a person keeps using the dashboard
            for title in ("Submissions", "Data overview", "Submissions"):
                nav.get_by_role("link", name=title, exact=True).click()
                expect(page.get_by_role("heading", name=title).first).to_be_visible(timeout=120_000)
            results = [r.result() for r in runs]
        for command, run in zip(commands, results, strict=True):
            assert run.returncode == 0, (command[0], run.stdout[-2000:], run.stderr[-2000:])
            assert "Traceback" not in run.stderr
        assert list((tmp_path / "reports").rglob("*.xlsx"))
        assert (tmp_path / "backup.zip").stat().st_size > 0
        # the dashboard still answers, with the newer submission
        nav.get_by_role("link", name="Data overview", exact=True).click()
        nav.get_by_role("link", name="Submissions", exact=True).click()
        expect(page.get_by_text("newer").first).to_be_visible(timeout=60_000)
        assert not driver.errors, driver.errors
        assert page.get_by_test_id("stException").count() == 0
        context.close()
        browser.close()
