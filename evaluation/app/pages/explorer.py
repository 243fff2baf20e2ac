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
from evaluation.views.programmes import programme_labels
from evaluation.vocabulary import marks
from evaluation.vocabulary.codes import code_label
from evaluation.vocabulary.language import _


def _about(view: explore.IndicatorResult) -> None:
    st.markdown(
        "**"
        + _("Version {n}", n=view.version)
        + "** · "
        + render.md(explore.kind_text(view.kind))
        + " · "
        + render.md(explore.direction_text(view.direction))
    )
    st.markdown(render.md(_(view.definition)))
    for caveat in view.caveats:
        st.markdown("*" + _("Caveat:") + "* " + render.md(_(caveat)))
    used = ", ".join(code_label("table", t) for t in view.sources)
    st.caption(render.md(_("Data used: {tables}", tables=used)))


def _table(
    view: explore.IndicatorResult,
    result: explore.ExplorerResult,
    names: dict[str, str],
) -> None:
    shown = explore.table(view, result.splits, names, result.period_labels)
    widths = explore.table_widths(result.splits)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            c: st.column_config.TextColumn(width=widths[c]) for c in shown.columns if c in widths
        },
    )
    if explore.has_gaps(view.frame):
        st.caption(marks.legend())


def _downloads(result: explore.ExplorerResult, names: dict[str, str]) -> None:
    rows = explore.download_frame(result, names)
    if result.shared:
        labels = (_("Download CSV"), _("Download Parquet"))
        helps = (
            _("Every row of the tables below, with small numbers hidden: fit to share."),
            _("The same rows, typed, for analysis tools."),
        )
    else:
        labels = (_("Download internal CSV"), _("Download internal Parquet"))
        helps = (
            _(
                "Every row of the tables below, with no number hidden. Internal: only the "
                "organisation's own staff may receive this file."
            ),
            _(
                "The same rows, typed, for analysis tools. Internal: only the "
                "organisation's own staff may receive this file."
            ),
        )
    left, right, rest = st.columns(3)  # room for the label of each, in German too
    formats: tuple[explore.Format, explore.Format] = ("csv", "parquet")
    for where, fmt, text, tip in zip((left, right), formats, labels, helps, strict=True):
        where.download_button(
            text,
            explore.tidy_bytes(rows, fmt),
            file_name=explore.download_name(result, fmt),
            mime=explore.MIME[fmt],
            key=f"download_{fmt}",
            on_click="ignore",
            icon=":material/download:",
            help=tip,
            width="stretch",
        )
    if not result.shared:
        rest.caption(
            _(
                "Internal files: no number is hidden. Only the organisation's own staff "
                "may receive them; to share figures, approve a release."
            )
        )


def _show(
    result: explore.ExplorerResult,
    names: dict[str, str],
    figure: Callable[[explore.IndicatorResult], Figure],
) -> None:
    _downloads(result, names)
    for view in result.indicators:  # the chart as wide as the page: programmes by name
        st.subheader(render.md(view.title))
        _about(view)
        st.plotly_chart(figure(view), key=f"explorer_chart_{view.key}")
        _table(view, result, names)
        with st.expander(_("SQL behind these numbers"), icon=":material/code:"):
            st.code(view.sql, language="sql")


st.title(_("Indicator explorer"))
st.caption(
    _(
        "Indicators as published in the catalogue, computed from each programme's current "
        "data. Choose what to see; the charts, tables and downloads show the same rows."
    )
)

with render.sentences():
    viewer = current_viewer()
    scope = viewer.scope  # what the engine filters and suppresses by: never widen it
    version = state.data_version()
    choices, programmes = state.explorer_choices(scope, version)
    labels = explore.indicator_choices()
    splits = explore.split_choices(shared=not scope.internal)

    top = st.columns([3, 2])
    indicators = render.multiselect(
        _("Indicators"),
        list(labels),
        default=explore.default_indicators(),
        format_func=labels.__getitem__,
        key="explorer_indicators",
        help=_("Definitions of every indicator are on the Indicator catalogue page."),
        where=top[0],
    )
    periods = pick_periods(choices, key="explorer_periods", label=_("Periods"), where=top[1])

    bottom = st.columns([2, 3])
    split = render.selectbox(
        _("Split by"),
        list(splits),
        format_func=splits.__getitem__,
        key="explorer_split",
        where=bottom[0],
    )
    names = explore.programme_names(programmes)
    picks = programme_labels(programmes, names)
    chosen = render.multiselect(
        _("Programmes"),
        list(picks),
        format_func=picks.__getitem__,
        key="explorer_programmes",
        placeholder=_("All programmes you may see"),
        where=bottom[1],
    )

    if choices.data_as_of is None:
        st.info(_("No programme you may see has data in the store yet."), icon=":material/info:")
    elif not indicators:
        st.info(_("Choose at least one indicator."), icon=":material/info:")
    else:
        st.caption(_("Newest data as of {date}.", date=explore.date_text(choices.data_as_of)))
        request = explore.build_request(indicators, periods, split, chosen, scope)
        with st.spinner(_("Computing the indicators…")):
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
                _(
                    "Small numbers are hidden to protect the people they are about; hidden "
                    "figures show as gaps in the charts and are marked in the tables (the "
                    "downloads leave them empty). Figures from {release}.",
                    release=render.md(result.release),
                ),
                icon=":material/shield_person:",
            )
        _show(
            result, names, lambda view: state.explorer_figure(scope, result, version, view, names)
        )
