"""The timeline editor on SQLite and PostgreSQL: an edit built from a finished ad and from a
talking video, every operation saved as a version, undo/redo, hostile input refused without a
change, rights (viewers see, editors edit), and an export job that renders one version in one
encode and lands beside the original."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from core.adapters.db.models.ads import AdOutput
from core.adapters.db.models.editor import EditExport, EditVersion
from core.adapters.db.models.jobs import Job
from core.adapters.db.models.talking import VideoAsset
from core.adapters.media.probe import probe_media
from core.domain import edit as ops
from core.errors import NotFound, PermissionDenied, ValidationError
from core.ports_services import Services
from core.services.editor import edits, renders
from tests.editor_support import World, ad_edit, add_member, finished_ad, make_tone, talking_video


@pytest.fixture
def world(services: Services, tmp_path: Path) -> World:
    return finished_ad(services, tmp_path)


def _change(services: Services, view: edits.EditView, action: str, op: edits.Operation) -> edits.EditView:
    return edits.change(
        view.id, action, op, base_version=view.version, user_id=world_owner(view, services), services=services
    )


def world_owner(view: edits.EditView, services: Services) -> str:
    from core.adapters.db.models.editor import Edit

    with services.db.session() as session:
        edit = session.get(Edit, view.id)
        assert edit is not None
        return edit.owner_id


def _version_count(services: Services, edit_id: str) -> int:
    with services.db.session() as session:
        return len(session.scalars(select(EditVersion).where(EditVersion.edit_id == edit_id)).all())


def test_an_ad_opens_as_its_cut(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    doc = view.document
    assert [c.label for c in doc.clips] == ["Scene 1", "Scene 2"]
    assert doc.clips[1].transition == "dissolve" and doc.clips[1].transition_s == pytest.approx(0.4)
    assert [round(v.start_s, 2) for v in doc.voice.items] == [0.12, 2.8]
    assert [c.text for c in doc.captions] == ["Dull skin every morning", "Glow fixed it for me"]
    assert len(doc.music.items) == 1 and services.storage.exists(doc.music.items[0].source_key)
    assert ops.total_s(doc) == pytest.approx(5.6)
    again = edits.open_edit("ad_output", world.output_id, user_id=world.owner, services=services)
    assert again == view.id  # one edit per source, reopened


def test_every_operation_is_a_version_and_undo_redo_walk_them(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    first, second = (c.id for c in view.document.clips)
    cap = view.document.captions[0].id
    steps = [
        ("trim", lambda d: ops.trim_clip(d, first, 0.5, 2.5)),
        ("crop", lambda d: ops.crop_clip(d, first, ops.Crop(10, 10, 0, 5))),
        ("transition", lambda d: ops.set_transition(d, second, "wipe left", 0.5)),
        ("reorder", lambda d: ops.move_clip(d, second, 0)),
        ("duplicate", lambda d: ops.duplicate_clip(d, first, "dup")),
        ("delete", lambda d: ops.delete_clip(d, "dup")),
        ("caption", lambda d: ops.edit_caption(d, cap, "  Dull   skin\tevery day ", 0.2, 1.8)),
        ("split", lambda d: ops.split_caption(d, cap, 1.0, "half")),
        ("merge", lambda d: ops.merge_caption(d, cap)),
        ("music", lambda d: ops.set_audio(d, "music", volume=0.2, fade_in_s=1.0, fade_out_s=2.0)),
        ("mix", lambda d: ops.set_mix(d, master_volume=0.9, ducking=False)),
        ("style", lambda d: ops.set_caption_style(d, ops.CaptionStyle(size=64, colour="#FFCC00", box=True))),
    ]
    for action, op in steps:
        view = _change(services, view, action, op)
    doc = view.document
    assert doc.clips[0].id == second and doc.clips[0].transition == "cut"  # the first clip has no transition
    assert doc.clips[1].in_s == 0.5 and doc.clips[1].crop == ops.Crop(10, 10, 0, 5)
    assert doc.captions[0].text == "Dull skin every day" and doc.captions[0].start_s == 0.2
    assert doc.music.volume == 0.2 and not doc.ducking and doc.caption_style.colour == "#FFCC00"
    assert view.version == len(steps) + 1 and _version_count(services, view.id) == len(steps) + 1
    # a refresh (or a second browser) reads the same saved document
    assert edits.get_edit(view.id, user_id=world.owner, services=services).document == doc
    undone = edits.undo(view.id, base_version=view.version, user_id=world.owner, services=services)
    assert undone.document.caption_style == ops.CaptionStyle() and undone.can_redo
    redone = edits.redo(view.id, base_version=undone.version, user_id=world.owner, services=services)
    assert redone.document == doc and not redone.can_redo
    back = edits.undo(redone.id, base_version=redone.version, user_id=world.owner, services=services)
    branched = _change(
        services, back, "volume", lambda d: ops.set_audio(d, "voice", volume=1.5, fade_in_s=0, fade_out_s=0)
    )
    assert not branched.can_redo and branched.version == len(steps) + 2  # a new branch; nothing is rewritten
    assert [line.current for line in edits.history(view.id, user_id=world.owner, services=services)][-1]


@pytest.mark.parametrize(
    ("name", "op", "message"),
    [
        ("trim past the end", lambda d: ops.trim_clip(d, d.clips[0].id, 0.0, 9.0), "past the end"),
        ("negative duration", lambda d: ops.trim_clip(d, d.clips[0].id, 2.0, 1.0), "must come after"),
        ("negative in point", lambda d: ops.trim_clip(d, d.clips[0].id, -1.0, 1.0), "before the clip's start"),
        ("huge caption", lambda d: ops.edit_caption(d, d.captions[0].id, "x" * 10_000, 0.1, 1.0), "10,000"),
        ("empty caption", lambda d: ops.edit_caption(d, d.captions[0].id, " \u200b\n", 0.1, 1.0), "needs some"),
        ("backwards caption", lambda d: ops.edit_caption(d, d.captions[0].id, "hi", 2.0, 1.0), "end after"),
        (
            "long transition",
            lambda d: ops.set_transition(ops.trim_clip(d, d.clips[0].id, 0, 1), d.clips[1].id, "fade", 1.5),
            "longer than the clips",
        ),
        ("unknown transition", lambda d: ops.set_transition(d, d.clips[1].id, "explode", 0.5), "Unknown"),
        ("too much crop", lambda d: ops.crop_clip(d, d.clips[0].id, ops.Crop(45, 45, 0, 0)), "fifth"),
        ("delete the last clip", lambda d: ops.delete_clip(ops.delete_clip(d, d.clips[0].id), d.clips[1].id), "least"),
        ("loud", lambda d: ops.set_audio(d, "music", volume=9, fade_in_s=0, fade_out_s=0), "200 %"),
        ("not a number", lambda d: ops.trim_clip(d, d.clips[0].id, float("nan"), 1.0), "number"),
        ("bad colour", lambda d: ops.set_caption_style(d, ops.CaptionStyle(colour="red;drop")), "#FFCC00"),
    ],
)
def test_hostile_changes_are_refused_and_change_nothing(
    services: Services, world: World, name: str, op: edits.Operation, message: str
) -> None:
    view = ad_edit(services, world)
    with pytest.raises(ValidationError, match=message):
        _change(services, view, name, op)
    after = edits.get_edit(view.id, user_id=world.owner, services=services)
    assert after.document == view.document and after.version == view.version
    assert _version_count(services, view.id) == 1


def test_a_change_from_a_stale_window_is_refused(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    first = view.document.clips[0].id
    _change(services, view, "trim", lambda d: ops.trim_clip(d, first, 0.0, 2.0))
    with pytest.raises(ValidationError, match="another window"):
        _change(services, view, "trim", lambda d: ops.trim_clip(d, first, 0.0, 1.0))


def test_music_is_probed_by_content_and_capped(services: Services, world: World, tmp_path: Path) -> None:
    view = ad_edit(services, world)
    playlist = b"#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:10,\nhttp://127.0.0.1/evil.ts\n#EXT-X-ENDLIST\n"
    for data in (playlist, b"RIFF\x00\x00\x00\x00WAVEjunk", b"\x00" * 2048):
        with pytest.raises(ValidationError, match="cannot be used"):
            renders.music_upload(view.id, data, user_id=world.owner, services=services)
    services.settings.factory_audio_max_seconds = 5.0
    with pytest.raises(ValidationError, match="limit"):
        long = make_tone(tmp_path / "long.wav", 8.0)
        renders.music_upload(view.id, long.read_bytes(), user_id=world.owner, services=services)
    assert edits.get_edit(view.id, user_id=world.owner, services=services).document == view.document
    item = renders.music_upload(
        view.id, make_tone(tmp_path / "ok.wav", 3.0).read_bytes(), user_id=world.owner, services=services
    )
    changed = _change(services, view, "music", lambda d: ops.set_music(d, item))
    assert changed.document.music.items[0].source_key == item.source_key


def test_viewers_see_and_editors_edit(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    viewer = add_member(services, world.project_id, "viewer@example.com", "viewer")
    editor = add_member(services, world.project_id, "editor@example.com", "editor")
    stranger = add_member(services, world.project_id, "x@example.com", "viewer")
    seen = edits.get_edit(view.id, user_id=viewer, services=services)
    assert seen.document == view.document and not seen.can_edit
    first = view.document.clips[0].id
    with pytest.raises(PermissionDenied):
        edits.change(
            view.id, "trim", lambda d: ops.trim_clip(d, first, 0, 2), base_version=1, user_id=viewer, services=services
        )
    with pytest.raises(PermissionDenied):
        renders.start_export(
            view.id, resolution="720p", container="mp4", quality="draft", user_id=viewer, services=services
        )
    done = edits.change(
        view.id, "trim", lambda d: ops.trim_clip(d, first, 0, 2), base_version=1, user_id=editor, services=services
    )
    assert done.version == 2 and done.can_edit
    with services.db.session() as session:  # the stranger is removed again: outside the project
        from core.adapters.db.models.projects import ProjectMember

        session.query(ProjectMember).filter_by(user_id=stranger).delete()
    with pytest.raises(NotFound):
        edits.get_edit(view.id, user_id=stranger, services=services)


def test_export_renders_one_version_and_lands_beside_the_ad(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    first = view.document.clips[0].id
    view = _change(services, view, "trim", lambda d: ops.trim_clip(d, first, 0.5, 3.0))
    export_id = renders.start_export(
        view.id, resolution="720p", container="mp4", quality="draft", user_id=world.owner, services=services
    )
    _change(services, view, "later", lambda d: ops.set_mix(d, master_volume=0.5, ducking=True))  # after the export
    services.queue.drain()  # type: ignore[attr-defined]
    with services.db.session() as session:
        row = session.get(EditExport, export_id)
        assert row is not None and row.status == "ready", row.error if row else None
        assert row.edit_version == view.version and row.result_kind == "ad_output"
        output = session.get(AdOutput, row.result_id)
        assert output is not None and output.ad_id == world.ad_id and output.encode_passes == 1
        assert session.get(Job, row.job_id).progress == 1.0  # type: ignore[union-attr]
        outputs = session.scalars(select(AdOutput).where(AdOutput.ad_id == world.ad_id)).all()
        assert len(outputs) == 2  # the original and the new version beside it
    data, kind = renders.export_file(export_id, user_id=world.owner, services=services)
    dest = Path(services.settings.work_dir) / "check.mp4"
    dest.write_bytes(data)
    info = probe_media(dest)
    assert kind == "video/mp4" and (info.width, info.height) == (720, 1280) and info.has_audio
    assert info.duration_s == pytest.approx(ops.total_s(view.document), abs=0.15)
    listed = renders.list_exports(view.id, user_id=world.owner, services=services)
    assert listed[0].status == "ready" and listed[0].progress == 1.0


def test_a_talking_video_opens_exports_as_a_new_version(services: Services, world: World, tmp_path: Path) -> None:
    video_id = talking_video(services, tmp_path, world)
    edit_id = edits.open_edit("video", video_id, user_id=world.owner, services=services)
    view = edits.get_edit(edit_id, user_id=world.owner, services=services)
    assert len(view.document.clips) == 1 and len(view.document.voice.items) == 1
    view = _change(services, view, "square", lambda d: ops.set_aspect(d, "1:1"))
    export_id = renders.start_export(
        view.id, resolution="720p", container="webm", quality="draft", user_id=world.owner, services=services
    )
    services.queue.drain()  # type: ignore[attr-defined]
    with services.db.session() as session:
        row = session.get(EditExport, export_id)
        assert row is not None and row.status == "ready", row.error if row else None
        new = session.get(VideoAsset, row.result_id)
        assert new is not None and new.parent_id == video_id and new.version == 2 and new.status == "completed"
    data, kind = renders.export_file(export_id, user_id=world.owner, services=services)
    assert kind == "video/webm" and data[:4] == b"\x1a\x45\xdf\xa3"  # EBML: a WebM file


def test_the_proxy_is_small_and_cached(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    path = renders.proxy(view.id, user_id=world.owner, services=services)
    info = probe_media(path)
    assert (info.width, info.height) == (360, 640)
    assert renders.proxy(view.id, user_id=world.owner, services=services) == path
    moved = _change(services, view, "trim", lambda d: ops.trim_clip(d, d.clips[0].id, 0.0, 2.0))
    assert renders.proxy(moved.id, user_id=world.owner, services=services) != path


def test_unused_helpers_stay_honest() -> None:
    doc = ops.EditDoc((ops.VideoClip("a", "k", 3.0, 0.0, 3.0),))
    assert ops.EditDoc.from_dict(doc.to_dict()) == doc
    assert replace(doc, aspect="1:1").aspect == "1:1"
    assert len([n for n, x in ops.TRANSITIONS.items() if x]) >= 12
