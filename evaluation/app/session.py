"""Who is looking: the signed-in user, as the ``Viewer`` every page reads with.

In real mode a person signs in (a local account, or the identity provider of ``st.login`` when
``secrets.toml`` has an ``[auth]`` section, mapped to the local account named by their e-mail
address); only their name is kept in the session, and the account is read again on every run,
so a changed role or a removed account takes effect at once. In demo mode
(``EVALUATION_DEMO=1``, ``python -m evaluation serve --demo``) nobody signs in: a switcher in the
sidebar picks one of ``demo.users.demo_users``. Either way ``current_viewer()`` returns an
``access.Viewer`` whose scope ``users.scope_for`` gives, and what a page may show is decided by
that scope in the package's readers, not by which pages the navigation lists.
"""

from __future__ import annotations

import os
import secrets

import streamlit as st

from evaluation import settings
from evaluation.app import state
from evaluation.demo.users import demo_users
from evaluation.errors import EvaluationError
from evaluation.sharing import audit
from evaluation.store import users
from evaluation.store.access import Viewer
from evaluation.vocabulary.roles import ROLES, Role

USER_KEY = "signed_in_user"
DEMO_ROLE_KEY = "demo_role"
FAILED_KEY = "identity_provider_refused"
CLIENT_KEY = "sign_in_client"
DEMO_DEFAULT: Role = "cso_manager"
"""The role the demo opens as (first in its switcher): a CSO manager sees the most."""


class NotSignedIn(EvaluationError, PermissionError):
    """A page asked for the viewer, but nobody is signed in."""


def viewer_of(user: users.User) -> Viewer:
    """The viewer ``user`` is: their name, role and the scope ``users.scope_for`` gives them."""
    return Viewer(user.name, user.role, users.scope_for(user, state.store()))


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
    whose = {
        "cso_manager": (personas["cso_manager"].scope or ("—",))[0],
        "funder": "every organisation",
        "evaluator": "every organisation",
    }
    role = st.radio(
        "View the dashboard as",
        [DEMO_DEFAULT, *(r for r in ROLES if r != DEMO_DEFAULT)],
        key=DEMO_ROLE_KEY,
        format_func=lambda r: f"{ROLES[r].title} of {whose[r]}" if r in whose else ROLES[r].title,
        help="Demo mode: switch roles to see what each one sees. In real use "
        "everyone signs in and has one role.",
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
        raise NotSignedIn("Please sign in first.")
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
