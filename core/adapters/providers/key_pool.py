"""Pooled keys per vendor (issue 18): calls rotate over a vendor's active keys.

`KeyPools.wrap(owner_id, providers)` replaces every provider (primary or fallback) of a
vendor that has pooled keys by a `PooledProvider` over one copy of it per key (the owner's
pool for a vendor replaces the system's). The pool adds keys to a vendor the studio already
uses: the vendor is chosen as before (its settings key or the user's own key).

Each call takes the least recently used key that is usable now. A 429 parks the key until
its Retry-After and the call moves to the next key (a refused request created nothing, so
nothing is paid twice); a 401/403 marks the key `error`, a 402 `exhausted`, both with an
event the owner sees in Settings. A lost answer is never sent again on another key. Keys
are opened (`core.adapters.crypto`) only to build the providers, and never logged.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import or_, select

from core.adapters.crypto import KeyBox, Sealed
from core.adapters.db.database import Database
from core.adapters.db.models.base import utcnow
from core.adapters.db.models.resilience import (
    ACTIVE,
    ERROR,
    EXHAUSTED,
    RATE_LIMITED,
    PoolKey,
    ProviderEvent,
    pool_seal_context,
)
from core.adapters.providers.user_keys import VENDOR_KEY_SETTINGS
from core.config import Settings
from core.errors import AnswerLost, ProviderError, TransientError
from core.ports import PollResult
from core.ports_services import ProviderChoice, Providers

logger = logging.getLogger(__name__)

POOL_KEY = "pool_key"  # in a poll result's output: which pooled key read it (a row id, not a secret)
DEFAULT_PARK_S = 60.0  # a 429 without Retry-After
Members = dict[str, tuple[tuple[str, int], ...]]  # vendor -> ((key row id, version), ...)


def pooled_members(db: Database, owner_id: str | None) -> Members:
    """Ids and versions of the keys pooled for each vendor; the owner's replace the system's."""
    with db.session() as session:
        owners = [PoolKey.owner_id.is_(None)] + ([PoolKey.owner_id == owner_id] if owner_id else [])
        rows = session.execute(
            select(PoolKey.vendor, PoolKey.owner_id, PoolKey.id, PoolKey.version).where(or_(*owners))
        ).all()
    mine = {vendor for vendor, owner, _, _ in rows if owner is not None}
    members: dict[str, list[tuple[str, int]]] = {}
    for vendor, owner, key_id, version in rows:
        if (owner is not None) == (vendor in mine) and vendor in VENDOR_KEY_SETTINGS:
            members.setdefault(vendor, []).append((key_id, int(version)))
    return {vendor: tuple(sorted(ids)) for vendor, ids in members.items()}


class KeyLedger:
    """Statuses of pooled keys, read and written on every rotation."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def next_usable(self, key_ids: list[str], exclude: set[str]) -> str | None:
        """The least recently used key among `key_ids` that is usable now."""
        now = utcnow()
        with self._db.session() as session:
            rows = session.scalars(select(PoolKey).where(PoolKey.id.in_(key_ids))).all()
        usable = [
            r
            for r in rows
            if r.id not in exclude
            and (
                r.status == ACTIVE or (r.status == RATE_LIMITED and (r.limited_until is None or r.limited_until <= now))
            )
        ]
        usable.sort(key=lambda r: (r.last_used_at is not None, r.last_used_at or now, r.created_at))
        return usable[0].id if usable else None

    def soonest_free_s(self, key_ids: list[str]) -> float | None:
        """Seconds until the first rate-limited key is free again; None when none is parked."""
        now = utcnow()
        with self._db.session() as session:
            until = session.scalars(
                select(PoolKey.limited_until).where(PoolKey.id.in_(key_ids), PoolKey.status == RATE_LIMITED)
            ).all()
        waits = [max(0.0, (u - now).total_seconds()) for u in until if u is not None]
        return min(waits) if waits else None

    def used(self, key_id: str) -> None:
        with self._db.session() as session:
            row = session.get(PoolKey, key_id)
            if row is not None:
                row.last_used_at = utcnow()
                if row.status == RATE_LIMITED:
                    row.status, row.limited_until = ACTIVE, None

    def park(self, key_id: str, retry_after_s: float | None, provider: str) -> None:
        wait = retry_after_s if retry_after_s is not None else DEFAULT_PARK_S
        with self._db.session() as session:
            row = session.get(PoolKey, key_id)
            if row is None:
                return
            row.status, row.limited_until = RATE_LIMITED, utcnow() + timedelta(seconds=wait)
            row.last_used_at = utcnow()  # the rotation moves on to the other keys first
            session.add(
                ProviderEvent(
                    provider=provider,
                    kind="rate_limited",
                    owner_id=row.owner_id,
                    pool_key_id=row.id,
                    message=f'Key "{row.label}" was rate-limited; resting it for {wait:.0f} s.',
                )
            )
        logger.info("pooled key %s for %s parked for %.0fs", key_id, provider, wait)

    def fail(self, key_id: str, status: str, exc: ProviderError, provider: str) -> None:
        with self._db.session() as session:
            row = session.get(PoolKey, key_id)
            if row is None:
                return
            row.status = status
            row.error_count = (row.error_count or 0) + 1
            row.last_error = exc.message[:500]
            what = "has run out of credits" if status == EXHAUSTED else "was rejected"
            session.add(
                ProviderEvent(
                    provider=provider,
                    kind=f"key_{status}",
                    owner_id=row.owner_id,
                    pool_key_id=row.id,
                    message=f'Key "{row.label}" for {row.vendor} {what} ({exc.status_code}); '
                    "it is no longer used: replace it in Settings.",
                )
            )
        logger.warning("pooled key %s for %s marked %s (%s)", key_id, provider, status, exc.status_code)


