"""Video uploads to the library as durable jobs: the page never waits on FFmpeg.

An upload is refused at once by the cheap checks (size, playlists, container by its first
bytes); what passes is stored as it came, recorded in `library_uploads` and handed to a
`factory_video_upload` job that probes it fully, transcodes it when needed, makes its
poster and adds it to the library. The row is the truth: a page refresh or a restarted
worker finds the upload where it was, and a refusal by the probe is kept with its reason
until the creator dismisses it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.adapters.db.models.jobs import Job
from core.adapters.db.models.variant_factory import LibraryUpload
from core.adapters.media.files import format_mb
from core.adapters.media.library_video import precheck_video_upload
from core.domain.types import MediaKind
from core.errors import MediaRejected, NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right
from core.services.scratch import scratch_dir
from core.services.variant_factory.media import clean_title

VIDEO_UPLOAD_JOB = "factory_video_upload"
ACTIVE = ("queued", "processing")


@dataclass(frozen=True, slots=True)
class UploadView:
    id: str
    title: str
    status: str  # queued | processing | ready | failed
    size_bytes: int
    video_id: str | None
    error: str | None
    created_at: datetime

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def _view(row: LibraryUpload) -> UploadView:
    error = (row.error or {}).get("message") if row.error else None
    return UploadView(row.id, row.title, row.status, row.size_bytes, row.video_id, error, row.created_at)


def _stored_raw(data: bytes, owner: str, services: Services) -> str:
    """The upload as it came, after the cheap checks (refused here: nothing is stored)."""
    limit = services.settings.factory_video_max_bytes
    with scratch_dir(services) as tmp:
        raw = tmp / "upload.bin"
        raw.write_bytes(data)
        precheck_video_upload(raw, max_bytes=limit)
        return services.storage.put_file(
            MediaKind.VIDEO, raw, name=f"uploads/{owner}/{uuid.uuid4().hex}", content_type="video/mp4"
        )


def queue_video_upload(project_id: str, data: bytes, *, title: str, user_id: str, services: Services) -> str:
    """Check, store and queue an uploaded video; returns the upload's id (its job makes the video)."""
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.EDIT)
    limit = services.settings.factory_video_max_bytes
    if len(data) > limit:  # refused before it is written anywhere
        raise MediaRejected(f"Your video is {format_mb(len(data))}; the limit is {format_mb(limit)}.")
    key = _stored_raw(data, user_id, services)
    try:
        with services.db.session(user_id=user_id) as session:
            row = LibraryUpload(
                owner_id=user_id,
                project_id=project_id,
                title=clean_title(title, "Uploaded video"),
                upload_key=key,
                size_bytes=len(data),
            )
            session.add(row)
            session.flush()
            job = Job(owner_id=user_id, kind=VIDEO_UPLOAD_JOB, subject_id=row.id, payload={"upload_id": row.id})
            session.add(job)
            session.flush()
            row.job_id = job.id
            upload_id, job_id = row.id, job.id
    except Exception:
        services.storage.delete(key)  # no row points at it
        raise
    services.queue.enqueue(job_id)
    return upload_id


def pending_uploads(project_id: str, *, user_id: str, services: Services, limit: int = 50) -> list[UploadView]:
    """The project's uploads still being prepared or refused by the probe, newest first."""
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        rows = session.scalars(
            select(LibraryUpload)
            .where(LibraryUpload.project_id == project_id, LibraryUpload.status != "ready")
            .order_by(LibraryUpload.created_at.desc(), LibraryUpload.id)
            .limit(limit)
        ).all()
        return [_view(r) for r in rows]


def upload_status(upload_id: str, *, user_id: str, services: Services) -> UploadView:
    with services.db.session(user_id=user_id) as session:
        row = session.get(LibraryUpload, upload_id)
        if row is None:
            raise NotFound("That upload no longer exists.")
        project_with_right(session, row.project_id, user_id, Right.VIEW)
        return _view(row)


def dismiss_upload(upload_id: str, *, user_id: str, services: Services) -> None:
    """Forget a refused upload (a queued or processing one is left to finish)."""
    with services.db.session(user_id=user_id) as session:
        row = session.get(LibraryUpload, upload_id)
        if row is None:
            raise NotFound("That upload no longer exists.")
        project_with_right(session, row.project_id, user_id, Right.EDIT)
        if row.status in ACTIVE:
            raise ValidationError("This upload is still being prepared; wait for it to finish.")
        key = row.upload_key
        session.delete(row)
    if key:
        services.storage.delete(key)
