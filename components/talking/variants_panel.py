"""An actor's reusable image variants in one project: make, preview, reuse, delete."""

from __future__ import annotations

import logging

import streamlit as st

from components import media
from components.job_progress import rerun_when
from components.labels import literal
from components.runtime import show_error
from components.talking.video_card import ago
from core.domain.types import ActorView, VariantView
from core.errors import StudioError
from core.ports_services import Services
from core.services.talking import variants as variant_service
from core.services.usage import estimates

logger = logging.getLogger(__name__)


def _create_form(project_id: str, actor: ActorView, *, user_id: str, services: Services) -> None:
    limit = services.settings.variant_prompt_max_chars
    with st.form(f"variant_form_{actor.id}", clear_on_submit=True):
        prompt = st.text_input(
            "Put them somewhere new", max_chars=limit, placeholder="at an airport gate, soft daylight"
        )
        seed = st.number_input(
            "Seed (optional)", min_value=0, value=None, step=1, placeholder="Same seed, same picture"
        )
        cost = estimates.estimate_variant(services=services, user_id=user_id).cost_usd
        st.caption(f":material/payments: Cost: {'free (made on this machine)' if cost == 0 else f'about ${cost:.2f}'}")
        if st.form_submit_button("Make variant", type="primary", icon=":material/auto_awesome:"):
            try:
                variant_service.create_variant(
                    project_id,
                    actor.id,
                    prompt,
                    seed=None if seed is None else int(seed),
                    user_id=user_id,
                    services=services,
                )
            except StudioError as exc:
                show_error(exc)
                return
            st.toast("Making the image. It appears here in a moment.", icon=":material/auto_awesome:")


def _variant_tile(
    variant: VariantView, state: tuple[str, dict | None], *, user_id: str, services: Services
) -> str | None:
    """Returns 'use' when the creator wants this variant in a video."""
    status, error = state
    with st.container(border=True):
        if status == "ready":
            media.image(variant.image_key, user_id=user_id, services=services)
        elif status == "failed":
            media.placeholder("Could not make this image")
            st.caption(f":red[{(error or {}).get('message', 'The image edit failed.')}]")
        else:
            media.placeholder("Making the image…")
        st.caption(
            f"“{literal(variant.prompt)}”  \n{'seed ' + str(variant.seed) + ' · ' if variant.seed is not None else ''}"
            f"{ago(variant.created_at)}"
        )
        chosen = None
        with st.container(horizontal=True, gap="xsmall"):
            if status == "ready" and st.button("Use", key=f"use_variant_{variant.id}", icon=":material/movie:"):
                chosen = "use"
            with st.popover("", icon=":material/delete:", help="Delete"):
                st.caption("Delete this variant and its image? Videos made with it keep their copy.")
                if st.button("Delete for good", key=f"delete_variant_{variant.id}", type="primary"):
                    chosen = "delete"
    return chosen


def variants_panel(project_id: str, actor: ActorView, *, user_id: str, services: Services) -> VariantView | None:
    """Returns the variant the creator chose to use, if any."""
    _create_form(project_id, actor, user_id=user_id, services=services)
    saved = variant_service.list_variants(
        project_id, actor_id=actor.id, user_id=user_id, services=services, include_pending=True
    )
    if not saved:
        st.caption(f"No variants of {actor.display_name} in this project yet. Describe a setting above.")
        return None
    states = {v.id: variant_service.variant_status(v.id, user_id=user_id, services=services) for v in saved}
    chosen: VariantView | None = None
    grid = st.grid(4, min_column_width=180)
    for variant in saved:
        with grid:
            action = _variant_tile(variant, states[variant.id], user_id=user_id, services=services)
        if action == "use":
            chosen = variant
        elif action == "delete":
            try:
                variant_service.delete_variant(variant.id, user_id=user_id, services=services)
            except StudioError as exc:
                show_error(exc)
            else:
                st.rerun()
    pending = [v.id for v in saved if states[v.id][0] == "pending"]

    def all_done() -> bool:
        try:
            return all(
                variant_service.variant_status(i, user_id=user_id, services=services)[0] != "pending" for i in pending
            )
        except StudioError:  # deleted meanwhile: redraw the panel
            return True

    rerun_when(all_done, waiting=bool(pending), key=f"variants_{actor.id}")
    return chosen
