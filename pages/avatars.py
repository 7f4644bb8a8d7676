"""Avatars: reusable digital twins per project, their reference sheets, LoRA models and face swaps."""

from __future__ import annotations

import streamlit as st

from components.avatars.manage import avatar_panel, create_form
from components.avatars.models import face_swap_tab, lora_tab
from components.choices import labelled
from components.runtime import current_user_id, studio
from core.services.avatars import manage
from core.services.talking.projects import list_projects

services = studio()
user_id = current_user_id()

st.title("Avatars")
st.caption("One face across every ad: photos with reference angles, sheets, LoRA models and face swap.")
projects = {p.id: p.title for p in list_projects(user_id=user_id, services=services)}
if not projects:
    st.info("Create a project first: avatars are kept per project.")
    st.page_link("pages/projects.py", label="Projects")
    st.stop()
current = st.session_state.get("project_id")
project_id = st.selectbox(
    "Project", list(projects), index=list(projects).index(current) if current in projects else 0,
    format_func=labelled(projects),
)  # fmt: skip
avatars = manage.list_avatars(project_id, user_id=user_id, services=services)
tab_avatars, tab_lora, tab_swap = st.tabs(["Avatars", "LoRA models", "Face swap"])
with tab_avatars:
    create_form(project_id, user_id=user_id, services=services)
    if not avatars:
        st.caption("No avatars in this project yet. The catalog actors are always available in the wizard.")
    for avatar in avatars:
        with st.container(border=True):
            avatar_panel(avatar, user_id=user_id, services=services)
with tab_lora:
    lora_tab(project_id, avatars, user_id=user_id, services=services)
with tab_swap:
    face_swap_tab(project_id, avatars, user_id=user_id, services=services)
