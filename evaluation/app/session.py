"""Who is looking: the signed-in user, as the ``Viewer`` every page reads with.

In real mode a person signs in (a local account, or the identity provider of ``st.login`` when
``secrets.toml`` has an ``[auth]`` section, mapped to the local account named by their e-mail
address); only their name is kept in the session, and the account is read again on every run,
so a changed role or a removed account takes effect at once. In demo mode
(``EVALUATION_DEMO=1``, ``python -m evaluation serve --demo``) nobody signs in: a switcher in the
sidebar picks one of ``demo.users.demo_users``. Either way ``current_viewer()`` returns an
``access.Viewer`` whose scope ``users.scope_for`` gives, and what a page may show is decided by
that scope in the package's readers, not by which pages the navigation lists.

The language a person reads is decided once per run, before anything is drawn
(``speak(chosen_language(user))``): the signed-in person's own choice (kept with their
account), else the choice made in this browser session (demo mode, the sign-in page), else the
browser's language, else English. Widget callbacks run before that, in a thread of their own:
wrap them in ``in_language`` so their sentences are in the reader's language too.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import secrets
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import streamlit as st

from evaluation import settings
from evaluation.app import render, state
from evaluation.demo.users import demo_users
from evaluation.errors import EvaluationError
from evaluation.sharing import audit
from evaluation.store import users
from evaluation.store.access import Viewer
from evaluation.vocabulary import language
from evaluation.vocabulary.language import _
from evaluation.vocabulary.names import shown_name
from evaluation.vocabulary.roles import ROLES, Role

P = ParamSpec("P")
T = TypeVar("T")

USER_KEY = "signed_in_user"
DEMO_ROLE_KEY = "demo_role"
FAILED_KEY = "identity_provider_refused"
CLIENT_KEY = "sign_in_client"
DEMO_DEFAULT: Role = "cso_manager"
"""The role the demo opens as (first in its switcher): a CSO manager sees the most."""
LANGUAGE_KEY = "language"
"""The language chosen in this browser session (demo mode, or before signing in)."""
LANGUAGE_PICK = "language_pick"
"""The sidebar's language picker."""
RUN_LANGUAGE_KEY = "language_of_run"
"""The language of this session's latest run, for the callbacks of the next (``in_language``)."""


class NotSignedIn(EvaluationError, PermissionError):
    """A page asked for the viewer, but nobody is signed in."""


def viewer_of(user: users.User) -> Viewer:
    """The viewer ``user`` is: their name, role and the scope ``users.scope_for`` gives them."""
    return Viewer(user.name, user.role, users.scope_for(user, state.store()))


def viewer_label(viewer: Viewer) -> str:
    """``Viewer.label`` for the sidebar, a scope of programmes by their names (read once per
    scope and store, ``state.programmes_in_scope``)."""
    if viewer.scope.programmes is None:
        return viewer.label
    from evaluation.views.explore import programme_names

    try:
        return viewer.label_with(programme_names(state.programmes_in_scope(viewer.scope)))
    except EvaluationError:  # the store cannot be read now: the page says so; ids meanwhile
        return viewer.label


# -- the language a person reads -----------------------------------------------------------------


