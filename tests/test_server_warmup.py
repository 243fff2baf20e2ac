"""The server process imports the app's modules as it starts (``evaluation.app.server``).

Real processes: the launcher as ``serve`` runs it, on a real store, answering over HTTP.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evaluation.app import server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # scripts/appdriver.py
from scripts.appdriver import free_port, healthy, server_flags, stop

ROOT = Path(__file__).resolve().parents[1]


def test_the_warm_list_holds_every_top_import_of_the_app_and_its_pages() -> None:
    names = server.modules_to_warm()
    assert "__future__" not in names
    assert {"streamlit", "evaluation.app.render", "evaluation.app.state"} <= set(names)
    for page in sorted((ROOT / "evaluation" / "app" / "pages").glob("*.py")):
        tops = [
            n.module if isinstance(n, ast.ImportFrom) else n.names[0].name
            for n in ast.parse(page.read_text(encoding="utf-8")).body
            if isinstance(n, ast.Import | ast.ImportFrom) and getattr(n, "level", 0) == 0
        ]
        assert set(tops) - {"__future__"} <= set(names), page.name


def test_without_the_launcher_nothing_waits() -> None:
    started = time.monotonic()
    server.wait_until_warm()
    assert time.monotonic() - started < 0.1


@pytest.mark.slow
def test_the_launched_server_has_imported_the_app_before_anyone_visits(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    subprocess.run(
        [sys.executable, "-m", "evaluation", "init", "--db", str(db)],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    env = {**os.environ, "EVALUATION_DB": str(db), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "evaluation.app.server", str(ROOT / "streamlit_app.py")),
            *server_flags(port),
            *("--logger.level", "debug"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not healthy(f"http://127.0.0.1:{port}"):
            assert time.monotonic() < deadline and proc.poll() is None, (
                tmp_path / "server.log"
            ).read_text(errors="replace")[-2000:]
            time.sleep(0.2)
        while time.monotonic() < deadline:
            text = (tmp_path / "server.log").read_text(errors="replace")
            if "warm: the app's modules imported" in text:
                break
            time.sleep(0.2)
        text = (tmp_path / "server.log").read_text(errors="replace")
        assert "warm: the app's modules imported" in text, text[-2000:]
        assert "Traceback" not in text
    finally:
        stop(proc)
        log.close()
