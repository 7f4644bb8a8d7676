"""The video library: uploads probed by content (in their job, see uploads.py), studio outputs
copied in, listing with search and pagination, rename and delete (videos and audio). Rights are
the project's, as for videos."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.adapters.db.models.ads import Ad, AdOutput
from core.adapters.db.models.talking import VideoAsset
from core.adapters.db.models.variant_factory import LibraryUpload, LibraryVideo
from core.adapters.media.library_video import normalise_video, validate_video_upload
from core.domain.media import VideoFile
from core.domain.types import MediaKind
from core.errors import MediaRejected, NotFound
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right, project_with_right
from core.services.scratch import scratch_dir
from core.services.variant_factory.search import list_library
from core.services.variant_factory.views import Page, VideoView

logger = logging.getLogger(__name__)

MAX_TITLE = 160


def clean_title(title: str | None, fallback: str) -> str:
    text = " ".join((title or "").split())[:MAX_TITLE]
    return text or fallback


def video_view(row: LibraryVideo) -> VideoView:
    return VideoView(
        row.id,
        row.project_id,
        row.title,
        row.kind,
        row.origin,
        row.video_key,
        row.poster_key,
        row.duration_s,
        row.width,
        row.height,
        row.size_bytes,
        row.parent_id,
        row.created_at,
    )


# --------------------------------------------------------------------------- videos


def _store_video(services: Services, path: Path, poster_from: Path, owner: str) -> tuple[str, str | None]:
    name = f"library/{owner}/{uuid.uuid4().hex}"
    key = services.storage.put_file(MediaKind.VIDEO, path, name=name, content_type="video/mp4")
    try:
        poster = services.media.poster_frame(poster_from, path.with_suffix(".jpg"), at_s=0.5)
        poster_key = services.storage.put_file(
            MediaKind.IMAGE, poster.path, name=name + "-poster", content_type="image/jpeg"
        )
    except MediaRejected:
        poster_key = None
    return key, poster_key


def prepare_upload(services: Services, raw: Path, work: Path) -> tuple[VideoFile, bool]:
    """Probe an uploaded file by content (never its name), cap it and normalise it to an H.264/AAC
    MP4 in `work`: (the video, whether it was transcoded). Runs in the upload's job."""
    settings = services.settings
    info = validate_video_upload(
        raw, max_bytes=settings.factory_video_max_bytes, max_duration_s=settings.factory_video_max_seconds
    )
    return normalise_video(services.media, raw, work / "video.mp4", info)


def add_uploaded_video(session: Session, upload: LibraryUpload, out: dict[str, Any]) -> LibraryVideo:
    """The library row of a prepared upload (`out`: the upload job's outputs), in the job's session."""
    row = LibraryVideo(
        owner_id=upload.owner_id,
        project_id=upload.project_id,
        title=upload.title,
        kind="source",
        origin="upload",
        video_key=out["video_key"],
        poster_key=out.get("poster_key"),
        duration_s=out["duration_s"],
        width=out["width"],
        height=out["height"],
        size_bytes=int(out.get("size_bytes") or 0),
    )
    session.add(row)
    session.flush()
    logger.info("library video %s uploaded (%s)", row.id, "transcoded" if out.get("transcoded") else "remuxed")
    return row


def _studio_source(session: Session, project_id: str, source_id: str) -> tuple[str, str, float | None]:
    """(video key, title, duration) of a finished talking video or ad output of the project."""
    video = session.get(VideoAsset, source_id)
    if video is not None and video.project_id == project_id and video.status == "ready" and video.video_key:
        return video.video_key, (video.source_text or "Talking video")[:60], video.duration_s
    output = session.get(AdOutput, source_id)
    ad = session.get(Ad, output.ad_id) if output else None
    if output is not None and ad is not None and ad.project_id == project_id and output.video_key:
        return output.video_key, f"{ad.title or ad.product_name or 'Ad'} {output.aspect}", output.duration_s
    raise NotFound("That studio video is not finished in this project.")


def add_studio_video(project_id: str, source_id: str, *, user_id: str, services: Services, kind: str = "source") -> str:
    """Copy a finished talking video or ad into the library (its own file: deleting one keeps the other)."""
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.EDIT)
        key, title, _ = _studio_source(session, project_id, source_id)
    return _copy_in(
        project_id,
        key,
        title=title,
        user_id=user_id,
        services=services,
        kind=kind,
        origin="studio",
        source_ref=source_id,
    )


