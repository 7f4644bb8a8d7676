"""Wizard step 6: the finished ad, its quality report, a redo per scene, and the files to download."""

from __future__ import annotations

import logging

import streamlit as st

from components.ads import continuity, media
from components.labels import literal
from components.runtime import show_error
from core.domain.ad_views import AdView, OutputView
from core.errors import StudioError
from core.ports_services import Services
from core.services.ads import continuity as ads_continuity
from core.services.ads import generation, wizard

logger = logging.getLogger(__name__)


def quality_report(output: OutputView) -> None:
    if output.qc is None:
        st.caption("No quality report yet.")
        return
    unchecked = [f.check.replace("_", " ") for f in output.qc.findings if not f.checked]
    verdict = "passed" if output.qc.passed else "needs a look"
    if unchecked:
        verdict += f" ({', '.join(unchecked)} not checked)"
    st.markdown(f"**Quality check {verdict}**")
    for finding in output.qc.findings:
        if not finding.checked:
            icon = ":gray[:material/help:]"
        else:
            icon = ":green[:material/check_circle:]" if finding.passed else ":red[:material/error:]"
        scenes = f" (scene {', '.join(map(str, finding.scene_numbers))})" if finding.scene_numbers else ""
        st.markdown(f"{icon} **{finding.check.replace('_', ' ')}**{scenes}: {finding.detail}")
    if output.qc.flagged_scenes:
        flagged = ", ".join(map(str, output.qc.flagged_scenes))
        st.warning(f"Flagged for regeneration: scene {flagged}. Redo them below.", icon=":material/flag:")


def downloads(ad: AdView, output: OutputView, *, user_id: str, services: Services) -> None:
    slug = output.aspect.replace(":", "x")
    with st.container(horizontal=True):
        media.download(
            output.video_key,
            label=f"Video {output.aspect}",
            file_name=f"ad-{slug}.mp4",
            mime="video/mp4",
            user_id=user_id,
            services=services,
            widget_key=f"dl_video_{output.id}",
        )
        st.download_button(
            "Captions (.srt)",
            wizard.srt_text(output.captions),
            file_name=f"ad-{slug}.srt",
            mime="application/x-subrip",
            key=f"dl_srt_{output.id}",
            icon=":material/subtitles:",
        )
        st.download_button(
            "Script (.json)",
            wizard.script_json(ad),
            file_name="script.json",
            mime="application/json",
            key=f"dl_script_{output.id}",
            icon=":material/description:",
        )


def redo_buttons(ad: AdView, *, user_id: str, services: Services) -> None:
    st.markdown("**Redo one scene** (the others are kept as they are)")
    if ads_continuity.chain_on(ad.options):
        st.caption(
            ":material/link: Scenes are chained: the scene after a redone one starts on its new last frame, "
            "and you are asked before it is made again when that is a paid call."
        )
    for scene in ad.scenes:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.markdown(f"Scene {scene.number}: “{literal(scene.script.dialogue)}”")
            clip = st.button("Redo clip", key=f"redo_{scene.id}", icon=":material/replay:")
            frame = st.button("New storyboard", key=f"redo_frame_{scene.id}", icon=":material/brush:")
        if clip or frame:
            try:
                generation.redo_scene(scene.id, frame=frame, user_id=user_id, services=services)
                st.session_state["ugc_step"] = "generate"
                st.rerun()
            except StudioError as exc:
                show_error(exc)


def result_step(ad: AdView, *, user_id: str, services: Services) -> None:
    if not ad.outputs:
        st.info("Your finished ad appears here once the generation completes.", icon=":material/hourglass_top:")
        return
    for output in ad.outputs:
        left, right = st.columns([2, 3], gap="large")
        with left:
            st.subheader(f"{output.aspect} · {output.duration_s or 0:.1f} s · {output.width}x{output.height}")
            media.video(output.video_key, user_id=user_id, services=services)
            downloads(ad, output, user_id=user_id, services=services)
            st.page_link("pages/editor.py", label="Open in the editor", icon=":material/movie_edit:",
                         query_params={"output": output.id})  # fmt: skip
        with right:
            quality_report(output)
    continuity.regenerated(ad)
    redo_buttons(ad, user_id=user_id, services=services)
