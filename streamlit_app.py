"""The dashboard's entry point: page config, the sidebar, and the pages the user may open.

Run it with ``python -m evaluation serve`` (or ``streamlit run streamlit_app.py``). Pages live
in ``evaluation/app/pages/``; everything they show comes from the ``evaluation`` package.

The navigation is built from ``PAGES`` and the signed-in user's role. Leaving a page out of the
navigation is a convenience, not the protection: every reader takes the user's scope and the
package refuses or filters what the scope does not allow.

Every run first decides the language the person reads (``session.chosen_language``: their own
choice, the session's, the browser's, English), before any text is drawn or the navigation is
built; page titles are marked here (``N_``) and translated when the navigation is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import streamlit as st

from evaluation.app import server

server.wait_until_warm()  # `serve` imports what follows as the server starts: wait, not race

from evaluation.app import render, session, state  # noqa: E402
from evaluation.errors import EvaluationError  # noqa: E402
from evaluation.vocabulary.language import N_, _  # noqa: E402

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
    """In English, marked for translation (``N_``); the navigation shows ``_(title)``."""
    icon: str
    roles: frozenset[str]


PAGES: tuple[AppPage, ...] = (
    AppPage("upload.py", N_("Upload"), ":material/upload_file:", INTERNAL),
    AppPage("submissions.py", N_("Submissions"), ":material/inventory_2:", INTERNAL),
    AppPage("overview.py", N_("Data overview"), ":material/monitoring:", EVERYONE),
    AppPage("programme.py", N_("Programme"), ":material/description:", INTERNAL),
    AppPage("explorer.py", N_("Indicator explorer"), ":material/query_stats:", EVERYONE),
    AppPage(
        "comparison.py",
        N_("Comparison"),
        ":material/compare_arrows:",
        frozenset({"admin", "funder", "evaluator"}),
    ),
    AppPage("reports.py", N_("Reports"), ":material/summarize:", EVERYONE),
    AppPage("approvals.py", N_("Approvals"), ":material/verified:", INTERNAL),
    AppPage("send.py", N_("Send a return"), ":material/outbox:", INTERNAL),
    AppPage(
        "upload_return.py", N_("Upload a return"), ":material/move_to_inbox:", FUNDER_AND_ADMIN
    ),
    AppPage("catalogue.py", N_("Indicator catalogue"), ":material/menu_book:", EVERYONE),
    AppPage("audit.py", N_("Audit trail"), ":material/history:", INTERNAL),
    AppPage("users.py", N_("Users"), ":material/manage_accounts:", ADMIN),
)
SIGN_IN = AppPage("signin.py", N_("Sign in"), ":material/login:", EVERYONE)
APP_TITLE = N_("Exit work evaluation")


def page_config() -> None:
    """The browser tab's title (in the language of the run), icon and the wide layout, and the
    dashboard's few rules of layout for every page (``render.page_style``)."""
    st.set_page_config(page_title=_(APP_TITLE), page_icon=":material/insights:", layout="wide")
    render.page_style()


def run() -> None:
    """The sidebar and the page of this run (``state.holding`` holds the store around it)."""
    demo = session.demo_mode()
    failure: EvaluationError | None = None
    try:  # who it is decides the language, so before anything is drawn
        user = session.current_user()
    except EvaluationError as exc:  # e.g. the store cannot be opened
        user, failure = None, exc
    session.speak(session.chosen_language(user))
    page_config()
    with st.sidebar:
        st.header(_(APP_TITLE))
        if demo:
            st.warning(
                _(
                    "**Demo mode — fictional data.** Every organisation, programme and number "
                    "here is invented. Nobody signs in: switch roles below to see each view."
                ),
                icon=":material/theater_comedy:",
            )
        viewer = None
        if failure is None:
            try:
                user = session.role_switcher() if demo else user
                viewer = session.viewer_of(user) if user else None
            except EvaluationError as exc:  # e.g. the store cannot be opened
                user, viewer, failure = None, None, exc
        if user is not None and user.role == "admin":  # where the file is: administrators only
            st.caption(_("Store: {path}", path=render.md(str(state.store_path()))))
        if viewer is not None:
            st.caption(render.md(_("Viewing: {who}", who=session.viewer_label(viewer))))
        if user is not None and not demo:
            st.button(
                _("Sign out"),
                key="sign_out",
                icon=":material/logout:",
                on_click=session.sign_out,
            )
        session.language_picker()

    if failure is not None:
        st.error(render.md(str(failure)), icon=":material/error:")
        st.stop()

    allowed = [p for p in PAGES if user is not None and user.role in p.roles] or [SIGN_IN]
    page = st.navigation(
        [
            st.Page(PAGE_DIR / p.file, title=_(p.title), icon=p.icon, default=i == 0)
            for i, p in enumerate(allowed)
        ],
        expanded=True,  # every page listed (an administrator's 13 too), none behind "View more"
    )

    with render.sentences():
        page.run()
    if any(p.file == "upload.py" for p in allowed):
        warm_validation()
    if any(p.file == "reports.py" for p in allowed):  # the report charts, once no page runs
        state.when_idle(state.warm_charts, "charts-prewarm")


def warm_validation() -> None:
    """Start importing Great Expectations and building the package suite in the background,
    once per process, after the first page of someone who may upload is drawn: it takes
    seconds, and the first upload should not pay them (``expectations.prewarm``). It starts
    once no page has run for two seconds (``state.when_idle``), so that the page a person
    opens right after the first one does not share the process with it; a check of a package
    that comes first starts it itself."""
    from evaluation.intake import expectations

    state.when_idle(lambda: expectations.prewarm(), "gx-prewarm")  # looked up when it runs


def skip_repl_check() -> None:
    """Streamlit asks once per process, at the first element sent, whether it runs in a Python
    REPL, by walking the whole call stack with ``inspect`` (which resolves the file of each of
    the ~2 000 modules imported): 0.15-0.25 s of the app's first page. The app is only ever
    served, never run in a REPL: mark the question answered (best effort: a Streamlit without
    that flag just asks)."""
    import streamlit.delta_generator as dg

    if hasattr(dg, "_use_warning_has_been_displayed"):
        dg._use_warning_has_been_displayed = True


def main() -> None:
    """One run of the dashboard."""
    skip_repl_check()
    state.freeze_heap()  # the modules imported so far, out of the collection after each run
    # the session's or the browser's language until the signed-in person's is known (in run())
    session.speak(session.chosen_language(None))
    page_config()
    try:
        with state.page_running(), state.holding():
            run()
    except EvaluationError as exc:  # e.g. the store cannot be opened
        # nobody is signed in yet: the sentence without the store's path (administrators only)
        said = str(exc).replace(f" {state.store_path()}", "")
        st.error(render.md(said), icon=":material/error:")


if __name__ == "__main__":  # Streamlit runs it as __main__; imported (by a test), it only declares
    main()
