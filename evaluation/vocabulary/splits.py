"""The columns a result can be split by (``indicators-v1.md``, Disaggregation), with their names.

Case columns split the people an indicator counts; programme columns group whole programmes.
``programme`` (the default) gives a row per programme; ``all`` the total over every programme of
the request, recomputed from the case rows, with ``TOTAL`` as its ``programme_id``. Every picker,
table header and check asks here instead of listing the columns.
"""

from __future__ import annotations

from dataclasses import dataclass

CASE_SPLITS: tuple[str, ...] = (
    "client_type",
    "referral_source",
    "participation",
    "setting_at_intake",
    "ideology",
    "gender",
    "age_band",
    "returnee",
    "risk_at_intake",
    "region",
)
PROGRAMME_SPLITS: tuple[str, ...] = ("organisation", "country", "intervention_type", "setting")
SPLIT_COLUMNS: tuple[str, ...] = (*CASE_SPLITS, *PROGRAMME_SPLITS)
"""The columns a result can be split by beyond the programme (what a report section may name)."""
ALL_SPLITS: tuple[str, ...] = ("programme", "all", *SPLIT_COLUMNS)
NO_SPLIT = "programme"
"""The engine's default split: one row per programme, i.e. no further split."""
TOTAL = "*"
"""The value of a split column (and of ``programme_id``) in a row that totals over it."""


@dataclass(frozen=True)
class Split:
    column: str
    name: str
    """The display name: a table's column header (``Age band``)."""
    choice: str
    """How a picker offers it: programme columns say that they total over programmes."""


def _split(column: str) -> Split:
    if column == "programme":
        return Split(column, "Programme", "None (one row per programme)")
    if column == "all":
        return Split(column, "All programmes", "All programmes together")
    name = column.replace("_", " ").capitalize()
    if column in PROGRAMME_SPLITS:
        return Split(column, name, f"{name} (total over its programmes)")
    return Split(column, name, name)


SPLITS: dict[str, Split] = {c: _split(c) for c in ALL_SPLITS}
"""Every split, ``programme`` (no further split) first, by column."""


def split_name(column: str) -> str:
    """The display name of a split column (``age_band`` → ``Age band``)."""
    return SPLITS[column].name if column in SPLITS else column.replace("_", " ").capitalize()
