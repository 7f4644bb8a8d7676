"""Batches of ad variants: plan (round-robin or every combination), estimate before anything
runs, create one durable job per variant keyed by a fingerprint of its inputs, follow the
batch, retry a failed variant alone, keep chosen variants in the video library."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.adapters.db.models.base import utcnow
from core.adapters.db.models.jobs import Job
from core.adapters.db.models.variant_factory import BatchVariant, Hook, LibraryAudio, LibraryVideo, VariantBatch
from core.adapters.media.variants import COLOURS, POSITIONS, SIZES, HookStyle
from core.domain.ads import Platform
from core.domain.types import JobStatus
from core.errors import NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right
from core.services.variant_factory import collections
from core.services.variant_factory.naming import DEFAULT_PATTERN, check_pattern, file_names

logger = logging.getLogger(__name__)

VARIANT_JOB = "factory_variant"
MODES = ("round_robin", "every_combination")
RENDER_VERSION = 1  # bump when the renderer's output changes, so old fingerprints stop matching


@dataclass(frozen=True, slots=True)
class BatchRequest:
    project_id: str
    video_ids: tuple[str, ...] = ()
    video_collection_ids: tuple[str, ...] = ()
    audio_ids: tuple[str, ...] = ()
    audio_collection_ids: tuple[str, ...] = ()
    hook_ids: tuple[str, ...] = ()
    hook_categories: tuple[str, ...] = ()
    mode: str = "round_robin"
    product: str = ""
    naming_pattern: str = DEFAULT_PATTERN
    name: str = ""
    style: dict[str, Any] = field(default_factory=dict)  # HookStyle fields


@dataclass(frozen=True, slots=True)
class Combo:
    video_id: str
    audio_id: str | None
    hook_id: str | None


@dataclass(frozen=True, slots=True)
class BatchEstimate:
    count: int
    cap: int
    cost_usd: float
    seconds: float
    videos: int
    audios: int
    hooks: int


def combine(videos: list[str], audios: list[str], hooks: list[str], mode: str) -> list[Combo]:
    """Round-robin: as many variants as the longest list, each list cycled in order (the spec).
    Every combination: the full matrix. No audio means the original sound; no hooks, none."""
    a_list: list[str | None] = list(audios) or [None]
    h_list: list[str | None] = list(hooks) or [None]
    if not videos:
        return []
    if mode == "round_robin":
        count = max(len(videos), len(a_list), len(h_list))
        return [Combo(videos[i % len(videos)], a_list[i % len(a_list)], h_list[i % len(h_list)]) for i in range(count)]
    if mode == "every_combination":
        return [Combo(v, a, h) for v in videos for a in a_list for h in h_list]
    raise ValidationError("Choose round-robin or every combination.")


def hook_style(values: dict[str, Any]) -> HookStyle:
    """The creator's choices checked against our own lists (nothing typed reaches the filter graph)."""
    style = {**asdict(HookStyle()), **{k: v for k, v in values.items() if v is not None}}
    checks = {
        "position": POSITIONS,
        "size": tuple(SIZES),
        "colour": tuple(COLOURS),
        "box_colour": tuple(COLOURS),
        "platform": tuple(p.value for p in Platform),
    }
    for name, allowed in checks.items():
        if style[name] not in allowed:
            raise ValidationError(f"Hook {name.replace('_', ' ')} must be one of: {', '.join(allowed)}.")
    start, duration = float(style["start_s"]), float(style["duration_s"])
    if not (0 <= start <= 30) or not (0.5 <= duration <= 30):
        raise ValidationError("The hook starts between 0 and 30 s and lasts between 0.5 and 30 s.")
    return HookStyle(
        **{
            **style,
            "start_s": start,
            "duration_s": duration,
            "box": bool(style["box"]),
            "outline": bool(style["outline"]),
        }
    )


