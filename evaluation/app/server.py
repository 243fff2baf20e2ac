"""The dashboard's server process: Streamlit's own, with the app's imports done as it starts.

``python -m evaluation serve`` runs ``python -m evaluation.app.server streamlit_app.py …``
(the arguments of ``streamlit run``). The server answers within a second, and a person opens
the page a moment later; without help, their first page would then import everything the app
and its pages use (pandas, plotly, the engine, the catalogue: about a second on two cores).
So while the server starts, a background thread imports what ``streamlit_app.py`` and every
page import at their top (read from the files, so the list follows the code), once the
Streamlit runtime exists. The first run of the app waits for that thread
(``wait_until_warm``) instead of importing the same modules beside it: one thread imports, so
two imports of one module never race.

Started any other way (``streamlit run``, Streamlit's AppTest), nothing is warmed and
``wait_until_warm`` returns at once.
"""

from __future__ import annotations

import ast
import importlib
import sys
import threading
import time
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent
ENTRY = APP_DIR.parents[1] / "streamlit_app.py"
RUNTIME_WAIT = 30.0
"""Seconds the warming thread waits for Streamlit's runtime (the caches need it) before it
gives up; the app then imports as it runs."""
WARM_WAIT = 30.0
"""Seconds the first run waits for the warming thread at most."""

_warming: threading.Thread | None = None


def modules_to_warm(files: list[Path] | None = None) -> list[str]:
    """The modules the entry point and every page import at their top, in file order; for
    ``from package import name`` both ``package`` and ``package.name`` (which may be an object
    of the package rather than a module: ``_warm`` then finds nothing to import)."""
    files = files or [ENTRY, *sorted((APP_DIR / "pages").glob("*.py"))]
    names: dict[str, None] = {}
    for file in files:
        for node in ast.parse(file.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                names.update((a.name, None) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names[node.module] = None
                names.update((f"{node.module}.{a.name}", None) for a in node.names)
    names.pop("__future__", None)
    return list(names)


def _warm() -> None:
    """Wait for Streamlit's runtime, then import the app's modules (best effort: a module that
    fails to import here fails again, with its own message, where the app imports it)."""
    from streamlit.logger import get_logger
    from streamlit.runtime import Runtime

    start = time.monotonic()
    deadline = time.monotonic() + RUNTIME_WAIT
    while not Runtime.exists():
        if time.monotonic() > deadline:
            return
        time.sleep(0.02)
    for name in modules_to_warm():
        parent, _dot, last = name.rpartition(".")
        if parent and hasattr(sys.modules.get(parent), last):
            continue  # an object of an imported module (or a module imported already)
        try:
            importlib.import_module(name)
        except Exception:  # not a module; or it fails, and the app's own import says why
            continue
    get_logger(__name__).debug(
        "warm: the app's modules imported %.2f s after the server started",
        time.monotonic() - start,
    )


def start_warming() -> None:
    """Import the app's modules in a background thread (once per process)."""
    global _warming
    if _warming is None:
        _warming = threading.Thread(target=_warm, name="warm-imports", daemon=True)
        _warming.start()


def wait_until_warm() -> None:
    """Let the warming thread finish its imports, if one runs (the first run of the app)."""
    if _warming is not None and _warming.is_alive():
        _warming.join(WARM_WAIT)


def main(argv: list[str] | None = None) -> None:
    """``streamlit run ARGV…`` in this process, the app's imports warmed beside it, and the
    chart workers' fork server started first: it imports matplotlib in its own process while
    Streamlit starts, so the Reports page draws its preview there from its first visit."""
    from evaluation.reports.charts import start_chart_workers

    start_chart_workers()
    from streamlit.web import cli

    start_warming()
    cli.main(args=["run", *(sys.argv[1:] if argv is None else argv)], prog_name="streamlit")


if __name__ == "__main__":  # run as a module: the app imports this file by its own name
    importlib.import_module("evaluation.app.server").main()
