"""Talking videos: catalog actors, their image variants and the finished videos."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.adapters.db.models.base import Base, _created, _id, utcnow


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
        Index("ix_video_assets_created", "created_at", "id"),  # the Library's newest first across projects
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
