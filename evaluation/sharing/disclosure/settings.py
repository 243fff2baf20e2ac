"""The thresholds of the small-number rules, and the method paragraph that publishes them."""

from __future__ import annotations

from dataclasses import dataclass

from evaluation.sharing.disclosure.errors import DisclosureError
from evaluation.vocabulary.language import N_, _


@dataclass(frozen=True)
class DisclosureSettings:
    """Thresholds of the rules; the defaults are the spec's."""

    min_count: int = 1
    """Counts from ``min_count`` to ``max_small`` are small (rules 1 and 2)."""
    max_small: int = 4
    min_denominator: int = 10
    """Proportions, ratios and medians on fewer people (or events) are suppressed (rule 3)."""
    min_width: int = 5
    """Every suppressed count's feasible range must be at least this wide (rule 4)."""

    def __post_init__(self) -> None:
        if not 0 <= self.min_count <= self.max_small:
            raise DisclosureError(
                _("The small-count range must satisfy 0 <= min_count <= max_small.")
            )
        if self.min_denominator < 0 or self.min_width < 0:
            raise DisclosureError(_("min_denominator and min_width cannot be negative."))


_METHOD_TEMPLATE = N_(
    "Before results are shared, numbers about people that are so small that they could point to "
    "individuals are hidden. Any count of {small} people is hidden; so is any percentage where "
    "{small} people have, or {small} people do not have, the outcome; and percentages, ratios "
    "and medians based on fewer than {min_denominator} people or events are hidden too. {zero} "
    "Because tables also show totals (over groups such as gender, over programmes, and over longer "
    "periods such as the year the quarters make up), a hidden number could otherwise be worked "
    "out by subtraction, so further numbers are hidden as well, the smallest first, until no "
    "hidden number can be worked out. This is then checked by playing the attacker: a linear "
    "program that knows every number shown and every way the numbers add up computes the smallest "
    "and the largest value each hidden count could have, and every hidden count of people must be "
    "able to lie anywhere in a range at least {min_width} wide; where it cannot, more numbers are "
    "hidden and the check is repeated. Hidden numbers are only marked as suppressed, never with "
    "the reason, because the reason would tell that a number is small."
)


def method_note(settings: DisclosureSettings | None = None) -> str:
    """The method paragraph for a report's method notes, with the thresholds actually used.

    The spec requires the method to be published with every report; generating it from the
    settings keeps the published text and the applied thresholds from drifting apart. In the
    language of the moment.
    """
    s = settings or DisclosureSettings()
    small = (
        _("{low} to {high}", low=s.min_count, high=s.max_small)
        if s.min_count != s.max_small
        else f"{s.min_count}"
    )
    zero = _("A zero is shown.") if s.min_count > 0 else _("Zeros are hidden too.")
    return _(
        _METHOD_TEMPLATE,
        small=small,
        min_denominator=s.min_denominator,
        min_width=s.min_width,
        zero=zero,
    )
