"""Releases: nothing about people is shared before a CSO manager (or admin) approves it, and
what is shared is protected as one set (``docs/spec/releases.md``).

A release is an immutable, numbered record of the shared table set of one organisation's
programmes × approved periods: every indicator of the catalogue in force, unsplit and split by
each single case column, protected over the union of this release and every earlier release of
the same programmes (``protect``), with the data and catalogue versions it came from, who
approved it, when, and a note. Withdrawing it only stops it being served.

By noun: ``model`` (``Release``, ``DataVersion``, the errors), ``versions`` (catalogue and data
versions), ``tables`` (the table set, computed by the engine), ``protect`` (the union and its
protection), ``ledger`` (the store's record), ``approve`` (``preview``, ``approve``,
``approve_each``, ``withdraw`` and who may), ``read`` (the shared reads of releases).
"""

from evaluation.sharing.releases.approve import (
    Approver,
    Draft,
    approve,
    approve_each,
    preview,
    require_approver,
    withdraw,
)
from evaluation.sharing.releases.ledger import get_release, list_releases
from evaluation.sharing.releases.model import (
    ACTIVE,
    UNSPLIT,
    WITHDRAWN,
    DataVersion,
    NotReleased,
    Release,
    ReleaseError,
)
from evaluation.sharing.releases.versions import SHORT, catalogue_version

__all__ = [
    "ACTIVE",
    "SHORT",
    "UNSPLIT",
    "WITHDRAWN",
    "Approver",
    "DataVersion",
    "Draft",
    "NotReleased",
    "Release",
    "ReleaseError",
    "approve",
    "approve_each",
    "catalogue_version",
    "get_release",
    "list_releases",
    "preview",
    "require_approver",
    "withdraw",
]
