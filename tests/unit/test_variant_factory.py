"""Variant factory services on SQLite and PostgreSQL: libraries, hooks, batches as durable jobs,
ZIP with manifest, keep, expiry, team rights and hostile uploads. Real FFmpeg throughout."""

from __future__ import annotations

import csv
import io
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.adapters.db.database import Database
from core.adapters.db.models.jobs import Job
from core.adapters.db.models.variant_factory import BatchVariant, LibraryUpload, LibraryVideo, VariantBatch
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.bootstrap import install_services
from core.config import Settings
from core.domain.media import AudioClip
from core.errors import MediaRejected, NotFound, PermissionDenied, ValidationError
from core.ports_services import Services
from core.services.accounts import team
from core.services.accounts.identity import ensure_user
from core.services.talking import projects
from core.services.variant_factory import audio as audio_lib
from core.services.variant_factory import batches, collections, handoff, hooks, media, uploads
from core.services.variant_factory.batches import BatchRequest
from tests.conftest import make_services
from tests.fakes import FakeProvider, fake_providers
from tests.stubs.media import ffmpeg_exe


def make_clip(
    path: Path, *, seconds: float = 3.0, size: str = "180x320", vcodec: str = "libx264", extra: tuple[str, ...] = ()
) -> Path:
    args = [
        ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={size}:rate=30",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=220:sample_rate=48000",
        "-t",
        str(seconds),
        "-c:v",
        vcodec,
        "-pix_fmt",
        "yuv420p",
        "-g",
        "30",
        *extra,
        "-c:a",
        "aac",
        "-shortest",
        str(path),
    ]
    subprocess.run(args, check=True)
    return path


def make_tone(path: Path, seconds: float = 1.5, freq: int = 440) -> Path:
    subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={freq}:sample_rate=44100",
            "-t",
            str(seconds),
            "-c:a",
            "libmp3lame",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("clips")
    return {
        "a": make_clip(root / "a.mp4").read_bytes(),
        "b": make_clip(root / "b.mp4", size="192x320").read_bytes(),
        "tone1": make_tone(root / "t1.mp3").read_bytes(),
        "tone2": make_tone(root / "t2.mp3", 4.0, 660).read_bytes(),
    }


@dataclass
class Team:
    services: Services
    owner: str
    editor: str
    viewer: str
    stranger: str
    project: str


@pytest.fixture
def world(settings: Settings, db: Database) -> Iterator[Team]:
    services = make_services(settings, db, media=FfmpegToolkit())
    install_services(services)
    owner = ensure_user(db, "owner@example.com")
    others = {n: ensure_user(db, f"{n}@example.com") for n in ("editor", "viewer", "stranger")}
    project = projects.create_project("Launch", owner_id=owner, services=services).id
    team.invite_member(project, "editor@example.com", "editor", user_id=owner, services=services)
    team.invite_member(project, "viewer@example.com", "viewer", user_id=owner, services=services)
    yield Team(services, owner, others["editor"], others["viewer"], others["stranger"], project)
    install_services(None)


def upload_now(w: Team, data: bytes, *, title: str, user_id: str | None = None) -> str:
    """Queue a video upload and run its job; the library video's id."""
    s = w.services
    upload_id = uploads.queue_video_upload(w.project, data, title=title, user_id=user_id or w.owner, services=s)
    s.queue.drain()  # type: ignore[attr-defined]
    view = uploads.upload_status(upload_id, user_id=user_id or w.owner, services=s)
    assert view.status == "ready" and view.video_id, view
    return view.video_id


def _library(w: Team, clips: dict[str, bytes]) -> tuple[list[str], list[str]]:
    s = w.services
    videos = [upload_now(w, clips[k], title=f"clip {k}", user_id=w.editor) for k in "ab"]
    audio = [
        audio_lib.upload_audio(w.project, clips[k], title=k, user_id=w.editor, services=s) for k in ("tone1", "tone2")
    ]
    return videos, audio


