"""Data overview: the programmes with current data, their caseload, and new exit cases per quarter.

A shared viewer (funder, evaluator) sees no counts of records: for them the page lists the
programmes with the approved releases that serve them (number, approval date, periods), names
those releases above the table, and the read is on the audit trail like every shared read.

The chart counts what the indicator C01 counts and is named as it is (one name for one number):
new exit cases, by the quarter they were opened in.
"""

from __future__ import annotations

from typing import Any

import plotly.express as px
import streamlit as st

from evaluation.app import reads, render, state
from evaluation.app.session import current_viewer
from evaluation.periods import label, period_of
from evaluation.sharing.releases.read import release_note
from evaluation.views import explore, overview
from evaluation.vocabulary import numbers
from evaluation.vocabulary.language import _, current
from evaluation.vocabulary.names import shown_name

MAX_SERIES = 8
NEW_EXIT_CASES = "C01"  # the indicator whose number the chart draws, and whose name it takes


def _new_exit_cases_name() -> str:
    try:
        return _(explore.shipped_catalogue().get(NEW_EXIT_CASES).name)
    except KeyError:
        return _("New exit cases")


viewer = current_viewer()
scope = viewer.scope
lang = current()
date_format = explore.moment_date_format()
st.title(_("Data overview"))
if scope.internal:
    st.caption(
        _(
            "Counts of records as loaded, from each programme's current submission. Only the "
            "new exit cases below are an indicator (with its agreed definition); the other "
            "indicators are on the Indicator explorer page."
        )
    )
else:
    st.caption(
        _(
            "The programmes in your scope, the approved releases their figures come from, and "
            "how current the data of each release is. Counts of records as loaded stay with "
            "the organisations; you see the indicators, with small numbers hidden."
        )
    )

programmes = state.programme_overview(scope)
if not scope.internal:  # (a funder's store holds programmes only from returns)
    with state.cursor() as cur:
        programmes = overview.released_overview(cur, scope)
if programmes.empty:
    st.info(
        _("No programme has data in the store yet. Load a package on the Upload page.")
        if scope.internal
        else _("No programme in your scope has data in the store yet."),
        icon=":material/info:",
    )
else:
    # Widths in pixels: the columns up to the organisation fit the 848 pixels a 1280-pixel
    # screen leaves beside the sidebar, its whole name too; the programme's attributes follow.
    columns: dict[str, Any] = {
        "programme": st.column_config.TextColumn(_("Programme"), width=240),
        "organisation": st.column_config.TextColumn(_("Organisation"), width=240),
        "country": st.column_config.TextColumn(_("Country"), width=110),
        "intervention_type": st.column_config.TextColumn(_("Intervention type"), width=170),
        "setting": st.column_config.TextColumn(_("Setting"), width=170),
        "data_as_of": st.column_config.DateColumn(_("Data as of"), format=date_format, width=100),
    }
    cols = st.columns(5)
    cols[0].metric(_("Programmes"), numbers.count(programmes["programme_id"].nunique(), lang))
    cols[1].metric(_("Organisations"), numbers.count(programmes["organisation"].nunique(), lang))
    if scope.internal:  # counts of records stay with the organisations (shared: not read)
        cols[2].metric(_("Cases"), numbers.count(programmes["cases"].sum(), lang))
        cols[3].metric(_("Open cases"), numbers.count(programmes["open_cases"].sum(), lang))
        cols[4].metric(_("Contacts"), numbers.count(programmes["contacts"].sum(), lang))
        columns |= {
            "cases": st.column_config.NumberColumn(
                _("Cases"),
                format="localized",
                width=70,
                help=_("Every case record: exit participants and concerned persons."),
            ),
            "open_cases": st.column_config.NumberColumn(_("Open"), format="localized", width=70),
            "contacts": st.column_config.NumberColumn(_("Contacts"), format="localized", width=80),
        }
        # the counts right after the name, so a phone's width shows them too
        order = ["programme", "cases", "open_cases", "contacts", "data_as_of", "organisation"]
        order += ["country", "intervention_type", "setting"]
    else:
        cols[2].metric(_("Releases"), numbers.count(programmes["release"].nunique(), lang))
        columns |= {
            "release": st.column_config.NumberColumn(_("Release"), format="%d", width=70),
            "approved_at": st.column_config.DatetimeColumn(
                _("Approved (UTC)"), format=date_format, width=120
            ),
            "period_span": st.column_config.TextColumn(
                _("Periods released"),
                width=240,
                help=_("Every period of each release is listed below the table."),
            ),
        }
        columns["programme"] = st.column_config.TextColumn(_("Programme"), width=260)
        order = [c for c in overview.RELEASED_ORDER if c not in ("programme_id", "periods")]
        with state.cursor() as cur:
            note = release_note(programmes, cur)
        reads.record_read(viewer, programmes["release"], "page:overview")
        if note:
            st.info(
                _(
                    "Figures from {release}. Only approved releases are shared; a programme "
                    "without one shows none approved yet.",
                    release=render.md(note),
                ),
                icon=":material/shield_person:",
            )
        else:
            st.info(
                _(
                    "No release of these programmes is approved yet, so no figures can be "
                    "shared. A CSO manager of the organisation can approve them on the "
                    "Approvals page."
                ),
                icon=":material/lock_clock:",
            )
    headers = {c: v if isinstance(v, str) else v["label"] for c, v in columns.items()}
    st.dataframe(  # headers in words: the frame itself carries them, as a reader sees them
        overview.labelled(programmes)[order].rename(columns=headers),
        hide_index=True,
        width="stretch",
        column_config={headers[c]: v for c, v in columns.items() if not isinstance(v, str)},
    )
    if not scope.internal and programmes["release"].notna().any():
        released = programmes.dropna(subset=["release"]).drop_duplicates("release")
        render.release_periods(
            (int(row["release"]), str(row["periods"]))
            for row in released.sort_values("release").to_dict("records")
        )

