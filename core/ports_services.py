"""What services, jobs and pages are handed: the `Services` bundle and the `Providers` per capability.

Typed with the ports only, so nothing below the composition root (`core.bootstrap`, which
builds the concrete objects) needs to import it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.config import Settings
from core.ports import (
    BlobStorage,
    Copilot,
    FaceSwapper,
    ImageAnimator,
    ImageEditor,
    ImageGenerator,
    JobQueue,
    LipSyncer,
    LoraTrainer,
    MediaToolkit,
    ScriptWriter,
    SpeechSynthesizer,
    VisionAnalyzer,
)

CAPABILITIES: tuple[str, ...] = (
    "image_edit", "speech", "lipsync", "image_gen", "image_to_video", "llm", "vision", "copilot",
)  # fmt: skip
# Digital twins (core.services.avatars); LoRA training and LoRA images exist only on fal.
CAPABILITIES += ("lora_train", "lora_image", "face_swap")


@dataclass(frozen=True, slots=True)
class ProviderChoice:
    """What the Settings and Home pages show per capability."""

    capability: str
    provider: Any  # the port of its capability (see the typed properties of `Providers`)
    vendor: str
    model: str
    key_present: bool
    note: str = ""


@dataclass
class Providers:
    choices: dict[str, ProviderChoice] = field(default_factory=dict)
    # Entries tried after the primary when it fails for a provider reason (settings.fallback_chains).
    fallbacks: dict[str, list[ProviderChoice]] = field(default_factory=dict)

    def get(self, capability: str) -> Any:
        """The provider of any capability, for code that handles them alike (the job engine)."""
        return self.choices[capability].provider

    def chain(self, capability: str) -> list[ProviderChoice]:
        """The primary, then its fallbacks in order."""
        return [self.choices[capability], *self.fallbacks.get(capability, [])]

    @property
    def speech(self) -> SpeechSynthesizer:
        return self.get("speech")

    @property
    def image_edit(self) -> ImageEditor:
        return self.get("image_edit")

    @property
    def lipsync(self) -> LipSyncer:
        return self.get("lipsync")

    @property
    def image_gen(self) -> ImageGenerator:
        return self.get("image_gen")

    @property
    def image_to_video(self) -> ImageAnimator:
        return self.get("image_to_video")

    @property
    def llm(self) -> ScriptWriter:
        return self.get("llm")

    @property
    def vision(self) -> VisionAnalyzer:
        return self.get("vision")

    @property
    def copilot(self) -> Copilot:
        return self.get("copilot")

    @property
    def lora_train(self) -> LoraTrainer:
        return self.get("lora_train")

    @property
    def lora_image(self) -> ImageGenerator:
        return self.get("lora_image")

    @property
    def face_swap(self) -> FaceSwapper:
        return self.get("face_swap")


class SqlDatabase(Protocol):
    """The database services work in: one transaction per `session()` (see core.adapters.db.database)."""

    engine: Engine
    is_sqlite: bool
    url: str

    def session(self, *, user_id: str | None = None) -> AbstractContextManager[Session]: ...

    def migrate(self) -> None: ...

    def check(self) -> str: ...

    def describe(self) -> str: ...

    def dispose(self) -> None: ...


class OwnerProviders(Protocol):
    """Providers built with a user's own keys (core.adapters.providers.user_keys)."""

    def for_owner(self, owner_id: str, default: Providers) -> Providers: ...

    def choices_for(self, owner_id: str, default: Providers) -> dict[str, tuple[str, str]]: ...


class PooledKeys(Protocol):
    """Several keys per vendor that calls rotate over (core.adapters.providers.key_pool)."""

    def wrap(self, owner_id: str | None, providers: Providers) -> Providers: ...


class ConnectionCheck(Protocol):
    """The Settings page's "Test connection": a sentence saying what answered, or a StudioError."""

    def __call__(self, settings: Settings, vendor: str, model: str) -> str: ...


@dataclass
class Services:
    settings: Settings
    db: SqlDatabase
    storage: BlobStorage
    queue: JobQueue
    media: MediaToolkit
    providers: Providers
    connections: ConnectionCheck
    user_providers: OwnerProviders | None = None  # None: system keys only
    key_pools: PooledKeys | None = None  # None: no pooled keys

    def providers_for(self, owner_id: str | None) -> Providers:
        """The providers a user's work runs on: their own keys override the system's, and a
        vendor with pooled keys rotates over them."""
        providers = self.providers
        if owner_id and self.user_providers is not None:
            providers = self.user_providers.for_owner(owner_id, self.providers)
        if self.key_pools is not None:
            providers = self.key_pools.wrap(owner_id, providers)
        return providers

    def close(self) -> None:
        self.queue.shutdown()
        self.db.dispose()
