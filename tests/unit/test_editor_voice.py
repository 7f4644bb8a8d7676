"""The editor's voice on SQLite and PostgreSQL: a voice line said again with the offline voice
(eSpeak, for real) replaces the line in a new version and re-times its captions, undo brings the
old line back; bad words, viewers and a failed voice change nothing; the caption track rebuilt
from the voice lines' words and timing keeps the style and is undoable."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.adapters.db.models.editor import EditVersion
from core.adapters.db.models.jobs import Job, JobStep
from core.adapters.media.probe import probe_media
from core.adapters.providers.local.speech import LocalSpeechSynthesizer
from core.domain import edit as ops
from core.errors import PermissionDenied, ValidationError
from core.ports_services import ProviderChoice, Services
from core.services.editor import edits, voice
from jobs.pipelines import edit_voice
from tests.editor_support import World, ad_edit, add_member, finished_ad, owner_change, talking_video
from tests.fakes import FakeProvider


def _speak_with(services: Services, provider: object, vendor: str = "local") -> None:
    services.providers.choices["speech"] = ProviderChoice(
        capability="speech", provider=provider, vendor=vendor, model="test", key_present=False
    )


@pytest.fixture
def world(services: Services, tmp_path: Path) -> World:
    _speak_with(services, LocalSpeechSynthesizer())
    return finished_ad(services, tmp_path)


def _counts(services: Services, edit_id: str) -> tuple[int, int]:
    with services.db.session() as session:
        versions = session.scalar(select(func.count()).select_from(EditVersion).where(EditVersion.edit_id == edit_id))
        jobs = session.scalar(select(func.count()).select_from(Job).where(Job.kind == voice.VOICE_JOB))
    return int(versions or 0), int(jobs or 0)


def test_the_lines_words_come_from_the_ad(services: Services, world: World) -> None:
    doc = ad_edit(services, world).document
    assert [i.text for i in doc.voice.items] == ["line 1", "line 2"]


def test_a_line_said_again_is_a_new_version_with_its_captions_retimed(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    first, second = view.document.voice.items
    assert voice.estimate_line("Glow works in one week", user_id=world.owner, services=services) == 0.0
    voice.start_line(view.id, first.id, "Glow  works in one week", user_id=world.owner, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    [job] = voice.line_jobs(view.id, user_id=world.owner, services=services)
    assert job.status == "completed", job.error
    after = edits.get_edit(view.id, user_id=world.owner, services=services)
    assert after.version == 2 and after.last_action == "New words for Line 1"
    new = after.document.voice.items[0]
    assert new.id == first.id and new.start_s == first.start_s and new.text == "Glow works in one week"
    assert new.source_key != first.source_key and services.storage.exists(new.source_key)
    local = Path(services.settings.work_dir) / "line.mp3"
    local.write_bytes(services.storage.read_bytes(new.source_key))
    assert probe_media(local).duration_s == pytest.approx(new.source_s, abs=0.1)
    assert after.document.voice.items[1] == second  # the other line is untouched
    line_caps = [c for c in after.document.captions if c.start_s < second.start_s]
    assert " ".join(c.text for c in line_caps) == "Glow works in one week"
    assert line_caps[0].start_s >= new.start_s and line_caps[-1].end_s <= new.start_s + new.length_s + 0.01
    assert [c.text for c in after.document.captions if c.start_s >= second.start_s] == ["Glow fixed it for me"]
    undone = edits.undo(view.id, base_version=after.version, user_id=world.owner, services=services)
    assert undone.document == view.document  # the old line and its captions are back


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("", "Write the words"),
        ("   \n ", "Write the words"),
        ("x" * 10_000, "up to 600 characters; this one has 10,000"),
        ("Glow\x00 works", "control character"),
        ("Glow\x1b[31m works", "control character"),
        ("🙂 🙂", "nothing a voice can say"),
        ("line 1", "already says these words"),
    ],
)
def test_bad_words_are_refused_and_change_nothing(services: Services, world: World, words: str, message: str) -> None:
    view = ad_edit(services, world)
    with pytest.raises(ValidationError, match=message):
        voice.start_line(view.id, view.document.voice.items[0].id, words, user_id=world.owner, services=services)
    assert _counts(services, view.id) == (1, 0)
    assert edits.get_edit(view.id, user_id=world.owner, services=services).document == view.document


def test_a_line_gone_and_a_viewer_are_refused(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    with pytest.raises(ValidationError, match="no longer in the edit"):
        voice.start_line(view.id, "nope", "New words here", user_id=world.owner, services=services)
    viewer = add_member(services, world.project_id, "viewer@example.com", "viewer")
    with pytest.raises(PermissionDenied):
        voice.start_line(view.id, view.document.voice.items[0].id, "New words", user_id=viewer, services=services)
    with pytest.raises(ValidationError, match="viewer"):
        voice.captions_from_voice(view.id, base_version=view.version, user_id=viewer, services=services)
    assert voice.line_jobs(view.id, user_id=viewer, services=services) == []  # viewers may look
    assert _counts(services, view.id) == (1, 0)


def test_a_failed_voice_leaves_the_edit_unchanged(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    _speak_with(services, FakeProvider("speech", fail_message="The voice service refused the line."), "fake")
    voice.start_line(
        view.id, view.document.voice.items[0].id, "Brand new words", user_id=world.owner, services=services
    )
    services.queue.drain()  # type: ignore[attr-defined]
    [job] = voice.line_jobs(view.id, user_id=world.owner, services=services)
    assert job.status == "failed" and job.error and not job.possibly_charged
    assert _counts(services, view.id) == (1, 1)
    assert edits.get_edit(view.id, user_id=world.owner, services=services).document == view.document


def test_a_line_whose_item_was_deleted_meanwhile_changes_nothing(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    item = view.document.voice.items[0]
    voice.start_line(view.id, item.id, "Words said again", user_id=world.owner, services=services)
    drop = replace(view.document.voice, items=view.document.voice.items[1:])
    later = owner_change(services, world, view, "Drop line", lambda d: replace(d, voice=drop))
    services.queue.drain()  # type: ignore[attr-defined]
    [job] = voice.line_jobs(view.id, user_id=world.owner, services=services)
    assert job.status == "failed" and "no longer in the edit" in (job.error or "")
    assert edits.get_edit(view.id, user_id=world.owner, services=services).document == later.document
    with services.db.session() as session:
        spoken = session.scalar(select(JobStep.output).where(JobStep.job_id == job.id, JobStep.name == "speech"))
    assert spoken is None  # refused before the voice was asked: nothing was said, paid for or stored


def test_captions_are_rebuilt_from_the_voice_timing(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    style = ops.CaptionStyle(colour="#FFCC00", animation="pop")
    styled = owner_change(
        services, world, view, "style", lambda d: ops.delete_caption(ops.set_caption_style(d, style), d.captions[0].id)
    )
    rebuilt = voice.captions_from_voice(view.id, base_version=styled.version, user_id=world.owner, services=services)
    doc = rebuilt.document
    assert rebuilt.last_action == "Captions from the voice timing"
    assert [c.text for c in doc.captions] == ["line 1", "line 2"]
    for cap, item in zip(doc.captions, doc.voice.items, strict=True):
        assert item.start_s <= cap.start_s < cap.end_s <= item.start_s + item.length_s + 0.01
    assert doc.caption_style == styled.document.caption_style
    undone = edits.undo(view.id, base_version=rebuilt.version, user_id=world.owner, services=services)
    assert undone.document == styled.document


def test_captions_need_words_and_a_fresh_view(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    with pytest.raises(ValidationError, match="changed in another window"):
        voice.captions_from_voice(view.id, base_version=view.version + 5, user_id=world.owner, services=services)
    silent = replace(view.document.voice, items=tuple(replace(i, text="") for i in view.document.voice.items))
    mute = owner_change(services, world, view, "no words", lambda d: replace(d, voice=silent))
    with pytest.raises(ValidationError, match="no words"):
        voice.captions_from_voice(view.id, base_version=mute.version, user_id=world.owner, services=services)
    assert _counts(services, view.id) == (2, 0)


def test_a_talking_videos_line_is_said_again_with_its_voice(services: Services, world: World, tmp_path: Path) -> None:
    video_id = talking_video(services, tmp_path, world)
    edit_id = edits.open_edit("video", video_id, user_id=world.owner, services=services)
    view = edits.get_edit(edit_id, user_id=world.owner, services=services)
    [line] = view.document.voice.items
    assert line.text == "hello"
    voice.start_line(edit_id, line.id, "Hello again, friend", user_id=world.owner, services=services)
    with services.db.session() as session:
        payload = session.scalar(select(Job.payload).where(Job.kind == voice.VOICE_JOB))
    assert payload and payload["voice"]["voice_id"] == "en"  # the actor's voice
    services.queue.drain()  # type: ignore[attr-defined]
    after = edits.get_edit(edit_id, user_id=world.owner, services=services)
    assert after.version == 2 and after.document.voice.items[0].text == "Hello again, friend"


def test_a_resumed_apply_step_saves_the_line_once(services: Services, world: World) -> None:
    view = ad_edit(services, world)
    job_id = voice.start_line(
        view.id, view.document.voice.items[0].id, "Said only once", user_id=world.owner, services=services
    )
    services.queue.drain()  # type: ignore[attr-defined]
    with services.db.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        payload = dict(job.payload)
        spoken = next(dict(s.output or {}) for s in job.steps if s.name == "speech")
    again = voice.apply_line(payload, spoken, user_id=world.owner, services=services)  # as a resumed step would
    assert again == 2 and _counts(services, view.id) == (2, 1)


def test_a_job_failed_after_its_line_was_saved_keeps_the_lines_audio(services: Services, world: World) -> None:
    """The apply step saved the version, then the worker died before the step was marked done, and
    the job was failed (a resume limit, a sweep): the edit holds the new audio, so it stays."""
    view = ad_edit(services, world)
    item = view.document.voice.items[0]
    job_id = voice.start_line(view.id, item.id, "Saved before the crash", user_id=world.owner, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    key = edits.get_edit(view.id, user_id=world.owner, services=services).document.voice.items[0].source_key
    with services.db.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        next(s for s in job.steps if s.name == "apply").status = "running"  # never marked completed
    with services.db.session() as session:
        job = session.get(Job, job_id)
        edit_voice.on_failed(services, session, job, None)  # type: ignore[arg-type]
    assert services.storage.exists(key)  # the current version still plays it
