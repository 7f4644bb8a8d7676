"""The Library's ad dialog under AppTest: the Versions tab lists every version with its parent,
two pickers choose any two, two players stand side by side and can start together; an editor
may open a version in the editor, a viewer only looks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.ports_services import Services
from tests.editor_support import add_member, finished_ad, redo_output


def _dialog(open_page: Callable[..., AppTest], output_id: str) -> AppTest:
    at = open_page("pages/library.py")
    at.button(key=f"adplay_{output_id}").click().run()
    assert not at.exception, at.exception
    return at


def _markdown(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def _links(at: AppTest) -> list[str]:
    return [link.proto.label for link in at.get("page_link")]


def test_two_versions_play_side_by_side(
    open_page: Callable[..., AppTest], app_services: Services, creator: str, tmp_path: Path
) -> None:
    world = finished_ad(app_services, tmp_path, email=app_services.settings.local_user_email)
    redo = redo_output(app_services, world)
    at = _dialog(open_page, redo)
    assert "Versions" in [t.label for t in at.tabs]
    text = _markdown(at)
    assert "v1 · original" in text and "v2 · made again from v1" in text and "← this card" in text
    left = at.selectbox(key=f"lib_v_left_{world.ad_id}")
    right = at.selectbox(key=f"lib_v_right_{world.ad_id}")
    assert (left.value, right.value) == (world.output_id, redo)  # the card beside its parent
    assert len(at.get("video")) == 5  # the preview, the two versions side by side, the two scene clips
    assert {"Edit v1", "Edit v2"} <= set(_links(at))
    assert not any(v.proto.autoplay for v in at.get("video"))


def test_any_two_versions_start_together(
    open_page: Callable[..., AppTest], app_services: Services, creator: str, tmp_path: Path
) -> None:
    """The picks and the toggle as the dialog left them (a widget in a dialog reruns only the
    dialog in the browser; AppTest reruns the page, so they are set before it opens)."""
    world = finished_ad(app_services, tmp_path, email=app_services.settings.local_user_email)
    redo = redo_output(app_services, world)
    at = open_page("pages/library.py")
    at.session_state[f"lib_v_right_{world.ad_id}"] = world.output_id
    at.session_state[f"lib_v_left_{world.ad_id}"] = redo
    at.session_state[f"lib_v_together_{world.ad_id}"] = True
    at.button(key=f"adplay_{redo}").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key=f"lib_v_left_{world.ad_id}").value == redo
    assert at.selectbox(key=f"lib_v_right_{world.ad_id}").value == world.output_id
    videos = at.get("video")
    assert len(videos) == 5 and not videos[0].proto.autoplay  # the Preview does not start by itself
    assert all(v.proto.autoplay and v.proto.muted for v in videos[1:3])  # the two versions start together


def test_a_viewer_sees_the_versions_but_cannot_edit_them(
    open_page: Callable[..., AppTest], app_services: Services, creator: str, tmp_path: Path
) -> None:
    other = finished_ad(app_services, tmp_path, email="owner2@example.com")
    redo_output(app_services, other)
    add_member(app_services, other.project_id, app_services.settings.local_user_email, "viewer")
    at = _dialog(open_page, other.output_id)
    assert "v2 · made again from v1" in _markdown(at)
    assert not [label for label in _links(at) if label.startswith("Edit v")]


def test_one_version_says_how_to_make_another(
    open_page: Callable[..., AppTest], app_services: Services, creator: str, tmp_path: Path
) -> None:
    world = finished_ad(app_services, tmp_path, email=app_services.settings.local_user_email)
    at = _dialog(open_page, world.output_id)
    assert any("This ad has one version" in c.value for c in at.caption)
    assert len(at.get("video")) == 3  # the preview and the two scene clips: no version players
