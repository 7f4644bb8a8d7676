"""One project: the composer beside the project's gallery.

The project id lives in `st.session_state["project_id"]` and in the URL (`?project=`),
so a refresh or a shared link opens the same project.
"""

from __future__ import annotations

import streamlit as st

from components.labels import literal
from components.runtime import current_user_id, show_error, studio
from components.talking.composer import composer
from components.talking.gallery import gallery
from core.domain.types import ProjectView
from core.errors import StudioError
from core.services.talking.projects import get_project, list_projects

services = studio()
user_id = current_user_id()


def remember(project_id: str) -> None:
    st.session_state["project_id"] = project_id
    if st.query_params.get("project") != project_id:
        st.query_params["project"] = project_id


def chosen_project() -> ProjectView | None:
    project_id = st.query_params.get("project") or st.session_state.get("project_id")
    if not project_id:
        return None
    try:
        project = get_project(project_id, user_id=user_id, services=services)
    except StudioError as exc:
        show_error(exc)
        st.session_state.pop("project_id", None)
        st.query_params.pop("project", None)
        return None
    remember(project.id)
    return project


def project_picker() -> None:
    """Shown when no project is selected: pick one, or go make one."""
    st.title("Project")
    projects = list_projects(user_id=user_id, services=services)
    if not projects:
        with st.container(border=True):
            st.markdown("**You have no projects yet.**")
            st.caption("A project holds the videos for one product or campaign.")
            st.page_link("pages/projects.py", label="Create your first project", icon=":material/add:")
        return
    if len(projects) == 1:  # nothing to choose
        remember(projects[0].id)
        st.rerun()
    titles = {p.id: p.title for p in projects}
    picked = st.selectbox(
        "Open a project", [None, *titles], format_func=lambda i: "Choose…" if i is None else titles[i]
    )
    if picked:
        remember(picked)
        st.rerun()


project = chosen_project()
if project is None:
    project_picker()
    st.stop()

head, back = st.columns([4, 1], vertical_alignment="bottom")
with head:
    st.title(literal(project.title))
    st.caption("Compose a video on the left. It appears in the gallery on the right and updates itself as it renders.")
with back:
    st.page_link("pages/projects.py", label="All projects", icon=":material/arrow_back:")

left, right = st.columns([1, 2], gap="medium")
with left, st.container(border=True):
    st.subheader("New video")
    composer(project.id, user_id=user_id, services=services)
with right:
    st.subheader("Gallery")
    gallery(
        user_id=user_id,
        services=services,
        key_prefix="project_gallery",
        project_id=project.id,
        empty_hint="Pick an actor, write a line or two, and press Generate. Your video shows up here.",
    )
