"""'Test connection' buttons, one per capability, on the Settings page."""

from __future__ import annotations

import streamlit as st

from components.labels import capability_label
from core.errors import StudioError
from core.ports_services import Services
from core.services.connections.status import try_connection


def connection_tests(*, services: Services) -> None:
    """Each button makes one authenticated request that costs nothing and says what answered."""
    with st.expander("Test connections", icon=":material/network_check:"):
        st.caption("One free request per provider: checks that it answers and accepts the key. Nothing is generated.")
        for capability, choice in services.providers.choices.items():
            left, right = st.columns([3, 1], vertical_alignment="center")
            left.markdown(f"**{capability_label(capability)}** · {choice.vendor} · `{choice.model}`")
            if right.button("Test", key=f"test_{capability}", icon=":material/cable:"):
                _run(capability, services)


def _run(capability: str, services: Services) -> None:
    with st.spinner("Asking the provider…"):
        try:
            st.success(try_connection(capability, services=services), icon=":material/check_circle:")
        except StudioError as exc:
            st.error(exc.message, icon=":material/error:")
