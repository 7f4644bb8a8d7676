"""What an ad costs before it is made, and its admission: the same quota, ceilings and holds as a
talking video.

An ad's generation job holds the estimate of the scene assets it still has to render
(an unchanged scene is found again by fingerprint and costs nothing); the asset jobs it
starts carry its id (`spend_job`), so what they spend settles against that one hold. A
retried scene's new attempts are admitted on their own and each holds its share.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAsset, AdScene
from core.adapters.db.models.jobs import Job
from core.domain.ads import AssetKind, AssetStatus
from core.domain.types import ACTIVE_JOB_STATUS_VALUES
from core.ports import AnimatorContinuity
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.ads import assets as ads_assets
from core.services.ads import continuity
from core.services.ads.wizard import ad_with_right, scenes_of
from core.services.usage import estimates, spend
from core.services.usage.estimates import Estimate

logger = logging.getLogger(__name__)

# Wall time of one asset when its scenes render side by side (no history is kept for ads yet).
ASSET_SECONDS = {AssetKind.FRAME: 20.0, AssetKind.CLIP: 90.0, AssetKind.AUDIO: 5.0}
FINISH_SECONDS = 30.0  # post-production and the quality check


@dataclass(frozen=True, slots=True)
class AssetWork:
    kind: AssetKind
    count: int  # frames: one per variant
    seconds: float  # of video or speech, for per-second prices
    lora: bool = False  # frames drawn with a LoRA go to (and are priced as) the LoRA image model
    # Clips: the seconds each paid call makes and is charged for (the generation, then each
    # extension; continuity.clip_steps). Empty: one call for `seconds`.
    steps: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class ClipSteps:
    """A scene clip that takes more than one paid call, as the estimate prices it."""

    scene: int
    seconds: float  # the clip's length
    steps: tuple[float, ...]  # seconds made (and charged for) by each call
    cost_usd: float | None  # None: the video model has no price on file


def _clip_work(ctx: ads_assets.AdContext, seconds: float) -> AssetWork:
    return AssetWork(AssetKind.CLIP, 1, seconds, steps=continuity.clip_steps(seconds, ctx.animator, ctx.max_extensions))


def _ready(assets: list) -> bool:  # type: ignore[type-arg]
    return any(a.status == AssetStatus.READY.value for a in assets)


def scene_work(session: Session, ctx: ads_assets.AdContext, scene: AdScene) -> list[AssetWork]:
    """The assets of a scene that a generation would still have to render (and pay for)."""
    spec = ads_assets.script_of(ctx, scene)
    frames = ads_assets.current_frames(session, ctx, scene)
    work: list[AssetWork] = []
    if not _ready(frames):
        work.append(AssetWork(AssetKind.FRAME, ctx.variants, 0.0, lora=bool(ctx.lora)))
    frame = ads_assets.chosen_frame(session, ctx, scene, approved=False) or ads_assets.best_frame(frames)
    clip_inputs = ads_assets.clip_inputs(session, ctx, scene, frame) if frame else None
    clip_fp = ads_assets.fingerprint(AssetKind.CLIP, clip_inputs) if clip_inputs is not None else ""
    if frame is None or not _ready(ads_assets.assets_for(session, scene.id, AssetKind.CLIP, clip_fp)):
        seconds = float(clip_inputs["duration_s"]) if clip_inputs else spec.duration_s + ads_assets.CLIP_HANDLE_S
        work.append(_clip_work(ctx, seconds))
    audio = ads_assets.audio_inputs(ctx, scene)
    if audio is not None:
        audio_fp = ads_assets.fingerprint(AssetKind.AUDIO, audio)
        if not _ready(ads_assets.assets_for(session, scene.id, AssetKind.AUDIO, audio_fp)):
            work.append(AssetWork(AssetKind.AUDIO, 1, spec.duration_s))
    return work


CAPABILITIES = ("image_gen", "lora_image", "image_to_video", "speech", "vision")
UnitPrices = dict[str, estimates.UnitPrice | None]


def unit_prices(services: Services, user_id: str) -> UnitPrices:
    """The prices the user's work runs at. Looked up before a transaction opens: the user's own
    keys are read in a session of their own (SQLite has one writer)."""
    return {cap: estimates.active_unit_price(cap, services=services, user_id=user_id) for cap in CAPABILITIES}


def _price(capability: str, seconds: float, prices: UnitPrices) -> float | None:
    price = prices.get(capability)
    if price is None:
        return None
    return price.usd * (seconds if price.unit == "second" else 1.0)


def work_cost(capability: str, item: AssetWork, prices: UnitPrices) -> float | None:
    """One item's render as the provider charges it: each paid call at its own length (per-second
    prices) or once each (per-call prices); None when nothing is on file."""
    each = [_price(capability, s, prices) for s in (item.steps or (item.seconds,))]
    return None if None in each else sum(e for e in each if e is not None)


def estimate_work(work: list[AssetWork], prices: UnitPrices, *, finish: bool = True) -> Estimate:
    """Cost from the price table (renders plus each one's identity score); time with scenes side by side."""
    capability = {AssetKind.FRAME: "image_gen", AssetKind.CLIP: "image_to_video", AssetKind.AUDIO: "speech"}
    cost, unpriced, seconds = 0.0, set(), 0.0
    for item in work:
        parts = [("lora_image" if item.lora else capability[item.kind], item)]
        if item.kind is not AssetKind.AUDIO:
            parts.append(("vision", AssetWork(item.kind, 1, 0.0)))  # each frame and clip is scored once
        for cap, part in parts:
            each = work_cost(cap, part, prices)
            if each is None:
                unpriced.add(cap)
            else:
                cost += each * item.count
    for kind in AssetKind:
        if any(item.kind is kind for item in work):
            seconds += ASSET_SECONDS[kind]
    return Estimate(round(cost, 4), seconds + (FINISH_SECONDS if finish else 0.0), tuple(sorted(unpriced)))


def _work_by_scene(
    session: Session, ad: Ad, services: Services, animator: AnimatorContinuity | None = None
) -> list[tuple[int, list[AssetWork]]]:
    ctx = ads_assets.load_context(session, ad, services.settings, animator=animator)
    return [(scene.number, scene_work(session, ctx, scene)) for scene in scenes_of(session, ad.id)]


def ad_work(session: Session, ad: Ad, services: Services) -> list[AssetWork]:
    return [item for _number, work in _work_by_scene(session, ad, services) for item in work]


def _extended(by_scene: list[tuple[int, list[AssetWork]]], prices: UnitPrices) -> list[ClipSteps]:
    return [
        ClipSteps(number, item.seconds, item.steps, work_cost("image_to_video", item, prices))
        for number, work in by_scene
        for item in work
        if item.kind is AssetKind.CLIP and len(item.steps) > 1
    ]


def estimate_ad_steps(ad_id: str, *, user_id: str, services: Services) -> tuple[Estimate, list[ClipSteps]]:
    """What pressing Generate (or approving the storyboard) would cost now, and how long it takes,
    with the clips that take more than one paid call (a generation and its extensions). Computed for
    the video model Generate would pin now, so an ad never generated yet is priced as it will be."""
    animator = continuity.animator_continuity(services, user_id)  # read outside the transaction (user keys)
    prices = unit_prices(services, user_id)
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.VIEW)
        running = session.get(Job, ad.job_id) if ad.job_id else None
        pinned = running is not None and running.status in ACTIVE_JOB_STATUS_VALUES
        by_scene = _work_by_scene(session, ad, services, None if pinned else animator)  # a running one keeps its pin
    work = [item for _number, items in by_scene for item in items]
    return estimate_work(work, prices), _extended(by_scene, prices)


