"""Library: every video across the creator's projects, with the same filters and actions."""

from __future__ import annotations

import streamlit as st

from components.gallery import gallery
from components.runtime import current_user_id, studio
from core.services.projects import list_projects

services = studio()
user_id = current_user_id()

st.title("Library")
st.caption("Every video from every project, newest first. Search the scripts, filter by status or actor.")

projects = list_projects(user_id=user_id, services=services)
if not projects:
    with st.container(border=True):
        st.markdown("**Your library is empty.**")
        st.caption("Create a project, make a video in it, and it will show up here too.")
        st.page_link("pages/projects.py", label="Go to Projects", icon=":material/folder:")
    st.stop()

gallery(
    user_id=user_id,
    services=services,
    key_prefix="library",
    project_id=None,
    project_titles={p.id: p.title for p in projects},
    columns=4,
    empty_hint="Open a project and press Generate; every video you make is listed here.",
)
