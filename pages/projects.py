"""Projects: the dashboard a creator lands on. Create, open, rename, delete."""

from __future__ import annotations

import streamlit as st

from components.labels import literal
from components.runtime import current_user_id, show_error, studio
from components.talking.video_card import ago
from core.domain.types import ProjectView
from core.errors import StudioError
from core.services.talking import projects as project_service

services = studio()
user_id = current_user_id()


def open_project(project_id: str) -> None:
    st.session_state["project_id"] = project_id
    st.switch_page("pages/project.py", query_params={"project": project_id})


NEW_TITLE, NEW_TITLE_ERROR = "new_project_title", "new_project_error"


def _create() -> None:
    """On submit (a callback, so a created project's title can be cleared and a refused one kept)."""
    try:
        created = project_service.create_project(
            st.session_state.get(NEW_TITLE, ""), owner_id=user_id, services=services
        )
    except StudioError as exc:
        st.session_state[NEW_TITLE_ERROR] = exc  # the title stays in its box, the reason beside it
        return
    except Exception as exc:  # a callback runs outside the page's error boundary
        st.session_state[NEW_TITLE_ERROR] = exc
        return
    st.session_state[NEW_TITLE] = ""
    st.session_state.pop(NEW_TITLE_ERROR, None)
    st.toast(f"Created “{created.title}”.", icon=":material/check:")


def create_form() -> None:
    with st.form("new_project", border=True):
        st.markdown("**New project**")
        st.text_input("Title", placeholder="e.g. Summer sunscreen launch", label_visibility="collapsed", key=NEW_TITLE)
        st.form_submit_button("Create project", type="primary", icon=":material/add:", on_click=_create)
        if error := st.session_state.pop(NEW_TITLE_ERROR, None):
            show_error(error)


def rename(project: ProjectView) -> None:
    with st.popover("Rename", icon=":material/edit:"):
        title = st.text_input("New title", value=project.title, key=f"title_{project.id}")
        if st.button("Save", key=f"save_{project.id}", type="primary"):
            try:
                project_service.rename_project(project.id, title, user_id=user_id, services=services)
            except StudioError as exc:
                show_error(exc)
                return
            st.rerun()


def delete(project: ProjectView) -> None:
    with st.popover("Delete", icon=":material/delete:"):
        videos = f"its {project.video_count} video{'s' if project.video_count != 1 else ''}"
        st.markdown(f"**Delete “{literal(project.title)}” and {videos}?**")
        st.caption("Every video, variant and stored file in it is removed. This cannot be undone.")
        if st.button("Delete for good", key=f"delete_{project.id}", type="primary"):
            try:
                removed = project_service.delete_project(project.id, user_id=user_id, services=services)
            except StudioError as exc:
                show_error(exc)
                return
            if st.session_state.get("project_id") == project.id:
                st.session_state.pop("project_id", None)
            st.toast(f"Deleted “{project.title}” ({removed} files removed).", icon=":material/delete:")
            st.rerun()


def project_card(project: ProjectView) -> None:
    with st.container(border=True):
        st.markdown(f"#### {literal(project.title)}")
        count = f"{project.video_count} video{'s' if project.video_count != 1 else ''}"
        last = ago(project.last_activity or project.created_at)
        st.caption(f":material/movie: {count} · :material/schedule: last activity {last}")
        with st.container(horizontal=True, gap="xsmall"):
            if st.button("Open", key=f"open_{project.id}", type="primary", icon=":material/arrow_forward:"):
                open_project(project.id)
            rename(project)
            delete(project)


st.title("Projects")
st.caption("A project holds the videos for one product or campaign. Open one to make and review videos.")
create_form()

projects = project_service.list_projects(user_id=user_id, services=services)
if not projects:
    with st.container(border=True):
        st.markdown("**No projects yet.**")
        st.caption("Give your first project a title above, then open it to make your first video.")
    st.stop()

total_videos = sum(p.video_count for p in projects)
st.subheader(f"Your projects ({len(projects)})")
st.caption(f"{total_videos} video{'s' if total_videos != 1 else ''} in all · most recent activity first")
grid = st.grid(3, min_column_width=260)
for project in projects:
    with grid:
        project_card(project)
