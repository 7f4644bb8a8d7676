"""One video in a gallery grid: poster, live status chip slot, facts, and actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components import media
from components.labels import literal
from components.status_chip import status_chip
from core.domain.types import VideoStatus, VideoView
from core.ports_services import Services
from core.services.talking import gallery

Action = Literal["details", "link", "regenerate", "delete", "cancel", "retry_paid"]
UNCERTAIN = "provider_may_have_started"  # core.errors.PaidCallUncertain.code


@dataclass(frozen=True)
class CardResult:
    action: Action | None
    chip_slot: DeltaGenerator


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', '2 d ago', then the date."""
    if moment is None:
        return "—"
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min ago"
    if seconds < 86400:
        return f"{seconds // 3600:.0f} h ago"
    if seconds < 7 * 86400:
        return f"{seconds // 86400:.0f} d ago"
    return f"{moment:%d %b %Y}"


def duration_label(seconds: float | None) -> str:
    return f"{seconds:.1f} s" if seconds else "—"


def _facts(video: VideoView, project_title: str | None) -> None:
    version = f" · v{video.version}" if video.version > 1 else ""
    st.markdown(f"**{literal(video.actor_name)}**{version}")
    look = literal(video.variant_prompt or "Catalog photo")
    where = f"{literal(project_title)} · " if project_title else ""
    st.caption(
        f"{where}:material/image: {look}  \n:material/timer: {duration_label(video.duration_s)} · "
        f":material/schedule: {ago(video.created_at)}"
    )
    if video.source_text:
        excerpt = video.source_text if len(video.source_text) <= 90 else video.source_text[:88] + "…"
        st.caption(f"“{literal(excerpt)}”")
    else:
        st.caption(":material/mic: Own recording")


def _actions(video: VideoView, *, user_id: str, services: Services) -> Action | None:
    """Play on the card; download, link, new version and delete behind "More", so the card's
    buttons stay on one line however narrow it is. The icon-only button carries a name (`help`)."""
    chosen: Action | None = None
    with st.container(horizontal=True, gap="xsmall"):
        if st.button(
            "Play", key=f"play_{video.id}", icon=":material/play_arrow:", help="Watch, with every detail", wrap=False
        ):
            chosen = "details"
        in_flight = video.status in (VideoStatus.QUEUED, VideoStatus.GENERATING)
        if in_flight and st.button("", key=f"cancel_{video.id}", icon=":material/cancel:", help="Cancel"):
            chosen = "cancel"
        if video.error is not None and video.error.code == UNCERTAIN:
            with st.popover("Retry", icon=":material/replay:", help="The provider may have started this already"):
                st.markdown("**Pay for another try?**")
                st.caption(video.error.message)
                if st.button("Retry (may charge again)", key=f"retry_paid_{video.id}", type="primary"):
                    chosen = "retry_paid"
        with st.popover("", icon=":material/more_horiz:", help="More: download, copy a link, new version, delete"):
            media.download_button(
                video.video_key,
                file_name=f"{video.actor_name.split()[0].lower()}-{video.id[:8]}.mp4",
                user_id=user_id,
                services=services,
                label="Download",
                widget_key=f"dl_{video.id}",
            )
            if gallery.links_enabled(services):
                if st.button("Copy a link", key=f"link_{video.id}", icon=":material/link:"):
                    chosen = "link"
            else:
                st.caption(gallery.HOW_TO_ENABLE_LINKS)
            if not in_flight and st.button(
                "Regenerate as a new version", key=f"regen_{video.id}", icon=":material/refresh:"
            ):
                chosen = "regenerate"
            st.divider()
            st.caption("Delete removes the video and its files for good.")
            if st.button("Delete for good", key=f"del_{video.id}", type="primary", icon=":material/delete:"):
                chosen = "delete"
    return chosen


def video_card(video: VideoView, *, user_id: str, services: Services, project_title: str | None = None) -> CardResult:
    """Draws the card; the chip slot is filled by the job-progress fragment (or here, without a job)."""
    with st.container(border=True):
        if video.status is VideoStatus.COMPLETED and video.poster_key:
            media.image(video.poster_key, user_id=user_id, services=services)
        else:
            media.placeholder(
                "Preview appears when the video is ready" if video.status is not VideoStatus.FAILED else "No preview"
            )
        slot = st.empty()
        if video.job is None:
            with slot.container():
                status_chip(video.status, None, error=video.error.message if video.error else None)
        _facts(video, project_title)
        action = _actions(video, user_id=user_id, services=services)
    return CardResult(action, slot)
