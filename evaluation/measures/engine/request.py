"""What a caller asks the engine for: indicators, periods, splits, programmes, scope, audience."""

from __future__ import annotations

from dataclasses import dataclass, field

from evaluation.errors import EvaluationError
from evaluation.periods import Period
from evaluation.store.access import Audience, Scope


class RequestError(EvaluationError, ValueError):
    """The request names an unknown indicator, split or programme."""


@dataclass(frozen=True)
class IndicatorRequest:
    """One question to the engine; ``compute`` answers it with one row per indicator ×
    programme × period × split value."""

    periods: tuple[Period, ...]
    indicators: tuple[str, ...] = ()
    """Ids such as ``C04`` (newest version) or ``C04@1``; empty: the whole catalogue."""
    split_by: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    """Empty: every programme in scope."""
    scope: Scope = field(default_factory=Scope.everything)
    audience: Audience | None = None
    """Defaults to the scope's audience; a shared scope can never ask for internal."""

    @property
    def effective_audience(self) -> Audience:
        if self.scope.audience == "shared":
            return "shared"
        return self.audience or self.scope.audience