class PooledProvider:
    """One provider, several keys: the same name, model and price, so step rows, webhooks and
    the ledger see no difference; everything else is the first key's copy's."""

    def __init__(self, name: str, vendor: str, members: list[tuple[str, Any]], ledger: KeyLedger) -> None:
        self.name = name
        self.vendor = vendor
        self._members = dict(members)
        self._order = [key_id for key_id, _ in members]
        self._ledger = ledger
        self._lock = threading.Lock()
        self._read_by: dict[str, str] = {}  # request id -> the key that made or read it

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):  # not yet set (copying, unpickling): never recurse
            raise AttributeError(attr)
        return getattr(self._members[self._order[0]], attr)

    @property
    def key_count(self) -> int:
        return len(self._order)

    def submit(self, request: Any, **kwargs: Any) -> Any:
        key_id, submission = self._rotate(lambda p: p.submit(request, **kwargs))
        with self._lock:
            self._read_by[submission.request_id] = key_id
        return submission

    def poll(self, request_id: str) -> PollResult:
        with self._lock:
            known = self._read_by.get(request_id)
        order = [known] if known else self._order
        last: ProviderError | None = None
        for key_id in order:  # reads are free: find the key whose account knows the request
            try:
                result: PollResult = self._members[key_id].poll(request_id)
            except TransientError:
                raise
            except ProviderError as exc:
                if exc.status_code not in (401, 403, 404) or known:
                    raise
                last = exc
                continue
            with self._lock:
                self._read_by[request_id] = key_id
            return dataclasses.replace(result, output={**result.output, POOL_KEY: key_id})
        assert last is not None
        raise last

    def collect(self, request: Any, result: PollResult, dest_dir: Any) -> Any:
        if getattr(self, "synchronous", False):  # the paid request happens here: rotate
            return self._rotate(lambda p: p.collect(request, result, dest_dir))[1]
        key_id = result.output.get(POOL_KEY)
        provider = self._members.get(str(key_id), self._members[self._order[0]])
        return provider.collect(request, result, dest_dir)

    def cost_usd(self, request: Any, output: Any) -> float:
        return float(self._members[self._order[0]].cost_usd(request, output))

    def _rotate(self, call: Callable[[Any], Any]) -> tuple[str, Any]:
        tried: set[str] = set()
        last: ProviderError | None = None
        while (key_id := self._ledger.next_usable(self._order, tried)) is not None:
            tried.add(key_id)
            try:
                answer = call(self._members[key_id])
            except AnswerLost:
                raise  # it may have been started: never sent again, on this key or another
            except ProviderError as exc:
                if not self._rotates_on(key_id, exc):
                    raise
                last = exc
                continue
            self._ledger.used(key_id)
            return key_id, answer
        raise self._none_left(last)

    def _rotates_on(self, key_id: str, exc: ProviderError) -> bool:
        if exc.status_code == 429 and isinstance(exc, TransientError):
            self._ledger.park(key_id, exc.retry_after_s, self.name)
            return True
        if exc.status_code in (401, 403):
            self._ledger.fail(key_id, ERROR, exc, self.name)
            return True
        if exc.status_code == 402:
            self._ledger.fail(key_id, EXHAUSTED, exc, self.name)
            return True
        return False

    def _none_left(self, last: ProviderError | None) -> ProviderError:
        wait = self._ledger.soonest_free_s(self._order)
        if wait is not None or (last is not None and last.status_code == 429):
            return TransientError(
                f"Every {self.vendor} key is rate-limited right now; the first is free again in {wait or 0:.0f} s.",
                retry_after_s=wait,
                provider=self.name,
                status_code=429,
            )
        status = last.status_code if last is not None else 401
        return ProviderError(
            f"No usable {self.vendor} key is left in the pool (each was rejected or has run out of credits); "
            "add or replace one in Settings.",
            provider=self.name,
            status_code=status,
        )


