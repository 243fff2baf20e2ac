"""The columns a result can be split by (``indicators-v1.md``, Disaggregation), with their names.

Case columns split the people an indicator counts; programme columns group whole programmes.
``programme`` (the default) gives a row per programme; ``all`` the total over every programme of
the request, recomputed from the case rows, with ``TOTAL`` as its ``programme_id``. Every picker,
table header and check asks here instead of listing the columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from evaluation.vocabulary.language import N_, _

CASE_SPLITS: tuple[str, ...] = (
    "client_type",
    "referral_source",
    "participation",
    "setting_at_intake",
    "ideology",
    "gender",
    "age_band",
    "returnee",
    "risk_at_intake",
    "region",
)
PROGRAMME_SPLITS: tuple[str, ...] = ("organisation", "country", "intervention_type", "setting")
SPLIT_COLUMNS: tuple[str, ...] = (*CASE_SPLITS, *PROGRAMME_SPLITS)
"""The columns a result can be split by beyond the programme (what a report section may name)."""
ALL_SPLITS: tuple[str, ...] = ("programme", "all", *SPLIT_COLUMNS)
NO_SPLIT = "programme"
"""The engine's default split: one row per programme, i.e. no further split."""
TOTAL = "*"
"""The value of a split column (and of ``programme_id``) in a row that totals over it."""


@dataclass(frozen=True)
class Split:
    column: str
    name: str
    """The display name in English: a table's column header (``Age band``); :attr:`title`
    is the one to show."""
    choice: str
    """How a picker offers it, in English: programme columns say that they total over
    programmes; :attr:`choice_text` is the one to show."""

    @property
    def title(self) -> str:
        """The display name in the language of the moment (``Altersgruppe``)."""
        return _(self.name)

    @property
    def choice_text(self) -> str:
        """The picker's text in the language of the moment."""
        return _(self.choice)


_NAMES: dict[str, tuple[str, str]] = {
    "programme": (N_("Programme"), N_("None (one row per programme)")),
    "all": (N_("All programmes"), N_("All programmes together")),
    "client_type": (N_("Client type"), N_("Client type")),
    "referral_source": (N_("Referral source"), N_("Referral source")),
    "participation": (N_("Participation"), N_("Participation")),
    "setting_at_intake": (N_("Setting at intake"), N_("Setting at intake")),
    "ideology": (N_("Ideology"), N_("Ideology")),
    "gender": (N_("Gender"), N_("Gender")),
    "age_band": (N_("Age band"), N_("Age band")),
    "returnee": (N_("Returnee"), N_("Returnee")),
    "risk_at_intake": (N_("Risk at intake"), N_("Risk at intake")),
    "region": (N_("Region"), N_("Region")),
    "organisation": (N_("Organisation"), N_("Organisation (total over its programmes)")),
    "country": (N_("Country"), N_("Country (total over its programmes)")),
    "intervention_type": (
        N_("Intervention type"),
        N_("Intervention type (total over its programmes)"),
    ),
    "setting": (N_("Setting"), N_("Setting (total over its programmes)")),
}
"""Each split's display name and picker choice, in English (translated where shown)."""


def _split(column: str) -> Split:
    name, choice = _NAMES[column]
    return Split(column, name, choice)


SPLITS: dict[str, Split] = {c: _split(c) for c in ALL_SPLITS}
"""Every split, ``programme`` (no further split) first, by column."""


def split_name(column: str) -> str:
    """The display name of a split column in the language of the moment (``age_band`` →
    ``Age band``, ``Altersgruppe``)."""
    return _(SPLITS[column].name) if column in SPLITS else column.replace("_", " ").capitalize()
