"""Users' own provider keys: saved sealed, shown only as set / not set, used for their own jobs.

A key is sealed with AES-256-GCM under the master key (`core.adapters.crypto`) the moment it
is saved and opened only when one of the user's jobs calls a provider
(`core.adapters.providers.user_keys`). Nothing here returns a key in the clear, and no
log line or audit line carries one. `rotate_master_key` re-seals every stored key under
a new master key in one transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from core.adapters.crypto import KeyBox, KeyDecryptionError, Sealed
from core.adapters.db.database import Database
from core.adapters.db.models.accounts import ProviderKey
from core.domain.accounts import KeyStatus
from core.errors import ValidationError
from core.ports_services import Services
from core.services.accounts import audit

logger = logging.getLogger(__name__)

VENDORS: dict[str, str] = {"fal": "fal.ai", "wavespeed": "WaveSpeed", "google": "Google Gemini", "kie": "KIE"}


def _clean(vendor: str, key: str) -> str:
    if vendor not in VENDORS:
        raise ValidationError(f"Keys can be stored for {', '.join(VENDORS.values())}.")
    key = (key or "").strip()
    if not 8 <= len(key) <= 512 or any(c.isspace() or not c.isprintable() for c in key):
        raise ValidationError(f"That does not look like a {VENDORS[vendor]} key: paste the key itself, without spaces.")
    return key


def save_key(user_id: str, vendor: str, key: str, *, services: Services, address: str = "") -> None:
    """Seal and store (or replace) the user's key for a vendor."""
    key = _clean(vendor, key)
    box = KeyBox(services.settings.master_key.get_secret_value())
    sealed = box.seal(key, user_id=user_id, vendor=vendor)
    with services.db.session(user_id=user_id) as session:
        row = session.scalar(select(ProviderKey).where(ProviderKey.user_id == user_id, ProviderKey.vendor == vendor))
        if row is None:
            row = ProviderKey(user_id=user_id, vendor=vendor, version=0)
            session.add(row)
        row.nonce, row.ciphertext, row.key_id = sealed.nonce, sealed.ciphertext, sealed.key_id
        row.version = (row.version or 0) + 1
        audit.record(session, "key.saved", actor_id=user_id, subject=VENDORS[vendor], address=address)


def delete_key(user_id: str, vendor: str, *, services: Services, address: str = "") -> bool:
    with services.db.session(user_id=user_id) as session:
        row = session.scalar(select(ProviderKey).where(ProviderKey.user_id == user_id, ProviderKey.vendor == vendor))
        if row is None:
            return False
        session.delete(row)
        audit.record(session, "key.deleted", actor_id=user_id, subject=VENDORS.get(vendor, vendor), address=address)
        return True


def key_statuses(user_id: str, *, services: Services) -> list[KeyStatus]:
    """Set or not set, per vendor. No key is opened."""
    with services.db.session(user_id=user_id) as session:
        rows = {
            vendor: updated
            for vendor, updated in session.execute(
                select(ProviderKey.vendor, ProviderKey.updated_at).where(ProviderKey.user_id == user_id)
            )
        }
    return [KeyStatus(v, label, v in rows, rows.get(v)) for v, label in VENDORS.items()]


def master_key_problem(services: Services) -> str | None:
    """None when every stored key was sealed by the configured master key; else what is wrong (no key opened)."""
    with services.db.session() as session:
        key_ids = set(session.scalars(select(ProviderKey.key_id).distinct()))
    if not key_ids:
        return None
    configured = services.settings.master_key.get_secret_value()
    if not configured:
        return "Users' provider keys are stored but no master key is set: their jobs fall back to failing loudly."
    current = KeyBox(configured).key_id
    stale = sorted(key_ids - {current})
    return f"Stored provider keys were sealed by other master key(s) {', '.join(stale)}." if stale else None


def rotate_master_key(db: Database, old_master_key: str, new_master_key: str) -> int:
    """Re-seal every stored key under the new master key; all or nothing. Returns how many were re-sealed.

    Rows already sealed by the new key (a rotation interrupted earlier) are checked and kept.
    A row that neither key opens stops the rotation with KeyDecryptionError.
    """
    old, new = KeyBox(old_master_key), KeyBox(new_master_key)
    count = 0
    with db.session() as session:
        rows = session.scalars(select(ProviderKey).with_for_update()).all()
        for row in rows:
            sealed = Sealed(row.nonce, row.ciphertext, row.key_id)
            if row.key_id == new.key_id:
                new.open(sealed, user_id=row.user_id, vendor=row.vendor)
                continue
            if row.key_id != old.key_id:
                raise KeyDecryptionError(
                    f"A stored key was sealed by master key {row.key_id}, neither the old nor the new one."
                )
            plain = old.open(sealed, user_id=row.user_id, vendor=row.vendor)
            fresh = new.seal(plain, user_id=row.user_id, vendor=row.vendor)
            row.nonce, row.ciphertext, row.key_id = fresh.nonce, fresh.ciphertext, fresh.key_id
            row.version += 1
            count += 1
        count += _reseal_pooled(session, old, new)
    logger.info("re-sealed %d provider key(s) under master key %s", count, new.key_id)
    return count


def _reseal_pooled(session: Any, old: KeyBox, new: KeyBox) -> int:
    """The pooled keys (issue 18) in the same transaction, by the same rules."""
    from core.adapters.db.models.resilience import PoolKey, pool_seal_context

    count = 0
    for row in session.scalars(select(PoolKey).with_for_update()).all():
        context = pool_seal_context(row.owner_id, row.vendor, row.id)
        sealed = Sealed(row.nonce, row.ciphertext, row.key_id)
        if row.key_id == new.key_id:
            new.open(sealed, **context)
            continue
        if row.key_id != old.key_id:
            raise KeyDecryptionError(
                f"A pooled key was sealed by master key {row.key_id}, neither the old nor the new one."
            )
        fresh = new.seal(old.open(sealed, **context), **context)
        row.nonce, row.ciphertext, row.key_id = fresh.nonce, fresh.ciphertext, fresh.key_id
        row.version += 1
        count += 1
    return count
