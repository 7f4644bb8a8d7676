"""SQLAlchemy 2.0 typed models for the studio's domain.

Ids are UUID strings so SQLite and PostgreSQL behave alike. Timestamps are UTC. Every
row a user creates carries `owner_id`; services filter on it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always handed back aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON, list[str]: JSON}


def _id() -> Mapped[str]:
    return mapped_column(String(36), primary_key=True, default=new_id)


def _created() -> Mapped[datetime]:
    return mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = _id()
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = _created()


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProjectMember(Base):
    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)
    id: Mapped[str] = _id()
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    created_at: Mapped[datetime] = _created()


class Actor(Base):
    """The shared catalog (seeded); not user-owned."""

    __tablename__ = "actors"
    id: Mapped[str] = _id()
    key: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    image_key: Mapped[str] = mapped_column(String(255))
    voice_id: Mapped[str] = mapped_column(String(120))
    voice_language: Mapped[str] = mapped_column(String(16), default="en-us")
    voice_rate_wpm: Mapped[int] = mapped_column(Integer, default=165)
    voice_pitch: Mapped[int] = mapped_column(Integer, default=50)
    age_range: Mapped[str] = mapped_column(String(16))
    gender: Mapped[str] = mapped_column(String(16))
    tags: Mapped[list[str]] = mapped_column(default=list)
    bio: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()


class ActorImageVariant(Base):
    __tablename__ = "actor_image_variants"
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[str] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    prompt: Mapped[str] = mapped_column(String(400))
    seed: Mapped[int | None] = mapped_column(Integer, default=None)
    image_key: Mapped[str | None] = mapped_column(String(255), default=None)
    thumb_key: Mapped[str | None] = mapped_column(String(255), default=None)
    provider: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="ready")
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()


class VideoAsset(Base):
    __tablename__ = "video_assets"
    __table_args__ = (
        Index("ix_video_assets_project_created", "project_id", "created_at"),
        Index("ix_video_assets_owner_created", "owner_id", "created_at"),
    )
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # A catalog actor, or (issue 17) one of the creator's own avatars: exactly one is set.
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("actors.id"), default=None)
    avatar_id: Mapped[str | None] = mapped_column(
        ForeignKey("avatars.id", ondelete="SET NULL"), default=None, index=True
    )
    variant_id: Mapped[str | None] = mapped_column(
        ForeignKey("actor_image_variants.id", ondelete="SET NULL"), default=None
    )
    image_prompt: Mapped[str | None] = mapped_column(String(400), default=None)
    source_type: Mapped[str] = mapped_column(String(8))
    source_text: Mapped[str | None] = mapped_column(Text, default=None)
    source_audio_key: Mapped[str | None] = mapped_column(String(255), default=None)
    audio_key: Mapped[str | None] = mapped_column(String(255), default=None)
    image_key: Mapped[str | None] = mapped_column(String(255), default=None)
    video_key: Mapped[str | None] = mapped_column(String(255), default=None)
    poster_key: Mapped[str | None] = mapped_column(String(255), default=None)
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    parent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_owner_status", "owner_id", "status"),
        Index("ix_jobs_status_heartbeat", "status", "heartbeat_at"),
    )
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    current_step: Mapped[str | None] = mapped_column(String(40), default=None)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    resumes: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    run_after: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = _created()
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    steps: Mapped[list[JobStep]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobStep.started_at"
    )


class JobStep(Base):
    """One row per attempt of a step."""

    __tablename__ = "job_steps"
    __table_args__ = (Index("ix_job_steps_job_name", "job_id", "name"),)
    id: Mapped[str] = _id()
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    provider: Mapped[str | None] = mapped_column(String(255), default=None)
    provider_request_id: Mapped[str | None] = mapped_column(Text, default=None)
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    error_code: Mapped[str | None] = mapped_column(String(40), default=None)
    polls: Mapped[int] = mapped_column(Integer, default=0)
    # Paid-call bookkeeping (architecture.md "Paid calls"): "sending" while a paid request
    # is in flight, "ambiguous" when its answer was lost, "adopted" once a webhook named
    # the orphan, "consented" when the creator chose to pay again. None: nothing pending.
    submit_state: Mapped[str | None] = mapped_column(String(16), default=None)
    webhook_token: Mapped[str | None] = mapped_column(String(64), default=None, unique=True, index=True)
    poll_errors: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime] = _created()
    waiting_since: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    job: Mapped[Job] = relationship(back_populates="steps")


class CostRecord(Base):
    """Frozen when a provider call finishes; the ledger that usage and ceilings read."""

    __tablename__ = "cost_records"
    __table_args__ = (Index("ix_cost_records_owner_created", "owner_id", "created_at"),)
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    job_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    step_id: Mapped[str | None] = mapped_column(String(36), default=None, unique=True)
    provider: Mapped[str] = mapped_column(String(255))
    capability: Mapped[str] = mapped_column(String(40))
    amount_usd: Mapped[float] = mapped_column(Float)
    # "charged", or "possibly_charged" for a paid call whose answer was lost (amount unknown).
    status: Mapped[str] = mapped_column(String(24), default="charged", server_default="charged")
    created_at: Mapped[datetime] = _created()



class Draft(Base):
    """Text a creator typed but has not submitted yet (a script), per user, project and field."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("user_id", "project_id", "field"),)
    id: Mapped[str] = _id()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


from core.adapters.db import models_accounts as _models_accounts  # noqa: E402,F401  (accounts tables join the metadata)
from core.adapters.db import models_avatars as _models_avatars  # noqa: E402,F401  (digital twins tables join the metadata)
from core.adapters.db import models_copilot as _models_copilot  # noqa: E402,F401  (copilot tables join the metadata)
from core.adapters.db import models_edit as _models_edit  # noqa: E402,F401  (editor tables join the metadata)
from core.adapters.db import models_factory as _models_factory  # noqa: E402,F401  (variant factory tables join the metadata)
from core.adapters.db import models_resilience as _models_resilience  # noqa: E402,F401  (provider resilience tables join the metadata)
from core.adapters.db import models_ugc as _models_ugc  # noqa: E402,F401  (mass generator tables join the metadata)