def test_hooks_bulk_add_drops_empties_and_duplicates_and_refuses_long_lines_by_number(world: Team) -> None:
    s, p = world.services, world.project
    result = hooks.add_hooks(
        p,
        "Stop scrolling\n\n  stop   SCROLLING \nYou need this\n",
        category="Curiosity",
        user_id=world.editor,
        services=s,
    )
    assert (result.added, result.duplicates, result.empty) == (2, 1, 1)
    again = hooks.add_hooks(p, "You need this\nNew one", category="offer", user_id=world.owner, services=s)
    assert (again.added, again.duplicates) == (1, 1)
    too_long = "ok line\n" + "x" * (s.settings.factory_hook_max_chars + 1)
    with pytest.raises(ValidationError, match="Line 2"):
        hooks.add_hooks(p, too_long, category="offer", user_id=world.owner, services=s)
    csv_text = "hook,category\nBuy one get one,offer\n3 reasons,social proof\n"
    assert hooks.add_hooks(p, csv_text, category="", user_id=world.owner, services=s, csv_file=True).added == 2
    assert hooks.categories_of(p, user_id=world.viewer, services=s) == ["curiosity", "offer", "social proof"]
    page = hooks.list_hooks(p, user_id=world.viewer, services=s, categories=("offer",))
    assert {h.text for h in page.items} == {"New one", "Buy one get one"}
    assert [h.text for h in hooks.list_hooks(p, user_id=world.owner, services=s, query="SCROLL").items] == [
        "Stop scrolling"
    ]
    first = page.items[0]
    hooks.edit_hook(first.id, text="Edited hook", category="story", user_id=world.editor, services=s)
    with pytest.raises(ValidationError, match="already"):
        hooks.edit_hook(first.id, text="stop scrolling", category="story", user_id=world.editor, services=s)
    with pytest.raises(PermissionDenied):
        hooks.delete_hooks([first.id], user_id=world.viewer, services=s)
    with pytest.raises(NotFound):
        hooks.list_hooks(p, user_id=world.stranger, services=s)
    assert hooks.delete_hooks([first.id], user_id=world.editor, services=s) == 1


def test_uploads_collections_and_rights(world: Team, clips: dict[str, bytes]) -> None:
    s, p = world.services, world.project
    videos, audio = _library(world, clips)
    page = media.list_videos(p, user_id=world.viewer, services=s)
    assert page.total == 2 and all(v.poster_key and v.duration_s == pytest.approx(3.0, abs=0.1) for v in page.items)
    assert {v.aspect for v in page.items} == {"9:16", "192x320"}
    assert audio_lib.list_audio(p, user_id=world.viewer, services=s, query="TONE2").total == 1
    col = collections.create_collection(p, "video", "Winners", user_id=world.editor, services=s)
    with pytest.raises(ValidationError, match="already"):
        collections.create_collection(p, "video", "Winners", user_id=world.owner, services=s)
    other = collections.create_collection(p, "video", "All", user_id=world.editor, services=s)
    assert collections.set_members(col, videos[:1], add=True, user_id=world.editor, services=s) == 1
    assert collections.set_members(other, videos, add=True, user_id=world.editor, services=s) == 2  # in both
    assert collections.set_members(other, videos, add=True, user_id=world.editor, services=s) == 0
    views = {c.name: c for c in collections.list_collections(p, "video", user_id=world.viewer, services=s)}
    assert views["Winners"].count == 1 and views["All"].count == 2 and views["Winners"].poster_key
    assert media.list_videos(p, user_id=world.owner, services=s, collection_id=col).total == 1
    with pytest.raises(PermissionDenied):
        uploads.queue_video_upload(p, clips["a"], title="x", user_id=world.viewer, services=s)
    with pytest.raises(NotFound):
        collections.set_members(col, audio, add=True, user_id=world.editor, services=s)  # audio in a video collection
    collections.delete_collection(other, user_id=world.owner, services=s)
    assert media.list_videos(p, user_id=world.owner, services=s).total == 2  # the items stay


