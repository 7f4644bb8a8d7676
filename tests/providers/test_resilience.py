"""Resilience end to end against the stubs (issue 18), on SQLite and PostgreSQL: talking
videos whose lip-sync runs on WaveSpeed with fal as its fallback, and WaveSpeed key pools.
Paid submits are counted at both stubs: a fallback or a rotation never pays twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.adapters.db.models.jobs import CostRecord, JobStep
from core.adapters.db.models.resilience import ERROR, RATE_LIMITED, PoolKey, ProviderCircuit, ProviderEvent
from core.bootstrap import build_services
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.resilience import key_pool
from core.services.talking import gallery
from jobs import engine
from tests.conftest import make_settings
from tests.fakes import ManualQueue
from tests.providers.test_paid_calls import make_video
from tests.stubs import FalStub, GoogleStub, WaveSpeedStub
from tests.stubs.server import StubRequest, StubResponse

MASTER = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 bytes
WAVESPEED_LIPSYNC = "wavespeed:wavespeed-ai/infinitetalk"
FAL_LIPSYNC = "fal:fal-ai/infinitalk"


class PoolStub(WaveSpeedStub):
    """WaveSpeed accepting several keys; `outage` answers 503 to everything, `storm` keys get
    429 + Retry-After on every submit, keys outside `keys` get 401."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys = {self.api_key}
        self.storm: set[str] = set()
        self.outage = False
        self.submitted_with: list[str] = []

    def _key(self, request: StubRequest) -> str:
        return request.header("Authorization").removeprefix("Bearer ")

    def authorized(self, request: StubRequest) -> bool:
        return self._key(request) in self.keys

    def _transport_fault(self, label: str) -> StubResponse | None:
        if self.outage:
            return self.error(503, "Service temporarily unavailable")
        return super()._transport_fault(label)

    def _submit(self, request: StubRequest, model: str) -> StubResponse:
        if self._key(request) in self.storm:
            return self.error(429, "Too many requests", {"Retry-After": "120"})
        self.submitted_with.append(self._key(request))
        return super()._submit(request, model)


@pytest.fixture
def stubs() -> Iterator[tuple[FalStub, PoolStub]]:
    with FalStub(completes_after_s=0.0) as fal, PoolStub(completes_after_s=0.0) as wavespeed:
        yield fal, wavespeed


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
        master_key=MASTER,
        **overrides,
    )
    queue = ManualQueue()
    services = build_services(settings, db=db, queue=queue)
    queue.handler = lambda job_id: engine.advance(job_id, services)
    return services


def lipsync_steps(services: Services) -> list[tuple[str, str | None]]:
    with services.db.session() as session:
        rows = session.execute(
            select(JobStep.status, JobStep.provider).where(JobStep.name == "lip_sync").order_by(JobStep.started_at)
        ).all()
    return [(status, provider) for status, provider in rows]


def run_video(services: Services, owner: str, n: int = 0) -> Any:
    video_id = make_video(services, owner, n)
    services.queue.drain()  # type: ignore[attr-defined]
    return gallery.video_details(video_id, user_id=owner, services=services)