if scope.internal and not programmes.empty:
    name = _new_exit_cases_name()
    st.subheader(_("{indicator} per quarter", indicator=name))
    st.caption(
        _(
            "Exit cases opened in each quarter, unsuppressed, from the records as loaded: the "
            "number the indicator {indicator} counts. Cases of concerned persons are not "
            "among them.",
            indicator=name,
        )
    )
    quarters = state.cases_per_quarter(scope)  # programmes by the names a reader reads
    quarters = quarters.assign(programme=quarters["programme"].map(shown_name))
    names = list(dict.fromkeys(quarters["programme"]))
    largest = (
        programmes.sort_values("cases", ascending=False)["programme"]
        .map(shown_name)
        .loc[lambda s: s.isin(names)]
        .head(MAX_SERIES)
        .tolist()
    )
    shown = st.multiselect(
        _("Programmes"),
        names,
        default=largest,
        key="overview_programmes",
        help=_("At first the {n} programmes with most cases.", n=MAX_SERIES),
    )
    data = quarters[quarters["programme"].isin(shown)].copy()
    if data.empty:
        st.info(
            _(
                "No new cases to show: the current programmes have no cases yet, or no "
                "programme is chosen."
            ),
            icon=":material/info:",
        )
    else:
        data["quarter"] = [
            label(period_of("quarter", d.date() if hasattr(d, "date") else d), lang)
            for d in data["quarter_start"]
        ]
        order = list(dict.fromkeys(data.sort_values("quarter_start")["quarter"]))
        fig = px.bar(
            data,
            x="quarter",
            y="new_exit_cases",
            color="programme",
            barmode="group",
            category_orders={"quarter": order, "programme": shown},
            labels={"quarter": _("Quarter"), "new_exit_cases": name, "programme": _("Programme")},
        )
        fig.update_xaxes(type="category")
        fig.update_yaxes(
            rangemode="tozero",
            tickformat=",d",
            dtick=1 if data["new_exit_cases"].max() <= 10 else None,
        )
        fig.update_layout(
            margin={"t": 10, "b": 10},
            height=420,
            legend={"orientation": "h", "y": -0.2},
            separators=",." if lang == "de" else ".,",
        )
        st.plotly_chart(fig, key="cases_per_quarter_chart")
