"""The figures of a result: values, Wilson intervals and statuses, from the query's raw columns.

Column-wise over the whole result: counts of an empty set are 0; rates of an empty denominator
and anything with a missing source table are ``no_data`` (numbers kept, e.g. 0 and 0, for an
empty denominator; every number empty for a missing table); a period ending after the data's
``data_as_of`` is ``partial_period`` (``no_data`` wins). Proportions carry a 95 % Wilson score
interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from evaluation.measures.engine.plan import Plan
from evaluation.measures.engine.registry import measure_type
from evaluation.measures.result import NO_DATA, OK, PARTIAL_PERIOD, PERIOD_LABEL

Z95 = 1.959963984540054


def as_number(value: object) -> float | None:
    """A figure of a result row as a float; ``None`` for a missing one (None, NaN, NA)."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def shown_number(row: Mapping[str, object], column: str) -> float | None:
    """A figure of a result row as the audience may see it: ``None`` when the row is
    suppressed (never trust a hidden figure to be blank)."""
    return None if bool(row.get("suppressed", False)) else as_number(row.get(column))


def wilson_arrays(
    num: np.ndarray,
    den: np.ndarray,
    z: float = Z95,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score intervals, element-wise (NaN where den is 0 or missing)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = num / den
        denom = 1 + z * z / den
        centre = (p + z * z / (2 * den)) / denom
        half = z * np.sqrt(p * (1 - p) / den + z * z / (4 * den * den)) / denom
        return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def figures(out: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The result rows from ``out`` (the statement's rows: ``ord, pidx, k0…kn, num, den, val,
    as_of, has_<table>``, already in the result's order: catalogue order, programme, period
    and split values), in the spec's layout with ``period`` (the period's label) after
    ``period_end``.

    Column-wise throughout: what depends on the indicator or the period is looked up by the
    row's ``ord`` or ``pidx`` in arrays of one entry per indicator or period.
    """
    inds, periods = plan.indicators, plan.periods
    o = out["ord"].to_numpy(dtype=np.intp)
    pidx = out["pidx"].to_numpy(dtype=np.intp)
    shape = np.array([measure_type(i.computation.measure.type).shape for i in inds])[o]
    num, den, val = (
        pd.to_numeric(out[c], errors="coerce").astype(float).to_numpy()
        for c in ("num", "den", "val")
    )
    amount, rate, median = (shape == s for s in ("amount", "rate", "median"))
    val = np.where(amount, np.nan_to_num(val, nan=0.0), val)
    num = np.where(amount | median, np.nan, np.where(rate, np.nan_to_num(num, nan=0.0), num))
    den = np.where(amount, np.nan, np.where(rate | median, np.nan_to_num(den, nan=0.0), den))
    empty = (rate | median) & (den == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = np.where(rate & ~empty, num / den, val)
    val = np.where(empty, np.nan, val)
    missing = np.zeros(len(out), dtype=bool)
    for t in plan.presence:
        reads = np.array([t in i.sources for i in inds], dtype=bool)[o]
        has = out[f"has_{t}"].astype("boolean").fillna(True).to_numpy(dtype=bool)
        missing |= reads & ~has
    num, den, val = (np.where(missing, np.nan, a) for a in (num, den, val))
    proportion = np.array([i.kind == "proportion" for i in inds], dtype=bool)[o]
    proportion &= ~missing & ~empty
    low, high = wilson_arrays(num, den)
    ci_low = np.where(proportion, low, np.nan)
    ci_high = np.where(proportion, high, np.nan)
    ends = np.array([p.end for p in periods], dtype="datetime64[D]")[pidx]
    as_of = pd.to_datetime(out["as_of"]).to_numpy().astype("datetime64[D]")
    partial = ~np.isnat(as_of) & (ends > as_of)
    statuses = [OK, NO_DATA, PARTIAL_PERIOD]
    status = np.where(missing | empty, 1, np.where(partial, 2, 0))  # places in ``statuses``

    def dates(values: list[object]) -> np.ndarray:
        """``values[pidx]``, kept as ``datetime.date`` objects."""
        days = np.empty(len(values), dtype=object)
        days[:] = values
        return days[pidx]

    return pd.DataFrame(
        {
            "indicator_id": _texts([i.id for i in inds], o),
            "indicator_version": np.array([i.version for i in inds], dtype=np.int64)[o],
            "programme_id": out["k0"],
            "period_start": dates([p.start for p in periods]),
            "period_end": dates([p.end for p in periods]),
            PERIOD_LABEL: _texts([p.label for p in periods], pidx),
            **{k: out[f"k{n + 1}"] for n, k in enumerate(plan.split_cols)},
            "numerator": num,
            "denominator": den,
            "value": val,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "status": _texts(statuses, status),
            "suppressed": False,
        }
    )


def _texts(values: list[str], at: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[at]`` as a text column, taken from the few distinct values (building it from
    one Python string per row would cost more than all the arithmetic)."""
    return pd.array(values, dtype="str").take(at)
