"""Your own provider keys on the Settings page: enter, replace, delete. Never shown back."""

from __future__ import annotations

import streamlit as st

from components.accounts.auth import client_address
from components.runtime import show_error
from core.domain.accounts import KeyStatus
from core.errors import StudioError
from core.ports_services import Services
from core.services.connections import keys


def _row(status: KeyStatus, *, user_id: str, services: Services) -> None:
    with st.container(border=True):
        state = ":green[set]" if status.is_set else ":gray[not set]"
        st.markdown(f"**{status.label}** · {state}")
        with st.form(f"key_{status.vendor}", clear_on_submit=True, border=False):
            value = st.text_input(
                f"{status.label} key",
                type="password",
                label_visibility="collapsed",
                placeholder="Paste a new key" if status.is_set else "Paste your key",
                key=f"key_input_{status.vendor}",
            )
            with st.container(horizontal=True):
                save = st.form_submit_button("Replace" if status.is_set else "Save", icon=":material/lock:")
                remove = status.is_set and st.form_submit_button("Delete", icon=":material/delete:")
        try:
            if save:
                keys.save_key(user_id, status.vendor, value, services=services, address=client_address(services))
                st.toast(f"Saved your {status.label} key (encrypted).", icon=":material/lock:")
            elif remove:
                keys.delete_key(user_id, status.vendor, services=services, address=client_address(services))
                st.toast(f"Deleted your {status.label} key.", icon=":material/delete:")
        except StudioError as exc:
            show_error(exc)


def provider_keys_panel(*, user_id: str, services: Services) -> None:
    st.subheader("Your provider keys")
    st.caption(
        "Your own keys pay for your generations instead of the studio's. They are encrypted (AES-256-GCM) before "
        "they are stored, opened only when one of your jobs calls the provider, and never shown again."
    )
    if not services.settings.master_key.get_secret_value():
        st.info(
            "Storing personal keys needs a master key in the studio's settings (MASTER_KEY).", icon=":material/key_off:"
        )
        return
    columns = st.columns(2)
    for i, status in enumerate(keys.key_statuses(user_id, services=services)):
        with columns[i % 2]:
            _row(status, user_id=user_id, services=services)
