"""The Editor page under AppTest: opened from a finished ad, every action through its form
(trim, crop, move, duplicate, delete, replace, transition, caption edit/split/merge/add/style,
audio, mix, music off, aspect), undo and redo, hostile input shown as a plain error that saves
nothing, the preview proxy, an export that renders and plays, the hand-off ZIP, and a viewer's
read-only view."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.ports_services import Services
from core.services.editor import edits
from tests.editor_support import World, ad_edit, add_member, click, finished_ad


@pytest.fixture
def world(app_services: Services, creator: str, tmp_path: Path) -> World:
    return finished_ad(app_services, tmp_path, email=app_services.settings.local_user_email)


@pytest.fixture
def editor(open_page: Callable[..., AppTest], world: World) -> AppTest:
    at = open_page("pages/editor.py", editor_open=("ad_output", world.output_id))
    assert not at.exception, at.exception
    return at


def w(at: AppTest, kind: str, name: str):  # type: ignore[no-untyped-def]
    """The widget whose key is `name` tied to the current version (and item)."""
    found = [x for x in getattr(at, kind) if x.key and (x.key == name or x.key.startswith(name + "_"))]
    assert found, f"no {kind} {name!r}"
    return found[0]


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def test_the_editor_shows_the_ads_timeline(editor: AppTest, app_services: Services, world: World) -> None:
    assert editor.title[0].value == "Editor"
    assert len(editor.get("vega_lite_chart")) == 1
    caption = " ".join(c.value for c in editor.caption)
    assert "Version 1" in caption and "2 clips" in caption and "2 captions" in caption
    assert editor.query_params["edit"] == ad_edit(app_services, world).id


def test_clip_actions_each_save_a_version(editor: AppTest, app_services: Services, world: World) -> None:
    w(editor, "number_input", "ed_in").set_value(0.5)
    w(editor, "number_input", "ed_out").set_value(2.5)
    click(editor, "Apply trim")
    doc = ad_edit(app_services, world).document
    assert (doc.clips[0].in_s, doc.clips[0].out_s) == (0.5, 2.5)
    assert "Saved: Trim clip 1" in editor.success[0].value
    w(editor, "number_input", "ed_crop_Left").set_value(10.0)
    click(editor, "Apply crop")
    assert ad_edit(app_services, world).document.clips[0].crop.left == 10.0
    click(editor, "Duplicate")
    assert len(ad_edit(app_services, world).document.clips) == 3
    click(editor, "Delete")
    assert len(ad_edit(app_services, world).document.clips) == 2
    w(editor, "number_input", "ed_move_to").set_value(2)
    click(editor, "Move")
    assert ad_edit(app_services, world).document.clips[1].in_s == 0.5
    click(editor, "Replace clip")
    view = ad_edit(app_services, world)
    assert view.last_action.startswith("Replace clip") and view.version == 7
    w(editor, "selectbox", "ed_aspect").set_value("1:1").run()
    assert ad_edit(app_services, world).document.aspect == "1:1"


def test_a_trim_past_the_end_is_refused_and_saves_nothing(
    editor: AppTest, app_services: Services, world: World
) -> None:
    w(editor, "number_input", "ed_out").set_value(99.0)
    click(editor, "Apply trim")
    assert "past the end of the clip" in _errors(editor)
    w(editor, "number_input", "ed_out").set_value(0.1)
    click(editor, "Apply trim")
    assert "must come after the in point" in _errors(editor)
    assert ad_edit(app_services, world).version == 1


def test_transition_and_captions(editor: AppTest, app_services: Services, world: World) -> None:
    w(editor, "selectbox", "ed_tr_name").set_value("slide left")
    w(editor, "number_input", "ed_tr_s").set_value(0.6)
    click(editor, "Apply transition")
    doc = ad_edit(app_services, world).document
    assert (doc.clips[1].transition, doc.clips[1].transition_s) == ("slide left", 0.6)
    w(editor, "text_area", "ed_cap_text").set_value("x" * 10_000)
    click(editor, "Save caption")
    assert "up to 200 characters" in _errors(editor) and "10,000" in _errors(editor)
    w(editor, "text_area", "ed_cap_text").set_value("Dull  skin,\nevery single morning")
    click(editor, "Save caption")
    assert ad_edit(app_services, world).document.captions[0].text == "Dull skin, every single morning"
    w(editor, "number_input", "ed_split_at").set_value(0.9)
    click(editor, "Split")
    assert len(ad_edit(app_services, world).document.captions) == 3
    click(editor, "Merge with next")
    assert len(ad_edit(app_services, world).document.captions) == 2
    w(editor, "text_input", "ed_add_text").set_value("Link in bio")
    w(editor, "number_input", "ed_add_start").set_value(4.5)
    w(editor, "number_input", "ed_add_end").set_value(5.5)
    click(editor, "Add caption")
    assert ad_edit(app_services, world).document.captions[-1].text == "Link in bio"
    click(editor, "Delete caption")
    assert len(ad_edit(app_services, world).document.captions) == 2
    w(editor, "number_input", "ed_size").set_value(72)
    w(editor, "checkbox", "ed_box").check()
    w(editor, "selectbox", "ed_anim").set_value("pop")
    click(editor, "Apply style")
    style = ad_edit(app_services, world).document.caption_style
    assert (style.size, style.box, style.animation) == (72, True, "pop")


def test_audio_undo_and_redo(editor: AppTest, app_services: Services, world: World) -> None:
    w(editor, "slider", "ed_vol_music").set_value(20)
    w(editor, "number_input", "ed_fo_music").set_value(2.0)
    click(editor, "Apply music")
    assert ad_edit(app_services, world).document.music.volume == pytest.approx(0.2)
    w(editor, "slider", "ed_vol_voice").set_value(150)
    click(editor, "Apply voiceover")
    w(editor, "slider", "ed_master").set_value(80)
    w(editor, "checkbox", "ed_duck").uncheck()
    click(editor, "Apply mix")
    doc = ad_edit(app_services, world).document
    assert doc.voice.volume == 1.5 and doc.master_volume == 0.8 and not doc.ducking
    click(editor, "Remove the music")
    assert not ad_edit(app_services, world).document.music.items
    click(editor, "Undo")
    assert ad_edit(app_services, world).document.music.items
    click(editor, "Redo")
    assert not ad_edit(app_services, world).document.music.items
    history = " ".join(m.value for m in editor.markdown)
    assert "Remove music" in history and "← current" in history


def test_preview_export_and_handoff(editor: AppTest, app_services: Services, world: World) -> None:
    click(editor, "Render the preview")
    assert len(editor.get("video")) == 1
    w(editor, "selectbox", "ed_res").set_value("720p")
    w(editor, "selectbox", "ed_quality").set_value("draft")
    click(editor, "Export")
    assert editor.get("progress")  # queued: its progress shows until a worker renders it
    app_services.queue.drain()  # type: ignore[attr-defined]
    editor.run()
    assert not editor.exception
    assert len(editor.get("video")) == 2  # the proxy and the finished export, playable
    assert "from version 1 · ready" in " ".join(m.value for m in editor.markdown)
    click(editor, "Prepare the ZIP")
    assert any(b.proto.label == "Download the hand-off ZIP" for b in editor.get("download_button"))


def test_a_viewer_sees_but_cannot_change(
    open_page: Callable[..., AppTest], app_services: Services, world: World
) -> None:
    edit_id = ad_edit(app_services, world).id
    other = finished_ad(app_services, Path(app_services.settings.work_dir), email="owner2@example.com")
    viewer_edit = edits.open_edit("ad_output", other.output_id, user_id=other.owner, services=app_services)
    add_member(app_services, other.project_id, app_services.settings.local_user_email, "viewer")
    at = open_page("pages/editor.py")
    at.query_params["edit"] = viewer_edit
    at.run()
    assert not at.exception
    assert "only editors of the project can change it" in at.info[0].value
    assert not [b for b in at.button if b.label == "Apply trim"]
    assert edit_id != viewer_edit


def test_the_library_opens_an_ad_in_the_editor(open_page: Callable[..., AppTest], world: World) -> None:
    at = open_page("pages/library.py")
    click(at, "Play")
    links = [link for link in at.get("page_link") if link.proto.label == "Open in the editor"]
    assert links and world.output_id in links[0].proto.query_string
