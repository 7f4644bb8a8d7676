"""An actor from the catalog: portrait, name, voice, age range, gender, scene tags, voice preview."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from components import media
from components.talking.filters import TAG_ICONS
from core.domain.types import ActorView
from core.domain.voice_words import voice_words
from core.ports_services import Services
from core.services.talking.catalog import voice_preview_key

Action = Literal["use", "variants"]


def voice_label(actor: ActorView) -> str:
    """In human words ("warm US female, fast"), not the engine's id (`en-us+f3`)."""
    return voice_words(actor.voice)


def actor_facts(actor: ActorView) -> None:
    st.markdown(f"**{actor.display_name}**")
    st.caption(f"{actor.gender.capitalize()} · {actor.age_range}  \n:material/record_voice_over: {voice_label(actor)}")
    with st.container(horizontal=True, gap="xxsmall"):
        for tag in actor.tags:
            st.badge(f"{TAG_ICONS.get(tag, '')} {tag}", color="violet")


def actor_card(
    actor: ActorView, *, user_id: str, services: Services, variant_count: int | None = None
) -> Action | None:
    chosen: Action | None = None
    with st.container(border=True):
        media.image(actor.image_key, user_id=user_id, services=services)
        actor_facts(actor)
        if actor.bio:
            st.caption(actor.bio)
        preview = voice_preview_key(actor.id, services=services)
        if preview:
            media.audio(preview, user_id=user_id, services=services)
        else:
            st.caption("No voice preview yet.")
        with st.container(horizontal=True, gap="xsmall"):
            if st.button("Use in a video", key=f"use_{actor.id}", type="primary", icon=":material/movie:"):
                chosen = "use"
            label = "Variants" if variant_count is None else f"Variants ({variant_count})"
            if st.button(label, key=f"variants_{actor.id}", icon=":material/photo_library:"):
                chosen = "variants"
    return chosen
