"""Wizard step 5 and the result page: start a generation, the storyboard review gate, redo one scene.

A generation is one durable `ugc_ad` job (see `jobs.pipelines.ad`); every scene asset
is its own `ugc_asset` child job. The review gate parks the ad job (status `waiting`)
until `approve_storyboard` records the decision and enqueues it again. Redoing a scene
bumps that scene's redo counter, which changes only its assets' fingerprints, so a new
generation renders that scene alone and reuses everything else.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAsset, AdProductImage, AdScene
from core.adapters.db.models.jobs import Job
from core.domain.ads import AdStatus, AssetKind, AssetStatus
from core.domain.types import ACTIVE_JOB_STATUS_VALUES
from core.errors import PaidCallUncertain, ValidationError
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right
from core.services.ads import assets, continuity
from core.services.ads import spend as ads_spend
from core.services.ads.scenes import edit_scene, scene_with_right
from core.services.ads.wizard import ad_with_right, scenes_of
from core.services.usage import spend
from core.services.usage.estimates import Estimate

logger = logging.getLogger(__name__)

AD_JOB = "ugc_ad"


def active_job(session: Session, ad: Ad) -> Job | None:
    job = session.get(Job, ad.job_id) if ad.job_id else None
    return job if job is not None and job.status in ACTIVE_JOB_STATUS_VALUES else None


def _check_ready(session: Session, ad: Ad) -> None:
    missing = []
    if not session.scalar(select(func.count()).select_from(AdProductImage).where(AdProductImage.ad_id == ad.id)):
        missing.append("a product photo")
    if not ad.avatar_id:
        missing.append("an avatar")
    if not (ad.options or {}).get("brief"):
        missing.append("the brief")
    if not scenes_of(session, ad.id):
        missing.append("a script")
    if missing:
        raise ValidationError("Before generating, add " + ", ".join(missing) + ".")


def start_generation(ad_id: str, *, user_id: str, services: Services) -> str:
    """Queue the ad's generation job (or return the one already running), admitted like a talking
    video: the daily quota and the cost ceilings, with its estimate held until the job ends."""
    prices = ads_spend.unit_prices(services, user_id)
    model = continuity.animator_continuity(services, user_id)  # read outside the transaction (user keys)
    frame_refs = continuity.image_references(services, user_id)
    with (
        audit.refusals(services, user_id=user_id, project_id=None, what="ad"),
        services.db.session(user_id=user_id) as session,
    ):
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        running = active_job(session, ad)
        if running is not None:
            return running.id
        _check_ready(session, ad)
        ad.options = continuity.pin(ad.options, model, frame_refs)  # what the assets' inputs are computed for
        estimate = ads_spend.admit_generation(
            session, ad, prices, user_id=user_id, services=services, quota_kind=AD_JOB
        )
        job = Job(owner_id=user_id, kind=AD_JOB, subject_id=ad.id, payload={"ad_id": ad.id})
        session.add(job)
        session.flush()
        ad.job_id, ad.status, ad.error, ad.wizard_step = job.id, AdStatus.GENERATING.value, None, "generate"
        spend.hold(session, job_id=job.id, user_id=user_id, project_id=ad.project_id, estimate_usd=estimate)
        job_id = job.id
    services.queue.enqueue(job_id)
    return job_id


def wake_generation(services: Services, ad_id: str) -> None:
    """The ad's generation job, if still alive, runs again (it waits for scenes or for the creator)."""
    with services.db.session() as session:
        ad = session.get(Ad, ad_id)
        job_id = ad.job_id if ad is not None else None
        status = session.scalar(select(Job.status).where(Job.id == job_id)) if job_id is not None else None
        alive = status in ACTIVE_JOB_STATUS_VALUES
    if alive:
        services.queue.enqueue(job_id)  # type: ignore[arg-type]


def approve_storyboard(
    ad_id: str,
    *,
    user_id: str,
    services: Services,
    selections: dict[str, str] | None = None,
    edits: dict[str, dict[str, Any]] | None = None,
) -> list[int]:
    """Approve each scene's chosen frame; edited scenes are redrawn (and approved once drawn).
    Returns the numbers of the scenes that will be redrawn."""
    for scene_id, changes in (edits or {}).items():
        edit_scene(scene_id, changes, user_id=user_id, services=services)
    redrawn: list[int] = []
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        ctx = assets.load_context(session, ad, services.settings)
        for scene in scenes_of(session, ad.id):
            if scene.id in (selections or {}):
                scene.selected_frame_id = (selections or {})[scene.id]
            frame = assets.chosen_frame(session, ctx, scene, approved=False)
            frame = frame or assets.best_frame(assets.current_frames(session, ctx, scene))
            if frame is None:
                scene.auto_approve = True  # drawn after this approval: take the best variant
                redrawn.append(scene.number)
                continue
            scene.selected_frame_id = scene.approved_frame_id = frame.id
    wake_generation(services, ad_id)
    return redrawn


def regenerate_frame(scene_id: str, *, user_id: str, services: Services) -> None:
    """Draw this scene's storyboard again (new variants); the others keep theirs."""
    with services.db.session(user_id=user_id) as session:
        scene, ad = scene_with_right(session, scene_id, user_id, Right.EDIT)
        scene.redo_frame += 1
        scene.selected_frame_id = scene.approved_frame_id = None
        scene.auto_approve = False
        ad_id = ad.id
    wake_generation(services, ad_id)