class KeyPools:
    def __init__(self, settings: Settings, db: Database, *, media: Any, storage: Any, max_cached: int = 32) -> None:
        self._settings = settings
        self._db = db
        self._media = media
        self._storage = storage
        self._ledger = KeyLedger(db)
        self._max_cached = max_cached
        self._cache: dict[tuple[str, tuple[Any, ...]], tuple[Providers, Providers]] = {}
        self._lock = threading.Lock()

    def wrap(self, owner_id: str | None, providers: Providers) -> Providers:
        members = pooled_members(self._db, owner_id)
        if not members:
            return providers
        cache_key = (owner_id or "", tuple(sorted(members.items())))
        with self._lock:
            cached = self._cache.get(cache_key)
            if cached is not None and cached[0] is providers:
                return cached[1]
        wrapped = self._wrap(owner_id, providers, members)
        with self._lock:
            for stale in [k for k in self._cache if k[0] == cache_key[0]]:
                del self._cache[stale]  # a removed key must not linger in memory
            if len(self._cache) >= self._max_cached:
                self._cache.pop(next(iter(self._cache)))
            self._cache[cache_key] = (providers, wrapped)
        return wrapped

    def _wrap(self, owner_id: str | None, providers: Providers, members: Members) -> Providers:
        from core.adapters.providers.registry import build_providers

        per_key: dict[str, Providers] = {}
        for vendor, ids in members.items():
            for key_id, secret in self._open(owner_id, vendor, [i for i, _ in ids]).items():
                settings = self._settings.model_copy(update={VENDOR_KEY_SETTINGS[vendor]: SecretStr(secret)})
                per_key[key_id] = build_providers(settings, media=self._media, storage=self._storage)

        def pooled(choice: ProviderChoice) -> ProviderChoice:
            ids = [key_id for key_id, _ in members.get(choice.vendor, ()) if key_id in per_key]
            copies = [(key_id, _same(per_key[key_id], choice)) for key_id in ids]
            found = [(key_id, copy) for key_id, copy in copies if copy is not None]
            if not found:
                return choice
            provider = PooledProvider(choice.provider.name, choice.vendor, found, self._ledger)
            return dataclasses.replace(choice, provider=provider, note=f"{choice.note}; {len(found)} pooled keys")

        return Providers(
            choices={cap: pooled(c) for cap, c in providers.choices.items()},
            fallbacks={cap: [pooled(c) for c in chain] for cap, chain in providers.fallbacks.items()},
        )

    def _open(self, owner_id: str | None, vendor: str, key_ids: list[str]) -> dict[str, str]:
        box = KeyBox(self._settings.master_key.get_secret_value())
        with self._db.session() as session:
            rows = session.scalars(select(PoolKey).where(PoolKey.id.in_(key_ids))).all()
            sealed = [(r.id, r.owner_id, Sealed(r.nonce, r.ciphertext, r.key_id)) for r in rows]
        return {key_id: box.open(s, **pool_seal_context(owner, vendor, key_id)) for key_id, owner, s in sealed}


def _same(built: Providers, choice: ProviderChoice) -> Any:
    """The provider in `built` that is `choice`'s (same capability, same name), built with another key."""
    if choice.capability not in built.choices:
        return None
    return next((c.provider for c in built.chain(choice.capability) if c.provider.name == choice.provider.name), None)