def test_an_outage_at_the_primary_moves_lipsync_to_the_fallback_once(tmp_path: Path, db: Any, stubs: Any) -> None:
    fal, wavespeed = stubs
    services = cloud(tmp_path, db, fal, wavespeed, fallback_chains={"lipsync": ["fal"]}, fallback_after_attempts=2)
    owner = ensure_user(services.db, "outage@example.com")
    wavespeed.outage = True

    view = run_video(services, owner)

    assert view.status.value == "completed", view.error
    # two refused attempts at WaveSpeed (the retry budget), then fal: one paid lip-sync in all
    assert lipsync_steps(services) == [("retrying", None), ("completed", FAL_LIPSYNC)]
    assert wavespeed.created_count() == 0
    assert fal.created_count("fal-ai/infinitalk") == 1
    with services.db.session() as session:
        ledger = session.execute(
            select(CostRecord.provider, CostRecord.amount_usd).where(CostRecord.capability == "lipsync")
        ).all()
        circuit = session.get(ProviderCircuit, WAVESPEED_LIPSYNC)
        kinds = set(session.scalars(select(ProviderEvent.kind).where(ProviderEvent.provider == WAVESPEED_LIPSYNC)))
    assert [p for p, _ in ledger] == [FAL_LIPSYNC]  # the ledger names who really did it, at fal's price
    assert ledger[0][1] == pytest.approx(services.settings.prices.fal_infinitalk_per_second * view.duration_s, rel=0.2)
    assert circuit is not None and circuit.down_until is not None
    assert {"error", "fallback"} <= kinds

    # While WaveSpeed is down, new work starts at fal without knocking at WaveSpeed again.
    submits_before = wavespeed.count("submit") + wavespeed.count("upload_ticket")
    second = run_video(services, owner, 1)
    assert second.status.value == "completed", second.error
    assert wavespeed.count("submit") + wavespeed.count("upload_ticket") == submits_before
    assert fal.created_count("fal-ai/infinitalk") == 2 and wavespeed.created_count() == 0
    assert any(step.provider == FAL_LIPSYNC for step in second.steps)


def test_a_lost_answer_at_the_primary_is_never_sent_to_the_fallback(tmp_path: Path, db: Any, stubs: Any) -> None:
    fal, wavespeed = stubs
    services = cloud(tmp_path, db, fal, wavespeed, fallback_chains={"lipsync": ["fal"]}, fallback_after_attempts=1)
    owner = ensure_user(services.db, "lost@example.com")
    wavespeed.faults.add("submit", "lost")  # WaveSpeed creates the prediction, its answer is dropped

    view = run_video(services, owner)

    assert view.status.value == "failed"
    assert view.error is not None and view.error.code == "provider_may_have_started"
    assert wavespeed.created_count() == 1
    assert fal.created_count("fal-ai/infinitalk") == 0  # possibly paid at WaveSpeed: not paid again at fal
    with services.db.session() as session:
        assert session.get(ProviderCircuit, WAVESPEED_LIPSYNC) is None  # not an outage


def test_a_content_refusal_does_not_fall_back(tmp_path: Path, db: Any, stubs: Any) -> None:
    fal, wavespeed = stubs
    services = cloud(tmp_path, db, fal, wavespeed, fallback_chains={"lipsync": ["fal"]}, fallback_after_attempts=1)
    owner = ensure_user(services.db, "refused@example.com")
    wavespeed.faults.add("submit", "fail", message="The input violates our content policy.")

    view = run_video(services, owner)

    assert view.status.value == "failed"
    assert view.error is not None and "content policy" in view.error.message
    assert wavespeed.created_count() == 1 and fal.created_count("fal-ai/infinitalk") == 0


def test_a_429_storm_rotates_over_the_pooled_keys(tmp_path: Path, db: Any, stubs: Any) -> None:
    fal, wavespeed = stubs
    services = cloud(tmp_path, db, fal, wavespeed)
    owner = ensure_user(services.db, "storm@example.com")
    ids = [
        key_pool.add_key(services, owner_id=None, vendor="wavespeed", label=f"team {n}", secret=f"ws-key-{n}-abcd")
        for n in range(3)
    ]
    wavespeed.keys |= {"ws-key-0-abcd", "ws-key-1-abcd", "ws-key-2-abcd"}
    wavespeed.storm = {"ws-key-0-abcd", "ws-key-1-abcd"}

    view = run_video(services, owner)

    assert view.status.value == "completed", view.error
    assert wavespeed.submitted_with == ["ws-key-2-abcd"] and wavespeed.created_count() == 1
    assert wavespeed.count("submit") == 3  # one refused try per parked key, one paid submit
    with services.db.session() as session:
        rows = {r.id: r for r in session.scalars(select(PoolKey))}
    assert [rows[i].status for i in ids] == [RATE_LIMITED, RATE_LIMITED, "active"]
    for parked in ids[:2]:
        limited = rows[parked].limited_until
        assert limited is not None and limited > rows[ids[2]].last_used_at  # type: ignore[operator]
    # The next video goes straight to the free key: parked keys are not tried again.
    second = run_video(services, owner, 1)
    assert second.status.value == "completed", second.error
    assert wavespeed.count("submit") == 4 and wavespeed.submitted_with == ["ws-key-2-abcd"] * 2


