"""Indicator catalogue: every published indicator, its versions, definition and caveats."""

from __future__ import annotations

import streamlit as st

from evaluation.app import render
from evaluation.measures.catalogue import Indicator
from evaluation.views import explore

st.title("Indicator catalogue")
st.caption(
    "Every number in the dashboard and the reports comes from one of these published, "
    "versioned definitions. A changed definition is a new version; older versions stay "
    "computable (as C04@1)."
)


def _facts(ind: Indicator) -> None:
    st.markdown(
        f"**Kind:** {render.md(ind.kind)} · **Unit:** {render.md(ind.unit)} · "
        f"**Better when:** {render.md(ind.direction)} · "
        f"**Split:** {'by any case column' if ind.splits == 'case' else 'by programme only'}"
    )
    st.markdown(f"**Source tables:** {render.md(', '.join(f'`{s}`' for s in ind.sources))}")
    if ind.optional_fields:
        st.markdown(
            "**Optional fields it relies on:** "
            + render.md(", ".join(f"`{f}`" for f in ind.optional_fields))
        )
    if ind.about_people:
        st.caption("About people: small numbers are hidden when shared.")


def _entry(entry: explore.CatalogueEntry, expanded: bool) -> None:
    ind = entry.latest
    with st.expander(f"{render.md(ind.id)} · {render.md(ind.name)}", expanded=expanded):
        st.markdown(f"**Version {ind.version}** (current) — {render.md(ind.definition)}")
        for caveat in ind.caveats:
            st.warning(render.md(caveat), icon=":material/warning:")
        _facts(ind)
        for old in reversed(entry.versions[:-1]):
            st.markdown(
                f"**Version {old.version}** ({render.md(old.key)}) — {render.md(old.definition)}"
            )
            for caveat in old.caveats:
                st.caption(f"Caveat of version {old.version}: {render.md(caveat)}")


with render.sentences():
    search = st.text_input(
        "Search",
        key="catalogue_search",
        placeholder="e.g. C06, contact, release",
        help="Id, name or definition; every word must match.",
    )
    groups = explore.catalogue_groups(search=search)
    found = sum(len(g.entries) for g in groups)
    if not groups:
        st.info("No indicator matches that search.", icon=":material/search_off:")
    elif search.strip():
        st.caption(f"{found} indicator{'s' if found != 1 else ''} found.")
    for group in groups:
        st.header(f"{group.letter} · {group.title}" if group.letter else group.title)
        for entry in group.entries:
            _entry(entry, expanded=bool(search.strip()) and found <= 3)
