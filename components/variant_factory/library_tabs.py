"""The Media library's tabs: videos (with collections), audio (with voice-overs) and hooks."""

from __future__ import annotations

import functools
from functools import partial

import streamlit as st

from components.choices import labelled
from components.variant_factory.common import attempt, download, pager, play_audio, play_video, poster
from core.ports_services import Services
from core.services.talking.catalog import list_actors
from core.services.variant_factory import audio, collections, hooks, media, uploads, voiceovers
from core.services.variant_factory.search import count_label
from core.services.variant_factory.views import AudioView, VideoView

PER_PAGE = 24
POLL_S = 2.0  # how often the chips of uploads being prepared refresh
VIDEO_KINDS = {"": "Any type", "source": "Source", "face_swapped": "Face-swapped", "variant": "Variant"}
AUDIO_ORIGINS = {"": "Any origin", "upload": "Uploaded", "studio": "Studio speech", "voiceover": "Voice-over"}


def _collection_filter(project_id: str, kind: str, *, user_id: str, services: Services, key: str) -> str | None:
    found = collections.list_collections(project_id, kind, user_id=user_id, services=services)
    names = {"": "All collections", **{c.id: f"{c.name} ({c.count})" for c in found}}
    return st.selectbox("Collection", list(names), format_func=labelled(names), key=key) or None


def _collections_panel(
    project_id: str, kind: str, ids: list[str], labels: dict[str, str], *, user_id: str, services: Services
) -> None:
    with st.expander(f"{kind.capitalize()} collections"):
        with st.form(f"new_{kind}_collection", clear_on_submit=True):
            name = st.text_input("New collection name", max_chars=collections.MAX_NAME)
            if st.form_submit_button("Create collection"):
                attempt(
                    lambda: collections.create_collection(project_id, kind, name, user_id=user_id, services=services),
                    "Collection created.",
                )
        found = collections.list_collections(project_id, kind, user_id=user_id, services=services)
        if not found or not ids:
            return
        names = {c.id: c.name for c in found}
        target = st.selectbox("Collection", list(names), format_func=labelled(names), key=f"{kind}_col_target")
        chosen = st.multiselect("Items on this page", ids, format_func=labelled(labels), key=f"{kind}_col_items")
        left, middle, right = st.columns(3)
        if left.button("Add to collection", key=f"{kind}_col_add", disabled=not chosen):
            attempt(
                lambda: collections.set_members(target, chosen, add=True, user_id=user_id, services=services), "Added."
            )
        if middle.button("Remove from collection", key=f"{kind}_col_remove", disabled=not chosen):
            attempt(
                lambda: collections.set_members(target, chosen, add=False, user_id=user_id, services=services),
                "Removed.",
            )
        if right.button("Delete collection", key=f"{kind}_col_delete"):
            attempt(lambda: collections.delete_collection(target, user_id=user_id, services=services), "Deleted.")


# --------------------------------------------------------------------------- videos


def _video_card(video: VideoView, *, user_id: str, services: Services) -> None:
    with st.container(border=True):
        poster(video.poster_key, user_id=user_id, services=services)
        st.markdown(f"**{video.title}**")
        st.caption(
            f"{VIDEO_KINDS.get(video.kind, video.kind)} · {video.duration_s:.1f} s · {video.aspect} · "
            f"{video.size_bytes / 1e6:.1f} MB"
        )
        if st.toggle("Play", key=f"play_{video.id}"):
            play_video(video.video_key, user_id=user_id, services=services)
        left, right = st.columns(2)
        with left:
            download(
                video.video_key,
                file_name=f"{video.id[:8]}.mp4",
                mime="video/mp4",
                user_id=user_id,
                services=services,
                widget_key=f"dl_{video.id}",
            )
        if right.button("Delete", key=f"del_{video.id}"):
            attempt(lambda: media.delete_video(video.id, user_id=user_id, services=services), "Deleted.")
            st.rerun()


UPLOAD_CHIPS = {
    "queued": ("Queued", "gray", ":material/schedule:"),
    "processing": ("Preparing", "blue", ":material/autorenew:"),
    "failed": ("Refused", "red", ":material/error:"),
}


def _upload_poll(project_id: str, user_id: str, services: Services) -> float | None:
    active = any(u.active for u in uploads.pending_uploads(project_id, user_id=user_id, services=services))
    return POLL_S if active else None


