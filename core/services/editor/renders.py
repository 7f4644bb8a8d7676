"""Preview proxies (rendered while the page waits, cached per document) and exports (a durable
job per export, from the sources of one recorded version, landing beside the original).

Both render from the original sources in one encode; an export never starts from another
export or from the proxy.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from core.adapters.db.models.ads import AdAsset, AdOutput
from core.adapters.db.models.editor import Edit, EditExport
from core.adapters.db.models.jobs import Job
from core.adapters.db.models.variant_factory import LibraryAudio, LibraryVideo
from core.adapters.media.edit_render import (
    EditRenderer,
    export_settings,
    frame_settings,
    proxy_settings,
    prune_segments,
)
from core.adapters.media.ffmpeg import FfmpegToolkit
from core.adapters.media.probe import validate_audio_upload
from core.domain.edit import AudioItem, EditDoc, SfxItem, source_keys, total_s
from core.domain.media import MediaInfo
from core.domain.types import MediaKind
from core.errors import MediaRejected, NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right, project_with_right
from core.services.editor import edits
from core.services.editor.sources import scratch, short_id
from core.services.scratch import scratch_dir
from core.services.talking.projects import remove_files

EXPORT_JOB = "edit_export"
SFX_MAX_S = 60.0  # a sound effect, not a song


@dataclass(frozen=True, slots=True)
class ExportView:
    id: str
    edit_version: int
    status: str
    progress: float
    settings: dict[str, str]
    video_key: str | None
    result_kind: str | None
    result_id: str | None
    error: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MediaChoice:
    key: str
    duration_s: float
    label: str


def fetch_sources(doc: EditDoc, services: Services) -> dict[str, Path]:
    """Every source of the document as a local file, cached by key under the editor's scratch."""
    cache = scratch(services) / "sources"
    cache.mkdir(parents=True, exist_ok=True)
    found = {}
    for key in source_keys(doc):
        local = cache / hashlib.sha256(key.encode()).hexdigest()
        if not local.exists():
            part = local.with_suffix(f".{uuid.uuid4().hex[:8]}.part")
            try:
                services.storage.download_to(key, part)
            except (FileNotFoundError, NotFound) as exc:
                raise NotFound("A file this edit uses no longer exists (was its ad or video deleted?).") from exc
            part.replace(local)  # whole files only: a broken download never stays in the cache
        found[key] = local
    return found


def _renderer(services: Services) -> EditRenderer:
    return EditRenderer(FfmpegToolkit(timeout_s=900.0))


def _digest(doc: EditDoc) -> str:
    return hashlib.sha256(json.dumps(doc.to_dict(), sort_keys=True).encode()).hexdigest()[:24]


def proxy(edit_id: str, *, user_id: str, services: Services) -> Path:
    """The low-resolution preview of the edit's current version (made once per document; the
    clips' segments are kept across versions, so a changed caption or trim re-renders little)."""
    doc = edits.get_edit(edit_id, user_id=user_id, services=services).document
    dest = scratch(services) / "proxies" / f"{_digest(doc)}.mp4"
    if not dest.exists():
        segments = scratch(services) / "segments"
        _renderer(services).render_proxy(doc, fetch_sources(doc, services), dest, proxy_settings(doc.aspect), segments)
        prune_segments(segments)
    return dest


def frame_at(edit_id: str, at_s: float, *, user_id: str, services: Services) -> Path:
    """The frame of the edit's current version at `at_s` seconds (JPEG), made once per frame."""
    doc = edits.get_edit(edit_id, user_id=user_id, services=services).document
    settings = frame_settings(doc.aspect)
    at = float(at_s)
    if at != at or not 0 <= at <= total_s(doc) + 0.05:
        raise ValidationError(f"The playhead goes from 0 to {total_s(doc):.2f} s.")
    index = math.floor(at * settings.fps + 1e-6)
    dest = scratch(services) / "frames" / f"{_digest(doc)}-{index:05d}.jpg"
    if not dest.exists():
        _renderer(services).frame(doc, fetch_sources(doc, services), index / settings.fps, dest, settings)
        prune_segments(dest.parent, pattern="*.jpg")
    return dest