def test_hostile_video_uploads_are_refused_with_clear_messages(world: Team, tmp_path: Path) -> None:
    s, p = world.services, world.project
    playlist = b"#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:10,\nfile:///etc/passwd\n"
    at_once = {b"this is just text pretending to be an mp4 file\n" * 20: "not one", playlist: "playlist"}
    for data, message in at_once.items():  # refused before anything is stored or queued
        with pytest.raises(MediaRejected, match=message):
            uploads.queue_video_upload(p, data, title="evil.mp4", user_id=world.owner, services=s)
    assert not s.queue.enqueued and uploads.pending_uploads(p, user_id=world.owner, services=s) == []  # type: ignore[attr-defined]
    huge = make_clip(tmp_path / "huge.mp4", seconds=0.6, size="4200x64")
    fake_mp4 = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 400
    by_the_probe = {fake_mp4: "not an audio or video file", huge.read_bytes(): "4096"}
    for data, message in by_the_probe.items():  # looks like an MP4 by its first bytes: the job's probe refuses it
        upload_id = uploads.queue_video_upload(p, data, title="evil.mp4", user_id=world.owner, services=s)
        assert uploads.upload_status(upload_id, user_id=world.owner, services=s).status == "queued"
        s.queue.drain()  # type: ignore[attr-defined]
        view = uploads.upload_status(upload_id, user_id=world.viewer, services=s)
        assert view.status == "failed" and message in (view.error or ""), view
    failed = uploads.pending_uploads(p, user_id=world.owner, services=s)
    assert [u.status for u in failed] == ["failed", "failed"]
    with s.db.session() as session:  # the refused bytes are gone, the reasons stay
        assert all(row.upload_key is None for row in session.scalars(select(LibraryUpload)))
    with pytest.raises(PermissionDenied):
        uploads.dismiss_upload(failed[0].id, user_id=world.viewer, services=s)
    uploads.dismiss_upload(failed[0].id, user_id=world.editor, services=s)
    assert len(uploads.pending_uploads(p, user_id=world.owner, services=s)) == 1
    with pytest.raises(MediaRejected, match="MP3, WAV"):
        audio_lib.upload_audio(
            p, make_clip(tmp_path / "v.mp4", seconds=1).read_bytes(), title="x", user_id=world.owner, services=s
        )
    assert media.list_videos(p, user_id=world.owner, services=s).total == 0


def test_an_upload_survives_a_lost_queue_and_a_refresh(world: Team, clips: dict[str, bytes]) -> None:
    """The upload row and its stored bytes are the truth: nothing waits in the page's memory."""
    s, p = world.services, world.project
    upload_id = uploads.queue_video_upload(p, clips["a"], title="  Launch   clip ", user_id=world.editor, services=s)
    [pending] = uploads.pending_uploads(p, user_id=world.viewer, services=s)  # what a refreshed page shows
    assert pending.id == upload_id and pending.active and pending.title == "Launch clip"
    with s.db.session() as session:
        row = session.get(LibraryUpload, upload_id)
        assert row is not None and row.upload_key and s.storage.exists(row.upload_key)
        raw_key, job_id = row.upload_key, row.job_id
    s.queue.clear()  # type: ignore[attr-defined]  (the queue entry is lost: the job row still says queued)
    from jobs import engine

    engine.advance(job_id, s)  # what the sweeper's re-enqueue does
    view = uploads.upload_status(upload_id, user_id=world.editor, services=s)
    assert view.status == "ready" and not view.active
    assert uploads.pending_uploads(p, user_id=world.editor, services=s) == []
    [video] = media.list_videos(p, user_id=world.viewer, services=s).items
    assert video.id == view.video_id and video.title == "Launch clip" and video.poster_key
    assert video.duration_s == pytest.approx(3.0, abs=0.1) and not s.storage.exists(raw_key)
    with pytest.raises(ValidationError, match="still"):
        other = uploads.queue_video_upload(p, clips["b"], title="b", user_id=world.editor, services=s)
        uploads.dismiss_upload(other, user_id=world.editor, services=s)


def test_a_non_h264_upload_is_transcoded(world: Team, tmp_path: Path) -> None:
    mpeg4 = make_clip(tmp_path / "m.mov", seconds=1.0, vcodec="libx264", extra=("-profile:v", "high444"))
    video_id = upload_now(world, mpeg4.read_bytes(), title="444")
    [view] = media.list_videos(world.project, user_id=world.owner, services=world.services).items
    assert view.id == video_id
    path = world.services.storage.download_to(view.video_key, tmp_path / "out.mp4")
    from core.adapters.media.library_video import stream_facts

    assert stream_facts(path).pix_fmt == "yuv420p"


