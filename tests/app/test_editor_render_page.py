"""The Editor page's render side under AppTest: the frame at the playhead (redrawn when the
playhead moves), sound effects added from the audio library and from an upload, moved, given a
volume and fades, removed, a hostile upload (a playlist, a video) refused with nothing saved,
and the word-highlight caption style."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.adapters.db.models.variant_factory import LibraryAudio
from core.domain.types import MediaKind
from core.ports_services import Services
from tests.app.test_editor_page import _errors, w
from tests.editor_support import World, ad_edit, click, finished_ad, make_clip, make_tone


@pytest.fixture
def world(app_services: Services, creator: str, tmp_path: Path) -> World:
    world = finished_ad(app_services, tmp_path, email=app_services.settings.local_user_email)
    tone = make_tone(tmp_path / "whoosh.wav", 0.8, 900)
    key = app_services.storage.put_file(MediaKind.AUDIO, tone, name="test/whoosh", content_type="audio/wav")
    with app_services.db.session() as session:
        session.add(
            LibraryAudio(
                owner_id=world.owner, project_id=world.project_id, title="Whoosh", audio_key=key, duration_s=0.8
            )
        )
    return world


@pytest.fixture
def editor(open_page: Callable[..., AppTest], world: World) -> AppTest:
    at = open_page("pages/editor.py", editor_open=("ad_output", world.output_id))
    assert not at.exception, at.exception
    return at


def _frame(at: AppTest) -> tuple[str, str]:
    """(the image's media URL, its caption) of the frame at the playhead."""
    images = at.get("image")
    assert images, "no frame shown"
    return images[0].value[0], images[0].captions[0]


def test_the_frame_follows_the_playhead(editor: AppTest) -> None:
    url, caption = _frame(editor)
    assert caption == "Frame at 0.00 s"
    editor.slider(key="ed_playhead").set_value(3.5).run()
    assert not editor.exception
    moved_url, moved_caption = _frame(editor)
    assert moved_caption == "Frame at 3.50 s" and moved_url != url


def test_sound_effects_are_added_moved_and_removed(editor: AppTest, app_services: Services, world: World) -> None:
    editor.slider(key="ed_playhead").set_value(1.0).run()
    click(editor, "Add this sound")
    view = ad_edit(app_services, world)
    assert [(i.label, i.start_s) for i in view.document.sfx] == [("Whoosh", 1.0)]
    assert "Saved: Add a sound effect" in editor.success[0].value
    w(editor, "number_input", "ed_sfx_at").set_value(2.5)
    w(editor, "slider", "ed_sfx_vol").set_value(60)
    w(editor, "number_input", "ed_sfx_fo").set_value(0.3)
    click(editor, "Apply to the sound")
    item = ad_edit(app_services, world).document.sfx[0]
    assert (item.start_s, item.volume, item.fade_out_s) == (2.5, 0.6, 0.3)
    w(editor, "number_input", "ed_sfx_at").set_value(99.0)
    click(editor, "Apply to the sound")
    assert "between 0 and" in _errors(editor)
    assert ad_edit(app_services, world).document.sfx[0].start_s == 2.5  # refused: nothing changed
    click(editor, "Remove the sound")
    assert ad_edit(app_services, world).document.sfx == ()
    click(editor, "Undo")
    assert len(ad_edit(app_services, world).document.sfx) == 1


def test_an_uploaded_sound_is_probed(editor: AppTest, app_services: Services, world: World, tmp_path: Path) -> None:
    version = ad_edit(app_services, world).version
    playlist = b"#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1/evil.ts\n"
    for name, data, kind in (
        ("list.mp3", playlist, "audio/mpeg"),
        ("clip.wav", make_clip(tmp_path / "v.mp4", 1.0).read_bytes(), "audio/wav"),
    ):
        editor.file_uploader(key="ed_sfx_file").upload(name, data, kind)
        click(editor, "Add the upload")
        assert "cannot be used" in _errors(editor)
    assert ad_edit(app_services, world).version == version
    editor.file_uploader(key="ed_sfx_file").upload(
        "ding.wav", make_tone(tmp_path / "d.wav", 0.5).read_bytes(), "audio/wav"
    )
    click(editor, "Add the upload")
    assert [i.label for i in ad_edit(app_services, world).document.sfx] == ["Uploaded sound"]


def test_word_highlight_style(editor: AppTest, app_services: Services, world: World) -> None:
    w(editor, "selectbox", "ed_anim").set_value("word highlight")
    w(editor, "color_picker", "ed_highlight").set_value("#00FF88")
    click(editor, "Apply style")
    style = ad_edit(app_services, world).document.caption_style
    assert (style.animation, style.highlight_colour) == ("word highlight", "#00FF88")
    assert _frame(editor)[0]  # the frame is drawn with the new style
