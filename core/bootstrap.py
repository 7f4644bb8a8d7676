"""The composition root: the one place that chooses adapters from settings.

It builds the concrete objects only; their types (`Services`, `Providers`) are in
`core.ports_services`, which is what services, jobs and pages import.

`build_services(settings, **overrides)` builds everything; tests pass fakes as
overrides. `get_services()` keeps one instance per process (the Streamlit server, an
RQ worker) and is what job entry points use.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from core.adapters.db.database import Database
from core.adapters.queue.tasks import SWEEP
from core.config import Settings, get_settings
from core.ports import BlobStorage, JobQueue, MediaToolkit
from core.ports_services import ConnectionCheck, Services

logger = logging.getLogger(__name__)


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
    connections = overrides.pop("connections", None) or _connection_check()
    if overrides:
        raise TypeError(f"unknown service overrides: {sorted(overrides)}")
    return Services(
        settings=settings,
        db=db,
        storage=storage,
        queue=queue,
        media=media,
        providers=providers,
        connections=connections,
        user_providers=user_providers,
        key_pools=key_pools,
    )


def _connection_check() -> ConnectionCheck:
    from core.adapters.providers.connection import check_connection

    return check_connection


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
