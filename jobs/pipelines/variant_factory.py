"""Variant factory jobs: one ad variant (render, as its own durable job), and one voice-over
from a script with an actor's voice (a paid speech call, admitted and ledgered)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.adapters.db.models.jobs import Job
from core.adapters.db.models.talking import Actor
from core.adapters.db.models.variant_factory import BatchVariant, LibraryAudio, VariantBatch
from core.adapters.media.variants import HookStyle, VariantRenderer, VariantSpec
from core.domain.types import ErrorInfo, MediaKind
from core.errors import JobCancelled
from core.ports import SpeechRequest
from core.ports_services import Services
from core.services.variant_factory.batches import VARIANT_JOB
from core.services.variant_factory.voiceovers import VOICEOVER_JOB
from jobs.context import StepContext
from jobs.pipeline import Pipeline, Step, register
from jobs.pipelines.common import actor_voice, delete_keys, error_dict, stored_keys_of

logger = logging.getLogger(__name__)


def _variant(ctx: StepContext) -> tuple[dict[str, Any], dict[str, Any]]:
    with ctx.services.db.session() as session:
        variant = session.get(BatchVariant, ctx.payload["variant_id"])
        batch = session.get(VariantBatch, variant.batch_id) if variant else None
        if variant is None or batch is None or batch.expired:
            raise JobCancelled("The batch was deleted or has expired.")
        return dict(variant.inputs), dict(batch.style)


def render(ctx: StepContext) -> dict[str, Any]:
    inputs, style = _variant(ctx)
    spec = VariantSpec(
        video=ctx.fetch(inputs["video_key"]),
        audio=ctx.fetch(inputs["audio_key"]) if inputs.get("audio_key") else None,
        hook_text=inputs.get("hook_text"),
        style=HookStyle(**style),
        loudness_lufs=ctx.services.settings.ugc_loudness_target_lufs,
        preset=ctx.services.settings.ugc_x264_preset,
    )
    out = ctx.work_dir / "variant.mp4"
    result = VariantRenderer(ctx.services.media).render(spec, out, ctx.work_dir / "render")
    key = ctx.store(MediaKind.VIDEO, out, label="variant", content_type="video/mp4")
    return {
        "video_key": key,
        "duration_s": result.video.duration_s,
        "width": result.video.width,
        "height": result.video.height,
        "size_bytes": Path(out).stat().st_size,
        "mode": result.mode,
        "reason": result.reason,
    }


def _subject(session: Session, job: Job) -> BatchVariant | None:
    variant = session.get(BatchVariant, job.subject_id) if job.subject_id else None
    return variant if variant is not None and variant.job_id == job.id else None


def _outputs(job: Job) -> dict[str, Any]:
    return next((dict(s.output or {}) for s in job.steps if s.status == "completed" and s.name == "render"), {})


def variant_started(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if variant := _subject(session, job):
        variant.status = "rendering"


def variant_completed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    variant = _subject(session, job)
    batch = session.get(VariantBatch, variant.batch_id) if variant else None
    if variant is None or batch is None or batch.expired:
        delete_keys(services, stored_keys_of(session, job.id))  # nothing left to show it
        return
    out = _outputs(job)
    variant.status, variant.error, variant.video_key = "ready", None, out.get("video_key")
    variant.duration_s, variant.width, variant.height = out.get("duration_s"), out.get("width"), out.get("height")
    variant.size_bytes, variant.render_mode = int(out.get("size_bytes") or 0), out.get("mode")


def variant_failed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if variant := _subject(session, job):
        variant.status, variant.error = "failed", error_dict(error)


def variant_cancelled(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    delete_keys(services, stored_keys_of(session, job.id))
    if variant := _subject(session, job):
        variant.status, variant.error = "failed", {"code": "cancelled", "message": "Cancelled.", "details": None}


VARIANT = register(
    Pipeline(
        kind=VARIANT_JOB,
        steps=(Step("render", render),),
        on_started=variant_started,
        on_completed=variant_completed,
        on_failed=variant_failed,
        on_cancelled=variant_cancelled,
        admission_limited=False,  # FFmpeg work on our own machine: free, and the runner's workers bound it
    )
)


# --------------------------------------------------------------------------- voice-overs


def speak(ctx: StepContext) -> dict[str, Any]:
    with ctx.services.db.session() as session:
        row = session.get(LibraryAudio, ctx.payload["audio_id"])
        actor = session.get(Actor, row.actor_id) if row and row.actor_id else None
        if row is None or actor is None:
            raise JobCancelled("The voice-over was deleted.")
        text, voice = row.script or "", actor_voice(actor)
    clip = ctx.call_provider("speech", SpeechRequest(text=text, voice=voice))
    mp3 = ctx.services.media.transcode_audio_mp3(clip.path, ctx.work_dir / "voiceover.mp3")
    key = ctx.store(MediaKind.AUDIO, mp3.path, label="voiceover", content_type="audio/mpeg")
    return {"audio_key": key, "duration_s": mp3.duration_s, "size_bytes": Path(mp3.path).stat().st_size}


def _audio(session: Session, job: Job) -> LibraryAudio | None:
    row = session.get(LibraryAudio, job.subject_id) if job.subject_id else None
    return row if row is not None and row.job_id == job.id else None


def voiceover_completed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    row = _audio(session, job)
    if row is None:
        delete_keys(services, stored_keys_of(session, job.id))
        return
    out = next((dict(s.output or {}) for s in job.steps if s.status == "completed" and s.name == "speech"), {})
    row.status, row.audio_key, row.duration_s = "ready", out.get("audio_key"), out.get("duration_s")
    row.size_bytes, row.error = int(out.get("size_bytes") or 0), None


def voiceover_failed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if row := _audio(session, job):
        row.status, row.error = "failed", error_dict(error)


def voiceover_cancelled(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    delete_keys(services, stored_keys_of(session, job.id))
    if row := _audio(session, job):
        row.status, row.error = "failed", {"code": "cancelled", "message": "Cancelled.", "details": None}


VOICEOVER = register(
    Pipeline(
        kind=VOICEOVER_JOB,
        steps=(Step("speech", speak),),
        on_completed=voiceover_completed,
        on_failed=voiceover_failed,
        on_cancelled=voiceover_cancelled,
        admission_limited=False,
    )
)
