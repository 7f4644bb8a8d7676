"""Isolation: nobody sees or changes what is not theirs, in every service that reads or changes data.

User A owns a project with a finished video, a ready variant, an upload and a job. B tries
everything as a stranger, as a viewer and as an editor of that project: strangers are told
it does not exist, viewers may only look and download, editors may also generate and
delete, and only the owner manages members and deletes the project. On PostgreSQL the
same attempts are repeated through raw SQL under B's database role (row-level security).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from core.adapters.db.models.talking import ActorImageVariant, VideoAsset
from core.errors import NotFound, PermissionDenied
from core.ports_services import Services
from core.services.accounts import audit, team
from core.services.accounts.access import Right
from core.services.accounts.identity import ensure_user
from core.services.talking import gallery, projects, variants, videos
from core.services.talking.gallery import GalleryQuery
from core.services.talking.videos import VideoRequest
from core.services.usage import estimates, metrics, spend
from tests.fakes import add_actor


@dataclass
class World:
    services: Services
    owner: str
    users: dict[str, str]  # stranger, viewer, editor
    project: str
    private_project: str
    actor: str
    video: str
    video_key: str
    poster_key: str
    variant: str
    variant_key: str
    job: str
    upload_key: str


def build_world(services: Services) -> World:
    owner = ensure_user(services.db, "a@example.com")
    users = {name: ensure_user(services.db, f"{name}@example.com") for name in ("stranger", "viewer", "editor")}
    project = projects.create_project("Shared launch", owner_id=owner, services=services).id
    private = projects.create_project("A's secret", owner_id=owner, services=services).id
    team.invite_member(project, "viewer@example.com", "viewer", user_id=owner, services=services)
    team.invite_member(project, "editor@example.com", "editor", user_id=owner, services=services)
    team.invite_member(project, "later@example.com", "viewer", user_id=owner, services=services)  # no account yet
    actor = add_actor(services)
    upload_key, _ = videos.prepare_uploaded_audio(b"ID3 a's voice", user_id=owner, services=services)
    video = videos.create_video(VideoRequest(project, actor, audio_key=upload_key), user_id=owner, services=services)
    variant = variants.create_variant(project, actor, "on a beach", user_id=owner, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    details = gallery.video_details(video, user_id=owner, services=services)
    [view] = variants.list_variants(project, user_id=owner, services=services)
    assert details.video_key and details.poster_key and details.job
    return World(
        services,
        owner,
        users,
        project,
        private,
        actor,
        video,
        details.video_key,
        details.poster_key,
        variant,
        view.image_key,
        details.job.id,
        upload_key,
    )


@pytest.fixture
def world(services: Services) -> World:
    return build_world(services)


Action = Callable[[World, str], Any]
S = "services"

# name -> (right needed, action run as the given user)
ACTIONS: dict[str, tuple[Right, Action]] = {
    "get_project": (Right.VIEW, lambda w, u: projects.get_project(w.project, user_id=u, services=w.services)),
    "list_project_videos": (
        Right.VIEW,
        lambda w, u: gallery.list_videos(GalleryQuery(project_id=w.project), user_id=u, services=w.services),
    ),
    "video_details": (Right.VIEW, lambda w, u: gallery.video_details(w.video, user_id=u, services=w.services)),
    "video_bytes": (Right.VIEW, lambda w, u: gallery.media_bytes(w.video_key, user_id=u, services=w.services)),
    "poster_bytes": (Right.VIEW, lambda w, u: gallery.media_bytes(w.poster_key, user_id=u, services=w.services)),
    "upload_bytes": (Right.VIEW, lambda w, u: gallery.media_bytes(w.upload_key, user_id=u, services=w.services)),
    "variant_bytes": (Right.VIEW, lambda w, u: gallery.media_bytes(w.variant_key, user_id=u, services=w.services)),
    "video_link": (Right.VIEW, lambda w, u: gallery.media_link(w.video_key, user_id=u, services=w.services)),
    "list_variants": (Right.VIEW, lambda w, u: variants.list_variants(w.project, user_id=u, services=w.services)),
    "variant_status": (Right.VIEW, lambda w, u: variants.variant_status(w.variant, user_id=u, services=w.services)),
    "list_members": (Right.VIEW, lambda w, u: team.list_members(w.project, user_id=u, services=w.services)),
    "team_spend": (Right.VIEW, lambda w, u: spend.team_spend_today(w.project, user_id=u, services=w.services)),
    "rename_project": (
        Right.EDIT,
        lambda w, u: projects.rename_project(w.project, "Mine now", user_id=u, services=w.services),
    ),
    "create_video": (
        Right.EDIT,
        lambda w, u: videos.create_video(VideoRequest(w.project, w.actor, script="Hi"), user_id=u, services=w.services),
    ),
    "reuse_upload": (
        Right.EDIT,
        lambda w, u: videos.create_video(
            VideoRequest(w.project, w.actor, audio_key=w.upload_key), user_id=u, services=w.services
        ),
    ),
    "regenerate_video": (Right.EDIT, lambda w, u: videos.regenerate_video(w.video, user_id=u, services=w.services)),
    "cancel_video": (Right.EDIT, lambda w, u: videos.cancel_video(w.video, user_id=u, services=w.services)),
    "delete_video": (Right.EDIT, lambda w, u: videos.delete_video(w.video, user_id=u, services=w.services)),
    "create_variant": (
        Right.EDIT,
        lambda w, u: variants.create_variant(w.project, w.actor, "in a car", user_id=u, services=w.services),
    ),
    "delete_variant": (Right.EDIT, lambda w, u: variants.delete_variant(w.variant, user_id=u, services=w.services)),
    "invite_member": (
        Right.OWN,
        lambda w, u: team.invite_member(w.project, "pal@example.com", "editor", user_id=u, services=w.services),
    ),
    "change_role": (
        Right.OWN,
        lambda w, u: team.change_role(w.project, "viewer@example.com", "editor", user_id=u, services=w.services),
    ),
    "remove_member": (
        Right.OWN,
        lambda w, u: team.remove_member(w.project, "later@example.com", user_id=u, services=w.services),
    ),
    "delete_project": (Right.OWN, lambda w, u: projects.delete_project(w.project, user_id=u, services=w.services)),
}
RIGHTS = {"stranger": 0, "viewer": Right.VIEW, "editor": Right.EDIT}


@pytest.mark.parametrize("name", list(ACTIONS))
def test_each_action_needs_its_right(world: World, name: str) -> None:
    need, action = ACTIONS[name]
    for who in ("stranger", "viewer", "editor"):
        user = world.users[who]
        if RIGHTS[who] >= need:
            action(world, user)  # allowed; for a change, the first allowed actor makes it
            return
        expected = NotFound if who == "stranger" else PermissionDenied
        with pytest.raises(expected):
            action(world, user)
    action(world, world.owner)  # the owner-only ones


def test_lists_and_aggregates_hold_only_what_is_visible(world: World) -> None:
    s = world.services
    stranger, viewer = world.users["stranger"], world.users["viewer"]
    videos.create_video(
        VideoRequest(world.private_project, world.actor, script="Secret"), user_id=world.owner, services=s
    )
    assert projects.list_projects(user_id=stranger, services=s) == []
    assert [p.title for p in projects.list_projects(user_id=viewer, services=s)] == ["Shared launch"]
    assert gallery.list_videos(GalleryQuery(), user_id=stranger, services=s).total == 0
    assert {v.project_id for v in gallery.list_videos(GalleryQuery(), user_id=viewer, services=s).items} == {
        world.project
    }
    assert gallery.job_statuses([world.job], user_id=stranger, services=s) == {}
    assert set(gallery.job_statuses([world.job], user_id=viewer, services=s)) == {world.job}
    assert metrics.job_counts(user_id=stranger, services=s).started == 0
    assert metrics.total_cost(user_id=stranger, services=s) == 0.0 < metrics.total_cost(user_id=world.owner, services=s)
    assert spend.spend_today(user_id=stranger, services=s).committed_usd == 0.0
    assert audit.list_events(user_id=stranger, services=s) == []
    assert audit.list_events(user_id=world.owner, services=s)  # the owner's own log is there
    assert estimates.estimate_video(10, with_image_edit=False, services=s, user_id=stranger).from_history is False


def test_a_viewer_cannot_pass_off_someone_elses_upload_or_variant(world: World) -> None:
    s, editor = world.services, world.users["editor"]
    mine = projects.create_project("Editor's own", owner_id=editor, services=s).id
    with pytest.raises(NotFound, match="recording"):
        videos.create_video(VideoRequest(mine, world.actor, audio_key=world.upload_key), user_id=editor, services=s)
    with pytest.raises(NotFound, match="variant"):
        videos.create_video(
            VideoRequest(mine, world.actor, script="Hi", variant_id=world.variant), user_id=editor, services=s
        )
    # inside the shared project, reusing the project's recording is what Regenerate does
    videos.create_video(
        VideoRequest(world.project, world.actor, audio_key=world.upload_key), user_id=editor, services=s
    )


def test_a_member_removed_loses_access_at_once(world: World) -> None:
    s, viewer = world.services, world.users["viewer"]
    gallery.media_bytes(world.video_key, user_id=viewer, services=s)
    team.remove_member(world.project, "viewer@example.com", user_id=world.owner, services=s)
    with pytest.raises(NotFound):
        gallery.media_bytes(world.video_key, user_id=viewer, services=s)
    with pytest.raises(NotFound):
        projects.get_project(world.project, user_id=viewer, services=s)


def test_a_member_may_leave_but_not_remove_others(world: World) -> None:
    s, editor = world.services, world.users["editor"]
    with pytest.raises(PermissionDenied):
        team.remove_member(world.project, "viewer@example.com", user_id=editor, services=s)
    team.remove_member(world.project, "editor@example.com", user_id=editor, services=s)
    assert [m.email for m in team.list_members(world.project, user_id=world.owner, services=s)] == [
        "a@example.com",
        "viewer@example.com",
        "later@example.com",
    ]


def test_deletions_are_in_the_owners_log(world: World) -> None:
    s = world.services
    videos.delete_video(world.video, user_id=world.users["editor"], services=s)
    projects.delete_project(world.project, user_id=world.owner, services=s)
    actions = [e.action for e in audit.list_events(user_id=world.owner, services=s)]
    assert actions[:2] == ["project.deleted", "video.deleted"]
    with s.db.session() as session:
        assert session.scalar(select(VideoAsset.id)) is None and session.scalar(select(ActorImageVariant.id)) is None


def test_gallery_search_finds_by_script_prompt_or_title_only_in_visible_projects(world: World) -> None:
    s = world.services
    for project, script in ((world.project, "Our SERUM, honestly"), (world.private_project, "The secret serum")):
        videos.create_video(VideoRequest(project, world.actor, script=script), user_id=world.owner, services=s)

    def found(user: str, search: str) -> list[str]:
        page = gallery.list_videos(GalleryQuery(search=search), user_id=user, services=s)
        assert page.total == len(page.items)
        return sorted(v.source_text or "" for v in page.items)

    assert found(world.owner, "serum") == ["Our SERUM, honestly", "The secret serum"]  # any case, every project
    assert found(world.users["viewer"], "Serum") == ["Our SERUM, honestly"]
    assert found(world.users["stranger"], "serum") == []
    assert found(world.owner, "a's secret") == ["The secret serum"]  # the project's title
    assert found(world.users["viewer"], "a's secret") == []
    assert found(world.owner, "se%um") == [] and found(world.owner, "honestly,") == []  # text, not patterns
