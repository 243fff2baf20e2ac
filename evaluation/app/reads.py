"""Shared reads on the audit trail, once per view a person opens, not once per rerun.

Why: Streamlit runs a page's script again on every click, widget change and page switch, so a
page that wrote its audit row on every run would record one look at the same figures dozens of
times, and the trail would say more about the widgets than about who read which release. A
read is recorded once per viewer, page (or file), set of releases and request in a browser
session (``st.session_state``); another request, another release (a new approval) or another
person is a new read. The row itself is written by ``evaluation.sharing.audit``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import pandas as pd
import streamlit as st

from evaluation.app import state
from evaluation.sharing import audit
from evaluation.store.access import Viewer

__all__ = ["READS_KEY", "record_read"]

READS_KEY = "shared_reads_recorded"
"""The session state's set of reads already on record in this browser session."""


def _numbers(releases: Iterable[object]) -> tuple[int, ...]:
    return tuple(sorted({int(r) for r in releases if r is not None and not pd.isna(r)}))  # type: ignore[call-overload]


def record_read(
    viewer: Viewer,
    releases: Iterable[object],
    target: str,
    detail: Mapping[str, object] | None = None,
) -> int:
    """Record that ``viewer`` read ``releases`` on ``target`` (``page:overview``), unless this
    session recorded the same read already. Returns the rows written (0: already on record,
    nothing released was read, or an internal viewer, whose reads are not shared reads)."""
    numbers = _numbers(releases)
    if not numbers or viewer.internal:
        return 0
    key = json.dumps(
        [viewer.name, viewer.role, target, numbers, dict(detail or {})],
        sort_keys=True,
        default=str,
    )
    done: set[str] = st.session_state.setdefault(READS_KEY, set())
    if key in done:
        return 0
    with state.cursor() as cur:  # one transaction: a funder's store may serve 500 releases
        cur.execute("BEGIN TRANSACTION")
        try:
            written = audit.record_shared_read(cur, viewer, numbers, target, detail)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    done.add(key)
    return written
