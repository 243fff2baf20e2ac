"""The columns of a result row (``indicators-v1.md``, Machine-readable result), declared once.

One row per indicator × programme × period × split: the key columns, the period's label
(``period``), then the split columns, then the figures. Every reader of a result (disclosure,
views, reports, exports) names its columns from here.
"""

from __future__ import annotations

KEY_COLUMNS: tuple[str, ...] = (
    "indicator_id",
    "indicator_version",
    "programme_id",
    "period_start",
    "period_end",
)
PERIOD_LABEL = "period"
"""The period's label (``Period.label``), right after ``period_end``: how the row names its
period for a reader, so no reader rebuilds a label from the two dates."""
NUMBER_COLUMNS: tuple[str, ...] = ("numerator", "denominator", "value", "ci_low", "ci_high")
RESULT_COLUMNS: tuple[str, ...] = (*NUMBER_COLUMNS, "status", "suppressed")
DESCRIPTIVE_COLUMNS: frozenset[str] = frozenset(
    {PERIOD_LABEL, "target", "baseline", "completeness"}
)
"""Columns that describe a row but do not split it: the period's label, the package's target
and baseline, and the data completeness; any other extra column is a split."""
OK = "ok"
NO_DATA = "no_data"
PARTIAL_PERIOD = "partial_period"
STATUSES: tuple[str, ...] = (OK, NO_DATA, PARTIAL_PERIOD)
