"""Data overview: the programmes with current data, their caseload, and new cases per quarter.

A shared viewer (funder, evaluator) sees no counts of records: for them the page lists the
programmes with the approved releases that serve them (number, approval date, periods), names
those releases above the table, and the read is on the audit trail like every shared read.
"""

from __future__ import annotations

from typing import Any

import plotly.express as px
import streamlit as st

from evaluation.app import reads, render, state
from evaluation.app.session import current_viewer
from evaluation.sharing.releases.read import release_note
from evaluation.views import overview
from evaluation.vocabulary import numbers

MAX_SERIES = 8

viewer = current_viewer()
scope = viewer.scope
st.title("Data overview")
if scope.internal:
    st.caption(
        "Counts of records as loaded, from each programme's current submission. They "
        "are not indicators: indicators with their agreed definitions come later."
    )
else:
    st.caption(
        "The programmes in your scope, the approved releases their figures come from, and "
        "how current the data of each release is. Counts of records as loaded stay with the "
        "organisations; you see the indicators, with small numbers hidden."
    )

programmes = state.programme_overview(scope)
if not scope.internal:  # (a funder's store holds programmes only from returns)
    with state.cursor() as cur:
        programmes = overview.released_overview(cur, scope)
if programmes.empty:
    st.info(
        "No programme has data in the store yet. Load a package on the Upload page."
        if scope.internal
        else "No programme in your scope has data in the store yet.",
        icon=":material/info:",
    )
else:
    columns: dict[str, Any] = {
        "programme_id": "ID",
        "programme": "Programme",
        "organisation": "Organisation",
        "country": st.column_config.TextColumn("Country", width="small"),
        "intervention_type": "Intervention type",
        "setting": "Setting",
        "data_as_of": st.column_config.DateColumn("Data as of", width="small"),
    }
    cols = st.columns(5)
    cols[0].metric("Programmes", numbers.count(programmes["programme_id"].nunique()))
    cols[1].metric("Organisations", numbers.count(programmes["organisation"].nunique()))
    if scope.internal:  # counts of records stay with the organisations (shared: not read)
        cols[2].metric("Cases", numbers.count(programmes["cases"].sum()))
        cols[3].metric("Open cases", numbers.count(programmes["open_cases"].sum()))
        cols[4].metric("Contacts", numbers.count(programmes["contacts"].sum()))
        columns |= {
            "cases": st.column_config.NumberColumn("Cases", width="small"),
            "open_cases": st.column_config.NumberColumn("Open", width="small"),
            "contacts": st.column_config.NumberColumn("Contacts", width="small"),
        }
    else:
        cols[2].metric("Releases", numbers.count(programmes["release"].nunique()))
        columns |= {
            "release": st.column_config.NumberColumn("Release", format="%d", width="small"),
            "approved_at": st.column_config.DatetimeColumn(
                "Approved (UTC)", format="D MMM YYYY", width="small"
            ),
            "periods": "Periods released",
            "data_as_of": st.column_config.DateColumn("Data as of", width="small"),
        }
        with state.cursor() as cur:
            note = release_note(programmes, cur)
        reads.record_read(viewer, programmes["release"], "page:overview")
        if note:
            st.info(
                f"Figures from {render.md(note)}. Only approved releases are shared; a "
                "programme without one shows none approved yet.",
                icon=":material/shield_person:",
            )
        else:
            st.info(
                "No release of these programmes is approved yet, so no figures can be shared. "
                "A CSO manager of the organisation can approve them on the Approvals page.",
                icon=":material/lock_clock:",
            )
    st.dataframe(
        programmes,
        hide_index=True,
        width="stretch",
        column_config=columns,
        column_order=None if scope.internal else overview.RELEASED_ORDER,
    )

if scope.internal and not programmes.empty:
    st.subheader("New cases per quarter")
    quarters = state.cases_per_quarter(scope)
    names = list(dict.fromkeys(quarters["programme"]))
    largest = (
        programmes.sort_values("cases", ascending=False)["programme"]
        .loc[lambda s: s.isin(names)]
        .head(MAX_SERIES)
        .tolist()
    )
    shown = st.multiselect(
        "Programmes",
        names,
        default=largest,
        key="overview_programmes",
        help=f"At first the {MAX_SERIES} programmes with most cases.",
    )
    data = quarters[quarters["programme"].isin(shown)]
    if data.empty:
        st.info(
            "No new cases to show: the current programmes have no cases yet, or no "
            "programme is chosen.",
            icon=":material/info:",
        )
    else:
        fig = px.bar(
            data,
            x="quarter",
            y="new_cases",
            color="programme",
            barmode="group",
            category_orders={"quarter": sorted(set(data["quarter"])), "programme": shown},
            labels={"quarter": "Quarter", "new_cases": "New cases", "programme": "Programme"},
        )
        fig.update_yaxes(
            rangemode="tozero", tickformat=",d", dtick=1 if data["new_cases"].max() <= 10 else None
        )
        fig.update_layout(
            margin={"t": 10, "b": 10}, height=420, legend={"orientation": "h", "y": -0.2}
        )
        st.plotly_chart(fig, key="cases_per_quarter_chart")