def _pending_uploads(project_id: str, user_id: str, services: Services) -> None:
    """Uploads still being checked (their chips refresh) and refusals with their reason."""
    pending = uploads.pending_uploads(project_id, user_id=user_id, services=services)
    for item in pending:
        with st.container(border=True):
            text, chip, action = st.columns([5, 2, 1], vertical_alignment="center")
            text.markdown(f"**{item.title}** · {item.size_bytes / 1e6:.1f} MB")
            label, colour, icon = UPLOAD_CHIPS[item.status]
            with chip:
                st.badge(label, color=colour, icon=icon)  # type: ignore[arg-type]
            if item.error:
                text.caption(f":red[{item.error}]")
            if not item.active and action.button("Dismiss", key=f"updismiss_{item.id}"):
                attempt(partial(uploads.dismiss_upload, item.id, user_id=user_id, services=services))
                st.rerun()
    was_active = st.session_state.get(f"uploads_active_{project_id}", False)
    now_active = any(u.active for u in pending)
    st.session_state[f"uploads_active_{project_id}"] = now_active
    if was_active and not now_active:
        st.rerun()  # a video just joined the library: redraw the grid, and stop polling


def videos_tab(project_id: str, *, user_id: str, services: Services) -> None:
    settings = services.settings
    with st.expander("Add videos"):
        with st.form("upload_video", clear_on_submit=True):
            upload = st.file_uploader(
                "MP4, MOV or WebM",
                type=["mp4", "mov", "webm"],
                max_upload_size=max(1, settings.factory_video_max_bytes // (1024 * 1024)),
            )
            title = st.text_input("Title", max_chars=media.MAX_TITLE)
            if st.form_submit_button("Upload") and upload is not None:
                attempt(
                    lambda: uploads.queue_video_upload(
                        project_id, upload.getvalue(), title=title or upload.name, user_id=user_id, services=services
                    ),
                    "Video uploaded: it is being checked and prepared.",
                )
        sources = dict(media.studio_sources(project_id, user_id=user_id, services=services))
        if sources:
            picked = st.selectbox("Or copy a finished studio video", list(sources), format_func=labelled(sources))
            if st.button("Add to the library", key="add_studio_video"):
                attempt(
                    lambda: media.add_studio_video(project_id, picked, user_id=user_id, services=services),
                    "Video added.",
                )
    st.fragment(_pending_uploads, run_every=_upload_poll(project_id, user_id, services))(project_id, user_id, services)
    left, middle, right = st.columns([3, 2, 2])
    query = left.text_input("Search titles", key="vlib_query")
    kind = middle.selectbox("Type", list(VIDEO_KINDS), format_func=labelled(VIDEO_KINDS), key="vlib_kind") or None
    with right:
        collection = _collection_filter(project_id, "video", user_id=user_id, services=services, key="vlib_col")
    page_no = int(st.session_state.get("vlib_page") or 1)
    found = media.list_videos(
        project_id,
        user_id=user_id,
        services=services,
        query=query,
        kind=kind,
        collection_id=collection,
        page=page_no,
        per_page=PER_PAGE,
    )
    st.caption(count_label(found.total, "video"))
    if not found.items:
        st.info("No videos here yet. Upload one or copy a finished studio video.")
    columns = st.columns(4)
    for i, video in enumerate(found.items):
        with columns[i % 4]:
            _video_card(video, user_id=user_id, services=services)
    pager(found.pages, key="vlib_page")
    _collections_panel(
        project_id,
        "video",
        [v.id for v in found.items],
        {v.id: v.title for v in found.items},
        user_id=user_id,
        services=services,
    )


# --------------------------------------------------------------------------- audio


def _audio_row(item: AudioView, *, user_id: str, services: Services) -> None:
    with st.container(border=True):
        left, right = st.columns([4, 1])
        length = f" · {item.duration_s:.1f} s" if item.duration_s else ""
        left.markdown(f"**{item.title}**  \n{AUDIO_ORIGINS.get(item.origin, item.origin)} · {item.status}{length}")
        if item.error:
            left.caption(item.error)
        if item.status == "ready":
            with left:
                play_audio(item.audio_key, user_id=user_id, services=services)
        if right.button("Delete", key=f"adel_{item.id}"):
            attempt(lambda: media.delete_audio(item.id, user_id=user_id, services=services), "Deleted.")
            st.rerun()


def _voiceover_form(project_id: str, *, user_id: str, services: Services) -> None:
    actors = {a.id: a.display_name for a in list_actors(services=services)}
    with st.form("voiceover", clear_on_submit=False):
        st.markdown("**New voice-over from a script**")
        script = st.text_area("Script", max_chars=services.settings.script_max_chars)
        actor = st.selectbox("Voice", list(actors), format_func=labelled(actors)) if actors else None
        title = st.text_input("Title", max_chars=media.MAX_TITLE, key="vo_title")
        if script.strip():
            cost = voiceovers.estimate_voiceover(script, user_id=user_id, services=services)
            st.caption(f"Estimated cost: ${cost:.3f}" if cost else "Free with the offline voice.")
        if st.form_submit_button("Make voice-over") and actor:
            attempt(
                lambda: voiceovers.create_voiceover(
                    project_id, script, actor, title=title, user_id=user_id, services=services
                ),
                "Voice-over on its way.",
            )


def audio_tab(project_id: str, *, user_id: str, services: Services) -> None:
    settings = services.settings
    with st.expander("Add audio"):
        with st.form("upload_audio", clear_on_submit=True):
            upload = st.file_uploader(
                "MP3, WAV, M4A or Ogg",
                type=["mp3", "wav", "m4a", "aac", "ogg"],
                max_upload_size=max(1, settings.factory_audio_max_bytes // (1024 * 1024)),
            )
            title = st.text_input("Title", max_chars=media.MAX_TITLE)
            if st.form_submit_button("Upload") and upload is not None:
                attempt(
                    lambda: audio.upload_audio(
                        project_id, upload.getvalue(), title=title or upload.name, user_id=user_id, services=services
                    ),
                    "Audio added.",
                )
        _voiceover_form(project_id, user_id=user_id, services=services)
    left, middle, right = st.columns([3, 2, 2])
    query = left.text_input("Search titles", key="alib_query")
    origin = middle.selectbox("Origin", list(AUDIO_ORIGINS), format_func=labelled(AUDIO_ORIGINS), key="alib_origin")
    with right:
        collection = _collection_filter(project_id, "audio", user_id=user_id, services=services, key="alib_col")
    found = audio.list_audio(
        project_id,
        user_id=user_id,
        services=services,
        query=query,
        origin=origin or None,
        collection_id=collection,
        page=int(st.session_state.get("alib_page") or 1),
        per_page=PER_PAGE,
    )
    st.caption(count_label(found.total, "audio file"))
    for item in found.items:
        _audio_row(item, user_id=user_id, services=services)
    pager(found.pages, key="alib_page")
    _collections_panel(
        project_id,
        "audio",
        [a.id for a in found.items],
        {a.id: a.title for a in found.items},
        user_id=user_id,
        services=services,
    )


# --------------------------------------------------------------------------- hooks


def _add_hooks(project_id: str, *, user_id: str, services: Services) -> None:
    with st.form("add_hooks", clear_on_submit=True):
        st.markdown("**Add hooks** — one a line; empty lines and duplicates are dropped.")
        raw = st.text_area("Hooks", height=140)
        upload = st.file_uploader("…or a CSV (hook[,category] per row)", type=["csv", "txt"])
        category = st.selectbox("Category", hooks.CATEGORIES, accept_new_options=True)
        if st.form_submit_button("Add"):
            text = upload.getvalue().decode("utf-8", "replace") if upload is not None else raw
            result = attempt(
                lambda: hooks.add_hooks(
                    project_id,
                    text,
                    category=category or "",
                    user_id=user_id,
                    services=services,
                    csv_file=upload is not None,
                )
            )
            if result is not None:
                st.success(
                    f"Added {result.added}; {result.duplicates} duplicates and {result.empty} empty lines dropped."
                )


def hooks_tab(project_id: str, *, user_id: str, services: Services) -> None:
    _add_hooks(project_id, user_id=user_id, services=services)
    left, right = st.columns([3, 2])
    query = left.text_input("Search hooks", key="hlib_query")
    known = hooks.categories_of(project_id, user_id=user_id, services=services)
    picked = right.multiselect("Categories", known, key="hlib_cats")
    found = hooks.list_hooks(
        project_id,
        user_id=user_id,
        services=services,
        query=query,
        categories=tuple(picked),
        page=int(st.session_state.get("hlib_page") or 1),
        per_page=50,
    )
    st.caption(count_label(found.total, "hook"))
    for hook in found.items:
        with st.container(border=True):
            text_col, cat_col, save_col, del_col = st.columns([6, 2, 1, 1], vertical_alignment="bottom")
            text = text_col.text_input("Hook", hook.text, key=f"htext_{hook.id}", label_visibility="collapsed")
            category = cat_col.text_input(
                "Category", hook.category, key=f"hcat_{hook.id}", label_visibility="collapsed"
            )
            if save_col.button("Save", key=f"hsave_{hook.id}"):
                attempt(
                    functools.partial(
                        hooks.edit_hook, hook.id, text=text, category=category, user_id=user_id, services=services
                    ),
                    "Saved.",
                )
            if del_col.button("Delete", key=f"hdel_{hook.id}"):
                delete = functools.partial(hooks.delete_hooks, [hook.id], user_id=user_id, services=services)
                attempt(delete, "Deleted.")
                st.rerun()
    pager(found.pages, key="hlib_page")
