"""Sharing one store file between the dashboard and the command line.

DuckDB lets one process write a file, and a process that has the file open for writing locks
every other process out, readers included. A dashboard that kept its connection open would
refuse every CLI command (a nightly backup, a scheduled report, an evaluator's script) for as
long as it runs. So nobody holds the store longer than they use it:

* **The dashboard** holds the store through a ``StoreLease``: opened when a page run needs it,
  kept while page runs follow each other, and closed once no page has used it for the setting
  ``store_idle_seconds`` — or at once, as soon as no page is using it, when another program
  asks for the store. While that program has it, page runs wait (the page says why) and then go on.
  After another program wrote, the dashboard's caches are dropped (``changed`` is true once).
* **Another program** (the CLI) opens with ``open_waiting``: if the file is locked it leaves a
  hand-over request beside the store (``<db>.handover-<pid>``, removed when it closes the
  store) and tries again until the dashboard lets go or ``wait_seconds`` pass, saying once that
  it waits. A request left by a program that died is ignored and removed.

Cost to the pages: the first page run after an idle pause reopens the file (~60-90 ms on the
demo store); runs that follow each other share one connection, and results already computed
come from the dashboard's caches (``docs/operations.md``).
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from evaluation import settings
from evaluation.errors import StoreError
from evaluation.store.database import Store, StoreBusy, default_db_path
from evaluation.vocabulary import language, numbers
from evaluation.vocabulary.language import _, n_

POLL_SECONDS = 0.1
_STOPPING = threading.Event()
"""Set when the interpreter exits: watchers stop before Python tears threads down (a daemon
thread killed inside DuckDB aborts the process with "FATAL: exception not rethrown")."""
_WATCHERS: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


@atexit.register
def _stop_watchers() -> None:
    _STOPPING.set()
    for watcher in list(_WATCHERS):
        watcher.join(timeout=1)


T = TypeVar("T")

Say = Callable[[str], None]


def _flag_prefix(path: Path) -> str:
    return path.name + ".handover-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def handover_requests(path: Path, *, other_than: int | None = None) -> list[int]:
    """The processes (ids) waiting for the store at ``path``; requests of dead ones are
    removed."""
    path = Path(path)
    prefix = _flag_prefix(path)
    waiting = []
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return []
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        try:
            pid = int(entry.name[len(prefix) :])
        except ValueError:
            continue
        if not _alive(pid):
            entry.unlink(missing_ok=True)
        elif pid != other_than:
            waiting.append(pid)
    return waiting


@contextmanager
def handover_request(path: Path) -> Iterator[None]:
    """Ask whoever holds the store at ``path`` to let go, until the block ends."""
    flag = Path(path).with_name(_flag_prefix(Path(path)) + str(os.getpid()))
    try:
        flag.write_text("waiting for the store\n", encoding="utf-8")
    except OSError:  # a read-only folder: nobody can be asked, we can still wait
        yield
        return
    try:
        yield
    finally:
        flag.unlink(missing_ok=True)


class HeldStore(Store):
    """A store opened by ``open_waiting``: closing it also withdraws its hand-over request."""

    _release: Callable[[], None] | None = None

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._release is not None:
                self._release()
                self._release = None


def retry_while_busy(
    target: Path,
    attempt: Callable[[], T],
    *,
    wait_seconds: float | None = None,
    say: Say | None = None,
    outcome: str | None = None,
) -> T:
    """``attempt()`` again every ``POLL_SECONDS`` while it raises ``StoreBusy`` (the caller
    holds a ``handover_request``, so the dashboard lets go); ``say`` hears once that we wait.
    After ``wait_seconds`` (the setting ``store_wait_seconds`` by default): ``StoreError``,
    a sentence ending in ``outcome`` (translated by the caller; default: nothing was done)."""
    limit = settings.value("store_wait_seconds") if wait_seconds is None else wait_seconds
    deadline = time.monotonic() + limit
    told = False
    while True:
        try:
            return attempt()
        except StoreBusy:
            if time.monotonic() >= deadline:
                seconds = round(limit)
                raise StoreError(
                    n_(
                        "The store {path} stayed in use by another program for {n} second, "
                        "so {outcome}. Try again when it has finished.",
                        "The store {path} stayed in use by another program for {n} seconds, "
                        "so {outcome}. Try again when it has finished.",
                        seconds,
                        n=numbers.count(seconds, language.current()),
                        path=target,
                        outcome=outcome or _("nothing was done"),
                    )
                ) from None
            if say is not None and not told:
                say(
                    _(
                        "The store {path} is in use by another program (the dashboard, or "
                        "another command); waiting for it to let go.",
                        path=target,
                    )
                )
                told = True
            time.sleep(POLL_SECONDS)


def open_waiting(
    path: Path | str | None = None,
    *,
    read_only: bool = False,
    wait_seconds: float | None = None,
    say: Say | None = None,
) -> Store:
    """``Store.open``, waiting while another program (the dashboard, another command) holds
    the file: the holder is asked to let go, and ``say`` hears once that we wait. Raises
    ``StoreError`` with a sentence after ``wait_seconds``."""
    try:
        return Store.open(path, read_only=read_only)
    except StoreBusy:
        pass
    target = Path(path) if path else default_db_path()
    request = ExitStack()  # the hand-over request stands until the store is closed
    request.enter_context(handover_request(target))
    try:
        store = retry_while_busy(
            target,
            lambda: Store.open(target, read_only=read_only),
            wait_seconds=wait_seconds,
            say=say,
        )
    except BaseException:
        request.close()
        raise
    held = HeldStore(store.path, store.conn, store._secret)
    held._release = request.close
    return held


def _stamp(path: Path) -> tuple[int, ...]:
    """What changes when another program writes the file (its size and time, and its WAL's)."""
    out: list[int] = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
        except OSError:
            out.extend((0, 0))
            continue
        out.extend((st.st_mtime_ns, st.st_size))
    return tuple(out)


class LeasedStore(Store):
    """The store as the dashboard's code holds it: a handle that stays valid while the lease
    closes and opens the file underneath (a page module may keep it between runs, a button's
    callback may use it before the page runs). Every use opens the file if it is closed, and
    the lease does not close it while a cursor taken from here is still alive."""

    def __init__(self, lease: StoreLease) -> None:  # no connection of its own
        self.path = lease.path
        self._lease = lease

    @property
    def conn(self) -> duckdb.DuckDBPyConnection:  # type: ignore[override]
        return self._lease._opened().conn

    @property
    def _secret(self) -> bytes:  # type: ignore[override]
        return self._lease._opened()._secret

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._lease._cursor()

    def close(self) -> None:
        """Nothing: the lease decides when the file is closed."""


class StoreLease:
    """The dashboard's hold on its store file (see the module's docstring).

    ``use()`` holds the store for one page run and yields ``handle``; several runs (threads)
    share it, each taking its own cursor. A watcher thread closes the file when no page run
    holds it, no cursor taken from ``handle`` is alive, and it is idle or wanted elsewhere.
    """

    def __init__(self, path: Path, *, idle_seconds: float | None = None) -> None:
        self.path = Path(path)
        self.idle_seconds = (
            settings.value("store_idle_seconds") if idle_seconds is None else idle_seconds
        )
        self._cond = threading.Condition()
        self._store: Store | None = None
        self._users = 0
        self._cursors: list[weakref.ref[duckdb.DuckDBPyConnection]] = []
        self._last_used = time.monotonic()
        self._closed_stamp: tuple[int, ...] | None = None
        self._changed = False
        self.opened = 0
        """How often the file was opened (for the tests and the benchmark)."""
        self.handle = LeasedStore(self)
        """The store for the dashboard's code: valid across closes and opens."""
        self._watcher = threading.Thread(
            target=self._watch, name=f"store-lease:{self.path.name}", daemon=True
        )
        _WATCHERS.add(self._watcher)
        self._watcher.start()

    # -- for page runs -------------------------------------------------------------------------
    def wanted_elsewhere(self) -> bool:
        """Whether another program is waiting for the store (page runs will wait for it)."""
        return bool(handover_requests(self.path, other_than=os.getpid()))

    def _ensure(self, say: Say | None = None) -> Store:
        """The open store (the caller holds ``_cond``): opened if closed, after waiting while
        another program has the file."""
        told = False
        while self._store is None:
            busy = self.wanted_elsewhere()
            if not busy:
                try:
                    self._store = Store.open(self.path)
                except StoreBusy:
                    busy = True
                else:
                    self.opened += 1
                    if self._closed_stamp is not None and self._closed_stamp != _stamp(self.path):
                        self._changed = True
                    break
            if say is not None and not told:
                say(_("another program is using the store"))
                told = True
            self._cond.wait(POLL_SECONDS)
        self._last_used = time.monotonic()
        return self._store

    def _opened(self) -> Store:
        with self._cond:
            return self._ensure()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._cond:
            cur = self._ensure().cursor()
            self._cursors = [r for r in self._cursors if r() is not None]
            self._cursors.append(weakref.ref(cur))
            return cur

    @contextmanager
    def use(self, *, say: Say | None = None) -> Iterator[Store]:
        """Hold the store for one page run and yield ``handle``; waits (``say`` hears once
        why) while another program has it."""
        with self._cond:
            self._ensure(say)
            self._users += 1
        try:
            yield self.handle
        finally:
            with self._cond:
                self._users -= 1
                self._last_used = time.monotonic()
                self._cond.notify_all()

    def take_changed(self) -> bool:
        """True once after the file was changed by another program while we had let go."""
        with self._cond:
            changed, self._changed = self._changed, False
            return changed

    def let_go(self) -> None:
        """Close the store now if nothing uses it (the watcher does this by itself)."""
        with self._cond:
            self._close_if_unused()

    # -- the watcher -----------------------------------------------------------------------------
    def _in_use(self) -> bool:
        self._cursors = [r for r in self._cursors if r() is not None]
        return bool(self._users or self._cursors)

    def _close_if_unused(self) -> None:
        if self._store is not None and not self._in_use():
            store, self._store = self._store, None
            store.close()
            self._closed_stamp = _stamp(self.path)

    def _watch(self) -> None:
        while not _STOPPING.wait(POLL_SECONDS):
            with self._cond:
                if self._store is None or self._in_use():
                    continue
                idle = time.monotonic() - self._last_used >= self.idle_seconds
                if idle or self.wanted_elsewhere():
                    try:
                        self._close_if_unused()
                    except Exception:  # the watcher must survive a failed close
                        self._store = None
                self._cond.notify_all()
