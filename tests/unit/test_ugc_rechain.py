"""A chained scene whose first frame changed (issue 18), offline, on SQLite and PostgreSQL: when scene
N's clip is made again (the creator's redo, or the consistency check), scene N+1 is made again from
N's new last frame only with the creator's consent when that is a paid call, or kept if they say so;
nothing is paid for silently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.adapters.db.database import Database
from core.adapters.db.models.accounts import AuditEvent
from core.adapters.db.models.ads import AdAsset, AdScene
from core.adapters.db.models.jobs import JobStep
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.providers.registry import _local_builder
from core.config import Settings
from core.domain.ads import AdStatus
from core.errors import ValidationError
from core.ports import AnimatorContinuity
from core.ports_services import Services
from core.services.ads import assets, continuity, generation, rechain, wizard
from tests.ugc_support import Counting, scripted_ad, ugc_services, ugc_settings
from tests.unit.test_ugc_consistency import ScriptedIdentity


class EndsOnFrame(Counting):
    """The real offline animator, declared able to end on a frame so an ad can be chained offline
    (it animates the image it is given: for a chained scene, the previous clip's exact last frame)."""

    @property
    def continuity(self) -> AnimatorContinuity:
        return AnimatorContinuity(last_frame=True, max_clip_s=20.0, reason="")


def chained_studio(settings: Settings, db: Database, **providers: Any) -> tuple[Services, EndsOnFrame]:
    builder = _local_builder("image_to_video")
    assert builder is not None
    animator = EndsOnFrame(builder(settings, FfmpegToolkit())[0])
    return ugc_services(settings, db, image_to_video=animator, **providers), animator


def generated_chained_ad(services: Services, email: str = "maker@example.com") -> tuple[str, str]:
    user, ad_id = scripted_ad(services, email=email)
    continuity.set_chaining(ad_id, True, user_id=user, services=services)
    generation.start_generation(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    generation.approve_storyboard(ad_id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    return user, ad_id


def _latest_clip(services: Services, ad_id: str, number: int) -> tuple[AdAsset, str | None]:
    """(the scene's newest clip, the stored last frame of it)."""
    with services.db.session() as session:
        scene = session.scalar(select(AdScene).where(AdScene.ad_id == ad_id, AdScene.number == number))
        assert scene is not None
        clip = session.scalars(
            select(AdAsset)
            .where(AdAsset.scene_id == scene.id, AdAsset.kind == "clip")
            .order_by(AdAsset.created_at.desc(), AdAsset.attempt.desc())
        ).first()
        assert clip is not None
        end = assets.last_frame_of(session, clip)
        session.expunge(clip)
        return clip, end


def test_a_redone_scene_asks_before_the_chained_scene_after_it_is_paid_again(tmp_path: Path, db: Database) -> None:
    settings = ugc_settings(tmp_path / "data", ugc_storyboard_similarity_min=0.0, ugc_cross_scene_std_max=1.0)
    services, animator = chained_studio(settings, db)
    user, ad_id = generated_chained_ad(services)
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error
    count = len(ad.scenes)
    assert count >= 3 and animator.submits == count
    services.settings.prices.local_per_unit = 0.05  # clips cost money from here on

    generation.redo_scene(ad.scenes[0].id, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.NEEDS_ATTENTION
    assert animator.submits == count + 1  # scene 1 again, and nothing else paid for
    ((asked, question),) = rechain.open_questions(ad.options)
    assert asked == ad.scenes[1].id and question["number"] == 2 and question["cost_usd"] > 0
    assert "starts on the last frame of the scene before" in (ad.error or "")
    with pytest.raises(ValidationError, match="paid call"):
        rechain.rerender_chained(asked, user_id=user, services=services)  # no consent: refused
    assert animator.submits == count + 1

    rechain.rerender_chained(asked, user_id=user, services=services, charge=True)
    services.queue.drain()  # type: ignore[attr-defined]
    assert animator.submits == count + 2
    first, first_end = _latest_clip(services, ad_id, 1)
    second, _end = _latest_clip(services, ad_id, 2)
    assert first.inputs["redo"] == 1 and second.inputs["first_frame_key"] == first_end  # the new last frame
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    ((third, question),) = rechain.open_questions(ad.options)  # scene 3 chains from the new scene 2: asked next
    assert question["number"] == 3

    rechain.keep_chained(third, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error
    assert animator.submits == count + 2  # scene 3 kept as it was: no call
    kept, _end = _latest_clip(services, ad_id, 3)
    assert kept.attempt == 1 and kept.inputs["first_frame_key"] != _latest_clip(services, ad_id, 2)[1]
    assert not rechain.open_questions(ad.options)
    with services.db.session() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert "paid_call.rechain_consented" in actions


def test_a_free_re_render_of_a_chained_scene_needs_no_question(tmp_path: Path, db: Database) -> None:
    settings = ugc_settings(tmp_path / "data", ugc_storyboard_similarity_min=0.0, ugc_cross_scene_std_max=1.0)
    services, animator = chained_studio(settings, db)
    user, ad_id = generated_chained_ad(services)
    count = len(wizard.get_ad(ad_id, user_id=user, services=services).scenes)
    scene_one = wizard.get_ad(ad_id, user_id=user, services=services).scenes[0].id

    generation.redo_scene(scene_one, user_id=user, services=services)  # offline: every clip is free
    services.queue.drain()  # type: ignore[attr-defined]
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error
    assert animator.submits == 2 * count  # the redone scene and every scene chained after it, from the new frames
    for number in range(2, count + 1):
        _before, previous_end = _latest_clip(services, ad_id, number - 1)
        clip, _end = _latest_clip(services, ad_id, number)
        assert clip.inputs["first_frame_key"] == previous_end
    assert sorted(n["scene"] for n in ad.options["rechain_made"]) == list(range(2, count + 1))  # and said so


def test_an_outlier_made_again_asks_before_its_chained_successor_is(tmp_path: Path, db: Database) -> None:
    settings = ugc_settings(tmp_path / "data", ugc_storyboard_similarity_min=0.0)
    settings.prices.local_per_unit = 0.02  # paid clips: the chained successor is asked about
    vision = ScriptedIdentity(outlier=1, bad_times=1)
    services, animator = chained_studio(settings, db, vision=vision)
    user, ad_id = generated_chained_ad(services)

    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    count = len(ad.scenes)
    assert ad.status is AdStatus.NEEDS_ATTENTION, ad.error
    assert animator.submits == count + 1  # the outlier (scene 1) made again; scene 2 waits for an answer
    ((asked, question),) = rechain.open_questions(ad.options)
    assert question["number"] == 2
    rechain.rerender_chained(asked, user_id=user, services=services, charge=True)
    services.queue.drain()  # type: ignore[attr-defined]
    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    ((third, question),) = rechain.open_questions(ad.options)
    assert question["number"] == 3
    rechain.keep_chained(third, user_id=user, services=services)
    services.queue.drain()  # type: ignore[attr-defined]

    ad = wizard.get_ad(ad_id, user_id=user, services=services)
    assert ad.status is AdStatus.COMPLETED, ad.error
    assert animator.submits == count + 2
    second, _end = _latest_clip(services, ad_id, 2)
    with services.db.session() as session:
        step = session.scalar(select(JobStep).where(JobStep.job_id == ad.job.id, JobStep.name == "regenerate_1"))  # type: ignore[union-attr]
        assert step is not None
        assert (step.output or {})["clips"]["2"] == second.id  # the ad is cut with the re-chained scene 2
    notes = [(n["scene"], n["result"]) for n in ad.options["consistency"]]
    assert notes == [(1, "made again"), (2, "made again from the new frame")]
