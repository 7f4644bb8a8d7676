"""Chats and their messages. A chat belongs to a project: viewers may read it, editors write.

Messages are numbered per chat under a lock on the chat row, so two browsers posting at
once keep one order. A chat's title starts as "New chat" and takes the first words of
its first message until the creator renames it.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.adapters.db.models.base import utcnow
from core.adapters.db.models.copilot import CopilotChat, CopilotMessage
from core.domain import text as text_rules
from core.domain.copilot import ChatSummary, ChatView, MessageKind, MessageView
from core.errors import NotFound, PermissionDenied, ValidationError
from core.ports import ChatTurn
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right
from core.services.safety import content_guard

logger = logging.getLogger(__name__)

TITLE_MAX = 120
DEFAULT_TITLE = "New chat"
MESSAGE_MAX = 4000


def chat_with_right(session: Session, chat_id: str, user_id: str, need: Right) -> CopilotChat:
    chat = session.get(CopilotChat, chat_id)
    if chat is None:
        raise NotFound("That chat does not exist or is not shared with you.")
    project_with_right(session, chat.project_id, user_id, need)
    return chat


def _clean_title(title: str, services: Services) -> str:
    title = " ".join(text_rules.clean(title, field="chat's name", multiline=False).split())
    if not title:
        raise ValidationError("Give the chat a name.")
    if len(title) > TITLE_MAX:
        raise ValidationError(f"Keep the chat's name under {TITLE_MAX} characters.")
    content_guard.check_texts(services.settings, chat_name=title)
    return title


def create_chat(project_id: str, *, user_id: str, services: Services, title: str = DEFAULT_TITLE) -> str:
    title = _clean_title(title, services)
    with services.db.session() as session:
        project_with_right(session, project_id, user_id, Right.EDIT)
        chat = CopilotChat(owner_id=user_id, project_id=project_id, title=title, state={})
        session.add(chat)
        session.flush()
        return chat.id


def rename_chat(chat_id: str, title: str, *, user_id: str, services: Services) -> None:
    title = _clean_title(title, services)
    with services.db.session() as session:
        chat = chat_with_right(session, chat_id, user_id, Right.EDIT)
        chat.title = title
        chat.state = {**(chat.state or {}), "named": True}


def delete_chat(chat_id: str, *, user_id: str, services: Services) -> None:
    """The chat and its messages go; an ad it made stays (it is in the wizard and the Library)."""
    with services.db.session() as session:
        session.delete(chat_with_right(session, chat_id, user_id, Right.EDIT))


def list_chats(project_id: str, *, user_id: str, services: Services) -> list[ChatSummary]:
    """The creator's own chats in the project, latest first."""
    with services.db.session() as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        rows = session.scalars(
            select(CopilotChat)
            .where(CopilotChat.project_id == project_id, CopilotChat.owner_id == user_id)
            .order_by(CopilotChat.updated_at.desc())
        ).all()
        return [ChatSummary(c.id, c.title, c.ad_id, c.updated_at) for c in rows]


def message_view(m: CopilotMessage) -> MessageView:
    return MessageView(
        m.id,
        m.role,
        MessageKind(m.kind),
        m.text,
        list(m.attachments or []),
        m.intent,
        m.ad_id,
        m.stopped,
        m.created_at,
    )


def get_chat(chat_id: str, *, user_id: str, services: Services) -> ChatView:
    with services.db.session() as session:
        chat = chat_with_right(session, chat_id, user_id, Right.VIEW)
        try:
            project_with_right(session, chat.project_id, user_id, Right.EDIT)
            can_edit = True
        except PermissionDenied:
            can_edit = False
        messages = session.scalars(
            select(CopilotMessage).where(CopilotMessage.chat_id == chat_id).order_by(CopilotMessage.position)
        ).all()
        view = ChatView(
            chat.id, chat.project_id, chat.owner_id, chat.title, chat.ad_id, dict(chat.state or {}), can_edit
        )
        view.messages.extend(message_view(m) for m in messages)
        return view


def lock_chat(session: Session, chat_id: str) -> None:
    if session.get_bind().dialect.name != "sqlite":  # SQLite sessions already begin IMMEDIATE
        session.execute(select(CopilotChat.id).where(CopilotChat.id == chat_id).with_for_update())


def add_message(
    session: Session,
    chat: CopilotChat,
    *,
    role: str,
    text: str,
    kind: MessageKind = MessageKind.TEXT,
    attachments: list[str] | None = None,
    intent: str | None = None,
    ad_id: str | None = None,
    stopped: bool = False,
) -> CopilotMessage:
    """Append a message (inside the caller's transaction, rights already checked)."""
    lock_chat(session, chat.id)
    last = session.scalar(select(func.max(CopilotMessage.position)).where(CopilotMessage.chat_id == chat.id))
    message = CopilotMessage(
        chat_id=chat.id,
        position=(last or 0) + 1,
        role=role,
        kind=kind.value,
        text=text,
        attachments=list(attachments or []),
        intent=intent,
        ad_id=ad_id,
        stopped=stopped,
    )
    session.add(message)
    if role == "user" and chat.title == DEFAULT_TITLE and not (chat.state or {}).get("named") and text.strip():
        words = " ".join(text.split())
        chat.title = words if len(words) <= 40 else words[:39].rstrip() + "…"
    chat.updated_at = utcnow()
    session.flush()
    return message


def post(chat_id: str, *, user_id: str, services: Services, **fields: Any) -> str:
    """Append one message in its own transaction (editors only). Returns its id."""
    with services.db.session() as session:
        chat = chat_with_right(session, chat_id, user_id, Right.EDIT)
        return add_message(session, chat, **fields).id


def history(session: Session, chat_id: str, turns: int) -> tuple[ChatTurn, ...]:
    """The last `turns` text messages, oldest first, for the copilot to read."""
    if turns <= 0:
        return ()
    rows = session.scalars(
        select(CopilotMessage)
        .where(CopilotMessage.chat_id == chat_id, CopilotMessage.kind == MessageKind.TEXT.value)
        .order_by(CopilotMessage.position.desc())
        .limit(turns)
    ).all()
    return tuple(ChatTurn(m.role, m.text) for m in reversed(rows))
