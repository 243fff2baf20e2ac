"""The code measured, compiled to bytecode as it is on a user's machine.

Python compiles a module the first time a process imports it and keeps the bytecode beside it
(``__pycache__``), so from the second run on a user's processes start without compiling. Where
``PYTHONDONTWRITEBYTECODE`` is set (this sandbox sets it) nothing is kept, and every fresh process
compiles every module of ours again: ~0.35 s before ``report`` or ``ingest`` does anything
(2026-12-06: ``import evaluation.cli, evaluation.reports.pack`` 1.64-1.75 s without bytecode,
1.32-1.37 s with it). Every benchmark therefore compiles the checkout it measures first, once:
its fresh processes, ours and the bare twins alike, then start as a user's do. The installed
libraries are compiled by pip when it installs them.
"""

from __future__ import annotations

import compileall
from pathlib import Path


def compile_code(root: Path) -> None:
    """Compile the package (and these benchmarks) under ``root`` to bytecode, quietly; an
    unchanged module's bytecode is kept."""
    for folder in ("evaluation", "benchmarks"):
        if (root / folder).is_dir():
            compileall.compile_dir(root / folder, quiet=2)
