"""Cross-scene consistency (issue 18, spec 22): when the spread of the clips' identity scores
across scenes exceeds the limit, the outlier scenes' clips are made again, automatically.

Each round is two steps, so each paid call is made once: `identity_<k>` scores every scene's
clip frames against the avatar's references (one vision call); `regenerate_<k>` makes a new
attempt of each outlier's clip (a new attempt has another seed), admitted against the spending
ceilings and holding its own estimate, then waits for them. Rounds stop when the scenes agree,
after `ugc_max_regen_attempts` rounds (at most ROUNDS), or when a scene has used its attempts.
What was made again, and why, is kept on the ad (`options["consistency"]`) for the creator.
"""

from __future__ import annotations

import json
import logging
import statistics
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAsset, AdAvatar, AdScene
from core.adapters.media.quality import sample_frames
from core.domain.ads import AdStatus, AssetKind, AssetStatus
from core.errors import JobCancelled, QuotaExceeded
from core.ports import VisionRequest, VisionTask
from core.services.ads import assets, continuity, rechain
from core.services.ads import spend as ads_spend
from core.services.ads.schemas import identity_schema
from core.services.ads.wizard import scenes_of
from jobs.context import StepContext, WaitForProvider, WaitForUser

logger = logging.getLogger(__name__)

ROUNDS = 3
FRAMES_PER_SCENE = 8
OPTION = continuity.REGENERATED_OPTION


def identity_step(k: int) -> str:
    return f"identity_{k}"


def regenerate_step(k: int) -> str:
    return f"regenerate_{k}"


def final_clips(ctx: StepContext) -> dict[str, str]:
    """Scene number -> clip asset id, after any regeneration."""
    clips = dict(ctx.output_of("scene_video").get("clips") or {})
    for k in range(1, ROUNDS + 1):
        clips |= ctx.output_of(regenerate_step(k)).get("clips") or {}
    return clips


def _clip_key(session: Session, asset_id: str) -> str:
    asset = session.get(AdAsset, asset_id)
    if asset is None or not asset.media_key:
        raise JobCancelled("A scene clip of this ad was deleted.")
    return asset.media_key


def clip_identity(ctx: StepContext, clips: dict[str, str], work: Path) -> dict[int, list[float]]:
    """Clip frames sampled at 1 fps, scored against the avatar's references in one vision call."""
    if "vision" not in ctx.services.providers.choices:
        return {}
    with ctx.services.db.session() as session:
        ad = session.get(Ad, ctx.payload["ad_id"])
        avatar = session.get(AdAvatar, ad.avatar_id) if ad and ad.avatar_id else None
        references = list(avatar.reference_keys)[:3] if avatar else []
        keys = {int(n): _clip_key(session, a) for n, a in clips.items()}
    if not references:
        return {}
    frames: list[tuple[int, Path]] = []
    for number, key in sorted(keys.items()):
        sampled = sample_frames(ctx.fetch(key), 1.0, work / f"scene{number}", max_side=320)
        frames += [(number, p) for p in sampled[:FRAMES_PER_SCENE]]
    if not frames:
        return {}
    request = VisionRequest(
        VisionTask.IDENTITY,
        tuple(p for _, p in frames),
        references=tuple(ctx.fetch(k) for k in references),
        schema=identity_schema(len(frames)),
    )
    answer = ctx.call_provider("vision", request).text
    scores = _scores(answer)
    if scores is None:  # every clip is paid for already: a garbled score is no round, not a failed ad
        logger.warning("consistency scores were not the JSON asked for; no round: %.200r", answer)
        return {}
    found: dict[int, list[float]] = {}
    for (number, _), value in zip(frames, scores, strict=False):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            found.setdefault(number, []).append(float(value))
    return found


def _scores(answer: str) -> list[Any] | None:
    try:
        scores = json.loads(answer).get("scores", [])
    except (ValueError, AttributeError):
        return None
    return scores if isinstance(scores, list) else None


def _round_is_due(ctx: StepContext, k: int) -> bool:
    if k > min(ROUNDS, ctx.services.settings.ugc_max_regen_attempts):
        return False
    return k == 1 or bool(ctx.output_of(regenerate_step(k - 1)).get("clips"))


def identity(ctx: StepContext, k: int) -> dict[str, Any]:
    if not _round_is_due(ctx, k):
        return ctx.skipped()
    clips = final_clips(ctx)
    scores = clip_identity(ctx, clips, ctx.work_dir / identity_step(k))
    means = {n: statistics.fmean(s) for n, s in scores.items() if s}
    limit = ctx.services.settings.ugc_cross_scene_std_max
    spread, outliers = continuity.identity_outliers(means, limit)
    centre = statistics.median(means.values()) if means else 0.0
    why = {
        str(n): f"identity {means[n]:.2f} against the scenes' median {centre:.2f}; spread {spread:.3f} over {limit}"
        for n in outliers
    }
    logger.info("consistency round %s: spread %.3f, outliers %s", k, spread, outliers)
    return {"spread": round(spread, 4), "means": {str(n): round(m, 4) for n, m in means.items()}, "why": why,
            "scored": {str(n): clips[str(n)] for n in outliers}, "clips": clips,
            "scores": {str(n): s for n, s in scores.items()}}  # fmt: skip


def latest_scores(ctx: StepContext) -> dict[int, list[float]] | None:
    """The last round's identity scores if they are of the clips the ad is cut from (None: score again)."""
    for k in range(ROUNDS, 0, -1):
        found = ctx.output_of(identity_step(k))
        if found and not found.get("skipped") and "scores" in found:
            if found.get("clips") != final_clips(ctx):
                return None
            return {int(n): [float(v) for v in s] for n, s in found["scores"].items()}
    return None


