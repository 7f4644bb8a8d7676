"""Your account: who you are signed in as, password change, signing out here or everywhere."""

from __future__ import annotations

import streamlit as st

from components.accounts.auth import TOKEN, client_address, sign_out
from components.runtime import current_user_id, show_error, studio
from core.errors import StudioError
from core.services.accounts import sessions
from core.services.usage import spend

services = studio()
user_id = current_user_id()
settings = services.settings

st.title("Account")
today = spend.spend_today(user_id=user_id, services=services)
if today.ceiling_usd:
    st.metric(
        "Spent today",
        f"${today.committed_usd:.2f}",
        border=True,
        help=f"Including generations still running. Your daily limit is ${today.ceiling_usd:.2f}; "
        "it resets at midnight UTC.",
    )

if not settings.sign_in_configured:
    st.info(
        "This studio runs as one local user on this computer, so there is nothing to sign in or out of. "
        "Turn on sign-in (AUTH_LOCAL or AUTH_OIDC) to share it with a team.",
        icon=":material/computer:",
    )
    st.stop()

me = sessions.account(user_id, services=services)
st.markdown(f"Signed in as **{me.email}**")
with st.container(horizontal=True):
    if st.button("Sign out", icon=":material/logout:"):
        sign_out(services)
    if st.button("Sign out everywhere else", icon=":material/devices:"):
        ended = sessions.end_other_sessions(user_id, keep_token=st.session_state.get(TOKEN), services=services)
        st.toast(f"Ended {ended} other session{'s' if ended != 1 else ''}.", icon=":material/check:")

if not me.has_password:
    st.caption("You sign in through single sign-on; your password is managed there.")
    st.stop()
with st.form("password", clear_on_submit=True, border=True):
    st.markdown("**Change password**")
    current = st.text_input("Current password", type="password", autocomplete="current-password")
    new = st.text_input(
        "New password",
        type="password",
        autocomplete="new-password",
        help=f"At least {settings.password_min_chars} characters.",
    )
    if st.form_submit_button("Change password", type="primary"):
        try:
            ended = sessions.change_password(
                user_id,
                current,
                new,
                services=services,
                keep_token=st.session_state.get(TOKEN),
                address=client_address(services),
            )
        except StudioError as exc:
            show_error(exc)
        else:
            st.success(f"Password changed. {ended} other session{'s' if ended != 1 else ''} ended.")
