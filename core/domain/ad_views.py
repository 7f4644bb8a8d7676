"""Read-only views of the mass generator that services hand to pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.domain.ads import (
    AdStatus,
    AssetKind,
    AssetStatus,
    CharacterDNA,
    CreativeBrief,
    ProductDNA,
    QcReport,
    ScenePrompts,
    SceneScript,
)
from core.domain.types import JobView
from core.errors import PaidCallUncertain


@dataclass(frozen=True, slots=True)
class AssetView:
    id: str
    kind: AssetKind
    status: AssetStatus
    variant: int
    attempt: int
    media_key: str | None
    duration_s: float | None
    score: float | None
    error: str | None
    job_id: str | None
    made_by: str = ""  # the provider and model that rendered it (a fallback shows here, issue 18)
    error_code: str | None = None  # e.g. "provider_may_have_started": a retry may charge again


@dataclass(frozen=True, slots=True)
class SceneView:
    id: str
    number: int
    script: SceneScript
    edited: bool
    revision: int
    prompts: ScenePrompts | None
    frames: list[AssetView]  # for the scene as it reads now
    selected_frame_id: str | None
    approved_frame_id: str | None
    clip: AssetView | None
    audio: AssetView | None
    max_words: int

    def status_of(self, kind: AssetKind) -> AssetStatus:
        if kind is AssetKind.FRAME:
            chosen = next((f for f in self.frames if f.id == self.selected_frame_id), None)
            if chosen is not None:
                return chosen.status
            if any(f.status.active for f in self.frames):
                return AssetStatus.RENDERING
            if self.frames and all(f.status is AssetStatus.FAILED for f in self.frames):
                return AssetStatus.FAILED
            return AssetStatus.READY if any(f.status is AssetStatus.READY for f in self.frames) else AssetStatus.PENDING
        asset = self.clip if kind is AssetKind.CLIP else self.audio
        return asset.status if asset is not None else AssetStatus.PENDING

    @property
    def status(self) -> AssetStatus:
        """The scene's badge: failed beats rendering beats pending; ready only when all three are."""
        states = [self.status_of(kind) for kind in AssetKind]
        for state in (AssetStatus.FAILED, AssetStatus.RENDERING, AssetStatus.PENDING):
            if state in states:
                return state
        return AssetStatus.READY

    def may_have_been_charged(self, kind: AssetKind) -> bool:
        """Whether the failed asset of this kind stopped on a paid call whose answer was lost."""
        assets = self.frames if kind is AssetKind.FRAME else [self.clip if kind is AssetKind.CLIP else self.audio]
        return any(
            a is not None and a.status is AssetStatus.FAILED and a.error_code == PaidCallUncertain.code for a in assets
        )

    @property
    def error(self) -> str | None:
        for asset in [*self.frames, self.clip, self.audio]:
            if asset is not None and asset.status is AssetStatus.FAILED and asset.error:
                return asset.error
        return None


@dataclass(frozen=True, slots=True)
class AvatarView:
    id: str
    name: str
    actor_id: str | None
    reference_keys: list[str]
    dna: CharacterDNA | None
    voice: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutputView:
    id: str
    aspect: str
    video_key: str | None
    poster_key: str | None
    captions: list[Any]
    duration_s: float | None
    width: int | None
    height: int | None
    qc: QcReport | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProductImageView:
    id: str
    image_key: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class AdView:
    id: str
    project_id: str
    title: str
    status: AdStatus
    wizard_step: str
    product_name: str
    brand_name: str
    options: dict[str, Any]
    product_images: list[ProductImageView]
    product_dna: ProductDNA | None
    avatar: AvatarView | None
    creative_brief: CreativeBrief | None
    script_meta: dict[str, Any] | None
    job: JobView | None
    error: str | None
    updated_at: datetime
    scenes: list[SceneView] = field(default_factory=list)
    outputs: list[OutputView] = field(default_factory=list)
