"""Scene studio (spec 004): every scene of an ad with its line, voice, frames and clip, each with
a status badge (pending, rendering, ready, failed) and a retry; batch "generate all" carries
on past a failed scene and lists each scene's outcome."""

from __future__ import annotations

import streamlit as st

from components.ads import media
from components.ads.generate import POLL_S
from components.labels import literal
from components.runtime import current_user_id, show_error, studio
from core.domain.ad_views import SceneView
from core.domain.ads import AssetKind, AssetStatus
from core.errors import StudioError
from core.services.ads import generation, wizard
from core.services.ads import studio as ads_studio
from core.services.talking.projects import list_projects

services = studio()
user_id = current_user_id()
KINDS = {AssetKind.AUDIO: "audio", AssetKind.FRAME: "images", AssetKind.CLIP: "clips"}


def pick_ad() -> str | None:
    projects = {p.id: p.title for p in list_projects(user_id=user_id, services=services)}
    default = st.query_params.get("project") or st.session_state.get("project_id")
    if not projects:
        st.info("No projects yet. Make an ad in the Mass generator first.", icon=":material/movie:")
        st.page_link("pages/wizard.py", label="Open the Mass generator", icon=":material/auto_awesome_motion:")
        return None
    ids = list(projects)
    project_id = st.selectbox(
        "Project",
        ids,
        index=ids.index(default) if default in ids else 0,
        format_func=lambda i: projects[i],
        key="studio_project",
    )
    ads = {a.id: a for a in ads_studio.list_ads(project_id, user_id=user_id, services=services)}
    if not ads:
        st.info(
            "This project has no ads yet: make one in the Mass generator, then edit its scenes here.",
            icon=":material/movie:",
        )
        st.page_link(
            "pages/wizard.py",
            label="Open the Mass generator",
            icon=":material/auto_awesome_motion:",
            query_params={"project": project_id},
        )
        return None
    current = st.session_state.get("ugc_ad_id")
    ad_ids = list(ads)
    return st.selectbox(
        "Ad",
        ad_ids,
        index=ad_ids.index(current) if current in ad_ids else 0,
        format_func=lambda i: f"{ads[i].title} · {ads[i].status} · {ads[i].scenes} scenes",
        key="studio_ad",
    )


def scene_card(scene: SceneView) -> None:
    with st.container(border=True):
        media.badge(scene.status, f"Scene {scene.number}")
        st.markdown(f"“{literal(scene.script.dialogue)}”")
        st.caption(f"{literal(scene.script.action)} · {scene.script.camera.words()}")
        kinds = (AssetKind.AUDIO, AssetKind.FRAME, AssetKind.CLIP)
        with st.container(horizontal=True, gap="small"):  # a row that wraps: no pill is clipped by a column
            for kind in kinds:
                media.badge(scene.status_of(kind), kind.value)
        columns = st.columns(3)
        for column, kind in zip(columns, kinds, strict=True):
            with column:
                status = scene.status_of(kind)
                frame = next((f for f in scene.frames if f.id == scene.selected_frame_id), None)
                if kind is AssetKind.AUDIO and scene.audio:
                    media.audio(scene.audio.media_key, user_id=user_id, services=services)
                elif kind is AssetKind.FRAME and frame:
                    media.image(frame.media_key, user_id=user_id, services=services, width=140)
                elif kind is AssetKind.CLIP and scene.clip and status is AssetStatus.READY:
                    media.video(scene.clip.media_key, user_id=user_id, services=services)
                made = {AssetKind.AUDIO: scene.audio, AssetKind.FRAME: frame, AssetKind.CLIP: scene.clip}[kind]
                if made is not None and made.made_by and status is AssetStatus.READY:
                    st.caption(f"made by {made.made_by}")
                if status is AssetStatus.FAILED and st.button(
                    "Retry", key=f"studio_retry_{scene.id}_{kind.value}", icon=":material/replay:"
                ):
                    retry(scene, kind)
        if scene.error:
            st.caption(f":red[{scene.error}]")


def retry(scene: SceneView, kind: AssetKind) -> None:
    try:
        generation.retry_scene(scene.id, kind, user_id=user_id, services=services)
        st.rerun()
    except StudioError as exc:
        show_error(exc)


def scene_list(ad_id: str) -> None:
    ad = wizard.get_ad(ad_id, user_id=user_id, services=services)
    for scene in ad.scenes:
        scene_card(scene)


st.title("Scene studio")
ad_id = pick_ad()
if ad_id is None:
    st.stop()
with st.container(horizontal=True):
    for kind, label in KINDS.items():
        if st.button(f"Generate all {label}", key=f"batch_{kind.value}", icon=":material/bolt:"):
            outcomes = ads_studio.generate_all(ad_id, kind, user_id=user_id, services=services)
            st.session_state["studio_outcomes"] = [(o.scene_number, o.state, o.message) for o in outcomes]
for number, state, message in st.session_state.get("studio_outcomes", []):
    st.caption(f"Scene {number}: {state}" + (f" — {message}" if message else ""))
busy = any(
    a is not None and a.status.active
    for s in wizard.get_ad(ad_id, user_id=user_id, services=services).scenes
    for a in [*s.frames, s.clip, s.audio]
)
st.fragment(scene_list, run_every=POLL_S if busy else None)(ad_id)
