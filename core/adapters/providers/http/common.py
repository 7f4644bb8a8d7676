"""What every cloud adapter shares: HTTP error translation and turning result URLs into media.

Errors follow one rule (architecture.md "Paid calls"): 408/425/429/503 and failures to
connect become `TransientError` (nothing was done; with the server's Retry-After); a
500/502/504, a read timeout or a connection dropped after sending become `AnswerLost`
(a `TransientError` too, but on a paid submit it means "the provider may have started
this"); other refusals become `ProviderError` in plain words. Raw bodies go to the log only.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import random
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from core.adapters.providers.http.download import GuardedDownloader
from core.domain.media import AudioClip, ImageFile, MediaInfo, VideoFile
from core.errors import AnswerLost, MediaRejected, ProviderError, TransientError

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


# A 503 (and 408/425/429) means the service refused to take the request; a 500, 502 or 504
# means it may have got as far as creating the work before failing to answer.
_REFUSED_STATUS = frozenset({408, 425, 429, 503})
_SECRETS = re.compile(r"(?i)(key|bearer|token|secret|password|authorization)([\s:=\"']+)[^\s\"',;&]+")
_LONG_TOKENS = re.compile(r"[A-Za-z0-9_\-]{32,}")
_MARKUP = re.compile(r"<\s*[a-zA-Z!/][^>]*>")


def mask_secrets(text: str) -> str:
    """Text for the log: key-like values and long tokens hidden."""
    return _LONG_TOKENS.sub("***", _SECRETS.sub(r"\1\2***", text))


def plain_reason(reason: str) -> str:
    """The provider's reason, if it is a short sentence a creator can read; "" for markup
    (an ingress HTML page), stack traces and other noise, which only the log gets."""
    text = " ".join((reason or "").split())
    if not text or _MARKUP.search(text) or len(text) > 240 or "Traceback" in text:
        return ""
    return mask_secrets(text)


def error_for_status(
    status: int,
    headers: Mapping[str, str],
    reason: str,
    *,
    provider: str,
    what: str,
    unanswered_5xx: bool = True,
) -> ProviderError:
    """The error to raise for a non-2xx answer to `what` (e.g. "the lip-sync request").

    The raw body goes to the log (secrets masked), never into the message a creator sees.
    `unanswered_5xx=False` for providers that document a 5xx as "nothing was done" (Google).
    """
    if reason:
        logger.warning("%s answered %s on %s: %s", provider, status, what, mask_secrets(reason.strip()[:1000]))
    said = plain_reason(reason)
    if is_transient_status(status):
        kind = AnswerLost if unanswered_5xx and status >= 500 and status not in _REFUSED_STATUS else TransientError
        return kind(
            f"{provider} is busy or having trouble right now (error {status}) on {what}.",
            retry_after_s=retry_after_s(headers),
            provider=provider,
            status_code=status,
        )
    tail = f" {provider} said: {said}" if said else ""
    if status in (401, 403):
        text = f"{provider} rejected our API key ({status}); check the key in settings.{tail}"
    elif status == 402:
        text = f"The {provider} account has run out of credits.{tail}"
    elif status == 404:
        text = f"{provider} does not know {what} (404).{tail}"
    else:
        text = f"{provider} refused {what} (error {status}).{tail}"
    return ProviderError(text, provider=provider, status_code=status)


# Nothing reached the provider: no connection, DNS, TLS handshake, no free connection.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol, httpx.ProxyError)


def transport_error(exc: Exception, *, provider: str, what: str) -> TransientError:
    """`TransientError` when the request never left; `AnswerLost` when it may have arrived."""
    if isinstance(exc, (*NOT_SENT, ConnectionRefusedError)):
        return TransientError(f"{provider} could not be reached on {what}.", provider=provider)
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return AnswerLost(f"{provider} did not answer in time on {what}.", provider=provider)
    return AnswerLost(f"The connection to {provider} dropped on {what}.", provider=provider)


@contextmanager
def translating_transport(provider: str, what: str) -> Iterator[None]:
    """Turn httpx transport failures inside the block into TransientError / AnswerLost."""
    try:
        yield
    except httpx.TransportError as exc:
        raise transport_error(exc, provider=provider, what=what) from exc


def send(client: httpx.Client, method: str, url: str, *, provider: str, what: str, **kwargs: Any) -> httpx.Response:
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
            delay = min(bound, 5.0) * random.uniform(0.5, 1.0)
            logger.warning("attempt %d failed (%s); retrying in %.1fs", attempt, exc.message, delay)
            sleep(delay)
    raise AssertionError("unreachable")
