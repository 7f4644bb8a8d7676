"""Pooled provider keys (issue 18): several keys per vendor, the system's or a user's.

Keys are sealed with the master key the moment they are saved (bound to their owner, vendor
and row) and opened only to build the providers (`core.adapters.providers.key_pool`);
nothing here returns one in the clear. The rotation keeps each key's status; these
functions add, list, re-activate and remove keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.adapters.crypto import KeyBox
from core.adapters.db.models.base import new_id
from core.adapters.db.models.resilience import ACTIVE, PoolKey, pool_seal_context
from core.domain.text import clean
from core.errors import NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts import audit
from core.services.connections.keys import VENDORS, _clean

logger = logging.getLogger(__name__)

MAX_KEYS_PER_VENDOR = 20


@dataclass(frozen=True, slots=True)
class PooledKeyView:
    id: str
    vendor: str
    label: str
    system: bool
    status: str
    limited_until: datetime | None
    error_count: int
    last_error: str
    last_used_at: datetime | None


def _label(label: str) -> str:
    text = " ".join(clean(label, field="key name", multiline=False).split())
    if not 1 <= len(text) <= 60:
        raise ValidationError("Give the key a short name (1 to 60 characters), e.g. “team account 2”.")
    return text


def add_key(services: Services, *, owner_id: str | None, vendor: str, label: str, secret: str) -> str:
    """Seal and add a key to a vendor's pool (`owner_id=None`: the system's pool). Returns its id."""
    secret = _clean(vendor, secret)
    label = _label(label)
    box = KeyBox(services.settings.master_key.get_secret_value())
    key_row_id = new_id()
    sealed = box.seal(secret, **pool_seal_context(owner_id, vendor, key_row_id))
    with services.db.session(user_id=owner_id) as session:
        mine = PoolKey.owner_id == owner_id if owner_id else PoolKey.owner_id.is_(None)
        count = len(session.scalars(select(PoolKey.id).where(mine, PoolKey.vendor == vendor)).all())
        if count >= MAX_KEYS_PER_VENDOR:
            raise ValidationError(f"A pool holds at most {MAX_KEYS_PER_VENDOR} {VENDORS[vendor]} keys.")
        session.add(
            PoolKey(
                id=key_row_id,
                owner_id=owner_id,
                vendor=vendor,
                label=label,
                nonce=sealed.nonce,
                ciphertext=sealed.ciphertext,
                key_id=sealed.key_id,
                status=ACTIVE,
                error_count=0,
            )
        )
        if owner_id:
            audit.record(session, "key.pooled", actor_id=owner_id, subject=f"{VENDORS[vendor]}: {label}")
    logger.info("added a pooled %s key %s (%s)", vendor, key_row_id, "user" if owner_id else "system")
    return key_row_id


def list_keys(services: Services, *, owner_id: str | None) -> list[PooledKeyView]:
    """The system's pooled keys (read by the studio's role: a user session cannot see them) and
    the owner's own (read as the owner); never a secret."""
    with services.db.session() as session:
        rows = list(session.scalars(select(PoolKey).where(PoolKey.owner_id.is_(None))))
    if owner_id:
        with services.db.session(user_id=owner_id) as session:
            rows += list(session.scalars(select(PoolKey).where(PoolKey.owner_id == owner_id)))
    rows.sort(key=lambda r: (r.owner_id is None, r.vendor, r.created_at))
    return [
        PooledKeyView(
            r.id,
            r.vendor,
            r.label,
            r.owner_id is None,
            r.status,
            r.limited_until,
            r.error_count,
            r.last_error or "",
            r.last_used_at,
        )
        for r in rows
    ]


def _own_row(session: object, key_row_id: str, owner_id: str | None) -> PoolKey:
    row = session.get(PoolKey, key_row_id)  # type: ignore[attr-defined]
    if row is None or row.owner_id != owner_id:
        raise NotFound("That key is not in your pool.")
    return row  # type: ignore[no-any-return]


def reactivate_key(services: Services, key_row_id: str, *, owner_id: str | None) -> None:
    """Put a key back in rotation (after fixing it at the vendor)."""
    with services.db.session(user_id=owner_id) as session:
        row = _own_row(session, key_row_id, owner_id)
        row.status, row.limited_until = ACTIVE, None


def remove_key(services: Services, key_row_id: str, *, owner_id: str | None) -> None:
    with services.db.session(user_id=owner_id) as session:
        row = _own_row(session, key_row_id, owner_id)
        session.delete(row)
        if owner_id:
            audit.record(session, "key.unpooled", actor_id=owner_id, subject=f"{VENDORS[row.vendor]}: {row.label}")
