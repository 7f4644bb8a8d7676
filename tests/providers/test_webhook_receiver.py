"""The webhook receiver: verified once, replays and forgeries refused, and a webhook racing
a scheduled poll ends in exactly one completion."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from core.adapters.db.models.jobs import CostRecord, JobStep
from core.adapters.db.models.talking import VideoAsset
from core.ports_services import Services
from core.services.talking import projects, videos
from jobs import engine
from jobs.webhooks import MemorySeenIds, create_app
from tests.conftest import make_services
from tests.fakes import FakeProvider, add_actor, fake_providers
from tests.providers.test_webhooks import NOW, SECRET, wavespeed_headers


@pytest.fixture
def waiting_video(settings, db) -> tuple[Services, str, str, FakeProvider]:  # type: ignore[no-untyped-def]
    from pydantic import SecretStr

    settings.wavespeed_webhook_secret = SecretStr(SECRET)
    lipsync = FakeProvider("video", pending_polls=1)
    services = make_services(settings, db, providers=fake_providers(lipsync=lipsync))
    from core.services.accounts.identity import ensure_user

    owner = ensure_user(services.db, "hook@example.com")
    project = projects.create_project("Hooks", owner_id=owner, services=services)
    video_id = videos.create_video(
        videos.VideoRequest(project_id=project.id, actor_id=add_actor(services), script="Webhooks are fast."),
        user_id=owner,
        services=services,
    )
    with services.db.session() as session:
        job_id = session.get(VideoAsset, video_id).job_id  # type: ignore[union-attr]
    engine.advance(job_id, services)  # runs up to lip_sync, which now waits on the provider
    services.queue.clear()  # type: ignore[attr-defined]
    with services.db.session() as session:
        request_id = session.scalars(select(JobStep.provider_request_id).where(JobStep.name == "lip_sync")).one()
    return services, job_id, request_id, lipsync


def _body(request_id: str) -> bytes:
    return json.dumps({"id": request_id, "status": "completed", "outputs": ["https://example.invalid/v.mp4"]}).encode()


def test_a_signed_webhook_wakes_the_waiting_job_once(waiting_video) -> None:  # type: ignore[no-untyped-def]
    services, job_id, request_id, _ = waiting_video
    client = TestClient(create_app(services, seen=MemorySeenIds(clock=lambda: NOW), clock=lambda: NOW))
    body = _body(request_id)
    first = client.post("/webhooks/wavespeed", content=body, headers=wavespeed_headers(body=body, event="evt-1"))
    assert first.status_code == 200 and first.json() == {"status": "accepted", "matched": True}
    assert services.queue.enqueued == [(job_id, 0.0)]  # type: ignore[attr-defined]

    replay = client.post("/webhooks/wavespeed", content=body, headers=wavespeed_headers(body=body, event="evt-1"))
    assert replay.status_code == 409
    assert len(services.queue.enqueued) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["wrong-signature", "stale", "tampered"])
def test_forged_or_stale_webhooks_change_nothing(waiting_video, kind: str) -> None:  # type: ignore[no-untyped-def]
    services, _, request_id, _ = waiting_video
    client = TestClient(create_app(services, seen=MemorySeenIds(), clock=lambda: NOW))
    body = _body(request_id)
    headers = {
        "wrong-signature": wavespeed_headers(body=body, secret="whsec_not-our-secret"),
        "stale": wavespeed_headers(body=body, ts=NOW - 301),
        "tampered": wavespeed_headers(body=body),
    }[kind]
    sent = body.replace(b"completed", b"failed") if kind == "tampered" else body
    response = client.post("/webhooks/wavespeed", content=sent, headers=headers)
    assert response.status_code == 401
    assert services.queue.enqueued == []  # type: ignore[attr-defined]


def test_a_webhook_racing_a_poll_finalizes_once(waiting_video) -> None:  # type: ignore[no-untyped-def]
    services, job_id, _, lipsync = waiting_video
    barrier = threading.Barrier(2)

    def one_pass() -> None:  # the webhook's pass and the scheduled poll's pass, at the same moment
        barrier.wait()
        engine.advance(job_id, services)

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    services.queue.drain()  # type: ignore[attr-defined]
    with services.db.session() as session:
        completed = session.scalar(
            select(func.count())
            .select_from(JobStep)
            .where(JobStep.job_id == job_id, JobStep.name == "finalize", JobStep.status == "completed")
        )
        ledger = session.scalar(select(func.count()).select_from(CostRecord).where(CostRecord.job_id == job_id))
        video = session.scalar(select(VideoAsset).where(VideoAsset.job_id == job_id))
    assert (
        completed == 1 and ledger == 2 and video
    )  # speech + lip-sync, each recorded once is not None and video.status == "completed"
    assert lipsync.submits == 1


class _QueueDownOnce:
    """The runner's queue failing once (e.g. Redis restarting), then working."""

    name = "flaky"

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.failures = inner, 1

    def enqueue(self, job_id: str, *, delay_s: float = 0.0) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("queue unavailable")
        self.inner.enqueue(job_id, delay_s=delay_s)


