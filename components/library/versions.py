"""An ad's versions side by side: the list (each with its parent), two pickers, and two players
next to each other that can start together (muted, so both can autoplay)."""

from __future__ import annotations

import streamlit as st

from components.runtime import show_error
from core.errors import StudioError
from core.ports_services import Services
from core.services.ads import media
from core.services.library import versions as ad_versions


def _player(version: ad_versions.AdVersion, side: str, *, together: bool, user_id: str, services: Services) -> None:
    st.markdown(f"**{version.label}**")
    try:
        data = media.media_bytes(version.video_key, user_id=user_id, services=services) if version.video_key else None
    except StudioError:
        data = None
    if data is None:
        st.info("This version's file is not available.", icon=":material/hourglass_top:")
        return
    # `alt` names the side too: two autoplaying players of one file need distinct identities.
    st.video(data, format="video/mp4", autoplay=together, muted=together, alt=f"{side}: {version.label}")
    if version.duration_s:
        st.caption(f"{version.duration_s:.1f} s")


def versions_panel(output_id: str, *, user_id: str, services: Services) -> None:
    try:
        found = ad_versions.ad_versions(output_id, user_id=user_id, services=services)
    except StudioError as error:
        show_error(error)
        return
    by_id = {v.output_id: v for v in found.versions}
    for version in reversed(found.versions):
        mark = " ← this card" if version.output_id == output_id else ""
        st.markdown(f"- {version.label}{mark}")
    if len(found.versions) < 2:
        st.caption(
            "This ad has one version. Export an edit of it or make it again, and each result "
            "shows here as a new version beside this one."
        )
        return
    ids = [v.output_id for v in found.versions]
    here = by_id.get(output_id)
    left_default = ids.index(here.parent_id) if here and here.parent_id in by_id else 0
    right_default = (
        ids.index(output_id) if output_id in by_id and ids.index(output_id) != left_default else len(ids) - 1
    )
    pick = st.columns(2)
    left = pick[0].selectbox(
        "Left", ids, index=left_default, format_func=lambda i: by_id[i].label, key=f"lib_v_left_{found.ad_id}"
    )
    right = pick[1].selectbox(
        "Right", ids, index=right_default, format_func=lambda i: by_id[i].label, key=f"lib_v_right_{found.ad_id}"
    )
    together = st.toggle("Play both together (muted)", key=f"lib_v_together_{found.ad_id}")
    players = st.columns(2, gap="small")
    for column, side, chosen in zip(players, ("Left", "Right"), (left, right), strict=True):
        with column:
            _player(by_id[chosen], side, together=together, user_id=user_id, services=services)
            if found.can_edit:
                st.page_link(
                    "pages/editor.py",
                    label=f"Edit v{by_id[chosen].number}",
                    icon=":material/movie_edit:",
                    query_params={"output": chosen},
                )
