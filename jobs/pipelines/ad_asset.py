"""One scene asset (storyboard frame, clip or voice line): render -> score, as its own durable job.

Each asset is a unit that fails, retries and resumes alone: its provider call is durable
(request id stored before any wait), and when it ends its hooks mark the asset and wake
the ad's generation job, which is waiting for its scenes.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdAsset, AdAvatar, AdScene
from core.adapters.db.models.jobs import Job
from core.domain.ads import AssetKind, AssetStatus
from core.domain.types import ACTIVE_JOB_STATUS_VALUES, ErrorInfo, MediaKind, Voice
from core.errors import JobCancelled
from core.ports import ImageGenRequest, LoraWeights, VisionRequest, VisionTask
from core.ports_services import Services
from core.services.ads import assets
from core.services.ads.schemas import identity_schema
from jobs.context import StepContext
from jobs.pipeline import Pipeline, Step, register
from jobs.pipelines import ad_clip
from jobs.pipelines.common import delete_keys, error_dict, speak_line, stored_keys_of

logger = logging.getLogger(__name__)

KIND = assets.ASSET_JOB


def _asset(ctx: StepContext) -> tuple[str, dict[str, Any], int]:
    with ctx.services.db.session() as session:
        asset = session.get(AdAsset, ctx.payload["asset_id"])
        if asset is None:
            raise JobCancelled("The scene was deleted.")
        return asset.kind, dict(asset.inputs), asset.seed


def render(ctx: StepContext) -> dict[str, Any]:
    kind, inputs, seed = _asset(ctx)
    if kind == AssetKind.FRAME.value:
        references = tuple(ctx.fetch(key) for key in inputs["references"])
        lora = inputs.get("lora")  # frames with a LoRA go to the LoRA image model (issue 17)
        request = ImageGenRequest(
            prompt=inputs["prompt"],
            references=references,
            width=inputs["width"],
            height=inputs["height"],
            seed=seed,
            negative_prompt=inputs["negative"],
            lora=LoraWeights(ctx.fetch(lora["weights_key"]), lora["scale"], lora["trigger"]) if lora else None,
        )
        image = ctx.call_provider("lora_image" if lora else "image_gen", request)
        key = ctx.store(MediaKind.IMAGE, image.path, label="frame", content_type=image.content_type)
        return {"media_key": key, "width": image.width, "height": image.height}
    if kind == AssetKind.CLIP.value:
        return ad_clip.render_clip(ctx, inputs, seed)
    key, clip = speak_line(ctx, inputs["text"], Voice(**inputs["voice"]), seed)
    return {"media_key": key, "duration_s": clip.duration_s}


def _extend_step(number: int) -> Any:
    def extend(ctx: StepContext) -> dict[str, Any]:
        kind, inputs, seed = _asset(ctx)
        return ad_clip.extend(ctx, inputs, seed, number) if kind == AssetKind.CLIP.value else ctx.skipped()

    return extend


def last_frame(ctx: StepContext) -> dict[str, Any]:
    kind, inputs, _seed = _asset(ctx)
    return ad_clip.last_frame(ctx, inputs) if kind == AssetKind.CLIP.value else ctx.skipped()


def score(ctx: StepContext) -> dict[str, Any]:
    """Identity of a storyboard frame against the avatar's references (spec 22, layer 3)."""
    kind, inputs, _seed = _asset(ctx)
    if kind != AssetKind.FRAME.value or "vision" not in ctx.services.providers.choices:
        return ctx.skipped()
    with ctx.services.db.session() as session:
        asset = session.get(AdAsset, ctx.payload["asset_id"])
        ad = session.get(Ad, asset.ad_id) if asset else None
        avatar = session.get(AdAvatar, ad.avatar_id) if ad and ad.avatar_id else None
        references = list(avatar.reference_keys)[:3] if avatar else []
    if not references:
        return ctx.skipped()
    frame = ctx.fetch(ctx.output_of("render")["media_key"])
    request = VisionRequest(
        VisionTask.IDENTITY,
        (frame,),
        references=tuple(ctx.fetch(k) for k in references),
        schema=identity_schema(1),
    )
    answer = ctx.call_provider("vision", request)
    scores = json.loads(answer.text).get("scores") or [None]
    return {"score": float(scores[0]) if scores[0] is not None else None}