def test_a_failed_wake_is_not_remembered_so_the_retry_works(waiting_video) -> None:  # type: ignore[no-untyped-def]
    services, job_id, request_id, _ = waiting_video
    manual = services.queue
    services.queue = _QueueDownOnce(manual)
    client = TestClient(create_app(services, seen=MemorySeenIds(clock=lambda: NOW), clock=lambda: NOW))
    body = _body(request_id)
    first = client.post("/webhooks/wavespeed", content=body, headers=wavespeed_headers(body=body, event="evt-9"))
    assert first.status_code == 503  # the provider will deliver it again
    again = client.post("/webhooks/wavespeed", content=body, headers=wavespeed_headers(body=body, event="evt-9"))
    assert again.status_code == 200 and again.json()["matched"] is True
    assert manual.enqueued == [(job_id, 0.0)]


def test_fal_webhooks_for_another_account_are_refused(waiting_video) -> None:  # type: ignore[no-untyped-def]
    import httpx
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from core.adapters.providers.http.webhooks import JwksCache
    from tests.providers.test_webhooks import FAL_BODY, fal_headers, jwk
    from tests.stubs import StubResponse, StubServer

    services, _, _, _ = waiting_video
    key = Ed25519PrivateKey.generate()
    hits: list[int] = []

    def keys(request):  # type: ignore[no-untyped-def]
        hits.append(1)
        return StubResponse.of_json({"keys": [jwk(key)]})

    with StubServer(keys) as server, httpx.Client() as http:
        jwks = JwksCache(http, url=f"{server.url}/jwks.json", clock=lambda: NOW)
        client = TestClient(create_app(services, seen=MemorySeenIds(), jwks=jwks, clock=lambda: NOW))
        services.settings.fal_webhook_user_id = "user-1"  # fal_headers signs for user-9
        refused = client.post("/webhooks/fal", content=FAL_BODY, headers=fal_headers(key))
        assert refused.status_code == 401
        for _ in range(20):  # forged deliveries do not make us fetch fal's keys each time
            client.post("/webhooks/fal", content=FAL_BODY, headers=fal_headers(Ed25519PrivateKey.generate()))
        assert len(hits) == 1
        services.settings.fal_webhook_user_id = "user-9"
        assert client.post("/webhooks/fal", content=FAL_BODY, headers=fal_headers(key)).status_code == 200


def test_an_unsigned_kie_callback_needs_an_attempt_token(waiting_video) -> None:  # type: ignore[no-untyped-def]
    services, _, _, _ = waiting_video
    client = TestClient(create_app(services, seen=MemorySeenIds()))
    body = json.dumps({"code": 200, "data": {"taskId": "task-1", "state": "success"}}).encode()
    assert client.post("/webhooks/kie", content=body).status_code == 401
    unknown = client.post("/webhooks/kie?attempt=not-a-token", content=body)
    assert unknown.status_code == 200 and unknown.json()["matched"] is False
    assert services.queue.enqueued == []  # type: ignore[attr-defined]
