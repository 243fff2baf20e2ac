"""How a stored name reads for a person: the demo's mark in the reader's language.

Every generated organisation, source system and funder name carries the mark ``(fictional)``,
so synthetic numbers are never attached to a real organisation, even in a file that leaves the
demo. The mark is part of the stored name (an organisation's name is also the key of every
scope), so it stays English there; :func:`shown_name` shows it in the reader's language
(``Nordlicht Ausstiegshilfe e.V. (fiktiv)``) wherever a page or report names an organisation,
a funder or a source. A name without the mark is shown as it is.
"""

from __future__ import annotations

from evaluation.vocabulary.language import N_, _

FICTIONAL = "(fictional)"
"""The mark as it is stored, in English."""
FICTIONAL_LABEL = N_("(fictional)")


def shown_name(name: object) -> str:
    """A name, or a text naming several, as its reader reads it: each demo name's mark in the
    language of the moment; a name without it as it is; ``""`` for none."""
    text = "" if name is None else str(name)
    if f" {FICTIONAL}" not in text:
        return text
    return text.replace(f" {FICTIONAL}", " " + _(FICTIONAL_LABEL))
