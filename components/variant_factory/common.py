"""Shared bits: the project the pages work in, media from the factory's keys, pagination."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from components.choices import labelled
from components.runtime import show_error
from core.domain.types import ProjectView
from core.errors import StudioError
from core.ports_services import Services
from core.services.talking.projects import list_projects
from core.services.variant_factory import files

logger = logging.getLogger(__name__)
T = TypeVar("T")


def pick_project(*, user_id: str, services: Services, key: str) -> ProjectView | None:
    """The project in session (shared with the other pages), or a choice among the user's."""
    projects = list_projects(user_id=user_id, services=services)
    if not projects:
        st.info("Create a project first; its libraries and batches live inside it.")
        st.page_link("pages/projects.py", label="Go to Projects")
        return None
    titles = {p.id: p.title for p in projects}
    current = st.session_state.get("project_id")
    index = list(titles).index(current) if current in titles else 0
    picked = st.selectbox("Project", list(titles), index=index, format_func=labelled(titles), key=key)
    st.session_state["project_id"] = picked
    return next(p for p in projects if p.id == picked)


def _source(key: str, user_id: str, services: Services) -> str | bytes | None:
    try:
        return files.signed_link(key, user_id=user_id, services=services) or files.read_bytes(
            key, user_id=user_id, services=services
        )
    except StudioError as exc:
        logger.info("factory media %s unavailable: %s", key, exc.message)
        return None


@st.cache_data(ttl=300, max_entries=512, show_spinner=False)
def _poster(key: str, user_id: str, _services: Services) -> str | bytes | None:
    return _source(key, user_id, _services)


def poster(key: str | None, *, user_id: str, services: Services) -> None:
    data = _poster(key, user_id, services) if key else None
    if data is None:
        st.caption("No preview")
    else:
        st.image(data, width="stretch")


def play_video(key: str | None, *, user_id: str, services: Services) -> None:
    data = _source(key, user_id, services) if key else None
    if data is None:
        st.caption("The file is not available.")
    else:
        st.video(data, format="video/mp4")


def play_audio(key: str | None, *, user_id: str, services: Services) -> None:
    data = _source(key, user_id, services) if key else None
    if data is None:
        st.caption("No audio yet.")
    else:
        st.audio(data, format="audio/mpeg")


def _reader(key: str, user_id: str, services: Services) -> Callable[[], bytes]:
    return lambda: files.read_bytes(key, user_id=user_id, services=services)  # runs on click, off the script


def download(
    key: str | None,
    *,
    file_name: str,
    mime: str,
    user_id: str,
    services: Services,
    widget_key: str,
    label: str = "Download",
) -> None:
    if not key:
        st.button(label, disabled=True, key=widget_key)
        return
    st.download_button(
        label, data=_reader(key, user_id, services), file_name=file_name, mime=mime, key=widget_key, on_click="ignore"
    )


def pager(total_pages: int, *, key: str) -> int:
    """The page number, kept within range when a filter shrinks the result."""
    if key not in st.session_state or int(st.session_state[key]) > total_pages:
        st.session_state[key] = 1
    if total_pages <= 1:
        return 1
    return int(st.number_input(f"Page (of {total_pages})", min_value=1, max_value=total_pages, key=key))


def attempt(action: Callable[[], T], success: str | None = None) -> T | None:
    """Run a service call for a button; errors are shown in plain words, never a traceback."""
    try:
        result = action()
    except StudioError as exc:
        show_error(exc)
        return None
    if success:
        st.toast(success)
    return result