def _copy_in(
    project_id: str,
    key: str,
    *,
    title: str,
    user_id: str,
    services: Services,
    kind: str,
    origin: str,
    source_ref: str | None = None,
    parent_id: str | None = None,
) -> str:
    with scratch_dir(services) as tmp:
        path = services.storage.download_to(key, Path(tmp) / "video.mp4")
        info = services.media.probe(path)
        new_key, poster_key = _store_video(services, path, path, user_id)
        size = path.stat().st_size
    with services.db.session(user_id=user_id) as session:
        row = LibraryVideo(
            owner_id=user_id,
            project_id=project_id,
            title=clean_title(title, "Video"),
            kind=kind,
            origin=origin,
            source_ref=source_ref,
            parent_id=parent_id,
            video_key=new_key,
            poster_key=poster_key,
            duration_s=info.duration_s,
            width=info.width or 0,
            height=info.height or 0,
            size_bytes=size,
        )
        session.add(row)
        session.flush()
        return row.id


def list_videos(
    project_id: str,
    *,
    user_id: str,
    services: Services,
    query: str | None = None,
    kind: str | None = None,
    collection_id: str | None = None,
    page: int = 1,
    per_page: int = 24,
) -> Page:
    from core.adapters.db.models.variant_factory import CollectionVideo

    rows, total = list_library(
        services,
        user_id=user_id,
        model=LibraryVideo,
        project_id=project_id,
        query=query,
        filters=[LibraryVideo.kind == kind] if kind else [],
        membership=(CollectionVideo.video_id, CollectionVideo.collection_id),
        collection_id=collection_id,
        page=page,
        per_page=per_page,
    )
    return Page(tuple(video_view(r) for r in rows), total, page, per_page)


def rename(model: type, item_id: str, title: str, *, user_id: str, services: Services) -> None:
    with services.db.session(user_id=user_id) as session:
        row = _item(session, model, item_id, user_id, Right.EDIT)
        row.title = clean_title(title, row.title)


def _item(session: Session, model: type, item_id: str, user_id: str, need: Right):  # type: ignore[no-untyped-def]
    row = session.get(model, item_id)
    if row is None:
        raise NotFound("That library item no longer exists.")
    project_with_right(session, row.project_id, user_id, need)
    return row


def delete_item(model: type, item_id: str, *, user_id: str, services: Services) -> None:
    """Delete a library video or audio and its files (collections forget it; variants keep theirs)."""
    with services.db.session(user_id=user_id) as session:
        row = _item(session, model, item_id, user_id, Right.EDIT)
        keys = [
            k
            for k in (
                getattr(row, "video_key", None),
                getattr(row, "poster_key", None),
                getattr(row, "audio_key", None),
            )
            if k
        ]
        audit.record(
            session,
            "library.deleted",
            actor_id=user_id,
            project_id=row.project_id,
            subject=row.title[:80],
            detail={"id": row.id},
        )
        session.delete(row)
    for key in keys:
        services.storage.delete(key)


def studio_sources(project_id: str, *, user_id: str, services: Services) -> list[tuple[str, str]]:
    """(id, label) of the project's finished talking videos and ad outputs, newest first."""
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        talking = session.execute(
            select(VideoAsset.id, VideoAsset.source_text)
            .where(VideoAsset.project_id == project_id, VideoAsset.status == "ready", VideoAsset.video_key.is_not(None))
            .order_by(VideoAsset.created_at.desc())
            .limit(100)
        ).all()
        ads = session.execute(
            select(AdOutput.id, Ad.title, Ad.product_name, AdOutput.aspect)
            .join(Ad, Ad.id == AdOutput.ad_id)
            .where(Ad.project_id == project_id, AdOutput.video_key.is_not(None))
            .order_by(AdOutput.created_at.desc())
            .limit(100)
        ).all()
    out = [(vid, f"Talking video: {(text or 'recorded audio')[:50]}") for vid, text in talking]
    return out + [(oid, f"Ad: {title or product or 'untitled'} ({aspect})") for oid, title, product, aspect in ads]


def delete_video(video_id: str, *, user_id: str, services: Services) -> None:
    delete_item(LibraryVideo, video_id, user_id=user_id, services=services)


def delete_audio(audio_id: str, *, user_id: str, services: Services) -> None:
    from core.adapters.db.models.variant_factory import LibraryAudio

    delete_item(LibraryAudio, audio_id, user_id=user_id, services=services)
