"""Editor: fix a finished ad or talking video on a timeline, preview it, export it, hand it off.

Opened from the Library, the gallery or the wizard's result with `?output=<ad output id>`,
`?video=<video id>` or `?edit=<edit id>`; every change is saved as a new version at once."""

from __future__ import annotations

import streamlit as st

from components.editor import panels, voice_panel
from components.editor.export_panel import export_form, exports_list, handoff_panel, history_panel
from components.editor.timeline import timeline_chart
from components.runtime import current_user_id, show_error, studio
from core.domain import edit as ops
from core.errors import StudioError
from core.services.editor import edits, renders

services = studio()
user_id = current_user_id()
OPEN = "editor_open"  # (kind, id) set by a button elsewhere, like the query parameters


def _wanted_edit() -> str | None:
    params = st.query_params
    source = st.session_state.pop(OPEN, None)
    if source is None and params.get("output"):
        source = ("ad_output", params["output"])
    elif source is None and params.get("video"):
        source = ("video", params["video"])
    if source is not None:
        edit_id = edits.open_edit(source[0], source[1], user_id=user_id, services=services)
        st.query_params.clear()
        st.query_params["edit"] = edit_id
        return edit_id
    return params.get("edit") or st.session_state.get("editor_edit_id")


st.title("Editor")
try:
    edit_id = _wanted_edit()
except StudioError as error:
    show_error(error)
    edit_id = None
if not edit_id:
    existing = edits.list_edits(None, user_id=user_id, services=services)
    st.caption("Open a finished ad or talking video from the Library (its Edit button), or pick an edit.")
    if existing:
        titles = dict(existing)
        pick = st.selectbox("Your edits", list(titles), format_func=lambda i: titles[i] or "Edit", key="ed_pick")
        if st.button("Open", key="ed_open", icon=":material/edit:") and pick:
            st.query_params["edit"] = pick
            st.rerun()
    st.page_link("pages/library.py", label="Go to the Library", icon=":material/video_library:")
    st.stop()

st.session_state["editor_edit_id"] = edit_id
try:
    view = edits.get_edit(edit_id, user_id=user_id, services=services)
except StudioError as error:
    show_error(error)
    st.session_state.pop("editor_edit_id", None)
    st.stop()
doc = view.document
total = ops.total_s(doc)

with st.container(horizontal=True, vertical_alignment="center"):
    st.subheader(view.title or "Edit")
    if st.button("Undo", key="ed_undo", icon=":material/undo:", disabled=not (view.can_undo and view.can_edit)):
        try:
            edits.undo(view.id, base_version=view.version, user_id=user_id, services=services)
            st.rerun()
        except StudioError as error:
            show_error(error)
    if st.button("Redo", key="ed_redo", icon=":material/redo:", disabled=not (view.can_redo and view.can_edit)):
        try:
            edits.redo(view.id, base_version=view.version, user_id=user_id, services=services)
            st.rerun()
        except StudioError as error:
            show_error(error)
st.caption(
    f"Version {view.version} · {view.last_action} · {total:.2f} s · {len(doc.clips)} clips · "
    f"{len(doc.captions)} captions · saved as you go"
)
if notice := st.session_state.pop(panels.NOTICE, None):
    st.success(notice, icon=":material/check:")
if not view.can_edit:
    st.info("You can view this edit; only editors of the project can change it.", icon=":material/visibility:")

playhead = st.slider("Playhead (s)", 0.0, max(total, 0.1), 0.0, 0.1, key="ed_playhead")
st.altair_chart(timeline_chart(doc, playhead), width="stretch")

preview, properties = st.columns([2, 3], gap="large")
with preview:
    st.markdown("**Preview** (fast low-resolution proxy of this version)")
    if st.button("Render the preview", key="ed_preview", icon=":material/play_circle:"):
        try:
            st.session_state["ed_proxy"] = (
                view.id,
                view.version,
                renders.proxy(view.id, user_id=user_id, services=services).read_bytes(),
            )
        except StudioError as error:
            show_error(error)
    try:
        frame = renders.frame_at(view.id, playhead, user_id=user_id, services=services)
    except StudioError as error:
        show_error(error)
    else:  # the exact frame of this version at the playhead, redrawn whenever the playhead moves
        st.image(frame.read_bytes(), caption=f"Frame at {playhead:.2f} s", width="stretch")
    shown = st.session_state.get("ed_proxy")
    if shown and shown[0] == view.id and shown[1] == view.version:
        st.video(shown[2], start_time=int(playhead))
    else:
        st.caption("Render the preview to play this version from the playhead.")
with properties:
    tabs = st.tabs(["Clips", "Transitions", "Captions", "Audio", "Export", "Hand-off", "History"])
    if view.can_edit:
        with tabs[0]:
            panels.clips_panel(view, user_id=user_id, services=services)
            aspects = ["9:16", "1:1", "16:9"]
            aspect = st.selectbox(
                "Aspect (the picture is cropped to fill it)",
                aspects,
                index=aspects.index(doc.aspect),
                key=f"ed_aspect_v{view.version}",
            )
            if aspect != doc.aspect:
                panels.apply(
                    view, f"Aspect {aspect}", lambda d: ops.set_aspect(d, aspect), user_id=user_id, services=services
                )
        with tabs[1]:
            panels.transitions_panel(view, user_id=user_id, services=services)
        with tabs[2]:
            voice_panel.captions_from_voice_button(view, user_id=user_id, services=services)
            panels.captions_panel(view, user_id=user_id, services=services)
        with tabs[3]:
            voice_panel.say_again_form(view, user_id=user_id, services=services)
            panels.audio_panel(view, user_id=user_id, services=services)
            panels.sfx_panel(view, playhead, user_id=user_id, services=services)
    with tabs[4]:
        export_form(view, user_id=user_id, services=services)
        exports_list(view, user_id=user_id, services=services)
    with tabs[5]:
        handoff_panel(view, user_id=user_id, services=services)
    with tabs[6]:
        history_panel(view, user_id=user_id, services=services)
