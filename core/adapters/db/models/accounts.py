"""Tables of accounts, team invitations, users' provider keys, spend holds and the audit log.

Imported at the end of `models.py`, so `Base.metadata` (Alembic, the test fixtures) sees them.
Secrets never sit here in the clear: session tokens are stored as SHA-256 digests and provider
keys as AES-256-GCM ciphertext (`core.adapters.crypto`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.adapters.db.models.base import Base, new_id, utcnow


class LoginAttempt(Base):
    """One sign-in try; failures slow and lock further tries per account and per address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_created", "email", "created_at"),
        Index("ix_login_attempts_address_created", "address", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64), default="")
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserSession(Base):
    """A signed-in browser session; the browser holds the token, we keep its digest."""

    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[str] = mapped_column(String(16))  # password | oidc
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class ProjectInvite(Base):
    """An invitation to an email that has no account yet; claimed when that email signs in."""

    __tablename__ = "project_invites"
    __table_args__ = (UniqueConstraint("project_id", "email"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderKey(Base):
    """A user's own key for one vendor, sealed with the master key (AES-256-GCM).

    `key_id` names the master key that sealed it (a digest, not the key); `version` grows
    on every change, so caches of providers built from the key know when to rebuild.
    """

    __tablename__ = "provider_keys"
    __table_args__ = (UniqueConstraint("user_id", "vendor"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    vendor: Mapped[str] = mapped_column(String(20))
    nonce: Mapped[str] = mapped_column(String(24))  # base64 of 12 bytes
    ciphertext: Mapped[str] = mapped_column(Text)  # base64, tag included
    key_id: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SpendHold(Base):
    """The estimate reserved for a job when it was admitted, and what it has cost so far.

    While the job runs, max(reserved, spent) counts against the daily ceilings; once it
    ends only what it spent counts. `spent_usd` grows with each ledger row of the job.
    """

    __tablename__ = "spend_holds"
    __table_args__ = (
        Index("ix_spend_holds_owner_created", "owner_id", "created_at"),
        Index("ix_spend_holds_project_created", "project_id", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    reserved_usd: Mapped[float] = mapped_column(Float)
    spent_usd: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Who did what and when: sign-ins, invitations, key changes, deletions, refusals."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_project_created", "project_id", "created_at"),
        Index("ix_audit_events_owner_created", "owner_id", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    actor_email: Mapped[str] = mapped_column(String(320), default="")
    # Whose log this line belongs to: the project's owner, or the account it is about.
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None)
    # Deliberately no foreign key: the log outlives the project it mentions.
    project_id: Mapped[str | None] = mapped_column(String(36), default=None)
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