def _picked(session: Session, request: BatchRequest) -> tuple[list[str], list[str], list[str]]:
    pid = request.project_id
    in_videos = (
        collections.members(session, list(request.video_collection_ids), "video", pid)
        if request.video_collection_ids
        else []
    )
    in_audio = (
        collections.members(session, list(request.audio_collection_ids), "audio", pid)
        if request.audio_collection_ids
        else []
    )
    videos = list(dict.fromkeys([*request.video_ids, *in_videos]))
    audios = list(dict.fromkeys([*request.audio_ids, *in_audio]))
    _check_in_project(session, LibraryVideo, videos, pid, "videos")
    _check_in_project(session, LibraryAudio, audios, pid, "audio files", ready_only=True)
    hooks = list(dict.fromkeys(request.hook_ids))
    if request.hook_categories:
        hooks += [
            h
            for h in session.scalars(
                select(Hook.id)
                .where(Hook.project_id == pid, Hook.category.in_(request.hook_categories))
                .order_by(Hook.created_at, Hook.id)
            )
            if h not in hooks
        ]
    _check_in_project(session, Hook, hooks, pid, "hooks")
    return videos, audios, hooks


def _check_in_project(
    session: Session, model: type, ids: list[str], project_id: str, what: str, ready_only: bool = False
) -> None:
    if not ids:
        return
    where = [model.id.in_(ids), model.project_id == project_id]  # type: ignore[attr-defined]
    if ready_only:
        where.append(LibraryAudio.status == "ready")
    found = session.scalar(select(func.count()).select_from(model).where(*where))
    if found != len(ids):
        raise NotFound(f"Some of those {what} are not ready in this project's library.")


def _seconds_per_variant(session: Session, user_id: str, services: Services) -> float:
    """From this user's last finished variants; the setting until there are some."""
    rows = session.execute(
        select(Job.started_at, Job.finished_at)
        .where(
            Job.owner_id == user_id,
            Job.kind == VARIANT_JOB,
            Job.status == JobStatus.COMPLETED.value,
            Job.started_at.is_not(None),
            Job.finished_at.is_not(None),
        )
        .order_by(Job.finished_at.desc())
        .limit(50)
    ).all()
    spans = [(end - start).total_seconds() for start, end in rows if start and end]
    return sum(spans) / len(spans) if spans else services.settings.factory_seconds_per_variant


