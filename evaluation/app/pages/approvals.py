"""Approvals (CSO managers and administrators): preview what a funder would see, approve it as a
release with a note, list the releases and withdraw one.

Everything comes from ``evaluation.sharing.releases`` (``preview``, ``approve``, ``withdraw``,
``list_releases``), which also decides who may approve; the page draws what they return.
"""

from __future__ import annotations

import streamlit as st

from evaluation.app import render, state
from evaluation.app.period_picker import pick_periods
from evaluation.app.session import current_viewer
from evaluation.periods import PeriodChoices, recent_periods
from evaluation.sharing import releases
from evaluation.store.access import Viewer
from evaluation.views.releases import draft_summary, draft_table, release_table
from evaluation.vocabulary.splits import CASE_SPLITS, split_name

PREVIEW = "approvals_preview_result"
WITHDRAWN = "approvals_withdrawn_message"


def _page() -> None:
    viewer = current_viewer()
    st.title("Approvals")
    st.caption(
        "Nothing about people leaves the organisation before you approve it. Choose "
        "programmes and periods, look at exactly what a funder would see, then approve: the "
        "figures become a numbered release that cannot be changed. Withdrawing a release "
        "stops it being served; what was already downloaded stays out."
    )
    programmes = state.programmes_in_scope(viewer.scope)
    if programmes.empty:
        st.info("No programme you may approve has data in the store yet.", icon=":material/info:")
        _releases(viewer, {})
        return
    names = dict(zip(programmes["programme_id"], programmes["programme"], strict=True))
    orgs = sorted(set(programmes["organisation"]), key=str.lower)
    org = st.selectbox("Organisation", orgs, key="approvals_organisation")
    mine = programmes[programmes["organisation"] == org]
    chosen = st.multiselect(
        "Programmes",
        list(mine["programme_id"]),
        default=list(mine["programme_id"]),
        format_func=lambda p: f"{names.get(p, p)} ({p})",
        key="approvals_programmes",
    )
    firsts = [d for d in mine["first_date"] if d is not None]
    choices = PeriodChoices.of(recent_periods(max(mine["data_as_of"]), min(firsts, default=None)))
    periods = pick_periods(
        choices,
        key="approvals_periods",
        label="Periods to approve",
        help="Any period, a custom grant period included. Its quarters or months are "
        "released only if you approve them too.",
    )
    asked = (tuple(sorted(chosen)), tuple(p.spec for p in periods))
    if st.button("Preview", key="approvals_preview", icon=":material/visibility:"):
        if not chosen:
            st.warning("Choose at least one programme.", icon=":material/warning:")
        else:
            bar = render.ProgressBar("Protecting the figures")
            try:
                with state.cursor() as cur:
                    st.session_state[PREVIEW] = (
                        asked,
                        releases.preview(cur, chosen, periods, progress=bar),
                    )
            finally:
                bar.done()
    shown = st.session_state.get(PREVIEW)
    if shown is not None and shown[0] == asked:
        draft = shown[1]
        st.subheader("What a funder would see")
        st.markdown(render.md(draft_summary(draft)))
        split = st.selectbox(
            "Figures",
            ["", *CASE_SPLITS],
            format_func=lambda c: "Not split" if c == "" else f"By {split_name(c).lower()}",
            key="approvals_split",
        )
        st.dataframe(
            draft_table(draft, split),
            hide_index=True,
            width="stretch",
            column_config={"hidden": "Hidden (small numbers)"},
        )
        note = st.text_input("Note (optional)", key="approvals_note", max_chars=500)
        if st.button(
            "Approve", key="approvals_approve", type="primary", icon=":material/verified:"
        ):
            bar = render.ProgressBar("Approving")
            try:
                release = releases.approve(
                    state.store(), chosen, periods, actor=viewer, note=note, progress=bar
                )
            finally:
                bar.done()
            st.session_state.pop(PREVIEW, None)
            state.clear_caches()
            st.success(render.md(f"Approved {release.label}."), icon=":material/check_circle:")
    _releases(viewer, names)


def _releases(viewer: Viewer, names: dict[str, str]) -> None:
    st.subheader("Releases")
    if (done := st.session_state.pop(WITHDRAWN, None)) is not None:
        st.success(render.md(done), icon=":material/check_circle:")
    with state.cursor() as cur:
        listed = [
            r
            for r in releases.list_releases(cur)
            if viewer.scope.allows(r.organisation, r.programmes)
        ]
    if not listed:
        st.caption("No release yet.")
        return
    st.dataframe(
        release_table(listed, names),
        hide_index=True,
        width="stretch",
        column_config={
            "release": st.column_config.NumberColumn("Release", format="%d"),
            "status": "Status",
            "organisation": "Organisation",
            "programmes": "Programmes",
            "periods": "Periods",
            "approved_by": "Approved by",
            "approved_at": st.column_config.DatetimeColumn("Approved (UTC)"),
            "catalogue": "Catalogue",
            "note": "Note",
        },
    )
    active = [r for r in listed if r.active]
    if not active:
        return
    by_number = {r.number: r for r in active}
    number = st.selectbox(
        "Withdraw a release",
        list(by_number),
        format_func=lambda n: by_number[n].label,
        key="approvals_withdraw_number",
    )
    if st.button("Withdraw", key="approvals_withdraw", icon=":material/block:"):
        gone = releases.withdraw(state.store(), int(number), actor=viewer)
        state.clear_caches()
        st.session_state[WITHDRAWN] = f"Withdrew {gone.label}: it is no longer served."
        st.rerun()


with render.sentences():
    _page()
