"""The checks that keep the code as it is: lint, formatting and types, run by the suite itself.

So the one test command (``.ci/run``, the README's) fails when ``ruff check``, ``ruff format
--check`` or ``mypy`` (configured in ``pyproject.toml``) would. The tools come with the
``[test]`` extra and are run from the virtual environment that runs the tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(tool: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run ``tool`` of this environment's bin directory in the repository root."""
    path = BIN / tool
    if not path.exists():
        pytest.fail(f"{tool} is not installed next to {sys.executable}: pip install -e '.[test]'")
    return subprocess.run(
        [str(path), *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout
    )


def test_ruff_check_is_clean() -> None:
    done = run("ruff", "check", "--quiet", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_applied() -> None:
    done = run("ruff", "format", "--check", ".")
    assert done.returncode == 0, "run `.venv/bin/ruff format`:\n" + done.stdout + done.stderr


@pytest.mark.slow
def test_mypy_is_clean() -> None:
    done = run("mypy", timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr


def _bash_blocks(text: str) -> list[str]:
    return [b.split("```", 1)[0].strip() for b in text.split("```bash\n")[1:]]


def test_ci_runs_the_readmes_test_command_verbatim() -> None:
    """``.ci/run`` runs exactly what the README tells a newcomer to run (and so these checks)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = _bash_blocks(quick_start)
    whole_suite = next(c for c in commands if c.endswith("python -m pytest"))
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert whole_suite in ci
    assert '.venv/bin/python -m pytest -m "not slow" -n auto' in commands  # the fast lane is named