def _new_attempt(session: Session, scene: AdScene, clip: AdAsset, owner_id: str, limit: int) -> str | None:
    """Another attempt of the scene's clip (same inputs, another seed), unless its attempts are used."""
    if clip.attempt > limit:  # the first render plus `limit` regenerations
        return None
    _asset, job = assets.create_asset(
        session, scene, AssetKind.CLIP, dict(clip.inputs), variant=0, owner_id=owner_id, attempt=clip.attempt + 1
    )
    return job


def _regenerate(ctx: StepContext, scored: dict[str, str]) -> tuple[dict[str, str], list[str], bool]:
    """(scene -> its new clip, jobs to start, any still rendering); new attempts made once, on the first pass."""
    prices = ads_spend.unit_prices(ctx.services, ctx.owner_id)
    with ctx.services.db.session() as session:
        ad = session.get(Ad, ctx.payload["ad_id"])
        if ad is None:
            raise JobCancelled("The ad was deleted.")
        scenes = {str(s.number): s for s in scenes_of(session, ad.id)}
        limit = ctx.services.settings.ugc_max_regen_attempts
        made: dict[str, AdAsset] = {}
        jobs: list[str] = []
        for number, old_id in scored.items():
            old = session.get(AdAsset, old_id)
            if old is None or number not in scenes:
                continue
            latest = assets.assets_for(session, old.scene_id, AssetKind.CLIP, old.fingerprint)[0]
            if latest.id == old_id:  # not made again yet
                job = _new_attempt(session, scenes[number], old, ctx.owner_id, limit)
                if job is None:
                    continue
                jobs.append(job)
                session.flush()
                latest = assets.assets_for(session, old.scene_id, AssetKind.CLIP, old.fingerprint)[0]
            made[number] = latest
        ads_spend.admit_assets(session, ad, jobs, prices, user_id=ctx.owner_id, services=ctx.services)
        busy = any(AssetStatus(a.status).active for a in made.values())
        ready = {n: a.id for n, a in made.items() if a.status == AssetStatus.READY.value}
    return ready, jobs, busy


def _note(
    ctx: StepContext,
    k: int,
    why: dict[str, str],
    made: dict[str, str],
    refused: str | None,
    chained: dict[str, str] | None = None,
) -> None:
    """What was made again and why, on the ad, for the creator (chained scenes after a remade one too)."""
    with ctx.services.db.session() as session:
        ad = session.get(Ad, ctx.payload["ad_id"])
        if ad is None:
            return
        notes = [n for n in (ad.options or {}).get(OPTION, []) if n.get("job_id") == ctx.job_id and n["round"] != k]
        for number, reason in sorted(why.items()):
            state = "made again" if number in made else (refused or "attempts used up; kept")
            notes.append({"job_id": ctx.job_id, "round": k, "scene": int(number), "why": reason, "result": state})
        for number in sorted(chained or {}, key=int):
            reason = f"chained: scene {int(number) - 1} was made again, so it starts on a new last frame"
            notes.append({"job_id": ctx.job_id, "round": k, "scene": int(number), "why": reason,
                          "result": "made again from the new frame"})  # fmt: skip
        ad.options = {**(ad.options or {}), OPTION: notes}


def _chained_after(ctx: StepContext, made: dict[str, str]) -> dict[str, str]:
    """Chained scenes after a remade one start again from its new last frame (rechain): free
    re-renders are made here, paid ones asked about (the job parks until the creator answers).
    Returns scene -> the new clip of each chained scene that changed."""
    prices = ads_spend.unit_prices(ctx.services, ctx.owner_id)
    with ctx.services.db.session() as session:
        ad = session.get(Ad, ctx.payload["ad_id"])
        if ad is None:
            raise JobCancelled("The ad was deleted.")
        found = rechain.sync_chained(session, ctx.services, ad, final_clips(ctx) | made, ctx.owner_id, prices)
        rechain.record_questions(ad, found.asks)
        failed = f"Scene {', '.join(map(str, found.failed))} could not be made again; retry it." if found.failed else ""
        message = " ".join(m for m in (rechain.ask_message(found.asks) if found.asks else "", failed) if m)
        if message:
            ad.status, ad.error = AdStatus.NEEDS_ATTENTION.value, {"code": rechain.PARKED_CODE, "message": message}
        elif ad.status == AdStatus.NEEDS_ATTENTION.value:
            ad.status, ad.error = AdStatus.GENERATING.value, None  # answered: on with the cut
    if found.jobs or found.busy:
        assets.enqueue_all(ctx.services, found.jobs)
        raise WaitForProvider(ctx.services.settings.ugc_recheck_s)
    if message:
        raise WaitForUser(message)
    return found.clips


def regenerate(ctx: StepContext, k: int) -> dict[str, Any]:
    found = ctx.output_of(identity_step(k))
    scored = found.get("scored") or {}
    if found.get("skipped") or not scored:
        return ctx.skipped()
    try:
        made, jobs, busy = _regenerate(ctx, scored)
    except QuotaExceeded as exc:  # a spending ceiling: nothing was created; the flags stay in the report
        logger.info("consistency round %s refused: %s", k, exc)
        _note(ctx, k, found.get("why") or {}, {}, f"not made again: {exc}")
        return {"clips": {}, "refused": str(exc)}
    if jobs or busy:
        assets.enqueue_all(ctx.services, jobs)
        raise WaitForProvider(ctx.services.settings.ugc_recheck_s)
    chained = _chained_after(ctx, made) if made else {}
    _note(ctx, k, found.get("why") or {}, made, None, chained)
    return {"clips": made | chained}
