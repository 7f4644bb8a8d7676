"""Media values passed between ports: local files plus what probing learned about them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What probing a file by its content found."""

    container: str
    duration_s: float
    has_audio: bool
    has_video: bool
    audio_codec: str | None = None
    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    sample_rate: int | None = None
    channels: int | None = None


@dataclass(frozen=True, slots=True)
class AudioClip:
    path: Path
    duration_s: float
    content_type: str = "audio/mpeg"


@dataclass(frozen=True, slots=True)
class ImageFile:
    path: Path
    width: int
    height: int
    content_type: str = "image/png"


@dataclass(frozen=True, slots=True)
class VideoFile:
    path: Path
    duration_s: float
    width: int
    height: int
    content_type: str = "video/mp4"
    source_uri: str | None = None  # the provider's own name for it, where it can be extended (Veo)


def even_chunks(duration_s: float, max_chunk_s: float) -> list[tuple[float, float]]:
    """Even (start, length) pieces of `duration_s` seconds, none longer than `max_chunk_s`."""
    count = max(1, math.ceil(duration_s / max_chunk_s - 1e-9))
    length = duration_s / count
    return [(round(i * length, 3), round(length, 3)) for i in range(count)]
