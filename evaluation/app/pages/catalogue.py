"""Indicator catalogue: every published indicator, its versions, definition and caveats, in the
reader's language (names, definitions and caveats are translated in the catalogue's own
translation files; the facts about each are named here)."""

from __future__ import annotations

import streamlit as st

from evaluation.app import render
from evaluation.measures.catalogue import Indicator
from evaluation.views import explore
from evaluation.vocabulary.kinds import direction_sentence, kind_name
from evaluation.vocabulary.language import N_, _, n_

TABLES = {  # the package's tables, as the catalogue names its sources
    "cases": N_("cases"),
    "contacts": N_("contacts"),
    "custody_events": N_("custody events"),
    "assessments": N_("assessments"),
    "needs": N_("needs"),
    "outcomes": N_("outcomes"),
    "referrals": N_("referrals"),
    "capacity": N_("capacity"),
    "funding": N_("funding"),
    "staffing": N_("staffing"),
    "programmes": N_("programmes"),
}
FIELDS = {  # optional fields an indicator relies on
    "first_request_on": N_("the date of the first request"),
    "plan_agreed_on": N_("the date the exit plan was agreed"),
}


def _named(names: dict[str, str], code: str) -> str:
    """A code of the lists above in words (an unknown one without its underscores)."""
    return _(names[code]) if code in names else code.replace("_", " ")


def _field(field: str) -> str:
    table, _dot, column = field.rpartition(".")
    if not table:
        return _named(FIELDS, column)
    return _("{field} ({table})", field=_named(FIELDS, column), table=_named(TABLES, table))


def _facts(ind: Indicator) -> None:
    st.markdown(
        " · ".join(
            [
                _("**Kind:** {kind}", kind=render.md(kind_name(ind.kind))),
                _("**Unit:** {unit}", unit=render.md(_(ind.unit))),
                render.md(direction_sentence(ind.direction)),
                _("**Split:** {split}", split=_("by any case column"))
                if ind.splits == "case"
                else _("**Split:** {split}", split=_("by programme only")),
            ]
        )
    )
    st.markdown(
        _(
            "**Source tables:** {tables}",
            tables=render.md(", ".join(_named(TABLES, s) for s in ind.sources)),
        )
    )
    if ind.optional_fields:
        st.markdown(
            _(
                "**Optional fields it relies on:** {fields}",
                fields=render.md(", ".join(_field(f) for f in ind.optional_fields)),
            )
        )
    if ind.about_people:
        st.caption(_("About people: small numbers are hidden when shared."))


def _entry(entry: explore.CatalogueEntry, expanded: bool) -> None:
    ind = entry.latest
    with st.expander(f"{render.md(ind.id)} · {render.md(_(ind.name))}", expanded=expanded):
        st.markdown(
            _(
                "**Version {version}** (current) — {definition}",
                version=ind.version,
                definition=render.md(_(ind.definition)),
            )
        )
        for caveat in ind.caveats:
            st.warning(render.md(_(caveat)), icon=":material/warning:")
        _facts(ind)
        for old in reversed(entry.versions[:-1]):
            st.markdown(
                _(
                    "**Version {version}** ({key}) — {definition}",
                    version=old.version,
                    key=render.md(old.key),
                    definition=render.md(_(old.definition)),
                )
            )
            for caveat in old.caveats:
                st.caption(
                    _(
                        "Caveat of version {version}: {caveat}",
                        version=old.version,
                        caveat=render.md(_(caveat)),
                    )
                )


def _matches(entry: explore.CatalogueEntry, words: list[str]) -> bool:
    """Every searched word is in the id, name or definition of a version, as written in the
    catalogue or as the reader reads it."""
    text = " ".join(
        f"{i.key} {i.id} {i.name} {i.definition} {_(i.name)} {_(i.definition)}"
        for i in entry.versions
    ).lower()
    return all(w in text for w in words)


st.title(_("Indicator catalogue"))
st.caption(
    _(
        "Every number in the dashboard and the reports comes from one of these published, "
        "versioned definitions. A changed definition is a new version; older versions stay "
        "computable (as C04@1)."
    )
)

with render.sentences():
    search = st.text_input(
        _("Search"),
        key="catalogue_search",
        placeholder=_("e.g. C06, contact, release"),
        help=_("Id, name or definition; every word must match."),
    )
    words = search.lower().split()
    groups = [
        (group, [e for e in group.entries if _matches(e, words)])
        for group in explore.catalogue_groups()
    ]
    groups = [(group, entries) for group, entries in groups if entries]
    found = sum(len(entries) for _group, entries in groups)
    if not groups:
        st.info(_("No indicator matches that search."), icon=":material/search_off:")
    elif words:
        st.caption(n_("{n} indicator found.", "{n} indicators found.", found))
    for group, entries in groups:
        title = _(group.title)
        st.header(f"{group.letter} · {title}" if group.letter else title)
        for entry in entries:
            _entry(entry, expanded=bool(words) and found <= 3)
