"""Scene assets (storyboard frames, clips, voice lines) and the child jobs that render them.

Each asset is keyed by a fingerprint of everything that goes into it (prompt, reference
files, size, duration, voice, the scene's "redo" counter). `ensure_*` finds the asset for
a scene as it reads now, or creates it with its own job: an unchanged scene finds its
finished asset again and costs nothing, an edited or redone scene gets a new one. A
failed asset stays failed until someone retries it (a new attempt, a new job).

Callers hold a write-locked session; the returned job ids are enqueued after commit.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.adapters.db.locks import lock_row
from core.adapters.db.models.ads import Ad, AdAsset, AdAvatar, AdProductImage, AdScene
from core.adapters.db.models.jobs import Job
from core.config import Settings
from core.domain.ads import Aspect, AssetKind, AssetStatus, BriefInput, Platform, ScenePrompts, SceneScript
from core.ports import AnimatorContinuity
from core.ports_services import Services
from core.services.ads import bible as ads_bible
from core.services.ads import continuity, pacing, parse
from core.vendor_choice import choose_vendor

logger = logging.getLogger(__name__)

ASSET_JOB = "ugc_asset"
# A clip's exact last frame, stored as an asset of its own (issue 18 chaining) by the clip's job;
# not an AssetKind: it is no unit of work, nothing renders or retries it.
LAST_FRAME_KIND = "endframe"
CLIP_HANDLE_S = 0.8  # clips run past their scene so transitions can overlap without shortening the ad
# A lip-synced clip starts this long before its voice line (room for the breath, or the pause before the
# call to action, plus half a transition) and runs this long after it (the tail, or the last scene's hold).
TALK_LEAD_S = {"cta": 1.8}
TALK_LEAD_DEFAULT_S = 1.0
TALK_TAIL_S = {"cta": 1.8}
TALK_TAIL_DEFAULT_S = 0.8
DEFAULT_VOICE = {"voice_id": "en-us", "language": "en-us", "rate_wpm": 165, "pitch": 50}


@dataclass
class AdContext:
    """What every scene's assets of one ad are made from, read once per pass."""

    ad_id: str
    bible: dict[str, Any]
    width: int
    height: int
    avatar_refs: list[str]
    product_keys: list[str]
    voice: dict[str, Any]
    variants: int
    similarity_min: float
    max_regen: int
    wpm: int
    per_8s: int
    talking_clips: bool = False  # the offline animator lip-syncs each scene to its voice line
    prompts: dict[str, ScenePrompts] = field(default_factory=dict)
    lora: dict[str, Any] | None = None  # a ready LoRA for the frames (core.services.avatars.lora.use_lora_for_ad)
    animator: AnimatorContinuity = field(default_factory=AnimatorContinuity)  # pinned at generation start
    chain: bool = False  # first/last-frame chaining (the ad's switch, where the model takes a last frame)
    max_extensions: int = 0
    frame_references: int = 2  # references per storyboard frame (the generator's limit, pinned)
    kept_chain: dict[str, Any] = field(default_factory=dict)  # scene id -> the creator's "keep it" (rechain)


def brief_of(ad: Ad) -> BriefInput | None:
    raw = (ad.options or {}).get("brief")
    if not raw:
        return None
    return BriefInput(Platform(raw["platform"]), raw["style"], raw["tone"], int(raw["duration_s"]), raw["prompt"])


def primary_aspect(ad: Ad) -> Aspect:
    return Aspect((ad.options or {}).get("aspects", ["9:16"])[0])