def redraw_estimate(ad_id: str, *, user_id: str, services: Services) -> Estimate:
    """What "redraw all" costs: every scene's variants drawn (and scored) again."""
    prices = ads_spend.unit_prices(services, user_id)
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.VIEW)
        count = len(scenes_of(session, ad.id)) * services.settings.ugc_storyboard_variants
        lora = bool((ad.options or {}).get("lora"))
    work = [ads_spend.AssetWork(AssetKind.FRAME, count, 0.0, lora=lora)] if count else []
    return ads_spend.estimate_work(work, prices, finish=False)


def redraw_all_frames(ad_id: str, *, user_id: str, services: Services) -> list[int]:
    """Draw every scene's storyboard again, not only the missing frames (the spec's "redraw all");
    the review gate then waits for the new frames. Returns the scene numbers."""
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        scenes = scenes_of(session, ad.id)
        for scene in scenes:
            scene.redo_frame += 1
            scene.selected_frame_id = scene.approved_frame_id = None
            scene.auto_approve = False
        numbers = [s.number for s in scenes]
    wake_generation(services, ad_id)
    return numbers


def redo_scene(scene_id: str, *, user_id: str, services: Services, frame: bool = False) -> str:
    """Make this scene's clip (and voice line; with `frame`, its storyboard too) again, then re-cut
    the ad. Only this scene is rendered; returns the generation job's id."""
    with services.db.session(user_id=user_id) as session:
        scene, ad = scene_with_right(session, scene_id, user_id, Right.EDIT)
        if active_job(session, ad) is not None:
            raise ValidationError("A generation of this ad is still running; wait for it to finish.")
        scene.redo_clip += 1
        scene.redo_audio += 1
        if frame:
            scene.redo_frame += 1
            scene.selected_frame_id = scene.approved_frame_id = None
            scene.auto_approve = True  # redone from the result page: no second review round
        ad_id = ad.id
    return start_generation(ad_id, user_id=user_id, services=services)


def retry_scene(
    scene_id: str, kind: AssetKind, *, user_id: str, services: Services, charge_again: bool = False
) -> list[str]:
    """New attempts for a scene's failed frames, clip or voice line; wakes the generation if waiting.

    A failure whose paid answer was lost (the provider may have started, and charged) is retried
    only with the creator's explicit `charge_again`, which the audit log records.
    """
    prices = ads_spend.unit_prices(services, user_id)
    with (
        audit.refusals(services, user_id=user_id, project_id=None, what="scene retry"),
        services.db.session(user_id=user_id) as session,
    ):
        scene, ad = scene_with_right(session, scene_id, user_id, Right.EDIT)
        uncertain = _uncertain_jobs(session, scene.id, kind)
        if uncertain and not charge_again:
            raise ValidationError(
                f"The provider may have started scene {scene.number}'s {kind.value} already, and charged for it. "
                "Choose “Retry (may charge again)” to pay for another try."
            )
        jobs = retry_in_session(session, services, ad, scene, kind, user_id, prices)
        ad_id, project_id, owner_id, number = ad.id, ad.project_id, ad.owner_id, scene.number
    if uncertain:
        audit.record_now(
            services,
            "paid_call.retry_consented",
            actor_id=user_id,
            owner_id=owner_id,
            project_id=project_id,
            subject=f"ad scene {number} {kind.value}",
            detail={"ad_id": ad_id, "scene_id": scene_id, "stopped_jobs": uncertain, "new_jobs": jobs},
        )
    assets.enqueue_all(services, jobs)
    wake_generation(services, ad_id)
    return jobs


def _uncertain_jobs(session: Session, scene_id: str, kind: AssetKind) -> list[str]:
    """Jobs of the scene's failed assets of this kind that stopped on a lost paid answer."""
    failed = session.scalars(
        select(AdAsset).where(
            AdAsset.scene_id == scene_id, AdAsset.kind == kind.value, AdAsset.status == AssetStatus.FAILED.value
        )
    )
    return sorted({a.job_id or "" for a in failed if (a.error or {}).get("code") == PaidCallUncertain.code})


def retry_in_session(
    session: Session,
    services: Services,
    ad: Ad,
    scene: AdScene,
    kind: AssetKind,
    owner_id: str,
    prices: ads_spend.UnitPrices,
) -> list[str]:
    """New asset jobs for the scene, admitted against the ceilings (refused: nothing is created)."""
    jobs = _new_attempts(session, services, ad, scene, kind, owner_id)
    ads_spend.admit_assets(session, ad, jobs, prices, user_id=owner_id, services=services)
    return jobs


def _new_attempts(
    session: Session, services: Services, ad: Ad, scene: AdScene, kind: AssetKind, owner_id: str
) -> list[str]:
    ctx = assets.load_context(session, ad, services.settings)
    if kind is AssetKind.FRAME:
        return assets.retry_frames(session, ctx, scene, owner_id) or assets.ensure_frames(session, ctx, scene, owner_id)
    if kind is AssetKind.AUDIO:
        inputs = assets.audio_inputs(ctx, scene)
        if inputs is None:
            raise ValidationError(f"Scene {scene.number} has no line to voice.")
        return [j for j in [assets.ensure_single(session, scene, kind, inputs, owner_id, retry=True)[1]] if j]
    frame = assets.chosen_frame(session, ctx, scene, approved=False)
    if frame is None:
        raise ValidationError(f"Scene {scene.number} needs a finished storyboard frame before its clip.")
    inputs = assets.clip_inputs(session, ctx, scene, frame)
    return [j for j in [assets.ensure_single(session, scene, kind, inputs, owner_id, retry=True)[1]] if j]


def cancel_generation(ad_id: str, *, user_id: str, services: Services) -> None:
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.EDIT)
        job = active_job(session, ad)
        if job is None:
            return
        job.cancel_requested = True
        job_id = job.id
    services.queue.enqueue(job_id)
