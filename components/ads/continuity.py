"""Continuity controls of an ad (issue 18): the scene-chaining switch (shown unavailable, with the
reason, where the video model cannot end on a frame), "redraw all" and "reset all edits" with a
confirmation where they cost money or discard work, what the consistency check made again, and
the question a chained scene whose first frame changed waits on."""

from __future__ import annotations

import streamlit as st

from components.confirm import confirmed
from components.runtime import show_error
from core.domain.ad_views import AdView
from core.errors import StudioError
from core.ports_services import Services
from core.services.ads import continuity, generation, rechain, scenes


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
    """What the cross-scene consistency check made again, and why; and chained scenes made again
    (free) because the scene before them changed."""
    notes = ad.options.get(continuity.REGENERATED_OPTION) or []
    if notes:
        st.markdown("**Made again for consistency**")
        for note in notes:
            st.caption(f"Scene {note['scene']}: {note['result']} ({note['why']})")
    for note in ad.options.get(continuity.REMADE_OPTION) or []:
        st.caption(f"Scene {note['scene']}: made again from the new frame ({note['why']}; no charge)")


def chained_questions(ad: AdView, *, user_id: str, services: Services) -> None:
    """A chained scene whose first frame changed: make it again from the new frame (a paid call,
    asked twice, with its price) or keep it as it is. Nothing happens until the creator chooses."""
    for scene_id, ask in rechain.open_questions(ad.options):
        number, previous = ask["number"], ask["previous"]
        cost = f"about ${ask['cost_usd']:.2f}" if ask.get("cost_usd") is not None else "a price we have no figure for"
        st.markdown(f"**Scene {number}** starts on scene {previous}'s last frame, which changed.")
        question = (
            f"Make scene {number} again from scene {previous}'s new last frame? This is a paid call: {cost}. "
            f"Scene {number + 1}, if chained to it, will be asked about next."
        )
        go = confirmed(
            f"rechain_{scene_id}",
            f"Make scene {number} again (paid)",
            question,
            icon=":material/link:",
            yes=f"Make it again ({cost})",
            no="Not now",
        )
        keep = st.button(f"Keep scene {number} as it is", key=f"rechain_keep_{scene_id}", icon=":material/link_off:")
        try:
            if go:
                rechain.rerender_chained(scene_id, user_id=user_id, services=services, charge=True)
                st.rerun()
            elif keep:
                rechain.keep_chained(scene_id, user_id=user_id, services=services)
                st.rerun()
        except StudioError as exc:
            show_error(exc)
