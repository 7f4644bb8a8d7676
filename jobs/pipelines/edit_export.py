"""An editor export: one render of a recorded edit version from its sources (one lossy encode),
stored and placed beside the original: a new output of the same ad, or a new version of the
talking video (its parent is the original). The export row records the edit version."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import AdOutput
from core.adapters.db.models.editor import Edit, EditExport, EditVersion
from core.adapters.db.models.jobs import Job
from core.adapters.db.models.talking import VideoAsset
from core.adapters.media.edit_render import EditRenderer, export_settings
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.domain.edit import EditDoc, source_keys
from core.domain.types import ErrorInfo, MediaKind
from core.errors import JobCancelled
from core.ports_services import Services
from core.services.editor.renders import EXPORT_JOB
from jobs.context import StepContext
from jobs.pipeline import Pipeline, Step, register
from jobs.pipelines.common import delete_keys, error_dict, stored_keys_of

logger = logging.getLogger(__name__)
PROGRESS_STEP = 0.05  # write the job's progress at most every 5 % of the render


def _load(ctx: StepContext) -> tuple[EditDoc, dict[str, Any]]:
    with ctx.services.db.session() as session:
        row = session.get(EditExport, ctx.payload["export_id"])
        version = (
            session.scalar(
                select(EditVersion).where(EditVersion.edit_id == row.edit_id, EditVersion.version == row.edit_version)
            )
            if row
            else None
        )
        if row is None or version is None:
            raise JobCancelled("The edit was deleted.")
        return EditDoc.from_dict(version.document), dict(row.settings)


def _progress_writer(ctx: StepContext):  # type: ignore[no-untyped-def]
    written = [0.0]

    def write(fraction: float) -> None:
        if fraction - written[0] < PROGRESS_STEP and fraction < 1.0:
            return
        written[0] = fraction
        with ctx.services.db.session() as session:
            job = session.get(Job, ctx.job_id)
            if job is not None:
                job.progress = max(job.progress, min(0.95, 0.9 * fraction))

    return write


def render(ctx: StepContext) -> dict[str, Any]:
    doc, chosen = _load(ctx)
    settings = export_settings(chosen["resolution"], chosen["container"], chosen["quality"], doc.aspect)
    sources = {key: ctx.fetch(key) for key in source_keys(doc)}  # clips, voice, music and sound effects
    toolkit = FfmpegToolkit(timeout_s=1800.0)
    dest = ctx.work_dir / f"export.{settings.container}"
    video = EditRenderer(toolkit).render(doc, sources, dest, settings, on_progress=_progress_writer(ctx))
    video_key = ctx.store(MediaKind.VIDEO, video.path, label="export", content_type=settings.content_type)
    poster = toolkit.poster_frame(video.path, ctx.work_dir / "poster.jpg", at_s=1.0)
    poster_key = ctx.store(MediaKind.IMAGE, poster.path, label="poster", content_type="image/jpeg")
    return {
        "video_key": video_key,
        "poster_key": poster_key,
        "duration_s": video.duration_s,
        "width": video.width,
        "height": video.height,
        "captions": [{"start_s": c.start_s, "end_s": c.end_s, "text": c.text} for c in doc.captions],
    }


def _export(session: Session, job: Job) -> tuple[EditExport | None, Edit | None]:
    row = session.get(EditExport, job.subject_id) if job.subject_id else None
    return row, (session.get(Edit, row.edit_id) if row else None)


def _place_beside_ad(session: Session, edit: Edit, job: Job, out: dict[str, Any], aspect: str) -> str | None:
    original = session.get(AdOutput, edit.source_id)
    if original is None:
        return None
    row = AdOutput(
        ad_id=original.ad_id,
        job_id=job.id,
        aspect=aspect,
        video_key=out["video_key"],
        poster_key=out["poster_key"],
        duration_s=out["duration_s"],
        width=out["width"],
        height=out["height"],
        captions=out["captions"],
        encode_passes=1,
    )
    session.add(row)
    session.flush()
    return row.id


def _place_beside_video(session: Session, edit: Edit, job: Job, out: dict[str, Any]) -> str | None:
    original = session.get(VideoAsset, edit.source_id)
    if original is None:
        return None
    root = original.parent_id or original.id
    latest = (
        session.scalar(
            select(func.max(VideoAsset.version)).where((VideoAsset.parent_id == root) | (VideoAsset.id == root))
        )
        or 1
    )
    row = VideoAsset(
        owner_id=job.owner_id,
        project_id=original.project_id,
        actor_id=original.actor_id,
        variant_id=original.variant_id,
        image_prompt=original.image_prompt,
        source_type=original.source_type,
        source_text=original.source_text,
        audio_key=original.audio_key,
        image_key=original.image_key,
        video_key=out["video_key"],
        poster_key=out["poster_key"],
        duration_s=out["duration_s"],
        status="completed",
        seed=original.seed,
        parent_id=root,
        version=latest + 1,
        job_id=job.id,
    )
    session.add(row)
    session.flush()
    return row.id


def on_completed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    row, edit = _export(session, job)
    out = next((s.output for s in job.steps if s.name == "render" and s.output), {}) or {}
    if row is None or edit is None or not out:
        delete_keys(services, stored_keys_of(session, job.id))
        return
    if edit.source_kind == "ad_output":
        row.result_kind, row.result_id = "ad_output", _place_beside_ad(session, edit, job, out, row.settings["aspect"])
    else:
        row.result_kind, row.result_id = "video", _place_beside_video(session, edit, job, out)
    row.status, row.video_key = "ready", out["video_key"]


def on_failed(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    row, _ = _export(session, job)
    if row is not None:
        row.status, row.error = "failed", error_dict(error)


def on_cancelled(services: Services, session: Session, job: Job, error: ErrorInfo | None) -> None:
    row, _ = _export(session, job)
    if row is not None:
        row.status = "cancelled"
    delete_keys(services, stored_keys_of(session, job.id))


PIPELINE = register(
    Pipeline(
        kind=EXPORT_JOB,
        steps=(Step("render", render),),
        on_completed=on_completed,
        on_failed=on_failed,
        on_cancelled=on_cancelled,
    )
)
