"""Tables of the timeline editor: an edit of a finished ad or talking video, every version of
its document (undo and redo move between them; none is ever rewritten), and its exports.

Every edit hangs off a project, so `core.services.accounts.access` rights decide who sees it, and
PostgreSQL row-level security repeats the check (migration 0007_i15): viewers read, editors write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.adapters.db.models.base import Base, _created, _id, utcnow


class Edit(Base):
    __tablename__ = "edits"
    __table_args__ = (Index("ix_edits_project_source", "project_id", "source_kind", "source_id"),)
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    source_kind: Mapped[str] = mapped_column(String(12))  # ad_output | video
    source_id: Mapped[str] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(String(160), default="")
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    redo: Mapped[list[Any]] = mapped_column(JSON, default=list)  # versions undone, last undone last
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EditVersion(Base):
    __tablename__ = "edit_versions"
    __table_args__ = (UniqueConstraint("edit_id", "version"),)
    id: Mapped[str] = _id()
    edit_id: Mapped[str] = mapped_column(ForeignKey("edits.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    parent_version: Mapped[int | None] = mapped_column(Integer, default=None)
    action: Mapped[str] = mapped_column(String(80), default="")
    author_id: Mapped[str | None] = mapped_column(String(36), default=None)
    document: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()


class EditExport(Base):
    __tablename__ = "edit_exports"
    id: Mapped[str] = _id()
    edit_id: Mapped[str] = mapped_column(ForeignKey("edits.id", ondelete="CASCADE"), index=True)
    edit_version: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued | ready | failed | cancelled
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    job_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    video_key: Mapped[str | None] = mapped_column(String(255), default=None)
    result_kind: Mapped[str | None] = mapped_column(String(12), default=None)  # ad_output | video
    result_id: Mapped[str | None] = mapped_column(String(36), default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
