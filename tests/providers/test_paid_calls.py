"""The paid-call rules end to end (architecture.md "Paid calls"), on SQLite and PostgreSQL:
talking videos through the fal and WaveSpeed adapters against their stubs, counting paid
submits per step while the stubs lose answers, hang, drop and fail polls."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from core.adapters.db.models.accounts import AuditEvent
from core.adapters.db.models.jobs import CostRecord, Job, JobStep
from core.adapters.db.models.talking import Actor
from core.adapters.providers.http.webhooks import JwksCache
from core.bootstrap import build_services
from core.errors import PaidCallUncertain
from core.ports import ScriptRequest, ScriptTask
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.ads import calls
from core.services.talking import gallery, projects, videos
from core.services.usage import paid_retry
from jobs import engine
from jobs.webhooks import MemorySeenIds, create_app
from tests.conftest import make_settings
from tests.fakes import ManualQueue, add_actor
from tests.stubs import FalStub, GoogleStub, WaveSpeedStub
from tests.stubs.supabase import SupabaseStorageStub

PORTRAIT = Path(__file__).resolve().parents[2] / "seeds" / "actors" / "ava_base_01.png"


def cloud(tmp_path: Path, db: Any, fal: FalStub, wavespeed: WaveSpeedStub, **overrides: Any) -> Services:
    settings = make_settings(
        tmp_path / "data",
        fal_key="test-key",
        fal_queue_url=fal.url,
        fal_rest_url=fal.url,
        fal_cdn_url=fal.url,
        wavespeed_api_key="test-key",
        wavespeed_base_url=wavespeed.base_url,
        download_allow_http=True,
        download_allow_private_hosts=["127.0.0.1"],
        **overrides,
    )
    queue = ManualQueue()
    services = build_services(settings, db=db, queue=queue)
    queue.handler = lambda job_id: engine.advance(job_id, services)
    return services


@pytest.fixture
def stubs() -> Iterator[tuple[FalStub, WaveSpeedStub]]:
    with FalStub(completes_after_s=0.0) as fal, WaveSpeedStub(completes_after_s=0.0) as wavespeed:
        yield fal, wavespeed


def _ava(services: Services) -> str:
    """The catalog's Ava, whose voice is bound for every speech provider (one actor per database)."""
    from sqlalchemy import select

    from core.adapters.db.models.talking import Actor

    with services.db.session() as session:
        found = session.scalar(select(Actor.id).where(Actor.key == "ava_base_01"))
    return found or add_actor(services, "ava_base_01", portrait=PORTRAIT.read_bytes())


def make_video(services: Services, owner: str, n: int = 0) -> str:
    project = projects.create_project(f"Paid {n}", owner_id=owner, services=services)
    actor = _ava(services)
    return videos.create_video(
        videos.VideoRequest(
            project_id=project.id, actor_id=actor, script="Hi! Money is sacred here.", image_prompt="a sunny kitchen"
        ),
        user_id=owner,
        services=services,
    )


def test_a_lost_submit_is_not_repeated_and_retry_needs_consent(tmp_path: Path, db: Any, stubs: Any) -> None:
    fal, wavespeed = stubs
    services = cloud(tmp_path, db, fal, wavespeed)
    owner = ensure_user(services.db, "paid@example.com")
    video_id = make_video(services, owner)
    fal.faults.add("submit", "lost")  # the image edit is queued at fal, its answer is dropped
    services.queue.drain()  # type: ignore[attr-defined]

    view = gallery.video_details(video_id, user_id=owner, services=services)
    assert view.status.value == "failed"
    assert view.error is not None and view.error.code == "provider_may_have_started"
    assert "may have started" in view.error.message and "charge again" in view.error.message
    assert fal.created_count() == 1  # no silent second submit
    with services.db.session() as session:
        ledger = session.scalars(select(CostRecord)).all()
    assert [(c.status, c.capability) for c in ledger] == [("possibly_charged", "image_edit")]

    paid_retry.retry_uncertain_video(video_id, user_id=owner, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    view = gallery.video_details(video_id, user_id=owner, services=services)
    assert view.status.value == "completed", view.error
    assert fal.created_count("fal-ai/nano-banana/edit") == 2  # paid again, with consent
    assert fal.created_count() == 3 and wavespeed.created_count() == 1
    with services.db.session() as session:
        consents = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "paid_call.retry_consented"))
        assert list(consents) == ["paid_call.retry_consented"]
        states = session.scalars(select(JobStep.submit_state).where(JobStep.name == "image_edit")).all()
        assert "consented" in states


