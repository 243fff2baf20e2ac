"""Worker processes for the platform's parallel work: report batches and chart images
(``reports.pack``), the protection of many programmes at once (``sharing.releases.protect``).

One recipe, because the dashboard makes it delicate: a worker must start clean (no inherited
DuckDB connection or threads) and must never run a Streamlit page script. A worker speaks the
language of the caller at the moment the pool starts (``vocabulary.language``), so what it words
(a refusal, a chart's labels) reads as the caller's own.
"""

from __future__ import annotations

import multiprocessing
import sys
import types
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from evaluation.vocabulary import language


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Worker processes that start clean, whoever calls.

    ``forkserver``: the workers must not inherit this process's DuckDB connection and threads.
    A new worker also re-runs the parent's ``__main__`` by its path; inside Streamlit (the
    dashboard, AppTest) that is a page script, which must never run in a worker (it fails
    there, and the pool breaks). So while the workers start, ``__main__`` is a bare module.
    Each worker starts in the caller's language of the moment.
    """
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
