"""Images, audio and video from storage keys, after the library's rights check.

Local storage serves bytes; Supabase storage serves signed links. Small media (posters,
portraits, voice previews) is cached per user and key for a few minutes; videos are
read only when the creator asks to watch or download one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from core.errors import StudioError
from core.ports_services import Services
from core.services.talking import gallery

logger = logging.getLogger(__name__)

SMALL_MEDIA_MAX_BYTES = 2 * 1024 * 1024
MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".webp": "image/webp",
}


@st.cache_data(ttl=300, max_entries=512, show_spinner=False)
def _small_source(key: str, user_id: str, _services: Services) -> str | bytes | None:
    """A signed link, or the bytes of a small file (None for a big one, which is not kept).

    Keyed by user, so the rights check holds per user; `_services` is not part of the key.
    """
    link = gallery.media_link(key, user_id=user_id, services=_services)
    if link:
        return link
    data = gallery.media_bytes(key, user_id=user_id, services=_services)
    return data if len(data) <= SMALL_MEDIA_MAX_BYTES else None


def source(key: str, *, user_id: str, services: Services, cache: bool = True) -> str | bytes | None:
    """What st.image / st.audio / st.video accept, or None if the file is unavailable."""
    try:
        found = _small_source(key, user_id, services) if cache else None
        if found is not None:
            return found
        link = gallery.media_link(key, user_id=user_id, services=services)
        return link or gallery.media_bytes(key, user_id=user_id, services=services)
    except StudioError as exc:
        logger.info("media %s unavailable: %s", key, exc.message)
        return None


def image(
    key: str | None, *, user_id: str, services: Services, caption: str | None = None, width: int | str = "stretch"
) -> None:
    data = source(key, user_id=user_id, services=services) if key else None
    if data is None:
        placeholder(caption or "No image yet")
        return
    try:
        st.image(data, caption=caption, width=width)  # type: ignore[arg-type]
    except Exception:  # a damaged file must not take the whole grid down
        logger.warning("could not draw image %s", key, exc_info=True)
        placeholder("Preview unavailable")


def audio(key: str | None, *, user_id: str, services: Services) -> None:
    data = source(key, user_id=user_id, services=services) if key else None
    if data is None:
        st.caption("No audio available.")
        return
    st.audio(data, format=mime_of(key or ""))


def video(key: str | None, *, user_id: str, services: Services) -> None:
    """Full videos are never cached in the session: read on demand, once."""
    data = source(key, user_id=user_id, services=services, cache=False) if key else None
    if data is None:
        st.info("The video file is not available yet.", icon=":material/hourglass_top:")
        return
    st.video(data, format="video/mp4")


def placeholder(text: str) -> None:
    with st.container(border=True, height=160, vertical_alignment="center", horizontal_alignment="center"):
        st.caption(text)


def mime_of(key: str) -> str:
    suffix = key[key.rfind(".") :].lower() if "." in key else ""
    return MIME.get(suffix, "application/octet-stream")


def _reader(key: str, user_id: str, services: Services) -> Callable[[], bytes]:
    # Runs when the button is clicked, on its own thread: no Streamlit calls inside.
    return lambda: gallery.media_bytes(key, user_id=user_id, services=services)


def download_button(
    key: str | None,
    *,
    file_name: str,
    user_id: str,
    services: Services,
    label: str = "Download",
    widget_key: str,
    help: str | None = None,  # noqa: A002  (an icon-only button's accessible name)
) -> None:
    if not key:
        st.button(label, disabled=True, key=widget_key, icon=":material/download:", help=help)
        return
    st.download_button(
        label,
        data=_reader(key, user_id, services),
        file_name=file_name,
        mime=mime_of(key),
        key=widget_key,
        icon=":material/download:",
        on_click="ignore",
        help=help,
    )


def copy_link(key: str | None, *, user_id: str, services: Services) -> None:
    """A signed link to copy where storage gives one; otherwise say why not."""
    if not key:
        st.caption("There is no file to link to yet.")
        return
    try:
        link = gallery.media_link(key, user_id=user_id, services=services)
    except StudioError as exc:
        st.caption(exc.message)
        return
    if link:
        hours = services.settings.link_expiry_s / 3600
        st.code(link, language=None, wrap_lines=True)
        st.caption(f"Copy it with the icon on the right. The link works for {hours:g} h.")
    else:
        st.caption("Files are kept on this computer, so there is no shareable link. Use **Download** instead.")
