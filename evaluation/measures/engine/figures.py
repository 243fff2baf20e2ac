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
    """The result rows from ``out`` (the frame merged with the query's ``num, den, val``), in
    the spec's layout with ``period`` (the period's label) after ``period_end``; sorted by
    catalogue order, programme, period and split values."""
    info = pd.DataFrame(
        [
            {
                "ind": i.key,
                "indicator_id": i.id,
                "indicator_version": i.version,
                "kind": i.kind,
                "shape": measure_type(i.computation.measure.type).shape,
                "order": n,
            }
            for n, i in enumerate(plan.indicators)
        ]
    )
    out = out.merge(info, on="ind", how="left")
    num, den, val = (
        pd.to_numeric(out[c], errors="coerce").astype(float).to_numpy()
        for c in ("num", "den", "val")
    )
    amount = (out["shape"] == "amount").to_numpy()
    rate = (out["shape"] == "rate").to_numpy()
    median = (out["shape"] == "median").to_numpy()
    val = np.where(amount, np.nan_to_num(val, nan=0.0), val)
    num = np.where(amount | median, np.nan, np.where(rate, np.nan_to_num(num, nan=0.0), num))
    den = np.where(amount, np.nan, np.where(rate | median, np.nan_to_num(den, nan=0.0), den))
    empty = (rate | median) & (den == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = np.where(rate & ~empty, num / den, val)
    val = np.where(empty, np.nan, val)
    missing = np.zeros(len(out), dtype=bool)
    for ind in plan.indicators:
        rows = (out["ind"] == ind.key).to_numpy()
        for t in ind.sources:
            if t in plan.presence:
                has = out[f"has_{t}"].astype("boolean").fillna(True).to_numpy(dtype=bool)
                missing |= rows & ~has
    num, den, val = (np.where(missing, np.nan, a) for a in (num, den, val))
    proportion = (out["kind"] == "proportion").to_numpy() & ~missing & ~empty
    low, high = wilson_arrays(num, den)
    ci_low = np.where(proportion, low, np.nan)
    ci_high = np.where(proportion, high, np.nan)
    periods = [plan.periods[int(p)] for p in out["pidx"]]
    ends = [p.end for p in periods]
    as_of = pd.to_datetime(out["as_of"]).dt.date.tolist()
    partial = np.array(
        [not pd.isna(a) and e > a for e, a in zip(ends, as_of, strict=True)], dtype=bool
    )
    status = np.where(missing | empty, NO_DATA, np.where(partial, PARTIAL_PERIOD, OK))
    result = pd.DataFrame(
        {
            "indicator_id": out["indicator_id"],
            "indicator_version": out["indicator_version"],
            "programme_id": out["k0"],
            "period_start": [p.start for p in periods],
            "period_end": ends,
            PERIOD_LABEL: [p.label for p in periods],
            **{k: out[f"k{n + 1}"] for n, k in enumerate(plan.split_cols)},
            "numerator": num,
            "denominator": den,
            "value": val,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "status": status,
            "suppressed": False,
            "_o": out["order"],
        }
    )
    return result.sort_values(
        ["_o", "programme_id", "period_start", *plan.split_cols], kind="stable"
    ).drop(columns="_o")