def _request(w: Team, videos: list[str], audio: list[str], mode: str, **extra: object) -> BatchRequest:
    hook_ids = [h.id for h in hooks.list_hooks(w.project, user_id=w.owner, services=w.services).items]
    return BatchRequest(
        w.project,
        video_ids=tuple(videos),
        audio_ids=tuple(audio),
        hook_ids=tuple(hook_ids),
        mode=mode,
        product="Glow Serum",
        style={"duration_s": 1.0},
        **extra,
    )  # type: ignore[arg-type]


def test_round_robin_and_every_combination_counts() -> None:
    rr = batches.combine(["v1", "v2"], ["a1", "a2", "a3"], ["h1"], "round_robin")
    assert [(c.video_id, c.audio_id, c.hook_id) for c in rr] == [
        ("v1", "a1", "h1"),
        ("v2", "a2", "h1"),
        ("v1", "a3", "h1"),
    ]
    assert len(batches.combine(["v1", "v2"], ["a1", "a2"], ["h1", "h2"], "every_combination")) == 8
    assert [c.audio_id for c in batches.combine(["v1"], [], ["h1", "h2"], "every_combination")] == [None, None]


def test_a_batch_renders_each_variant_as_its_own_job_and_hands_off(
    world: Team, clips: dict[str, bytes], tmp_path: Path
) -> None:
    s, p = world.services, world.project
    videos, audio = _library(world, clips)
    hooks.add_hooks(p, "Stop scrolling\nWait for it", category="curiosity", user_id=world.owner, services=s)
    request = _request(world, videos, audio, "every_combination", naming_pattern="../{product}/{hook_category}_{n}")
    estimate = batches.estimate(request, user_id=world.viewer, services=s)
    assert (estimate.count, estimate.cost_usd) == (8, 0.0) and estimate.seconds > 0
    with pytest.raises(PermissionDenied):
        batches.create_batch(request, user_id=world.viewer, services=s)
    batch_id = batches.create_batch(request, user_id=world.editor, services=s)
    status = handoff.batch_status(batch_id, user_id=world.viewer, services=s)
    assert status.counts == {"queued": 8} and not status.finished
    s.queue.drain()  # type: ignore[attr-defined]
    status = handoff.batch_status(batch_id, user_id=world.viewer, services=s)
    assert status.counts == {"ready": 8}, [v.error for v in status.variants]
    assert {v.render_mode for v in status.variants} == {"partial"}
    assert all(v.file_name.startswith("Glow_Serum_curiosity_") and "/" not in v.file_name for v in status.variants)
    assert 0 < status.seconds_left <= 24 * 3600

    key = handoff.build_zip(batch_id, user_id=world.editor, services=s)
    with zipfile.ZipFile(s.storage.download_to(key, tmp_path / "b.zip")) as zf:
        names = zf.namelist()
        assert all("/" not in n and ".." not in n for n in names) and len(names) == 9
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
    assert [r["file_name"] for r in rows] == [v.file_name for v in status.variants]
    assert rows[0]["batch_id"] == batch_id and rows[0]["aspect"] in ("9:16", "192x320")
    assert {r["hook_text"] for r in rows} == {"Stop scrolling", "Wait for it"}

    # an unchanged combination is never rendered twice
    jobs_before = _count_jobs(s)
    again = batches.create_batch(request, user_id=world.owner, services=s)
    assert _count_jobs(s) == jobs_before
    assert handoff.batch_status(again, user_id=world.owner, services=s).counts == {"ready": 8}

    kept = handoff.keep_variants(batch_id, [status.variants[0].id], user_id=world.editor, services=s)
    library = media.list_videos(p, user_id=world.owner, services=s, kind="variant")
    assert [v.id for v in library.items] == kept and library.items[0].parent_id == videos[0]


def _count_jobs(s: Services) -> int:
    with s.db.session() as session:
        return len(session.scalars(select(Job.id)).all())


