"""The audit trail (administrators, and CSO managers for their organisations' events): who signed
in, uploaded, approved, withdrew and read shared figures, and when. Filter, read, download.

``evaluation.sharing.audit`` decides what the reader may see; the page draws it.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from evaluation.app import files, render, state
from evaluation.app.session import current_viewer
from evaluation.sharing import audit
from evaluation.vocabulary.actions import ACTIONS

DOWNLOADS = ((".csv", "text/csv"), (".xlsx", files.XLSX_MIME), (".json", "application/json"))


def _page() -> None:
    viewer = current_viewer()
    st.title("Audit trail")
    st.caption(
        "Every sign-in (also failed ones), upload and refused upload, approval, withdrawal and "
        "shared read, with who, their role, the release and the page or file. Entries are "
        "only ever added, never changed."
        + ("" if viewer.role == "admin" else " You see the events of your organisation.")
    )
    left, middle, right = st.columns(3)
    since = left.date_input(
        "From",
        value=dt.date.today() - dt.timedelta(days=90),
        key="audit_since",
        format="YYYY-MM-DD",
    )
    actions = middle.multiselect(
        "What",
        list(ACTIONS),
        format_func=lambda a: ACTIONS[a].title,
        key="audit_actions",
        placeholder="Everything",
    )
    actor = right.text_input("Who", key="audit_actor", placeholder="Any user name")
    with state.cursor() as cur:
        frame = audit.read_audit(
            cur, since, reader=viewer, actions=tuple(actions), actor=actor.strip() or None
        )
    st.caption(f"{len(frame):,} event(s), newest first.")
    st.dataframe(
        audit.audit_table(frame),
        hide_index=True,
        width="stretch",
        column_config={
            "When (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
            "Release": st.column_config.NumberColumn(format="%d"),
        },
    )
    st.subheader("Download")
    st.caption("The whole trail you may read from the chosen day on, whatever the filters.")
    for column, (suffix, mime) in zip(st.columns(len(DOWNLOADS)), DOWNLOADS, strict=True):
        column.download_button(
            f"Audit trail ({suffix.lstrip('.')})",
            data=files.audit_bytes(viewer, suffix, since),
            file_name=f"audit-trail-since-{since.isoformat()}{suffix}",
            mime=mime,
            key=f"audit_download_{suffix.lstrip('.')}",
            icon=":material/download:",
        )


with render.sentences():
    _page()
