"""A programme at a glance (CSO managers): headline numbers and how complete the data is.

Everything shown comes from ``evaluation.views.programme``, computed in the user's scope; a
shared viewer's figures, completeness included, come from the approved releases, which the
page names, and their reading is on the audit trail. Every text is in the reader's language:
indicators by name, fields of the data format in words, a hidden figure marked differently from
one without data (``vocabulary.marks``).
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any, Literal

import pandas as pd
import plotly.express as px
import streamlit as st

from evaluation.app import reads, render, state
from evaluation.app.period_picker import pick_period
from evaluation.app.session import current_viewer
from evaluation.periods import PeriodChoices, label, recent_periods
from evaluation.store.schema import TABLES
from evaluation.views import explore, programme
from evaluation.views.charts import percent_ticks
from evaluation.vocabulary import marks, numbers
from evaluation.vocabulary.codes import code_label
from evaluation.vocabulary.language import _, current
from evaluation.vocabulary.names import shown_name

# A rise is green where higher is better, red where lower is; grey where neither.
DELTA_COLOUR: dict[str, Literal["normal", "inverse", "off"]] = {
    "higher": "normal",
    "lower": "inverse",
}
# Pixels of a table row in which text wraps (up to three lines): Streamlit wraps a cell's text
# only in rows taller than 64 pixels. (A comment: a page's bare string would be shown.)
WRAPPING_ROW = 68


def _tiles(h: programme.Headlines) -> None:
    cols = st.columns(3)
    for n, tile in enumerate(h.tiles):
        with cols[n % 3]:
            st.metric(
                tile.title,
                tile.value_text,
                delta=tile.change_text,
                delta_color=DELTA_COLOUR.get(tile.direction, "off"),
                help=render.md(_(tile.definition)),
                border=True,
            )
            text = _(
                "Before ({previous}). {target}",
                previous=tile.previous_text,
                target=tile.target_text,
            )
            if tile.note:
                text += f" {tile.note}"
            st.caption(render.md(text))
    if any(t.suppressed or t.value is None for t in h.tiles):
        st.caption(marks.legend())


_QUOTED = re.compile(r"`([^`]+)`")


@functools.cache
def _column_names() -> frozenset[str]:
    return frozenset(c.name for t in TABLES for c in t.columns)


def _in_words(doc: str) -> str:
    """A field's meaning (``programme.FIELD_MEANINGS``, else the data format's registry) in
    the reader's language, with its quoted names in words: a column by its label
    (``closed_on`` → “Closed on”), anything else (an example value) as it is, without
    backticks."""

    def word(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _column_names():
            return _("“{name}”", name=code_label("column", name))
        return name

    return _QUOTED.sub(word, _(doc) if doc else "").replace("`", "")


def _indicator_names(ids: str) -> str:
    """``O01, O02`` as the indicators' names."""
    catalogue = explore.shipped_catalogue()
    out = []
    for ref in (i.strip() for i in ids.split(",") if i.strip()):
        try:
            out.append(_(catalogue.get(ref).name))
        except KeyError:
            out.append(ref)
    return ", ".join(out)


