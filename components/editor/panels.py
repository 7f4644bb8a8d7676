"""The editor's property panels: one form per action (clips, transitions, captions, audio), each
saving a new version of the edit through the service; errors are shown in plain words and
change nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace

import streamlit as st

from components.runtime import show_error
from core.domain import edit as ops
from core.errors import StudioError
from core.ports_services import Services
from core.services.editor import edits, renders

NOTICE = "editor_notice"


def apply(
    view: edits.EditView,
    action: str,
    operation: Callable[[ops.EditDoc], ops.EditDoc],
    *,
    user_id: str,
    services: Services,
) -> None:
    """Save one change as the next version, then redraw; a refused change shows why and saves nothing."""
    try:
        saved = edits.change(view.id, action, operation, base_version=view.version, user_id=user_id, services=services)
    except StudioError as error:
        show_error(error)
        return
    st.session_state[NOTICE] = f"Saved: {action} (version {saved.version})."
    st.rerun()


def k(view: edits.EditView, name: str, *parts: str) -> str:
    """A widget key tied to the document version (and item): after any change, undo or redo the
    forms show the saved values, not what was typed into an older version."""
    return "_".join([name, *parts, f"v{view.version}"])


def _new_id() -> str:
    return uuid.uuid4().hex[:10]


def _clip_label(doc: ops.EditDoc, clip_id: str) -> str:
    index = next(i for i, c in enumerate(doc.clips) if c.id == clip_id)
    clip = doc.clips[index]
    return f"{index + 1}. {clip.label or 'Clip'} ({clip.length_s:.1f} s)"


def clips_panel(view: edits.EditView, *, user_id: str, services: Services) -> None:
    doc = view.document
    clip_id = st.selectbox("Clip", [c.id for c in doc.clips], format_func=lambda i: _clip_label(doc, i))
    clip = next(c for c in doc.clips if c.id == clip_id)
    index = [c.id for c in doc.clips].index(clip_id)
    with st.form("ed_trim"):
        st.markdown(f"**Trim** (the source lasts {clip.source_s:.2f} s)")
        left, right = st.columns(2)
        in_s = left.number_input(
            "In (s)", value=float(clip.in_s), step=0.1, format="%.2f", key=k(view, "ed_in", clip_id)
        )
        out_s = right.number_input(
            "Out (s)", value=float(clip.out_s), step=0.1, format="%.2f", key=k(view, "ed_out", clip_id)
        )
        if st.form_submit_button("Apply trim", icon=":material/content_cut:"):
            apply(
                view,
                f"Trim clip {index + 1}",
                lambda d: ops.trim_clip(d, clip_id, in_s, out_s),
                user_id=user_id,
                services=services,
            )
    with st.form("ed_crop"):
        st.markdown("**Crop** (percent from each side)")
        cols = st.columns(4)
        sides = [
            cols[i].number_input(
                name, 0.0, 45.0, float(getattr(clip.crop, name.lower())), 1.0, key=k(view, f"ed_crop_{name}", clip_id)
            )
            for i, name in enumerate(("Left", "Right", "Top", "Bottom"))
        ]
        if st.form_submit_button("Apply crop", icon=":material/crop:"):
            apply(
                view,
                f"Crop clip {index + 1}",
                lambda d: ops.crop_clip(d, clip_id, ops.Crop(*sides)),
                user_id=user_id,
                services=services,
            )
    with st.container(horizontal=True):
        position = st.number_input("Move to position", 1, len(doc.clips), index + 1, key=k(view, "ed_move_to", clip_id))
        if st.button("Move", key="ed_move", icon=":material/swap_horiz:"):
            apply(
                view,
                f"Move clip {index + 1} to {position}",
                lambda d: ops.move_clip(d, clip_id, int(position) - 1),
                user_id=user_id,
                services=services,
            )
        if st.button("Duplicate", key="ed_dup", icon=":material/content_copy:"):
            apply(
                view,
                f"Duplicate clip {index + 1}",
                lambda d: ops.duplicate_clip(d, clip_id, _new_id()),
                user_id=user_id,
                services=services,
            )
        if st.button("Delete", key="ed_del", icon=":material/delete:"):
            apply(
                view,
                f"Delete clip {index + 1}",
                lambda d: ops.delete_clip(d, clip_id),
                user_id=user_id,
                services=services,
            )
    _replace_form(view, clip_id, index, user_id=user_id, services=services)


def _replace_form(view: edits.EditView, clip_id: str, index: int, *, user_id: str, services: Services) -> None:
    choices = renders.clip_choices(view.id, user_id=user_id, services=services)
    if not choices:
        st.caption("No other takes or library videos to replace this clip with.")
        return
    with st.form("ed_replace"):
        pick = st.selectbox("Replace with", range(len(choices)), format_func=lambda i: choices[i].label, key="ed_rep")
        if st.form_submit_button("Replace clip", icon=":material/find_replace:"):
            chosen = choices[pick]
            apply(
                view,
                f"Replace clip {index + 1}",
                lambda d: ops.replace_clip(d, clip_id, chosen.key, chosen.duration_s, chosen.label),
                user_id=user_id,
                services=services,
            )


def transitions_panel(view: edits.EditView, *, user_id: str, services: Services) -> None:
    doc = view.document
    if len(doc.clips) < 2:
        st.caption("Transitions join two clips; this edit has one.")
        return
    later = [c.id for c in doc.clips[1:]]
    clip_id = st.selectbox("Into clip", later, format_func=lambda i: _clip_label(doc, i))
    clip = next(c for c in doc.clips if c.id == clip_id)
    with st.form("ed_transition"):
        names = list(ops.TRANSITIONS)
        name = st.selectbox("Transition", names, index=names.index(clip.transition), key=k(view, "ed_tr_name", clip_id))
        seconds = st.number_input(
            "Length (s)",
            0.1,
            ops.MAX_TRANSITION_S,
            max(0.1, clip.transition_s or 0.5),
            0.1,
            key=k(view, "ed_tr_s", clip_id),
        )
        if st.form_submit_button("Apply transition", icon=":material/animation:"):
            apply(
                view,
                f"Transition: {name}",
                lambda d: ops.set_transition(d, clip_id, name, seconds),
                user_id=user_id,
                services=services,
            )


def captions_panel(view: edits.EditView, *, user_id: str, services: Services) -> None:
    doc = view.document
    if doc.captions:
        cap_id = st.selectbox(
            "Caption",
            [c.id for c in doc.captions],
            format_func=lambda i: next(f"{c.start_s:.1f}s {c.text[:40]}" for c in doc.captions if c.id == i),
        )
        cap = next(c for c in doc.captions if c.id == cap_id)
        with st.form("ed_caption"):
            text = st.text_area("Text", cap.text, max_chars=None, key=k(view, "ed_cap_text", cap_id))
            left, right = st.columns(2)
            start = left.number_input(
                "Start (s)", value=float(cap.start_s), step=0.1, format="%.2f", key=k(view, "ed_cap_start", cap_id)
            )
            end = right.number_input(
                "End (s)", value=float(cap.end_s), step=0.1, format="%.2f", key=k(view, "ed_cap_end", cap_id)
            )
            if st.form_submit_button("Save caption", icon=":material/save:"):
                apply(
                    view,
                    "Edit caption",
                    lambda d: ops.edit_caption(d, cap_id, text, start, end),
                    user_id=user_id,
                    services=services,
                )
        with st.container(horizontal=True):
            at = st.number_input(
                "Split at (s)",
                value=round((cap.start_s + cap.end_s) / 2, 2),
                step=0.1,
                key=k(view, "ed_split_at", cap_id),
            )
            if st.button("Split", key="ed_split", icon=":material/call_split:"):
                apply(
                    view,
                    "Split caption",
                    lambda d: ops.split_caption(d, cap_id, at, _new_id()),
                    user_id=user_id,
                    services=services,
                )
            if st.button("Merge with next", key="ed_merge", icon=":material/call_merge:"):
                apply(
                    view, "Merge captions", lambda d: ops.merge_caption(d, cap_id), user_id=user_id, services=services
                )
            if st.button("Delete caption", key="ed_cap_del", icon=":material/delete:"):
                apply(
                    view, "Delete caption", lambda d: ops.delete_caption(d, cap_id), user_id=user_id, services=services
                )
    with st.form("ed_cap_add"):
        st.markdown("**Add a caption**")
        text = st.text_input("Text", key="ed_add_text")
        left, right = st.columns(2)
        start = left.number_input("Start (s)", value=0.0, step=0.1, key="ed_add_start")
        end = right.number_input("End (s)", value=1.5, step=0.1, key="ed_add_end")
        if st.form_submit_button("Add caption", icon=":material/add:"):
            apply(
                view,
                "Add caption",
                lambda d: ops.add_caption(d, _new_id(), text, start, end),
                user_id=user_id,
                services=services,
            )
    _style_form(view, user_id=user_id, services=services)


def _style_form(view: edits.EditView, *, user_id: str, services: Services) -> None:
    style = view.document.caption_style
    with st.form("ed_style"):
        st.markdown("**Caption style**")
        cols = st.columns(3)
        font = cols[0].selectbox("Font", ops.FONTS, index=ops.FONTS.index(style.font), key=k(view, "ed_font"))
        size = cols[1].number_input("Size", 16, 160, style.size, key=k(view, "ed_size"))
        outline = cols[2].number_input("Outline", 0, 12, style.outline, key=k(view, "ed_outline"))
        more = st.columns(4)
        colour = more[0].color_picker("Colour", style.colour, key=k(view, "ed_colour"))
        outline_colour = more[1].color_picker("Outline colour", style.outline_colour, key=k(view, "ed_outline_colour"))
        position = more[2].selectbox(
            "Position", ops.POSITIONS, index=ops.POSITIONS.index(style.position), key=k(view, "ed_pos")
        )
        animation = more[3].selectbox(
            "Animation", ops.ANIMATIONS, index=ops.ANIMATIONS.index(style.animation), key=k(view, "ed_anim")
        )
        box = st.checkbox("Background box", style.box, key=k(view, "ed_box"))
        highlight = st.color_picker(
            "Spoken word colour (word highlight)", style.highlight_colour, key=k(view, "ed_highlight")
        )
        if st.form_submit_button("Apply style", icon=":material/format_paint:"):
            new = ops.CaptionStyle(
                font, int(size), colour.upper(), int(outline), outline_colour.upper(), box, position, animation
            )
            new = replace(new, highlight_colour=highlight.upper())
            apply(view, "Caption style", lambda d: ops.set_caption_style(d, new), user_id=user_id, services=services)


def _track_form(view: edits.EditView, track: str, title: str, *, user_id: str, services: Services) -> None:
    current: ops.AudioTrack = getattr(view.document, track)
    with st.form(f"ed_audio_{track}"):
        st.markdown(f"**{title}**")
        cols = st.columns(3)
        volume = cols[0].slider("Volume %", 0, 200, round(current.volume * 100), key=k(view, f"ed_vol_{track}"))
        fade_in = cols[1].number_input(
            "Fade in (s)", 0.0, 10.0, float(current.fade_in_s), 0.1, key=k(view, f"ed_fi_{track}")
        )
        fade_out = cols[2].number_input(
            "Fade out (s)", 0.0, 10.0, float(current.fade_out_s), 0.1, key=k(view, f"ed_fo_{track}")
        )
        if st.form_submit_button(f"Apply {title.lower()}", icon=":material/tune:"):
            apply(
                view,
                f"{title}: volume and fades",
                lambda d: ops.set_audio(d, track, volume=volume / 100, fade_in_s=fade_in, fade_out_s=fade_out),
                user_id=user_id,
                services=services,
            )


def audio_panel(view: edits.EditView, *, user_id: str, services: Services) -> None:
    doc = view.document
    _track_form(view, "voice", "Voiceover", user_id=user_id, services=services)
    _track_form(view, "music", "Music", user_id=user_id, services=services)
    with st.form("ed_mix"):
        st.markdown("**Mix**")
        master = st.slider("Master volume %", 0, 200, round(doc.master_volume * 100), key=k(view, "ed_master"))
        ducking = st.checkbox("Duck the music under the voice", doc.ducking, key=k(view, "ed_duck"))
        if st.form_submit_button("Apply mix", icon=":material/graphic_eq:"):
            apply(
                view,
                "Mix",
                lambda d: ops.set_mix(d, master_volume=master / 100, ducking=ducking),
                user_id=user_id,
                services=services,
            )
    _music_source(view, user_id=user_id, services=services)


def _music_source(view: edits.EditView, *, user_id: str, services: Services) -> None:
    st.markdown("**Music**: " + (view.document.music.items[0].label if view.document.music.items else "none"))
    choices = renders.music_choices(view.id, user_id=user_id, services=services)
    if choices:
        with st.form("ed_music_lib"):
            pick = st.selectbox(
                "From the audio library",
                range(len(choices)),
                format_func=lambda i: choices[i].label,
                key="ed_music_pick",
            )
            if st.form_submit_button("Use this music", icon=":material/library_music:"):
                c = choices[pick]
                item = ops.AudioItem(
                    _new_id(), c.key, c.duration_s, 0.0, 0.0, min(c.duration_s, ops.total_s(view.document)), c.label
                )
                apply(
                    view, "Music from the library", lambda d: ops.set_music(d, item), user_id=user_id, services=services
                )
    with st.form("ed_music_upload", clear_on_submit=True):
        upload = st.file_uploader("Upload music (MP3 or WAV)", type=["mp3", "wav"], key="ed_music_file")
        if st.form_submit_button("Use the upload", icon=":material/upload:") and upload is not None:
            try:
                item = renders.music_upload(view.id, upload.getvalue(), user_id=user_id, services=services)
            except StudioError as error:
                show_error(error)
            else:
                apply(view, "Uploaded music", lambda d: ops.set_music(d, item), user_id=user_id, services=services)
                renders.discard_upload(item, services)  # reached only when the change was refused
    if view.document.music.items and st.button("Remove the music", key="ed_music_off", icon=":material/music_off:"):
        apply(view, "Remove music", lambda d: ops.set_music(d, None), user_id=user_id, services=services)


def _sfx_label(doc: ops.EditDoc, sfx_id: str) -> str:
    item = next(i for i in doc.sfx if i.id == sfx_id)
    return f"{item.start_s:.1f}s {item.label or 'Sound'} ({item.length_s:.1f} s)"


def sfx_panel(view: edits.EditView, playhead_s: float, *, user_id: str, services: Services) -> None:
    """Sound effects: added at the playhead from the audio library or an upload, then moved,
    given a volume and fades, or removed; each change a version of the edit."""
    doc = view.document
    st.markdown(f"**Sound effects** ({len(doc.sfx)}) · new ones start at the playhead ({playhead_s:.1f} s)")
    choices = renders.music_choices(view.id, user_id=user_id, services=services)
    if choices:
        with st.form("ed_sfx_lib"):
            pick = st.selectbox(
                "From the audio library", range(len(choices)), format_func=lambda i: choices[i].label, key="ed_sfx_pick"
            )
            if st.form_submit_button("Add this sound", icon=":material/library_music:"):
                item = renders.sfx_from_library(choices[pick], playhead_s)
                apply(view, "Add a sound effect", lambda d: ops.add_sfx(d, item), user_id=user_id, services=services)
    with st.form("ed_sfx_upload", clear_on_submit=True):
        upload = st.file_uploader("Upload a sound effect (MP3 or WAV)", type=["mp3", "wav"], key="ed_sfx_file")
        if st.form_submit_button("Add the upload", icon=":material/upload:") and upload is not None:
            try:
                item = renders.sfx_upload(
                    view.id, upload.getvalue(), at_s=playhead_s, user_id=user_id, services=services
                )
            except StudioError as error:
                show_error(error)
            else:
                apply(view, "Upload a sound effect", lambda d: ops.add_sfx(d, item), user_id=user_id, services=services)
                renders.discard_upload(item, services)  # reached only when the change was refused
    if not doc.sfx:
        return
    sfx_id = st.selectbox(
        "Sound effect", [i.id for i in doc.sfx], format_func=lambda i: _sfx_label(doc, i), key="ed_sfx_item"
    )
    item = next(i for i in doc.sfx if i.id == sfx_id)
    with st.form("ed_sfx_edit"):
        cols = st.columns(4)
        start = cols[0].number_input(
            "Starts at (s)", value=float(item.start_s), step=0.1, format="%.2f", key=k(view, "ed_sfx_at", sfx_id)
        )
        volume = cols[1].slider("Volume %", 0, 200, round(item.volume * 100), key=k(view, "ed_sfx_vol", sfx_id))
        fade_in = cols[2].number_input(
            "Fade in (s)", value=float(item.fade_in_s), step=0.1, key=k(view, "ed_sfx_fi", sfx_id)
        )
        fade_out = cols[3].number_input(
            "Fade out (s)", value=float(item.fade_out_s), step=0.1, key=k(view, "ed_sfx_fo", sfx_id)
        )
        if st.form_submit_button("Apply to the sound", icon=":material/tune:"):

            def changed(d: ops.EditDoc) -> ops.EditDoc:
                moved = ops.move_sfx(d, sfx_id, start) if start != item.start_s else d
                return ops.set_sfx(moved, sfx_id, volume=volume / 100, fade_in_s=fade_in, fade_out_s=fade_out)

            apply(view, "Sound effect: place, volume and fades", changed, user_id=user_id, services=services)
    if st.button("Remove the sound", key="ed_sfx_del", icon=":material/delete:"):
        apply(view, "Remove a sound effect", lambda d: ops.remove_sfx(d, sfx_id), user_id=user_id, services=services)
