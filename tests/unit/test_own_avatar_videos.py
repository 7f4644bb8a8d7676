"""Talking videos of the creator's own avatars, on SQLite and PostgreSQL: the job lip-syncs the
avatar's front photo (its own copy), sends the other angles with a new setting, speaks the
avatar's voice; rights: another team's avatar, an unshared one and one of another project are
refused with their reasons, and nothing is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.adapters.db.database import Database
from core.adapters.db.models.talking import ActorImageVariant, VideoAsset
from core.config import Settings
from core.domain.types import VideoStatus
from core.errors import NotFound, ValidationError
from core.ports import PollResult
from core.ports_services import Services
from core.services.accounts import team
from core.services.accounts.identity import ensure_user
from core.services.avatars import manage
from core.services.talking import gallery, videos
from core.services.talking.projects import create_project
from core.services.talking.videos import VideoRequest
from tests.avatar_support import avatar_services, three_views
from tests.conftest import make_services
from tests.fakes import FakeProvider, add_actor, fake_providers


@dataclass
class Recording(FakeProvider):
    """A fake provider that keeps what each request carried (file bytes, not temp paths)."""

    seen: list[dict[str, Any]] = field(default_factory=list)

    def collect(self, request: Any, result: PollResult, dest_dir: Path) -> Any:
        entry: dict[str, Any] = {"request": request}
        if image := getattr(request, "image", None):
            entry["image"] = Path(image).read_bytes()
        entry["references"] = [Path(p).read_bytes() for p in getattr(request, "references", ())]
        self.seen.append(entry)
        return super().collect(request, result, dest_dir)


@dataclass
class World:
    services: Services
    owner: str
    project: str
    avatar: str
    lipsync: Recording
    image_edit: Recording
    speech: Recording


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    makers = avatar_services(settings, db)  # the real face detector classifies the photos
    owner = ensure_user(makers.db, "owner@example.com")
    project = create_project("Twins", owner_id=owner, services=makers).id
    avatar = manage.create_avatar(project, "Dana", three_views(), consent=True, user_id=owner, services=makers)
    manage.update_avatar(avatar, voice={"provider": "local", "voice_id": "en-gb-x-rp+f1"}, user_id=owner,
                         services=makers)  # fmt: skip
    lipsync, image_edit, speech = Recording("video"), Recording("image"), Recording("speech")
    providers = fake_providers(lipsync=lipsync, image_edit=image_edit, speech=speech)
    services = make_services(settings, db, providers=providers)
    return World(services, owner, project, avatar, lipsync, image_edit, speech)


def _photo_bytes(w: World, angle: str) -> bytes:
    view = manage.get_avatar(w.avatar, user_id=w.owner, services=w.services)
    return w.services.storage.read_bytes(next(p.image_key for p in view.photos if p.angle == angle))


def _run(w: World, request: VideoRequest, user: str | None = None) -> VideoAsset:
    video_id = videos.create_video(request, user_id=user or w.owner, services=w.services)
    w.services.queue.drain()  # type: ignore[attr-defined]
    with w.services.db.session() as session:
        video = session.get(VideoAsset, video_id)
        assert video is not None
        session.expunge(video)
        return video


def test_an_own_avatar_video_lipsyncs_its_front_photo_in_its_voice(world: World) -> None:
    w = world
    video = _run(w, VideoRequest(w.project, None, script="Okay so this one is me.", avatar_id=w.avatar))
    assert video.status == VideoStatus.COMPLETED.value, video.error
    assert video.actor_id is None and video.avatar_id == w.avatar
    [synced] = w.lipsync.seen
    assert synced["image"] == _photo_bytes(w, "front")
    [spoken] = w.speech.seen
    assert spoken["request"].voice.voice_id == "en-gb-x-rp+f1"
    avatar_keys = {p.image_key for p in manage.get_avatar(w.avatar, user_id=w.owner, services=w.services).photos}
    assert video.image_key and video.image_key not in avatar_keys  # the video's own copy
    [card] = gallery.list_videos(gallery.GalleryQuery(project_id=w.project), user_id=w.owner, services=w.services).items
    assert card.actor_name == "Dana" and card.avatar_id == w.avatar and card.actor_id is None

    manage.delete_avatar(w.avatar, user_id=w.owner, services=w.services)
    assert w.services.storage.exists(video.image_key)  # the video stays whole
    details = gallery.video_details(video.id, user_id=w.owner, services=w.services)
    assert details.actor_name == gallery.FACE_GONE and details.avatar_id is None
    with pytest.raises(NotFound, match="avatar of this video was deleted"):
        videos.regenerate_video(video.id, user_id=w.owner, services=w.services)
    videos.delete_video(video.id, user_id=w.owner, services=w.services)
    assert not w.services.storage.exists(video.image_key)  # and its copy goes with it


def test_a_new_setting_sends_the_other_angles_and_saves_no_catalog_variant(world: World) -> None:
    w = world
    request = VideoRequest(w.project, None, script="Morning routine time.", image_prompt="in a bright kitchen",
                           avatar_id=w.avatar)  # fmt: skip
    video = _run(w, request)
    assert video.status == VideoStatus.COMPLETED.value, video.error
    [edit] = w.image_edit.seen
    assert edit["image"] == _photo_bytes(w, "front")
    assert sorted(edit["references"]) == sorted([_photo_bytes(w, "left_profile"), _photo_bytes(w, "right_profile")])
    assert w.lipsync.seen[0]["image"] != _photo_bytes(w, "front")  # the new setting is what talks
    with w.services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ActorImageVariant)) == 0
    again = videos.regenerate_video(video.id, user_id=w.owner, services=w.services)
    with w.services.db.session() as session:
        assert session.get(VideoAsset, again).avatar_id == w.avatar  # type: ignore[union-attr]


def test_an_avatar_deleted_before_its_video_runs_fails_the_video_with_the_reason(world: World) -> None:
    w = world
    video_id = videos.create_video(VideoRequest(w.project, None, script="Hi there.", avatar_id=w.avatar),
                                   user_id=w.owner, services=w.services)  # fmt: skip
    manage.delete_avatar(w.avatar, user_id=w.owner, services=w.services)
    w.services.queue.drain()  # type: ignore[attr-defined]
    view = gallery.video_details(video_id, user_id=w.owner, services=w.services)
    assert view.status is VideoStatus.FAILED and view.error and "avatar of this video was deleted" in view.error.message
    assert w.lipsync.seen == [] and w.speech.seen == []


def _no_videos(w: World) -> None:
    with w.services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(VideoAsset)) == 0


def test_another_teams_avatar_and_one_of_another_project_are_refused(world: World, settings: Settings) -> None:
    w = world
    stranger = ensure_user(w.services.db, "stranger@example.com")
    theirs = create_project("Theirs", owner_id=stranger, services=w.services).id
    makers = avatar_services(settings, w.services.db)
    foreign = manage.create_avatar(theirs, "Zed", three_views(), consent=True, user_id=stranger, services=makers,
                                   shared=True)  # fmt: skip
    with pytest.raises(NotFound, match="That avatar does not exist or is not shared with you"):
        videos.create_video(VideoRequest(w.project, None, script="Hi there.", avatar_id=foreign), user_id=w.owner,
                            services=w.services)  # fmt: skip
    with pytest.raises(NotFound, match="That avatar does not exist or is not shared with you"):
        videos.create_video(VideoRequest(theirs, None, script="Hi there.", avatar_id=w.avatar), user_id=stranger,
                            services=w.services)  # fmt: skip
    other = create_project("Other", owner_id=w.owner, services=w.services).id
    with pytest.raises(NotFound, match="belongs to another project"):
        videos.create_video(VideoRequest(other, None, script="Hi there.", avatar_id=w.avatar), user_id=w.owner,
                            services=w.services)  # fmt: skip
    actor = add_actor(w.services)
    with pytest.raises(ValidationError, match="catalog actor or one of your avatars"):
        videos.create_video(VideoRequest(w.project, actor, script="Hi there.", avatar_id=w.avatar),
                            user_id=w.owner, services=w.services)  # fmt: skip
    _no_videos(w)


def test_a_team_member_may_use_an_avatar_only_once_it_is_shared(world: World) -> None:
    w = world
    editor = ensure_user(w.services.db, "editor@example.com")
    team.invite_member(w.project, "editor@example.com", "editor", user_id=w.owner, services=w.services)
    request = VideoRequest(w.project, None, script="Hi there, team.", avatar_id=w.avatar)
    with pytest.raises(NotFound, match="not shared with you"):
        videos.create_video(request, user_id=editor, services=w.services)
    _no_videos(w)
    manage.update_avatar(w.avatar, shared=True, user_id=w.owner, services=w.services)
    video = _run(w, request, user=editor)
    assert video.status == VideoStatus.COMPLETED.value and video.owner_id == editor
