"""What a release is, as its readers see it: the ``Release`` value, its data versions, and the
two errors of the release path.

A release is an immutable, numbered record a CSO manager (or admin) of one organisation made by
approving figures (``docs/spec/releases.md``). The value here is what ``list_releases`` and
``get_release`` return; the cells live in the store's ``release_cells``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from evaluation.errors import EvaluationError
from evaluation.periods import Period
from evaluation.store.access import AccessDenied
from evaluation.vocabulary.language import _

Status = Literal["active", "withdrawn"]
ACTIVE: Status = "active"
WITHDRAWN: Status = "withdrawn"
UNSPLIT = ""
"""``split_column`` and ``split_value`` of a release cell that is not split."""


class ReleaseError(EvaluationError, ValueError):
    """Nothing to approve, protection that cannot be met, or an unknown release; nothing was
    changed. The message is a sentence for a person."""


class NotReleased(AccessDenied):
    """A shared request that no active release covers; the message names the missing programmes
    and periods and who can approve them."""


@dataclass(frozen=True)
class DataVersion:
    """The data a release's figures of one programme were computed from: the programme's current
    submission at approval, and that package's content hash."""

    programme_id: str
    submission_id: str
    content_hash: str


@dataclass(frozen=True)
class Release:
    """One approved release (never edited; withdrawing it only changes ``status``)."""

    number: int
    organisation: str
    programmes: tuple[str, ...]
    periods: tuple[Period, ...]
    approved_by: str
    approver_role: str
    approved_at: dt.datetime
    """When it was approved, in UTC (timezone-aware)."""
    note: str
    catalogue_version: str
    status: Status
    withdrawn_at: dt.datetime | None = None
    withdrawn_by: str | None = None
    data: tuple[DataVersion, ...] = ()
    """The data version of each programme, in the order of ``programmes``."""

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    @property
    def label(self) -> str:
        """``Release 3 (approved 4 Dec 2026)``: how pages and files name it, in the language
        of the moment (``Freigabe 3 (freigegeben am 04.12.2026)``)."""
        return _(
            "Release {number} (approved {day})",
            number=self.number,
            day=approval_day(self.approved_at),
        )


def approval_day(at: dt.date | dt.datetime) -> str:
    """The day of an approval as a person reads it in the language of the moment:
    ``4 Dec 2026``, ``04.12.2026``."""
    from evaluation.vocabulary import numbers

    return numbers.day(at)