def _completeness(h: programme.Headlines) -> None:
    st.subheader(_("How complete the data is"))
    st.caption(
        _(
            "Some fields are optional in the export. Numbers built on a field that many "
            "cases leave empty deserve less trust: fill it in your system where you can."
        )
    )
    data = h.completeness
    if data.empty:
        st.info(_("Nothing to check for this period."), icon=":material/info:")
        return
    if "indicator" in data.columns:  # shared: from the release, one share per indicator
        _released_completeness(data)
        return
    lang = current()
    data = data.copy()
    if "label" not in data.columns:
        data["label"] = [programme.field_label(str(f)) for f in data["field"]]
    data["used_by"] = [_indicator_names(str(u)) for u in data["used_by"]]
    data["meaning"] = [_in_words(str(m)) for m in data["meaning"]]
    shown = data.dropna(subset=["share"])
    if not shown.empty:
        # every number as the tables write it ("46 %"), not d3's "46%"; the hover says the
        # field, its share and what it means, in words
        shown = shown.assign(
            shown=[numbers.percent(v, lang) for v in shown["share"]],
            hover=[
                f"{html.escape(str(f))}: {numbers.percent(v, lang)}<br>{html.escape(str(m))}"
                for f, v, m in zip(shown["label"], shown["share"], shown["meaning"], strict=True)
            ],
        )
        fig = px.bar(
            shown,
            x="share",
            y="label",
            orientation="h",
            text="shown",
            labels={"share": _("Filled in"), "label": _("Field")},
        )
        fig.update_traces(
            marker_color="#4c78a8",
            hovertext=list(shown["hover"]),
            hovertemplate="%{hovertext}<extra></extra>",
        )
        fig.update_xaxes(range=[0, 1.05], **percent_ticks((0, 0.25, 0.5, 0.75, 1), lang))
        fig.update_layout(
            height=60 + 36 * len(shown),
            margin={"t": 10, "b": 10},
            separators=",." if lang == "de" else ".,",
        )
        st.plotly_chart(fig, key="programme_completeness_chart")
    # Up to the indicators that use a field, within the 848 pixels beside the sidebar; rows
    # tall enough for a meaning or a list of indicators to wrap onto three lines, not be cut.
    config: dict[str, Any] = {
        "label": st.column_config.TextColumn(_("Field"), width=200),
        "share": st.column_config.NumberColumn(  # whole percents, as the chart and tiles
            _("Share filled"), format="%.0f %%", width=130
        ),
        "meaning": st.column_config.TextColumn(_("Meaning"), width=290),
        "used_by": st.column_config.TextColumn(_("Used by indicators"), width=210),
        "filled": st.column_config.NumberColumn(_("Filled in"), format="localized", width=90),
        "rows": st.column_config.NumberColumn(_("Rows checked"), format="localized", width=120),
    }
    st.dataframe(
        data.assign(share=data["share"] * 100),
        hide_index=True,
        width="stretch",
        height="content",  # every field, however tall its rows (a few optional fields)
        row_height=WRAPPING_ROW,
        column_order=[c for c in config if c in data.columns],
        column_config=config,
    )


def _released_completeness(data: pd.DataFrame) -> None:
    st.caption(
        _(
            "As released: for each indicator, the lowest share filled in of the optional "
            "fields it uses, in the cases behind it."
        )
    )
    lang = current()
    hidden = data["hidden"] if "hidden" in data.columns else pd.Series(False, index=data.index)
    shares = []
    for share, is_hidden in zip(data["share"], hidden, strict=True):
        if bool(is_hidden):
            shares.append(marks.hidden())
        elif share is None or pd.isna(share):
            shares.append(marks.no_data())
        else:
            shares.append(numbers.percent(float(share), lang))
    table = data.assign(shown=shares)
    st.dataframe(  # the id and the share as a number stay in the frame, not on screen
        table,
        hide_index=True,
        width="stretch",
        column_order=["name", "shown", "fields"],
        column_config={
            "name": st.column_config.TextColumn(_("Indicator"), width=260),
            "shown": st.column_config.TextColumn(_("Data complete"), width=110),
            "fields": _("Optional fields it uses"),
        },
    )
    st.caption(marks.legend())


def _page() -> None:
    viewer = current_viewer()
    scope = viewer.scope
    lang = current()
    st.title(_("Programme overview"))
    programmes = state.programmes_in_scope(scope)
    if programmes.empty:
        st.info(
            _(
                "No programme you may see has data in the store yet. Load a package on the "
                "Upload page."
            ),
            icon=":material/info:",
        )
        return
    names = explore.programme_names(programmes)
    left, right = st.columns(2)
    pid = render.selectbox(
        _("Programme"),
        list(names),
        key="programme_programme",
        format_func=lambda p: names[p],
        where=left,
    )
    info = programmes[programmes["programme_id"] == pid].iloc[0]
    period = pick_period(
        PeriodChoices.of(recent_periods(info["data_as_of"], info["first_date"])),
        key="programme_period",
        label=_("Period"),
        help=_("At first the latest quarter that is over in your data."),
        where=right,
    )
    with st.spinner(_("Computing…")):
        h = state.programme_headlines(scope, pid, period)
    reads.record_read(
        viewer, h.releases, "page:programme", {"programme": pid, "period": period.spec}
    )
    as_of = explore.date_text(h.data_as_of) if h.data_as_of else marks.no_data()
    previous = label(h.previous_period, lang)
    caption = (
        _(
            "{organisation} · data as of {date} · compared with {previous} · small numbers "
            "hidden · figures from {release}",
            organisation=shown_name(h.organisation),
            date=as_of,
            previous=previous,
            release=h.release,
        )
        if h.release
        else _(
            "{organisation} · data as of {date} · compared with {previous}",
            organisation=shown_name(h.organisation),
            date=as_of,
            previous=previous,
        )
    )
    st.caption(render.md(caption))
    _tiles(h)
    _completeness(h)


with render.sentences():
    _page()
