"""Tables of the digital twins: reusable avatars, their photos (with the angle each shows),
character reference sheets, LoRA models and face-swapped videos.

Avatars belong to a project and their creator; `shared` makes one visible to the
project's team (rights as on projects, `core.services.avatars.rights`). Sheets and photos
hang off their avatar; LoRAs and face swaps off the project.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.adapters.db.models.base import Base, _created, _id, utcnow


class Avatar(Base):
    __tablename__ = "avatars"
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    voice: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"provider", "voice_id", "language"}
    dna: Mapped[dict[str, Any]] = mapped_column(default=dict)  # CharacterDNA fields
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AvatarPhoto(Base):
    __tablename__ = "avatar_photos"
    id: Mapped[str] = _id()
    avatar_id: Mapped[str] = mapped_column(ForeignKey("avatars.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    image_key: Mapped[str] = mapped_column(String(255))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    angle: Mapped[str] = mapped_column(String(24))  # core.services.avatars.angles.ANGLES
    classified_by: Mapped[str] = mapped_column(String(40), default="")
    face_box: Mapped[list[int] | None] = mapped_column(JSON, default=None)  # x, y, w, h
    created_at: Mapped[datetime] = _created()


class AvatarSheet(Base):
    __tablename__ = "avatar_sheets"
    id: Mapped[str] = _id()
    avatar_id: Mapped[str] = mapped_column(ForeignKey("avatars.id", ondelete="CASCADE"), index=True)
    image_key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(16))  # "composed" (offline) | "generated"
    provider: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = _created()


class LoraModel(Base):
    __tablename__ = "lora_models"
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    avatar_id: Mapped[str | None] = mapped_column(ForeignKey("avatars.id", ondelete="SET NULL"), default=None)
    name: Mapped[str] = mapped_column(String(120))
    trigger_phrase: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(16))  # "trained" | "uploaded"
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/training/ready/failed
    steps: Mapped[int] = mapped_column(Integer, default=0)
    weights_key: Mapped[str | None] = mapped_column(String(255), default=None)
    high_noise_key: Mapped[str | None] = mapped_column(String(255), default=None)
    config_key: Mapped[str | None] = mapped_column(String(255), default=None)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FaceSwap(Base):
    """A face-swapped copy of a video: its own video (type face_swapped) with its parent."""

    __tablename__ = "face_swaps"
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    video_type: Mapped[str] = mapped_column(String(16), default="face_swapped")
    parent_kind: Mapped[str] = mapped_column(String(16))  # "video" | "ad_output" | "upload"
    parent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    source_key: Mapped[str] = mapped_column(String(255))
    face_key: Mapped[str] = mapped_column(String(255))
    avatar_id: Mapped[str | None] = mapped_column(ForeignKey("avatars.id", ondelete="SET NULL"), default=None)
    resolution: Mapped[str] = mapped_column(String(8), default="720p")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/ready/failed
    video_key: Mapped[str | None] = mapped_column(String(255), default=None)
    provider: Mapped[str] = mapped_column(String(80), default="")
    job_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = _created()
