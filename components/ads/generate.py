"""Wizard step 5: output choices, the generation's live per-scene progress, the storyboard
review gate (pick a variant, redraw a scene, approve) and retries of failed scenes."""

from __future__ import annotations

import functools
import logging
from typing import Any

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from components.ads import continuity, media
from components.labels import literal
from components.runtime import show_error
from core.domain.ad_views import AdView, AssetView, SceneView
from core.domain.ads import AdStatus, Aspect, AssetKind, RealismSettings, Transition
from core.domain.types import ACTIVE_JOB_STATUSES
from core.errors import StudioError
from core.ports_services import Services
from core.services.ads import generation, spend, wizard
from core.services.usage.estimates import Estimate

logger = logging.getLogger(__name__)

POLL_S = 2.0
PARKED = (AdStatus.REVIEW, AdStatus.NEEDS_ATTENTION)
LIMIT_REACHED = "resets at midnight UTC"  # how spend refusals end (core.services.usage.spend)


def _cost_words(est: Estimate) -> str:
    cost = "free (made on this machine)" if est.cost_usd == 0 and not est.unpriced else f"about ${est.cost_usd:.2f}"
    if est.unpriced:
        cost += f" (no price on file for {', '.join(est.unpriced)})"
    return cost


def extension_lines(clips: list[spend.ClipSteps]) -> None:
    """Scenes longer than one generation: each extension is a paid call of its own, priced as charged."""
    for clip in clips:
        first, *more = clip.steps
        added = ", ".join(f"{s:g} s" for s in more)
        if clip.cost_usd is None:
            cost = f"{len(clip.steps)} paid calls, no price on file"
        elif clip.cost_usd == 0:
            cost = f"{len(clip.steps)} calls, free (made on this machine)"
        else:
            cost = f"{len(clip.steps)} paid calls, about ${clip.cost_usd:.2f}"
        st.caption(
            f":material/add_road: Scene {clip.scene} runs {clip.seconds:g} s: one {first:g} s generation and "
            f"{len(more)} extension{'s' if len(more) > 1 else ''} ({added}), {cost}"
        )


def _show_estimate(ad: AdView, *, user_id: str, services: Services) -> None:
    """What Generate would cost now (unchanged scenes are reused and cost nothing), as for videos."""
    try:
        est, clips = spend.estimate_ad_steps(ad.id, user_id=user_id, services=services)
    except StudioError as exc:
        show_error(exc)
        return
    minutes = max(1, round(est.seconds / 60))
    st.caption(
        f":material/payments: Cost: {_cost_words(est)} · :material/timer: ready in about {minutes} min, "
        "plus your storyboard review"
    )
    extension_lines(clips)


def _clips_estimate(ad: AdView, *, user_id: str, services: Services) -> None:
    """At the gate: what approving starts (the clips, with their extensions), before the creator approves."""
    try:
        est, clips = spend.estimate_ad_steps(ad.id, user_id=user_id, services=services)
    except StudioError as exc:
        show_error(exc)
        return
    st.caption(f":material/payments: Approving makes the voice lines and clips: {_cost_words(est)}")
    extension_lines(clips)


def _options_form(ad: AdView, *, user_id: str, services: Services) -> None:
    saved, realism = ad.options, ad.options.get("realism", {})
    with st.form("ugc_output"):
        left, right = st.columns(2)
        aspects = left.multiselect("Formats", [a.value for a in Aspect], default=saved.get("aspects", ["9:16"]))
        transitions = ["auto", *(t.value for t in Transition)]
        transition = right.selectbox(
            "Transitions", transitions, index=transitions.index(saved.get("transition", "auto"))
        )
        captions = left.toggle("Burned-in captions", saved.get("captions", True))
        music = right.toggle("Music bed (ducked under the voice)", saved.get("music", True))
        st.caption("Realism layer")
        a, b, c, d = st.columns(4)
        grain = a.slider("Film grain", 0.0, 10.0, float(realism.get("grain", 4.0)), 0.5)
        vignette = b.slider("Vignette", 0.0, 1.0, float(realism.get("vignette", 0.25)), 0.05)
        shake = c.slider("Handheld shake (px)", 0.0, 4.0, float(realism.get("shake_px", 1.5)), 0.5)
        saturation = d.slider("Saturation", 0.8, 1.1, float(realism.get("saturation", 0.93)), 0.01)
        e, f = st.columns(2)
        fringes = e.slider("Colour fringes (px)", 0.0, 6.0, float(realism.get("chromatic_aberration", 0.0)), 0.5)
        lens = f.slider("Lens distortion", 0.0, 0.3, float(realism.get("lens_distortion", 0.0)), 0.02)
        lut_on, upload = _grade_inputs(saved.get("lut") or {})
        _show_estimate(ad, user_id=user_id, services=services)
        if st.form_submit_button("Generate the ad", type="primary", icon=":material/movie:"):
            try:
                wizard.save_output_options(
                    ad.id,
                    aspects=aspects,
                    transition=transition,
                    captions=captions,
                    music=music,
                    realism=RealismSettings(grain, vignette, shake, saturation, fringes, lens),
                    user_id=user_id,
                    services=services,
                    lut_on=lut_on,
                    lut_upload=wizard.LutUpload(upload.getvalue(), upload.name) if upload is not None else None,
                )
                generation.start_generation(ad.id, user_id=user_id, services=services)
                st.rerun()
            except StudioError as exc:
                show_error(exc)