def test_a_rejected_key_is_marked_error_and_its_owner_told(tmp_path: Path, db: Any, stubs: Any) -> None:
    fal, wavespeed = stubs
    services = cloud(tmp_path, db, fal, wavespeed)
    owner = ensure_user(services.db, "keys@example.com")
    other = ensure_user(services.db, "other@example.com")
    bad = key_pool.add_key(services, owner_id=owner, vendor="wavespeed", label="old", secret="ws-revoked-1234")
    good = key_pool.add_key(services, owner_id=owner, vendor="wavespeed", label="new", secret="ws-mine-5678")
    wavespeed.keys |= {"ws-mine-5678"}

    view = run_video(services, owner)

    assert view.status.value == "completed", view.error
    assert wavespeed.submitted_with == ["ws-mine-5678"]
    keys = {k.id: k for k in key_pool.list_keys(services, owner_id=owner)}
    assert keys[bad].status == ERROR and keys[bad].error_count == 1 and "rejected" in keys[bad].last_error
    assert keys[good].status == "active"
    from core.services.resilience import health

    told = [e.message for e in health.recent_events(services, owner) if e.kind == "key_error"]
    assert told and '"old"' in told[0] and "replace it in Settings" in told[0]
    assert not [e for e in health.recent_events(services, other) if e.kind == "key_error"]
    assert key_pool.list_keys(services, owner_id=other) == []


# --------------------------------------------------------------------------- Gemini TTS -> Cloud TTS (paid in collect)


@pytest.fixture
def google() -> Iterator[GoogleStub]:
    with GoogleStub() as stub:
        yield stub


def google_speech(tmp_path: Path, db: Any, stubs: Any, google: GoogleStub) -> Services:
    fal, wavespeed = stubs
    return cloud(
        tmp_path,
        db,
        fal,
        wavespeed,
        gemini_api_key="test-key",
        google_base_url=google.url,
        google_cloud_tts_base_url=google.url,
        speech_provider="google",
        provider_timeout_s=2.0,
        fallback_chains={"speech": ["gcloud"]},
        fallback_after_attempts=1,
    )


def speech_steps(services: Services) -> list[tuple[str, str | None]]:
    with services.db.session() as session:
        rows = session.execute(select(JobStep.status, JobStep.provider).where(JobStep.name == "tts")).all()
    return [(status, provider) for status, provider in rows]


def test_a_refused_gemini_call_moves_to_cloud_tts(tmp_path: Path, db: Any, stubs: Any, google: GoogleStub) -> None:
    services = google_speech(tmp_path, db, stubs, google)
    owner = ensure_user(services.db, "tts@example.com")
    google.faults.add("generate", "rate_limit", times=5, retry_after_s=600.0)  # Gemini refuses: nothing spoken

    view = run_video(services, owner)

    assert view.status.value == "completed", view.error
    assert google.count("generate") == 1 and google.count("tts") == 1  # one refusal, one paid synthesis
    assert speech_steps(services) == [("completed", "google:cloud-tts")]
    with services.db.session() as session:
        ledger = session.scalars(select(CostRecord.provider).where(CostRecord.capability == "speech")).all()
    assert ledger == ["google:cloud-tts"]


def test_a_lost_gemini_answer_is_not_sent_to_cloud_tts(tmp_path: Path, db: Any, stubs: Any, google: GoogleStub) -> None:
    services = google_speech(tmp_path, db, stubs, google)
    owner = ensure_user(services.db, "tts-lost@example.com")
    google.faults.add("generate", "lost")  # Gemini spoke the line; the answer was dropped

    view = run_video(services, owner)

    assert view.error is not None and view.error.code == "provider_may_have_started"
    assert google.count("generate") == 1 and google.count("tts") == 0
