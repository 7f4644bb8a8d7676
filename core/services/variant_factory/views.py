"""Plain views the pages get (never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class CollectionView:
    id: str
    kind: str
    name: str
    count: int
    poster_key: str | None


@dataclass(frozen=True, slots=True)
class VideoView:
    id: str
    project_id: str
    title: str
    kind: str
    origin: str
    video_key: str
    poster_key: str | None
    duration_s: float
    width: int
    height: int
    size_bytes: int
    parent_id: str | None
    created_at: datetime

    @property
    def aspect(self) -> str:
        return aspect_label(self.width, self.height)


@dataclass(frozen=True, slots=True)
class AudioView:
    id: str
    project_id: str
    title: str
    origin: str
    status: str
    audio_key: str | None
    duration_s: float | None
    size_bytes: int
    script: str | None
    error: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class HookView:
    id: str
    text: str
    category: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def aspect_label(width: int | None, height: int | None) -> str:
    if not width or not height:
        return ""
    ratio = width / height
    for label, value in (("9:16", 9 / 16), ("4:5", 4 / 5), ("1:1", 1.0), ("16:9", 16 / 9)):
        if abs(ratio - value) < 0.02:
            return label
    return f"{width}x{height}"