def start_export(
    edit_id: str, *, resolution: str, container: str, quality: str, user_id: str, services: Services
) -> str:
    view = edits.get_edit(edit_id, user_id=user_id, services=services)
    export_settings(resolution, container, quality, view.document.aspect)  # refuses unknown presets here
    settings = {"resolution": resolution, "container": container, "quality": quality, "aspect": view.document.aspect}
    with services.db.session(user_id=user_id) as session:
        edit = session.get(Edit, edit_id)
        if edit is None:
            raise NotFound("That edit no longer exists.")
        project_with_right(session, edit.project_id, user_id, Right.EDIT)
        row = EditExport(edit_id=edit_id, edit_version=view.version, owner_id=user_id, settings=settings)
        session.add(row)
        session.flush()
        job = Job(owner_id=user_id, kind=EXPORT_JOB, subject_id=row.id, payload={"export_id": row.id})
        session.add(job)
        session.flush()
        row.job_id = job.id
        audit.record(
            session,
            "edit.export",
            actor_id=user_id,
            project_id=edit.project_id,
            subject="edit",
            detail={"edit_id": edit_id, "version": view.version, **settings},
        )
        export_id, job_id = row.id, job.id
    services.queue.enqueue(job_id)
    return export_id


def list_exports(edit_id: str, *, user_id: str, services: Services) -> list[ExportView]:
    with services.db.session(user_id=user_id) as session:
        edit = session.get(Edit, edit_id)
        if edit is None:
            raise NotFound("That edit no longer exists.")
        project_with_right(session, edit.project_id, user_id, Right.VIEW)
        rows = list(
            session.scalars(select(EditExport).where(EditExport.edit_id == edit_id).order_by(EditExport.created_at))
        )
    progress = _progress(services, [r.job_id for r in rows if r.job_id])  # the right was checked above
    return [
        ExportView(
            r.id,
            r.edit_version,
            r.status,
            1.0 if r.status == "ready" else progress.get(r.job_id or "", 0.0),
            dict(r.settings),
            r.video_key,
            r.result_kind,
            r.result_id,
            (r.error or {}).get("message"),
            r.created_at,
        )
        for r in reversed(rows)
    ]


def _progress(services: Services, job_ids: list[str]) -> dict[str, float]:
    if not job_ids:
        return {}
    with services.db.session() as session:
        return dict(session.execute(select(Job.id, Job.progress).where(Job.id.in_(job_ids))).all())


def export_file(export_id: str, *, user_id: str, services: Services) -> tuple[bytes, str]:
    """(bytes, content type) of a finished export, for a viewer or better of its project."""
    with services.db.session(user_id=user_id) as session:
        row = session.get(EditExport, export_id)
        edit = session.get(Edit, row.edit_id) if row else None
        if row is None or edit is None or not row.video_key:
            raise NotFound("That export is not ready or no longer exists.")
        project_with_right(session, edit.project_id, user_id, Right.VIEW)
        key, container = row.video_key, row.settings.get("container", "mp4")
    return services.storage.read_bytes(key), "video/webm" if container == "webm" else "video/mp4"


# --------------------------------------------------------------------------- media for the edit