def _grade_inputs(lut: dict[str, Any]) -> tuple[bool, UploadedFile | None]:
    """The colour grade: an on/off switch and a .cube upload (a new file replaces the ad's LUT and switches it on)."""
    left, right = st.columns(2)
    name = lut.get("name")
    lut_on = left.toggle("Colour grade (LUT)", bool(lut.get("on")), disabled=not name, help="Upload a .cube first")
    left.caption(f"Current LUT: {literal(name)} ({lut.get('size')}-point)" if name else "No LUT uploaded yet")
    upload = right.file_uploader("LUT file (.cube)", type=["cube"], key="ugc_lut")
    return lut_on, upload


def scene_row(scene: SceneView) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(f"**Scene {scene.number}**")
        media.badge(scene.status_of(AssetKind.FRAME), "frame")
        media.badge(scene.status_of(AssetKind.CLIP), "clip")
        media.badge(scene.status_of(AssetKind.AUDIO), "voice")
    if scene.error:
        st.caption(f":red[{scene.error}]")


def _progress(ad: AdView) -> None:
    """Progress a person can see move: the share of scene assets (voice, frame, clip) that are done,
    as well as the job's own step, so it never sits at one figure while scenes are being made."""
    job = ad.job
    if job is not None:
        assets = [scene.status_of(kind).value for scene in ad.scenes for kind in AssetKind]
        done = sum(status in ("ready", "approved") for status in assets)
        share = max(job.progress, done / len(assets)) if assets else job.progress
        step = (job.current_step or "queued").replace("_", " ")
        counted = f" · {done} of {len(assets)} scene assets ready" if assets else ""
        st.progress(min(1.0, share), text=f"{job.status.value} · {step}{counted} · {share:.0%}")
    for scene in ad.scenes:
        scene_row(scene)


def _poll(ad_id: str, user_id: str, services: Services, seen: str) -> None:
    ad = wizard.get_ad(ad_id, user_id=user_id, services=services)
    _progress(ad)
    if ad.status.value != seen:  # reached the gate, finished or failed: redraw the whole step
        st.rerun()


def live_progress(ad: AdView, *, user_id: str, services: Services) -> None:
    polling = ad.job is not None and ad.job.status in ACTIVE_JOB_STATUSES and ad.status not in PARKED
    st.fragment(_poll, run_every=POLL_S if polling else None)(ad.id, user_id, services, ad.status.value)


def _variant_label(ready: list[AssetView], index: int) -> str:
    return f"variant {ready[index].variant + 1}"


def best_frame_index(scene: SceneView, ready: list) -> int:  # type: ignore[type-arg]
    """The creator's pick if there is one, else the best-scoring ready frame (identity score)."""
    picked = next((i for i, f in enumerate(ready) if f.id == scene.selected_frame_id), None)
    if picked is not None:
        return picked
    scores = [f.score if f.score is not None else float("-inf") for f in ready]
    return max(range(len(ready)), key=lambda i: scores[i]) if ready else 0


def _approve_button(ad: AdView, selections: dict[str, str], *, user_id: str, services: Services) -> None:
    if st.button("Approve storyboard", type="primary", key="ugc_approve", icon=":material/task_alt:"):
        try:
            generation.approve_storyboard(ad.id, selections=selections, user_id=user_id, services=services)
            st.rerun()
        except StudioError as exc:
            show_error(exc)


