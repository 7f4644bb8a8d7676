"""Copilot: make an ad by chatting. Chats (sidebar) belong to a project; each message is read
for intent, answered (streamed), or turned into an ad through the wizard's own services."""

from __future__ import annotations

import streamlit as st

from components.copilot.chat_list import chat_list, open_chat
from components.copilot.composer import composer, mode_indicator, settle_stopped_answer, sync
from components.copilot.history import history
from components.runtime import current_user_id, show_error, studio
from core.errors import StudioError
from core.services.copilot import chats
from core.services.talking.projects import list_projects

services = studio()
user_id = current_user_id()

st.title("Copilot")
st.caption(
    "Say what ad you want; attach product or avatar photos. The copilot makes it with the same pipeline as "
    "the Mass generator, and shows you the storyboard before the clips are made."
)
projects = {p.id: p.title for p in list_projects(user_id=user_id, services=services)}
project_id = st.query_params.get("project") or st.session_state.get("project_id")
if project_id not in projects:
    if not projects:
        st.info("Create a project first: a chat belongs to a project.")
        st.page_link("pages/projects.py", label="Projects")
        st.stop()
    project_id = (
        next(iter(projects))
        if len(projects) == 1
        else st.selectbox("Project", list(projects), format_func=lambda i: projects[i], key="copilot_project")
    )
st.session_state["project_id"] = project_id

chat_id = open_chat(project_id, user_id=user_id, services=services)
chat_list(project_id, chat_id, user_id=user_id, services=services)
if chat_id is None:
    st.info("No chats here yet; ask an editor of this project to start one.")
    st.stop()
settle_stopped_answer(chat_id)  # after a Stop click, the stopped answer is saved before the history is read
try:
    chat = chats.get_chat(chat_id, user_id=user_id, services=services)
    if sync(chat, user_id=user_id, services=services):
        chat = chats.get_chat(chat_id, user_id=user_id, services=services)
except StudioError as exc:
    show_error(exc)
    st.stop()
mode_indicator(chat, user_id=user_id, services=services)
ad = history(chat, user_id=user_id, services=services)
composer(chat, ad, user_id=user_id, services=services)
