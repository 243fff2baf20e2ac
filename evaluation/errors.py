"""The package's own exceptions.

Each also subclasses the matching builtin (as ibis does), so callers that only know Python's
exceptions still catch them. The CLI and the dashboard translate them into sentences in one place
each; the message of every exception here is already such a sentence and never contains a value
that could be personal. It is worded in the language of the moment where it is raised
(``vocabulary.language``: the command's ``--lang``, the signed-in person's choice), so the reader
of the refusal reads it in their own language.
"""

from __future__ import annotations


class EvaluationError(Exception):
    """Base of every error the package raises on purpose."""


class PackageRefused(EvaluationError, ValueError):
    """The package cannot be read or was refused; nothing was stored.

    ``report`` is the validation report when the refusal came from validation or the gate.
    """

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class UnsafeFile(PackageRefused):
    """The file is hostile or outside the configured limits (bomb, oversized, wrong kind)."""


class ProfileError(EvaluationError, ValueError):
    """A mapping profile cannot be found or is malformed."""


class StoreError(EvaluationError, RuntimeError):
    """The store cannot be opened, is locked by another writer, or is from a newer version."""
