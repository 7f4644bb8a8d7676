"""The video gallery: filters, a paginated grid of cards with live chips, and the card actions.

Used by the project page (one project) and the library page (every project).
"""

from __future__ import annotations

import logging

import streamlit as st

from components.job_progress import WatchedChip, job_progress, rerun_on_change
from components.runtime import show_error
from components.talking.filters import gallery_filters
from components.talking.video_card import CardResult, video_card
from components.talking.video_details import details_dialog, link_dialog
from core.domain.types import VideoView
from core.errors import StudioError
from core.ports_services import Services
from core.services.talking import gallery as talking_gallery
from core.services.talking import videos
from core.services.talking.catalog import list_actors
from core.services.usage import paid_retry

logger = logging.getLogger(__name__)

PAGE_SIZE = 24  # the spec's page of 24 cards


def _page_number(key: str, pages: int) -> int:
    """The page the creator picked, kept within range when filters shrink the result."""
    current = int(st.session_state.get(key) or 1)
    if current > pages:
        st.session_state[key] = pages
        current = pages
    return current


def act_on_card(result: CardResult, video: VideoView, *, user_id: str, services: Services) -> None:
    try:
        if result.action == "details":
            details_dialog(video.id, user_id, services)
        elif result.action == "link":
            link_dialog(video, user_id, services)
        elif result.action == "regenerate":
            videos.regenerate_video(video.id, user_id=user_id, services=services)
            st.toast("A new version is on its way.", icon=":material/refresh:")
            st.rerun()
        elif result.action == "cancel":
            videos.cancel_video(video.id, user_id=user_id, services=services)
            st.toast("Cancelled; nothing more will be paid for it.", icon=":material/cancel:")
            st.rerun()
        elif result.action == "retry_paid":  # the creator's consent to pay again is recorded
            paid_retry.retry_uncertain_video(video.id, user_id=user_id, services=services)
            st.toast("Trying again.", icon=":material/replay:")
            st.rerun()
        elif result.action == "delete":
            videos.delete_video(video.id, user_id=user_id, services=services)
            st.toast("Video deleted.", icon=":material/delete:")
            st.rerun()
    except StudioError as exc:
        show_error(exc)


def _query(project_id: str | None, key_prefix: str, user_id: str, services: Services) -> talking_gallery.GalleryPage:
    picked = gallery_filters(key_prefix, list_actors(services=services))
    page_key = f"{key_prefix}_page"

    def fetch(page: int) -> talking_gallery.GalleryPage:
        query = talking_gallery.GalleryQuery(
            project_id=project_id,
            statuses=picked.statuses,
            actor_id=picked.actor_id,
            search=picked.search,
            page=page,
            page_size=PAGE_SIZE,
        )
        return talking_gallery.list_videos(query, user_id=user_id, services=services)

    result = fetch(int(st.session_state.get(page_key) or 1))
    if result.page > result.pages:
        result = fetch(_page_number(page_key, result.pages))
    return result


def gallery(
    *,
    user_id: str,
    services: Services,
    key_prefix: str,
    project_id: str | None = None,
    project_titles: dict[str, str] | None = None,
    empty_hint: str = "",
    columns: int = 4,
) -> None:
    rerun_on_change(
        lambda: talking_gallery.gallery_marker(project_id, user_id=user_id, services=services),
        key=f"{key_prefix}_changes",
    )
    result = _query(project_id, key_prefix, user_id, services)
    if result.total == 0:
        filtered = any(st.session_state.get(f"{key_prefix}_{k}") for k in ("search", "statuses", "actor"))
        with st.container(border=True):
            st.markdown("**No videos match these filters.**" if filtered else "**No videos yet.**")
            st.caption("Clear a filter to see more." if filtered else empty_hint)
        return
    st.caption(f"{result.total} video{'s' if result.total != 1 else ''} · newest first")
    chips: dict[str, WatchedChip] = {}
    # Up to `columns` cards a row, fewer only below 200 px each (a card's buttons fit on one line):
    # on the project page 3 a row at 1440 px, 4 at 1920.
    grid = st.grid(columns, min_column_width=200, gap="small")
    for video in result.items:
        with grid:
            card = video_card(
                video, user_id=user_id, services=services, project_title=(project_titles or {}).get(video.project_id)
            )
        if video.job is not None:
            error = video.error.message if video.error else None
            chips[video.job.id] = WatchedChip(card.chip_slot, video.status, video.job, error)
        if card.action:
            act_on_card(card, video, user_id=user_id, services=services)
    if result.pages > 1:
        st.pagination(result.pages, key=f"{key_prefix}_page")
    job_progress(chips, user_id=user_id, services=services, key=f"{key_prefix}_chips")
