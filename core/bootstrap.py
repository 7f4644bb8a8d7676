"""The composition root: the one place that chooses adapters from settings.

`build_services(settings, **overrides)` builds everything; tests pass fakes as
overrides. `get_services()` keeps one instance per process (the Streamlit server, an
RQ worker) and is what job entry points use.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from core.adapters.db.database import Database
from core.adapters.queue.tasks import SWEEP
from core.config import Settings, get_settings
from core.ports import BlobStorage, JobQueue, MediaToolkit

logger = logging.getLogger(__name__)

CAPABILITIES = ("image_edit", "speech", "lipsync", "image_gen", "image_to_video", "llm", "vision", "copilot")
# Digital twins (core.services.avatars); LoRA training and LoRA images exist only on fal.
CAPABILITIES += ("lora_train", "lora_image", "face_swap")


@dataclass(frozen=True, slots=True)
class ProviderChoice:
    """What the Settings and Home pages show per capability."""

    capability: str
    provider: Any
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
        return self.choices[capability].provider

    def chain(self, capability: str) -> list[ProviderChoice]:
        """The primary, then its fallbacks in order."""
        return [self.choices[capability], *self.fallbacks.get(capability, [])]

    @property
    def speech(self) -> Any:
        return self.get("speech")

    @property
    def image_edit(self) -> Any:
        return self.get("image_edit")

    @property
    def lipsync(self) -> Any:
        return self.get("lipsync")

    @property
    def image_gen(self) -> Any:
        return self.get("image_gen")

    @property
    def image_to_video(self) -> Any:
        return self.get("image_to_video")


@dataclass
class Services:
    settings: Settings
    db: Database
    storage: BlobStorage
    queue: JobQueue
    media: MediaToolkit
    providers: Providers
    # Users' own provider keys (core.adapters.providers.user_keys.UserKeyProviders); None: system keys only.
    user_providers: Any = None
    # Pooled keys per vendor (core.adapters.providers.key_pool.KeyPools); None: no pools.
    key_pools: Any = None

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


def build_storage(settings: Settings) -> BlobStorage:
    if settings.storage_backend == "supabase":
        from supabase import create_client

        from core.adapters.storage.supabase import SupabaseStorage

        client = create_client(settings.supabase_url, settings.supabase_service_key.get_secret_value())
        return SupabaseStorage(client, bucket_prefix=settings.supabase_bucket_prefix)
    from core.adapters.storage.local import LocalDiskStorage

    return LocalDiskStorage(settings.media_dir)


def build_queue(settings: Settings, *, run_jobs: bool = True) -> JobQueue:
    """`run_jobs=False` builds an embedded queue that only holds ids (for one-off commands)."""
    if settings.uses_redis:
        from redis import Redis

        from core.adapters.queue.rq_queue import RqQueue

        return RqQueue(Redis.from_url(settings.redis_url), queue_name=settings.rq_queue)
    from core.adapters.queue.embedded import EmbeddedQueue

    if not run_jobs:
        return EmbeddedQueue(workers=0)
    return EmbeddedQueue(workers=settings.embedded_workers, periodic=((SWEEP, settings.sweep_interval_s),))


def build_media() -> MediaToolkit:
    from core.adapters.media.ffmpeg import FfmpegToolkit

    return FfmpegToolkit()


def build_services(settings: Settings | None = None, *, run_jobs: bool = True, **overrides: Any) -> Services:
    """Build every adapter from settings; any of them can be passed in instead."""
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = overrides.pop("db", None) or Database(settings.effective_database_url)
    media = overrides.pop("media", None) or build_media()
    storage = overrides.pop("storage", None) or build_storage(settings)
    providers = overrides.pop("providers", None)
    user_providers = overrides.pop("user_providers", None)
    key_pools = overrides.pop("key_pools", None)
    if providers is None:
        from core.adapters.providers.key_pool import KeyPools
        from core.adapters.providers.registry import build_providers
        from core.adapters.providers.user_keys import UserKeyProviders

        providers = build_providers(settings, media=media, storage=storage)
        user_providers = user_providers or UserKeyProviders(settings, db, media=media, storage=storage)
        key_pools = key_pools or KeyPools(settings, db, media=media, storage=storage)
    queue = overrides.pop("queue", None) or build_queue(settings, run_jobs=run_jobs)
    if overrides:
        raise TypeError(f"unknown service overrides: {sorted(overrides)}")
    return Services(
        settings=settings, db=db, storage=storage, queue=queue, media=media, providers=providers,
        user_providers=user_providers, key_pools=key_pools,
    )


def describe(services: Services) -> list[str]:
    """One line per subsystem saying what it uses; printed at startup, shown on Home."""
    lines = [
        f"database: {services.db.describe()}",
        f"storage:  {services.storage.name}",
        f"runner:   {services.queue.name}",
    ]
    for name, choice in services.providers.choices.items():
        note = f" ({choice.note})" if choice.note else ""
        lines.append(f"provider {name}: {choice.vendor} {choice.model}{note}")
    return lines


_lock = threading.Lock()
_services: Services | None = None


def get_services() -> Services:
    """The process-wide services, built on first use."""
    global _services
    with _lock:
        if _services is None:
            _services = build_services()
        return _services


def install_services(services: Services | None) -> None:
    """Make `services` the process-wide instance (app start-up, worker start-up, tests)."""
    global _services
    with _lock:
        _services = services
