"""Users (administrators): who may sign in, with which role, which data they may see, and the
language each reads the dashboard in."""

from __future__ import annotations

import streamlit as st

from evaluation.app import render, session, state
from evaluation.errors import EvaluationError
from evaluation.store import users
from evaluation.vocabulary import language
from evaluation.vocabulary.language import _

NEW = ""
OUTCOME = "users_outcome"  # what the last save or removal did, shown once
BROWSER = ""  # the language option "not chosen: the browser's"

viewer = session.current_viewer()
store = state.store()
st.title(_("Users"))
st.markdown(
    _(
        "Each user has one role and a scope: the organisations or programmes whose data they "
        "may see. Saving an existing name changes its role and scope (and its password, if one "
        "is typed). The same can be done with `python -m evaluation users`."
    )
)
with st.expander(_("Roles"), icon=":material/badge:"):
    for role in users.ROLES.values():
        st.markdown(_("**{role}**: {what}.", role=_(role.title), what=render.md(_(role.doc))))

if viewer.role != "admin":  # navigation offers it to administrators; the package checks too
    st.error(_("Only administrators can manage users."), icon=":material/block:")
    st.stop()

options = {o.id: o.label for o in users.scope_options(store)}


def pick() -> None:
    """Fill the form with the chosen user, or empty it for a new one."""
    chosen = users.get_user(store, st.session_state["user_pick"] or "")
    st.session_state["user_name"] = chosen.name if chosen else ""
    st.session_state["user_role"] = chosen.role if chosen else "cso_manager"
    st.session_state["user_scope"] = list(chosen.scope) if chosen else []
    st.session_state["user_disabled"] = chosen.disabled if chosen else False
    st.session_state["user_language"] = (chosen.language if chosen else None) or BROWSER


def _outcome(kind: str, text: str) -> None:
    st.session_state[OUTCOME] = (kind, text)


def save() -> None:
    """Runs before the page is drawn, so the lists below already show the change."""
    ss = st.session_state
    try:
        user = users.add_user(
            store,
            ss["user_name"],
            ss["user_role"],
            ss["user_scope"],
            ss["user_password"] or None,
            actor=viewer,
            disabled=ss["user_disabled"],
            allow_no_password=session.oidc_configured(),
            language=ss.get("user_language") or "",
        )
    except EvaluationError as exc:
        _outcome("error", str(exc))
        return
    finally:
        ss["user_password"] = ""  # never kept in the session
    text = _("Saved the user {name} ({role}).", name=user.name, role=_(user.title))
    unknown = users.unknown_scope_ids(store, user.scope)
    if unknown and user.role != "admin":
        text += " " + _(
            "Not in the store yet (fine before a first upload): {ids}.", ids=", ".join(unknown)
        )
    look_alikes = users.look_alike_warnings(store, user)
    _outcome("warning" if look_alikes else "success", " ".join([text, *look_alikes]))


def remove() -> None:
    name = st.session_state["remove_name"]
    try:
        users.remove_user(store, name, actor=viewer)
    except EvaluationError as exc:
        _outcome("error", str(exc))
        return
    st.session_state["remove_name"] = None
    _outcome("success", _("Removed the user {name}.", name=name))


outcome = st.session_state.pop(OUTCOME, None)
if outcome:
    show = {"success": st.success, "warning": st.warning}.get(outcome[0], st.error)
    show(
        render.md(outcome[1]),
        icon={"success": ":material/check_circle:", "warning": ":material/warning:"}.get(
            outcome[0], ":material/error:"
        ),
    )

accounts = users.list_users(store)
if not accounts:
    st.info(
        _("There are no users yet. In real use, nobody can sign in until one is added."),
        icon=":material/info:",
    )
else:
    st.dataframe(
        users.user_table(accounts),
        hide_index=True,
        width="stretch",
        column_config={
            "name": _("User"),
            "role": _("Role"),
            "scope": _("Scope"),
            "sign_in": _("Signs in with"),
            "status": _("Status"),
            "language": _("Language"),
            "created_at": st.column_config.DatetimeColumn(
                _("Created (UTC)"), format=render.datetime_column_format()
            ),
        },
    )
names = [u.name for u in accounts]

st.subheader(_("Add or change a user"))
render.selectbox(
    _("User"),
    [NEW, *names],
    key="user_pick",
    on_change=pick,
    format_func=lambda n: n or _("(a new user)"),
)
st.session_state.setdefault("user_role", "cso_manager")
st.session_state.setdefault("user_language", BROWSER)
for known in st.session_state.get("user_scope", []):
    options.setdefault(known, known)
with st.form("user_form"):
    st.text_input(
        _("User name"),
        key="user_name",
        max_chars=64,
        help=_(
            "1-64 characters: letters, digits and . _ @ -. With the identity "
            "provider: the person's e-mail address."
        ),
    )
    render.selectbox(
        _("Role"),
        list(users.ROLES),
        key="user_role",
        format_func=lambda r: _(users.ROLES[r].title),
    )
    render.multiselect(
        _("Scope"),
        list(options),
        key="user_scope",
        format_func=lambda i: options.get(i, i),
        accept_new_options=True,
        placeholder=_("Choose or type organisations or programmes"),
        help=_(
            "Organisations or programmes; type a name to add one that has not uploaded yet. "
            "Administrators see everything whatever their scope."
        ),
    )
    render.selectbox(
        _("Language"),
        [BROWSER, *language.LANGUAGES],
        key="user_language",
        format_func=lambda lang: language.language_name(lang) if lang else _(users.NOT_CHOSEN),
        help=_(
            "The language the user reads the dashboard in; each user can change their own in "
            "the sidebar. Not chosen: their browser's language."
        ),
    )
    st.text_input(
        _("Password"),
        type="password",
        key="user_password",
        autocomplete="new-password",
        help=(
            _(
                "At least {n} characters. Leave empty to keep the password of an existing "
                "user, or for a user who signs in with the identity provider.",
                n=users.MIN_PASSWORD,
            )
            if session.oidc_configured()
            else _(
                "At least {n} characters. Leave empty to keep the password of an existing user.",
                n=users.MIN_PASSWORD,
            )
        ),
    )
    st.checkbox(
        _("Account disabled"),
        key="user_disabled",
        help=_("A disabled user cannot sign in; their account stays."),
    )
    render.form_submit_button(
        _("Save user"), key="user_save", type="primary", icon=":material/save:", on_click=save
    )

st.subheader(_("Remove a user"))
with st.container(horizontal=True, vertical_alignment="bottom"):
    chosen = st.selectbox(
        _("User to remove"),
        names,
        key="remove_name",
        index=None,
        placeholder=_("Choose a user"),
    )
    render.button(
        _("Remove user"),
        key="remove_button",
        icon=":material/person_remove:",
        disabled=chosen is None,
        on_click=remove,
    )
