"""Generate the fictional demo organisations' packages and load them into a store."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import deque
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from evaluation.progress import Progress, no_progress, scaled
from evaluation.store.database import Store, secret_path
from evaluation.vocabulary.language import _
from evaluation.vocabulary.numbers import count

if TYPE_CHECKING:
    from evaluation.intake.ingest import IngestResult

MAX_WORKERS = 4
"""Most worker processes checking the large demo's packages at once."""


def load_demo(
    store: Store,
    out_dir: Path,
    *,
    seed: int = 7,
    scale: Literal["demo", "large"] = "demo",
    progress: Progress | None = None,
    workers: int | None = None,
) -> list[IngestResult]:
    """Write every demo package into ``out_dir`` and ingest it (a no-op when already loaded).

    At demo scale the first organisation is also written as a ``.zip`` of CSVs so users can see
    both containers; it holds the same data as that organisation's workbook and is not loaded
    a second time. At demo scale each organisation then approves its releases for the periods
    shown first (``evaluation.demo.releases``), so a funder sees figures at once; the large
    demo is left for timing approvals by hand.

    The large demo, into a store without data and with more than one processor, is checked
    and loaded by ``workers`` processes at once (default: one per processor, at most
    ``MAX_WORKERS``), starting while the next packages are still being written: see
    ``_load_in_workers``.
    """
    from evaluation.demo.generate import write_demo

    say = progress or no_progress
    if scale == "large":
        from evaluation.sharing.releases.protect import workers_available

        n = min(workers or workers_available(), MAX_WORKERS)
        if n > 1 and not store.submissions():
            results = _load_in_workers(store, Path(out_dir), seed, n, say)
            say(_("Demo data loaded"), 1.0)
            return results
    from evaluation.intake.ingest import ingest

    paths = write_demo(Path(out_dir), seed, scale, progress=scaled(say, 0.0, 0.3))
    packages = [p for p in paths if p.suffix.lower() != ".zip"]
    results = []
    share = 0.3 if scale == "demo" else 0.7  # of the bar: loading; the rest approves
    for i, path in enumerate(packages):
        lo = 0.3 + share * i / len(packages)
        hi = 0.3 + share * (i + 1) / len(packages)
        step = scaled(say, lo, hi)
        results.append(
            ingest(
                path,
                store,
                progress=_prefixed(step, path.name),
                actor="demo",
            )
        )
    if scale == "demo":
        from evaluation.demo.releases import approve_demo

        approve_demo(store, progress=_prefixed(scaled(say, 0.6, 1.0), _("Approving releases")))
    say(_("Demo data loaded"), 1.0)
    return results


def start_demo(store: Store, out_dir: Path, *, progress: Progress | None = None) -> str:
    """Fill a store that holds no submission with the demo, as ``serve --demo`` does on its
    first start; returns "prebuilt" or "loaded".

    The shipped prebuilt copy (``evaluation.demo.prebuilt``: the same demo, loaded the real way
    with every check and approved by the real protection when it was built) takes a second;
    when it does not fit this version of the store, the demo is loaded the real way
    (``load_demo``, a minute or more). Either way the packages are written to ``out_dir``, where
    a real upload of one can be tried on the Upload page.
    """
    from evaluation.demo.prebuilt import restore

    say = progress or no_progress
    if restore(store, Path(out_dir), progress=say):
        say(_("Demo data loaded"), 1.0)
        return "prebuilt"
    load_demo(store, Path(out_dir), seed=7, scale="demo", progress=say)
    return "loaded"


def packages_note(out_dir: Path) -> str:
    """The sentence after the demo is in the store: where to find a package to upload."""
    return _(
        "The demo's packages are in {folder}: upload one on the Upload page to see every check "
        "a real upload makes.",
        folder=out_dir,
    )


def _prefixed(progress: Progress, prefix: str) -> Progress:
    """``progress`` with each message prefixed by the package it is about."""
    return lambda message, fraction: progress(f"{prefix}: {message}", fraction)


# --------------------------------------------------------------------------------------------
# The large demo in worker processes


