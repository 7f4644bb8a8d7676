"""Export presets (one job per export, with progress), the finished exports to play and download,
the hand-off ZIP for a real editor, and the version history."""

from __future__ import annotations

import streamlit as st

from components.runtime import show_error
from core.errors import StudioError
from core.ports_services import Services
from core.services.editor import edits, handoff, renders

POLL_S = 2.0
FORMATS = {"mp4": "MP4 (H.264/AAC)", "webm": "WebM (VP9/Opus)"}


def export_form(view: edits.EditView, *, user_id: str, services: Services) -> None:
    with st.form("ed_export"):
        st.markdown(f"**Export** version {view.version} · aspect {view.document.aspect}")
        cols = st.columns(3)
        resolution = cols[0].selectbox("Resolution", ["720p", "1080p", "4k"], index=1, key="ed_res")
        container = cols[1].selectbox(
            "Format",
            ["mp4", "webm"],
            key="ed_fmt",
            format_func=lambda name: FORMATS[name],
        )
        quality = cols[2].selectbox("Quality", ["draft", "standard", "high"], index=1, key="ed_quality")
        if st.form_submit_button("Export", type="primary", icon=":material/movie:", disabled=not view.can_edit):
            try:
                renders.start_export(
                    view.id,
                    resolution=str(resolution),
                    container=str(container),
                    quality=str(quality),
                    user_id=user_id,
                    services=services,
                )
            except StudioError as error:
                show_error(error)
            else:
                st.toast("Export started; it lands in the Library beside the original.")


def _export_line(item: renders.ExportView, *, user_id: str, services: Services) -> None:
    s = item.settings
    with st.container(border=True):
        st.markdown(
            f"**{s.get('resolution')} {s.get('container', '').upper()} {s.get('quality')}** · "
            f"from version {item.edit_version} · {item.status}"
        )
        if item.status in ("queued", "running"):
            st.progress(min(1.0, item.progress), text=f"Rendering… {item.progress:.0%}")
        elif item.status == "failed":
            st.error(item.error or "The export failed.")
        elif item.status == "ready":
            data, mime = renders.export_file(item.id, user_id=user_id, services=services)
            st.video(data, format=mime)
            st.download_button(
                "Download",
                data,
                file_name=f"edit-{item.id[:8]}.{s.get('container', 'mp4')}",
                mime=mime,
                key=f"ed_dl_{item.id}",
                icon=":material/download:",
            )


def _exports(edit_id: str, user_id: str, services: Services) -> None:
    for item in renders.list_exports(edit_id, user_id=user_id, services=services):
        _export_line(item, user_id=user_id, services=services)


def exports_list(view: edits.EditView, *, user_id: str, services: Services) -> None:
    listed = renders.list_exports(view.id, user_id=user_id, services=services)
    running = any(e.status in ("queued", "running") for e in listed)
    st.fragment(_exports, run_every=POLL_S if running else None)(view.id, user_id, services)


def handoff_panel(view: edits.EditView, *, user_id: str, services: Services) -> None:
    st.markdown(
        "**Hand off to a real editor**: the timeline as OpenTimelineIO, CMX 3600 EDL and Final Cut Pro XML, "
        "with the media in one ZIP (Premiere, Resolve and Final Cut open it)."
    )
    if st.button("Prepare the ZIP", key="ed_handoff", icon=":material/folder_zip:"):
        try:
            st.session_state["ed_zip"] = (
                view.id,
                view.version,
                handoff.handoff_zip(view.id, user_id=user_id, services=services),
            )
        except StudioError as error:
            show_error(error)
    ready = st.session_state.get("ed_zip")
    if ready and ready[0] == view.id and ready[1] == view.version:
        st.download_button(
            "Download the hand-off ZIP",
            ready[2],
            file_name=f"edit-v{view.version}.zip",
            mime="application/zip",
            key="ed_zip_dl",
            icon=":material/download:",
        )


def history_panel(view: edits.EditView, *, user_id: str, services: Services) -> None:
    for line in reversed(edits.history(view.id, user_id=user_id, services=services)):
        marker = " ← current" if line.current else ""
        st.markdown(f"v{line.version} · {line.action} · {line.created_at:%d %b %H:%M:%S}{marker}")
