"""The page's chats in the sidebar: pick one, start a new one, rename or delete the open one."""

from __future__ import annotations

import logging

import streamlit as st

from components.runtime import show_error
from core.domain.copilot import ChatSummary
from core.errors import StudioError
from core.ports_services import Services
from core.services.copilot import chats

logger = logging.getLogger(__name__)

CHAT_KEY = "copilot_chat_id"


def open_chat(project_id: str, *, user_id: str, services: Services) -> str | None:
    """The chat to show: the one in the session or `?chat=`, else the latest, else a new one."""
    listed = chats.list_chats(project_id, user_id=user_id, services=services)
    wanted = st.session_state.get(CHAT_KEY) or st.query_params.get("chat")
    if wanted in {c.id for c in listed}:
        return str(wanted)
    if wanted and _shared(str(wanted), project_id, user_id, services):
        return str(wanted)  # a teammate's chat, opened by its link: readable with a view right
    if listed:
        st.session_state[CHAT_KEY] = listed[0].id
        return listed[0].id
    try:
        chat_id = chats.create_chat(project_id, user_id=user_id, services=services)
    except StudioError:
        return None  # a viewer of a project without chats of their own: nothing to show
    st.session_state[CHAT_KEY] = chat_id
    return chat_id


def _shared(chat_id: str, project_id: str, user_id: str, services: Services) -> bool:
    try:
        return chats.get_chat(chat_id, user_id=user_id, services=services).project_id == project_id
    except StudioError:
        return False


def _new(project_id: str, user_id: str, services: Services) -> None:
    try:
        st.session_state[CHAT_KEY] = chats.create_chat(project_id, user_id=user_id, services=services)
    except StudioError as exc:
        st.session_state["copilot_sidebar_error"] = exc.message


def _pick(chat_id: str) -> None:
    st.session_state[CHAT_KEY] = chat_id


def chat_list(project_id: str, current: str | None, *, user_id: str, services: Services) -> None:
    with st.sidebar:
        st.subheader("Chats")
        st.button("New chat", key="copilot_new_chat", on_click=_new, args=(project_id, user_id, services))
        if error := st.session_state.pop("copilot_sidebar_error", None):
            st.error(error)
        listed: list[ChatSummary] = chats.list_chats(project_id, user_id=user_id, services=services)
        for chat in listed:
            label = ("▸ " if chat.id == current else "") + chat.title
            st.button(label, key=f"copilot_chat_{chat.id}", on_click=_pick, args=(chat.id,), type="tertiary")
        if current is not None:
            _manage(current, next((c.title for c in listed if c.id == current), ""), user_id=user_id, services=services)


def _manage(chat_id: str, title: str, *, user_id: str, services: Services) -> None:
    with st.expander("Rename or delete this chat"):
        name = st.text_input("Name", value=title, max_chars=chats.TITLE_MAX, key=f"copilot_name_{chat_id}")
        left, right = st.columns(2)
        if left.button("Rename", key="copilot_rename"):
            try:
                chats.rename_chat(chat_id, name, user_id=user_id, services=services)
                st.rerun()
            except StudioError as exc:
                show_error(exc)
        if right.button("Delete", key="copilot_delete"):
            try:
                chats.delete_chat(chat_id, user_id=user_id, services=services)
                st.session_state.pop(CHAT_KEY, None)
                st.rerun()
            except StudioError as exc:
                show_error(exc)
