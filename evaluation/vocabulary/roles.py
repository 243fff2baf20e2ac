"""The roles a person can have, declared once: their display names, audiences and what they do.

A role says *how* someone sees data: the organisation's own staff (administrators and CSO
managers) see it internally, unsuppressed; funders and evaluators only ever see the shared
audience, small numbers hidden. *Which* data is a scope (``evaluation.store.access.Scope``).
The CLI's help, the Users page, the demo mode's role switcher and the account checks all read
this registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from evaluation.vocabulary.audiences import Audience
from evaluation.vocabulary.language import N_, _

Role = Literal["admin", "cso_manager", "funder", "evaluator"]


@dataclass(frozen=True)
class RoleInfo:
    id: Role
    title: str
    """The role's display name: ``CSO manager``."""
    audience: Audience
    """What the role sees: ``internal`` (unsuppressed) or ``shared`` (small numbers hidden)."""
    doc: str
    """What someone with the role does and sees, as the end of a sentence."""


ROLES: dict[str, RoleInfo] = {
    r.id: r
    for r in (
        RoleInfo(
            "admin",
            N_("Administrator"),
            "internal",
            N_("manages accounts; sees every organisation's data as loaded"),
        ),
        RoleInfo(
            "cso_manager",
            N_("CSO manager"),
            "internal",
            N_(
                "loads the packages of the organisations or programmes in their scope and sees "
                "their figures unsuppressed"
            ),
        ),
        RoleInfo(
            "funder",
            N_("Funder"),
            "shared",
            N_("sees the aggregate figures of the programmes in their scope, small numbers hidden"),
        ),
        RoleInfo(
            "evaluator",
            N_("Evaluator"),
            "shared",
            N_("sees the aggregate figures of the programmes in their scope, small numbers hidden"),
        ),
    )
}
"""The roles, in the order they are offered."""


def role_title(role: str) -> str:
    """The display name of ``role`` in the language of the moment (``KeyError`` for a code that
    is not a role)."""
    return _(ROLES[role].title)


def role_doc(role: str) -> str:
    """What ``role`` may do, in the language of the moment (``KeyError`` for a code that is not
    a role)."""
    return _(ROLES[role].doc)
