"""Face swap: one call to the face-swap port (fal PixVerse swap, or offline OpenCV), durable
like lip-sync; the result is stored as a new video of type face_swapped beside its parent."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.adapters.db.models.avatars import FaceSwap
from core.adapters.db.models.jobs import Job
from core.domain.media import VideoFile
from core.domain.types import ErrorInfo, MediaKind
from core.errors import JobCancelled
from core.ports import FaceSwapRequest
from core.ports_services import Services
from jobs.context import StepContext
from jobs.pipeline import Pipeline, Step, register
from jobs.pipelines.common import delete_keys, error_dict, stored_keys_of

KIND = "face_swap"


def swap(ctx: StepContext) -> dict[str, Any]:
    with ctx.services.db.session() as session:
        row = session.get(FaceSwap, ctx.payload["swap_id"])
        if row is None:
            raise JobCancelled("The face swap was deleted.")
        source_key, face_key, resolution = row.source_key, row.face_key, row.resolution
    request = FaceSwapRequest(
        video=ctx.fetch(source_key),
        face=ctx.fetch(face_key),
        duration_s=float(ctx.payload.get("duration_s") or 0.0),
        resolution=resolution,
    )
    video: VideoFile = ctx.call_provider("face_swap", request)
    key = ctx.store(MediaKind.VIDEO, video.path, label="video", content_type="video/mp4")
    return {"video_key": key, "provider": ctx.services.providers_for(ctx.owner_id).get("face_swap").name}


def _row(session: Session, job: Job) -> FaceSwap | None:
    return session.get(FaceSwap, job.subject_id) if job.subject_id else None


def on_completed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    row = _row(session, job)
    if row is None:
        delete_keys(services, stored_keys_of(session, job.id))
        return
    output = next((s.output for s in job.steps if s.name == "swap" and s.output), {}) or {}
    row.video_key, row.provider, row.status = output.get("video_key"), output.get("provider", ""), "ready"


def on_failed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if row := _row(session, job):
        row.status, row.error = "failed", error_dict(error)


def on_cancelled(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if _row(session, job) is None:
        delete_keys(services, stored_keys_of(session, job.id))


PIPELINE = register(
    Pipeline(
        kind=KIND,
        steps=(Step("swap", swap),),
        on_completed=on_completed,
        on_failed=on_failed,
        on_cancelled=on_cancelled,
    )
)
