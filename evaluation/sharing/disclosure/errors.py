"""The one error of small-number protection."""

from __future__ import annotations

from evaluation.errors import EvaluationError


class DisclosureError(EvaluationError, ValueError):
    """The result cannot be protected as given (a missing column or number, an unknown indicator,
    a duplicate row, or published figures that contradict each other).

    Raised rather than guessed at: a result that cannot be checked must not be shared.
    """


class ProtectionUnmet(DisclosureError):
    """Rule 4 cannot be met without hiding a figure that was published earlier (a fixed shown
    cell): the new figures would let a hidden count be narrowed, and nothing left may be hidden.
    """
