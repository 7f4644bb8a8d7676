"""Providers built with a user's own keys, for that user's jobs.

`for_owner(owner_id, default)` is asked by `StepContext.call_provider` at the moment of a
paid call. A user without keys gets the system providers. Otherwise their sealed keys are
opened (only now), laid over a copy of the settings, and the registry builds the
providers exactly as it does for the system keys; the result is cached per owner and
key versions, so a changed or deleted key is picked up on the next call.

`choices_for` answers which vendor and model a user's work would use without opening any
key (estimates and ceilings need it before a job exists).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from core.adapters.crypto import KeyBox, Sealed
from core.adapters.db.database import Database
from core.adapters.db.models.accounts import ProviderKey
from core.config import Settings
from core.ports_services import Providers
from core.vendor_choice import MODEL_SETTINGS

logger = logging.getLogger(__name__)

# vendor -> the setting that holds the system's key for it
VENDOR_KEY_SETTINGS: dict[str, str] = {
    "fal": "fal_key",
    "wavespeed": "wavespeed_api_key",
    "google": "gemini_api_key",
    "kie": "kie_api_key",
}
Versions = tuple[tuple[str, int, str], ...]


def key_versions(db: Database, owner_id: str) -> Versions:
    """(vendor, version, key id) of the user's stored keys; no key is opened."""
    with db.session() as session:
        rows = session.execute(
            select(ProviderKey.vendor, ProviderKey.version, ProviderKey.key_id).where(ProviderKey.user_id == owner_id)
        ).all()
    return tuple(sorted((v, int(n), k) for v, n, k in rows))


def open_keys(db: Database, settings: Settings, owner_id: str) -> dict[str, str]:
    """The user's keys in the clear. A wrong master key raises KeyDecryptionError."""
    box = KeyBox(settings.master_key.get_secret_value())
    with db.session() as session:
        rows = session.scalars(select(ProviderKey).where(ProviderKey.user_id == owner_id)).all()
        sealed = [(r.vendor, Sealed(r.nonce, r.ciphertext, r.key_id)) for r in rows]
    return {vendor: box.open(s, user_id=owner_id, vendor=vendor) for vendor, s in sealed}


class UserKeyProviders:
    def __init__(self, settings: Settings, db: Database, *, media: Any, storage: Any, max_cached: int = 32) -> None:
        self._settings = settings
        self._db = db
        self._media = media
        self._storage = storage
        self._max_cached = max_cached
        self._cache: OrderedDict[tuple[str, Versions], Providers] = OrderedDict()
        self._lock = threading.Lock()

    def for_owner(self, owner_id: str, default: Providers) -> Providers:
        versions = key_versions(self._db, owner_id)
        if not versions:
            return default
        cache_key = (owner_id, versions)
        with self._lock:
            if cache_key in self._cache:
                self._cache.move_to_end(cache_key)
                return self._cache[cache_key]
        providers = self._build(owner_id)
        with self._lock:
            self._cache[cache_key] = providers
            for stale in [k for k in self._cache if k[0] == owner_id and k != cache_key]:
                del self._cache[stale]  # a changed key must not linger in memory
            while len(self._cache) > self._max_cached:
                self._cache.popitem(last=False)
        return providers

    def _build(self, owner_id: str) -> Providers:
        from core.adapters.providers.registry import build_providers

        keys = open_keys(self._db, self._settings, owner_id)
        update = {VENDOR_KEY_SETTINGS[v]: SecretStr(k) for v, k in keys.items() if v in VENDOR_KEY_SETTINGS}
        logger.info("building providers with user %s's own keys for %s", owner_id, ", ".join(sorted(update)))
        return build_providers(self._settings.model_copy(update=update), media=self._media, storage=self._storage)

    def choices_for(self, owner_id: str, default: Providers) -> dict[str, tuple[str, str]]:
        """capability -> (vendor, model) the user's work would use, decided without opening keys."""
        from core.vendor_choice import choose_vendor

        present = {v for v, _, _ in key_versions(self._db, owner_id)}
        chosen = {cap: (c.vendor, c.model) for cap, c in default.choices.items()}
        if not present:
            return chosen
        marked = self._settings.model_copy(
            update={VENDOR_KEY_SETTINGS[v]: SecretStr("present") for v in present if v in VENDOR_KEY_SETTINGS}
        )
        for capability, (vendor, _) in list(chosen.items()):
            user_vendor, _ = choose_vendor(marked, capability)
            if user_vendor != vendor:
                field = MODEL_SETTINGS.get((capability, user_vendor))
                chosen[capability] = (user_vendor, getattr(self._settings, field) if field else user_vendor)
        return chosen
