"""Continuity controls of an ad (issue 18): the scene-chaining switch (shown unavailable, with the
reason, where the video model cannot end on a frame), "redraw all" and "reset all edits" with a
confirmation where they cost money or discard work, and what the consistency check made again."""

from __future__ import annotations

import streamlit as st

from components.runtime import show_error
from core.domain.ad_views import AdView
from core.errors import StudioError
from core.ports_services import Services
from core.services.ads import continuity, generation, scenes


def confirmed(key: str, label: str, question: str, *, icon: str) -> bool:
    """Two clicks: the button asks, and only "Yes" says go."""
    asking = f"{key}_asking"
    if not st.session_state.get(asking):
        if st.button(label, key=key, icon=icon):
            st.session_state[asking] = True
            st.rerun()
        return False
    st.warning(question, icon=":material/help:")
    yes, no = st.columns(2)
    if yes.button("Yes, go ahead", key=f"{key}_yes", type="primary"):
        st.session_state[asking] = False
        return True
    if no.button("No, keep things as they are", key=f"{key}_no"):
        st.session_state[asking] = False
        st.rerun()
    return False


def chaining_switch(ad: AdView, *, user_id: str, services: Services) -> None:
    found = continuity.chaining(services, ad.id, user_id=user_id)
    help_text = (
        "Each scene starts on the exact last frame of the scene before and ends on its own storyboard frame."
        if found.available
        else f"Not available: {found.reason}."
    )
    on = st.toggle(
        "Chain scenes (first and last frame)", found.on, key="ugc_chain", disabled=not found.available, help=help_text
    )
    if not found.available:
        st.caption(f":gray[Scene chaining is not available: {found.reason}.]")
    elif on != found.on:
        try:
            continuity.set_chaining(ad.id, on, user_id=user_id, services=services)
            st.rerun()
        except StudioError as exc:
            show_error(exc)


def redraw_all(ad: AdView, *, user_id: str, services: Services) -> None:
    """Every scene's frames drawn again; asks first when that costs money."""
    try:
        est = generation.redraw_estimate(ad.id, user_id=user_id, services=services)
    except StudioError as exc:
        show_error(exc)
        return
    free = est.cost_usd == 0 and not est.unpriced
    label, icon = "Redraw all scenes", ":material/autorenew:"
    if free:
        go = st.button(label, key="ugc_redraw_all", icon=icon)
    else:
        cost = f"about ${est.cost_usd:.2f}" + (
            f" plus {', '.join(est.unpriced)} (no price on file)" if est.unpriced else ""
        )
        question = f"Redraw every scene's storyboard frames? This costs {cost}; the frames you have are replaced."
        go = confirmed("ugc_redraw_all", label, question, icon=icon)
    if go:
        try:
            generation.redraw_all_frames(ad.id, user_id=user_id, services=services)
            st.rerun()
        except StudioError as exc:
            show_error(exc)


def reset_all_edits(ad: AdView, *, user_id: str, services: Services) -> None:
    edited = [s.number for s in ad.scenes if s.edited]
    if not edited:
        return
    listed = ", ".join(map(str, edited))
    question = f"Put scene {listed} back to the written version? Your edits to them are lost."
    if confirmed("ugc_reset_all", "Reset all edits", question, icon=":material/undo:"):
        try:
            scenes.reset_all_scenes(ad.id, user_id=user_id, services=services)
            st.rerun()
        except StudioError as exc:
            show_error(exc)


def regenerated(ad: AdView) -> None:
    """What the cross-scene consistency check made again, and why."""
    notes = ad.options.get(continuity.REGENERATED_OPTION) or []
    if not notes:
        return
    st.markdown("**Made again for consistency**")
    for note in notes:
        st.caption(f"Scene {note['scene']}: {note['result']} ({note['why']})")
