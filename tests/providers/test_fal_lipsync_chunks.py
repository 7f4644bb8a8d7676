"""Speech longer than one fal InfiniTalk render, end to end on SQLite and PostgreSQL: every
chunk is its own durable paid step against the fal stub. A worker dying between two chunk
submits or inside one, a chunk's submit answer lost (adopted from fal's webhook, or stopped for
the creator's consent), 429s and 5xx on polls; paid submits counted against the chunks, one
ledger row per chunk, and the ledger against the estimate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import CostRecord, Job, JobStep
from core.adapters.providers.fal.lipsync import frames_for
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.talking import gallery, projects, videos
from core.services.usage import estimates, paid_retry
from jobs import sweeper
from tests.providers.test_paid_calls import _ava, cloud, drive, receiver
from tests.stubs import FalStub, WaveSpeedStub
from tests.stubs.media import wav_bytes

MODEL = "fal-ai/infinitalk"
PROVIDER = f"fal:{MODEL}"
SPEECH_S = 40.0  # two renders of about 20 s at fal's 28 s limit
CHUNKS = ("lip_sync", "lip_sync_2")


@pytest.fixture
def fal() -> Iterator[FalStub]:
    with FalStub(completes_after_s=0.0) as stub:
        yield stub


@pytest.fixture
def services(tmp_path: Path, db: Any, fal: FalStub) -> Iterator[Services]:
    with WaveSpeedStub() as wavespeed:  # configured by cloud(), never called: lip-sync runs on fal
        yield cloud(tmp_path, db, fal, wavespeed, lipsync_provider="fal")


def long_video(services: Services, owner: str) -> tuple[str, float]:
    """A video of the creator's own 40 s recording (no image edit, no speech): every fal submit is a chunk."""
    key, seconds = videos.prepare_uploaded_audio(wav_bytes(SPEECH_S), user_id=owner, services=services)
    project = projects.create_project("Long", owner_id=owner, services=services)
    request = videos.VideoRequest(project_id=project.id, actor_id=_ava(services), audio_key=key, audio_seconds=seconds)
    return videos.create_video(request, user_id=owner, services=services), seconds


def chunk_rows(services: Services) -> dict[str, list[JobStep]]:
    with services.db.session() as session:
        rows = session.scalars(select(JobStep).where(JobStep.name.in_(CHUNKS)).order_by(JobStep.attempt)).all()
        session.expunge_all()
    found: dict[str, list[JobStep]] = {}
    for row in rows:
        found.setdefault(row.name, []).append(row)
    return found


def lipsync_ledger(services: Services) -> list[tuple[str, str, float]]:
    with services.db.session() as session:
        rows = session.execute(
            select(JobStep.name, CostRecord.status, CostRecord.amount_usd)
            .join(JobStep, JobStep.id == CostRecord.step_id)
            .where(CostRecord.capability == "lipsync")
            .order_by(JobStep.name, JobStep.attempt)
        ).all()
    return [(name, status, amount) for name, status, amount in rows]


def assert_finished_in_chunks(services: Services, owner: str, video_id: str, seconds: float) -> None:
    """Completed, one charged ledger row per chunk adding up to the estimate, chunk clips removed."""
    view = gallery.video_details(video_id, user_id=owner, services=services)
    assert view.status.value == "completed", view.error
    assert view.duration_s is not None and abs(view.duration_s - seconds) < 0.3  # each clip trimmed to its speech
    charged = [(name, amount) for name, status, amount in lipsync_ledger(services) if status == "charged"]
    assert [name for name, _ in charged] == list(CHUNKS)
    estimate = estimates.estimate_video(seconds, with_image_edit=False, with_speech=False, services=services)
    assert sum(amount for _, amount in charged) == pytest.approx(estimate.cost_usd, rel=0.01)
    with services.db.session() as session:
        clips = session.scalars(select(JobStep.output).where(JobStep.name.in_(CHUNKS), JobStep.status == "completed"))
        assert not any(services.storage.exists(clip["video_key"]) for clip in clips)
    assert view.video_key and services.storage.exists(view.video_key)


def test_long_speech_is_one_paid_step_per_chunk_through_poll_faults(services: Services, fal: FalStub) -> None:
    fal.faults.add("status", "rate_limit", times=2, retry_after_s=0)
    fal.faults.add("status", "server_error", times=2)
    fal.faults.add("result", "server_error")
    owner = ensure_user(services.db, "long@example.com")
    video_id, seconds = long_video(services, owner)
    services.queue.drain()  # type: ignore[attr-defined]

    assert_finished_in_chunks(services, owner, video_id, seconds)
    assert fal.count("submit") == fal.created_count(MODEL) == len(CHUNKS)  # one paid submit per chunk
    # Per chunk: queued, running, completed, then the result; each faulted read was simply read again
    # (the faulted result after one more status read), and nothing was resubmitted.
    assert fal.count("status") == 3 * len(CHUNKS) + 4 + 1 and fal.count("result") == len(CHUNKS) + 1
    rows = chunk_rows(services)
    sent = {f"{MODEL}|{p.id}": p.inputs["num_frames"] for p in fal.predictions.values()}
    assert [rows[name][-1].provider_request_id for name in CHUNKS] == list(sent)
    with services.db.session() as session:
        plan = session.scalars(select(JobStep.output).where(JobStep.name == "lip_sync_plan")).one()
    assert list(sent.values()) == [frames_for(length) for _start, length in plan["chunks"]]


