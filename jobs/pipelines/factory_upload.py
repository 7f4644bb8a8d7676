"""Variant factory: one uploaded video probed, transcoded when needed and added to the library,
as a durable job (the page only queued it). A refusal by the probe fails the job with the
probe's own words, which the upload row keeps for the Media library to show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.adapters.db.models.jobs import Job
from core.adapters.db.models.variant_factory import LibraryUpload
from core.domain.types import ErrorInfo, MediaKind
from core.errors import JobCancelled, MediaRejected
from core.ports_services import Services
from core.services.variant_factory.media import add_uploaded_video, prepare_upload
from core.services.variant_factory.uploads import VIDEO_UPLOAD_JOB
from jobs.context import StepContext
from jobs.pipeline import Pipeline, Step, register
from jobs.pipelines.common import delete_keys, error_dict, stored_keys_of


def prepare(ctx: StepContext) -> dict[str, Any]:
    with ctx.services.db.session() as session:
        upload = session.get(LibraryUpload, ctx.payload["upload_id"])
        if upload is None or not upload.upload_key:
            raise JobCancelled("The upload was removed.")
        raw_key = upload.upload_key
    video, transcoded = prepare_upload(ctx.services, ctx.fetch(raw_key), ctx.work_dir)
    key = ctx.store(MediaKind.VIDEO, video.path, label="video", content_type="video/mp4")
    out: dict[str, Any] = {
        "video_key": key,
        "duration_s": video.duration_s,
        "width": video.width,
        "height": video.height,
        "size_bytes": Path(video.path).stat().st_size,
        "transcoded": transcoded,
    }
    try:
        poster = ctx.services.media.poster_frame(video.path, ctx.work_dir / "poster.jpg", at_s=0.5)
        out["poster_key"] = ctx.store(MediaKind.IMAGE, poster.path, label="poster", content_type="image/jpeg")
    except MediaRejected:
        out["poster_key"] = None  # a card without a poster; the video itself is fine
    return out


def _upload(session: Session, job: Job) -> LibraryUpload | None:
    row = session.get(LibraryUpload, job.subject_id) if job.subject_id else None
    return row if row is not None and row.job_id == job.id else None


def _drop_raw(services: Services, row: LibraryUpload) -> None:
    if row.upload_key:
        delete_keys(services, {row.upload_key})
        row.upload_key = None


def started(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if row := _upload(session, job):
        row.status = "processing"


def completed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    row = _upload(session, job)
    if row is None:  # dismissed meanwhile: nothing will show the files
        delete_keys(services, stored_keys_of(session, job.id))
        return
    out = next((dict(s.output or {}) for s in job.steps if s.status == "completed" and s.name == "prepare"), {})
    video = add_uploaded_video(session, row, out)
    row.status, row.video_id, row.error = "ready", video.id, None
    _drop_raw(services, row)


def failed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    if row := _upload(session, job):
        row.status, row.error = "failed", error_dict(error)
        _drop_raw(services, row)  # refused: the bytes are of no use, the reason stays


def cancelled(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    delete_keys(services, stored_keys_of(session, job.id))
    if row := _upload(session, job):
        row.status, row.error = "failed", {"code": "cancelled", "message": "Cancelled.", "details": None}
        _drop_raw(services, row)


UPLOAD = register(
    Pipeline(
        kind=VIDEO_UPLOAD_JOB,
        steps=(Step("prepare", prepare),),
        on_started=started,
        on_completed=completed,
        on_failed=failed,
        on_cancelled=cancelled,
        admission_limited=False,  # FFmpeg on our own machine: free; the runner's workers bound it
    )
)