def _store_audio_upload(
    edit_id: str, data: bytes, *, what: str, prefix: str, max_s: float, user_id: str, services: Services
) -> tuple[edits.EditView, str, MediaInfo]:
    """An uploaded audio file for this edit, probed by content (MP3 or WAV with sound; a playlist,
    a video or anything else is refused) and capped in size and length; its stored key."""
    view = edits.get_edit(edit_id, user_id=user_id, services=services)
    if not view.can_edit:
        raise ValidationError("As a viewer of this project you cannot change its edits.")
    limit = services.settings.factory_audio_max_bytes
    if len(data) > limit:
        raise ValidationError(f"The {what} is over {limit / 1e6:.0f} MB.")
    with scratch_dir(services) as tmp:
        path = tmp / "upload.bin"
        path.write_bytes(data)
        try:
            info = validate_audio_upload(path, max_bytes=limit, max_duration_s=max_s)
        except MediaRejected as exc:
            raise ValidationError(f"That {what} cannot be used: {exc}") from exc
        name = f"edits/{edit_id}/{prefix}-{uuid.uuid4().hex[:12]}"
        kind = "audio/wav" if info.container == "wav" else "audio/mpeg"
        key = services.storage.put_file(MediaKind.AUDIO, path, name=name, content_type=kind)
    return view, key, info


def music_upload(edit_id: str, data: bytes, *, user_id: str, services: Services) -> AudioItem:
    """An uploaded music bed, cut to the edit's length (plus room for a fade)."""
    longest = services.settings.factory_audio_max_seconds
    view, key, info = _store_audio_upload(
        edit_id, data, what="music file", prefix="music", max_s=longest, user_id=user_id, services=services
    )
    length = min(info.duration_s, total_s(view.document) + 5.0)
    return AudioItem(short_id(), key, info.duration_s, 0.0, 0.0, length, "Uploaded music")


def sfx_upload(edit_id: str, data: bytes, *, at_s: float, user_id: str, services: Services) -> SfxItem:
    """An uploaded sound effect, checked as music uploads are, placed at `at_s`."""
    longest = min(SFX_MAX_S, services.settings.factory_audio_max_seconds)
    _view, key, info = _store_audio_upload(
        edit_id, data, what="sound file", prefix="sfx", max_s=longest, user_id=user_id, services=services
    )
    return SfxItem(short_id(), key, info.duration_s, float(at_s), 0.0, info.duration_s, "Uploaded sound")


def sfx_from_library(choice: MediaChoice, at_s: float) -> SfxItem:
    return SfxItem(short_id(), choice.key, choice.duration_s, float(at_s), 0.0, choice.duration_s, choice.label)


def discard_upload(item: AudioItem | SfxItem, services: Services) -> None:
    remove_files(services, {item.source_key})


def music_choices(edit_id: str, *, user_id: str, services: Services) -> list[MediaChoice]:
    view = edits.get_edit(edit_id, user_id=user_id, services=services)
    with services.db.session(user_id=user_id) as session:
        rows = session.scalars(
            select(LibraryAudio).where(LibraryAudio.project_id == view.project_id, LibraryAudio.status == "ready")
        )
        return [MediaChoice(r.audio_key, float(r.duration_s), r.title) for r in rows if r.audio_key and r.duration_s]


def clip_choices(edit_id: str, *, user_id: str, services: Services) -> list[MediaChoice]:
    """Other takes of the ad's scenes and the project's library videos, for "replace clip"."""
    view = edits.get_edit(edit_id, user_id=user_id, services=services)
    out: list[MediaChoice] = []
    with services.db.session(user_id=user_id) as session:
        if view.source_kind == "ad_output":
            output = session.get(AdOutput, view.source_id)
            takes = session.scalars(
                select(AdAsset).where(
                    AdAsset.ad_id == (output.ad_id if output else ""),
                    AdAsset.kind == "clip",
                    AdAsset.status == "ready",
                )
            )
            out += [
                MediaChoice(a.media_key, float(a.duration_s), f"Take {a.attempt} (variant {a.variant})")
                for a in takes
                if a.media_key and a.duration_s
            ]
        videos = session.scalars(select(LibraryVideo).where(LibraryVideo.project_id == view.project_id))
        out += [MediaChoice(v.video_key, float(v.duration_s), f"Library: {v.title}") for v in videos]
    return out
