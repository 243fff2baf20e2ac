"""What the Approvals page shows of releases: the list with status, and a preview's figures.

Pure functions of ``evaluation.sharing.releases`` values, so the page only draws tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from evaluation.sharing.releases import Draft, Release
from evaluation.vocabulary.splits import split_name

if TYPE_CHECKING:
    from evaluation.sharing.returns import TrustedKey

__all__ = ["draft_summary", "draft_table", "release_table", "trusted_key_table"]


def release_table(
    releases: Sequence[Release], names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One row per release, newest first: number, status, programmes, periods, who approved,
    when (UTC) and the note; withdrawn ones say by whom and when."""
    names = names or {}
    rows = [
        {
            "release": r.number,
            "status": "active"
            if r.active
            else f"withdrawn {r.withdrawn_at:%Y-%m-%d %H:%M} by {r.withdrawn_by}"
            if r.withdrawn_at
            else "withdrawn",
            "organisation": r.organisation,
            "programmes": ", ".join(names.get(p, p) for p in r.programmes),
            "periods": ", ".join(p.label for p in r.periods),
            "approved_by": r.approved_by,
            "approved_at": r.approved_at.replace(tzinfo=None),
            "catalogue": r.catalogue_version,
            "note": r.note,
        }
        for r in sorted(releases, key=lambda r: r.number, reverse=True)
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "release",
            "status",
            "organisation",
            "programmes",
            "periods",
            "approved_by",
            "approved_at",
            "catalogue",
            "note",
        ],
    )


def draft_summary(draft: Draft) -> str:
    """``1,234 figures, 56 hidden to protect small numbers``: the preview in one sentence."""
    hidden = int(draft.cells["suppressed"].astype(bool).sum())
    return (
        f"{len(draft.cells):,} figures of {len(draft.programmes)} programme(s) for "
        f"{', '.join(p.label for p in draft.periods)}; {hidden:,} hidden to protect small "
        "numbers."
    )


def draft_table(draft: Draft, split: str = "") -> pd.DataFrame:
    """The preview as a funder would read it (hidden figures blank) for one split column
    (``""``: the unsplit figures), one row per indicator, programme, period and split value."""
    shared = draft.shared
    rows = shared[shared["split_column"] == split]
    out = pd.DataFrame(
        {
            "indicator": rows["indicator_id"],
            "programme": rows["programme_id"],
            "period": rows["period"],
            **({split_name(split): rows["split_value"]} if split else {}),
            "value": rows["value"],
            "numerator": rows["numerator"],
            "denominator": rows["denominator"],
            "hidden": rows["suppressed"].astype(bool),
        }
    )
    return out.reset_index(drop=True)


def trusted_key_table(keys: Sequence[TrustedKey]) -> pd.DataFrame:
    """One row per key a store trusts: organisation, fingerprint (to compare by phone), when
    (UTC) and by whom it was trusted. The Send and Upload-a-return pages show the same table."""
    return pd.DataFrame(
        [
            {
                "organisation": k.organisation,
                "fingerprint": k.fingerprint,
                "trusted_at": k.trusted_at,
                "trusted_by": k.trusted_by,
            }
            for k in keys
        ],
        columns=["organisation", "fingerprint", "trusted_at", "trusted_by"],
    )