def load_context(
    session: Session, ad: Ad, settings: Settings, *, animator: AnimatorContinuity | None = None
) -> AdContext:
    """`animator`: the video model's abilities to compute clip inputs for, when not the ones pinned
    on the ad (the estimate before Generate, which pins the live ones)."""
    avatar = session.get(AdAvatar, ad.avatar_id) if ad.avatar_id else None
    images = session.scalars(
        select(AdProductImage).where(AdProductImage.ad_id == ad.id).order_by(AdProductImage.position)
    )
    bible = ads_bible.build_bible(
        product=parse.product_dna(ad.product_dna) if ad.product_dna else None,
        character=parse.character_dna(avatar.dna) if avatar and avatar.dna else None,
        brief=brief_of(ad),
        creative=parse.creative_brief(ad.creative_brief) if ad.creative_brief else None,
        product_name=ad.product_name,
        brand_name=ad.brand_name,
    )
    width, height = primary_aspect(ad).size(settings.ugc_long_side)
    voice = dict(avatar.voice or DEFAULT_VOICE) if avatar else dict(DEFAULT_VOICE)
    rules = pacing.pace(settings, voice)
    return AdContext(
        ad_id=ad.id,
        bible=bible,
        width=width,
        height=height,
        avatar_refs=list(avatar.reference_keys) if avatar else [],
        product_keys=[i.image_key for i in images],
        voice=voice,
        variants=settings.ugc_storyboard_variants,
        similarity_min=settings.ugc_storyboard_similarity_min,
        max_regen=settings.ugc_max_regen_attempts,
        wpm=rules.words_per_minute,
        per_8s=rules.max_words_per_8s,
        talking_clips=choose_vendor(settings, "image_to_video")[0] == "local",
        lora=(ad.options or {}).get("lora"),
        animator=animator if animator is not None else continuity.pinned(ad.options),
        chain=continuity.chain_on(ad.options, animator),
        max_extensions=settings.ugc_max_extensions,
        frame_references=continuity.pinned_frame_references(ad.options),
        kept_chain=dict((ad.options or {}).get(continuity.KEPT_OPTION) or {}),
    )


def script_of(ctx: AdContext, scene: AdScene) -> SceneScript:
    return parse.scene(scene.spec, scene.number, wpm=ctx.wpm, per_8s=ctx.per_8s, max_s=parse.stored_max_s(scene.spec))


def prompts_of(ctx: AdContext, scene: AdScene) -> ScenePrompts:
    if scene.id not in ctx.prompts:
        ctx.prompts[scene.id] = ads_bible.scene_prompts(ctx.bible, script_of(ctx, scene))
    return ctx.prompts[scene.id]


