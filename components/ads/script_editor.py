"""Wizard step 4: the structured script, scene by scene, with edits tracked per scene."""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from components.ads import continuity
from components.confirm import confirmed
from components.labels import literal
from components.runtime import show_error
from core.domain.ad_views import AdView, SceneView
from core.domain.ads import ANGLES, LIGHTING_TYPES, MOVEMENTS, SHOT_TYPES, SceneType, Visibility
from core.errors import StudioError
from core.ports_services import Services
from core.services.ads import scenes, script

logger = logging.getLogger(__name__)


def _pick(column, label: str, options: tuple[str, ...] | list[str], current: str, key: str) -> str:  # type: ignore[no-untyped-def]
    values = list(options) if current in options else [current, *options]
    return column.selectbox(label, values, index=values.index(current), key=key)


def _scene_form(scene: SceneView, longest_s: float) -> dict[str, Any] | None:
    """`longest_s`: the longest scene the video model can make (one generation and its extensions)."""
    s, sid = scene.script, scene.id
    with st.form(f"ugc_scene_{sid}_{scene.revision}"):
        dialogue = st.text_area(f"Line (at most {scene.max_words} words)", s.dialogue, key=f"dlg_{sid}")
        action = st.text_input("Action", s.action, key=f"act_{sid}")
        left, mid, right = st.columns(3)
        expression = left.text_input("Expression", s.expression, key=f"exp_{sid}")
        longest = max(longest_s, float(s.duration_s))  # a scene written for another model keeps its length
        help_text = f"Up to {longest:g} s: past one generation, the clip is extended (each extension is paid)"
        duration = mid.number_input(
            "Seconds", 2.0, longest, float(s.duration_s), step=0.5, key=f"dur_{sid}", help=help_text
        )
        kind = _pick(right, "Type", [t.value for t in SceneType], s.scene_type.value, f"typ_{sid}")
        shot = _pick(left, "Shot", SHOT_TYPES, s.camera.shot_type, f"shot_{sid}")
        angle = _pick(mid, "Angle", ANGLES, s.camera.angle, f"ang_{sid}")
        movement = _pick(right, "Camera move", MOVEMENTS, s.camera.movement, f"mov_{sid}")
        lighting = _pick(left, "Lighting", LIGHTING_TYPES, s.lighting.type, f"lit_{sid}")
        visibility = _pick(mid, "Product", [v.value for v in Visibility], s.product_visibility.value, f"vis_{sid}")
        setting = right.text_input("Setting", s.setting, key=f"set_{sid}")
        if not st.form_submit_button("Save scene", icon=":material/save:"):
            return None
    return {
        "dialogue": dialogue,
        "action": action,
        "expression": expression,
        "duration_seconds": duration,
        "scene_type": kind,
        "camera": {"shot_type": shot, "angle": angle, "movement": movement},
        "lighting": {"type": lighting},
        "product_visibility": visibility,
        "setting": setting,
    }


def scene_editor(scene: SceneView, *, user_id: str, services: Services, longest_s: float) -> None:
    title = f"Scene {scene.number} · {scene.script.scene_type.value} · {scene.script.duration_s:g} s"
    with st.expander(title + (" · edited" if scene.edited else ""), expanded=False):
        if scene.edited:
            st.badge("edited: only this scene will be made again", color="orange", icon=":material/edit:")
        changes = _scene_form(scene, longest_s)
        if changes is not None:
            try:
                scenes.edit_scene(scene.id, changes, user_id=user_id, services=services)
                st.rerun()
            except StudioError as exc:
                show_error(exc)
        question = f"Put scene {scene.number} back to the written version? Your edits to it are lost."
        if scene.edited and confirmed(
            f"reset_{scene.id}", "Reset to the written version", question, icon=":material/undo:"
        ):
            scenes.reset_scene(scene.id, user_id=user_id, services=services)
            st.rerun()


def _typed_script(ad: AdView, *, user_id: str, services: Services) -> None:
    """Type or paste a script from scratch: one line per scene (it replaces the current one)."""
    example = "Okay, I was so tired of dull skin…\nThis serum absorbs in seconds.\nTap the link and try it."
    with (
        st.expander("Type or paste your own script", expanded=not ad.scenes),
        st.form("ugc_typed_script", border=False),
    ):
        text = st.text_area("Script, one line per scene", key="ugc_typed_text", height=160, placeholder=example)
        if st.form_submit_button("Use this script", icon=":material/edit:"):
            try:
                script.save_typed_script(ad.id, text, user_id=user_id, services=services)
                st.rerun()
            except StudioError as exc:
                show_error(exc)


def script_step(ad: AdView, *, user_id: str, services: Services) -> None:
    label = "Rewrite the script" if ad.scenes else "Write the script"
    if st.button(
        label, key="ugc_write_script", icon=":material/edit_note:", type="secondary" if ad.scenes else "primary"
    ):
        try:
            script.generate_script(ad.id, user_id=user_id, services=services)
            st.rerun()
        except StudioError as exc:
            show_error(exc)
    _typed_script(ad, user_id=user_id, services=services)
    if not ad.scenes:
        st.caption(
            "The script is written from your brief, product and avatar: "
            "150 words a minute, up to 20 words per 8 s scene."
        )
        return
    meta = ad.script_meta or {}
    st.markdown(
        f"**{literal(str(meta.get('title', ad.title)))}** · {meta.get('total_duration', 0):g} s · "
        f":gray[{meta.get('writer', '')}]"
    )
    for scene in ad.scenes:
        st.caption(f"Scene {scene.number}: “{literal(scene.script.dialogue)}”")
    continuity.reset_all_edits(ad, user_id=user_id, services=services)
    longest = script.longest_scene(services, user_id)
    for scene in ad.scenes:
        scene_editor(scene, user_id=user_id, services=services, longest_s=longest)
