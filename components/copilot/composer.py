"""The composer: the mode indicator, error banners with a retry, the chat input with photos,
and the streamed answer with a "Stop generating" button that really stops the model call.

Stopping: the button makes Streamlit rerun, which interrupts `st.write_stream` at its next
chunk; the `finally` closes the answer's generator, which closes the model's stream and
its connection and saves what was shown, marked as stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from components.ads import generate
from core.domain.ad_views import AdView
from core.domain.ads import AdStatus
from core.domain.copilot import ChatView, Mode
from core.domain.types import ACTIVE_JOB_STATUSES
from core.errors import ContentBlocked, ProviderError, StudioError, ValidationError
from core.ports_services import Services
from core.services.copilot import calls, facts, pipeline, turns
from core.services.copilot.calls import AnswerStream

logger = logging.getLogger(__name__)

IMAGE_TYPES = ["png", "jpg", "jpeg", "webp"]
ERROR_KEY = "copilot_error"  # (chat id, message, offer a retry)
RETRY_KEY = "copilot_retry"
BADGES = {Mode.READY: "green", Mode.NEEDS_INPUT: "orange", Mode.CHAT: "gray"}


def mode_indicator(chat: ChatView, *, user_id: str, services: Services) -> Mode:
    mode = facts.chat_mode(chat.id, user_id=user_id, services=services)
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(f":{BADGES[mode]}-badge[{mode.value}]")
        try:
            if calls.copilot_for(services, user_id).offline:
                st.caption("Offline copilot: rules and short tips, no language model. Set a Gemini key for chat.")
        except StudioError:
            st.caption("No copilot is set up.")
    return mode


def _retry(chat_id: str) -> None:
    st.session_state[RETRY_KEY] = chat_id
    st.session_state.pop(ERROR_KEY, None)


def _dismiss() -> None:
    st.session_state.pop(ERROR_KEY, None)


def error_banner(chat: ChatView) -> None:
    saved = st.session_state.get(ERROR_KEY)
    last = chat.messages[-1] if chat.messages else None
    broke_off = last is not None and last.kind.value == "error" and last.role == "assistant" and not last.ad_id
    if saved and saved[0] == chat.id:
        st.error(saved[1], icon="⚠️")
        retryable = saved[2]
    elif broke_off:
        retryable = True  # the last answer broke off: its message says why
    else:
        return
    with st.container(horizontal=True):
        if retryable and chat.can_edit:
            st.button("Retry", key="copilot_retry_btn", on_click=_retry, args=(chat.id,))
        if saved:
            st.button("Dismiss", key="copilot_dismiss", on_click=_dismiss)


# chat id -> the answer this process is streaming into it. A Stop click reruns the page while
# the run it interrupted may still be saving the stopped answer; the new run waits for that
# (`settle_stopped_answer`) so the history it draws includes the answer.
_STREAMING: dict[str, AnswerStream] = {}
_SAVE_WAIT_S = 5.0


def settle_stopped_answer(chat_id: str) -> None:
    """On the rerun a Stop click makes: stop the answer and wait until it is saved."""
    if not st.session_state.get("copilot_stop"):
        return
    stream = _STREAMING.get(chat_id)
    if stream is not None:
        stream.stop()
        stream.wait_saved(_SAVE_WAIT_S)


def stream_reply(reply: AnswerStream, chat_id: str) -> None:
    stop = st.empty()
    _STREAMING[chat_id] = reply
    try:
        stop.button("Stop generating", key="copilot_stop", icon="⏹️")  # its click reruns: the stream below stops
        with st.chat_message("assistant", avatar="🎬"):
            chunks = reply.chunks()
            try:
                st.write_stream(chunks)
            finally:
                chunks.close()  # on a stop, a rerun or an error: the model's stream is closed, the text saved
    finally:
        reply.abandon()  # a stop that landed before the first word still leaves "(stopped)"
        if _STREAMING.get(chat_id) is reply:
            del _STREAMING[chat_id]
    stop.empty()


def _run(chat: ChatView, action: Callable[[], turns.Turn]) -> None:
    try:
        turn = action()
        if turn.reply is not None:
            stream_reply(turn.reply, chat.id)
    except StudioError as exc:
        retryable = isinstance(exc, ProviderError) and not isinstance(exc, ContentBlocked | ValidationError)
        st.session_state[ERROR_KEY] = (chat.id, exc.message, retryable)
    st.rerun()


def progress(ad: AdView | None, *, user_id: str, services: Services) -> None:
    """While the chat's ad is being made: live progress (a fragment re-reading the job rows);
    when the status changes it reruns the page, which posts the news to the chat."""
    if ad is None or ad.job is None or ad.status in (AdStatus.REVIEW, AdStatus.NEEDS_ATTENTION):
        return
    if ad.job.status in ACTIVE_JOB_STATUSES:
        generate.live_progress(ad, user_id=user_id, services=services)


def composer(chat: ChatView, ad: AdView | None, *, user_id: str, services: Services) -> None:
    progress(ad, user_id=user_id, services=services)
    error_banner(chat)
    if not chat.can_edit:
        st.caption("You can read this chat; only editors of the project can write in it.")
        return
    attach_as = st.segmented_control(
        "Attached photos are of", ["Product", "Avatar"], default="Product", key="copilot_attach_as"
    )
    image_mb = max(1, -(-services.settings.image_max_bytes // 2**20))
    prompt = st.chat_input(
        "Ask the copilot, or say what ad to make (attach product or avatar photos)",
        key="copilot_input",
        max_chars=4000,
        accept_file="multiple",
        file_type=IMAGE_TYPES,
        max_upload_size=image_mb,
        submit_mode="disable",
    )
    if st.session_state.pop(RETRY_KEY, None) == chat.id:
        _run(chat, lambda: turns.retry(chat.id, user_id=user_id, services=services))
    elif prompt:
        text = prompt if isinstance(prompt, str) else prompt.text
        files = [] if isinstance(prompt, str) else [f.getvalue() for f in prompt.files]
        with st.chat_message("user", avatar="🧑"):
            st.markdown(text or f"({len(files)} photo(s) attached)")
        _run(
            chat,
            lambda: turns.send(
                chat.id, text, files=files, as_avatar=attach_as == "Avatar", user_id=user_id, services=services
            ),
        )


def sync(chat: ChatView, *, user_id: str, services: Services) -> bool:
    """Post the ad's news (storyboard ready, finished, failed) before the history is drawn."""
    if not chat.can_edit or not chat.ad_id:
        return False
    try:
        return pipeline.sync_progress(chat.id, user_id=user_id, services=services)
    except StudioError as exc:
        logger.info("could not sync the chat's progress: %s", exc)
        return False
