"""How each code of the data format reads for a person: ``stand_alone_exit`` → "Stand-alone exit
programme" (German in the catalogues), and the order a list of them is shown in.

The codes themselves are the format's (``evaluation.store.schema``: every ``vocab`` column);
here is only what a person reads. Every table cell, chart axis, legend, picker and report that
shows a code value asks :func:`code_label`; lists sort with :func:`code_order` (age bands by
age, not alphabetically).
"""

from __future__ import annotations

from evaluation.vocabulary.language import N_, _

NAMES: dict[str, dict[str, str]] = {
    # column -> code -> English display name (marked for translation with N_)
}
"""Display names per vocab column, in the order a list of them is shown."""

NOT_RECORDED = N_("not recorded")
"""What a missing code value reads as."""


def code_label(column: str, value: object) -> str:
    """The display name of ``value`` in ``column`` in the language of the moment."""
    if value is None or (isinstance(value, float) and value != value):
        return _(NOT_RECORDED)
    text = str(value)
    name = NAMES.get(column, {}).get(text)
    if name is not None:
        return _(name)
    return text.replace("_", " ").capitalize()


def code_order(column: str, values: list[str] | tuple[str, ...] | None = None) -> list[str]:
    """``values`` (default: every code of ``column``) in the order they are shown."""
    known = list(NAMES.get(column, {}))
    if values is None:
        return known
    rank = {code: i for i, code in enumerate(known)}
    return sorted(values, key=lambda v: (rank.get(str(v), len(rank)), str(v)))
