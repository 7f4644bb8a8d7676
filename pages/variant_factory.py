"""Variant factory: combine library videos, sounds and hooks into a batch of ad variants."""

from __future__ import annotations

import streamlit as st

from components.choices import labelled
from components.runtime import current_user_id, studio
from components.variant_factory.common import pick_project
from components.variant_factory.factory import batch_form, batch_view
from core.services.variant_factory.handoff import list_batches

services = studio()
user_id = current_user_id()

st.title("Variant factory")
st.caption(
    "Pick videos, sounds and hooks; the studio renders every variant as its own job. "
    "Files and ZIPs are kept for "
    f"{services.settings.factory_batch_expiry_h:g} h."
)
project = pick_project(user_id=user_id, services=services, key="vf_project")
if project is None:
    st.stop()

new_tab, batches_tab = st.tabs(["New batch", "Batches"])
with new_tab:
    started = batch_form(project.id, user_id=user_id, services=services)
    if started:
        st.success("Batch started. Follow it below or on the Batches tab.")
with batches_tab:
    recent = list_batches(project.id, user_id=user_id, services=services)
    if not recent:
        st.info("No batches yet. Make one on the New batch tab.")
    else:
        labels = {
            b.id: f"{b.created_at:%Y-%m-%d %H:%M} · {b.total} variants · "
            f"{'expired' if b.expired else ', '.join(f'{n} {k}' for k, n in b.counts.items())}"
            for b in recent
        }
        current = st.session_state.get("vf_batch")
        index = list(labels).index(current) if current in labels else 0
        chosen = st.selectbox("Batch", list(labels), index=index, format_func=labelled(labels), key="vf_batch_pick")
        batch_view(chosen, user_id=user_id, services=services)