@contextmanager
def receiver(services: Services, fal: FalStub) -> Iterator[str]:
    """`python -m jobs.webhooks`'s app, served for real on 127.0.0.1 so the stubs can call it."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = httpx.Client(timeout=5.0)
    jwks = JwksCache(http, url=f"{fal.url}/.well-known/jwks.json")
    app = create_app(services, seen=MemorySeenIds(), jwks=jwks)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        http.close()


def drive(services: Services, *, timeout_s: float = 30.0) -> None:
    """Run the queue until no job is active (webhooks arrive from other threads meanwhile)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        services.queue.drain(max_steps=20)  # type: ignore[attr-defined]
        with services.db.session() as session:
            active = session.scalar(select(Job.id).where(Job.status.in_(("queued", "running", "waiting"))).limit(1))
        if active is None:
            return
        time.sleep(0.05)
    raise AssertionError("jobs still active")


def test_lost_answers_are_adopted_from_webhooks_with_no_second_submit(tmp_path: Path, db: Any, stubs: Any) -> None:
    """Every paid submit's answer is lost; the providers' webhooks name the orphans, which are adopted."""
    fal, wavespeed = stubs
    fal.faults.add("submit", "lost", times=100)
    wavespeed.faults.add("submit", "lost", times=100)
    services = cloud(tmp_path, db, fal, wavespeed)
    with receiver(services, fal) as url:
        settings = services.settings
        settings.webhook_base_url = url
        settings.fal_jwks_url = f"{fal.url}/.well-known/jwks.json"
        settings.fal_webhook_user_id = fal.webhook_user_id
        settings.wavespeed_webhook_secret = SecretStr(wavespeed.webhook_secret)
        owner = ensure_user(services.db, "paid@example.com")
        video_ids = [make_video(services, owner, n) for n in range(2)]
        drive(services)
    for video_id in video_ids:
        view = gallery.video_details(video_id, user_id=owner, services=services)
        assert view.status.value == "completed", view.error
    assert fal.count("submit") == fal.created_count() == 4  # image edit + speech, once each per video
    assert wavespeed.count("submit") == wavespeed.created_count() == 2
    assert all(status == 200 for _, status in fal.webhooks_sent + wavespeed.webhooks_sent)
    with services.db.session() as session:
        ledger = session.scalars(select(CostRecord.status)).all()
        states = set(session.scalars(select(JobStep.submit_state).where(JobStep.provider.is_not(None))))
    assert sorted(ledger) == ["charged"] * 6  # the "possibly charged" rows became real charges
    assert states == {"adopted"}


def test_a_retry_without_an_uncertain_step_is_refused(tmp_path: Path, db: Any, stubs: Any) -> None:
    fal, wavespeed = stubs
    services = cloud(tmp_path, db, fal, wavespeed)
    owner = ensure_user(services.db, "paid@example.com")
    video_id = make_video(services, owner)
    services.queue.drain()  # type: ignore[attr-defined]
    from core.errors import ValidationError

    with pytest.raises(ValidationError):
        paid_retry.retry_uncertain_video(video_id, user_id=owner, services=services)
    assert fal.created_count() == 2


