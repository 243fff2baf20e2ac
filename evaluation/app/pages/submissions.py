"""Submissions: every package loaded into the store, and whether its data is still current."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from evaluation.app import state
from evaluation.app.session import current_viewer
from evaluation.views import overview

scope = current_viewer().scope
st.title("Submissions")
st.markdown(
    "Every package loaded into the store is kept on record. A newer package for the "
    "same programmes becomes their current data; the older one stays here, marked "
    "replaced."
)

subs = state.submissions(scope)
if not subs:
    st.info(
        "Nothing has been loaded yet. Load a package on the Upload page.", icon=":material/info:"
    )
else:
    st.dataframe(
        overview.submission_table(subs),
        hide_index=True,
        width="stretch",
        column_config={
            "submission": "Submission",
            "organisation": "Organisation",
            "data_as_of": st.column_config.DateColumn("Data as of"),
            "source_file": "Source file",
            "programmes": "Programmes",
            "rows": st.column_config.NumberColumn("Rows", format="localized"),
            "loaded_at": st.column_config.DatetimeColumn(
                "Loaded at (UTC)", format="YYYY-MM-DD HH:mm"
            ),
            "loaded_by": "Loaded by",
            "current_for": "Current",
        },
    )
    by_id = {s.submission_id: s for s in subs}
    chosen = st.selectbox(
        "Rows per table of submission",
        list(by_id),
        key="submission_select",
        format_func=lambda sid: (
            f"{sid} — {by_id[sid].source_name}, as of {by_id[sid].data_as_of.isoformat()}"
        ),
    )
    sub = by_id[chosen]
    fig = px.bar(
        overview.submission_rows(sub),
        x="table",
        y="rows",
        text="rows",
        labels={"table": "Table", "rows": "Rows"},
    )
    fig.update_yaxes(rangemode="tozero", tickformat=",d")
    fig.update_layout(margin={"t": 10, "b": 10}, height=360)
    st.plotly_chart(fig, key="submission_rows_chart")