def fingerprint(kind: AssetKind, inputs: dict[str, Any]) -> str:
    payload = json.dumps({"kind": kind.value, **inputs}, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def frame_inputs(ctx: AdContext, scene: AdScene) -> dict[str, Any]:
    prompts = prompts_of(ctx, scene)
    angle = script_of(ctx, scene).camera.angle
    references = continuity.frame_references(ctx.avatar_refs, ctx.product_keys, angle, ctx.frame_references)
    return {
        "prompt": prompts.storyboard_prompt,
        "negative": prompts.negative_prompt,
        "references": references,
        "width": ctx.width,
        "height": ctx.height,
        "redo": scene.redo_frame,
        **({"lora": ctx.lora} if ctx.lora else {}),
    }


def spoken_line(session: Session, ctx: AdContext, scene: AdScene) -> AdAsset | None:
    """The scene's finished voice line, when its clip is lip-synced to it (the offline animator)."""
    inputs = audio_inputs(ctx, scene) if ctx.talking_clips else None
    if inputs is None:
        return None
    found = assets_for(session, scene.id, AssetKind.AUDIO, fingerprint(AssetKind.AUDIO, inputs))
    return found[0] if found and found[0].status == AssetStatus.READY.value else None


def clip_inputs(session: Session, ctx: AdContext, scene: AdScene, frame: AdAsset) -> dict[str, Any]:
    """The clip's inputs; offline, with the scene's finished voice line, so the presenter speaks it."""
    spec = script_of(ctx, scene)
    voice = spoken_line(session, ctx, scene)
    inputs = {
        "frame_key": frame.media_key,
        "prompt": prompts_of(ctx, scene).video_prompt,
        "camera": spec.camera.movement,
        "duration_s": spec.duration_s + CLIP_HANDLE_S,
        "width": ctx.width,
        "height": ctx.height,
        "redo": scene.redo_clip,
    }
    inputs |= _continuity_inputs(session, ctx, scene, frame)
    if voice is not None and voice.media_key and voice.duration_s and spec.dialogue:
        kind = spec.scene_type.value
        lead, tail = TALK_LEAD_S.get(kind, TALK_LEAD_DEFAULT_S), TALK_TAIL_S.get(kind, TALK_TAIL_DEFAULT_S)
        inputs |= {"voice_key": voice.media_key, "voice_at_s": lead, "duration_s": lead + voice.duration_s + tail}
    return inputs


def _continuity_inputs(session: Session, ctx: AdContext, scene: AdScene, frame: AdAsset) -> dict[str, Any]:
    """Reference images the model accepts; chained, the previous scene's exact last frame to start from
    (None while that clip is not finished: the clip waits for it)."""
    found: dict[str, Any] = {}
    if ctx.animator.max_references:
        angle = script_of(ctx, scene).camera.angle
        refs = continuity.clip_references(ctx.avatar_refs, angle, frame.media_key, ctx.animator.max_references)
        found["reference_keys"] = refs
    if ctx.max_extensions and 0 < ctx.animator.max_clip_s < script_of(ctx, scene).duration_s + CLIP_HANDLE_S:
        # longer than one generation: the clip job extends it (only such scenes carry these keys)
        found["max_clip_s"] = ctx.animator.max_clip_s
        found["extends"] = ctx.animator.extends
    if ctx.chain:
        found["chain"] = True  # its job keeps the clip's exact last frame for the next scene
    if ctx.chain and scene.number > 1:
        first = previous_last_frame(session, ctx, scene)
        kept = ctx.kept_chain.get(scene.id) or {}
        # the creator chose to keep this scene's clip when the scene before changed (rechain.keep_chained)
        found["first_frame_key"] = kept["kept"] if first and kept.get("from") == first else first
    return found


def previous_last_frame(session: Session, ctx: AdContext, scene: AdScene) -> str | None:
    """The stored last frame of the previous scene's current clip, once that clip is ready."""
    prev = session.scalar(select(AdScene).where(AdScene.ad_id == scene.ad_id, AdScene.number == scene.number - 1))
    frame = chosen_frame(session, ctx, prev, approved=False) if prev is not None else None
    if prev is None or frame is None:
        return None
    clip = latest_ready(
        session, prev.id, AssetKind.CLIP, fingerprint(AssetKind.CLIP, clip_inputs(session, ctx, prev, frame))
    )
    if clip is None:
        return None
    return last_frame_of(session, clip)


def last_frame_of(session: Session, clip: AdAsset) -> str | None:
    end = session.scalar(
        select(AdAsset.media_key).where(
            AdAsset.scene_id == clip.scene_id,
            AdAsset.kind == LAST_FRAME_KIND,
            AdAsset.fingerprint == clip.fingerprint,
            AdAsset.attempt == clip.attempt,
            AdAsset.status == AssetStatus.READY.value,
        )
    )
    return str(end) if end else None


def latest_ready(session: Session, scene_id: str, kind: AssetKind, fp: str) -> AdAsset | None:
    found = assets_for(session, scene_id, kind, fp)
    return found[0] if found and found[0].status == AssetStatus.READY.value else None


def audio_inputs(ctx: AdContext, scene: AdScene) -> dict[str, Any] | None:
    dialogue = script_of(ctx, scene).dialogue
    return {"text": dialogue, "voice": ctx.voice, "redo": scene.redo_audio} if dialogue else None


def assets_for(session: Session, scene_id: str, kind: AssetKind, fp: str) -> list[AdAsset]:
    """The latest attempt of each variant, variant order."""
    rows = session.scalars(
        select(AdAsset)
        .where(AdAsset.scene_id == scene_id, AdAsset.kind == kind.value, AdAsset.fingerprint == fp)
        .order_by(AdAsset.variant, AdAsset.attempt)
    ).all()
    latest: dict[int, AdAsset] = {}
    for row in rows:
        latest[row.variant] = row
    return [latest[v] for v in sorted(latest)]


STORAGE_KEYS = (
    "frame_key",
    "voice_key",
    "references",
    "first_frame_key",
    "reference_keys",
)  # names that hold storage keys (random per upload)


def content_seed(kind: AssetKind, inputs: dict[str, Any]) -> str:
    """A fingerprint of the inputs without their storage keys: the same scene gets the same seed in
    every run (keys name uploads and jobs, which are new each time; the files behind them are not)."""
    return fingerprint(kind, {k: v for k, v in inputs.items() if k not in STORAGE_KEYS})


def _seed(fp: str, variant: int, attempt: int) -> int:
    return (int(fp[:8], 16) + 7919 * variant + 104729 * (attempt - 1)) % 2_000_000_000


def create_asset(
    session: Session,
    scene: AdScene,
    kind: AssetKind,
    inputs: dict[str, Any],
    *,
    variant: int,
    owner_id: str,
    attempt: int = 1,
) -> tuple[AdAsset, str]:
    fp = fingerprint(kind, inputs)
    asset = AdAsset(
        ad_id=scene.ad_id,
        scene_id=scene.id,
        kind=kind.value,
        fingerprint=fp,
        variant=variant,
        attempt=attempt,
        seed=_seed(content_seed(kind, inputs), variant, attempt),
        status=AssetStatus.PENDING.value,
        inputs=inputs,
    )
    session.add(asset)
    session.flush()
    payload: dict[str, Any] = {"asset_id": asset.id}
    ad_job = session.scalar(select(Ad.job_id).where(Ad.id == scene.ad_id))
    if ad_job:
        payload["spend_job"] = ad_job  # settles against the generation's hold unless it has its own
    job = Job(owner_id=owner_id, kind=ASSET_JOB, subject_id=asset.id, payload=payload)
    session.add(job)
    session.flush()
    asset.job_id = job.id
    return asset, job.id


def ensure_frames(session: Session, ctx: AdContext, scene: AdScene, owner_id: str) -> list[str]:
    """Draw the scene's variants if missing; one more variant while the best one looks like
    someone else (identity below the threshold), up to the regeneration limit."""
    lock_row(session, AdScene, scene.id)
    inputs = frame_inputs(ctx, scene)
    frames = assets_for(session, scene.id, AssetKind.FRAME, fingerprint(AssetKind.FRAME, inputs))
    if not frames:
        return [
            create_asset(session, scene, AssetKind.FRAME, inputs, variant=v, owner_id=owner_id)[1]
            for v in range(ctx.variants)
        ]
    if any(AssetStatus(f.status).active for f in frames):
        return []
    scores = [f.score for f in frames if f.status == AssetStatus.READY.value and f.score is not None]
    if scores and max(scores) < ctx.similarity_min and len(frames) < ctx.variants + ctx.max_regen:
        logger.info(
            "scene %s: best identity %.2f below %.2f; drawing another", scene.number, max(scores), ctx.similarity_min
        )
        return [create_asset(session, scene, AssetKind.FRAME, inputs, variant=len(frames), owner_id=owner_id)[1]]
    return []


def current_frames(session: Session, ctx: AdContext, scene: AdScene) -> list[AdAsset]:
    return assets_for(session, scene.id, AssetKind.FRAME, fingerprint(AssetKind.FRAME, frame_inputs(ctx, scene)))


def best_frame(frames: list[AdAsset]) -> AdAsset | None:
    ready = [f for f in frames if f.status == AssetStatus.READY.value]
    return max(ready, key=lambda f: (f.score if f.score is not None else 1.0, -f.variant), default=None)


def chosen_frame(session: Session, ctx: AdContext, scene: AdScene, *, approved: bool) -> AdAsset | None:
    """The approved (or selected) frame, if it belongs to the scene as it reads now."""
    wanted = scene.approved_frame_id if approved else (scene.approved_frame_id or scene.selected_frame_id)
    frame = session.get(AdAsset, wanted) if wanted else None
    if frame is None or frame.status != AssetStatus.READY.value:
        return None
    current = fingerprint(AssetKind.FRAME, frame_inputs(ctx, scene))
    return frame if frame.fingerprint == current else None


def ensure_single(
    session: Session, scene: AdScene, kind: AssetKind, inputs: dict[str, Any], owner_id: str, *, retry: bool = False
) -> tuple[AdAsset, str | None]:
    """The scene's clip or voice line for these inputs; a new attempt only when asked to retry a failure."""
    lock_row(session, AdScene, scene.id)
    found = assets_for(session, scene.id, kind, fingerprint(kind, inputs))
    latest = found[0] if found else None
    if latest is not None and (latest.status != AssetStatus.FAILED.value or not retry):
        return latest, None
    attempt = latest.attempt + 1 if latest is not None else 1
    return create_asset(session, scene, kind, inputs, variant=0, owner_id=owner_id, attempt=attempt)


def retry_frames(session: Session, ctx: AdContext, scene: AdScene, owner_id: str) -> list[str]:
    """New attempts for the scene's failed frame variants."""
    lock_row(session, AdScene, scene.id)
    inputs = frame_inputs(ctx, scene)
    return [
        create_asset(
            session, scene, AssetKind.FRAME, inputs, variant=f.variant, owner_id=owner_id, attempt=f.attempt + 1
        )[1]
        for f in current_frames(session, ctx, scene)
        if f.status == AssetStatus.FAILED.value
    ]


def enqueue_all(services: Services, job_ids: list[str]) -> None:
    for job_id in job_ids:
        services.queue.enqueue(job_id)