def test_a_worker_dying_during_a_submit_does_not_pay_again(tmp_path: Path, db: Any, stubs: Any) -> None:
    """A step left "sending" with no request id (the worker died mid-call) is treated as a lost answer."""
    fal, wavespeed = stubs
    services = cloud(tmp_path, db, fal, wavespeed)
    owner = ensure_user(services.db, "paid@example.com")
    video_id = make_video(services, owner)
    with services.db.session() as session:
        job_id = session.scalar(select(Job.id))
        key = session.scalar(select(Actor.image_key))
    # Simulate the state a killed worker leaves: the attempt marked "sending", no request id.
    with services.db.session() as session:
        session.add(
            JobStep(
                job_id=job_id,
                name="init",
                status="completed",
                output={
                    "actor_image_key": key,
                    "image_key": key,
                    "image_prompt": "p",
                    "script": "Hi",
                    "source_audio_key": None,
                    "voice": {"voice_id": "v", "language": "en-us", "rate_wpm": 150, "pitch": 50},
                    "seed": 0,
                },
            )
        )
        session.add(
            JobStep(
                job_id=job_id,
                name="image_edit",
                status="running",
                provider="fal:fal-ai/nano-banana/edit",
                submit_state="sending",
                webhook_token="dead-worker-token",
            )
        )
    services.queue.drain()  # type: ignore[attr-defined]
    view = gallery.video_details(video_id, user_id=owner, services=services)
    assert view.error is not None and view.error.code == "provider_may_have_started"
    assert fal.count("submit") == 0


def test_html_from_an_ingress_never_reaches_the_creator(tmp_path: Path, db: Any, stubs: Any) -> None:
    fal, wavespeed = stubs
    services = cloud(tmp_path, db, fal, wavespeed, step_max_attempts=2)
    owner = ensure_user(services.db, "paid@example.com")
    video_id = make_video(services, owner)
    html = "<html><head><title>502 Bad Gateway</title></head><body>nginx key=sk-live-123</body></html>"
    fal.ingress_html = html  # every submit answers the gateway's 502 page
    services.queue.drain()  # type: ignore[attr-defined]
    with services.db.session() as session:
        errors = [str(j.error) for j in session.scalars(select(Job))]
        errors += [s.error or "" for s in session.scalars(select(JobStep))]
    assert errors and not any("<html" in e or "Bad Gateway</title>" in e or "sk-live" in e for e in errors)
    view = gallery.video_details(video_id, user_id=owner, services=services)
    assert view.status.value == "failed" and view.error is not None
    assert "busy or having trouble" in view.error.message
    assert fal.created_count() == 0


def test_ten_videos_survive_a_30_percent_fault_rate_on_polls(tmp_path: Path, db: Any, stubs: Any) -> None:
    """Polls of paid predictions see 429s, 5xx pages, hangs past the read timeout and drops;
    every video completes, with exactly one paid submit per step."""
    fal, wavespeed = stubs
    for stub in (fal, wavespeed):  # renders take a while, so each is polled many times
        stub.poll_fault_rate, stub.hang_s, stub.completes_after_s = 0.3, 0.6, 0.5
    services = cloud(tmp_path, db, fal, wavespeed, provider_timeout_s=0.4)
    owner = ensure_user(services.db, "paid@example.com")
    video_ids = [make_video(services, owner, n) for n in range(10)]
    services.queue.drain(max_steps=5000)  # type: ignore[attr-defined]
    statuses = [gallery.video_details(v, user_id=owner, services=services).status.value for v in video_ids]
    assert statuses == ["completed"] * 10
    assert fal.poll_faults + wavespeed.poll_faults >= 10  # the faults really happened
    assert fal.created_count() == 20 and wavespeed.created_count() == 10  # 1.00 paid submit per step
    with services.db.session() as session:
        errors = session.scalars(select(JobStep.poll_errors)).all()
    assert all(e == 0 for e in errors)  # every good answer reset the count


