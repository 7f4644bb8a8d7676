"""Provider health on the Settings page: per provider and key, recent errors, rate limits and
the fallback in use; and the user's own pooled keys (add, put back in rotation, remove)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from components.labels import capability_label
from components.runtime import show_error
from core.errors import StudioError
from core.ports_services import Services
from core.services.connections.keys import VENDORS
from core.services.resilience import health, key_pool

STATUS_WORDS = {"active": "active", "rate_limited": "rate-limited", "exhausted": "out of credits", "error": "rejected"}


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _state(line: health.ProviderHealth) -> str:
    if line.down_until is not None:
        return f"skipped until {_when(line.down_until)}"
    if line.failures:
        return f"failing ({line.failures} in a row)"
    return "ok"


def _providers_table(services: Services, user_id: str | None) -> None:
    rows = [
        {
            "Capability": capability_label(line.capability),
            "Provider": line.provider,
            "Role": line.role,
            "In use": "yes" if line.in_use else "",
            "State": _state(line),
            "Last error": line.last_error,
        }
        for line in health.provider_health(services, user_id)
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    fallbacks = [r for r in rows if r["In use"] and r["Role"] != "primary"]
    for row in fallbacks:
        st.warning(f"{row['Capability']} runs on its {row['Role']}, {row['Provider']}, while the primary is down.")


def _key_status(view: key_pool.PooledKeyView) -> str:
    words = STATUS_WORDS.get(view.status, view.status)
    return f"{words} until {_when(view.limited_until)}" if view.status == "rate_limited" else words


def _keys_table(views: list[key_pool.PooledKeyView]) -> None:
    rows = [
        {
            "Vendor": VENDORS.get(v.vendor, v.vendor),
            "Key": v.label,
            "Whose": "the studio's" if v.system else "yours",
            "Status": _key_status(v),
            "Errors": v.error_count,
            "Last error": v.last_error,
            "Last used": _when(v.last_used_at),
        }
        for v in views
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _own_key_actions(views: list[key_pool.PooledKeyView], *, user_id: str, services: Services) -> None:
    for view in [v for v in views if not v.system]:
        with st.container(horizontal=True):
            st.markdown(f"{VENDORS.get(view.vendor, view.vendor)} · **{view.label}** · {_key_status(view)}")
            try:
                if view.status != "active" and st.button("Use again", key=f"pool_on_{view.id}"):
                    key_pool.reactivate_key(services, view.id, owner_id=user_id)
                    st.rerun()
                if st.button("Remove", key=f"pool_rm_{view.id}", icon=":material/delete:"):
                    key_pool.remove_key(services, view.id, owner_id=user_id)
                    st.rerun()
            except StudioError as exc:
                show_error(exc)


def _add_key_form(*, user_id: str, services: Services) -> None:
    with st.form("pool_add", clear_on_submit=True):
        columns = st.columns(3)
        vendor = columns[0].selectbox("Vendor", list(VENDORS), format_func=VENDORS.__getitem__, key="pool_vendor")
        label = columns[1].text_input("Name", placeholder="e.g. second account", key="pool_label")
        secret = columns[2].text_input("Key", type="password", key="pool_secret")
        if st.form_submit_button("Add to my pool", icon=":material/lock:"):
            try:
                key_pool.add_key(services, owner_id=user_id, vendor=vendor, label=label, secret=secret)
                st.toast(f"Added “{label.strip()}” to your {VENDORS[vendor]} keys (encrypted).", icon=":material/lock:")
            except StudioError as exc:
                show_error(exc)


def provider_health_panel(*, user_id: str, services: Services) -> None:
    st.subheader("Provider health")
    st.caption(
        "Each capability tries its providers in order: a provider that keeps failing (an outage, no credits, "
        "a retired model) is skipped for a while and the next one takes over. A content refusal never moves "
        "work elsewhere, and nothing a provider may have started is sent again."
    )
    _providers_table(services, user_id)
    st.markdown("**Pooled keys**")
    st.caption(
        "Several keys for one vendor: calls take turns over the active ones, a rate-limited key rests until the "
        "vendor says, a rejected one is set aside and you are told here. Keys are encrypted and never shown again."
    )
    if services.settings.master_key.get_secret_value():
        _add_key_form(user_id=user_id, services=services)  # before the list, so a new key shows at once
    views = key_pool.list_keys(services, owner_id=user_id)
    if views:
        _keys_table(views)
        _own_key_actions(views, user_id=user_id, services=services)
    else:
        st.caption("No pooled keys: each vendor uses its one key.")
    st.markdown("**Recent events**")
    events = health.recent_events(services, user_id)
    if not events:
        st.caption("Nothing to report: no errors, rate limits or fallbacks lately.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {"When": _when(e.at), "Provider": e.provider, "What": e.kind.replace("_", " "), "Message": e.message}
                for e in events
            ]
        ),
        hide_index=True,
        width="stretch",
    )