def _accepted(header: str) -> list[str]:
    """The languages of an ``Accept-Language`` header, the most wanted first."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _q, _p, tag in sorted(weighted)]


def browser_language() -> str | None:
    """The first language the browser asks for that the platform speaks: its own
    (``st.context.locale``, the browser's ``navigator.language``), else the first of its
    ``Accept-Language`` header; None when it asks for none of them."""
    wanted: list[str] = []
    locale = getattr(st.context, "locale", None)
    if isinstance(locale, str) and locale:  # (Streamlit's AppTest gives a stand-in object)
        wanted.append(locale)
    try:
        header = st.context.headers.get("Accept-Language") or ""
    except Exception:  # no request headers (a test, a bare run)
        header = ""
    wanted += _accepted(header) if isinstance(header, str) else []
    for tag in wanted:
        base = tag.replace("-", "_").split("_")[0].lower()
        if base in language.LANGUAGES:
            return base
    return None


def chosen_language(user: users.User | None) -> str:
    """The language this run speaks: ``user``'s own choice, else this session's, else the
    browser's, else English."""
    if user is not None and user.language:
        return language.normalise(user.language)
    chosen = st.session_state.get(LANGUAGE_KEY)
    if chosen:
        return language.normalise(chosen)
    return language.normalise(browser_language())


def speak(lang: str) -> None:
    """Make ``lang`` the language of this run (and of the callbacks of the next one)."""
    language.set_language(lang)
    st.session_state[RUN_LANGUAGE_KEY] = language.current()


def in_language(callback: Callable[P, T]) -> Callable[P, T]:
    """``callback`` (a widget's ``on_click``/``on_change``) speaking the reader's language:
    Streamlit runs callbacks before the app has set the language of the run."""

    @functools.wraps(callback)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> T:
        with language.using(st.session_state.get(RUN_LANGUAGE_KEY)):
            return callback(*args, **kwargs)

    return wrapped


def _keeps(value: object) -> bool:
    """Whether a value of the session state is one a person chose in a picker or typed (and
    may be set again through the Session State API, unlike a button's or an upload's)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str | int | float | dt.date):
        return True
    return isinstance(value, list) and all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in value
    )


def _keep_choices() -> None:
    """Keep every choice of the page through a change of language. Streamlit's browser side
    knows a select box's, radio's or multiselect's choice by its label; a change of language
    changes the labels, and a choice whose label is no longer offered would be dropped. Here,
    before the run, each is still read in the old language: set again, it holds."""
    state = st.session_state
    for key in list(state.keys()):
        if key in (LANGUAGE_PICK, RUN_LANGUAGE_KEY):
            continue
        try:
            value = state[key]
            if _keeps(value):
                state[key] = value
        except Exception:  # a widget whose value cannot be set: it keeps its own
            continue


def _save_language() -> None:
    """The picker's callback: the choice goes to the signed-in person's account, else to this
    browser session (demo mode, before signing in)."""
    _keep_choices()
    chosen = language.normalise(st.session_state.get(LANGUAGE_PICK))
    user = None if demo_mode() else current_user()
    if user is not None:
        users.set_language(state.store(), user.name, chosen, actor=user)
    else:
        st.session_state[LANGUAGE_KEY] = chosen
    st.session_state[RUN_LANGUAGE_KEY] = chosen


def language_picker() -> None:
    """Draw the language picker (in the sidebar), showing the language of this run."""
    st.session_state[LANGUAGE_PICK] = language.current()
    st.selectbox(
        _("Language"),
        language.LANGUAGES,
        key=LANGUAGE_PICK,
        format_func=language.language_name,
        on_change=_save_language,
        help=_(
            "The language of the dashboard and of your reports. Signed in, it is kept with "
            "your account."
        ),
    )


# -- modes -------------------------------------------------------------------------------------


def demo_mode() -> bool:
    """Demo mode: fictional data, no sign-in, a role switcher (``serve --demo``)."""
    return os.environ.get("EVALUATION_DEMO") == "1"


def oidc_configured() -> bool:
    """Whether ``secrets.toml`` configures an identity provider for ``st.login``."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml (StreamlitSecretNotFoundError), or an unreadable one
        return False


def identity_provider_signed_in() -> bool:
    """Whether the identity provider has signed this browser in (``st.user``)."""
    return bool(st.user.get("is_logged_in"))


def oidc_provider() -> str | None:
    """The provider to pass to ``st.login``: None for a single unnamed ``[auth]`` provider."""
    auth = st.secrets.get("auth", {})
    if "client_id" in auth:
        return None
    named = [k for k, v in auth.items() if hasattr(v, "keys")]
    return named[0] if len(named) == 1 else None


# -- who is signed in ----------------------------------------------------------------------------


def role_switcher() -> users.User:
    """Draw the demo mode's role switcher and return the fictional user it picks."""
    personas = demo_users(state.store())
    first = (personas["cso_manager"].scope or ("—",))[0]

    def title(role: str) -> str:
        shown = _(ROLES[role].title)
        if role == "cso_manager":
            return _("{role} of {organisation}", role=shown, organisation=shown_name(first))
        if role in ("funder", "evaluator"):
            return _("{role} of every organisation", role=shown)
        return shown

    # The role of the last run, set again: Streamlit knows a radio's choice by its label, and a
    # change of language changes every label, which would otherwise drop the choice.
    kept = st.session_state.get(DEMO_ROLE_KEY)
    if kept in ROLES:
        st.session_state[DEMO_ROLE_KEY] = kept
    role = st.radio(
        _("View the dashboard as"),
        [DEMO_DEFAULT, *(r for r in ROLES if r != DEMO_DEFAULT)],
        key=DEMO_ROLE_KEY,
        format_func=render.in_this_language(title),
        help=_(
            "Demo mode: switch roles to see what each one sees. In real use "
            "everyone signs in and has one role."
        ),
    )
    return personas[role or DEMO_DEFAULT]


def current_user() -> users.User | None:
    """The person using this session, or None when nobody is signed in (real mode)."""
    if demo_mode():
        personas = demo_users(state.store())
        return personas[st.session_state.get(DEMO_ROLE_KEY) or DEMO_DEFAULT]
    name = st.session_state.get(USER_KEY)
    if name is None and oidc_configured() and identity_provider_signed_in():
        name = _identity_provider_user()
    if name is None:
        return None
    user = users.get_user(state.store(), name)
    if user is None or user.disabled:  # removed or disabled since signing in
        st.session_state.pop(USER_KEY, None)
        return None
    return user


def identity_provider_email_verified() -> bool:
    """Whether the identity provider vouches for the e-mail address it sent: not when it says
    it has not verified it (``email_verified`` false; many providers let people type any
    address). A provider that does not send the claim (e.g. Microsoft Entra ID) is trusted to
    issue only addresses it manages."""
    claim = st.user.get("email_verified", True)
    return str(claim).strip().lower() not in {"false", "0", "no"}


def _identity_provider_user() -> str | None:
    """Sign in the local account named by the identity provider's verified e-mail address, if
    any. The account's role and scope count, never what the provider says about roles."""
    email = str(st.user.get("email") or "")
    user = users.get_user(state.store(), email) if users.NAME_PATTERN.fullmatch(email) else None
    verified = identity_provider_email_verified()
    if user is None or user.disabled or not verified:
        if not st.session_state.get(FAILED_KEY):  # once per browser session, not per rerun
            st.session_state[FAILED_KEY] = True
            audit.record(
                state.store(),
                actor=email[:120] or "(no e-mail address)",
                role=user.role if user else None,
                action="sign_in_failed",
                detail={
                    "method": "identity provider",
                    "reason": "no account"
                    if user is None
                    else ("address not verified" if not verified else "disabled"),
                },
            )
        return None
    users.record_sign_in(state.store(), user, "identity provider")
    st.session_state[USER_KEY] = user.name
    return user.name


def current_viewer() -> Viewer:
    """The person using this session and what they may see. Raises ``NotSignedIn`` if nobody
    is signed in."""
    user = current_user()
    if user is None:
        raise NotSignedIn(_("Please sign in first."))
    return viewer_of(user)


def client() -> str:
    """Where a sign-in comes from, for the limits on failed sign-ins (``users.authenticate``).

    The computer's network address when Streamlit knows it: with ``trusted_proxies`` set, the
    address that many entries from the end of ``X-Forwarded-For`` (what the nearest trusted
    proxy saw), else ``st.context.ip_address``. Without an address (a browser on the same
    machine, a test) it is this browser session, so the limit still holds for this session."""
    hops = settings.value("trusted_proxies")
    if hops:
        header = st.context.headers.get("X-Forwarded-For") or ""
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        if len(forwarded) >= hops:
            return f"address {forwarded[-hops]}"
    address = st.context.ip_address
    if isinstance(address, str) and address:  # (Streamlit's AppTest gives a stand-in object)
        return f"address {address}"
    token = st.session_state.get(CLIENT_KEY) or secrets.token_hex(16)
    st.session_state[CLIENT_KEY] = token
    return f"session {token}"


def sign_in(name: str, password: str) -> users.User | None:
    """Check a local account's password and, if it matches, sign this session in.

    Raises ``users.SignInRefused`` (a sentence saying until when) while the name or this
    computer must wait after too many failed sign-ins; the password is not checked then."""
    user = users.authenticate(state.store(), name, password, client=client())
    if user is not None:
        st.session_state[USER_KEY] = user.name
    return user


def sign_out() -> None:
    """Forget who is signed in (and sign out of the identity provider too)."""
    st.session_state.pop(USER_KEY, None)
    if oidc_configured() and identity_provider_signed_in():
        st.logout()
