"""Rules in services: limits, quota (also under concurrency), deletes, versions, gallery, media rights."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core.adapters.db.models.jobs import Job
from core.adapters.db.models.talking import ActorImageVariant, VideoAsset
from core.errors import MediaRejected, NotFound, QuotaExceeded, ValidationError
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.ads import media
from core.services.talking import gallery, projects, variants, videos
from core.services.talking.gallery import GalleryQuery
from core.services.talking.videos import VideoRequest
from tests.conftest import make_services
from tests.fakes import FakeMedia, add_actor


@pytest.fixture
def actor_id(services: Services) -> str:
    return add_actor(services)


@pytest.fixture
def project_id(services: Services, owner: str) -> str:
    return projects.create_project("Spring launch", owner_id=owner, services=services).id


def _text(project_id: str, actor_id: str, script: str = "Okay so I have been using this for a week.") -> VideoRequest:
    return VideoRequest(project_id=project_id, actor_id=actor_id, script=script)


def test_script_limits_are_checked_with_the_numbers(
    services: Services, owner: str, project_id: str, actor_id: str
) -> None:
    with pytest.raises(ValidationError, match="1,501 characters; the limit is 1,500"):
        videos.create_video(_text(project_id, actor_id, "a" * 1501), user_id=owner, services=services)
    long_speech = " ".join(["word"] * 151)  # 151 words at 150 wpm = 60.4 s
    with pytest.raises(ValidationError, match="about 60 s; the limit is 60 s"):
        videos.create_video(_text(project_id, actor_id, long_speech), user_id=owner, services=services)
    with pytest.raises(ValidationError, match="Write the script"):
        videos.create_video(_text(project_id, actor_id, "   "), user_id=owner, services=services)
    assert videos.spoken_seconds(" ".join(["w"] * 150), 150) == 60.0


def test_the_31st_generation_of_the_day_is_refused_with_the_reset_time(
    services: Services, owner: str, project_id: str, actor_id: str
) -> None:
    services.settings.daily_generation_quota = 3
    for _ in range(3):
        videos.create_video(_text(project_id, actor_id), user_id=owner, services=services)
    with pytest.raises(QuotaExceeded, match="resets at midnight UTC") as refused:
        videos.create_video(_text(project_id, actor_id), user_id=owner, services=services)
    assert refused.value.details and refused.value.details["limit"] == 3


def test_quota_holds_under_concurrent_submissions(settings, db) -> None:  # type: ignore[no-untyped-def]
    settings.daily_generation_quota = 10
    services = make_services(settings, db)
    owner = ensure_user(services.db, "busy@example.com")
    project = projects.create_project("Burst", owner_id=owner, services=services)
    actor = add_actor(services)
    outcomes: list[str] = []
    barrier = threading.Barrier(25)

    def submit() -> None:
        barrier.wait()
        try:
            videos.create_video(_text(project.id, actor), user_id=owner, services=services)
            outcomes.append("ok")
        except QuotaExceeded:
            outcomes.append("refused")

    threads = [threading.Thread(target=submit) for _ in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 10 and outcomes.count("refused") == 15
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(VideoAsset)) == 10


def test_uploaded_audio_is_probed_by_content_and_capped(settings, db) -> None:  # type: ignore[no-untyped-def]
    services = make_services(settings, db, media=FakeMedia(duration_s=61))
    owner = ensure_user(services.db, "a@example.com")
    with pytest.raises(MediaRejected, match="61.0 s; the limit is 60 s"):
        videos.prepare_uploaded_audio(b"ID3 pretend mp3", user_id=owner, services=services)
    with pytest.raises(MediaRejected, match="not an audio"):
        videos.prepare_uploaded_audio(b"just some text renamed .mp3", user_id=owner, services=services)
    with pytest.raises(ValidationError, match="limit is 10 MB"):
        videos.prepare_uploaded_audio(b"ID3" + b"0" * (10 * 1024 * 1024), user_id=owner, services=services)
    media_root = settings.media_dir
    assert not list(media_root.rglob("*.mp3"))  # nothing stored for refused input


def test_audio_video_uses_the_transcoded_upload(services: Services, owner: str, project_id: str, actor_id: str) -> None:
    key, duration = videos.prepare_uploaded_audio(b"ID3 recording", user_id=owner, services=services)
    assert key.startswith("audio/uploads/") and key.endswith(".mp3") and duration == 3.0
    video_id = videos.create_video(
        VideoRequest(project_id=project_id, actor_id=actor_id, audio_key=key), user_id=owner, services=services
    )
    services.queue.drain()  # type: ignore[attr-defined]
    view = gallery.video_details(video_id, user_id=owner, services=services)
    assert view.status.value == "completed" and view.audio_key == key
    assert services.providers.speech.submits == 0


def test_regenerate_makes_a_linked_new_version(services: Services, owner: str, project_id: str, actor_id: str) -> None:
    first = videos.create_video(_text(project_id, actor_id), user_id=owner, services=services)
    second = videos.regenerate_video(first, user_id=owner, services=services)
    third = videos.regenerate_video(second, user_id=owner, services=services)
    with services.db.session() as session:
        rows = {v.id: v for v in session.scalars(select(VideoAsset))}
    assert rows[second].parent_id == first and rows[second].version == 2
    assert rows[third].parent_id == first and rows[third].version == 3
    assert rows[third].source_text == rows[first].source_text


def test_deleting_a_video_removes_files_and_cancels_its_job(
    services: Services, owner: str, project_id: str, actor_id: str
) -> None:
    done = videos.create_video(_text(project_id, actor_id), user_id=owner, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    details = gallery.video_details(done, user_id=owner, services=services)
    assert details.video_key and services.storage.exists(details.video_key)
    videos.delete_video(done, user_id=owner, services=services)
    assert not services.storage.exists(details.video_key) and not services.storage.exists(details.poster_key or "")

    in_flight = videos.create_video(_text(project_id, actor_id), user_id=owner, services=services)
    with services.db.session() as session:
        job_id = session.get(VideoAsset, in_flight).job_id  # type: ignore[union-attr]
    videos.delete_video(in_flight, user_id=owner, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    with services.db.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "cancelled"
        assert session.get(VideoAsset, in_flight) is None  # never resurrected
    assert not list(services.settings.media_dir.rglob(f"*{job_id}*"))


def test_deleting_a_project_removes_everything_in_it(
    services: Services, owner: str, project_id: str, actor_id: str
) -> None:
    videos.create_video(_text(project_id, actor_id), user_id=owner, services=services)
    variants.create_variant(project_id, actor_id, "in a bathroom, warm light", user_id=owner, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    assert list(services.settings.media_dir.rglob("jobs/*/*"))
    projects.delete_project(project_id, user_id=owner, services=services)
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(VideoAsset)) == 0
        assert session.scalar(select(func.count()).select_from(ActorImageVariant)) == 0
    assert not list(services.settings.media_dir.rglob("jobs/*/*"))
    assert projects.list_projects(user_id=owner, services=services) == []


def test_variants_are_created_listed_and_reused(services: Services, owner: str, project_id: str, actor_id: str) -> None:
    with pytest.raises(ValidationError, match="200 characters"):
        variants.create_variant(project_id, actor_id, "x" * 201, user_id=owner, services=services)
    variant_id = variants.create_variant(
        project_id, actor_id, "beach at golden hour", seed=7, user_id=owner, services=services
    )
    assert variants.variant_status(variant_id, user_id=owner, services=services)[0] == "pending"
    services.queue.drain()  # type: ignore[attr-defined]
    [variant] = variants.list_variants(project_id, actor_id=actor_id, user_id=owner, services=services)
    assert variant.id == variant_id and variant.seed == 7 and variant.image_key
    video_id = videos.create_video(
        VideoRequest(project_id=project_id, actor_id=actor_id, script="Hi!", variant_id=variant_id),
        user_id=owner,
        services=services,
    )
    services.queue.drain()  # type: ignore[attr-defined]
    assert gallery.video_details(video_id, user_id=owner, services=services).image_key == variant.image_key
    assert services.providers.image_edit.submits == 1  # the chosen variant is used as is


def test_gallery_filters_search_and_pages_in_the_database(
    services: Services, owner: str, project_id: str, actor_id: str
) -> None:
    other_actor = add_actor(services, key="other", display_name="Other")
    for i in range(30):
        actor = actor_id if i % 3 else other_actor
        videos.create_video(
            _text(project_id, actor, f"Script number {i} about sunscreen"), user_id=owner, services=services
        )
    page = gallery.list_videos(GalleryQuery(project_id=project_id, page_size=12), user_id=owner, services=services)
    assert page.total == 30 and len(page.items) == 12 and page.pages == 3
    last = gallery.list_videos(
        GalleryQuery(project_id=project_id, page=3, page_size=12), user_id=owner, services=services
    )
    assert len(last.items) == 6
    by_actor = gallery.list_videos(GalleryQuery(actor_id=other_actor), user_id=owner, services=services)
    assert by_actor.total == 10 and {v.actor_name for v in by_actor.items} == {"Other"}
    found = gallery.list_videos(GalleryQuery(search="NUMBER 7 about"), user_id=owner, services=services)
    assert [v.source_text for v in found.items] == ["Script number 7 about sunscreen"]
    queued = gallery.list_videos(GalleryQuery(statuses=("completed",)), user_id=owner, services=services)
    assert queued.total == 0


def test_strangers_see_nothing_and_cannot_open_files(
    services: Services, owner: str, project_id: str, actor_id: str
) -> None:
    video_id = videos.create_video(_text(project_id, actor_id), user_id=owner, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    key = gallery.video_details(video_id, user_id=owner, services=services).video_key
    assert key and gallery.media_bytes(key, user_id=owner, services=services)
    stranger = ensure_user(services.db, "stranger@example.com")
    assert gallery.list_videos(GalleryQuery(), user_id=stranger, services=services).total == 0
    for attempt in (
        lambda: gallery.media_bytes(key, user_id=stranger, services=services),
        lambda: gallery.video_details(video_id, user_id=stranger, services=services),
        lambda: videos.delete_video(video_id, user_id=stranger, services=services),
        lambda: projects.delete_project(project_id, user_id=stranger, services=services),
        lambda: videos.create_video(_text(project_id, actor_id), user_id=stranger, services=services),
    ):
        with pytest.raises(NotFound):
            attempt()


@pytest.mark.parametrize(
    "key",
    ["audio/uploads/{owner}/x\x00.mp3", "audio/uploads/{owner}/" + "a" * 300 + ".mp3", "bogus/uploads/{owner}/a.mp3"],
)
def test_hostile_media_keys_are_refused_cleanly(services: Services, owner: str, project_id: str, key: str) -> None:
    key = key.format(owner=owner)
    with pytest.raises(ValidationError):
        gallery.media_bytes(key, user_id=owner, services=services)
    with pytest.raises(ValidationError):
        media.media_bytes(key, user_id=owner, services=services)


def test_create_video_refuses_an_audio_key_that_is_not_this_users_upload(
    services: Services, owner: str, project_id: str, actor_id: str
) -> None:
    other = ensure_user(services.db, "other@example.com")
    theirs, _ = videos.prepare_uploaded_audio(b"ID3 their voice", user_id=other, services=services)
    never_stored = f"audio/uploads/{owner}/{'0' * 32}.mp3"
    for key in (theirs, never_stored, "images/catalog/x.png", "audio/uploads/x\x00.mp3"):
        with pytest.raises((NotFound, ValidationError)):
            videos.create_video(
                VideoRequest(project_id=project_id, actor_id=actor_id, audio_key=key), user_id=owner, services=services
            )