def test_a_failed_variant_does_not_stop_the_batch_and_is_retried_alone(world: Team, clips: dict[str, bytes]) -> None:
    s, p = world.services, world.project
    videos, audio = _library(world, clips)
    hooks.add_hooks(p, "Hook one", category="offer", user_id=world.owner, services=s)
    batch_id = batches.create_batch(_request(world, videos, audio[:1], "round_robin"), user_id=world.owner, services=s)
    with s.db.session() as session:  # the second source file vanishes from storage before its job runs
        second = session.scalars(
            select(BatchVariant).where(BatchVariant.batch_id == batch_id, BatchVariant.n == 2)
        ).one()
        lost_key = second.inputs["video_key"]
    data = s.storage.read_bytes(lost_key)
    s.storage.delete(lost_key)
    s.queue.drain()  # type: ignore[attr-defined]
    status = handoff.batch_status(batch_id, user_id=world.owner, services=s)
    assert status.counts == {"ready": 1, "failed": 1} and status.finished
    failed = next(v for v in status.variants if v.status == "failed")
    kind, name = _split(lost_key)
    s.storage.put_bytes(kind, data, name=name, content_type="video/mp4")
    with pytest.raises(ValidationError):
        batches.retry_variant(
            next(v.id for v in status.variants if v.status == "ready"), user_id=world.owner, services=s
        )
    batches.retry_variant(failed.id, user_id=world.editor, services=s)
    s.queue.drain()  # type: ignore[attr-defined]
    assert handoff.batch_status(batch_id, user_id=world.owner, services=s).counts == {"ready": 2}


def _split(key: str) -> tuple:  # type: ignore[type-arg]
    from core.adapters.storage.keys import parse_key

    kind, rest = parse_key(key)
    return kind, rest.rsplit(".", 1)[0]


def test_the_batch_cap_and_bad_choices_change_nothing(world: Team, clips: dict[str, bytes]) -> None:
    s = world.services
    videos, audio = _library(world, clips)
    s.settings.factory_batch_max_variants = 3
    with pytest.raises(ValidationError, match="at most 3"):
        batches.create_batch(_request(world, videos, audio, "every_combination"), user_id=world.owner, services=s)
    with pytest.raises(ValidationError, match="placeholder"):
        batches.create_batch(
            _request(world, videos, audio, "round_robin", naming_pattern="{product.__class__}"),
            user_id=world.owner,
            services=s,
        )
    with pytest.raises(ValidationError, match="position"):
        batches.create_batch(
            BatchRequest(
                world.project, video_ids=tuple(videos), audio_ids=tuple(audio), style={"position": "x';drawtext"}
            ),
            user_id=world.owner,
            services=s,
        )
    with s.db.session() as session:
        assert session.scalars(select(VariantBatch.id)).all() == []


def test_expiry_deletes_batch_files_and_zip_only(world: Team, clips: dict[str, bytes]) -> None:
    s, p = world.services, world.project
    videos, audio = _library(world, clips)
    batch_id = batches.create_batch(
        _request(world, videos[:1], audio[:1], "round_robin"), user_id=world.owner, services=s
    )
    s.queue.drain()  # type: ignore[attr-defined]
    zip_key = handoff.build_zip(batch_id, user_id=world.owner, services=s)
    [variant] = handoff.batch_status(batch_id, user_id=world.owner, services=s).variants
    [kept] = handoff.keep_variants(batch_id, [variant.id], user_id=world.owner, services=s)
    assert handoff.expire_batches(s) == 0  # not yet due
    with s.db.session() as session:
        session.get(VariantBatch, batch_id).expires_at -= timedelta(hours=25)  # type: ignore[union-attr]
    from jobs.sweeper import sweep

    assert sweep(s)["expired_batches"] == 1
    assert not s.storage.exists(variant.video_key) and not s.storage.exists(zip_key)  # type: ignore[arg-type]
    with s.db.session() as session:
        kept_row = session.get(LibraryVideo, kept)
        sources = session.scalars(select(LibraryVideo.video_key).where(LibraryVideo.id.in_(videos))).all()
    assert s.storage.exists(kept_row.video_key) and all(s.storage.exists(k) for k in sources)  # type: ignore[union-attr]
    status = handoff.batch_status(batch_id, user_id=world.owner, services=s)
    assert status.expired and status.zip_key is None
    with pytest.raises(ValidationError, match="expired"):
        handoff.build_zip(batch_id, user_id=world.owner, services=s)
    assert p


