"""The conversation as `st.chat_message` bubbles: text, attachments, progress, the storyboard
(with its Approve button while it waits), the finished video, and errors."""

from __future__ import annotations

import logging

import streamlit as st

from components.ads import media
from components.runtime import show_error
from core.domain.ad_views import AdView
from core.domain.ads import AdStatus
from core.domain.copilot import ChatView, MessageKind, MessageView
from core.errors import StudioError
from core.ports_services import Services
from core.services.ads import wizard
from core.services.copilot import pipeline

logger = logging.getLogger(__name__)

AVATARS = {"user": "🧑", "assistant": "🎬"}


def _approve(chat_id: str, user_id: str, services: Services) -> None:
    try:
        pipeline.approve(chat_id, user_id=user_id, services=services)
    except StudioError as exc:
        st.session_state["copilot_error"] = (chat_id, exc.message, False)


def storyboard(ad: AdView, chat: ChatView, *, live: bool, user_id: str, services: Services) -> None:
    columns = st.columns(max(3, len(ad.scenes)))
    for column, scene in zip(columns, ad.scenes, strict=False):
        frame = next((f for f in scene.frames if f.id == scene.approved_frame_id), None)
        frame = frame or next((f for f in scene.frames if f.status.value == "ready"), None)
        with column:
            media.image(
                frame.media_key if frame else None, user_id=user_id, services=services, caption=f"Scene {scene.number}"
            )
            st.caption(f"“{scene.script.dialogue}”")
    if live and ad.status is AdStatus.REVIEW and chat.can_edit:
        st.button(
            "Approve storyboard",
            key="copilot_approve",
            type="primary",
            on_click=_approve,
            args=(chat.id, user_id, services),
        )


def _body(
    message: MessageView,
    chat: ChatView,
    ad: AdView | None,
    latest: dict[MessageKind, str],
    *,
    user_id: str,
    services: Services,
) -> None:
    if message.kind is MessageKind.ERROR:
        st.warning(message.text, icon="⚠️")
    else:
        st.markdown(message.text)
    if message.attachments:
        with st.container(horizontal=True):
            for key in message.attachments[:6]:
                media.image(key, user_id=user_id, services=services, width=110)
    live = latest.get(message.kind) == message.id
    if ad is None or message.ad_id != ad.id:
        return
    if message.kind is MessageKind.STORYBOARD:
        storyboard(ad, chat, live=live, user_id=user_id, services=services)
    elif message.kind is MessageKind.VIDEO and live and ad.outputs:
        output = ad.outputs[0]
        media.video(output.video_key, user_id=user_id, services=services)
        st.caption(f"{output.aspect} · {output.duration_s:.1f} s · also in the Mass generator and the Library")
    if live and message.kind in (MessageKind.STORYBOARD, MessageKind.VIDEO):
        step = "result" if ad.status is AdStatus.COMPLETED else "generate"
        if st.button("Open in the Mass generator", key=f"copilot_open_{message.id}", type="tertiary"):
            st.session_state.update(ugc_ad_id=ad.id, ugc_project=ad.project_id, ugc_step=step, project_id=ad.project_id)
            st.switch_page("pages/wizard.py")


def history(chat: ChatView, *, user_id: str, services: Services) -> AdView | None:
    """Draw every message; returns the chat's ad as read for this run (None before there is one)."""
    ad = None
    if chat.ad_id:
        try:
            ad = wizard.get_ad(chat.ad_id, user_id=user_id, services=services)
        except StudioError as exc:
            show_error(exc)
    latest = {m.kind: m.id for m in chat.messages}
    for message in chat.messages:
        with st.chat_message(message.role, avatar=AVATARS.get(message.role)):
            _body(message, chat, ad, latest, user_id=user_id, services=services)
    return ad
