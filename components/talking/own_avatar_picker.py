"""The composer's choice between a catalog actor and one of the creator's own avatars.

The Avatars page's "Use in a video" writes `composer.avatar_id` (and the source, "own"), so
the composer opens on that avatar. Only avatars with a front photo are offered: lip-sync
animates a face that looks at the camera.
"""

from __future__ import annotations

import logging

import streamlit as st

from components.runtime import show_error
from core.domain.avatars import ANGLE_LABELS, AvatarView
from core.errors import StudioError
from core.ports_services import Services
from core.services.avatars import talking
from core.services.avatars.media import twin_media_bytes

logger = logging.getLogger(__name__)

AVATAR = "composer.avatar_id"
SOURCE = "composer_who"
CATALOG, OWN = "catalog", "own"
SOURCES = {CATALOG: "Catalog actors", OWN: "My avatars"}
LOOKS = {"catalog": "Avatar photo", "prompt": "New setting"}


def usable(project_id: str, *, user_id: str, services: Services) -> list[AvatarView]:
    try:
        return talking.usable_for_video(project_id, user_id=user_id, services=services)
    except StudioError as exc:
        show_error(exc)
        return []


def chosen_source() -> str:
    if SOURCE not in st.session_state:
        st.session_state[SOURCE] = OWN if st.session_state.get(AVATAR) else CATALOG
    picked = st.segmented_control(
        "Who", list(SOURCES), format_func=lambda s: SOURCES[s], required=True, key=SOURCE, label_visibility="collapsed"
    )
    return str(picked or CATALOG)


def use_in_video(avatar: AvatarView) -> None:
    """The Avatars page's shortcut: open the project's composer on this avatar."""
    st.session_state[AVATAR] = avatar.id
    st.session_state[SOURCE] = OWN
    st.session_state["project_id"] = avatar.project_id
    st.switch_page("pages/project.py")


def pick(own: list[AvatarView], *, user_id: str, services: Services) -> AvatarView | None:
    by_id = {a.id: a for a in own}
    stored = st.session_state.get(AVATAR)
    index = list(by_id).index(stored) if stored in by_id else 0
    picked = st.selectbox("Avatar", list(by_id), index=index, format_func=lambda i: _option(by_id[i]))
    st.session_state[AVATAR] = picked
    avatar = by_id[picked]
    thumb, facts = st.columns([1, 2], vertical_alignment="center")
    with thumb:
        try:
            st.image(twin_media_bytes(avatar.front_key, user_id=user_id, services=services))
        except StudioError as exc:
            st.caption(exc.message)
    with facts:
        st.markdown(f"**{avatar.name}**")
        angles = ", ".join(ANGLE_LABELS[a] for a in avatar.coverage.present)
        voice = avatar.voice.get("voice_id") or "the default voice"
        st.caption(
            f":material/record_voice_over: {voice}  \n:material/photo_library: {angles}  \n"
            ":material/verified_user: consent recorded when the avatar was created"
        )
    return avatar


def _option(avatar: AvatarView) -> str:
    whose = "" if avatar.mine else " · shared by the team"
    return f"{avatar.name} · {len(avatar.photos)} photos{whose}"
