"""Tables of provider resilience (issue 18): pooled keys, provider health events, circuits.

- `pool_keys`: several keys per vendor, the system's (`owner_id` NULL) or a user's, sealed
  like `provider_keys` and never stored in the clear; each with a status the rotation reads.
- `provider_events`: recent errors, rate limits and fallbacks, for the Settings health view.
- `provider_circuits`: one row per provider (``vendor:model``): consecutive failures and,
  once they pass the budget, until when new steps skip it for the next entry of its chain.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.adapters.db.models.base import Base, _created, _id, utcnow

ACTIVE, RATE_LIMITED, EXHAUSTED, ERROR = "active", "rate_limited", "exhausted", "error"
KEY_STATUSES = (ACTIVE, RATE_LIMITED, EXHAUSTED, ERROR)


class PoolKey(Base):
    """One key of a vendor's pool. `status` is `active`, `rate_limited` (until `limited_until`),
    `exhausted` (no credits left) or `error` (the vendor rejected it); `version` grows on every
    change of the secret so caches of providers built from it know when to rebuild."""

    __tablename__ = "pool_keys"
    __table_args__ = (Index("ix_pool_keys_owner_vendor", "owner_id", "vendor"),)
    id: Mapped[str] = _id()
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None)
    vendor: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(60))
    nonce: Mapped[str] = mapped_column(String(24))
    ciphertext: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    limited_until: Mapped[datetime | None] = mapped_column(default=None)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProviderEvent(Base):
    """Something a provider did that the health view shows (messages in plain words, no secrets)."""

    __tablename__ = "provider_events"
    __table_args__ = (Index("ix_provider_events_provider_at", "provider", "at"),)
    id: Mapped[str] = _id()
    at: Mapped[datetime] = _created()
    provider: Mapped[str] = mapped_column(String(255))
    capability: Mapped[str] = mapped_column(String(40), default="")
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None)
    pool_key_id: Mapped[str | None] = mapped_column(String(36), default=None)
    kind: Mapped[str] = mapped_column(String(24))
    message: Mapped[str] = mapped_column(Text, default="")


class ProviderCircuit(Base):
    __tablename__ = "provider_circuits"
    provider: Mapped[str] = mapped_column(String(255), primary_key=True)
    capability: Mapped[str] = mapped_column(String(40), default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    down_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def pool_seal_context(owner_id: str | None, vendor: str, key_row_id: str) -> dict[str, str]:
    """What a pooled key's ciphertext is bound to (the AES-GCM associated data): its owner, its
    vendor and its row, so a sealed key copied to another row or owner does not open."""
    return {"user_id": owner_id or "system", "vendor": f"pool:{vendor}:{key_row_id}"}
