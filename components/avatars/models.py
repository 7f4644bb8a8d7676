"""The Avatars page's LoRA and face-swap tabs."""

from __future__ import annotations

import streamlit as st

from components.avatars.manage import _run
from components.choices import labelled
from components.runtime import show_error
from core.domain.avatars import AvatarView
from core.errors import StudioError
from core.ports_services import Services
from core.services.ads import studio
from core.services.avatars import face_swap, lora, sheets
from core.services.avatars.media import twin_media_bytes
from core.services.usage import estimates

STATUS = {"pending": "⏳ pending", "training": "🏋️ training", "ready": "✅ ready", "failed": "❌ failed"}


def lora_tab(project_id: str, avatars: list[AvatarView], *, user_id: str, services: Services) -> None:
    if lora.can_train(user_id=user_id, services=services):
        _train_form(project_id, avatars, user_id=user_id, services=services)
    else:
        st.info(lora.NEEDS_FAL)
        st.page_link("pages/settings.py", label="Open Settings to add a fal.ai key")
    _upload_form(project_id, user_id=user_id, services=services)
    _use_form(project_id, user_id=user_id, services=services)
    for row in lora.list_loras(project_id, user_id=user_id, services=services):
        line = f"**{row.name}** · trigger `{row.trigger_phrase}` · {STATUS.get(row.status, row.status)} · {row.source}"
        st.markdown(line)
        if row.error:
            st.caption(str(row.error.get("message", "")))
        if st.button("Delete LoRA", key=f"dellora_{row.id}"):
            _run(lambda rid=row.id: lora.delete_lora(rid, user_id=user_id, services=services), rerun=True)


def _train_form(project_id: str, avatars: list[AvatarView], *, user_id: str, services: Services) -> None:
    with st.form("lora_train"):
        st.markdown("**Train a LoRA on fal** (about an hour; you can leave this page)")
        choice = st.selectbox("Avatar", [None, *[a.id for a in avatars]],
                              format_func=lambda i: "— upload 10-30 photos instead —" if i is None else
                              next(a.name for a in avatars if a.id == i))  # fmt: skip
        files = st.file_uploader("Or 10-30 photos", type=["png", "jpg", "jpeg", "webp"], accept_multiple_files=True)
        name = st.text_input("LoRA name", max_chars=120)
        trigger = st.text_input("Trigger phrase", placeholder="dana_person", max_chars=80)
        steps = st.number_input("Steps", 100, services.settings.lora_train_steps_max, 1000, step=100)
        cost = estimates.estimate_lora_training(int(steps), services=services, user_id=user_id)
        note = estimates.price_note("lora_train", services=services, user_id=user_id)
        st.caption(f"Cost: about ${cost:.2f} at {note}; held against today's limit until the training ends.")
        if st.form_submit_button("Start training", type="primary"):
            _run(lambda: lora.train_lora(
                project_id, name, trigger, steps=int(steps), avatar_id=choice,
                files=[f.getvalue() for f in files or []], user_id=user_id, services=services,
            ))  # fmt: skip


def _upload_form(project_id: str, *, user_id: str, services: Services) -> None:
    with st.form("lora_upload"):
        st.markdown("**Upload a LoRA** (`.safetensors`; its header is checked before it is stored)")
        data = st.file_uploader("LoRA file", type=["safetensors"])
        name = st.text_input("Name", max_chars=120, key="lora_up_name")
        trigger = st.text_input("Trigger phrase", max_chars=80, key="lora_up_trigger")
        if st.form_submit_button("Upload LoRA"):
            if data is None:
                st.warning("Choose a .safetensors file first.")
            else:
                _run(lambda: lora.upload_lora(project_id, name, trigger, data.getvalue(), user_id=user_id,
                                              services=services))  # fmt: skip