class ToneSpeech(FakeProvider):
    """A paid speech provider (scripted like the other fakes) whose result is real sound."""

    def collect(self, request: Any, result: Any, dest_dir: Path) -> AudioClip:
        dest_dir.mkdir(parents=True, exist_ok=True)
        return AudioClip(make_tone(dest_dir / "speech.mp3", 1.2), 1.2)


def test_a_voice_over_is_admitted_held_and_ledgered(world: Team) -> None:
    from core.adapters.db.models.accounts import SpendHold
    from core.adapters.db.models.jobs import CostRecord
    from core.services.usage.spend import CostCeilingReached
    from core.services.variant_factory.voiceovers import create_voiceover
    from tests.fakes import add_actor

    s, p = world.services, world.project
    speech = ToneSpeech("speech", price=0.5)
    s.providers = fake_providers(speech=speech)
    actor = add_actor(s)
    audio_id = create_voiceover(p, "Try it for thirty days.", actor, title="VO", user_id=world.editor, services=s)
    s.queue.drain()  # type: ignore[attr-defined]
    [view] = audio_lib.list_audio(p, user_id=world.viewer, services=s, origin="voiceover").items
    assert view.id == audio_id and view.status == "ready" and view.audio_key and view.duration_s
    with s.db.session() as session:
        assert session.scalars(select(SpendHold.id)).all()  # admitted with its estimate held
        assert session.scalars(select(CostRecord.capability)).all() == ["speech"]  # and ledgered
    assert speech.submits == 1
    from core.services.variant_factory import stats

    assert stats.cost_per_kind(user_id=world.editor, services=s)["kind"].tolist() == ["Voice-overs"]
    s.settings.daily_cost_ceiling_usd = 0.4  # $0.50 spent today already
    with pytest.raises(CostCeilingReached):
        create_voiceover(p, "Another line to say.", actor, title="VO2", user_id=world.editor, services=s)
    assert audio_lib.list_audio(p, user_id=world.owner, services=s).total == 1


def test_stats_show_storage_jobs_and_cost_per_kind(world: Team, clips: dict[str, bytes]) -> None:
    from core.services.variant_factory import stats

    s, p = world.services, world.project
    videos, audio = _library(world, clips)
    hooks.add_hooks(p, "Only hook", category="offer", user_id=world.owner, services=s)
    batch_id = batches.create_batch(
        _request(world, videos[:1], audio[:1], "round_robin"), user_id=world.editor, services=s
    )
    assert [j.kind for j in stats.studio_jobs(user_id=world.viewer, services=s, active=True)] == ["Ad variants"]
    assert stats.studio_jobs(user_id=world.stranger, services=s, active=True) == []
    s.queue.drain()  # type: ignore[attr-defined]
    assert [j.status for j in stats.studio_jobs(user_id=world.owner, services=s, active=False)] == ["completed"]
    handoff.build_zip(batch_id, user_id=world.owner, services=s)
    used = stats.storage_used(user_id=world.viewer, services=s)
    by_kind = used.groupby("kind")["bytes"].sum().to_dict()
    assert set(by_kind) == {"Library videos", "Library audio", "Variants (expiring)", "ZIPs (expiring)"}
    with s.db.session() as session:  # uploaded videos are stored by their upload jobs
        upload_jobs = [j for j in session.scalars(select(LibraryUpload.job_id)) if j]
    assert len(upload_jobs) == 2
    on_disk = sum(
        f.stat().st_size
        for f in s.settings.media_dir.rglob("*")
        if f.is_file()
        and ("library" in str(f) or any(j in str(f) for j in upload_jobs))
        and f.suffix in (".mp4", ".jpg", ".mp3")
    )
    assert by_kind["Library videos"] + by_kind["Library audio"] == on_disk  # sizes from the storage adapter
    assert stats.storage_used(user_id=world.stranger, services=s).empty
    assert stats.cost_per_kind(user_id=world.owner, services=s).empty  # FFmpeg work is free
