"""The columns a result can be split by (``indicators-v1.md``, Disaggregation).

Case columns split the people an indicator counts; programme columns group whole programmes.
``programme`` (the default) gives a row per programme; ``all`` the total over every programme of
the request, recomputed from the case rows, with ``TOTAL`` as its ``programme_id``.
"""

from __future__ import annotations

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
ALL_SPLITS: tuple[str, ...] = ("programme", "all", *CASE_SPLITS, *PROGRAMME_SPLITS)
TOTAL = "*"
"""The value of a split column (and of ``programme_id``) in a row that totals over it."""
