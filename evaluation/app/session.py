"""Who is looking: the scope every page reads and every cached result is keyed by.

There is no sign-in yet. ``current_scope()`` is the seam where it will go: today it returns
``EVERYTHING``, an internal view of every organisation; the roles issue replaces it with the
signed-in user's scope (a CSO manager sees their organisation, a funder sees aggregates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from evaluation import access

Audience = Literal["internal", "funder", "evaluator"]


@dataclass(frozen=True)
class Scope:
    """What one user may see, and the name their actions are recorded under."""

    audience: Audience = "internal"
    organisations: frozenset[str] | None = None
    """The organisations whose data is visible; ``None`` means every organisation."""
    actor: str = "dashboard"
    label: str = "Everything (internal view, no sign-in)"

    def access(self) -> access.Scope:
        """The package's scope for this user: what the engine and every reader may return.

        Funders and evaluators only ever get the *shared* audience (suppressed aggregates).
        """
        audience = "internal" if self.audience == "internal" else "shared"
        return access.Scope(organisations=self.organisations, programmes=None,
                            audience=audience)

    def allows(self, organisation: str) -> bool:
        return self.organisations is None or organisation in self.organisations

    @property
    def key(self) -> str:
        """A stable text for cache keys: two users with the same scope share cached results."""
        orgs = "*" if self.organisations is None else "|".join(sorted(self.organisations))
        return f"{self.audience}:{orgs}"


EVERYTHING = Scope()


def current_scope() -> Scope:
    """The scope of the person using this session. No sign-in yet: everything, internal."""
    return EVERYTHING
