"""A programme at a glance (CSO managers): headline numbers and how complete the data is.

Everything shown comes from ``evaluation.views.programme``, computed in the user's scope; a
shared viewer's figures, completeness included, come from the approved releases, which the
page names, and their reading is on the audit trail.
"""

from __future__ import annotations

from typing import Any, Literal

import plotly.express as px
import streamlit as st

from evaluation.app import reads, render, state
from evaluation.app.period_picker import pick_period
from evaluation.app.session import current_viewer
from evaluation.periods import PeriodChoices, recent_periods
from evaluation.views import programme
from evaluation.vocabulary.numbers import D3_PERCENT_AXIS

# A rise is green where higher is better, red where lower is; grey where neither.
DELTA_COLOUR: dict[str, Literal["normal", "inverse", "off"]] = {
    "higher": "normal",
    "lower": "inverse",
}


def _tiles(h: programme.Headlines) -> None:
    cols = st.columns(3)
    for n, tile in enumerate(h.tiles):
        with cols[n % 3]:
            st.metric(
                tile.name,
                tile.value_text,
                delta=tile.change_text,
                delta_color=DELTA_COLOUR.get(tile.direction, "off"),
                help=render.md(tile.definition),
                border=True,
            )
            text = f"Before ({tile.previous_text}). {tile.target_text}"
            if tile.note:
                text += f" {tile.note}"
            st.caption(render.md(text))


def _completeness(h: programme.Headlines) -> None:
    st.subheader("How complete the data is")
    st.caption(
        "Some fields are optional in the export. Numbers built on a field that many "
        "cases leave empty deserve less trust: fill it in your system where you can."
    )
    data = h.completeness
    if data.empty:
        st.info("Nothing to check for this period.", icon=":material/info:")
        return
    if "indicator" in data.columns:  # shared: from the release, one share per indicator
        _released_completeness(data)
        return
    shown = data.dropna(subset=["share"])
    if not shown.empty:
        fig = px.bar(
            shown,
            x="share",
            y="field",
            orientation="h",
            text="share",
            labels={"share": "Filled in", "field": "Field"},
            hover_data={"meaning": True},
        )
        fig.update_traces(texttemplate=f"%{{x:{D3_PERCENT_AXIS}}}", marker_color="#4c78a8")
        fig.update_xaxes(tickformat=D3_PERCENT_AXIS, range=[0, 1.05])
        fig.update_layout(height=60 + 36 * len(shown), margin={"t": 10, "b": 10})
        st.plotly_chart(fig, key="programme_completeness_chart")
    config: dict[str, Any] = {
        "field": "Field",
        "meaning": "Meaning",
        "rows": st.column_config.NumberColumn("Rows checked", format="%d"),
        "filled": st.column_config.NumberColumn("Filled in", format="%d"),
        "share": st.column_config.NumberColumn("Share filled", format="percent"),
        "used_by": "Used by indicators",
    }
    st.dataframe(data, hide_index=True, width="stretch", column_config=config)


def _released_completeness(data: Any) -> None:
    st.caption(
        "As released: for each indicator, the lowest share filled in of the optional fields "
        "it uses, in the cases behind it. Blank where the figure is hidden to protect small "
        "numbers."
    )
    st.dataframe(
        data,
        hide_index=True,
        width="stretch",
        column_order=["indicator", "name", "fields", "share"],
        column_config={
            "indicator": st.column_config.TextColumn("Indicator", width="small"),
            "name": "Name",
            "fields": "Optional fields it uses",
            "share": st.column_config.NumberColumn("Data complete", format="percent"),
        },
    )


def _page() -> None:
    viewer = current_viewer()
    scope = viewer.scope
    st.title("Programme overview")
    programmes = state.programmes_in_scope(scope)
    if programmes.empty:
        st.info(
            "No programme you may see has data in the store yet. Load a package on the "
            "Upload page.",
            icon=":material/info:",
        )
        return
    names = dict(zip(programmes["programme_id"], programmes["programme"], strict=True))
    left, right = st.columns(2)
    pid = left.selectbox(
        "Programme",
        list(names),
        key="programme_programme",
        format_func=lambda p: f"{names[p]} ({p})",
    )
    info = programmes[programmes["programme_id"] == pid].iloc[0]
    period = pick_period(
        PeriodChoices.of(recent_periods(info["data_as_of"], info["first_date"])),
        key="programme_period",
        help="At first the latest quarter that is over in your data.",
        where=right,
    )
    with st.spinner("Computing…"):
        h = state.programme_headlines(scope, pid, period)
    reads.record_read(
        viewer, h.releases, "page:programme", {"programme": pid, "period": period.spec}
    )
    shared = f" · small numbers hidden · figures from {h.release}" if h.release else ""
    st.caption(
        render.md(
            f"{h.organisation} · data as of {h.data_as_of} · compared with "
            f"{h.previous_period.label}{shared}"
        )
    )
    _tiles(h)
    _completeness(h)


with render.sentences():
    _page()
