"""What the returns path reports back: its error, and the results of trusting a key and
importing a return.

One error class (``ReturnError``) for every refusal, so the command line and the dashboard
translate it in one place; ``reason`` says which check refused (tests and pages branch on it,
people read the message). Every refusal leaves the store as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from evaluation.errors import EvaluationError
from evaluation.vocabulary.language import _, n_

Reason = Literal[
    "unreadable",
    "truncated",
    "malformed",
    "unsigned",
    "unknown key",
    "tampered",
    "wrong catalogue",
    "not released",
    "conflict",
    "key",
]


class ReturnError(EvaluationError, ValueError):
    """A return or a key file that cannot be exported, trusted or imported; nothing was
    changed. The message is a sentence for a person; ``reason`` names the check that refused."""

    def __init__(self, message: str, reason: Reason = "malformed") -> None:
        super().__init__(message)
        self.reason: Reason = reason


ImportStatus = Literal["imported", "already imported", "superseded older"]
TrustStatus = Literal["trusted", "already trusted", "added beside"]


@dataclass(frozen=True)
class ImportResult:
    """What ``import_return`` did: the local release number it stored (or already held), the
    sending organisation and its own release number, and ``status``.

    ``superseded``: the local numbers of earlier returns of the organisation whose programmes
    and periods this one now serves (they stay on record)."""

    release: int
    organisation: str
    origin_number: int
    status: ImportStatus
    superseded: tuple[int, ...] = ()

    def sentence(self) -> str:
        """What was imported, in the language of the moment."""
        what = _(
            "the return of {organisation} (their release {number})",
            organisation=self.organisation,
            number=self.origin_number,
        )
        if self.status == "already imported":
            return _(
                "This store already holds {what} as release {number}; nothing was changed.",
                what=what,
                number=self.release,
            )
        text = _("Imported {what} as release {number}.", what=what, number=self.release)
        if self.superseded:
            text += " " + n_(
                "It replaces release {older} for the same programmes and periods; the older "
                "one stays on record.",
                "It replaces releases {older} for the same programmes and periods; the older "
                "ones stay on record.",
                len(self.superseded),
                older=", ".join(str(n) for n in self.superseded),
            )
        return text


@dataclass(frozen=True)
class TrustResult:
    """What ``trust`` did with a public key file."""

    organisation: str
    fingerprint: str
    status: TrustStatus
    others: tuple[str, ...] = ()
    """Fingerprints of keys of the same organisation trusted before (``added beside``)."""

    def sentence(self) -> str:
        """What was trusted, in the language of the moment."""
        if self.status == "already trusted":
            return _(
                "The key of {organisation} ({fingerprint}) is already trusted; nothing was "
                "changed.",
                organisation=self.organisation,
                fingerprint=self.fingerprint,
            )
        text = _(
            "Trusted the key of {organisation}, fingerprint {fingerprint}.",
            organisation=self.organisation,
            fingerprint=self.fingerprint,
        )
        if self.others:
            text += " " + n_(
                "{organisation} already had {n} trusted key ({fingerprints}); returns signed "
                "with any of them are accepted. Compare the fingerprint with the organisation "
                "by phone.",
                "{organisation} already had {n} trusted keys ({fingerprints}); returns signed "
                "with any of them are accepted. Compare the fingerprint with the organisation "
                "by phone.",
                len(self.others),
                organisation=self.organisation,
                fingerprints="; ".join(self.others),
            )
        else:
            text += " " + _(
                "Compare it with the organisation by phone before importing its returns."
            )
        return text