def _use_form(project_id: str, *, user_id: str, services: Services) -> None:
    ready = lora.list_loras(project_id, user_id=user_id, services=services, ready_only=True)
    ads = studio.list_ads(project_id, user_id=user_id, services=services)
    if not ready or not ads:
        return
    with st.form("lora_use"):
        st.markdown("**Use a LoRA for an ad's storyboard frames** (through the Wan 2.2 LoRA image model on fal)")
        names = {r.id: f"{r.name} ({r.trigger_phrase})" for r in ready}
        ad_id = st.selectbox("Ad", [a.id for a in ads], format_func=lambda i: next(a.title for a in ads if a.id == i))
        lora_id = st.selectbox("LoRA", [None, *names], format_func=lambda i: "— none —" if i is None else names[i])
        scale = st.slider("Scale", 0.05, 2.0, 1.0, 0.05)
        note = estimates.price_note("lora_image", services=services, user_id=user_id)
        st.caption(f"Storyboard frames with a LoRA: {note}.")
        if st.form_submit_button("Use for the storyboard"):
            _run(lambda: lora.use_lora_for_ad(ad_id, lora_id, scale=scale, user_id=user_id, services=services))


def _faces(avatars: list[AvatarView], *, user_id: str, services: Services) -> dict[tuple[str, str], str]:
    faces = {("photo", p.id): f"{a.name} · {p.angle.replace('_', ' ')} photo" for a in avatars for p in a.photos}
    for avatar in avatars:
        for sheet in sheets.list_sheets(avatar.id, user_id=user_id, services=services):
            faces[("sheet", sheet.id)] = f"{avatar.name} · sheet {sheet.created_at:%d %b %H:%M}"
    return faces


def face_swap_tab(project_id: str, avatars: list[AvatarView], *, user_id: str, services: Services) -> None:
    choice = services.providers_for(user_id).choices.get("face_swap")
    if choice is not None and choice.vendor == "local":
        st.caption("Offline face swap (OpenCV): a simple swap of the frontal face, labelled offline.")
    faces = _faces(avatars, user_id=user_id, services=services)
    sources = face_swap.swap_sources(project_id, user_id=user_id, services=services)
    with st.form("face_swap"):
        source = st.selectbox(
            "Video",
            [None, *range(len(sources))],
            format_func=lambda i: "— upload a video instead —" if i is None else sources[i].label,
        )
        upload = st.file_uploader("Or upload a video (MP4, MOV, WebM)", type=["mp4", "mov", "webm"])
        face = st.selectbox("Face", list(faces), format_func=labelled(faces))  # fmt: skip
        resolution = st.selectbox("Resolution (fal)", face_swap.RESOLUTIONS, index=2)
        note = estimates.price_note("face_swap", services=services, user_id=user_id)
        st.caption(f"Cost: {note}; the estimate is held when the swap starts and settled when it ends.")
        consent = st.checkbox(face_swap.CONSENT_TEXT)
        if st.form_submit_button("Swap the face", type="primary", disabled=not faces):
            picked = sources[source] if source is not None else None
            try:
                face_swap.start_face_swap(
                    project_id, face_kind=face[0], face_id=face[1], consent=consent, resolution=resolution,
                    source=picked, upload=None if picked else (upload.getvalue() if upload else None),
                    user_id=user_id, services=services,
                )  # fmt: skip
                st.success("Face swap queued.")
            except StudioError as exc:
                show_error(exc)
    for row in face_swap.list_face_swaps(project_id, user_id=user_id, services=services):
        st.markdown(f"**Face-swapped video** · {STATUS.get(row.status, row.status)} · {row.provider or 'queued'}")
        if row.video_key:
            try:
                st.video(twin_media_bytes(row.video_key, user_id=user_id, services=services))
            except StudioError as exc:
                st.caption(exc.message)
        if row.error:
            st.caption(str(row.error.get("message", "")))
        if st.button("Delete", key=f"delswap_{row.id}"):
            _run(lambda rid=row.id: face_swap.delete_face_swap(rid, user_id=user_id, services=services), rerun=True)