# --------------------------------------------------------------------------- hooks


def _subject(session: Session, job: Job) -> AdAsset | None:
    return session.get(AdAsset, job.subject_id) if job.subject_id else None


def _outputs(job: Job) -> dict[str, dict[str, Any]]:
    return {s.name: dict(s.output or {}) for s in job.steps if s.status == "completed"}


def wake_ad(services: Services, session: Session, ad_id: str) -> None:
    """The ad's generation job waits for its scenes: tell it one has ended."""
    ad = session.get(Ad, ad_id)
    status = session.scalar(select(Job.status).where(Job.id == ad.job_id)) if ad is not None and ad.job_id else None
    if ad is not None and ad.job_id and status in ACTIVE_JOB_STATUS_VALUES:
        services.queue.enqueue(ad.job_id)


def _select_frame(session: Session, asset: AdAsset) -> None:
    """A scene shows its best finished frame until the creator picks one."""
    scene = session.get(AdScene, asset.scene_id)
    if scene is None:
        return
    frames = assets.assets_for(session, scene.id, AssetKind.FRAME, asset.fingerprint)
    ready = {f.id for f in frames if f.status == AssetStatus.READY.value}
    if scene.selected_frame_id not in ready and (best := assets.best_frame(frames)) is not None:
        scene.selected_frame_id = best.id


def _final(outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The render, or the last extension that ran."""
    for name in reversed(("render", *ad_clip.EXTEND_STEPS)):
        found = outputs.get(name) or {}
        if found.get("media_key"):
            return found
    return {}


def _keep_last_frame(session: Session, clip: AdAsset, key: str) -> None:
    """The clip's exact last frame as an asset of its own (kept with the clip's files)."""
    if assets.last_frame_of(session, clip) is not None:
        return
    session.add(
        AdAsset(
            ad_id=clip.ad_id,
            scene_id=clip.scene_id,
            kind=assets.LAST_FRAME_KIND,
            fingerprint=clip.fingerprint,
            variant=0,
            attempt=clip.attempt,
            seed=0,
            status=AssetStatus.READY.value,
            inputs={"clip_id": clip.id},
            media_key=key,
        )
    )


def on_started(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if asset := _subject(session, job):
        asset.status = AssetStatus.RENDERING.value


def on_completed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    asset = _subject(session, job)
    if asset is None:
        delete_keys(services, stored_keys_of(session, job.id))
        return
    outputs = _outputs(job)
    rendered = _final(outputs)
    asset.media_key = rendered.get("media_key")
    asset.duration_s = rendered.get("duration_s")
    asset.score = outputs.get("score", {}).get("score")
    asset.status, asset.error = AssetStatus.READY.value, None
    if asset.kind == AssetKind.FRAME.value:
        session.flush()
        _select_frame(session, asset)
    if key := outputs.get("last_frame", {}).get("last_frame_key"):
        _keep_last_frame(session, asset, key)
    wake_ad(services, session, asset.ad_id)


def on_failed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if asset := _subject(session, job):
        asset.status, asset.error = AssetStatus.FAILED.value, error_dict(error)
        wake_ad(services, session, asset.ad_id)


def on_cancelled(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    asset = _subject(session, job)
    if asset is None:
        delete_keys(services, stored_keys_of(session, job.id))
        return
    asset.status, asset.error = AssetStatus.FAILED.value, {"code": "cancelled", "message": "Cancelled."}


PIPELINE = register(
    Pipeline(
        kind=KIND,
        steps=(
            Step("render", render, weight=3.0),
            *(Step(name, _extend_step(n), weight=1.0) for n, name in enumerate(ad_clip.EXTEND_STEPS, 1)),
            Step("last_frame", last_frame, weight=0.1),
            Step("score", score, weight=0.5),
        ),
        on_started=on_started,
        on_completed=on_completed,
        on_failed=on_failed,
        on_cancelled=on_cancelled,
        admission_limited=False,
    )
)
