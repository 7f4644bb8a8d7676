"""Actor filters (age range, gender, scene tags) that combine, and the gallery's filters."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.domain.types import AGE_RANGES, GENDERS, SCENE_TAGS, ActorFilter, ActorView, VideoStatus

TAG_ICONS = {
    "airport": ":material/flight:",
    "bathroom": ":material/bathtub:",
    "cooking": ":material/restaurant:",
    "beach": ":material/beach_access:",
    "car": ":material/directions_car:",
    "general": ":material/home:",
}


def _tag_label(tag: str) -> str:
    return f"{TAG_ICONS.get(tag, '')} {tag.capitalize()}".strip()


def actor_filters(key_prefix: str, *, compact: bool = False) -> ActorFilter:
    """Three groups; any value within a group, every group that has a choice must match.

    Values persist for the session, so a creator's filters survive a trip to another page.
    """
    columns = st.columns([2, 2, 3]) if not compact else (st.container(), st.container(), st.container())
    with columns[0]:
        ages = st.multiselect(
            "Age range", AGE_RANGES, key=f"{key_prefix}_ages", placeholder="Any age", persist_state="session"
        )
    with columns[1]:
        genders = st.pills(
            "Gender",
            GENDERS,
            selection_mode="multi",
            key=f"{key_prefix}_genders",
            format_func=str.capitalize,
            persist_state="session",
        )
    with columns[2]:
        tags = st.pills(
            "Scene",
            SCENE_TAGS,
            selection_mode="multi",
            key=f"{key_prefix}_tags",
            format_func=_tag_label,
            persist_state="session",
        )
    return ActorFilter(age_ranges=tuple(ages), genders=tuple(genders or ()), tags=tuple(tags or ()))


@dataclass(frozen=True, slots=True)
class GalleryFilter:
    statuses: tuple[str, ...]
    actor_id: str | None
    search: str


STATUS_LABELS = {
    VideoStatus.QUEUED.value: "Queued",
    VideoStatus.GENERATING.value: "Generating",
    VideoStatus.COMPLETED.value: "Completed",
    VideoStatus.FAILED.value: "Failed",
}


def gallery_filters(key_prefix: str, actors: list[ActorView]) -> GalleryFilter:
    names = {a.id: a.display_name for a in actors}
    search_col, actor_col = st.columns([3, 2], vertical_alignment="bottom")
    with search_col:
        search = st.text_input(
            "Search scripts",
            key=f"{key_prefix}_search",
            placeholder="Words from the script or image prompt",
            icon=":material/search:",
        )
    statuses = st.pills(
        "Status",
        list(STATUS_LABELS),
        selection_mode="multi",
        key=f"{key_prefix}_statuses",
        format_func=STATUS_LABELS.__getitem__,
        label_visibility="collapsed",
    )
    with actor_col:
        actor_id = st.selectbox(
            "Actor",
            [None, *names],
            key=f"{key_prefix}_actor",
            format_func=lambda a: "Every actor" if a is None else names[a],
        )
    return GalleryFilter(statuses=tuple(statuses or ()), actor_id=actor_id, search=(search or "").strip())
