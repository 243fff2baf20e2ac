"""What stands where a figure is not shown, and why: hidden to protect small numbers, or no
data. The two always look different (a table cell, a chart gap, a report cell) and every view
with either shows the legend beside it.
"""

from __future__ import annotations

from evaluation.vocabulary.language import N_, _

HIDDEN = N_("hidden")
"""A figure held back to protect small numbers (a table cell)."""
NO_DATA = N_("no data")
"""A figure that cannot be computed: nothing recorded, or nobody to count."""
HIDDEN_LEGEND = N_("hidden: fewer than {n} people, or it would reveal such a number")
NO_DATA_LEGEND = N_("no data: nothing recorded for this period")


def hidden() -> str:
    return _(HIDDEN)


def no_data() -> str:
    return _(NO_DATA)


def legend(min_count: int = 5) -> str:
    """The legend beside a table or chart with gaps: ``hidden: … · no data: …``."""
    return f"{_(HIDDEN_LEGEND, n=min_count)} · {_(NO_DATA_LEGEND)}"
