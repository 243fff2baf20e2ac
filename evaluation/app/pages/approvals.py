"""Approvals (CSO managers and administrators): preview what a funder would see, approve it as a
release with a note, list the releases and withdraw one.

Everything comes from ``evaluation.sharing.releases`` (``preview``, ``approve``, ``withdraw``,
``list_releases``), which also decides who may approve; the page draws what they return, in the
reader's language: indicators and programmes by name, periods and split values by label, a
hidden figure marked differently from one without data (``vocabulary.marks``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from evaluation.app import render, state
from evaluation.app.period_picker import pick_periods
from evaluation.app.session import current_viewer
from evaluation.demo.releases import note_text
from evaluation.periods import PeriodChoices, recent_periods
from evaluation.sharing import releases
from evaluation.sharing.audit import actor_text
from evaluation.sharing.releases import Draft
from evaluation.store.access import Viewer
from evaluation.views import explore
from evaluation.views.releases import draft_summary, draft_table, period_list, release_table
from evaluation.vocabulary import marks, numbers
from evaluation.vocabulary.kinds import PERCENT_KINDS
from evaluation.vocabulary.language import _, current
from evaluation.vocabulary.names import shown_name
from evaluation.vocabulary.splits import CASE_SPLITS, split_name

PREVIEW = "approvals_preview_result"
WITHDRAWN = "approvals_withdrawn_message"
# The preview's columns as shown (``split`` only when the figures are split). (No bare
# strings at a page's top level: Streamlit's "magic" would draw them on the page.)
PREVIEW_ORDER = ("indicator", "programme", "period", "split", "value", "counted")


def release_label(number: int, approved_at: dt.datetime) -> str:
    """``Release 3 (approved 4 Dec 2026)`` in the reader's language (the day in UTC)."""
    day = pd.Timestamp(approved_at).date()
    return _("Release {n} (approved {date})", n=number, date=explore.date_text(day))


def _present(value: object) -> float | None:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    return float(value)  # type: ignore[arg-type]


def preview_table(draft: Draft, split: str, names: Mapping[str, str]) -> pd.DataFrame:
    """The preview as a funder will read it, every cell in words: the indicator by name, the
    programme by name, the period and split value by label, the figure as it reads (or the
    mark of a hidden figure, or of one without data), and what a rate counted."""
    frame = draft_table(draft, split, names)
    catalogue = explore.shipped_catalogue()
    lang = current()
    rows = []
    split_header = split_name(split) if split else None
    for row, indicator_id in zip(frame.to_dict("records"), frame["indicator"], strict=True):
        try:
            ind = catalogue.get(str(indicator_id))
            name, kind, unit = _(ind.name), ind.kind, ind.unit
        except KeyError:
            name, kind, unit = str(indicator_id), "count", ""
        value = _present(row["value"])
        num, den = _present(row["numerator"]), _present(row["denominator"])
        if row["hidden"]:
            shown, counted = marks.hidden(), ""
        elif value is None:
            shown, counted = marks.no_data(), ""
        else:
            shown = numbers.figure(value, kind, unit, lang)
            counted = (
                _("{n} of {d}", n=numbers.count(num, lang), d=numbers.count(den, lang))
                if kind in PERCENT_KINDS and num is not None and den is not None
                else ""
            )
        rows.append(
            {
                "indicator": name,
                "programme": row["programme"],
                "period": row["period"],
                **({"split": row[split_header]} if split_header else {}),
                "value": shown,
                "counted": counted,
                "hidden": bool(row["hidden"]),
            }
        )
    columns = [c for c in PREVIEW_ORDER if split or c != "split"] + ["hidden"]
    return pd.DataFrame(rows, columns=columns)


def _preview(draft: Draft, names: Mapping[str, str]) -> None:
    st.subheader(_("What a funder will receive"))
    st.markdown(render.md(draft_summary(draft)))
    split = render.selectbox(
        _("Figures"),
        ["", *CASE_SPLITS],
        format_func=lambda c: _("Not split") if c == "" else _(split_name(c)),
        key="approvals_split",
        help=_("A funder receives the figures unsplit and split by each of these."),
    )
    table = preview_table(draft, split, names)
    config: dict[str, Any] = {
        "indicator": st.column_config.TextColumn(_("Indicator"), width=260),
        "programme": st.column_config.TextColumn(_("Programme"), width=200),
        "period": st.column_config.TextColumn(_("Period"), width=110),
        "value": st.column_config.TextColumn(_("Value"), width=90),
        "counted": st.column_config.TextColumn(_("Counted"), width=110),
    }
    if split:
        config["split"] = st.column_config.TextColumn(_(split_name(split)), width=140)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_order=[c for c in table.columns if c != "hidden"],
        column_config=config,
    )
    st.caption(marks.legend(draft.settings.max_small + 1))