def estimate_ad(ad_id: str, *, user_id: str, services: Services) -> Estimate:
    """What pressing Generate would cost now, and roughly how long it takes."""
    return estimate_ad_steps(ad_id, user_id=user_id, services=services)[0]


def admit_generation(
    session: Session, ad: Ad, prices: UnitPrices, *, user_id: str, services: Services, quota_kind: str
) -> float:
    """Quota and ceilings for a new generation of `ad`; returns the estimate to hold."""
    estimate = estimate_work(ad_work(session, ad, services), prices).cost_usd
    spend.admit(
        session,
        user_id=user_id,
        project_id=ad.project_id,
        estimate_usd=estimate,
        services=services,
        quota_kind=quota_kind,
    )
    return estimate


def _asset_work(asset: AdAsset, ad: Ad, services: Services) -> AssetWork:
    inputs = asset.inputs or {}
    if asset.kind == AssetKind.AUDIO.value:
        seconds = len(str(inputs.get("text", "")).split()) * 60.0 / services.settings.words_per_minute
    else:
        seconds = float(inputs.get("duration_s", 0.0))
    steps: tuple[float, ...] = ()
    if asset.kind == AssetKind.CLIP.value:  # a generation, and the extensions its job makes
        max_extensions = services.settings.ugc_max_extensions if "max_clip_s" in inputs else 0
        steps = continuity.clip_steps(seconds, continuity.pinned(ad.options), max_extensions)
    return AssetWork(AssetKind(asset.kind), 1, seconds, lora=bool(inputs.get("lora")), steps=steps)


def admit_assets(
    session: Session, ad: Ad, job_ids: list[str], prices: UnitPrices, *, user_id: str, services: Services
) -> None:
    """Asset jobs just created outside a generation (a retry, the scene studio): the ceilings apply to
    them together, and each holds its own estimate. Raising rolls the caller's transaction back, so a
    refused retry leaves nothing behind. (A retry is not a new generation: no quota.)"""
    if not job_ids:
        return
    assets = session.scalars(select(AdAsset).where(AdAsset.job_id.in_(job_ids))).all()
    each = {a.job_id: estimate_work([_asset_work(a, ad, services)], prices, finish=False).cost_usd for a in assets}
    spend.admit(session, user_id=user_id, project_id=ad.project_id, estimate_usd=sum(each.values()), services=services)
    for job_id, estimate in each.items():
        spend.hold(session, job_id=str(job_id), user_id=user_id, project_id=ad.project_id, estimate_usd=estimate)
