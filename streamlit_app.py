"""The dashboard's entry point: page config, the sidebar, and the pages the user may open.

Run it with ``python -m evaluation serve`` (or ``streamlit run streamlit_app.py``). Pages live
in ``evaluation/app/pages/``; everything they show comes from the ``evaluation`` package.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from evaluation.app import render, state
from evaluation.app.session import current_scope

PAGES = Path(__file__).parent / "evaluation" / "app" / "pages"

st.set_page_config(page_title="Exit work evaluation", page_icon=":material/insights:",
                   layout="wide")

scope = current_scope()
with st.sidebar:
    st.header("Exit work evaluation")
    if os.environ.get("EVALUATION_DEMO") == "1":
        st.warning("**Demo mode — fictional data.** Every organisation, programme and number "
                   "here is invented.", icon=":material/theater_comedy:")
    st.caption(f"Store: `{state.store_path()}`")
    st.caption(render.md(f"Viewing: {scope.label}"))

page = st.navigation([
    st.Page(PAGES / "upload.py", title="Upload", icon=":material/upload_file:", default=True),
    st.Page(PAGES / "submissions.py", title="Submissions", icon=":material/inventory_2:"),
    st.Page(PAGES / "overview.py", title="Data overview", icon=":material/monitoring:"),
])

with render.sentences():
    page.run()
