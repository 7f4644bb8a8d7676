"""The gallery marker a second tab polls: it moves when a video is added or changes status."""

from __future__ import annotations

from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.talking import gallery, projects, videos
from core.services.talking.videos import VideoRequest
from tests.fakes import add_actor


def test_the_marker_moves_with_new_videos_and_status_changes(services: Services, owner: str) -> None:
    project_id = projects.create_project("Launch", owner_id=owner, services=services).id
    empty = gallery.gallery_marker(project_id, user_id=owner, services=services)
    assert empty[0] == 0
    videos.create_video(
        VideoRequest(project_id, add_actor(services), script="Hi there."), user_id=owner, services=services
    )
    queued = gallery.gallery_marker(project_id, user_id=owner, services=services)
    assert queued[0] == 1 and queued != empty
    assert gallery.gallery_marker(project_id, user_id=owner, services=services) == queued, "stable while idle"
    services.queue.drain()  # type: ignore[attr-defined]
    assert gallery.gallery_marker(project_id, user_id=owner, services=services) != queued, "status changed"
    stranger = ensure_user(services.db, "stranger@example.com")
    assert gallery.gallery_marker(None, user_id=stranger, services=services)[0] == 0


def test_the_same_variant_made_twice_is_listed_once(services: Services, owner: str) -> None:
    from core.services.talking import variants

    project_id = projects.create_project("Launch", owner_id=owner, services=services).id
    actor_id = add_actor(services)
    for prompt in ("in a bathroom, warm light", "In a bathroom,  warm light", "on a beach"):
        variants.create_variant(project_id, actor_id, prompt, seed=7, user_id=owner, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    listed = variants.list_variants(project_id, actor_id=actor_id, user_id=owner, services=services)
    assert sorted(v.prompt for v in listed) == ["In a bathroom, warm light", "on a beach"]
