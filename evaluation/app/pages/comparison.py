"""Compare programmes on a proportion (funders and evaluators): funnel plot, table, trends.

Everything shown comes from ``evaluation.views.comparison``, computed in the user's scope:
funders and evaluators get the shared audience, with small numbers suppressed.
"""

from __future__ import annotations

import streamlit as st

from evaluation.app import reads, render, state
from evaluation.app.period_picker import pick_period
from evaluation.app.session import current_viewer
from evaluation.measures.catalogue import Indicator
from evaluation.periods import PeriodChoices, recent_periods
from evaluation.views import comparison
from evaluation.vocabulary import numbers


def _definition(ind: Indicator) -> None:
    st.markdown(f"**{render.md(ind.id)} {render.md(ind.name)}** (version {ind.version})")
    st.markdown(render.md(ind.definition))
    better = {"higher": "higher is better", "lower": "lower is better"}.get(
        ind.direction, "neither way"
    )
    st.caption(f"Unit: {render.md(ind.unit)}; {better}.")
    for caveat in ind.caveats:
        st.caption(render.md(caveat))


def _page() -> None:
    viewer = current_viewer()
    scope = viewer.scope
    st.title("Compare programmes")
    st.caption(
        "Each programme's rate against the number it is based on. Programmes inside the "
        "funnel differ from the pooled rate no more than chance would make them; a point "
        "outside deserves a question, not a rank. Only programmes measured with the same "
        "definition are compared."
    )
    programmes = state.programmes_in_scope(scope)
    indicators = comparison.proportion_indicators()
    default = comparison.default_indicator(indicators)
    if programmes.empty or default is None:
        st.info("No programme you may see has data in the store yet.", icon=":material/info:")
        return
    ids = [i.id for i in indicators]
    by_id = {i.id: i for i in indicators}
    as_of = max(programmes["data_as_of"])
    firsts = [d for d in programmes["first_date"] if d is not None]
    periods = recent_periods(as_of, min(firsts) if firsts else None)
    left, right = st.columns(2)
    chosen = left.selectbox(
        "Indicator",
        ids,
        index=ids.index(default.id),
        format_func=lambda i: f"{i} {by_id[i].name}",
        key="comparison_indicator",
    )
    period = pick_period(
        PeriodChoices.of(periods),
        key="comparison_period",
        help="At first the latest quarter that is over in the data.",
        where=right,
    )
    with st.spinner("Computing…"):
        result = state.compare(scope, chosen, period)
    f, ind = result.funnel, result.indicator
    reads.record_read(
        viewer, result.releases, "page:comparison", {"indicator": ind.key, "period": period.spec}
    )
    if result.release:
        st.caption(
            "Small numbers are hidden to protect the people they are about. Figures from "
            f"{render.md(result.release)}."
        )

    chart, about = st.columns([3, 1])
    with about:
        _definition(ind)
        if f.pooled is not None:
            st.metric(
                "Pooled rate",
                numbers.percent(f.pooled),
                help="All compared programmes together: the sum of their numerators "
                "over the sum of their denominators.",
            )
        elif f.hidden:
            st.markdown(f"**Pooled rate:** {render.md(f.pooled_label())}")
            st.caption(
                f"{f.hidden} programme(s) have their rate hidden to protect small numbers; "
                "the pooled rate is never computed over the shown programmes alone."
            )
        st.caption(
            f"{len(f.programmes)} programme(s) compared, {len(f.excluded)} not "
            "compared (listed below the table)."
        )
    with chart:
        if f.programmes.empty:
            st.info(
                "No programme can be compared for this indicator and period: see the "
                "reasons below.",
                icon=":material/info:",
            )
        else:
            st.plotly_chart(
                state.comparison_figure(scope, chosen, period, "funnel"),
                key="comparison_funnel",
            )

    st.subheader("Programmes compared")
    st.dataframe(
        comparison.programme_table(f),
        hide_index=True,
        width="stretch",
        column_config={
            "programme": "Programme",
            "rate": st.column_config.NumberColumn("Rate", format="percent"),
            "shown_as": "Hidden rate",
            "ci_low": st.column_config.NumberColumn("95 % interval from", format="percent"),
            "ci_high": st.column_config.NumberColumn("to", format="percent"),
            "numerator": st.column_config.NumberColumn("Numerator", format="%d"),
            "denominator": st.column_config.NumberColumn("Denominator", format="%d"),
            "limits": "Against the limits",
            "completeness": st.column_config.NumberColumn(
                "Data complete",
                format="percent",
                help="Lowest share filled in of the optional fields this indicator uses.",
            ),
            "note": "Note",
        },
    )

    st.subheader("Not compared")
    if f.excluded.empty:
        st.caption("Every programme could be compared.")
    else:
        st.dataframe(
            f.excluded[["programme", "reason"]],
            hide_index=True,
            width="stretch",
            column_config={"programme": "Programme", "reason": "Why not"},
        )

    with st.expander("How programmes are compared"):
        st.markdown(render.md(comparison.METHOD))

    st.subheader("Trend")
    st.caption(
        "Each programme's rate per period with its 95 % interval; the dashed line is the "
        "pooled rate of the programmes compared in that period. A gap is a period the "
        "programme could not be compared in."
    )
    if result.trend["shown"].any():
        st.plotly_chart(
            state.comparison_figure(scope, chosen, period, "trend"), key="comparison_trend"
        )
    else:
        st.info("No programme has a rate to show in these periods.", icon=":material/info:")


with render.sentences():
    _page()
