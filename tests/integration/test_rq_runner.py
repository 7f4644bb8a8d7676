"""The same steps under RQ on the real Redis: enqueue, delayed polls, completion."""

from __future__ import annotations

import time

import pytest
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from core.adapters.queue.rq_queue import RqQueue
from core.bootstrap import install_services
from core.services.talking.projects import create_project
from core.services.talking.videos import VideoRequest, create_video
from tests.conftest import make_services
from tests.fakes import FakeProvider, add_actor, fake_providers

pytestmark = pytest.mark.redis


def _worker(queue: RqQueue) -> SimpleWorker:
    return SimpleWorker([queue.queue], connection=queue.redis, serializer=JSONSerializer)


def test_a_video_job_completes_under_rq_with_scheduled_polls(settings, db, redis_conn) -> None:  # type: ignore[no-untyped-def]
    queue = RqQueue(redis_conn, queue_name="studio-test", delays_in_db=False)
    lipsync = FakeProvider("video", pending_polls=2)
    services = make_services(settings, db, queue=queue, providers=fake_providers(lipsync=lipsync))
    install_services(services)
    try:
        from core.services.accounts.identity import ensure_user

        owner = ensure_user(services.db, "rq@example.com")
        project = create_project("RQ", owner_id=owner, services=services)
        video_id = create_video(
            VideoRequest(project_id=project.id, actor_id=add_actor(services), script="Hello from the queue."),
            user_id=owner,
            services=services,
        )
        assert len(queue.queue) == 1
        deadline = time.monotonic() + 30
        status = "queued"
        while time.monotonic() < deadline and status != "completed":
            # Scheduled polls land in the scheduled registry; the scheduler moves them when due.
            _worker(queue).work(burst=True, with_scheduler=True)
            from core.adapters.db.models.talking import VideoAsset

            with services.db.session() as session:
                status = session.get(VideoAsset, video_id).status  # type: ignore[union-attr]
            time.sleep(0.2)
        assert status == "completed"
        assert lipsync.submits == 1 and sum(lipsync.polls.values()) == 3
    finally:
        install_services(None)


def test_with_delays_in_the_database_the_watcher_drives_polls(settings, db, redis_conn) -> None:  # type: ignore[no-untyped-def]
    from jobs.watcher import ProviderWatcher

    queue = RqQueue(redis_conn, queue_name="studio-test")  # delayed enqueues stay in the job row
    lipsync = FakeProvider("video", pending_polls=2)
    services = make_services(settings, db, queue=queue, providers=fake_providers(lipsync=lipsync))
    install_services(services)
    try:
        from core.adapters.db.models.talking import VideoAsset
        from core.services.accounts.identity import ensure_user

        owner = ensure_user(services.db, "watch@example.com")
        project = create_project("Watch", owner_id=owner, services=services)
        video_id = create_video(
            VideoRequest(project_id=project.id, actor_id=add_actor(services), script="Watched, not scheduled."),
            user_id=owner,
            services=services,
        )
        _worker(queue).work(burst=True)  # first pass: submits, then parks the job in the database
        assert len(queue.queue) == 0 and queue.queue.scheduled_job_registry.count == 0
        watcher = ProviderWatcher(services, threads=4, idle_s=0.01)
        deadline = time.monotonic() + 10
        status = "waiting"
        while time.monotonic() < deadline and status != "completed":
            watcher.tick()
            with services.db.session() as session:
                status = session.get(VideoAsset, video_id).status  # type: ignore[union-attr]
            time.sleep(0.05)
        watcher.stop()
        assert status == "completed" and lipsync.submits == 1
    finally:
        install_services(None)
