"""Tables of the variant factory: the media library (videos, audio, collections of each),
the hooks library, and batches of ad variants with one row per variant.

Every row hangs off a project, so `core.services.accounts.access` rights decide who sees it, and
PostgreSQL row-level security repeats the check (migration 0004_i14_factory). A variant
is keyed by a fingerprint of its inputs: an unchanged combination finds its file again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.adapters.db.models.base import Base, _created, _id, utcnow


class MediaCollection(Base):
    """A named set of library videos or of library audio; an item may be in several."""

    __tablename__ = "media_collections"
    __table_args__ = (UniqueConstraint("project_id", "kind", "name"),)
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # video | audio
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = _created()


class LibraryVideo(Base):
    __tablename__ = "library_videos"
    __table_args__ = (Index("ix_library_videos_project_created", "project_id", "created_at"),)
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(16), default="source")  # source | face_swapped | variant
    origin: Mapped[str] = mapped_column(String(16), default="upload")  # upload | studio | variant
    source_ref: Mapped[str | None] = mapped_column(String(36), default=None)  # the studio video/output it came from
    parent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    video_key: Mapped[str] = mapped_column(String(255))
    poster_key: Mapped[str | None] = mapped_column(String(255), default=None)
    duration_s: Mapped[float] = mapped_column(Float)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _created()


class LibraryAudio(Base):
    __tablename__ = "library_audio"
    __table_args__ = (Index("ix_library_audio_project_created", "project_id", "created_at"),)
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(160))
    origin: Mapped[str] = mapped_column(String(16), default="upload")  # upload | studio | voiceover
    status: Mapped[str] = mapped_column(String(12), default="ready")  # queued | ready | failed
    audio_key: Mapped[str | None] = mapped_column(String(255), default=None)
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    script: Mapped[str | None] = mapped_column(Text, default=None)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("actors.id", ondelete="SET NULL"), default=None)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = _created()


class CollectionVideo(Base):
    __tablename__ = "collection_videos"
    collection_id: Mapped[str] = mapped_column(ForeignKey("media_collections.id", ondelete="CASCADE"), primary_key=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("library_videos.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = _created()


class CollectionAudio(Base):
    __tablename__ = "collection_audio"
    collection_id: Mapped[str] = mapped_column(ForeignKey("media_collections.id", ondelete="CASCADE"), primary_key=True)
    audio_id: Mapped[str] = mapped_column(ForeignKey("library_audio.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = _created()


class Hook(Base):
    """An opening line for an ad. `text_key` is the text folded for duplicate checks."""

    __tablename__ = "hooks"
    __table_args__ = (
        UniqueConstraint("project_id", "text_key"),
        Index("ix_hooks_project_category", "project_id", "category"),
    )
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    text_key: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(40), default="general")
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VariantBatch(Base):
    __tablename__ = "variant_batches"
    __table_args__ = (Index("ix_variant_batches_project_created", "project_id", "created_at"),)
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120), default="")
    mode: Mapped[str] = mapped_column(String(20))  # round_robin | every_combination
    product: Mapped[str] = mapped_column(String(80), default="")
    naming_pattern: Mapped[str] = mapped_column(String(120), default="{product}_{hook_category}_{n}")
    style: Mapped[dict[str, Any]] = mapped_column(default=dict)  # hook position, timing and look
    total: Mapped[int] = mapped_column(Integer, default=0)
    zip_key: Mapped[str | None] = mapped_column(String(255), default=None)
    zip_bytes: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column()
    expired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = _created()


class BatchVariant(Base):
    __tablename__ = "batch_variants"
    __table_args__ = (
        UniqueConstraint("batch_id", "n"),
        Index("ix_batch_variants_fingerprint", "fingerprint", "status"),
    )
    id: Mapped[str] = _id()
    batch_id: Mapped[str] = mapped_column(ForeignKey("variant_batches.id", ondelete="CASCADE"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    video_id: Mapped[str | None] = mapped_column(ForeignKey("library_videos.id", ondelete="SET NULL"), default=None)
    audio_id: Mapped[str | None] = mapped_column(ForeignKey("library_audio.id", ondelete="SET NULL"), default=None)
    hook_id: Mapped[str | None] = mapped_column(ForeignKey("hooks.id", ondelete="SET NULL"), default=None)
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)  # pinned keys, hook text and category, titles
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued | rendering | ready | failed
    job_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    video_key: Mapped[str | None] = mapped_column(String(255), default=None)
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    render_mode: Mapped[str | None] = mapped_column(String(16), default=None)  # copy | partial | full
    file_name: Mapped[str] = mapped_column(String(120), default="")
    kept_video_id: Mapped[str | None] = mapped_column(String(36), default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LibraryUpload(Base):
    """A video upload waiting for (or refused by) its probe-and-transcode job (migration 0007_i14).

    The raw bytes are stored under `upload_key` before the job is queued, so a page refresh or
    a restarted worker loses nothing; the job turns it into a `LibraryVideo` (`video_id`)."""

    __tablename__ = "library_uploads"
    __table_args__ = (Index("ix_library_uploads_project_created", "project_id", "created_at"),)
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued | processing | ready | failed
    upload_key: Mapped[str | None] = mapped_column(String(255), default=None)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    video_id: Mapped[str | None] = mapped_column(String(36), default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = _created()
