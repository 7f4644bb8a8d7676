"""The audio library: voice-overs and music uploaded (probed by content, capped), the studio's
own speech copied in, listing with search and pagination. New voice-overs: voiceovers.py."""

from __future__ import annotations

import uuid
from pathlib import Path

from core.adapters.db.models.variant_factory import LibraryAudio
from core.adapters.media.files import format_mb, format_seconds
from core.adapters.media.probe import measure_audio_duration, probe_media, require_sniff
from core.domain.types import MediaKind
from core.errors import MediaRejected
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right
from core.services.scratch import scratch_dir
from core.services.variant_factory.media import clean_title
from core.services.variant_factory.search import list_library
from core.services.variant_factory.views import AudioView, Page

AUDIO_CONTAINERS = ("mp3", "wav", "m4a", "aac", "ogg")


def audio_view(row: LibraryAudio) -> AudioView:
    error = (row.error or {}).get("message") if row.error else None
    return AudioView(
        row.id,
        row.project_id,
        row.title,
        row.origin,
        row.status,
        row.audio_key,
        row.duration_s,
        row.size_bytes,
        row.script,
        error,
        row.created_at,
    )


def validate_audio_file(path: Path, *, max_bytes: int, max_duration_s: float) -> float:
    """A voice-over or music file by content: MP3, WAV, M4A/AAC or Ogg, with sound, capped. Returns seconds."""
    size = path.stat().st_size
    if size == 0:
        raise MediaRejected("This file is empty.")
    if size > max_bytes:
        raise MediaRejected(f"Your file is {format_mb(size)}; the limit is {format_mb(max_bytes)}.")
    sniffed = require_sniff(path)
    if sniffed.container not in AUDIO_CONTAINERS:
        raise MediaRejected("Please upload an MP3, WAV, M4A or Ogg audio file; this file is not one.")
    if not probe_media(path).has_audio:
        raise MediaRejected("This file has no sound in it.")
    try:
        duration = measure_audio_duration(path, sniffed)
    except MediaRejected:
        raise
    except Exception as exc:
        raise MediaRejected("This file is not an audio file we can read.") from exc
    if duration > max_duration_s + 0.05:
        raise MediaRejected(f"Your audio is {duration:.1f} s; the limit is {format_seconds(max_duration_s)}.")
    if duration < 0.2:
        raise MediaRejected("Your audio is too short to use.")
    return duration


def upload_audio(project_id: str, data: bytes, *, title: str, user_id: str, services: Services) -> str:
    settings = services.settings
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.EDIT)
    if len(data) > settings.factory_audio_max_bytes:
        raise MediaRejected(
            f"Your file is {format_mb(len(data))}; the limit is {format_mb(settings.factory_audio_max_bytes)}."
        )
    with scratch_dir(services) as tmp:
        raw = Path(tmp) / "upload.bin"
        raw.write_bytes(data)
        validate_audio_file(
            raw, max_bytes=settings.factory_audio_max_bytes, max_duration_s=settings.factory_audio_max_seconds
        )
        clip = services.media.transcode_audio_mp3(raw, Path(tmp) / "audio.mp3")
        key = services.storage.put_file(
            MediaKind.AUDIO, clip.path, name=f"library/{user_id}/{uuid.uuid4().hex}", content_type="audio/mpeg"
        )
        size = clip.path.stat().st_size
    return _add_audio(
        project_id,
        user_id,
        services,
        title=clean_title(title, "Uploaded audio"),
        origin="upload",
        audio_key=key,
        duration_s=clip.duration_s,
        size_bytes=size,
    )


def _add_audio(project_id: str, user_id: str, services: Services, **fields: object) -> str:
    with services.db.session(user_id=user_id) as session:
        row = LibraryAudio(owner_id=user_id, project_id=project_id, **fields)
        session.add(row)
        session.flush()
        return row.id


def list_audio(
    project_id: str,
    *,
    user_id: str,
    services: Services,
    query: str | None = None,
    origin: str | None = None,
    collection_id: str | None = None,
    page: int = 1,
    per_page: int = 24,
) -> Page:
    from core.adapters.db.models.variant_factory import CollectionAudio

    rows, total = list_library(
        services,
        user_id=user_id,
        model=LibraryAudio,
        project_id=project_id,
        query=query,
        filters=[LibraryAudio.origin == origin] if origin else [],
        membership=(CollectionAudio.audio_id, CollectionAudio.collection_id),
        collection_id=collection_id,
        page=page,
        per_page=per_page,
    )
    return Page(tuple(audio_view(r) for r in rows), total, page, per_page)
