"""The two audiences a figure can be computed for (``indicators-v1.md``, small-number protection).

*internal*: the organisation's own staff, figures as computed; *shared*: funders, evaluators and
anything that leaves the organisation, aggregates only and small numbers suppressed. Roles and
scopes name one of these; the engine suppresses by it.
"""

from __future__ import annotations

from typing import Literal

from evaluation.vocabulary.language import N_, _

Audience = Literal["internal", "shared"]
AUDIENCES: dict[str, str] = {
    "internal": N_("the organisation's own staff: figures as computed"),
    "shared": N_("funders, evaluators and anything shared: small numbers hidden"),
}
"""Each audience with what it means (in English: translate with :func:`audience_meaning`), in
the order they are offered."""


def audience_meaning(audience: str) -> str:
    """What ``audience`` means, in the language of the moment."""
    return _(AUDIENCES[audience])
