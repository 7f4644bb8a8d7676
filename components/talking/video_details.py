"""The details view of one video: the video itself, its inputs, and every step with timing and cost."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import media
from components.labels import literal
from components.status_chip import STEP_LABELS, status_chip
from components.talking.video_card import duration_label
from core.domain.types import SourceType, VideoStatus, VideoView
from core.errors import StudioError
from core.ports_services import Services
from core.services.talking import gallery


def steps_frame(video: VideoView) -> pd.DataFrame:
    rows = [
        {
            "Step": STEP_LABELS.get(s.name, s.name.replace("_", " ")).capitalize(),
            "Status": s.status.value,
            "Attempt": s.attempt,
            "Provider": s.provider or "—",
            "Seconds": round(s.duration_s, 1) if s.duration_s is not None else None,
            "Cost (USD)": s.cost_usd,
            "Note": s.error or "",
        }
        for s in video.steps
    ]
    return pd.DataFrame(rows, columns=["Step", "Status", "Attempt", "Provider", "Seconds", "Cost (USD)", "Note"])


def video_details(video_id: str, *, user_id: str, services: Services) -> None:
    """The body of the details view (used inside a dialog)."""
    try:
        video = gallery.video_details(video_id, user_id=user_id, services=services)
    except StudioError as exc:
        st.warning(exc.message)
        return
    status_chip(video.status, video.job, error=video.error.message if video.error else None)
    player, info = st.columns([2, 3], gap="medium")
    with player:
        if video.status is VideoStatus.COMPLETED:
            media.video(video.video_key, user_id=user_id, services=services)
            media.download_button(
                video.video_key,
                file_name=f"video-{video.id[:8]}.mp4",
                user_id=user_id,
                services=services,
                widget_key=f"details_dl_{video.id}",
            )
            st.page_link("pages/editor.py", label="Open in the editor", icon=":material/movie_edit:",
                         query_params={"video": video.id})  # fmt: skip
        else:
            media.image(video.image_key, user_id=user_id, services=services, caption="Image used")
    with info:
        version = f" · version {video.version}" if video.version > 1 else ""
        st.markdown(
            f"**Actor:** {literal(video.actor_name)}{version}  \n"
            f"**Look:** {literal(video.variant_prompt or 'Catalog photo')}"
        )
        st.caption(f"Created {video.created_at:%d %b %Y, %H:%M} UTC · {duration_label(video.duration_s)}")
        if video.source_type is SourceType.TEXT:
            st.markdown("**Script**")
            st.text(video.source_text or "")
        else:
            st.markdown("**Voice:** own recording")
        st.markdown("**Audio**")
        media.audio(video.audio_key, user_id=user_id, services=services)
        if video.status is VideoStatus.COMPLETED:
            st.markdown("**Image used**")
            media.image(video.image_key, user_id=user_id, services=services, width=120)
    st.markdown("**Steps**")
    frame = steps_frame(video)
    if frame.empty:
        st.caption("No step has run yet.")
    else:
        st.dataframe(frame, hide_index=True, width="stretch")
        st.caption(f"Total cost: ${frame['Cost (USD)'].sum():.4f}")


@st.dialog("Video details", width="large")
def details_dialog(video_id: str, user_id: str, services: Services) -> None:
    video_details(video_id, user_id=user_id, services=services)


@st.dialog("Share a link")
def link_dialog(video: VideoView, user_id: str, services: Services) -> None:
    media.copy_link(video.video_key, user_id=user_id, services=services)
