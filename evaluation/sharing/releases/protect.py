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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
    suppress_with_ranges,
)
from evaluation.sharing.releases.model import UNSPLIT, ReleaseError
from evaluation.vocabulary.splits import CASE_SPLITS, TOTAL

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


def protect_release(
    new: pd.DataFrame,
    earlier: pd.DataFrame,
    hidden_before: Mapping[str, set[tuple[object, ...]]],
    infos: Mapping[str, IndicatorInfo],
    settings: DisclosureSettings,
    *,
    on_programme: object = None,
) -> pd.DataFrame:
    """Every programme's cells protected (``protect_programme``), one programme at a time.

    ``earlier`` holds the earlier cells of the same data versions with a ``programme_id``
    column; ``hidden_before`` the hidden cell keys per programme. Raises ``ReleaseError`` with
    a sentence when a programme's figures cannot be protected.
    """
    out = []
    groups = dict(tuple(earlier.groupby("programme_id", sort=False))) if len(earlier) else {}
    programmes = list(dict.fromkeys(new["programme_id"]))
    for n, (programme, cells) in enumerate(new.groupby("programme_id", sort=False)):
        if callable(on_programme):
            on_programme(str(programme), n, len(programmes))
        mine = groups.get(programme, earlier.iloc[0:0])
        try:
            out.append(
                protect_programme(
                    cells, mine, hidden_before.get(str(programme), set()), infos, settings
                )
            )
        except ProtectionUnmet:
            raise ReleaseError(
                f"The figures of {programme} cannot be protected together with what earlier "
                "releases published without hiding figures those releases showed; nothing was "
                "approved. Approve other periods, or fewer of them."
            ) from None
        except DisclosureError as exc:
            raise ReleaseError(
                f"The figures of {programme} cannot be checked for small numbers ({exc}); "
                "nothing was approved."
            ) from None
    return (
        pd.concat(out, ignore_index=True)
        if out
        else new.assign(**{c: np.nan for c in RANGE_COLUMNS})
    )
