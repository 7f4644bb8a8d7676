"""The ugc_ad pipeline: the review gate, per-scene units, crash resume, failures, redo of one scene."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from core.adapters.db.database import Database
from core.adapters.db.models.ads import AdScene
from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import Job, JobStep
from core.domain.ads import AdStatus, AssetKind, AssetStatus
from core.domain.types import JobStatus
from core.errors import ProviderError
from core.ports_services import Services
from core.services.ads import generation, scenes, wizard
from jobs.sweeper import sweep
from tests.fakes import FakeProvider
from tests.ugc_support import Counting, scripted_ad, ugc_services, ugc_settings


def _factory(tmp_path: Path, db: Database) -> Any:
    def _make(**overrides: Any) -> Services:
        providers = {
            k: v for k, v in overrides.items() if k in ("image_gen", "image_to_video", "speech", "llm", "vision")
        }
        values = {"ugc_storyboard_similarity_min": 0.0, **{k: v for k, v in overrides.items() if k not in providers}}
        return ugc_services(ugc_settings(tmp_path / "data", **values), db, **providers)

    return _make


@pytest.fixture
def make(tmp_path: Path, db: Database) -> Any:
    """Services on SQLite and on PostgreSQL (the gate, crash and per-scene logic run on both)."""
    return _factory(tmp_path, db)


@pytest.fixture
def make_sqlite(tmp_path: Path, sqlite_db: Database) -> Any:
    """Services on SQLite only, for the runs that render whole ads (the database part is covered above)."""
    return _factory(tmp_path, sqlite_db)


def _scene_ids(services: Services, ad_id: str) -> list[str]:
    with services.db.session() as session:
        return list(session.scalars(select(AdScene.id).where(AdScene.ad_id == ad_id).order_by(AdScene.number)))


def _job(services: Services, ad_id: str) -> Job:
    with services.db.session() as session:
        job = session.get(Job, wizard.get_ad(ad_id, user_id=_owner(services, ad_id), services=services).job.id)  # type: ignore[union-attr]
        session.expunge(job)
        return job


def _owner(services: Services, ad_id: str) -> str:
    from core.adapters.db.models.ads import Ad

    with services.db.session() as session:
        return session.get(Ad, ad_id).owner_id  # type: ignore[union-attr]


def _to_gate(services: Services) -> tuple[str, str]:
    user, ad_id = scripted_ad(services)
    generation.start_generation(ad_id, user_id=user, services=services)
    services.queue.drain()
    return user, ad_id


def test_the_storyboard_waits_for_review_with_every_scene_drawn(make: Any) -> None:
    services = make()
    user, ad_id = _to_gate(services)
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.REVIEW
    assert ad.job is not None and ad.job.status is JobStatus.WAITING and ad.job.current_step == "storyboard_review"
    assert len(ad.scenes) == 3
    for scene in ad.scenes:
        assert [f.status for f in scene.frames] == [AssetStatus.READY, AssetStatus.READY]
        assert scene.selected_frame_id in {f.id for f in scene.frames} and scene.approved_frame_id is None
    assert services.providers.get("image_gen").submits == 6
    assert services.providers.get("image_to_video").submits == 0  # nothing animated before approval


def test_low_identity_frames_are_redrawn_up_to_the_limit(make_sqlite: Any) -> None:
    make = make_sqlite
    services = make(ugc_storyboard_similarity_min=0.999, ugc_max_regen_attempts=2)
    user, ad_id = _to_gate(services)
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert [len(s.frames) for s in ad.scenes] == [4, 4, 4]  # 2 variants + 2 automatic redraws, then it stops
    assert services.providers.get("image_gen").submits == 12
    assert ad.status is AdStatus.REVIEW


def test_edit_scene_3_at_the_gate_redraws_only_scene_3(make: Any) -> None:
    image_gen = FakeProvider("image", name="fakeimg")
    services = make(image_gen=image_gen)
    user, ad_id = _to_gate(services)
    assert image_gen.submits == 6
    third = _scene_ids(services, ad_id)[2]
    edit = {"action": "Holds the serum up to the window light", "camera": {"shot_type": "close_up"}}
    redrawn = generation.approve_storyboard(ad_id, user_id=user, services=services, edits={third: edit})
    assert redrawn == [3]
    services.queue.drain()
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error
    assert image_gen.submits == 8  # scene 3's two variants, nothing else
    assert services.providers.get("image_to_video").submits == 3
    inputs = [r.image for r in services.providers.get("image_to_video").requests]
    assert len(set(inputs)) == 3


def test_after_completion_an_edited_scene_is_the_only_one_made_again(make_sqlite: Any) -> None:
    make = make_sqlite
    services = make()
    user, ad_id = _to_gate(services)
    generation.approve_storyboard(ad_id, user_id=user, services=services)
    services.queue.drain()
    counts = {c: services.providers.get(c).submits for c in ("image_gen", "image_to_video", "speech")}
    assert counts == {"image_gen": 6, "image_to_video": 3, "speech": 3}
    second, third = _scene_ids(services, ad_id)[1:]
    assert scenes.edit_scene(third, {"dialogue": "Try it tonight. Link below."}, user_id=user, services=services)
    generation.start_generation(ad_id, user_id=user, services=services)
    services.queue.drain()  # a new line keeps the approved frame: no review round
    assert wizard.get_ad(ad_id, user_id=user, services=services).status is AdStatus.COMPLETED
    after = {c: services.providers.get(c).submits - counts[c] for c in counts}
    assert after == {"image_gen": 0, "image_to_video": 1, "speech": 1}
    assert scenes.edit_scene(second, {"setting": "kitchen"}, user_id=user, services=services)
    generation.start_generation(ad_id, user_id=user, services=services)
    services.queue.drain()
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.REVIEW  # scene 2's new frame needs a look; 1 and 3 stay approved
    assert [s.approved_frame_id is not None for s in ad.scenes] == [True, False, True]
    generation.approve_storyboard(ad_id, user_id=user, services=services)
    services.queue.drain()
    after = {c: services.providers.get(c).submits - counts[c] for c in counts}
    assert after == {"image_gen": 2, "image_to_video": 2, "speech": 1}
    assert wizard.get_ad(ad_id, user_id=user, services=services).status is AdStatus.COMPLETED


def test_a_crash_after_the_storyboard_resumes_at_the_gate_without_redrawing(make: Any) -> None:
    services = make()
    user, ad_id = _to_gate(services)
    job = _job(services, ad_id)
    with services.db.session() as session:  # the worker died while the job ran
        session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(status=JobStatus.RUNNING.value, heartbeat_at=utcnow() - timedelta(minutes=5))
        )
    services.queue.clear()
    assert sweep(services)["resumed"] == 1
    services.queue.drain()
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.job is not None and ad.job.status is JobStatus.WAITING and ad.job.current_step == "storyboard_review"
    assert services.providers.get("image_gen").submits == 6
    with services.db.session() as session:
        attempts = session.scalars(
            select(JobStep.attempt).where(JobStep.job_id == job.id, JobStep.name == "storyboard")
        ).all()
    assert attempts == [1]


def test_a_lost_queue_mid_storyboard_redraws_nothing_twice(make: Any) -> None:
    services = make()
    user, ad_id = scripted_ad(services)
    generation.start_generation(ad_id, user_id=user, services=services)
    services.queue.drain(max_steps=2)  # the ad job queued its frames, one frame ran, then the queue was lost
    services.queue.clear()
    with services.db.session() as session:
        session.execute(update(Job).values(updated_at=utcnow() - timedelta(minutes=5)))
        session.execute(update(Job).where(Job.status == "waiting").values(run_after=utcnow() - timedelta(minutes=5)))
    sweep(services)
    services.queue.drain()
    assert wizard.get_ad(ad_id, user_id=user, services=services).status is AdStatus.REVIEW
    assert services.providers.get("image_gen").submits == 6


class FlakyScene:
    """The offline animator, except that one scene's clip is refused until `healed`."""

    def __init__(self, inner: Any, scene: int) -> None:
        self.inner, self.scene, self.healed, self.name, self.submits = inner, scene, False, "local", 0

    def submit(self, request: Any) -> Any:
        self.submits += 1
        if not self.healed and f"SCENE {self.scene} (" in request.prompt:
            raise ProviderError("The video model refused this frame.", provider="local", status_code=422)
        return self.inner.submit(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_failed_scene_does_not_stop_the_others_and_retries_alone(make_sqlite: Any) -> None:
    make = make_sqlite
    from core.adapters.media.ffmpeg import FfmpegToolkit
    from core.adapters.providers.local.image_to_video import LocalImageAnimator

    flaky = FlakyScene(LocalImageAnimator(FfmpegToolkit(), fps=12), scene=2)
    services = make(image_to_video=flaky)
    user, ad_id = _to_gate(services)
    generation.approve_storyboard(ad_id, user_id=user, services=services)
    services.queue.drain()
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.NEEDS_ATTENTION and "scene 2" in (ad.error or "")
    assert [s.status_of(AssetKind.CLIP) for s in ad.scenes] == [
        AssetStatus.READY,
        AssetStatus.FAILED,
        AssetStatus.READY,
    ]
    assert "refused" in (ad.scenes[1].error or "")
    flaky.healed = True
    generation.retry_scene(ad.scenes[1].id, AssetKind.CLIP, user_id=user, services=services)
    services.queue.drain()
    assert wizard.get_ad(ad_id, user_id=user, services=services).status is AdStatus.COMPLETED
    assert flaky.submits == 4  # three scenes, then scene 2 once more


def test_the_offline_run_makes_a_checked_captioned_ad(make_sqlite: Any) -> None:
    make = make_sqlite
    services = make()
    user, ad_id = _to_gate(services)
    generation.approve_storyboard(ad_id, user_id=user, services=services)
    services.queue.drain()
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error
    (output,) = ad.outputs
    assert (output.width, output.height) == (270, 480)
    assert output.duration_s == pytest.approx(15.0, abs=0.15)
    assert output.qc is not None and output.qc.passed, [f for f in output.qc.findings if not f.passed]
    assert {f.check for f in output.qc.findings} >= {
        "duration",
        "loudness",
        "black",
        "frozen",
        "captions_safe_area",
        "identity",
        "lips",
        "silence",
        "product",
        "captions_clear",
        "captions_match_voice",
        "brief_duration",
    }
    checked = {f.check for f in output.qc.findings if f.checked}
    assert checked >= {"lips", "silence", "product", "captions_clear", "captions_match_voice"}, output.qc.findings
    assert len(output.captions) >= 3
    info = services.media.probe(
        services.storage.download_to(output.video_key, Path(services.settings.work_dir) / "out.mp4")
    )
    assert info.has_audio and info.has_video and info.video_codec == "h264"
    assert ad.wizard_step == "result"


def test_redo_one_scene_after_completion_renders_that_scene_alone(make_sqlite: Any) -> None:
    make = make_sqlite
    services = make()
    user, ad_id = _to_gate(services)
    generation.approve_storyboard(ad_id, user_id=user, services=services)
    services.queue.drain()
    before = {c: services.providers.get(c).submits for c in ("image_gen", "image_to_video", "speech")}
    first = _scene_ids(services, ad_id)[0]
    generation.redo_scene(first, user_id=user, services=services)
    services.queue.drain()
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error
    assert {c: services.providers.get(c).submits - before[c] for c in before} == {
        "image_gen": 0,
        "image_to_video": 1,
        "speech": 1,
    }
    assert len(ad.outputs) == 1 and ad.outputs[0].qc is not None


def test_counting_wrapper_is_what_the_pipeline_uses(make: Any) -> None:
    services = make()
    assert isinstance(services.providers.get("image_gen"), Counting)


def test_deleting_the_project_removes_the_ads_files_and_cancels_its_jobs(make: Any) -> None:
    from core.adapters.db.models.ads import Ad
    from core.services.talking import projects

    services = make()
    user, ad_id = _to_gate(services)  # storyboard drawn, the ad job parked at the review gate
    with services.db.session() as session:
        project_id = session.get(Ad, ad_id).project_id  # type: ignore[union-attr]
    media = Path(services.settings.media_dir)
    assert any(media.rglob("*.png")), "the storyboard and product images are stored"
    job_id = _job(services, ad_id).id
    projects.delete_project(project_id, user_id=user, services=services)
    services.queue.drain()
    stored = [p for p in media.rglob("*") if p.is_file() and "catalog" not in p.parts]
    assert stored == []
    with services.db.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.cancel_requested


class SilentAnimator:
    """An image-to-video model that ignores the voice line: camera moves over still frames (the old offline ad)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name = inner, "local"

    def submit(self, request: Any) -> Any:
        return self.inner.submit(dataclasses.replace(request, audio=None))

    def collect(self, request: Any, result: Any, dest_dir: Path) -> Any:
        return self.inner.collect(dataclasses.replace(request, audio=None), result, dest_dir)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_the_quality_check_fails_a_presenter_whose_lips_do_not_move(make_sqlite: Any) -> None:
    from core.adapters.media.ffmpeg import FfmpegToolkit
    from core.adapters.providers.local.image_to_video import LocalImageAnimator

    services = make_sqlite(image_to_video=SilentAnimator(LocalImageAnimator(FfmpegToolkit(), fps=12)))
    user, ad_id = _to_gate(services)
    generation.approve_storyboard(ad_id, user_id=user, services=services)
    services.queue.drain()
    (output,) = wizard.get_ad(ad_id, user_id=user, services=services).outputs
    assert output.qc is not None and not output.qc.passed
    lips = next(f for f in output.qc.findings if f.check == "lips")
    assert not lips.passed and lips.scene_numbers == [1, 2, 3] and "do not move" in lips.detail


def test_a_scene_stopped_on_a_lost_paid_answer_is_not_retried_without_consent(make: Any) -> None:
    from sqlalchemy import func

    from core.adapters.db.models.accounts import AuditEvent
    from core.adapters.db.models.ads import AdAsset
    from core.errors import ValidationError

    services = make()
    user, ad_id = _to_gate(services)
    second = _scene_ids(services, ad_id)[1]
    with services.db.session() as session:
        frames = session.scalars(select(AdAsset).where(AdAsset.scene_id == second, AdAsset.kind == "frame")).all()
        for frame in frames:
            frame.status = "failed"
            frame.error = {"code": "provider_may_have_started", "message": "fal may have started this."}

    def counts() -> tuple[int, int]:
        with services.db.session() as session:
            assets = session.scalar(select(func.count()).select_from(AdAsset).where(AdAsset.scene_id == second))
            consents = session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "paid_call.retry_consented")
            )
            return int(assets or 0), int(consents or 0)

    before = counts()
    scene = wizard.get_ad(ad_id, user_id=user, services=services).scenes[1]
    assert scene.may_have_been_charged(AssetKind.FRAME) and not scene.may_have_been_charged(AssetKind.CLIP)
    with pytest.raises(ValidationError, match="may charge again"):
        generation.retry_scene(second, AssetKind.FRAME, user_id=user, services=services)
    assert counts() == before  # refused: nothing new, nothing logged

    jobs = generation.retry_scene(second, AssetKind.FRAME, user_id=user, services=services, charge_again=True)
    assert jobs and counts() == (before[0] + len(jobs), 1)
