"""What an indicator's unit says (``share of releases``, ``EUR``, ``days``), read in one place.

Units are free text in the catalogue; the few conventions the platform reads from them are here:
a rate's unit names what its denominator counts, and an amount's unit starts with its currency.
"""

from __future__ import annotations

SHARE_OF = "share of "


def denominator_noun(unit: str | None) -> str | None:
    """``releases`` from the unit ``share of releases``: what a rate's denominator counts
    (``None`` for a unit that does not name one)."""
    if unit is None:
        return None
    unit = unit.strip()
    return unit[len(SHARE_OF) :] if unit.lower().startswith(SHARE_OF) else None


def is_money(unit: str) -> bool:
    """Whether an indicator's unit is an amount in euros (``EUR``, ``EUR per case``)."""
    return unit.strip().upper().startswith("EUR")
