"""The Avatars page's avatar pieces: create from photos (with consent), angle coverage, edit, sheets."""

from __future__ import annotations

import functools

import streamlit as st

from components.choices import labelled
from components.runtime import show_error
from components.talking import own_avatar_picker
from core.domain.avatars import ANGLE_LABELS, ANGLES, AvatarView
from core.errors import StudioError
from core.ports_services import Services
from core.services.avatars import manage, sheets
from core.services.avatars.media import twin_media_bytes

PROVIDERS = ("local", "fal", "google")


def picture(key: str, *, user_id: str, services: Services, caption: str | None = None) -> None:
    try:
        st.image(twin_media_bytes(key, user_id=user_id, services=services), caption=caption, width="stretch")
    except StudioError as exc:
        st.caption(exc.message)


def create_form(project_id: str, *, user_id: str, services: Services) -> None:
    with st.form("avatar_create", clear_on_submit=False):
        st.markdown("**New avatar**: 3-10 photos of one person; the front and both profiles make it *ready*.")
        name = st.text_input("Name", max_chars=120)
        files = st.file_uploader(
            "Photos (PNG, JPEG or WebP)", type=["png", "jpg", "jpeg", "webp"], accept_multiple_files=True
        )
        shared = st.checkbox("Share with the project's team")
        consent = st.checkbox(manage.CONSENT_TEXT)
        if st.form_submit_button("Create avatar", type="primary"):
            try:
                with st.spinner("Checking the photos and finding the face in each…"):
                    manage.create_avatar(
                        project_id, name, [f.getvalue() for f in files or []], consent=consent, shared=shared,
                        user_id=user_id, services=services,
                    )  # fmt: skip
                st.success("Avatar created.")
            except StudioError as exc:
                show_error(exc)


def coverage_line(avatar: AvatarView) -> str:
    coverage = avatar.coverage
    present = ", ".join(ANGLE_LABELS[a] for a in coverage.present) or "none"
    if coverage.ready:
        return f"✅ Ready: {present}"
    return f"⏳ Not ready: missing {coverage.missing_text()} (has {present})"


def avatar_panel(avatar: AvatarView, *, user_id: str, services: Services) -> None:
    st.markdown(f"### {avatar.name}" + (" · shared" if avatar.shared else ""))
    st.caption(coverage_line(avatar))
    columns = st.columns(min(5, max(1, len(avatar.photos))))
    for index, photo in enumerate(avatar.photos):
        with columns[index % len(columns)]:
            picture(photo.image_key, user_id=user_id, services=services, caption=ANGLE_LABELS[photo.angle])
            st.caption(f"by {photo.classified_by}")
            angle = st.selectbox(
                "Angle", ANGLES, index=ANGLES.index(photo.angle), format_func=labelled(ANGLE_LABELS),
                key=f"angle_{photo.id}", label_visibility="collapsed",
            )  # fmt: skip
            if angle != photo.angle:
                _run(lambda p=photo.id, a=angle: manage.set_photo_angle(p, a, user_id=user_id, services=services))
    with st.expander("Edit name, voice and DNA"):
        _edit_form(avatar, user_id=user_id, services=services)
    sheets_panel(avatar, user_id=user_id, services=services)
    if "front" in avatar.coverage.present and st.button(
        "Use in a talking video", key=f"talk_{avatar.id}", icon=":material/movie:"
    ):
        own_avatar_picker.use_in_video(avatar)
    if st.button("Delete avatar", key=f"del_{avatar.id}", help="Removes its photos and sheets from storage"):
        _run(lambda: manage.delete_avatar(avatar.id, user_id=user_id, services=services), rerun=True)


def _edit_form(avatar: AvatarView, *, user_id: str, services: Services) -> None:
    with st.form(f"edit_{avatar.id}"):
        name = st.text_input("Name", value=avatar.name, max_chars=120)
        current = avatar.voice.get("provider")
        index = PROVIDERS.index(current) if current in PROVIDERS else 0
        provider = st.selectbox("Voice provider", PROVIDERS, index=index)
        voice_id = st.text_input("Voice id (as in that provider's voice list)", value=avatar.voice.get("voice_id", ""))
        dna = {
            f: st.text_input(f.replace("_", " ").capitalize(), value=avatar.dna.get(f, "")) for f in manage.DNA_FIELDS
        }
        shared = st.checkbox("Shared with the team", value=avatar.shared, disabled=not avatar.mine)
        if st.form_submit_button("Save"):
            _run(
                lambda: manage.update_avatar(
                    avatar.id, name=name, voice={"provider": provider, "voice_id": voice_id}, dna=dna,
                    shared=shared if avatar.mine else None, user_id=user_id, services=services,
                ),
                rerun=True,
            )  # fmt: skip


def sheets_panel(avatar: AvatarView, *, user_id: str, services: Services) -> None:
    st.markdown("**Character reference sheets**")
    if st.button("Make a reference sheet", key=f"sheet_{avatar.id}"):
        with st.spinner("Making the sheet…"):
            _run(lambda: sheets.make_sheet(avatar.id, user_id=user_id, services=services))
    for sheet in sheets.list_sheets(avatar.id, user_id=user_id, services=services):
        label = "composed from the photos (offline)" if sheet.method == "composed" else f"generated by {sheet.provider}"
        picture(sheet.image_key, user_id=user_id, services=services)
        st.caption(f"Sheet · {label}")
        left, right = st.columns(2)
        left.download_button(
            "Download sheet", data=functools.partial(sheets.sheet_bytes, sheet.id, user_id=user_id, services=services),
            file_name=f"{avatar.name}-sheet.png", mime="image/png", key=f"dl_{sheet.id}", on_click="ignore",
        )  # fmt: skip
        if right.button("Delete sheet", key=f"delsheet_{sheet.id}"):
            _run(lambda sid=sheet.id: sheets.delete_sheet(sid, user_id=user_id, services=services), rerun=True)


def _run(action, *, rerun: bool = False) -> None:  # type: ignore[no-untyped-def]
    try:
        action()
    except StudioError as exc:
        show_error(exc)
        return
    if rerun:
        st.rerun()


def saved_avatar_picker(ad, *, user_id: str, services: Services) -> None:  # type: ignore[no-untyped-def]
    """The wizard's "Saved avatars" tab: the project's avatars from the Avatars page."""
    from core.services.avatars import wizard

    own = [a for a in manage.usable_avatars(ad.project_id, user_id=user_id, services=services) if a.kind == "own"]
    if not own:
        st.caption("No saved avatars in this project yet: make one on the Avatars page.")
        return
    names = {a.id: a.name for a in own}
    picked = st.selectbox("Saved avatar", list(names), format_func=labelled(names), key="ugc_saved_avatar")
    if st.button("Use this avatar", key="ugc_use_saved_avatar"):
        _run(lambda: wizard.choose_saved_avatar(ad.id, picked, user_id=user_id, services=services), rerun=True)
