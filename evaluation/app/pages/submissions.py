"""Submissions: every package loaded into the store, and whether its data is still current.

The table leads with what a person looks for (the file, its status, how current its data is),
so the status is on screen at 1280 pixels with the sidebar open; programmes are named, not
numbered, and tables are named as the data format's documentation names them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from evaluation.app import render, state
from evaluation.app.session import current_viewer
from evaluation.sharing.audit import actor_text
from evaluation.store.database import Submission
from evaluation.views import explore, overview
from evaluation.vocabulary import numbers
from evaluation.vocabulary.codes import code_label
from evaluation.vocabulary.language import _, current
from evaluation.vocabulary.names import shown_name

# The table's columns as shown: the status second, so it is never off-screen.
COLUMN_ORDER = (
    "source_file",
    "current_for",
    "data_as_of",
    "programmes",
    "rows",
    "loaded_at",
    "loaded_by",
    "organisation",
    "submission",
)


def _names(names: Mapping[str, str], ids: object) -> str:
    return ", ".join(shown_name(names.get(str(p), str(p))) for p in ids)  # type: ignore[attr-defined]


def status(sub: Submission, names: Mapping[str, str]) -> str:
    """Whether the submission's data is current, programmes by name, in the reader's language."""
    now = set(sub.current_programmes)
    if not now:
        return _("replaced")
    if now >= set(sub.programmes):
        return _("current")
    return _(
        "current for {current}; replaced for {replaced}",
        current=_names(names, sorted(now)),
        replaced=_names(names, [p for p in sub.programmes if p not in now]),
    )


def table(subs: list[Submission], names: Mapping[str, str]) -> pd.DataFrame:
    """``overview.submission_table`` with programmes by name and the status in words."""
    frame = overview.submission_table(subs)
    frame["programmes"] = [_names(names, s.programmes) for s in subs]
    frame["current_for"] = [status(s, names) for s in subs]
    frame["loaded_by"] = [actor_text(s.loaded_by) for s in subs]
    frame["organisation"] = [shown_name(s.organisation) for s in subs]
    return frame


def picker_labels(subs: list[Submission], names: Mapping[str, str]) -> dict[str, str]:
    """Submission id → how the picker names it in the reader's language: its programmes by
    name and the day its data runs to (``Open Door Exit, data as of 30.06.2025``). Two that
    would read the same are told apart by when they were loaded, then by their file, and only
    as a last resort by their id."""

    def base(sub: Submission) -> str:
        return _(
            "{programmes}, data as of {date}",
            programmes=_names(names, sub.programmes) or shown_name(sub.organisation),
            date=explore.date_text(sub.data_as_of),
        )

    def loaded(sub: Submission) -> str:
        return _(
            "{label}, loaded {when} UTC",
            label=base(sub),
            when=numbers.moment(sub.loaded_at.replace(tzinfo=None)),
        )

    def filed(sub: Submission) -> str:
        return _("{label} ({file})", label=loaded(sub), file=sub.source_name)

    labels = {s.submission_id: base(s) for s in subs}
    for better in (loaded, filed):
        shown = Counter(labels.values())
        for s in subs:
            if shown[labels[s.submission_id]] > 1:
                labels[s.submission_id] = better(s)
    shown = Counter(labels.values())
    return {
        sid: (f"{label} · {sid}" if shown[label] > 1 else label) for sid, label in labels.items()
    }


def column_config() -> dict[str, Any]:
    """Headers in the reader's language and widths that keep the status in view."""
    date_format = explore.moment_date_format()
    return {
        "source_file": st.column_config.TextColumn(_("Source file"), width=160),
        "current_for": st.column_config.TextColumn(
            _("Status"),
            width=160,
            help=_(
                "Current: its data is what every page shows. Replaced: a newer package of the "
                "same programmes took over; this one stays on record."
            ),
        ),
        "data_as_of": st.column_config.DateColumn(_("Data as of"), format=date_format, width=100),
        "programmes": st.column_config.TextColumn(_("Programmes"), width=190),
        "rows": st.column_config.NumberColumn(_("Rows"), format="localized", width=70),
        "loaded_at": st.column_config.DatetimeColumn(
            _("Loaded (UTC)"), format=f"{date_format} HH:mm", width=140
        ),
        "loaded_by": st.column_config.TextColumn(_("Loaded by"), width=110),
        "organisation": st.column_config.TextColumn(_("Organisation"), width=180),
        "submission": st.column_config.TextColumn(_("Submission ID"), width=110),
    }


def _page() -> None:
    scope = current_viewer().scope
    lang = current()
    st.title(_("Submissions"))
    st.markdown(
        _(
            "Every package loaded into the store is kept on record. A newer package for the "
            "same programmes becomes their current data; the older one stays here, marked "
            "replaced."
        )
    )
    subs = state.submissions(scope)
    if not subs:
        st.info(
            _("Nothing has been loaded yet. Load a package on the Upload page."),
            icon=":material/info:",
        )
        return
    names = explore.programme_names(state.programmes_in_scope(scope))
    st.dataframe(
        table(subs, names),
        hide_index=True,
        width="stretch",
        column_order=COLUMN_ORDER,
        column_config=column_config(),
    )
    by_id = {s.submission_id: s for s in subs}
    labels = picker_labels(subs, names)
    chosen = render.selectbox(
        _("Rows per table of the package"),
        list(by_id),
        key="submission_select",
        format_func=lambda sid: labels[sid],
    )
    rows = overview.submission_rows(by_id[chosen])
    rows["table"] = [code_label("table", t) for t in rows["table"]]
    rows["text"] = [numbers.count(n, lang) for n in rows["rows"]]
    fig = px.bar(
        rows,
        x="table",
        y="rows",
        text="text",
        labels={"table": _("Table"), "rows": _("Rows")},
    )
    fig.update_yaxes(rangemode="tozero", tickformat=",d")
    fig.update_traces(  # every count above its bar, level, however small the bar
        hovertemplate="%{x}: %{text}<extra></extra>", textposition="outside", cliponaxis=False
    )
    fig.update_layout(
        margin={"t": 30, "b": 10},
        height=360,
        separators=",." if lang == "de" else ".,",
        uniformtext={"minsize": 11, "mode": "show"},
    )
    st.plotly_chart(fig, key="submission_rows_chart")


with render.sentences():
    _page()
