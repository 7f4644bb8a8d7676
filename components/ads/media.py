"""Media of the mass generator (product photos, frames, clips, voice lines, finished ads),
read through `core.services.ads.media`, which checks the user's rights on the ad's project."""

from __future__ import annotations

import logging

import streamlit as st

from core.domain.ads import AssetStatus
from core.errors import StudioError
from core.ports_services import Services
from core.services.ads import media

logger = logging.getLogger(__name__)

BADGES = {
    AssetStatus.PENDING: ("gray", ":material/schedule:", "pending"),
    AssetStatus.RENDERING: ("blue", ":material/autorenew:", "rendering"),
    AssetStatus.READY: ("green", ":material/check_circle:", "ready"),
    AssetStatus.FAILED: ("red", ":material/error:", "failed"),
}


@st.cache_data(ttl=300, max_entries=256, show_spinner=False)
def _small(key: str, user_id: str, _services: Services) -> bytes | None:
    """Keyed by user, so the rights check holds per user; `_services` is not part of the key."""
    try:
        return media.media_bytes(key, user_id=user_id, services=_services)
    except StudioError as exc:
        logger.info("media %s unavailable: %s", key, exc.message)
        return None


def badge(status: AssetStatus, label: str = "") -> None:
    colour, icon, text = BADGES[status]
    st.badge(f"{label} {text}".strip(), color=colour, icon=icon)  # type: ignore[arg-type]


def image(
    key: str | None, *, user_id: str, services: Services, caption: str | None = None, width: int | str = "stretch"
) -> None:
    data = _small(key, user_id, services) if key else None
    if data is None:
        with st.container(border=True, height=120, vertical_alignment="center", horizontal_alignment="center"):
            st.caption(caption or "No image yet")
        return
    st.image(data, caption=caption, width=width)  # type: ignore[arg-type]


def video(key: str | None, *, user_id: str, services: Services) -> None:
    """Videos are read on demand, never cached in the session."""
    try:
        data = media.media_bytes(key, user_id=user_id, services=services) if key else None
    except StudioError:
        data = None
    if data is None:
        st.info("The video is not available yet.", icon=":material/hourglass_top:")
        return
    st.video(data, format="video/mp4")


def audio(key: str | None, *, user_id: str, services: Services) -> None:
    data = _small(key, user_id, services) if key else None
    if data is None:
        st.caption("No voice line yet.")
        return
    st.audio(data, format="audio/mpeg")


def download(
    key: str | None, *, label: str, file_name: str, mime: str, user_id: str, services: Services, widget_key: str
) -> None:
    if not key:
        st.button(label, disabled=True, key=widget_key, icon=":material/download:")
        return
    reader = lambda: media.media_bytes(key, user_id=user_id, services=services)  # noqa: E731  (runs on click)
    st.download_button(
        label,
        data=reader,
        file_name=file_name,
        mime=mime,
        key=widget_key,
        icon=":material/download:",
        on_click="ignore",
    )
