"""A whole talking-actor video through the cloud adapters, chosen by settings alone,
against the fal and WaveSpeed stubs; the resulting file is probed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.adapters.db.models.jobs import CostRecord, JobStep
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.bootstrap import build_services, describe
from core.ports_services import Services
from core.services.accounts.identity import ensure_user
from core.services.talking import gallery, projects, videos
from jobs import engine
from tests.conftest import make_settings
from tests.fakes import ManualQueue, add_actor
from tests.stubs import FalStub, WaveSpeedStub

PORTRAIT = Path(__file__).resolve().parents[2] / "seeds" / "actors" / "ava_base_01.png"


@pytest.fixture
def cloud_services(tmp_path: Path, db) -> Iterator[tuple[Services, FalStub, WaveSpeedStub]]:  # type: ignore[no-untyped-def]
    with FalStub(completes_after_s=0.0) as fal, WaveSpeedStub(completes_after_s=0.0) as wavespeed:
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
        )
        queue = ManualQueue()
        services = build_services(settings, db=db, queue=queue)
        queue.handler = lambda job_id: engine.advance(job_id, services)
        yield services, fal, wavespeed


def test_keys_switch_every_capability_to_the_cloud(cloud_services) -> None:  # type: ignore[no-untyped-def]
    services, _, _ = cloud_services
    vendors = {cap: choice.vendor for cap, choice in services.providers.choices.items()}
    assert vendors["image_edit"] == "fal" and vendors["speech"] == "fal" and vendors["lipsync"] == "wavespeed"
    assert any("provider lipsync: wavespeed" in line for line in describe(services))
    assert not any("test-key" in line for line in describe(services))


def test_a_talking_video_made_by_fal_and_wavespeed(cloud_services) -> None:  # type: ignore[no-untyped-def]
    services, fal, wavespeed = cloud_services
    owner = ensure_user(services.db, "cloud@example.com")
    project = projects.create_project("Cloud", owner_id=owner, services=services)
    actor = add_actor(services, "ava_base_01", portrait=PORTRAIT.read_bytes())  # her voices are bound
    video_id = videos.create_video(
        videos.VideoRequest(
            project_id=project.id,
            actor_id=actor,
            script="Hi! This is made in the cloud.",
            image_prompt="beach at golden hour",
        ),
        user_id=owner,
        services=services,
    )
    services.queue.drain()  # type: ignore[attr-defined]

    view = gallery.video_details(video_id, user_id=owner, services=services)
    assert view.status.value == "completed", view.error
    info = FfmpegToolkit().probe(services.settings.media_dir / (view.video_key or ""))
    assert info.has_video and info.duration_s > 0
    assert {(s.name, s.provider) for s in view.steps if s.provider} == {
        ("image_edit", "fal.ai"),
        ("tts", "fal.ai"),
        ("lip_sync", "wavespeed"),
    } or all(s.provider_request_id for s in view.steps if s.name in ("image_edit", "tts", "lip_sync"))
    assert fal.created_count() == 2 and wavespeed.created_count() == 1  # one paid submission per step
    with services.db.session() as session:
        costs = session.scalars(select(CostRecord.amount_usd)).all()
        polls = session.scalars(select(JobStep.polls).where(JobStep.name == "lip_sync")).all()
    assert len(costs) == 3 and all(c > 0 for c in costs)
    assert sum(polls) >= 2  # the stub walked created -> processing -> completed
