"""Sign in: with the organisation's identity provider when one is configured, else a local
account's name and password."""

from __future__ import annotations

import streamlit as st

from evaluation.app import render, session
from evaluation.store.users import SignInRefused
from evaluation.vocabulary.language import _

st.title(_("Sign in"))

if session.oidc_configured():
    if session.identity_provider_signed_in():
        email = str(st.user.get("email") or _("your account"))
        st.error(
            render.md(
                _(
                    "{email} has no access to this dashboard. Ask an administrator to add a "
                    "user named exactly as your e-mail address, with a role and a scope.",
                    email=email,
                )
                if session.identity_provider_email_verified()
                else _(
                    "{email} has no access to this dashboard: your identity provider has not "
                    "confirmed that this e-mail address is yours. Ask your IT department to "
                    "verify it, then sign in again.",
                    email=email,
                )
            ),
            icon=":material/block:",
        )
        st.button(_("Sign out of the identity provider"), key="signin_logout", on_click=st.logout)
    else:
        st.markdown(_("Sign in with your organisation's account."))
        st.button(
            _("Sign in"),
            key="signin_oidc",
            type="primary",
            icon=":material/login:",
            on_click=st.login,
            args=(session.oidc_provider(),),
        )
else:
    st.markdown(_("Sign in with the user name and password your administrator gave you."))
    with st.form("signin_form", clear_on_submit=True):  # no password left in the session
        name = st.text_input(_("User name"), key="signin_name", autocomplete="username")
        password = st.text_input(
            _("Password"),
            type="password",
            key="signin_password",
            autocomplete="current-password",
        )
        submitted = st.form_submit_button(
            _("Sign in"), key="signin_submit", type="primary", icon=":material/login:"
        )
    if submitted:
        try:
            signed_in = session.sign_in(name, password)
        except SignInRefused as refused:  # too many failed sign-ins: says until when
            st.error(str(refused), icon=":material/lock_clock:")
        else:
            if signed_in is None:
                st.error(
                    _("The user name or password is not right, or the account is disabled."),
                    icon=":material/error:",
                )
            else:
                st.rerun()
