"""Video face swap: a talking video, an ad's output, an earlier swap or an uploaded video,
and a face (an avatar photo or sheet); the result is a new video of type face_swapped."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from core.adapters.db.models.ads import Ad, AdOutput
from core.adapters.db.models.avatars import AvatarPhoto, AvatarSheet, FaceSwap
from core.adapters.db.models.jobs import Job
from core.adapters.db.models.talking import VideoAsset
from core.domain.avatars import FaceSwapView
from core.domain.types import MediaKind
from core.errors import NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right, project_with_right
from core.services.avatars.rights import avatar_with_right
from core.services.scratch import scratch_dir
from core.services.talking.projects import cancel_jobs, remove_files
from core.services.usage import estimates, spend

JOB_KIND = "face_swap"
RESOLUTIONS = ("360p", "540p", "720p")
CONSENT_TEXT = "I have the permission of the person whose face I am swapping in, and of the people in the video."


@dataclass(frozen=True, slots=True)
class SwapSource:
    kind: str  # "video" | "ad_output" | "face_swap"
    id: str
    label: str
    video_key: str
    duration_s: float


def _view(row: FaceSwap) -> FaceSwapView:
    return FaceSwapView(
        row.id, row.project_id, row.parent_kind, row.parent_id, row.status, row.video_key, row.provider,
        row.resolution, row.error, row.created_at, row.video_type,
    )  # fmt: skip


def swap_sources(project_id: str, *, user_id: str, services: Services) -> list[SwapSource]:
    """Every finished video of the project a face can be swapped in."""
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        videos = session.scalars(
            select(VideoAsset).where(VideoAsset.project_id == project_id, VideoAsset.status == "completed")
        ).all()
        outputs = session.execute(
            select(AdOutput, Ad.title).join(Ad, Ad.id == AdOutput.ad_id)
            .where(Ad.project_id == project_id, AdOutput.status == "ready")
        ).all()  # fmt: skip
        swaps = session.scalars(
            select(FaceSwap).where(FaceSwap.project_id == project_id, FaceSwap.status == "ready")
        ).all()
        out = [SwapSource("video", v.id, f"Talking video {v.created_at:%d %b %H:%M}", v.video_key or "",
                          v.duration_s or 0.0) for v in videos if v.video_key]  # fmt: skip
        out += [SwapSource("ad_output", o.id, f"Ad “{title or 'untitled'}” {o.aspect}", o.video_key or "",
                           o.duration_s or 0.0) for o, title in outputs if o.video_key]  # fmt: skip
        out += [SwapSource("face_swap", s.id, f"Face swap {s.created_at:%d %b %H:%M}", s.video_key or "", 0.0)
                for s in swaps if s.video_key]  # fmt: skip
        return out


def _face_key(session, face_kind: str, face_id: str, user_id: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    model = AvatarPhoto if face_kind == "photo" else AvatarSheet if face_kind == "sheet" else None
    row = session.get(model, face_id) if model else None
    if row is None:
        raise NotFound("That face image no longer exists.")
    avatar_with_right(session, row.avatar_id, user_id, Right.VIEW)
    return row.image_key, row.avatar_id


def start_face_swap(
    project_id: str,
    *,
    face_kind: str,
    face_id: str,
    consent: bool,
    user_id: str,
    services: Services,
    source: SwapSource | None = None,
    upload: bytes | None = None,
    resolution: str = "720p",
) -> str:
    if not consent:
        raise ValidationError("Confirm that you have the permission of the people involved.")
    if resolution not in RESOLUTIONS:
        raise ValidationError(f"Pick a resolution among {', '.join(RESOLUTIONS)}.")
    if (source is None) == (upload is None):
        raise ValidationError("Pick one video or upload one.")
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.EDIT)
        face_key, avatar_id = _face_key(session, face_kind, face_id, user_id)
        if source is not None and source not in swap_sources(project_id, user_id=user_id, services=services):
            raise NotFound("That video is not in this project.")
    stored_upload = None
    if upload is not None:
        stored_upload, duration = _store_upload(upload, services)
        parent_kind, parent_id, source_key = "upload", None, stored_upload
    else:
        assert source is not None
        parent_kind, parent_id, source_key, duration = source.kind, source.id, source.video_key, source.duration_s
    estimate = estimates.estimate_face_swap(duration, services=services, user_id=user_id)
    try:
        with (
            audit.refusals(services, user_id=user_id, project_id=project_id, what="face swap"),
            services.db.session(user_id=user_id) as session,
        ):
            project_with_right(session, project_id, user_id, Right.EDIT)
            spend.admit(session, user_id=user_id, project_id=project_id, estimate_usd=estimate, services=services)
            row = FaceSwap(
                    owner_id=user_id, project_id=project_id, parent_kind=parent_kind, parent_id=parent_id,
                    source_key=source_key, face_key=face_key, avatar_id=avatar_id, resolution=resolution,
                )  # fmt: skip
            session.add(row)
            session.flush()
            job = Job(owner_id=user_id, kind=JOB_KIND, subject_id=row.id,
                          payload={"swap_id": row.id, "duration_s": duration})  # fmt: skip
            session.add(job)
            session.flush()
            row.job_id = job.id
            spend.hold(session, job_id=job.id, user_id=user_id, project_id=project_id, estimate_usd=estimate)
            audit.record(session, "face_swap.consent", actor_id=user_id, project_id=project_id,
                             subject=parent_kind, detail={"swap_id": row.id, "statement": CONSENT_TEXT})  # fmt: skip
            swap_id, job_id = row.id, job.id
    except Exception:
        if stored_upload:
            remove_files(services, {stored_upload})
        raise
    services.queue.enqueue(job_id)
    return swap_id


def _store_upload(data: bytes, services: Services) -> tuple[str, float]:
    """Probed by content first: playlists (HLS), images and anything unreadable are refused."""
    if len(data) > services.settings.download_max_bytes:
        raise ValidationError(f"The video is over {services.settings.download_max_bytes / 1e6:.0f} MB.")
    with scratch_dir(services) as tmp:
        path = Path(tmp) / "upload.bin"
        path.write_bytes(data)
        info = services.media.probe(path)
        if not info.has_video:
            raise ValidationError("That file has no video in it.")
        if info.duration_s > services.settings.face_swap_max_seconds:
            raise ValidationError(
                f"The video is {info.duration_s:.0f} s; face swap takes up to "
                f"{services.settings.face_swap_max_seconds:.0f} s."
            )
        key = services.storage.put_file(
            MediaKind.VIDEO, path, name=f"faceswap/uploads/{uuid.uuid4().hex}", content_type="video/mp4"
        )
    return key, info.duration_s


def list_face_swaps(project_id: str, *, user_id: str, services: Services) -> list[FaceSwapView]:
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        rows = session.scalars(
            select(FaceSwap).where(FaceSwap.project_id == project_id).order_by(FaceSwap.created_at.desc())
        )
        return [_view(r) for r in rows]


def delete_face_swap(swap_id: str, *, user_id: str, services: Services) -> None:
    with services.db.session(user_id=user_id) as session:
        row = session.get(FaceSwap, swap_id)
        if row is None:
            raise NotFound("That face swap no longer exists.")
        project_with_right(session, row.project_id, user_id, Right.EDIT)
        keys = {row.video_key} if row.video_key else set()
        if row.parent_kind == "upload":
            keys.add(row.source_key)
        cancel_jobs(session, [row.job_id] if row.job_id else [])
        session.delete(row)
    remove_files(services, keys)
