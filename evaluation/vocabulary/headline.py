"""The headline indicators: the few numbers a programme is first read by, declared once.

The Programme page's tiles show them, in this order, and the indicator explorer opens on them:
new exit cases, the active caseload, planned closures, drop-outs, contact after release and
first contact within 7 days. A report template names its own headline list (a funder's choice).
"""

from __future__ import annotations

HEADLINE_INDICATORS: tuple[str, ...] = ("C01", "C03", "O01", "O02", "O06", "C06")
"""Catalogue ids, in the order shown; an id a catalogue does not hold is left out."""
