"""The provider watcher: leases due waits, polls concurrently, runs a pass only when there is work."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import Job, JobStep
from core.adapters.db.models.talking import VideoAsset
from core.services.accounts.identity import ensure_user
from core.services.talking import projects, videos
from jobs import engine
from jobs.watcher import ProviderWatcher, lease_due
from tests.conftest import make_services
from tests.fakes import FakeProvider, add_actor, fake_providers


def _waiting_job(settings, db, pending_polls: int, poll_after_s: float = 0.01):  # type: ignore[no-untyped-def]
    lipsync = FakeProvider("video", pending_polls=pending_polls, poll_after_s=poll_after_s)
    services = make_services(settings, db, providers=fake_providers(lipsync=lipsync))
    owner = ensure_user(services.db, "w@example.com")
    project = projects.create_project("W", owner_id=owner, services=services)
    video_id = videos.create_video(
        videos.VideoRequest(project_id=project.id, actor_id=add_actor(services), script="Watch me."),
        user_id=owner,
        services=services,
    )
    with services.db.session() as session:
        job_id = session.get(VideoAsset, video_id).job_id  # type: ignore[union-attr]
    engine.advance(job_id, services)
    services.queue.clear()  # type: ignore[attr-defined]
    return services, job_id, lipsync


def _make_due(services, job_id: str) -> None:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        session.get(Job, job_id).run_after = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]


def test_a_pending_prediction_only_moves_run_after(settings, db) -> None:  # type: ignore[no-untyped-def]
    # The provider asks for 5 s: long enough that a loaded machine cannot make it due again.
    services, job_id, lipsync = _waiting_job(settings, db, pending_polls=5, poll_after_s=5.0)
    _make_due(services, job_id)
    polls_before = sum(lipsync.polls.values())
    assert ProviderWatcher(services, threads=2).tick() == 1
    with services.db.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "waiting" and job.run_after > utcnow()
        step = session.scalars(select(JobStep).where(JobStep.job_id == job_id, JobStep.name == "lip_sync")).one()
        assert step.status == "waiting"
    assert sum(lipsync.polls.values()) == polls_before + 1 and lipsync.submits == 1
    assert lease_due(services, 10) == []  # rescheduled, not due again


def test_a_finished_prediction_completes_the_job_in_the_watcher(settings, db) -> None:  # type: ignore[no-untyped-def]
    services, job_id, lipsync = _waiting_job(settings, db, pending_polls=1)
    _make_due(services, job_id)
    ProviderWatcher(services, threads=2).tick()
    with services.db.session() as session:
        assert session.get(Job, job_id).status == "completed"  # type: ignore[union-attr]
    assert lipsync.submits == 1


def test_a_leased_job_is_not_handed_to_a_second_watcher(settings, db) -> None:  # type: ignore[no-untyped-def]
    services, job_id, _ = _waiting_job(settings, db, pending_polls=5)
    _make_due(services, job_id)
    first = lease_due(services, 10)
    assert [d.job_id for d in first] == [job_id] and first[0].request_id
    assert lease_due(services, 10) == []