def test_poll_errors_count_only_in_a_row_and_stop_at_the_wait_bound(tmp_path: Path, db: Any, stubs: Any) -> None:
    fal, wavespeed = stubs
    services = cloud(tmp_path, db, fal, wavespeed)
    owner = ensure_user(services.db, "paid@example.com")
    video_id = make_video(services, owner)
    fal.faults.add("status", "server_error", times=3)
    fal.faults.add("status", "rate_limit", times=6, retry_after_s=0)  # 9 failed polls in a row
    services.queue.drain(max_steps=200)  # type: ignore[attr-defined]
    assert gallery.video_details(video_id, user_id=owner, services=services).status.value == "completed"
    assert fal.created_count() == 2

    services.settings.provider_wait_timeout_s = 1.0
    second = make_video(services, owner, 1)
    fal.faults.add("status", "server_error", times=10_000)  # fal unreachable for reads from now on
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        services.queue.drain(max_steps=50)  # type: ignore[attr-defined]
        view = gallery.video_details(second, user_id=owner, services=services)
        if view.status.value == "failed":
            break
        time.sleep(0.1)
    assert view.status.value == "failed" and view.error is not None
    assert view.error.code == "provider_timeout" and "<html" not in view.error.message
    assert fal.created_count() == 3  # the paid image edit was never resubmitted


# --------------------------------------------------------------------------- Google: the paid call is in collect


@pytest.fixture
def google() -> Iterator[GoogleStub]:
    with GoogleStub() as stub:
        yield stub


def google_speech(tmp_path: Path, db: Any, stubs: Any, google: GoogleStub, **overrides: Any) -> Services:
    fal, wavespeed = stubs
    return cloud(
        tmp_path,
        db,
        fal,
        wavespeed,
        gemini_api_key="test-key",
        google_base_url=google.url,
        speech_provider="google",
        provider_timeout_s=2.0,
        **overrides,
    )


def test_a_lost_gemini_answer_is_not_repeated(tmp_path: Path, db: Any, stubs: Any, google: GoogleStub) -> None:
    services = google_speech(tmp_path, db, stubs, google)
    owner = ensure_user(services.db, "paid@example.com")
    video_id = make_video(services, owner)
    google.faults.add("generate", "lost")  # Gemini spoke the line; the answer was dropped
    services.queue.drain()  # type: ignore[attr-defined]
    view = gallery.video_details(video_id, user_id=owner, services=services)
    assert view.error is not None and view.error.code == "provider_may_have_started", view.error
    assert google.count("generate") == 1
    with services.db.session() as session:
        ledger = {c.capability: c.status for c in session.scalars(select(CostRecord))}
    assert ledger["speech"] == "possibly_charged"


def test_a_gemini_call_in_flight_when_the_worker_died_is_not_repeated(
    tmp_path: Path, db: Any, stubs: Any, google: GoogleStub
) -> None:
    services = google_speech(tmp_path, db, stubs, google)
    owner = ensure_user(services.db, "paid@example.com")
    video_id = make_video(services, owner)
    google.faults.add("generate", "hang", delay_s=3.0)  # the speech call never returns in time ...
    services.queue.drain()  # type: ignore[attr-defined]  # ... and is recorded as lost, not retried
    view = gallery.video_details(video_id, user_id=owner, services=services)
    assert view.error is not None and view.error.code == "provider_may_have_started"
    assert google.count("generate") == 1

    # A worker that died mid-call leaves the attempt "sending" with our own request marker:
    with services.db.session() as session:
        step = session.scalars(select(JobStep).where(JobStep.name == "tts")).one()
        job = session.get(Job, step.job_id)
        assert step.provider_request_id and step.provider_request_id.startswith("google:")
        step.status, step.submit_state, step.error_code = "running", "sending", None
        job.status, job.error, job.finished_at = "running", None, None  # heartbeat stale: resumed
        job.heartbeat_at = None
    engine.advance(step.job_id, services)
    assert google.count("generate") == 1  # not repeated on resume
    view = gallery.video_details(video_id, user_id=owner, services=services)
    assert view.error is not None and view.error.code == "provider_may_have_started"


