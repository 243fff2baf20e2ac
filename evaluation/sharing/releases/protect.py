"""Protection of a release over the union of everything published for its programmes.

Rules 1-3, then secondary suppression solved over this release's cells *together with* every
earlier release's cells of the same programmes (withdrawn ones too: a downloaded file cannot be
recalled). Earlier cells are fixed facts: one shown earlier is held by the attacker and cannot
usefully be hidden again (``disclosure.suppress(..., fixed_shown=...)``); one hidden earlier stays
hidden, also when the programme's data changed since (same indicator, version, period and split).

Why per programme and per data version (the modular method): relations link cells of one
indicator version, one programme and one data version — totals and their splits, a period and
the sub-periods that tile it. No total over programmes is ever released, so programmes are
independent tables, solved one at a time. Figures of an earlier data version (before the
programme re-submitted its data) do not add up exactly with today's; they are protected as their
own table, and the link between the two versions is a documented limit (``docs/disclosure.md``).

Because the tables are independent, a large approval (the large demo's 500 programmes) protects
them in worker processes and puts the results back in programme order: the same cells as one
process, in about half the time on two cores (``protect_releases``, ``docs/performance.md``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import as_completed
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pandas as pd

from evaluation.measures.result import KEY_COLUMNS, RESULT_COLUMNS
from evaluation.sharing.disclosure import (
    Cell,
    DisclosureError,
    DisclosureSettings,
    IndicatorInfo,
    ProtectionUnmet,
    row_keys,
)
from evaluation.sharing.releases.model import UNSPLIT, ReleaseError
from evaluation.vocabulary.language import _
from evaluation.vocabulary.splits import CASE_SPLITS, TOTAL
from evaluation.workers import worker_pool

CELL_KEY: tuple[str, ...] = (
    "indicator_id",
    "indicator_version",
    "period_start",
    "period_end",
    "split_column",
    "split_value",
)
"""What names a cell of one programme across releases."""
RANGE_COLUMNS: tuple[str, ...] = ("range_low", "range_high", "den_low", "den_high")


def cell_keys(frame: pd.DataFrame) -> pd.Series:
    """Each row's cell key as one hashable tuple (dates as ISO text, NULL values as None)."""
    parts = [
        frame["indicator_id"].astype(str),
        frame["indicator_version"].astype(int),
        pd.to_datetime(frame["period_start"]).dt.strftime("%Y-%m-%d"),
        pd.to_datetime(frame["period_end"]).dt.strftime("%Y-%m-%d"),
        frame["split_column"].astype(str),
        frame["split_value"].astype(object).where(frame["split_value"].notna(), None),
    ]
    return pd.Series(list(zip(*parts, strict=True)), index=frame.index, dtype=object)