def _page() -> None:
    viewer = current_viewer()
    st.title(_("Approvals"))
    st.caption(
        _(
            "Nothing about people leaves the organisation before you approve it. Choose "
            "programmes and periods and look at exactly what a funder will receive: the "
            "indicators of each programme and period, with small numbers hidden; never a case, "
            "a name or a count of records as loaded. When you approve, these figures become a "
            "numbered release that cannot be changed, and funders whose scope includes the "
            "organisation can read them. Withdrawing a release stops it being served; what was "
            "already downloaded or sent stays with its recipients."
        )
    )
    programmes = state.programmes_in_scope(viewer.scope)
    if programmes.empty:
        st.info(
            _("No programme you may approve has data in the store yet."), icon=":material/info:"
        )
        _releases(viewer, {})
        return
    names = {p: shown_name(n) for p, n in explore.programme_names(programmes).items()}
    orgs = sorted(set(programmes["organisation"]), key=str.lower)
    org = render.selectbox(
        _("Organisation"), orgs, key="approvals_organisation", format_func=shown_name
    )
    mine = programmes[programmes["organisation"] == org]
    chosen = render.multiselect(
        _("Programmes"),
        list(mine["programme_id"]),
        default=list(mine["programme_id"]),
        format_func=lambda p: shown_name(names.get(p, p)),
        key="approvals_programmes",
    )
    firsts = [d for d in mine["first_date"] if d is not None]
    choices = PeriodChoices.of(recent_periods(max(mine["data_as_of"]), min(firsts, default=None)))
    periods = pick_periods(
        choices,
        key="approvals_periods",
        label=_("Periods to approve"),
        help=_(
            "Any period, a custom grant period included. Its quarters or months are "
            "released only if you approve them too."
        ),
    )
    asked = (tuple(sorted(chosen)), tuple(p.spec for p in periods))
    if st.button(_("Preview"), key="approvals_preview", icon=":material/visibility:"):
        if not chosen:
            st.warning(_("Choose at least one programme."), icon=":material/warning:")
        else:
            bar = render.ProgressBar(_("Protecting the figures"))
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
        _preview(shown[1], names)
        note = st.text_input(
            _("Note (optional)"),
            key="approvals_note",
            max_chars=500,
            help=_("Kept with the release; a funder reads it with the figures."),
        )
        if st.button(
            _("Approve"), key="approvals_approve", type="primary", icon=":material/verified:"
        ):
            bar = render.ProgressBar(_("Approving"))
            try:
                release = releases.approve(
                    state.store(), chosen, periods, actor=viewer, note=note, progress=bar
                )
            finally:
                bar.done()
            st.session_state.pop(PREVIEW, None)
            state.clear_caches()
            st.success(
                render.md(
                    _(
                        "Approved {release}. Funders in its scope can read these figures now; "
                        "send them a return on the Send a return page.",
                        release=release_label(release.number, release.approved_at),
                    )
                ),
                icon=":material/check_circle:",
            )
    _releases(viewer, names)


def _releases(viewer: Viewer, names: dict[str, str]) -> None:
    st.subheader(_("Releases"))
    if (done := st.session_state.pop(WITHDRAWN, None)) is not None:
        st.success(render.md(done), icon=":material/check_circle:")
    with state.cursor() as cur:
        listed = [
            r
            for r in releases.list_releases(cur)
            if viewer.scope.allows(r.organisation, r.programmes)
        ]
    if not listed:
        st.caption(_("No release yet."))
        return
    date_format = explore.moment_date_format()
    shown = release_table(listed, names)
    shown["approved_by"] = shown["approved_by"].map(actor_text)  # "Command line", not "cli"
    shown["note"] = shown["note"].map(note_text)
    shown["organisation"] = shown["organisation"].map(shown_name)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_order=(
            "release",
            "status",
            "programmes",
            "periods",
            "approved_at",
            "approved_by",
            "note",
            "organisation",
            "catalogue",
        ),
        column_config={
            "release": st.column_config.NumberColumn(_("Release"), format="%d", width=70),
            "status": st.column_config.TextColumn(_("Status"), width=120),
            "organisation": _("Organisation"),
            "programmes": st.column_config.TextColumn(_("Programmes"), width=200),
            "periods": st.column_config.TextColumn(
                _("Periods"),
                width=240,
                help=_("Every period of each release is listed below the table."),
            ),
            "approved_by": _("Approved by"),
            "approved_at": st.column_config.DatetimeColumn(
                _("Approved (UTC)"), format=f"{date_format} HH:mm", width=140
            ),
            "catalogue": st.column_config.TextColumn(_("Indicator catalogue"), width=90),
            "note": _("Note"),
        },
    )
    render.release_periods(
        (r.number, period_list(r.periods))
        for r in sorted(listed, key=lambda r: r.number, reverse=True)
    )
    active = [r for r in listed if r.active]
    if not active:
        return
    by_number = {r.number: r for r in active}
    number = render.selectbox(
        _("Withdraw a release"),
        list(by_number),
        format_func=lambda n: release_label(n, by_number[n].approved_at),
        key="approvals_withdraw_number",
    )
    if st.button(_("Withdraw"), key="approvals_withdraw", icon=":material/block:"):
        gone = releases.withdraw(state.store(), int(number), actor=viewer)
        state.clear_caches()
        st.session_state[WITHDRAWN] = _(
            "Withdrew {release}: it is no longer served. Files already downloaded or sent stay "
            "with their recipients.",
            release=release_label(gone.number, gone.approved_at),
        )
        st.rerun()


with render.sentences():
    _page()