def test_inline_wizard_calls_follow_the_same_rule(tmp_path: Path, db: Any, stubs: Any, google: GoogleStub) -> None:
    services = cloud(
        tmp_path,
        db,
        *stubs,
        gemini_api_key="test-key",
        google_base_url=google.url,
        llm_provider="google",
        provider_timeout_s=2.0,
    )
    owner = ensure_user(services.db, "paid@example.com")
    request = ScriptRequest(
        task=ScriptTask.SAFETY,
        instructions="Judge.",
        prompt="Nice serum",
        schema={"type": "object", "properties": {"allowed": {"type": "boolean"}}},
    )
    google.faults.add("generate", "lost")
    with pytest.raises(PaidCallUncertain, match="may have started"):
        calls.ask(services, "llm", request, user_id=owner)
    assert google.count("generate") == 1
    with services.db.session() as session:
        assert session.scalars(select(CostRecord.status)).all() == ["possibly_charged"]


# --------------------------------------------------------------------------- a step failing after its paid call

SUPABASE_KEY = "eyJhbGciOiJIUzI1NiJ9.service-role.test"


@pytest.fixture
def supabase() -> Iterator[SupabaseStorageStub]:
    with SupabaseStorageStub(key=SUPABASE_KEY) as stub:
        yield stub


def _on_supabase(tmp_path: Path, db: Any, stubs: Any, google: GoogleStub, supabase: SupabaseStorageStub) -> Services:
    return google_speech(
        tmp_path,
        db,
        stubs,
        google,
        storage_backend="supabase",
        supabase_url=supabase.url,
        supabase_service_key=SUPABASE_KEY,
        retry_base_s=0.0,
    )


def _ledger(services: Services) -> list[tuple[str, str]]:
    with services.db.session() as session:
        return sorted((c.capability, c.status) for c in session.scalars(select(CostRecord)))


def test_a_synchronous_call_is_not_paid_again_when_keeping_its_result_fails(
    tmp_path: Path, db: Any, stubs: Any, google: GoogleStub, supabase: SupabaseStorageStub
) -> None:
    services = _on_supabase(tmp_path, db, stubs, google, supabase)
    owner = ensure_user(services.db, "paid@example.com")
    video_id = make_video(services, owner)
    supabase.fail_uploads("/tts-")  # Gemini spoke (and charged); storing the speech answers 503
    services.queue.drain()  # type: ignore[attr-defined]
    assert google.count("generate") == 1  # the engine's retry of the step did not speak the line again
    view = gallery.video_details(video_id, user_id=owner, services=services)
    assert view.error is not None and view.error.code == "provider_may_have_started"
    assert "already charged" in view.error.message
    assert _ledger(services).count(("speech", "charged")) == 1

    paid_retry.retry_uncertain_video(video_id, user_id=owner, services=services)  # the creator pays again
    services.queue.drain()  # type: ignore[attr-defined]
    assert google.count("generate") == 2
    assert gallery.video_details(video_id, user_id=owner, services=services).status == "completed"
    assert _ledger(services).count(("speech", "charged")) == 2


def test_an_async_prediction_collected_again_is_charged_once(
    tmp_path: Path, db: Any, stubs: Any, google: GoogleStub, supabase: SupabaseStorageStub
) -> None:
    fal, _ = stubs
    services = _on_supabase(tmp_path, db, stubs, google, supabase)
    owner = ensure_user(services.db, "paid@example.com")
    video_id = make_video(services, owner)
    supabase.fail_uploads("/image_edit-")  # fal made the image; storing it answers 503 once
    services.queue.drain()  # type: ignore[attr-defined]
    assert gallery.video_details(video_id, user_id=owner, services=services).status == "completed"
    assert fal.created_count() == 1  # the image edit (lip-sync is on WaveSpeed): not resubmitted
    assert _ledger(services).count(("image_edit", "charged")) == 1  # collected twice, paid and ledgered once