def _load_in_workers(
    store: Store, out_dir: Path, seed: int, n_workers: int, say: Progress
) -> list[IngestResult]:
    """The large demo written, checked and loaded by ``n_workers`` processes: this one and
    ``n_workers - 1`` helpers.

    Every package goes through the whole upload path (``ingest``: every check, then the load).
    The helpers take packages as soon as they are written, each into a store file of its own
    with the target store's secret; once all are written, this process takes the rest into
    ``store`` itself, one at a time, keeping each helper one package ahead. The helpers' stores
    are then copied into ``store`` in one transaction (their rows as ``ingest`` wrote them; a
    programme in two packages breaks the copy, and nothing of theirs is copied). Only into a
    store without data: there every package is new, whichever process checks it.
    """
    from evaluation.demo.generate import write_demo
    from evaluation.intake.ingest import ingest
    from evaluation.workers import worker_pool

    folder = Path(tempfile.mkdtemp(prefix=".demo-workers-", dir=store.path.parent))
    secret = str(secret_path(store.path).resolve())
    helpers = n_workers - 1
    pending: deque[Path] = deque()
    running: dict[Future[tuple[IngestResult, str]], int] = {}
    results: dict[int, IngestResult] = {}
    stores: set[str] = set()
    total = 0
    loading = scaled(say, 0.3, 0.95)

    def finished(n: int, result: IngestResult) -> None:
        results[n] = result
        loading(
            _(
                "Checked and loaded {name} ({done} of {total})",
                name=result.organisation,
                done=count(len(results)),
                total=count(total),
            ),
            len(results) / total,
        )

    def collect(block: bool) -> None:
        for future in [f for f in running if block or f.done()]:
            result, db = future.result()
            stores.add(db)
            finished(running.pop(future), result)

    try:
        with worker_pool(helpers) as pool:

            def top_up() -> None:
                while pending and len(running) < 2 * helpers:
                    path = pending.popleft()
                    future = pool.submit(_ingest_in_worker, str(path), str(folder), secret)
                    running[future] = numbers[path]

            numbers: dict[Path, int] = {}

            def written(path: Path) -> None:
                nonlocal total
                numbers[path] = total
                total += 1
                pending.append(path)
                top_up()

            for _unused in range(helpers):
                pool.submit(_warm)
            try:
                write_demo(out_dir, seed, "large", progress=scaled(say, 0.0, 0.3), written=written)
                while pending:
                    collect(block=False)
                    top_up()
                    if pending:
                        path = pending.popleft()
                        finished(numbers[path], ingest(path, store, actor="demo"))
                collect(block=True)
            except BaseException:
                for future in running:  # the pool waits only for those already started
                    future.cancel()
                raise
        if stores:
            say(_("Copying the packages checked in parallel into the store"), 0.95)
            _merge(store, sorted(stores))
        return [results[n] for n in range(total)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_WORKER_STORE: Store | None = None


def _warm() -> None:
    """Import the checks in a worker while the packages are generated."""
    import evaluation.intake.ingest as intake

    prewarm = getattr(intake, "prewarm", None)
    if prewarm is not None:
        prewarm()


def _ingest_in_worker(path: str, folder: str, secret: str) -> tuple[IngestResult, str]:
    """``ingest`` one package into this worker's store (opened on its first package with the
    target store's secret, closed when the worker ends); the result and the store's path."""
    global _WORKER_STORE
    from evaluation.intake.ingest import ingest

    if _WORKER_STORE is None:
        from multiprocessing import util

        os.environ["EVALUATION_SECRET_FILE"] = secret
        _WORKER_STORE = Store.open(Path(folder) / f"worker-{os.getpid()}.duckdb")
        util.Finalize(None, _WORKER_STORE.close, exitpriority=10)
    result = ingest(Path(path), _WORKER_STORE, actor="demo")
    return result, str(_WORKER_STORE.path)


def _merge(store: Store, dbs: list[str]) -> None:
    """Every row of the worker stores ``dbs`` copied into ``store``, in one transaction."""
    cur = store.cursor()
    names: list[str] = []
    try:
        for i, db in enumerate(dbs):
            quoted = db.replace("'", "''")
            cur.execute(f"ATTACH '{quoted}' AS demo_worker{i} (READ_ONLY)")
            names.append(f"demo_worker{i}")
        tables = [
            r[0]
            for r in cur.execute(
                "SELECT DISTINCT table_name FROM duckdb_tables() "
                "WHERE database_name IN (SELECT unnest(?::VARCHAR[])) "
                "AND table_name <> 'schema_migrations' ORDER BY 1",
                [names],
            ).fetchall()
        ]
        cur.execute("BEGIN TRANSACTION")
        try:
            for table in tables:
                parts = " UNION ALL BY NAME ".join(f"SELECT * FROM {n}.main.{table}" for n in names)
                cur.execute(f"INSERT INTO {table} BY NAME {parts}")
            cur.execute("COMMIT")
        except Exception:
            cur.execute("ROLLBACK")
            raise
    finally:
        for n in names:
            cur.execute(f"DETACH {n}")
        cur.close()
