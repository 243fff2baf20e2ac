"""The audit trail (administrators, and CSO managers for their organisations' events): who signed
in, uploaded, approved, withdrew and read shared figures, and when. Filter, read, download.

``evaluation.sharing.audit`` decides what the reader may see; the page draws it, its columns,
roles and actions in the reader's language.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from evaluation.app import files, render, state
from evaluation.app.session import current_viewer
from evaluation.sharing import audit
from evaluation.store.access import Viewer
from evaluation.views import explore
from evaluation.vocabulary.actions import ACTIONS
from evaluation.vocabulary.language import N_, _, n_
from evaluation.vocabulary.names import shown_name

DOWNLOADS = ((".csv", "text/csv"), (".xlsx", files.XLSX_MIME), (".json", "application/json"))
COLUMNS = {  # the columns of ``audit.audit_table``, as the page names them
    "When (UTC)": N_("When (UTC)"),
    "Who": N_("Who"),
    "Role": N_("Role"),
    "What": N_("What"),
    "Organisations": N_("Organisations"),
    "Release": N_("Release"),
    "Page, file or package": N_("Page, file or package"),
    "Detail": N_("Detail"),
}


def _translated(value: object) -> object:
    return _(value) if isinstance(value, str) and value else value


def _table(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``audit.audit_table`` in the reader's language (it writes who, role, details and
    targets in the language of the moment); the action titles translated once more in case
    the frame was read in another language."""
    table = audit.audit_table(frame, names)
    table["What"] = table["What"].map(_translated)
    for column in ("Organisations", "Detail"):  # a demo name's mark in the reader's language
        table[column] = table[column].map(shown_name)
    # a release number, or nothing (a missing number would read "None" in the table)
    table["Release"] = table["Release"].map(lambda r: "" if pd.isna(r) else str(int(r)))
    return table.rename(columns={k: _(v) for k, v in COLUMNS.items()})


def _names(viewer: Viewer) -> dict[str, str]:
    """Programme id → name as the reader reads it, for the details of the trail."""
    names = explore.programme_names(state.programmes_in_scope(viewer.scope))
    return {p: shown_name(n) for p, n in names.items()}


def _page() -> None:
    viewer = current_viewer()
    st.title(_("Audit trail"))
    st.caption(
        _(
            "Every sign-in (also failed ones), upload and refused upload, approval, withdrawal "
            "and shared read, with who, their role, the release and the page or file. Entries "
            "are only ever added, never changed."
        )
        + ("" if viewer.role == "admin" else " " + _("You see the events of your organisation."))
    )
    left, middle, right = st.columns(3)
    since = left.date_input(
        _("From"),
        value=dt.date.today() - dt.timedelta(days=90),
        key="audit_since",
        format=render.date_input_format(),
    )
    actions = render.multiselect(
        _("What"),
        list(ACTIONS),
        format_func=lambda a: _(ACTIONS[a].title),
        key="audit_actions",
        placeholder=_("Everything"),
        where=middle,
    )
    actor = right.text_input(_("Who"), key="audit_actor", placeholder=_("Any user name"))
    with state.cursor() as cur:
        frame = audit.read_audit(
            cur, since, reader=viewer, actions=tuple(actions), actor=actor.strip() or None
        )
    st.caption(
        n_(
            "{n} event, newest first.",
            "{n} events, newest first.",
            len(frame),
            n=render.count(len(frame)),
        )
    )
    st.dataframe(
        _table(frame, _names(viewer)),
        hide_index=True,
        width="stretch",
        column_config={
            _("When (UTC)"): st.column_config.DatetimeColumn(
                format=render.datetime_column_format(seconds=True)
            ),
        },
    )
    st.subheader(_("Download"))
    st.caption(_("The whole trail you may read from the chosen day on, whatever the filters."))
    for column, (suffix, mime) in zip(st.columns(len(DOWNLOADS)), DOWNLOADS, strict=True):
        column.download_button(
            _("Audit trail ({format})", format=suffix.lstrip(".")),
            data=files.audit_bytes(viewer, suffix, since),
            file_name=f"audit-trail-since-{since.isoformat()}{suffix}",
            mime=mime,
            key=f"audit_download_{suffix.lstrip('.')}",
            icon=":material/download:",
        )


with render.sentences():
    _page()
