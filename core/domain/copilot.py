"""What the Copilot page reads: chats, their messages, and the mode the chat is in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class Mode(str, Enum):
    """The mode indicator (spec 12.3)."""

    READY = "Ready to generate"
    NEEDS_INPUT = "Add avatar / product"
    CHAT = "Chat"


class MessageKind(str, Enum):
    TEXT = "text"
    PROGRESS = "progress"  # the generation started or moved on
    STORYBOARD = "storyboard"  # the storyboard awaits approval
    VIDEO = "video"  # the finished ad
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class MessageView:
    id: str
    role: str
    kind: MessageKind
    text: str
    attachments: list[str]
    intent: str | None
    ad_id: str | None
    stopped: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ChatSummary:
    id: str
    title: str
    ad_id: str | None
    updated_at: datetime


@dataclass
class ChatView:
    id: str
    project_id: str
    owner_id: str
    title: str
    ad_id: str | None
    state: dict[str, object]
    can_edit: bool
    messages: list[MessageView] = field(default_factory=list)
