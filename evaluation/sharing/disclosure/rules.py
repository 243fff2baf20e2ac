"""Primary suppression: rules 1-3 of ``docs/spec/indicators-v1.md`` ("Uncertainty and small
numbers"), each row judged on its own figures.

Rule 1 hides a count of people from ``min_count`` to ``max_small``; rule 2 a proportion whose
numerator or complement is that small; rule 3 a proportion, ratio or median on fewer than
``min_denominator`` people or events. ``total``, ``share`` and ``months`` are amounts, not people,
and no rule applies to them; nor to indicators not about people or to ``no_data`` rows.
"""

from __future__ import annotations

from evaluation.sharing.disclosure.settings import DisclosureSettings
from evaluation.sharing.disclosure.table import TOLERANCE, Table
from evaluation.vocabulary.kinds import RULE3_KINDS


def primary(table: Table, settings: DisclosureSettings) -> set[int]:
    """Rows that rules 1-3 suppress (plus rows already marked suppressed)."""

    def small(x: float) -> bool:
        return settings.min_count - TOLERANCE <= x <= settings.max_small + TOLERANCE

    out: set[int] = set()
    for pos, kind in enumerate(table.kinds):
        if kind is None or table.no_data[pos]:
            continue
        if table.marked[pos]:
            out.add(pos)
            continue
        v = {layer: arr[pos] for layer, arr in table.values.items()}
        rule1 = kind == "count" and small(v["value"])
        rule2 = kind == "proportion" and (small(v["numerator"]) or small(v["complement"]))
        rule3 = kind in RULE3_KINDS and v["denominator"] < settings.min_denominator - TOLERANCE
        if rule1 or rule2 or rule3:
            out.add(pos)
    return out