def estimate(request: BatchRequest, *, user_id: str, services: Services) -> BatchEstimate:
    """Count, cost (FFmpeg work is free) and wall time, before anything is written."""
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, request.project_id, user_id, Right.VIEW)
        videos, audios, hooks = _picked(session, request)
        combos = combine(videos, audios, hooks, request.mode)
        per = _seconds_per_variant(session, user_id, services)
    workers = max(1, services.settings.embedded_workers)
    return BatchEstimate(
        len(combos),
        services.settings.factory_batch_max_variants,
        0.0,
        round(per * -(-len(combos) // workers), 1),
        len(videos),
        len(audios),
        len(hooks),
    )


def fingerprint(video_key: str, audio_key: str | None, hook_text: str | None, style: HookStyle, loudness: float) -> str:
    data = {
        "v": RENDER_VERSION,
        "video": video_key,
        "audio": audio_key,
        "hook": hook_text,
        "style": asdict(style) if hook_text else None,
        "lufs": loudness if audio_key else None,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _inputs(session: Session, combo: Combo) -> dict[str, Any]:
    video = session.get(LibraryVideo, combo.video_id)
    audio = session.get(LibraryAudio, combo.audio_id) if combo.audio_id else None
    hook = session.get(Hook, combo.hook_id) if combo.hook_id else None
    assert video is not None
    return {
        "video_key": video.video_key,
        "video_title": video.title,
        "width": video.width,
        "height": video.height,
        "audio_key": audio.audio_key if audio else None,
        "audio_title": audio.title if audio else "original sound",
        "hook_text": hook.text if hook else None,
        "hook_category": hook.category if hook else "none",
    }


def _reusable(session: Session, project_id: str, print_: str) -> BatchVariant | None:
    """A ready variant of a live batch of this project with the same inputs: its file serves again."""
    return session.scalars(
        select(BatchVariant)
        .join(VariantBatch, VariantBatch.id == BatchVariant.batch_id)
        .where(
            VariantBatch.project_id == project_id,
            VariantBatch.expired.is_(False),
            BatchVariant.fingerprint == print_,
            BatchVariant.status == "ready",
            BatchVariant.video_key.is_not(None),
        )
        .limit(1)
    ).first()


def create_batch(request: BatchRequest, *, user_id: str, services: Services) -> str:
    """Write the batch, its variants and a job for each variant that is not already rendered."""
    style = hook_style(request.style)
    pattern = check_pattern(request.naming_pattern)
    product = " ".join(request.product.split())[:80]
    loudness = services.settings.ugc_loudness_target_lufs
    jobs: list[str] = []
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, request.project_id, user_id, Right.EDIT)
        videos, audios, hooks = _picked(session, request)
        combos = combine(videos, audios, hooks, request.mode)
        cap = services.settings.factory_batch_max_variants
        if not combos:
            raise ValidationError("Pick at least one video.")
        if len(combos) > cap:
            raise ValidationError(
                f"This makes {len(combos)} variants; a batch may make at most {cap}. "
                "Pick fewer videos, sounds or hooks, or use round-robin."
            )
        if all(c.audio_id is None and c.hook_id is None for c in combos):
            raise ValidationError("Pick audio or hooks: without either a variant would be the same video.")
        expires = utcnow() + timedelta(hours=services.settings.factory_batch_expiry_h)
        batch = VariantBatch(
            owner_id=user_id,
            project_id=request.project_id,
            name=request.name.strip()[:120],
            mode=request.mode,
            product=product,
            naming_pattern=pattern,
            style=asdict(style),
            total=len(combos),
            expires_at=expires,
        )
        session.add(batch)
        session.flush()
        inputs = [_inputs(session, combo) for combo in combos]
        names = file_names(pattern, product, inputs)
        for n, (combo, pinned, name) in enumerate(zip(combos, inputs, names, strict=True), start=1):
            print_ = fingerprint(pinned["video_key"], pinned["audio_key"], pinned["hook_text"], style, loudness)
            variant = BatchVariant(
                batch_id=batch.id,
                n=n,
                video_id=combo.video_id,
                audio_id=combo.audio_id,
                hook_id=combo.hook_id,
                inputs=pinned,
                fingerprint=print_,
                file_name=name,
            )
            if (done := _reusable(session, request.project_id, print_)) is not None:
                variant.status, variant.video_key, variant.render_mode = "ready", done.video_key, "reused"
                variant.duration_s, variant.width, variant.height = done.duration_s, done.width, done.height
                variant.size_bytes = done.size_bytes
            session.add(variant)
            session.flush()
            if variant.status == "queued":
                jobs.append(_new_job(session, variant, user_id))
        batch_id = batch.id
    for job_id in jobs:
        services.queue.enqueue(job_id)
    logger.info("batch %s: %d variants, %d to render", batch_id, len(combos), len(jobs))
    return batch_id


def _new_job(session: Session, variant: BatchVariant, user_id: str) -> str:
    job = Job(owner_id=user_id, kind=VARIANT_JOB, subject_id=variant.id, payload={"variant_id": variant.id})
    session.add(job)
    session.flush()
    variant.job_id, variant.status, variant.error = job.id, "queued", None
    return job.id


def _variant(session: Session, variant_id: str, user_id: str, need: Right) -> tuple[BatchVariant, VariantBatch]:
    variant = session.get(BatchVariant, variant_id)
    batch = session.get(VariantBatch, variant.batch_id) if variant else None
    if variant is None or batch is None:
        raise NotFound("That variant no longer exists.")
    project_with_right(session, batch.project_id, user_id, need)
    return variant, batch


def retry_variant(variant_id: str, *, user_id: str, services: Services) -> str:
    """A failed variant gets a new job of its own; the rest of the batch is untouched."""
    with services.db.session(user_id=user_id) as session:
        variant, batch = _variant(session, variant_id, user_id, Right.EDIT)
        if batch.expired:
            raise ValidationError("This batch has expired; make a new one.")
        if variant.status != "failed":
            raise ValidationError("Only a failed variant can be retried.")
        job_id = _new_job(session, variant, user_id)
    services.queue.enqueue(job_id)
    return job_id


def batch_of(session: Session, batch_id: str, user_id: str, need: Right) -> VariantBatch:
    batch = session.get(VariantBatch, batch_id)
    if batch is None:
        raise NotFound("That batch no longer exists.")
    project_with_right(session, batch.project_id, user_id, need)
    return batch


def time_left(expires_at: datetime, now: datetime | None = None) -> timedelta:
    return max(timedelta(0), expires_at - (now or utcnow()))
