"""What every cloud adapter shares: HTTP error translation and turning result URLs into media.

Errors follow one rule (architecture.md "Retries"): 408/429/5xx, timeouts and dropped
connections become `TransientError` (with the server's Retry-After when it sent one);
other refusals become `ProviderError` with the provider's reason in plain words.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from core.adapters.providers.download import GuardedDownloader
from core.domain.media import AudioClip, ImageFile, MediaInfo, VideoFile
from core.errors import MediaRejected, ProviderError, TransientError

logger = logging.getLogger(__name__)

Probe = Callable[[Path], MediaInfo]

_TRANSIENT_STATUS = frozenset({408, 425, 429})


T = TypeVar("T")


def retry_after_s(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    value = (headers.get("retry-after") or headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def is_transient_status(status: int) -> bool:
    return status in _TRANSIENT_STATUS or status >= 500


def error_for_status(
    status: int, headers: Mapping[str, str], reason: str, *, provider: str, what: str
) -> ProviderError:
    """The error to raise for a non-2xx answer to `what` (e.g. "the lip-sync request")."""
    reason = (reason or "").strip()[:500] or "no reason given"
    if is_transient_status(status):
        return TransientError(
            f"{provider} is busy or failing ({status}) on {what}: {reason}",
            retry_after_s=retry_after_s(headers),
            provider=provider,
            status_code=status,
        )
    if status in (401, 403):
        text = f"{provider} rejected our API key ({status}); check the key in settings. {reason}"
    elif status == 402:
        text = f"The {provider} account has run out of credits: {reason}"
    elif status == 404:
        text = f"{provider} does not know {what} (404): {reason}"
    else:
        text = f"{provider} refused {what} ({status}): {reason}"
    return ProviderError(text, provider=provider, status_code=status)


def transport_error(exc: Exception, *, provider: str, what: str) -> TransientError:
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return TransientError(f"{provider} did not answer in time on {what}.", provider=provider)
    return TransientError(f"The connection to {provider} dropped on {what}.", provider=provider)


@contextmanager
def translating_transport(provider: str, what: str) -> Iterator[None]:
    """Turn httpx transport failures inside the block into TransientError."""
    try:
        yield
    except httpx.TransportError as exc:
        raise transport_error(exc, provider=provider, what=what) from exc


def send(
    client: httpx.Client, method: str, url: str, *, provider: str, what: str, **kwargs: Any
) -> httpx.Response:
    with translating_transport(provider, what):
        return client.request(method, url, **kwargs)


def json_body(response: httpx.Response, *, provider: str, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise TransientError(
            f"{provider} sent an unreadable answer on {what}.", provider=provider, status_code=response.status_code
        ) from exc


def sync_request_id(prefix: str) -> str:
    """An id for providers that answer in one call: nothing to poll, work happens in collect."""
    return f"{prefix}:{uuid.uuid4().hex}"


def ref_of(request_id: str) -> str:
    """A short, filename-safe token derived from a request id."""
    return hashlib.sha256(request_id.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- media results

_CONTENT_TYPES = (
    ("png", "image/png", ".png"),
    ("jpeg", "image/jpeg", ".jpg"),
    ("jpg", "image/jpeg", ".jpg"),
    ("webp", "image/webp", ".webp"),
    ("wav", "audio/wav", ".wav"),
    ("mp3", "audio/mpeg", ".mp3"),
    ("ogg", "audio/ogg", ".ogg"),
    ("mp4", "video/mp4", ".mp4"),
    ("mov", "video/mp4", ".mp4"),
    ("webm", "video/webm", ".webm"),
)


def content_type_of(info: MediaInfo) -> tuple[str, str]:
    """(MIME type, suffix) for a probed container name such as "png_pipe" or "mov,mp4,m4a"."""
    container = info.container.lower()
    for key, mime, suffix in _CONTENT_TYPES:
        if key in container:
            return mime, suffix
    return "application/octet-stream", ".bin"


def image_probe(path: Path) -> MediaInfo:
    """Probe for image results (the FFmpeg toolkit's probe reads audio and video only):
    Pillow, PNG/JPEG/WebP only, size checked before decoding (core.adapters.media.images)."""
    from core.adapters.media.images import load_image_safely

    image = load_image_safely(path)
    return MediaInfo(
        container=str(image.format or "").lower(),
        duration_s=0.0,
        has_audio=False,
        has_video=False,
        width=image.width,
        height=image.height,
    )


def _kind_ok(info: MediaInfo, kind: str) -> bool:
    if kind == "image":
        return bool(info.width and info.height) and not info.has_audio
    if kind == "audio":
        return info.has_audio and info.duration_s > 0
    return info.has_video and info.duration_s > 0 and bool(info.width and info.height)


def probe_as(path: Path, kind: str, probe: Probe) -> tuple[Path, MediaInfo, str]:
    """Probe a downloaded file, insist it is `kind`, and rename it to its real suffix.

    Returns (final path, info, MIME type). The file is deleted when it is refused.
    """
    try:
        info = probe(path)
    except Exception as exc:
        path.unlink(missing_ok=True)
        if isinstance(exc, MediaRejected):
            raise
        raise MediaRejected(f"The provider's result is not a readable {kind} file.") from exc
    if not _kind_ok(info, kind):
        path.unlink(missing_ok=True)
        raise MediaRejected(f"The provider returned a {info.container} file where a {kind} was expected.")
    mime, suffix = content_type_of(info)
    final = path.with_suffix(suffix)
    if final != path:
        path.replace(final)
    return final, info, mime


def fetch_media(
    downloader: GuardedDownloader,
    probe: Probe,
    url: str,
    dest_dir: Path,
    stem: str,
    kind: str,
    *,
    headers: Mapping[str, str] | None = None,
) -> tuple[Path, MediaInfo, str]:
    dest_dir.mkdir(parents=True, exist_ok=True)
    raw = downloader.fetch(url, dest_dir / f"{stem}.download", headers=headers)
    return probe_as(raw, kind, probe)


def image_file(path: Path, info: MediaInfo, mime: str) -> ImageFile:
    return ImageFile(path=path, width=int(info.width or 0), height=int(info.height or 0), content_type=mime)


def audio_clip(path: Path, info: MediaInfo, mime: str) -> AudioClip:
    return AudioClip(path=path, duration_s=info.duration_s, content_type=mime)


def video_file(path: Path, info: MediaInfo, mime: str) -> VideoFile:
    return VideoFile(
        path=path,
        duration_s=info.duration_s,
        width=int(info.width or 0),
        height=int(info.height or 0),
        content_type=mime,
    )


def guess_mime(path: Path) -> str:
    suffix = path.suffix.lower()
    for _key, mime, known in _CONTENT_TYPES:
        if known == suffix:
            return mime
    return {".jpeg": "image/jpeg", ".m4a": "audio/mp4"}.get(suffix, "application/octet-stream")


def retry_idempotent(
    call: Callable[[], T], *, attempts: int = 4, base_s: float = 0.25, sleep: Callable[[float], None] = time.sleep
) -> T:
    """Retry a request that is safe to repeat (an upload, a read) on transient errors.

    Never wrap a paid submission in this: a lost answer could mean it was created.
    """
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except TransientError as exc:
            if attempt == attempts:
                raise
            bound = max(base_s * 2 ** (attempt - 1), exc.retry_after_s or 0.0)
            sleep(min(bound, 5.0) * random.uniform(0.5, 1.0))
    raise AssertionError("unreachable")
