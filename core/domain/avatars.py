"""Plain views of the digital twins that pages receive (never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ANGLES = ("front", "left_profile", "right_profile", "three_quarter_left", "three_quarter_right", "back")
REQUIRED_ANGLES = ("front", "left_profile", "right_profile")
ANGLE_LABELS = {
    "front": "Front",
    "left_profile": "Left profile",
    "right_profile": "Right profile",
    "three_quarter_left": "Three-quarter left",
    "three_quarter_right": "Three-quarter right",
    "back": "Back",
}


@dataclass(frozen=True, slots=True)
class Coverage:
    present: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not self.missing

    def missing_text(self) -> str:
        return ", ".join(ANGLE_LABELS[a] for a in self.missing)


def coverage_of(angles: list[str]) -> Coverage:
    present = tuple(a for a in ANGLES if a in angles)
    return Coverage(present=present, missing=tuple(a for a in REQUIRED_ANGLES if a not in angles))


@dataclass(frozen=True, slots=True)
class PhotoView:
    id: str
    image_key: str
    angle: str
    classified_by: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class SheetView:
    id: str
    avatar_id: str
    image_key: str
    method: str
    provider: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AvatarView:
    id: str
    project_id: str
    owner_id: str
    name: str
    shared: bool
    voice: dict[str, Any]
    dna: dict[str, Any]
    photos: tuple[PhotoView, ...]
    created_at: datetime
    mine: bool = True

    @property
    def coverage(self) -> Coverage:
        return coverage_of([p.angle for p in self.photos])

    @property
    def front_key(self) -> str:
        front = next((p for p in self.photos if p.angle == "front"), None)
        return (front or self.photos[0]).image_key if self.photos else ""


@dataclass(frozen=True, slots=True)
class UsableAvatar:
    """What the wizard and composer offer: a catalog actor or one of the project's avatars."""

    kind: str  # "catalog" | "own"
    id: str
    name: str
    image_key: str
    voice: dict[str, Any] = field(default_factory=dict)
    reference_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LoraView:
    id: str
    project_id: str
    avatar_id: str | None
    name: str
    trigger_phrase: str
    source: str
    status: str
    steps: int
    size_bytes: int
    error: dict[str, Any] | None
    created_at: datetime
    weights_key: str | None = None

    @property
    def ready(self) -> bool:
        return self.status == "ready"


@dataclass(frozen=True, slots=True)
class FaceSwapView:
    id: str
    project_id: str
    parent_kind: str
    parent_id: str | None
    status: str
    video_key: str | None
    provider: str
    resolution: str
    error: dict[str, Any] | None
    created_at: datetime
    video_type: str = "face_swapped"