def review_gate(ad: AdView, *, user_id: str, services: Services) -> None:
    st.info(
        "The storyboard is ready. Pick a frame per scene (the best-scoring one is preselected), redraw any "
        "scene, then approve with the button that stays at the bottom of the window.",
        icon=":material/rate_review:",
    )
    continuity.redraw_all(ad, user_id=user_id, services=services)
    _clips_estimate(ad, user_id=user_id, services=services)
    selections: dict[str, str] = {}
    for scene in ad.scenes:
        with st.container(border=True):
            st.markdown(f"**Scene {scene.number}** · {scene.script.camera.words()} · {scene.script.lighting.words()}")
            st.caption(f"“{literal(scene.script.dialogue)}”")
            ready = [f for f in scene.frames if f.status.value == "ready"]
            columns = st.columns(max(4, len(scene.frames)))
            for column, frame in zip(columns, scene.frames, strict=False):
                with column:
                    score = f" · identity {frame.score:.2f}" if frame.score is not None else ""
                    media.image(
                        frame.media_key,
                        user_id=user_id,
                        services=services,
                        caption=f"variant {frame.variant + 1}{score}",
                    )
            with st.container(horizontal=True, vertical_alignment="center"):
                if ready:
                    chosen = st.radio(
                        "Use",
                        list(range(len(ready))),
                        index=best_frame_index(scene, ready),
                        horizontal=True,
                        key=f"pick_{scene.id}",
                        format_func=functools.partial(_variant_label, ready),
                    )
                    selections[scene.id] = ready[chosen].id
                if st.button("Redraw this scene", key=f"redraw_{scene.id}", icon=":material/refresh:"):
                    generation.regenerate_frame(scene.id, user_id=user_id, services=services)
                    st.rerun()
    # Sticky at the bottom of the window however long the storyboard is; drawn last, once every
    # scene's pick is known. (Streamlit's own `st.bottom`: streamlit-extras' bottom_container is
    # a deprecated alias of it.)
    with st.bottom:
        _approve_button(ad, selections, user_id=user_id, services=services)


def failed_scenes(ad: AdView, *, user_id: str, services: Services) -> None:
    st.warning(ad.error or "A scene failed.", icon=":material/error:")
    continuity.chained_questions(ad, user_id=user_id, services=services)
    for scene in ad.scenes:
        if scene.error and LIMIT_REACHED in scene.error:
            st.error(f"Scene {scene.number}: {scene.error}", icon=":material/block:")  # a retry would be refused too
            continue
        for kind in AssetKind:
            if scene.status_of(kind).value == "failed":
                _retry_button(scene, kind, user_id=user_id, services=services)


def _retry_button(scene: SceneView, kind: AssetKind, *, user_id: str, services: Services) -> None:
    """A plain retry, or (when the provider may already have charged) one behind a consent popover."""
    label = f"Retry scene {scene.number} {kind.value}"
    charge_again = scene.may_have_been_charged(kind)
    if charge_again:
        with st.popover(label, icon=":material/replay:", help="The provider may have started this already"):
            st.caption(
                "The provider may have started this and charged for it, but its answer never reached us. "
                "Retrying may charge again."
            )
            clicked = st.button("Retry (may charge again)", key=f"retry_paid_{scene.id}_{kind.value}", type="primary")
    else:
        clicked = st.button(label, key=f"retry_{scene.id}_{kind.value}", icon=":material/replay:")
    if clicked:
        try:
            generation.retry_scene(scene.id, kind, user_id=user_id, services=services, charge_again=charge_again)
            st.rerun()
        except StudioError as exc:
            show_error(exc)


def generate_step(ad: AdView, *, user_id: str, services: Services) -> None:
    running = ad.job is not None and ad.job.status in ACTIVE_JOB_STATUSES
    if not running:
        continuity.chaining_switch(ad, user_id=user_id, services=services)
        _options_form(ad, user_id=user_id, services=services)
        if ad.status is AdStatus.FAILED and ad.error:
            st.error(ad.error, icon=":material/error:")
    if ad.status is AdStatus.REVIEW:
        review_gate(ad, user_id=user_id, services=services)
    elif ad.status is AdStatus.NEEDS_ATTENTION:
        failed_scenes(ad, user_id=user_id, services=services)
    if running or ad.job is not None:
        live_progress(ad, user_id=user_id, services=services)
    if running and st.button("Cancel generation", key="ugc_cancel", icon=":material/cancel:"):
        generation.cancel_generation(ad.id, user_id=user_id, services=services)
        st.rerun()