def test_a_worker_dying_between_two_chunk_submits_pays_each_chunk_once(services: Services, fal: FalStub) -> None:
    owner = ensure_user(services.db, "long@example.com")
    video_id, seconds = long_video(services, owner)
    queue = services.queue
    queue.drain(max_steps=1)  # type: ignore[attr-defined]  # one pass: chunk 1 submitted, polled once
    first = chunk_rows(services)["lip_sync"][-1]
    assert first.provider_request_id and fal.created_count(MODEL) == 1  # saved before chunk 2 was sent
    # The worker's next pass dies; the job is left "running" with a stale heartbeat and its queue entry is gone.
    with services.db.session() as session:
        session.execute(update(Job).values(status="running", heartbeat_at=utcnow() - timedelta(hours=1)))
    queue.clear()  # type: ignore[attr-defined]
    assert sweeper.sweep(services)["resumed"] == 1
    queue.drain()  # type: ignore[attr-defined]

    assert_finished_in_chunks(services, owner, video_id, seconds)
    assert fal.count("submit") == fal.created_count(MODEL) == len(CHUNKS)
    assert chunk_rows(services)["lip_sync"][-1].provider_request_id == first.provider_request_id


def test_a_worker_dying_inside_a_chunk_submit_asks_before_paying_that_chunk_again(
    services: Services, fal: FalStub
) -> None:
    owner = ensure_user(services.db, "long@example.com")
    video_id, seconds = long_video(services, owner)
    fal.faults.add("submit", "rate_limit", skip=1, retry_after_s=0)  # chunk 2 refused once: nothing made
    queue = services.queue
    for _ in range(10):  # pass by pass, until chunk 1 is done and chunk 2's submit was refused
        queue.drain(max_steps=1)  # type: ignore[attr-defined]
        if "lip_sync_2" in chunk_rows(services):
            break
    assert fal.created_count(MODEL) == 1 and chunk_rows(services)["lip_sync_2"][-1].status == "retrying"
    # The retry's worker marks chunk 2 "sending" and dies with the request in flight.
    with services.db.session() as session:
        job = session.scalars(select(Job)).one()
        job.status, job.heartbeat_at = "running", utcnow() - timedelta(hours=1)
        session.add(
            JobStep(
                job_id=job.id,
                name="lip_sync_2",
                status="running",
                attempt=2,
                provider=PROVIDER,
                submit_state="sending",
                webhook_token="dead-worker",
            )
        )
    queue.clear()  # type: ignore[attr-defined]
    sweeper.sweep(services)
    queue.drain()  # type: ignore[attr-defined]
    view = gallery.video_details(video_id, user_id=owner, services=services)
    assert view.error is not None and view.error.code == "provider_may_have_started"
    assert fal.created_count(MODEL) == 1  # chunk 2 not sent again behind the creator's back
    ledger = [(name, status) for name, status, _ in lipsync_ledger(services)]
    assert ledger == [("lip_sync", "charged"), ("lip_sync_2", "possibly_charged")]

    paid_retry.retry_uncertain_video(video_id, user_id=owner, services=services)
    queue.drain()  # type: ignore[attr-defined]
    assert_finished_in_chunks(services, owner, video_id, seconds)
    assert fal.created_count(MODEL) == len(CHUNKS)  # chunk 1 kept; chunk 2 paid once, with consent


def test_a_lost_chunk_answer_is_adopted_from_the_webhook_not_paid_again(services: Services, fal: FalStub) -> None:
    fal.faults.add("submit", "lost", skip=1)  # fal makes chunk 2; its answer never arrives
    with receiver(services, fal) as url:
        settings = services.settings
        settings.webhook_base_url = url
        settings.fal_jwks_url = f"{fal.url}/.well-known/jwks.json"
        settings.fal_webhook_user_id = fal.webhook_user_id
        owner = ensure_user(services.db, "long@example.com")
        video_id, seconds = long_video(services, owner)
        drive(services)

    assert_finished_in_chunks(services, owner, video_id, seconds)
    assert fal.lost_served == 1 and fal.count("submit") == fal.created_count(MODEL) == len(CHUNKS)
    rows = chunk_rows(services)
    assert rows["lip_sync_2"][-1].submit_state == "adopted" and rows["lip_sync"][-1].submit_state is None
    assert fal.cancelled == []  # the orphan was this chunk's render, so nothing was thrown away
