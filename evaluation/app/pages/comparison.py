"""Compare programmes on a proportion (funders and evaluators): funnel plot, table, trends.

Everything shown comes from ``evaluation.views.comparison``, computed in the user's scope:
funders and evaluators get the shared audience, with small numbers suppressed. A funnel with
nothing to show (no programme, only one, or every rate the same) is one sentence instead.
"""

from __future__ import annotations

import streamlit as st

from evaluation.app import reads, render, state
from evaluation.app.period_picker import pick_period
from evaluation.app.session import current_viewer
from evaluation.measures.catalogue import Indicator
from evaluation.periods import PeriodChoices, recent_periods
from evaluation.views import comparison, explore
from evaluation.vocabulary import marks, numbers
from evaluation.vocabulary.language import _, current, n_


def _definition(ind: Indicator) -> None:
    st.markdown(
        f"**{render.md(ind.id)} {render.md(_(ind.name))}** "
        + render.md(_("(version {n})", n=ind.version))
    )
    st.markdown(render.md(_(ind.definition)))
    st.caption(render.md(explore.direction_text(ind.direction)))
    for caveat in ind.caveats:
        st.caption(render.md(_(caveat)))


def _page() -> None:
    viewer = current_viewer()
    scope = viewer.scope
    st.title(_("Compare programmes"))
    st.caption(
        _(
            "Each programme's rate against the number it is based on. Programmes inside the "
            "funnel differ from the pooled rate no more than chance would make them; a point "
            "outside deserves a question, not a rank. Only programmes measured with the same "
            "definition are compared."
        )
    )
    programmes = state.programmes_in_scope(scope)
    indicators = comparison.proportion_indicators()
    default = comparison.default_indicator(indicators)
    if programmes.empty or default is None:
        st.info(_("No programme you may see has data in the store yet."), icon=":material/info:")
        return
    ids = [i.id for i in indicators]
    by_id = {i.id: i for i in indicators}
    as_of = max(programmes["data_as_of"])
    firsts = [d for d in programmes["first_date"] if d is not None]
    periods = recent_periods(as_of, min(firsts) if firsts else None)
    left, right = st.columns(2)
    chosen = render.selectbox(
        _("Indicator"),
        ids,
        index=ids.index(default.id),
        format_func=lambda i: _(by_id[i].name),
        key="comparison_indicator",
        where=left,
    )
    period = pick_period(
        PeriodChoices.of(periods),
        key="comparison_period",
        label=_("Period"),
        help=_("At first the latest quarter that is over in the data."),
        where=right,
    )
    with st.spinner(_("Computing…")):
        result = state.compare(scope, chosen, period)
    f, ind = result.funnel, result.indicator
    reads.record_read(
        viewer, result.releases, "page:comparison", {"indicator": ind.key, "period": period.spec}
    )
    if result.release:
        st.caption(
            _(
                "Small numbers are hidden to protect the people they are about. Figures from "
                "{release}.",
                release=render.md(result.release),
            )
        )

    chart, about = st.columns([3, 1])
    with about:
        _definition(ind)
        if f.pooled is not None:
            st.metric(
                _("Pooled rate"),
                numbers.percent(f.pooled, current()),
                help=_(
                    "All compared programmes together: the sum of their numerators over the "
                    "sum of their denominators."
                ),
            )
        elif f.hidden:
            pooled = _("Pooled rate:")
            st.markdown(f"**{pooled}** {render.md(f.pooled_label())}")
            st.caption(
                n_(
                    "{n} programme has its rate hidden to protect small numbers; the pooled "
                    "rate is never computed over the shown programmes alone.",
                    "{n} programmes have their rate hidden to protect small numbers; the "
                    "pooled rate is never computed over the shown programmes alone.",
                    f.hidden,
                )
            )
        compared = n_("{n} programme compared", "{n} programmes compared", len(f.programmes))
        st.caption(
            n_(
                "{compared}, {n} not compared (listed below the table).",
                "{compared}, {n} not compared (listed below the table).",
                len(f.excluded),
                compared=compared,
            )
        )
    with chart:
        sentence = comparison.funnel_sentence(f)
        if sentence:
            st.info(render.md(sentence), icon=":material/info:")
        else:
            st.plotly_chart(
                state.comparison_figure(scope, chosen, period, "funnel"),
                key="comparison_funnel",
            )

    st.subheader(_("Programmes compared"))
    if f.programmes.empty:
        st.caption(_("No programme could be compared: see below why not."))
    else:
        table = comparison.display_table(f)
        widths = comparison.display_widths()
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                c: st.column_config.TextColumn(width=widths[c])
                for c in table.columns
                if c in widths
            },
        )
        if f.hidden:
            st.caption(marks.legend())

    st.subheader(_("Not compared"))
    if f.excluded.empty:
        st.caption(_("Every programme could be compared."))
    else:
        excluded = comparison.excluded_table(f)
        st.dataframe(
            excluded,
            hide_index=True,
            width="stretch",
            column_config={excluded.columns[0]: st.column_config.TextColumn(width=250)},
        )

    with st.expander(_("How programmes are compared")):
        st.markdown(render.md(_(comparison.METHOD)))

    st.subheader(_("Trend"))
    st.caption(
        _(
            "Each programme's rate per period with its 95 % interval; the dashed line is the "
            "pooled rate of the programmes compared in that period. A gap is a period the "
            "programme could not be compared in."
        )
    )
    if result.trend["shown"].any() and result.trend["value"].notna().any():
        st.plotly_chart(
            state.comparison_figure(scope, chosen, period, "trend"), key="comparison_trend"
        )
    else:
        st.info(_("No programme has a rate to show in these periods."), icon=":material/info:")


with render.sentences():
    _page()
