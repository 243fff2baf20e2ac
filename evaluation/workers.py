"""Worker processes for the platform's parallel work: report batches and chart images
(``reports.pack``), the protection of many programmes at once (``sharing.releases.protect``).

One recipe, because the dashboard makes it delicate: a worker must start clean (no inherited
DuckDB connection or threads) and must never run a Streamlit page script. A worker speaks the
language of the caller at the moment the pool starts (``vocabulary.language``), so what it words
(a refusal, a chart's labels) reads as the caller's own.

Workers are forked from one fork server per process, a clean Python started for the purpose.
``start_workers`` starts it early, with the modules the coming workers need imported in it
(``preload``), in the background: every worker forked from it then starts in ~20 ms with those
imports done, instead of paying them itself (1-2 s for matplotlib and the engine). The first
caller's ``preload`` holds for the process's life; ``ready`` says whether given modules are
among it, so a caller with little work can tell whether a pool is cheap.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import types
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import forkserver

from evaluation.vocabulary import language

_preloaded: frozenset[str] | None = None
"""The modules imported in this process's fork server, once this module has started it."""
_starting = threading.Lock()


def start_workers(preload: Iterable[str] = ()) -> None:
    """Start this process's fork server now, importing ``preload`` (module names) in it, and
    return at once: the server imports in its own process, beside whatever this one does next,
    and a pool's first worker waits for it. Later calls change nothing (one server per
    process; a server that died is started again with the first ``preload``)."""
    global _preloaded
    with _starting:
        if _preloaded is None:
            _preloaded = frozenset(preload)
            # without "__main__" (the default preload), the server never imports the caller's
            # script, so it needs no bare stand-in for it as a pool's workers do (below)
            multiprocessing.get_context("forkserver").set_forkserver_preload(sorted(_preloaded))
        forkserver.ensure_running()


def ready(modules: Iterable[str]) -> bool:
    """Whether this process's fork server was started with ``modules`` imported, so that a
    pool of workers needing them starts in a fraction of a second."""
    return _preloaded is not None and set(modules) <= _preloaded


@contextmanager
def worker_pool(workers: int, preload: Iterable[str] = ()) -> Iterator[ProcessPoolExecutor]:
    """Worker processes that start clean, whoever calls.

    ``forkserver``: the workers must not inherit this process's DuckDB connection and threads.
    A new worker also re-runs the parent's ``__main__`` by its path; inside Streamlit (the
    dashboard, AppTest) that is a page script, which must never run in a worker (it fails
    there, and the pool breaks). So while the workers start, ``__main__`` is a bare module.
    Each worker starts in the caller's language of the moment. ``preload``: the modules the
    workers need, imported once in the fork server if this pool starts it (``start_workers``).
    """
    start_workers(preload)
    context = multiprocessing.get_context("forkserver")
    main = sys.modules.get("__main__")
    script = main is not None and getattr(main, "__file__", None) is not None
    if script:
        sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=language.set_language,
            initargs=(language.current(),),
        ) as pool:
            yield pool
    finally:
        if script and main is not None:
            sys.modules["__main__"] = main
