"""Expiring links to local files: signed, time-limited, and refused for anyone who may not see the file."""

from __future__ import annotations

import time

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from core.errors import NotFound
from core.ports_services import Services
from core.services.accounts import team
from core.services.accounts.identity import ensure_user
from core.services.library import links
from core.services.talking import gallery, projects, videos
from core.services.talking.videos import VideoRequest
from jobs.webhooks import MemorySeenIds, create_app
from tests.fakes import add_actor

SECRET = "a-long-random-link-signing-secret"


@pytest.fixture
def linked(services: Services) -> Services:
    services.settings.link_signing_secret = SecretStr(SECRET)
    services.settings.media_base_url = "http://127.0.0.1:8502/"
    services.settings.link_expiry_s = 600
    return services


def _finished_video(services: Services, owner: str) -> tuple[str, str]:
    project = projects.create_project("Links", owner_id=owner, services=services).id
    video = videos.create_video(
        VideoRequest(project, add_actor(services), script="Hi"), user_id=owner, services=services
    )
    services.queue.drain()  # type: ignore[attr-defined]
    key = gallery.video_details(video, user_id=owner, services=services).video_key
    assert key
    return project, key


def test_tokens_are_signed_and_expire() -> None:
    token = links.make_token("video/a.mp4", user_id="u1", expires_in_s=60, secret=SECRET, now=1000)
    assert links.read_token(token, secret=SECRET, now=1059) == links.LinkClaims("video/a.mp4", "u1", 1060)
    with pytest.raises(links.LinkExpired):
        links.read_token(token, secret=SECRET, now=1060)
    with pytest.raises(links.LinkInvalid):
        links.read_token(token, secret="another secret", now=1000)
    other = links.make_token("video/b.mp4", user_id="u1", expires_in_s=60, secret=SECRET, now=1000)
    forged = other.split(".")[0] + "." + token.split(".")[1]  # b's claims with a's signature
    with pytest.raises(links.LinkInvalid):
        links.read_token(forged, secret=SECRET, now=1000)
    with pytest.raises(links.LinkInvalid):
        links.read_token("not-a-token", secret=SECRET)


def test_local_files_get_links_only_when_a_link_server_is_configured(services: Services) -> None:
    owner = ensure_user(services.db, "a@example.com")
    _, key = _finished_video(services, owner)
    assert gallery.media_link(key, user_id=owner, services=services) is None  # bytes only, by default


def test_copy_link_serves_the_file_until_it_expires_and_never_to_others(linked: Services) -> None:
    owner, viewer = ensure_user(linked.db, "a@example.com"), ensure_user(linked.db, "v@example.com")
    stranger = ensure_user(linked.db, "s@example.com")
    project, key = _finished_video(linked, owner)
    team.invite_member(project, "v@example.com", "viewer", user_id=owner, services=linked)
    url = gallery.media_link(key, user_id=viewer, services=linked)
    assert url and url.startswith("http://127.0.0.1:8502/media/")
    with pytest.raises(NotFound):
        gallery.media_link(key, user_id=stranger, services=linked)
    client = TestClient(create_app(linked, seen=MemorySeenIds()))
    path = url.removeprefix("http://127.0.0.1:8502")

    served = client.get(path)
    assert served.status_code == 200 and served.content == linked.storage.read_bytes(key)
    assert served.headers["content-type"] == "video/mp4"
    assert client.get(path[:-3] + "xyz").status_code == 403  # tampered
    smuggled = links.make_token(key, user_id=stranger, expires_in_s=60, secret=SECRET)  # even if signed
    assert client.get(f"/media/{smuggled}").status_code == 404
    expired = links.make_token(key, user_id=viewer, expires_in_s=60, secret=SECRET, now=time.time() - 120)
    assert client.get(f"/media/{expired}").status_code == 410
    team.remove_member(project, "v@example.com", user_id=owner, services=linked)
    assert client.get(path).status_code == 404  # the link dies with the viewer's access
