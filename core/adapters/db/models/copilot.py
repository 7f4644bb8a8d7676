"""Tables of the copilot: chats (one per conversation, in a project) and their messages.

A chat belongs to a project, so `core.services.accounts.access` rights decide who reads it (viewers)
and who writes to it (editors). A chat fills at most one ad (`ad_id`), made through the
same services as the wizard, so the ad shows in the wizard and the Library too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.adapters.db.models.base import Base, _created, _id, utcnow


class CopilotChat(Base):
    """One conversation. `state` keeps what the chat has gathered for its ad (platform,
    length, brief words) and the last ad status it announced."""

    __tablename__ = "copilot_chats"
    __table_args__ = (Index("ix_copilot_chats_project_owner_updated", "project_id", "owner_id", "updated_at"),)
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120), default="New chat")
    ad_id: Mapped[str | None] = mapped_column(ForeignKey("ugc_ads.id", ondelete="SET NULL"), default=None)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CopilotMessage(Base):
    """One message: the creator's (role `user`) or the copilot's (`assistant`). `kind` says how
    the chat draws it (text, progress, storyboard, video, error); `attachments` are storage keys."""

    __tablename__ = "copilot_messages"
    __table_args__ = (UniqueConstraint("chat_id", "position"),)
    id: Mapped[str] = _id()
    chat_id: Mapped[str] = mapped_column(ForeignKey("copilot_chats.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="text")
    text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    intent: Mapped[str | None] = mapped_column(String(24), default=None)
    ad_id: Mapped[str | None] = mapped_column(String(36), default=None)
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)  # the creator stopped the answer
    created_at: Mapped[datetime] = _created()
