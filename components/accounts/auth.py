"""Sign-in screens and the signed-in account of this browser session.

The session token from `core.services.accounts.sessions` lives in `st.session_state` only, so it
ends with the tab's connection, on sign-out, after `session_idle_s` idle, or when the
password changes. With OpenID Connect, `st.login` proves who is there and the email in
`st.user` maps to our account; signing out ends both.
"""

from __future__ import annotations

import logging

import streamlit as st

from core.domain.accounts import Account, SignedIn
from core.errors import StudioError
from core.ports_services import Services
from core.services.accounts import sessions

logger = logging.getLogger(__name__)

TOKEN = "auth.token"
SIGNED_OUT = "auth.signed_out"


def client_address(services: Services) -> str:
    """The browser's address: the configured proxy header's first hop, else the socket's peer."""
    header = services.settings.client_address_header
    if header:
        forwarded = st.context.headers.get(header)
        first = forwarded.split(",")[0].strip() if isinstance(forwarded, str) else ""
        if first:
            return first[:64]
    address = st.context.ip_address
    return address[:64] if isinstance(address, str) else ""


def _keep(signed_in: SignedIn) -> None:
    st.session_state[TOKEN] = signed_in.token
    st.session_state["user_id"] = signed_in.user_id


def _oidc_user() -> tuple[str, str] | None:
    if not st.user.get("is_logged_in"):
        return None
    email = str(st.user.get("email") or "")
    if st.user.get("email_verified") is False:
        st.error("Your identity provider has not verified this email, so it cannot sign you in here.")
        return None
    return (email, str(st.user.get("name") or "")) if email else None


def signed_in_account(services: Services) -> Account | None:
    """The account of this browser session, or None when nobody is signed in."""
    _forget_signed_out()
    token = st.session_state.get(TOKEN)
    account = sessions.resolve_session(token, services=services) if token else None
    if account is not None:
        return account
    st.session_state.pop(TOKEN, None)
    if services.settings.auth_oidc and (who := _oidc_user()):
        try:
            signed_in = sessions.sign_in_oidc(
                who[0], display_name=who[1], services=services, address=client_address(services)
            )
        except StudioError as exc:
            st.error(exc.message)
            return None
        _keep(signed_in)
        return sessions.resolve_session(signed_in.token, services=services)
    return None


def sign_out(services: Services) -> None:
    """End the session now; the tab forgets everything of it at the start of the next run."""
    token = st.session_state.get(TOKEN)
    if token:
        sessions.sign_out(token, services=services, address=client_address(services))
    st.session_state[SIGNED_OUT] = True
    if services.settings.auth_oidc and st.user.get("is_logged_in"):
        st.logout()  # ends the identity provider's cookie session too, and reruns
    st.rerun()


def _forget_signed_out() -> None:
    # Done before any widget of this run exists: deleting a live widget's state mid-run is refused.
    if st.session_state.get(SIGNED_OUT):
        for key in list(st.session_state.keys()):
            if not str(key).startswith("_routed"):
                del st.session_state[key]


# --------------------------------------------------------------------------- screens


def _sign_in_form(services: Services) -> None:
    with st.form("sign_in", border=True):
        email = st.text_input("Email", key="sign_in_email", autocomplete="username")
        password = st.text_input("Password", type="password", key="sign_in_password", autocomplete="current-password")
        if not st.form_submit_button("Sign in", type="primary", icon=":material/login:"):
            return
    try:
        signed_in = sessions.sign_in(email, password, services=services, address=client_address(services))
    except StudioError as exc:
        st.error(exc.message, icon=":material/lock:")
        return
    _keep(signed_in)
    st.rerun()


def _sign_up_form(services: Services) -> None:
    if not services.settings.auth_allow_signup:
        st.caption("New accounts are by invitation: use the email a project owner invited.")
    with st.form("sign_up", border=True):
        email = st.text_input("Email", key="sign_up_email", autocomplete="username")
        name = st.text_input("Your name (optional)", key="sign_up_name")
        password = st.text_input(
            "Password",
            type="password",
            key="sign_up_password",
            autocomplete="new-password",
            help=f"At least {services.settings.password_min_chars} characters.",
        )
        if not st.form_submit_button("Create account", type="primary", icon=":material/person_add:"):
            return
    try:
        signed_in = sessions.sign_up(
            email, password, display_name=name, services=services, address=client_address(services)
        )
    except StudioError as exc:
        st.error(exc.message)
        return
    _keep(signed_in)
    st.rerun()


def _oidc_button(services: Services) -> None:
    provider = services.settings.auth_oidc_provider or None
    if st.button("Continue with single sign-on", icon=":material/key:", type="primary"):
        try:
            st.login(provider) if provider else st.login()
        except Exception as exc:  # missing [auth] secrets or Authlib: say so instead of a traceback
            logger.exception("st.login failed")
            st.error(f"Single sign-on is not set up correctly: {exc}")


def sign_in_screen(services: Services) -> None:
    """The whole screen a visitor who is not signed in sees."""
    st.title("Sign in")
    st.caption("UGC Studio: sign in to see your projects and those shared with you.")
    settings = services.settings
    if settings.auth_oidc:
        _oidc_button(services)
    if not settings.auth_local:
        return
    sign_in_tab, sign_up_tab = st.tabs(["Sign in", "Create account"])
    with sign_in_tab:
        _sign_in_form(services)
    with sign_up_tab:
        _sign_up_form(services)


def sign_in_page(services: Services) -> st.Page:
    """The page `app.py` routes to while nobody is signed in."""
    return st.Page(lambda: sign_in_screen(services), title="Sign in", icon=":material/login:", url_path="sign-in")


def account_menu(services: Services) -> None:
    """Who is signed in, and the way out (sidebar). Nothing in the embedded single-user mode."""
    user_id = st.session_state.get("user_id")
    if not services.settings.sign_in_configured or not user_id:
        return
    account = sessions.account(user_id, services=services)
    with st.sidebar:
        st.caption(f":material/account_circle: {account.email}")
        if st.button("Sign out", icon=":material/logout:", key="sidebar_sign_out"):
            sign_out(services)
