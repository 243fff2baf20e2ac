"""Who is looking: the signed-in user, and the scope every page reads and every cache is keyed by.

In real mode a person signs in (a local account, or the identity provider of ``st.login`` when
``secrets.toml`` has an ``[auth]`` section, mapped to the local account named by their e-mail
address); only their name is kept in the session, and the account is read again on every run,
so a changed role or a removed account takes effect at once. In demo mode
(``EVALUATION_DEMO=1``, ``python -m evaluation serve --demo``) nobody signs in: a switcher in the
sidebar picks one of ``users.demo_users``. Either way ``current_scope()`` returns a ``Scope``
built with ``users.scope_for``, and what a page may show is decided by ``Scope.access()`` in the
package's readers, not by which pages the navigation lists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

import streamlit as st

from evaluation.app import state
from evaluation.errors import EvaluationError
from evaluation.store import access, users

Audience = Literal["internal", "funder", "evaluator"]
USER_KEY = "signed_in_user"
DEMO_ROLE_KEY = "demo_role"
DEMO_ROLES = ("cso_manager", "funder", "evaluator", "admin")


class NotSignedIn(EvaluationError, PermissionError):
    """A page asked for the user's scope, but nobody is signed in."""


@dataclass(frozen=True)
class Scope:
    """What one user may see, and the name their actions are recorded under."""

    audience: Audience = "internal"
    organisations: frozenset[str] | None = None
    """The organisations whose data is visible; ``None`` means every organisation."""
    actor: str = "dashboard"
    label: str = "Everything (internal view)"
    role: users.Role = "admin"
    programmes: frozenset[str] | None = None
    """The programmes whose data is visible; ``None`` means every programme of the
    organisations."""

    @classmethod
    def for_user(cls, user: users.User, scope: access.Scope) -> Scope:
        audience: Audience = (
            "internal"
            if scope.audience == "internal"
            else "evaluator"
            if user.role == "evaluator"
            else "funder"
        )
        return cls(
            audience,
            scope.organisations,
            user.name,
            _label(user, scope),
            user.role,
            scope.programmes,
        )

    def access(self) -> access.Scope:
        """The package's scope for this user: what the engine and every reader may return.

        Funders and evaluators only ever get the *shared* audience (suppressed aggregates).
        """
        audience = "internal" if self.audience == "internal" else "shared"
        return access.Scope(
            organisations=self.organisations, programmes=self.programmes, audience=audience
        )

    def allows(self, organisation: str, programmes: tuple[str, ...] = ()) -> bool:
        """Whether data of ``organisation`` (and of all ``programmes``, if given) is visible."""
        return self.access().allows(organisation, programmes)

    @property
    def internal(self) -> bool:
        """Whether this user sees case-derived figures unsuppressed (the CSO's own staff)."""
        return self.audience == "internal"

    @property
    def key(self) -> str:
        """A stable text for cache keys: two users with the same scope share cached results."""
        orgs = "*" if self.organisations is None else "|".join(sorted(self.organisations))
        progs = "*" if self.programmes is None else "|".join(sorted(self.programmes))
        return f"{self.audience}:{orgs}:{progs}"


EVERYTHING = Scope()


def _label(user: users.User, scope: access.Scope) -> str:
    view = "internal view" if scope.audience == "internal" else "shared view: small numbers hidden"
    if scope.organisations is None and scope.programmes is None:
        what = "every organisation"
    elif not scope.organisations:
        what = "nothing yet (an empty scope)"
    else:
        what = _listing(sorted(scope.organisations), "organisation")
        if scope.programmes is not None:
            what = _listing(sorted(scope.programmes), "programme") + " of " + what
    return f"{user.name} — {user.title}, {what} ({view})"


def _listing(items: list[str], noun: str) -> str:
    return ", ".join(items) if len(items) <= 2 else f"{len(items)} {noun}s"


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
    personas = users.demo_users(state.store())
    titles = {
        "cso_manager": "CSO manager of " + (personas["cso_manager"].scope or ("—",))[0],
        "funder": "Funder of every organisation",
        "evaluator": "Evaluator of every organisation",
        "admin": "Administrator",
    }
    role = st.radio(
        "View the dashboard as",
        DEMO_ROLES,
        key=DEMO_ROLE_KEY,
        format_func=titles.__getitem__,
        help="Demo mode: switch roles to see what each one sees. In real use "
        "everyone signs in and has one role.",
    )
    return personas[role or DEMO_ROLES[0]]


def current_user() -> users.User | None:
    """The person using this session, or None when nobody is signed in (real mode)."""
    if demo_mode():
        personas = users.demo_users(state.store())
        return personas[st.session_state.get(DEMO_ROLE_KEY) or DEMO_ROLES[0]]
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


def _identity_provider_user() -> str | None:
    """Sign in the local account named by the identity provider's e-mail address, if any."""
    email = str(st.user.get("email") or "")
    user = users.get_user(state.store(), email) if users.NAME_PATTERN.fullmatch(email) else None
    if user is None or user.disabled:
        return None
    state.store().audit(user.name, "users.sign_in", {"method": "identity provider"})
    st.session_state[USER_KEY] = user.name
    return user.name


def current_scope() -> Scope:
    """The scope of the person using this session. Raises ``NotSignedIn`` if there is none."""
    user = current_user()
    if user is None:
        raise NotSignedIn("Please sign in first.")
    return Scope.for_user(user, users.scope_for(user, state.store()))


def sign_in(name: str, password: str) -> users.User | None:
    """Check a local account's password and, if it matches, sign this session in."""
    user = users.authenticate(state.store(), name, password)
    if user is not None:
        st.session_state[USER_KEY] = user.name
    return user


def sign_out() -> None:
    """Forget who is signed in (and sign out of the identity provider too)."""
    st.session_state.pop(USER_KEY, None)
    if oidc_configured() and identity_provider_signed_in():
        st.logout()
