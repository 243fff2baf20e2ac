"""Indicator explorer: chosen indicators over chosen periods, as charts, tables and files.

Every choice offered and every number drawn comes from ``evaluation.views.explore`` and
``evaluation.views.charts``; the request always carries the signed-in user's scope, which is what
suppresses small numbers for funders and evaluators.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from plotly.graph_objects import Figure

from evaluation.app import reads, render, state
from evaluation.app.period_picker import pick_periods
from evaluation.app.session import current_viewer
from evaluation.views import explore
from evaluation.views.programmes import programme_label
from evaluation.vocabulary.kinds import PERCENT_KINDS


def _about(view: explore.IndicatorResult) -> None:
    st.markdown(
        f"**Version {view.version}** · {render.md(view.kind)} · unit: "
        f"{render.md(view.unit)} · better: {render.md(view.direction)}"
    )
    st.markdown(render.md(view.definition))
    for caveat in view.caveats:
        st.markdown(f"*Caveat:* {render.md(caveat)}")
    st.caption("Sources: " + render.md(", ".join(view.sources)))


def _table(view: explore.IndicatorResult, splits: tuple[str, ...]) -> None:
    number = "percent" if view.kind in PERCENT_KINDS else "localized"
    first = ["programme_id", "period_start", "period_end", *splits, "value", "ci_low", "ci_high"]
    order = first + [c for c in view.frame.columns if c not in first]
    st.dataframe(
        view.frame,
        hide_index=True,
        column_order=order,
        column_config={
            "period_start": st.column_config.DateColumn("From"),
            "period_end": st.column_config.DateColumn("To"),
            "value": st.column_config.NumberColumn("Value", format=number),
            "ci_low": st.column_config.NumberColumn("95 % from", format=number),
            "ci_high": st.column_config.NumberColumn("95 % to", format=number),
            "target": st.column_config.NumberColumn("Target", format=number),
            "baseline": st.column_config.NumberColumn("Baseline", format=number),
            "completeness": st.column_config.NumberColumn("Completeness", format="percent"),
        },
    )


def _show(
    result: explore.ExplorerResult,
    figure: Callable[[explore.IndicatorResult], Figure],
) -> None:
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(
        "Download CSV",
        explore.tidy_bytes(result.frame, "csv"),
        file_name=explore.download_name(result, "csv"),
        mime=explore.MIME["csv"],
        key="download_csv",
        on_click="ignore",
        icon=":material/download:",
        help="Every row of the tables below, as shown.",
    )
    right.download_button(
        "Download Parquet",
        explore.tidy_bytes(result.frame, "parquet"),
        file_name=explore.download_name(result, "parquet"),
        mime=explore.MIME["parquet"],
        key="download_parquet",
        on_click="ignore",
        icon=":material/download:",
        help="The same rows, typed, for analysis tools.",
    )
    for view in result.indicators:
        st.subheader(render.md(view.title))
        chart, side = st.columns([3, 2])
        with chart:
            st.plotly_chart(figure(view), key=f"explorer_chart_{view.key}")
        with side:
            _about(view)
            _table(view, result.splits)
        with st.expander("SQL behind these numbers", icon=":material/code:"):
            st.code(view.sql, language="sql")


st.title("Indicator explorer")
st.caption(
    "Indicators as published in the catalogue, computed from each programme's current "
    "data. Choose what to see; the charts, tables and downloads show the same rows."
)

with render.sentences():
    viewer = current_viewer()
    scope = viewer.scope  # what the engine filters and suppresses by: never widen it
    version = state.data_version()
    choices, programmes = state.explorer_choices(scope, version)
    labels = explore.indicator_choices()
    splits = explore.split_choices(shared=not scope.internal)

    top = st.columns([3, 2])
    indicators = top[0].multiselect(
        "Indicators",
        list(labels),
        default=explore.default_indicators(),
        format_func=labels.__getitem__,
        key="explorer_indicators",
        help="Definitions of every indicator are on the Indicator catalogue page.",
    )
    periods = pick_periods(choices, key="explorer_periods", where=top[1])

    bottom = st.columns([2, 3])
    split = bottom[0].selectbox(
        "Split by", list(splits), format_func=splits.__getitem__, key="explorer_split"
    )
    names = {str(r["programme_id"]): programme_label(r) for r in programmes.to_dict("records")}
    chosen = bottom[1].multiselect(
        "Programmes",
        list(names),
        format_func=names.__getitem__,
        key="explorer_programmes",
        placeholder="All programmes you may see",
    )

    if choices.data_as_of is None:
        st.info("No programme you may see has data in the store yet.", icon=":material/info:")
    elif not indicators:
        st.info("Choose at least one indicator.", icon=":material/info:")
    else:
        st.caption(f"Newest data as of {choices.data_as_of.isoformat()}.")
        request = explore.build_request(indicators, periods, split, chosen, scope)
        with st.spinner("Computing the indicators…"):
            result = state.explorer_result(scope, request, version)
        if result.shared:
            reads.record_read(  # the page and its CSV and Parquet downloads, once per view
                viewer,
                result.frame["release"],
                "page:explorer",
                {
                    "indicators": list(indicators),
                    "split": split or "",
                    "periods": [p.spec for p in periods],
                    "programmes": list(chosen or ()),
                },
            )
            st.info(
                "Small numbers are hidden to protect the people they are about; hidden "
                "values show as gaps in the charts and as empty cells in the tables and "
                f"downloads. Figures from {render.md(result.release)}.",
                icon=":material/shield_person:",
            )
        _show(result, lambda view: state.explorer_figure(scope, result, version, view))
