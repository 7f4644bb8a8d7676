"""The Library's grid: talking videos and finished ads together, a type filter, one search,
pagination, and an ad's details dialog (Preview / Versions / Scenes / Details)."""

from __future__ import annotations

import logging

import streamlit as st

from components.ads import media
from components.job_progress import WatchedChip, job_progress
from components.library.versions import versions_panel
from components.runtime import show_error
from components.talking.filters import gallery_filters
from components.talking.gallery import act_on_card
from components.talking.video_card import ago, duration_label, video_card
from core.errors import StudioError
from core.ports_services import Services
from core.services.library import items
from core.services.library.items import AdCard, Kind, LibraryQuery
from core.services.talking.catalog import list_actors
from core.services.variant_factory.search import count_label

logger = logging.getLogger(__name__)

PAGE_SIZE = 24


def edit_link(*, ad_output: str | None = None, video: str | None = None) -> None:
    """Open the timeline Editor on a finished ad output or talking video."""
    params = {"output": ad_output} if ad_output else {"video": video or ""}
    st.page_link("pages/editor.py", label="Open in the editor", icon=":material/movie_edit:", query_params=params)


KINDS: dict[Kind, str] = {"all": "Everything", "talking": "Talking videos", "ad": "Ads"}


@st.dialog("Ad details", width="large")
def ad_dialog(output_id: str, user_id: str, services: Services) -> None:
    try:
        ad = items.ad_details(output_id, user_id=user_id, services=services)
    except StudioError as exc:
        show_error(exc)
        return
    st.markdown(f"**{ad.card.title}** · {ad.card.aspect}")
    preview, versions, scenes, details = st.tabs(["Preview", "Versions", "Scenes", "Details"])
    with preview:
        media.video(ad.card.video_key, user_id=user_id, services=services)
        edit_link(ad_output=output_id)
    with versions:
        versions_panel(output_id, user_id=user_id, services=services)
    with scenes:
        for scene in ad.scenes:
            st.markdown(f"**Scene {scene.number}** · “{scene.dialogue or '(no line)'}”")
            frame, clip = st.columns(2)
            with frame:
                media.image(scene.frame_key, user_id=user_id, services=services, caption="Storyboard frame")
            with clip:
                media.video(scene.clip_key, user_id=user_id, services=services)
            score = "not checked" if scene.identity is None else f"{scene.identity:.2f}"
            st.caption(f"Identity score: {score}")
    with details:
        st.table({"": list(ad.details), "Value": [str(v) for v in ad.details.values()]})
        if ad.prompt:
            st.caption(f"Brief: {ad.prompt}")
        if ad.qc_summary:
            st.caption(f"Quality check: {ad.qc_summary}")


def _ad_card(card: AdCard, *, user_id: str, services: Services) -> bool:
    """Draws an ad's card; True when its details were asked for."""
    with st.container(border=True):
        media.image(card.poster_key, user_id=user_id, services=services, caption="Finished ad")
        st.markdown(f"**{card.title}** · :material/movie: Ad")
        verdict = {True: "QC passed", False: "QC needs a look", None: "QC not run"}[card.qc_passed]
        st.caption(
            f"{card.product_name or 'Product'} · {card.aspect}  \n:material/timer: {duration_label(card.duration_s)}"
            f" · :material/schedule: {ago(card.created_at)} · {verdict}"
        )
        with st.container(horizontal=True, gap="xsmall"):
            asked = st.button("Play", key=f"adplay_{card.output_id}", icon=":material/play_arrow:")
            media.download(
                card.video_key,
                label="",
                file_name=f"ad-{card.output_id[:8]}.mp4",
                mime="video/mp4",
                user_id=user_id,
                services=services,
                widget_key=f"addl_{card.output_id}",
            )
    return asked


def library_grid(*, user_id: str, services: Services, project_titles: dict[str, str], columns: int = 4) -> None:
    kind = st.segmented_control("Type", list(KINDS), format_func=KINDS.__getitem__, key="library_kind",
                                default="all") or "all"  # fmt: skip
    picked = gallery_filters("library", list_actors(services=services))
    page = int(st.session_state.get("library_page") or 1)
    query = LibraryQuery(kind, picked.statuses, picked.actor_id, picked.search, page, PAGE_SIZE)
    result = items.list_library(query, user_id=user_id, services=services)
    if result.page > result.pages:
        st.session_state["library_page"] = result.pages
        query = LibraryQuery(kind, picked.statuses, picked.actor_id, picked.search, result.pages, PAGE_SIZE)
        result = items.list_library(query, user_id=user_id, services=services)
    if result.total == 0:
        with st.container(border=True):
            st.markdown("**Nothing matches these filters.**")
            st.caption("Clear a filter to see more, or make a video or an ad in a project.")
        return
    st.caption(f"{count_label(result.total, 'video')} · newest first")  # "10,000+" where the count stops
    chips: dict[str, WatchedChip] = {}
    grid = st.grid(columns, min_column_width=190, gap="small")
    for item in result.items:
        if isinstance(item, AdCard):
            with grid:
                asked = _ad_card(item, user_id=user_id, services=services)
            if asked:
                ad_dialog(item.output_id, user_id, services)
            continue
        with grid:
            card = video_card(
                item, user_id=user_id, services=services, project_title=project_titles.get(item.project_id)
            )
        if item.job is not None:
            error = item.error.message if item.error else None
            chips[item.job.id] = WatchedChip(card.chip_slot, item.status, item.job, error)
        if card.action:
            act_on_card(card, item, user_id=user_id, services=services)
    if result.pages > 1:
        st.pagination(result.pages, key="library_page")
    job_progress(chips, user_id=user_id, services=services, key="library_chips")
