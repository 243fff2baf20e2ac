"""The dashboard's entry point: page config, the sidebar, and the pages the user may open.

Run it with ``python -m evaluation serve`` (or ``streamlit run streamlit_app.py``). Pages live
in ``evaluation/app/pages/``; everything they show comes from the ``evaluation`` package.

The navigation is built from ``PAGES`` and the signed-in user's role. Leaving a page out of the
navigation is a convenience, not the protection: every reader takes the user's scope and the
package refuses or filters what the scope does not allow.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import streamlit as st

from evaluation.app import render, session, state
from evaluation.errors import EvaluationError

PAGE_DIR = Path(__file__).parent / "evaluation" / "app" / "pages"

# (No bare strings at module level here: Streamlit's "magic" would draw them on every page.)
EVERYONE = frozenset({"admin", "cso_manager", "funder", "evaluator"})
INTERNAL = frozenset({"admin", "cso_manager"})  # the CSO's own staff: case-level pages
ADMIN = frozenset({"admin"})
FUNDER_AND_ADMIN = frozenset({"admin", "funder"})  # a funder's store takes in returns


class AppPage(NamedTuple):
    """A page of the navigation: a file in ``evaluation/app/pages/`` and the roles whose
    navigation lists it (the first page a user may open is their default)."""

    file: str
    title: str
    icon: str
    roles: frozenset[str]


PAGES: tuple[AppPage, ...] = (
    AppPage("upload.py", "Upload", ":material/upload_file:", INTERNAL),
    AppPage("submissions.py", "Submissions", ":material/inventory_2:", INTERNAL),
    AppPage("overview.py", "Data overview", ":material/monitoring:", EVERYONE),
    AppPage("programme.py", "Programme", ":material/description:", INTERNAL),
    AppPage("explorer.py", "Indicator explorer", ":material/query_stats:", EVERYONE),
    AppPage(
        "comparison.py",
        "Comparison",
        ":material/compare_arrows:",
        frozenset({"admin", "funder", "evaluator"}),
    ),
    AppPage("reports.py", "Reports", ":material/summarize:", EVERYONE),
    AppPage("approvals.py", "Approvals", ":material/verified:", INTERNAL),
    AppPage("send.py", "Send a return", ":material/outbox:", INTERNAL),
    AppPage("upload_return.py", "Upload a return", ":material/move_to_inbox:", FUNDER_AND_ADMIN),
    AppPage("catalogue.py", "Indicator catalogue", ":material/menu_book:", EVERYONE),
    AppPage("audit.py", "Audit trail", ":material/history:", INTERNAL),
    AppPage("users.py", "Users", ":material/manage_accounts:", ADMIN),
)
SIGN_IN = AppPage("signin.py", "Sign in", ":material/login:", EVERYONE)

st.set_page_config(
    page_title="Exit work evaluation", page_icon=":material/insights:", layout="wide"
)


def run() -> None:
    """The sidebar and the page of this run (``state.holding`` holds the store around it)."""
    demo = session.demo_mode()
    with st.sidebar:
        st.header("Exit work evaluation")
        if demo:
            st.warning(
                "**Demo mode — fictional data.** Every organisation, programme and number "
                "here is invented. Nobody signs in: switch roles below to see each view.",
                icon=":material/theater_comedy:",
            )
        failure: EvaluationError | None = None
        try:
            user = session.role_switcher() if demo else session.current_user()
            viewer = session.viewer_of(user) if user else None
        except EvaluationError as exc:  # e.g. the store cannot be opened
            user, viewer, failure = None, None, exc
        if user is not None and user.role == "admin":  # where the file is: administrators only
            st.caption(f"Store: `{state.store_path()}`")
        if viewer is not None:
            st.caption(render.md(f"Viewing: {viewer.label}"))
        if user is not None and not demo:
            st.button(
                "Sign out", key="sign_out", icon=":material/logout:", on_click=session.sign_out
            )

    if failure is not None:
        st.error(render.md(str(failure)), icon=":material/error:")
        st.stop()

    allowed = [p for p in PAGES if user is not None and user.role in p.roles] or [SIGN_IN]
    page = st.navigation(
        [
            st.Page(PAGE_DIR / p.file, title=p.title, icon=p.icon, default=i == 0)
            for i, p in enumerate(allowed)
        ]
    )

    with render.sentences():
        page.run()


try:
    with state.holding():
        run()
except EvaluationError as exc:  # e.g. the store cannot be opened
    # nobody is signed in yet: the sentence without the store's path (administrators only)
    said = str(exc).replace(f" {state.store_path()}", "")
    st.error(render.md(said), icon=":material/error:")