def wide_table(cells: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The long cells as the table ``disclosure`` reads: one column per split, ``*`` where a
    row does not split by it (the unsplit row is the total of every split)."""
    out = cells[[*KEY_COLUMNS, *RESULT_COLUMNS]].copy()
    out["period_start"] = pd.to_datetime(out["period_start"])
    out["period_end"] = pd.to_datetime(out["period_end"])
    split_col = cells["split_column"].to_numpy()
    split_val = cells["split_value"].astype(object).to_numpy()
    for col in columns:
        mine = split_col == col
        out[col] = np.where(mine, split_val, TOTAL).astype(object)
        out.loc[mine & pd.isna(split_val), col] = None
    out["suppressed"] = out["suppressed"].astype(bool)
    return out


def protect_programme(
    new: pd.DataFrame,
    earlier: pd.DataFrame,
    hidden_before: set[tuple[object, ...]],
    infos: Mapping[str, IndicatorInfo],
    settings: DisclosureSettings,
    *,
    unsplit_ranges_only: bool = True,
) -> pd.DataFrame:
    """One programme's new cells, protected over the union with its earlier cells.

    ``new``: the programme's cells of this release (``tables.CELL_COLUMNS``), true figures;
    rows flagged ``virtual`` are pieces of overlapping periods (``tables.atoms``): never
    published, always hidden, protected like hidden cells, and left out of the result.
    ``earlier``: its cells of earlier releases *of the same data version*, true figures and
    their ``suppressed`` flags. ``hidden_before``: cell keys (``CELL_KEY``) hidden in any
    earlier release of the programme, whatever its data version. Returns ``new`` with
    ``suppressed`` set and the attacker's ranges (``RANGE_COLUMNS``) of each hidden cell over
    the union; true figures kept. Raises ``ProtectionUnmet`` when only earlier shown cells are
    left to hide. ``unsplit_ranges_only``: ranges of the unsplit hidden cells only (what the
    comparison of programmes shows; the ranges of split cells would cost most of the linear
    programs of an approval), NULL for split ones; the rule-4 check covers all either way.
    """
    new = new.reset_index(drop=True).copy()
    new_keys = cell_keys(new)
    earlier = earlier.reset_index(drop=True)
    if not earlier.empty:
        # the same cell in several earlier releases: once shown anywhere, it is known
        earlier = (
            earlier.assign(_key=cell_keys(earlier))
            .sort_values("suppressed", kind="stable")
            .drop_duplicates("_key")
            .reset_index(drop=True)
        )
        earlier_index = dict(zip(earlier["_key"], range(len(earlier)), strict=True))
    else:
        earlier_index = {}
    fresh = ~new_keys.map(lambda k: k in earlier_index).to_numpy(dtype=bool)
    forced = new_keys.map(lambda k: k in hidden_before).to_numpy(dtype=bool)
    virtual = new["virtual"].to_numpy(dtype=bool) if "virtual" in new else np.zeros(len(new), bool)
    forced = forced | virtual
    parts = [new[fresh].assign(suppressed=forced[fresh])]
    if not earlier.empty:
        parts.append(earlier.drop(columns="_key"))
    union = pd.concat(parts, ignore_index=True)
    n_fresh = int(fresh.sum())
    fixed_shown = np.zeros(len(union), dtype=bool)
    fixed_shown[n_fresh:] = ~union["suppressed"].to_numpy(dtype=bool)[n_fresh:]
    columns = [c for c in CASE_SPLITS if (union["split_column"] == c).any()]
    table = wide_table(union, columns)
    # one programme, one data version: the programme id is the same in every row
    table["programme_id"] = str(new["programme_id"].iloc[0])
    from evaluation.sharing.disclosure import suppress_with_ranges  # scipy: on first use

    done, ranges = suppress_with_ranges(
        table,
        dict(infos),
        settings,
        splits=columns,
        fixed_shown=fixed_shown,
        ranges_of=(union["split_column"] == UNSPLIT).to_numpy() if unsplit_ranges_only else None,
    )
    mask = done["suppressed"].to_numpy(dtype=bool)
    keys = row_keys(table, columns)

    def bound(pos: int, quantity: str, side: int) -> float:
        rng = ranges.get(Cell(keys[pos], quantity))
        return float("nan") if rng is None else float(rng[side])

    # back to the new cells: a fresh cell by its row in the union, an earlier one by its key
    union_pos = np.empty(len(new), dtype=int)
    union_pos[fresh] = np.arange(n_fresh)
    for j in np.flatnonzero(~fresh).tolist():
        union_pos[j] = n_fresh + earlier_index[new_keys.iloc[j]]
    new["suppressed"] = mask[union_pos]
    lows = {c: np.full(len(new), np.nan) for c in RANGE_COLUMNS}
    for i, at in enumerate(union_pos.tolist()):
        pos = int(at)
        if not mask[pos]:
            continue
        count = "value" if Cell(keys[pos], "value") in ranges else "numerator"
        lows["range_low"][i] = bound(pos, count, 0)
        lows["range_high"][i] = bound(pos, count, 1)
        lows["den_low"][i] = bound(pos, "denominator", 0)
        lows["den_high"][i] = bound(pos, "denominator", 1)
    for col, arr in lows.items():
        new[col] = arr
    out = new[~virtual].drop(columns="virtual", errors="ignore").reset_index(drop=True)
    values = out["split_value"].astype(object)
    out["split_value"] = pd.Series(
        [None if pd.isna(v) else str(v) for v in values], index=out.index, dtype=object
    )
    return out


Release = tuple[pd.DataFrame, pd.DataFrame, Mapping[str, set[tuple[object, ...]]]]
"""One release's work for ``protect_releases``: its new cells, the earlier cells of the same
data versions (with ``programme_id``), and the hidden cell keys per programme."""
OnProgramme = Callable[[str, int, int], None]
"""``on_programme(programme, done, total)``: called as each programme's protection ends."""
PARALLEL_CELLS = 60_000
"""Fewest cells worth worker processes: below it, starting them costs more than they save
(a test's or a dashboard preview's few programmes are protected in the process itself)."""


def workers_available() -> int:
    """How many processors this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def protect_release(
    new: pd.DataFrame,
    earlier: pd.DataFrame,
    hidden_before: Mapping[str, set[tuple[object, ...]]],
    infos: Mapping[str, IndicatorInfo],
    settings: DisclosureSettings,
    *,
    on_programme: OnProgramme | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Every programme's cells protected (``protect_programme``); see ``protect_releases``.

    ``earlier`` holds the earlier cells of the same data versions with a ``programme_id``
    column; ``hidden_before`` the hidden cell keys per programme. Raises ``ReleaseError`` with
    a sentence when a programme's figures cannot be protected.
    """
    (out,) = protect_releases(
        [(new, earlier, hidden_before)],
        infos,
        settings,
        on_programme=on_programme,
        workers=workers,
    )
    return out


def protect_releases(
    releases: Sequence[Release],
    infos: Mapping[str, IndicatorInfo],
    settings: DisclosureSettings,
    *,
    on_programme: OnProgramme | None = None,
    workers: int | None = None,
) -> list[pd.DataFrame]:
    """The cells of several releases protected, each programme on its own.

    Programmes are independent tables (see the module docstring), so the work is spread over
    worker processes: ``workers`` of them when given (1: none), else every processor this
    process may use for jobs of at least ``PARALLEL_CELLS`` cells (smaller ones stay in this
    process); never more than there are programmes.
    Each worker gets a programme's cells as plain frames, never the store; the results are
    put back in the order of the programmes, so the output is the same as protecting one
    programme after the other. ``on_programme`` is called here, in this process, as each
    programme is done. Raises ``ReleaseError`` for the first programme, in order, whose
    figures cannot be protected.
    """
    jobs: list[tuple[int, str, pd.DataFrame, pd.DataFrame, set[tuple[object, ...]]]] = []
    for r, (new, earlier, hidden_before) in enumerate(releases):
        groups = dict(tuple(earlier.groupby("programme_id", sort=False))) if len(earlier) else {}
        for programme, cells in new.groupby("programme_id", sort=False):
            jobs.append(
                (
                    r,
                    str(programme),
                    cells,
                    groups.get(programme, earlier.iloc[0:0]),
                    hidden_before.get(str(programme), set()),
                )
            )
    cells_total = sum(len(job[2]) + len(job[3]) for job in jobs)
    n_workers = min(workers or workers_available(), len(jobs))
    tasks = [(programme, cells, mine, hidden) for _, programme, cells, mine, hidden in jobs]
    results: list[tuple[pd.DataFrame | None, Failure]] = []
    parallel = n_workers > 1 and (workers is not None or cells_total >= PARALLEL_CELLS)
    if parallel:
        try:
            results = _in_workers(tasks, infos, settings, n_workers, on_programme)
        except BrokenProcessPool:  # e.g. a script that starts work when imported: no workers
            parallel = False
    if not parallel:
        results = []
        for n, task in enumerate(tasks):
            results.append(_protect_task(task, infos, settings))
            if results[-1][1] is not None:
                break
            if on_programme is not None:
                on_programme(task[0], n + 1, len(tasks))
    for (_x, programme, *_rest), (_frame, failure) in zip(jobs, results, strict=False):
        if failure is not None:
            raise ReleaseError(_sentence(programme, failure))
    out = []
    for r, (new, _earlier, _hidden) in enumerate(releases):
        mine = [frame for job, (frame, _) in zip(jobs, results, strict=True) if job[0] == r]
        out.append(
            pd.concat(mine, ignore_index=True)
            if mine
            else new.assign(**{c: np.nan for c in RANGE_COLUMNS})
        )
    return out


Task = tuple[str, pd.DataFrame, pd.DataFrame, set[tuple[object, ...]]]
Failure = tuple[str, str] | None
"""Why a programme could not be protected: ("unmet", "") or ("unchecked", the reason)."""


def _sentence(programme: str, failure: tuple[str, str]) -> str:
    kind, reason = failure
    if kind == "unmet":
        return _(
            "The figures of {programme} cannot be protected together with what earlier "
            "releases published without hiding figures those releases showed; nothing was "
            "approved. Approve other periods, or fewer of them.",
            programme=programme,
        )
    return _(
        "The figures of {programme} cannot be checked for small numbers ({reason}); "
        "nothing was approved.",
        programme=programme,
        reason=reason,
    )


def _protect_task(
    task: Task, infos: Mapping[str, IndicatorInfo], settings: DisclosureSettings
) -> tuple[pd.DataFrame | None, Failure]:
    """One programme protected, or why it cannot be (as data: it crosses processes)."""
    _programme, cells, earlier, hidden_before = task
    try:
        return protect_programme(cells, earlier, hidden_before, infos, settings), None
    except ProtectionUnmet:
        return None, ("unmet", "")
    except DisclosureError as exc:
        return None, ("unchecked", str(exc))


def _in_workers(
    tasks: Sequence[Task],
    infos: Mapping[str, IndicatorInfo],
    settings: DisclosureSettings,
    n_workers: int,
    on_programme: OnProgramme | None,
) -> list[tuple[pd.DataFrame | None, Failure]]:
    """The tasks protected in ``n_workers`` worker processes that start clean
    (``evaluation.workers.worker_pool``: never a fork of this process, whose store connection
    and threads must not be copied, and safe inside the dashboard), in the tasks' order. After a
    failure, tasks not yet started are dropped; every task before it has started, so the first
    failure in order is still found."""
    infos = dict(infos)
    results: list[tuple[pd.DataFrame | None, Failure] | None] = [None] * len(tasks)
    with worker_pool(n_workers) as pool:
        futures = {
            pool.submit(_protect_task, task, infos, settings): n for n, task in enumerate(tasks)
        }
        for done, future in enumerate(as_completed(futures), start=1):
            n = futures[future]
            result = results[n] = future.result()
            if result[1] is not None:
                pool.shutdown(wait=True, cancel_futures=True)
                for other, m in futures.items():  # those that ended meanwhile
                    if results[m] is None and other.done() and not other.cancelled():
                        results[m] = other.result()
                break
            if on_programme is not None:
                on_programme(tasks[n][0], done, len(tasks))
    return [(None, None) if r is None else r for r in results]
