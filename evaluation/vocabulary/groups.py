"""The groups of the indicator catalogue (``indicators-v1.md``), declared once, in order.

Each indicator's ``group`` is one of these codes; the catalogue page, the generated
``docs/indicators.md`` and the explorer head their lists with the group's display name. The
letter is the first letter of the agreed indicators' ids (``C01`` is in *Cases and reach*); an
organisation's own indicators (``custom``) have none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from evaluation.vocabulary.language import N_, _

GroupCode = Literal["case_and_reach", "outcomes", "capacity", "funding", "sustainability", "custom"]


@dataclass(frozen=True)
class Group:
    code: GroupCode
    name: str
    """The display name in English: ``Cases and reach`` (shown as :attr:`title`)."""
    letter: str
    """The first letter of its indicators' ids; empty for ``custom``."""

    @property
    def title(self) -> str:
        """The display name in the language of the moment: ``Fälle und Reichweite``."""
        return _(self.name)

    @property
    def heading(self) -> str:
        """``Cases and reach (C)``: the name with its letter, as documents head a group (in the
        language of the moment)."""
        return f"{self.title} ({self.letter})" if self.letter else self.title


GROUPS: tuple[Group, ...] = (
    Group("case_and_reach", N_("Cases and reach"), "C"),
    Group("outcomes", N_("Outcomes"), "O"),
    Group("capacity", N_("Capacity and knowledge sharing"), "K"),
    Group("funding", N_("Funding"), "F"),
    Group("sustainability", N_("Sustainability"), "S"),
    Group("custom", N_("The organisation's own indicators"), ""),
)
"""Every group, in catalogue order (``custom`` last)."""
GROUP_CODES: tuple[GroupCode, ...] = tuple(g.code for g in GROUPS)
GROUPS_BY_CODE: dict[str, Group] = {g.code: g for g in GROUPS}
CUSTOM = GROUPS_BY_CODE["custom"]


def group_of_id(indicator_id: str) -> Group:
    """The group an indicator id's letter names (``O06`` → Outcomes); ``custom`` for any other."""
    return next((g for g in GROUPS if g.letter and indicator_id.startswith(g.letter)), CUSTOM)
