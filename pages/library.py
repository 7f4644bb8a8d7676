"""Library: every talking video and finished ad across the creator's projects, in one grid."""

from __future__ import annotations

import streamlit as st

from components.library.grid import library_grid
from components.runtime import current_user_id, studio
from core.services.talking.projects import list_projects

services = studio()
user_id = current_user_id()

st.title("Library")
st.caption(
    "Every talking video and finished ad from every project, newest first. "
    "Search project titles, products, scripts and prompts; filter by type, status or actor."
)

projects = list_projects(user_id=user_id, services=services)
if not projects:
    with st.container(border=True):
        st.markdown("**Your library is empty.**")
        st.caption("Create a project, make a video in it, and it will show up here too.")
        st.page_link("pages/projects.py", label="Go to Projects", icon=":material/folder:")
    st.stop()

library_grid(user_id=user_id, services=services, project_titles={p.id: p.title for p in projects}, columns=4)
