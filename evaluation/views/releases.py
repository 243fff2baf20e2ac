"""What the Approvals page shows of releases: the list with status, and a preview's figures.

Pure functions of ``evaluation.sharing.releases`` values, so the page only draws tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from evaluation.periods import Period, from_days, label
from evaluation.sharing.audit import actor_text
from evaluation.sharing.releases import Draft, Release
from evaluation.vocabulary import numbers
from evaluation.vocabulary.codes import code_label, code_order
from evaluation.vocabulary.language import _, current, n_
from evaluation.vocabulary.numbers import count
from evaluation.vocabulary.splits import split_name

if TYPE_CHECKING:
    from evaluation.sharing.returns import TrustedKey

__all__ = [
    "draft_summary",
    "draft_table",
    "period_list",
    "period_span",
    "release_table",
    "trusted_key_table",
]


def _stamp(at: datetime) -> str:
    """A moment (UTC) as the language of the moment writes it: ``4 Dec 2026, 14:38``,
    ``04.12.2026, 14:38``."""
    return numbers.moment(at)


def _month(day: date) -> str:
    return numbers.month(day)


def period_span(periods: Sequence[Period]) -> str:
    """The periods of a release in a few words, for a table cell that must not run off the
    screen: one period by its label (``2025 Q2``), several by how many and the months they
    span (``4 periods, Jul 2024 – Jun 2025``), in the language of the moment. The whole list
    is ``period_list``."""
    if not periods:
        return ""
    if len(periods) == 1:
        return label(periods[0], current())
    first = min(p.start for p in periods)
    last = max(p.end for p in periods)
    return n_(
        "{n} period, {start} – {end}",
        "{n} periods, {start} – {end}",
        len(periods),
        start=_month(first),
        end=_month(last),
    )


def period_list(periods: Sequence[Period]) -> str:
    """Every period of a release by its label, in their order, in the language of the moment."""
    lang = current()
    return ", ".join(label(p, lang) for p in periods)


def release_table(
    releases: Sequence[Release], names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One row per release, newest first: number, status, programmes, periods, who approved,
    when (UTC) and the note; withdrawn ones say by whom and when. Texts in the language of the
    moment."""
    names = names or {}
    rows = [
        {
            "release": r.number,
            "status": _("active")
            if r.active
            else _(
                "withdrawn {when} by {who}",
                when=_stamp(r.withdrawn_at),
                who=actor_text(r.withdrawn_by),
            )
            if r.withdrawn_at
            else _("withdrawn"),
            "organisation": r.organisation,
            "programmes": ", ".join(names.get(p, p) for p in r.programmes),
            "periods": period_span(r.periods),
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
    """``1,234 figures of 2 programmes for 2025 Q2; 56 hidden to protect small numbers.``:
    the preview in one sentence, in the language of the moment."""
    lang = current()
    hidden = int(draft.cells["suppressed"].astype(bool).sum())
    figures = n_(
        "{n} figure of {programmes}",
        "{n} figures of {programmes}",
        len(draft.cells),
        n=count(len(draft.cells), lang),
        programmes=n_("{n} programme", "{n} programmes", len(draft.programmes)),
    )
    return _(
        "{figures} for {periods}; {hidden} hidden to protect small numbers.",
        figures=figures,
        periods=", ".join(label(p, lang) for p in draft.periods),
        hidden=count(hidden, lang),
    )


def draft_table(
    draft: Draft, split: str = "", names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The preview as a funder would read it (hidden figures blank, and marked ``hidden``) for
    one split column (``""``: the unsplit figures), one row per indicator, programme, period
    and split value: programmes by name (``names``: id → name), periods and split values by
    their labels in the language of the moment, split values in their own order."""
    names = names or {}
    lang = current()
    shared = draft.shared
    rows = shared[shared["split_column"] == split]
    if split and len(rows):
        order = {v: n for n, v in enumerate(code_order(split, sorted(set(rows["split_value"]))))}
        rank = rows["split_value"].map(lambda v: order.get(v, len(order)))
        rows = rows.assign(_rank=rank).sort_values(
            ["indicator_id", "programme_id", "period_start", "_rank"], kind="stable"
        )
    periods = [
        label(from_days(a, b), lang)
        for a, b in zip(rows["period_start"], rows["period_end"], strict=True)
    ]
    out = pd.DataFrame(
        {
            "indicator": rows["indicator_id"],
            "programme": [names.get(str(p), str(p)) for p in rows["programme_id"]],
            "period": periods,
            **(
                {split_name(split): [code_label(split, v) for v in rows["split_value"]]}
                if split
                else {}
            ),
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
