"""The Variant factory's form (sources, hooks, mode, style, naming; estimate before start) and
the batch view (live counts and grid, play/download, keep, ZIP, time left)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components.choices import labelled
from components.variant_factory.common import attempt, download, play_video
from core.ports_services import Services
from core.services.variant_factory import audio, batches, collections, handoff, hooks, media
from core.services.variant_factory.batches import BatchRequest
from core.services.variant_factory.naming import DEFAULT_PATTERN, FIELDS

MODES = {
    "round_robin": "Round-robin (each video cycles through the sounds and hooks)",
    "every_combination": "Every combination (the full matrix)",
}
CHIPS = {"queued": "gray", "rendering": "blue", "ready": "green", "failed": "red"}  # no emoji: not every font has them
POLL_S = 2.0


def _sources(project_id: str, *, user_id: str, services: Services) -> dict[str, Any]:
    st.subheader("1. Videos")
    vcols = {
        c.id: f"{c.name} ({c.count})"
        for c in collections.list_collections(project_id, "video", user_id=user_id, services=services)
    }
    videos = {
        v.id: v.title for v in media.list_videos(project_id, user_id=user_id, services=services, per_page=200).items
    }
    picked_vcols = st.multiselect("Video collections", list(vcols), format_func=labelled(vcols), key="vf_vcols")
    picked_videos = st.multiselect("…and/or videos", list(videos), format_func=labelled(videos), key="vf_videos")
    st.subheader("2. Sound")
    original = st.toggle("Keep the original sound", key="vf_original")
    acols = {
        c.id: f"{c.name} ({c.count})"
        for c in collections.list_collections(project_id, "audio", user_id=user_id, services=services)
    }
    sounds = {
        a.id: a.title
        for a in audio.list_audio(project_id, user_id=user_id, services=services, per_page=200).items
        if a.status == "ready"
    }
    picked_acols = st.multiselect(
        "Audio collections", list(acols), format_func=labelled(acols), key="vf_acols", disabled=original
    )
    picked_audio = st.multiselect(
        "…and/or audio", list(sounds), format_func=labelled(sounds), key="vf_audio", disabled=original
    )
    st.subheader("3. Hooks")
    categories = hooks.categories_of(project_id, user_id=user_id, services=services)
    all_hooks = {
        h.id: f"[{h.category}] {h.text}"
        for h in hooks.list_hooks(project_id, user_id=user_id, services=services, per_page=500).items
    }
    picked_cats = st.multiselect("Hooks by category", categories, key="vf_hcats")
    picked_hooks = st.multiselect(
        "…and/or hooks one by one", list(all_hooks), format_func=labelled(all_hooks), key="vf_hooks"
    )
    return {
        "video_collection_ids": tuple(picked_vcols),
        "video_ids": tuple(picked_videos),
        "audio_collection_ids": () if original else tuple(picked_acols),
        "audio_ids": () if original else tuple(picked_audio),
        "hook_categories": tuple(picked_cats),
        "hook_ids": tuple(picked_hooks),
    }


def _style() -> dict[str, Any]:
    st.subheader("4. Hook look")
    a, b, c = st.columns(3)
    style = {
        "position": a.selectbox("Position", ["top", "centre", "bottom"], key="vf_pos"),
        "size": b.selectbox("Size", ["small", "medium", "large"], index=1, key="vf_size"),
        "colour": c.selectbox("Colour", ["white", "yellow", "black", "red", "cyan"], key="vf_colour"),
        "start_s": a.number_input("Starts at (s)", 0.0, 30.0, 0.0, 0.5, key="vf_start"),
        "duration_s": b.number_input("Lasts (s)", 0.5, 30.0, 3.0, 0.5, key="vf_duration"),
        "box": c.toggle("Background box", True, key="vf_box"),
        "outline": c.toggle("Outline", True, key="vf_outline"),
        "platform": a.selectbox("Safe area of", ["tiktok", "reels", "shorts"], key="vf_platform"),
    }
    return style


def batch_form(project_id: str, *, user_id: str, services: Services) -> str | None:
    """The choices, the estimate, and Start. Returns the new batch's id when one was started."""
    picked = _sources(project_id, user_id=user_id, services=services)
    style = _style()
    st.subheader("5. Batch")
    mode = st.radio("Mode", list(MODES), format_func=labelled(MODES), key="vf_mode")
    left, right = st.columns(2)
    product = left.text_input("Product (for file names)", max_chars=80, key="vf_product")
    pattern = right.text_input(
        "File name pattern",
        DEFAULT_PATTERN,
        max_chars=120,
        key="vf_pattern",
        help="Placeholders: " + ", ".join("{" + f + "}" for f in FIELDS),
    )
    request = BatchRequest(project_id, mode=mode, product=product, naming_pattern=pattern, style=style, **picked)
    estimate = attempt(lambda: batches.estimate(request, user_id=user_id, services=services))
    if estimate is None:
        return None
    over = estimate.count > estimate.cap
    st.info(
        f"**{estimate.count} variants** from {estimate.videos} videos × {estimate.audios or 'original'} "
        f"sounds × {estimate.hooks or 'no'} hooks · cost ${estimate.cost_usd:.2f} (FFmpeg work is free) · "
        f"about {estimate.seconds:.0f} s" + (f" · over the cap of {estimate.cap}" if over else "")
    )
    if st.button("Start batch", type="primary", disabled=over or not estimate.count, key="vf_start_batch"):
        batch_id = attempt(lambda: batches.create_batch(request, user_id=user_id, services=services))
        if batch_id:
            st.session_state["vf_batch"] = batch_id
            return str(batch_id)
    return None


