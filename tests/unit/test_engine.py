"""The durable engine: resumable steps, one paid submission per step, bounded retries, cancellation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import CostRecord, Job, JobStep
from core.adapters.db.models.talking import VideoAsset
from core.domain.types import JobStatus
from core.ports_services import Services
from core.services.talking.projects import create_project
from core.services.talking.videos import VideoRequest, create_video
from jobs import engine, sweeper
from jobs.context import StepContext
from tests.fakes import FakeProvider, add_actor, fake_providers, refused, transient


@pytest.fixture
def actor_id(services: Services) -> str:
    return add_actor(services)


def _submit(services: Services, owner: str, actor_id: str, **kwargs: object) -> str:
    project = create_project("Launch", owner_id=owner, services=services)
    request = VideoRequest(project_id=project.id, actor_id=actor_id, script="Hello there, this is great.", **kwargs)  # type: ignore[arg-type]
    return create_video(request, user_id=owner, services=services)


def _job(services: Services, video_id: str) -> Job:
    with services.db.session() as session:
        video = session.get(VideoAsset, video_id)
        assert video is not None and video.job_id
        job = session.get(Job, video.job_id)
        assert job is not None
        session.expunge(job)
        return job


def _steps(services: Services, job_id: str) -> list[tuple[str, str, int]]:
    with services.db.session() as session:
        rows = session.scalars(select(JobStep).where(JobStep.job_id == job_id).order_by(JobStep.started_at)).all()
        return [(r.name, r.status, r.attempt) for r in rows]


def test_text_video_runs_every_step_and_completes(services: Services, owner: str, actor_id: str) -> None:
    video_id = _submit(services, owner, actor_id, image_prompt="on a beach at golden hour")
    services.queue.drain()  # type: ignore[attr-defined]

    job = _job(services, video_id)
    assert job.status == JobStatus.COMPLETED.value and job.progress == 1.0
    assert [name for name, status, _ in _steps(services, job.id) if status == "completed"] == [
        "init",
        "image_edit",
        "tts",
        "lip_sync_plan",
        "lip_sync",
        "lip_sync_2",  # skipped, as are the other chunks and their join: the speech fits one render
        "lip_sync_3",
        "lip_sync_4",
        "lip_sync_join",
        "finalize",
    ]
    with services.db.session() as session:
        video = session.get(VideoAsset, video_id)
        assert video is not None
        assert video.status == "completed" and video.video_key and video.poster_key and video.variant_id
        assert services.storage.exists(video.video_key)
        ledger = session.scalar(select(func.sum(CostRecord.amount_usd)).where(CostRecord.job_id == job.id))
    assert ledger == pytest.approx(1.5)  # image edit + speech + lip-sync at 0.5 each


def test_provider_wait_stores_request_id_and_resumes_by_polling(settings, db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_services

    lipsync = FakeProvider("video", pending_polls=3)
    services = make_services(settings, db, providers=fake_providers(lipsync=lipsync))
    from core.services.accounts.identity import ensure_user

    owner = ensure_user(services.db, "o@example.com")
    video_id = _submit(services, owner, add_actor(services))
    queue = services.queue
    # Run one pass: the job must pause in lip_sync with the request id already stored.
    job_id = _job(services, video_id).id
    engine.advance(job_id, services)
    with services.db.session() as session:
        step = session.scalars(select(JobStep).where(JobStep.job_id == job_id, JobStep.name == "lip_sync")).one()
        assert step.status == "waiting" and step.provider_request_id
        assert session.get(Job, job_id).status == JobStatus.WAITING.value  # type: ignore[union-attr]
    queue.clear()  # type: ignore[attr-defined]
    # A later pass (say, on another worker after a crash) polls the same request.
    for _ in range(3):
        engine.advance(job_id, services)
    assert _job(services, video_id).status == JobStatus.COMPLETED.value
    assert lipsync.submits == 1


def test_transient_errors_retry_with_backoff_then_succeed(settings, db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_services

    speech = FakeProvider("speech", faults=[transient(), transient(retry_after_s=0.02)])
    services = make_services(settings, db, providers=fake_providers(speech=speech))
    owner = _owner(services)
    video_id = _submit(services, owner, _first_actor(services))
    services.queue.drain()  # type: ignore[attr-defined]
    job = _job(services, video_id)
    assert job.status == JobStatus.COMPLETED.value
    tts_attempts = [(s, a) for n, s, a in _steps(services, job.id) if n == "tts"]
    assert tts_attempts == [("retrying", 1), ("retrying", 2), ("completed", 3)]
    assert speech.submits == 1
    delays = [d for _, d in services.queue.enqueued[1:]]  # type: ignore[attr-defined]
    assert delays and delays[-1] >= 0.02  # Retry-After honoured


def test_transient_errors_give_up_after_the_bound_with_a_clear_message(settings, db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_services

    settings.step_max_attempts = 3
    speech = FakeProvider("speech", faults=[transient()] * 5)
    services = make_services(settings, db, providers=fake_providers(speech=speech))
    video_id = _submit(services, _owner(services), _first_actor(services))
    services.queue.drain()  # type: ignore[attr-defined]
    job = _job(services, video_id)
    assert job.status == JobStatus.FAILED.value
    assert job.error and "tried 3 times" in job.error["message"]
    with services.db.session() as session:
        video = session.get(VideoAsset, video_id)
        assert video is not None and video.status == "failed" and video.source_text  # inputs kept for Retry


def test_transient_poll_error_does_not_submit_again(settings, db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_services

    lipsync = FakeProvider("video", pending_polls=1, poll_faults=[None, transient("connection dropped")])
    services = make_services(settings, db, providers=fake_providers(lipsync=lipsync))
    video_id = _submit(services, _owner(services), _first_actor(services))
    services.queue.drain()  # type: ignore[attr-defined]
    assert _job(services, video_id).status == JobStatus.COMPLETED.value
    assert lipsync.submits == 1


def test_provider_refusal_fails_at_once_with_the_reason(settings, db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_services

    image = FakeProvider("image", faults=[refused("the prompt was flagged by the safety filter")])
    services = make_services(settings, db, providers=fake_providers(image_edit=image))
    video_id = _submit(services, _owner(services), _first_actor(services), image_prompt="somewhere odd")
    services.queue.drain()  # type: ignore[attr-defined]
    job = _job(services, video_id)
    assert job.status == JobStatus.FAILED.value
    assert job.error and job.error["code"] == "provider_failed" and "safety filter" in job.error["message"]


def test_failed_prediction_fails_the_step(settings, db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_services

    lipsync = FakeProvider("video", fail_message="No face was found in the image.")
    services = make_services(settings, db, providers=fake_providers(lipsync=lipsync))
    video_id = _submit(services, _owner(services), _first_actor(services))
    services.queue.drain()  # type: ignore[attr-defined]
    job = _job(services, video_id)
    assert job.status == "failed" and job.error and "No face" in job.error["message"]


def test_a_rerun_skips_finished_steps(services: Services, owner: str, actor_id: str) -> None:
    video_id = _submit(services, owner, actor_id)
    services.queue.drain()  # type: ignore[attr-defined]
    job = _job(services, video_id)
    speech = services.providers.speech
    with services.db.session() as session:  # pretend a crash lost the finish: back to running
        row = session.get(Job, job.id)
        assert row is not None
        row.status, row.heartbeat_at = JobStatus.RUNNING.value, utcnow() - timedelta(hours=1)
        session.execute(JobStep.__table__.delete().where(JobStep.job_id == job.id, JobStep.name == "finalize"))
    engine.advance(job.id, services)
    assert _job(services, video_id).status == JobStatus.COMPLETED.value
    assert speech.submits == 1 and services.providers.lipsync.submits == 1


def test_cancel_stops_at_the_next_step_boundary(services: Services, owner: str, actor_id: str) -> None:
    video_id = _submit(services, owner, actor_id)
    job_id = _job(services, video_id).id
    with services.db.session() as session:
        session.get(Job, job_id).cancel_requested = True  # type: ignore[union-attr]
    services.queue.drain()  # type: ignore[attr-defined]
    assert _job(services, video_id).status == JobStatus.CANCELLED.value
    assert services.providers.speech.submits == 0


def test_sweeper_resumes_a_job_whose_worker_died(services: Services, owner: str, actor_id: str) -> None:
    video_id = _submit(services, owner, actor_id)
    job_id = _job(services, video_id).id
    services.queue.clear()  # type: ignore[attr-defined]
    with services.db.session() as session:  # the worker claimed it, then was SIGKILLed
        job = session.get(Job, job_id)
        assert job is not None
        job.status, job.started_at, job.heartbeat_at = "running", utcnow(), utcnow() - timedelta(minutes=5)
    assert sweeper.sweep(services)["resumed"] == 1
    services.queue.drain()  # type: ignore[attr-defined]
    job = _job(services, video_id)
    assert job.status == JobStatus.COMPLETED.value and job.resumes == 1


def test_sweeper_fails_a_job_that_keeps_losing_its_worker(services: Services, owner: str, actor_id: str) -> None:
    video_id = _submit(services, owner, actor_id)
    job_id = _job(services, video_id).id
    with services.db.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.status, job.started_at, job.resumes = "running", utcnow(), services.settings.max_resumes
        job.heartbeat_at = utcnow() - timedelta(minutes=5)
    assert sweeper.sweep(services)["failed"] == 1
    job = _job(services, video_id)
    assert job.status == "failed" and job.error and job.error["code"] == "worker_lost"


def test_sweeper_requeues_overdue_waiting_jobs(services: Services, owner: str, actor_id: str) -> None:
    video_id = _submit(services, owner, actor_id)
    job_id = _job(services, video_id).id
    services.queue.clear()  # type: ignore[attr-defined]
    with services.db.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.status, job.run_after = "waiting", utcnow() - timedelta(minutes=5)
    assert sweeper.sweep(services)["requeued"] == 1
    services.queue.drain()  # type: ignore[attr-defined]
    assert _job(services, video_id).status == "completed"


def test_at_most_two_active_generations_per_user_the_rest_queue(settings, db) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_services

    lipsync = FakeProvider("video", pending_polls=2)
    services = make_services(settings, db, providers=fake_providers(lipsync=lipsync))
    owner, actor = _owner(services), _first_actor(services)
    videos = [_submit(services, owner, actor) for _ in range(4)]
    queue = services.queue
    # One pass per job in submission order: two start, two stay queued.
    for video_id in videos:
        engine.advance(_job(services, video_id).id, services)
    statuses = [_job(services, v).status for v in videos]
    assert statuses.count("waiting") == 2 and statuses.count("queued") == 2
    queue.drain()  # type: ignore[attr-defined]
    assert [_job(services, v).status for v in videos] == ["completed"] * 4


def test_step_context_store_is_idempotent(services: Services, owner: str, actor_id: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from core.domain.types import MediaKind

    src = tmp_path / "a.png"
    src.write_bytes(b"\x89PNG fake")
    ctx = StepContext(
        services, job_id="job-1", owner_id=owner, payload={}, step_name="finalize", step_row_id="x", outputs={}
    )
    first = ctx.store(MediaKind.IMAGE, src, label="poster", content_type="image/png")
    second = ctx.store(MediaKind.IMAGE, src, label="poster", content_type="image/png")
    assert first == second == "images/jobs/job-1/finalize-poster.png"


def test_backoff_grows_and_is_capped() -> None:
    delays = [engine.backoff_delay(n, 1.0, 10.0) for n in range(1, 8)]
    assert 0.5 <= delays[0] <= 1.0
    assert all(d <= 10.0 for d in delays) and delays[-1] >= 5.0


def _owner(services: Services) -> str:
    from core.services.accounts.identity import ensure_user

    return ensure_user(services.db, "owner@example.com")


def _first_actor(services: Services) -> str:
    return add_actor(services)


def test_a_step_can_wait_for_the_user_and_resume_on_request(settings, db) -> None:  # type: ignore[no-untyped-def]
    from jobs.context import WaitForUser
    from jobs.pipeline import Pipeline, Step, register
    from tests.conftest import make_services

    def gate(ctx: StepContext) -> dict:
        if not ctx.payload.get("approved"):
            raise WaitForUser("waiting for approval")
        return {"approved": True}

    register(Pipeline(kind="test_gate", steps=(Step("gate", gate), Step("after", lambda ctx: {"ran": True}))))
    services = make_services(settings, db)
    owner = _owner(services)
    with services.db.session() as session:
        job = Job(owner_id=owner, kind="test_gate")
        session.add(job)
        session.flush()
        job_id = job.id
    engine.advance(job_id, services)
    with services.db.session() as session:
        parked = session.get(Job, job_id)
        assert parked is not None and parked.status == "waiting" and parked.run_after is None
    assert services.queue.enqueued == []  # type: ignore[attr-defined]
    assert sweeper.sweep(services)["requeued"] == 0  # a user gate is not overdue work
    with services.db.session() as session:
        parked = session.get(Job, job_id)
        parked.payload = {**parked.payload, "approved": True}  # type: ignore[union-attr]
    engine.advance(job_id, services)
    # The parked attempt is reused, not duplicated; the job then runs to the end.
    assert [(n, s, a) for n, s, a in _steps(services, job_id)] == [("gate", "completed", 1), ("after", "completed", 1)]
    assert _job_status(services, job_id) == "completed"


def _job_status(services: Services, job_id: str) -> str:
    with services.db.session() as session:
        return session.get(Job, job_id).status  # type: ignore[union-attr]
