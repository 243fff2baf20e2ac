"""Data overview: the programmes with current data, their caseload, and new cases per quarter."""

from __future__ import annotations

from typing import Any

import plotly.express as px
import streamlit as st

from evaluation.app import state
from evaluation.app.session import current_viewer
from evaluation.vocabulary import numbers

MAX_SERIES = 8

scope = current_viewer().scope
st.title("Data overview")
if scope.internal:
    st.caption(
        "Counts of records as loaded, from each programme's current submission. They "
        "are not indicators: indicators with their agreed definitions come later."
    )
else:
    st.caption(
        "The programmes in your scope with data in the store, and how current it is. "
        "Counts of records as loaded stay with the organisations; you see the "
        "indicators, with small numbers hidden."
    )

programmes = state.programme_overview(scope)
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
    cols[0].metric("Programmes", numbers.count(len(programmes)))
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
    st.dataframe(programmes, hide_index=True, width="stretch", column_config=columns)

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