def _chip(status: str) -> str:
    return f":{CHIPS.get(status, 'gray')}-badge[{status}]"


def _variant_card(v: handoff.VariantView, *, user_id: str, services: Services, batch_expired: bool) -> None:
    with st.container(border=True):
        st.markdown(f"{_chip(v.status)} **#{v.n}** `{v.file_name}`")
        st.caption(f"{v.video_title} · {v.audio_title} · {v.hook_text or 'no hook'} [{v.hook_category}]")
        if v.error:
            st.caption(v.error)
        if v.status == "ready" and not batch_expired:
            if st.toggle("Play", key=f"vplay_{v.id}"):
                play_video(v.video_key, user_id=user_id, services=services)
            download(
                v.video_key,
                file_name=v.file_name,
                mime="video/mp4",
                user_id=user_id,
                services=services,
                widget_key=f"vdl_{v.id}",
            )
            st.checkbox("Keep", value=v.kept, disabled=v.kept, key=f"vkeep_{v.id}")
        if v.status == "failed" and st.button("Retry", key=f"vretry_{v.id}"):
            attempt(lambda: batches.retry_variant(v.id, user_id=user_id, services=services), "Retrying.")


def _grid(batch_id: str, user_id: str, services: Services) -> None:
    status = handoff.batch_status(batch_id, user_id=user_id, services=services)
    counts = " · ".join(f"{_chip(k)} {n}" for k, n in sorted(status.counts.items()))
    st.markdown(f"**{status.total} variants** — {counts}")
    st.progress(status.counts.get("ready", 0) / max(1, status.total))
    columns = st.columns(4)
    for i, v in enumerate(status.variants):
        with columns[i % 4]:
            _variant_card(v, user_id=user_id, services=services, batch_expired=status.expired)
    if not status.finished:
        return
    if st.session_state.get(f"vf_live_{batch_id}"):  # it was live: draw the finished state once
        st.session_state[f"vf_live_{batch_id}"] = False
        st.rerun()


def batch_view(batch_id: str, *, user_id: str, services: Services) -> None:
    status = handoff.batch_status(batch_id, user_id=user_id, services=services)
    hours = status.seconds_left / 3600
    st.subheader(f"Batch {status.name or status.id[:8]}")
    if status.expired:
        st.warning("This batch has expired: its files and ZIP were deleted. Kept variants are in the library.")
    else:
        st.caption(f"Files and ZIP are deleted in {hours:.1f} h; keep the variants you want in the video library.")
    live = not status.finished
    st.session_state[f"vf_live_{batch_id}"] = live
    st.fragment(_grid, run_every=POLL_S if live else None)(batch_id, user_id, services)
    if status.expired or not status.finished:
        return
    chosen = [v.id for v in status.variants if st.session_state.get(f"vkeep_{v.id}") and not v.kept]
    left, right = st.columns(2)
    if left.button(f"Keep {len(chosen)} chosen in the library", disabled=not chosen, key=f"keep_{batch_id}"):
        attempt(lambda: handoff.keep_variants(batch_id, chosen, user_id=user_id, services=services), "Kept.")
    with right:
        if status.zip_key:
            download(
                status.zip_key,
                file_name=f"variants-{batch_id[:8]}.zip",
                mime="application/zip",
                user_id=user_id,
                services=services,
                widget_key=f"zip_dl_{batch_id}",
                label="Download ZIP",
            )
        elif st.button("Build ZIP with manifest", key=f"zip_{batch_id}") and bool(
            attempt(lambda: handoff.build_zip(batch_id, user_id=user_id, services=services), "ZIP ready.")
        ):
            st.rerun()
