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
from core.domain.ads import AssetKind, AssetStatus
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.ads import assets as ads_assets
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
        work.append(AssetWork(AssetKind.CLIP, 1, spec.duration_s + ads_assets.CLIP_HANDLE_S))
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


def estimate_work(work: list[AssetWork], prices: UnitPrices, *, finish: bool = True) -> Estimate:
    """Cost from the price table (renders plus each one's identity score); time with scenes side by side."""
    capability = {AssetKind.FRAME: "image_gen", AssetKind.CLIP: "image_to_video", AssetKind.AUDIO: "speech"}
    cost, unpriced, seconds = 0.0, set(), 0.0
    for item in work:
        parts = [("lora_image" if item.lora else capability[item.kind], item.seconds)]
        if item.kind is not AssetKind.AUDIO:
            parts.append(("vision", 0.0))  # each frame and clip is scored against the references
        for cap, secs in parts:
            each = _price(cap, secs, prices)
            if each is None:
                unpriced.add(cap)
            else:
                cost += each * item.count
    for kind in AssetKind:
        if any(item.kind is kind for item in work):
            seconds += ASSET_SECONDS[kind]
    return Estimate(round(cost, 4), seconds + (FINISH_SECONDS if finish else 0.0), tuple(sorted(unpriced)))


def ad_work(session: Session, ad: Ad, services: Services) -> list[AssetWork]:
    ctx = ads_assets.load_context(session, ad, services.settings)
    return [item for scene in scenes_of(session, ad.id) for item in scene_work(session, ctx, scene)]


def estimate_ad(ad_id: str, *, user_id: str, services: Services) -> Estimate:
    """What pressing Generate would cost now, and roughly how long it takes."""
    with services.db.session(user_id=user_id) as session:
        ad = ad_with_right(session, ad_id, user_id, Right.VIEW)
        work = ad_work(session, ad, services)
    return estimate_work(work, unit_prices(services, user_id))


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


def _asset_work(asset: AdAsset, wpm: int) -> AssetWork:
    inputs = asset.inputs or {}
    if asset.kind == AssetKind.AUDIO.value:
        seconds = len(str(inputs.get("text", "")).split()) * 60.0 / wpm
    else:
        seconds = float(inputs.get("duration_s", 0.0))
    return AssetWork(AssetKind(asset.kind), 1, seconds, lora=bool(inputs.get("lora")))


def admit_assets(
    session: Session, ad: Ad, job_ids: list[str], prices: UnitPrices, *, user_id: str, services: Services
) -> None:
    """Asset jobs just created outside a generation (a retry, the scene studio): the ceilings apply to
    them together, and each holds its own estimate. Raising rolls the caller's transaction back, so a
    refused retry leaves nothing behind. (A retry is not a new generation: no quota.)"""
    if not job_ids:
        return
    assets = session.scalars(select(AdAsset).where(AdAsset.job_id.in_(job_ids))).all()
    each = {
        a.job_id: estimate_work([_asset_work(a, services.settings.words_per_minute)], prices, finish=False).cost_usd
        for a in assets
    }
    spend.admit(session, user_id=user_id, project_id=ad.project_id, estimate_usd=sum(each.values()), services=services)
    for job_id, estimate in each.items():
        spend.hold(session, job_id=str(job_id), user_id=user_id, project_id=ad.project_id, estimate_usd=estimate)
