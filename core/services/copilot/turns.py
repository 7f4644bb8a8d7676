"""One turn of the conversation: the creator's message in, the copilot's reply out.

Order: the content guard (a refused message changes nothing), attachments stored like
wizard uploads, the message saved, intent detected, what it said put where the wizard
keeps it, then one of: approve the storyboard, refine the script, start the ad, say
precisely what is missing, or answer (streamed). Streamed replies are saved when the
stream ends, with what was shown, marked when the creator stopped them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from core.adapters.db.models.copilot import CopilotMessage
from core.domain import text as text_rules
from core.domain.copilot import MessageKind
from core.errors import StudioError, ValidationError
from core.ports import CopilotRequest, Intent, IntentAnswer
from core.ports_services import Services
from core.services.accounts.access import Right
from core.services.copilot import calls, facts, pipeline, refine
from core.services.copilot.calls import AnswerStream
from core.services.copilot.chats import MESSAGE_MAX, add_message, chat_with_right, history
from core.services.safety import content_guard

logger = logging.getLogger(__name__)

NOTES_MAX = 6  # video-related messages kept as the brief's words
GO_ONLY = re.compile(r"^\W*(go|go ahead|make it|do it|let'?s go|yes|ok(ay)?|start|generate( it)?)\W*$", re.I)


@dataclass
class Turn:
    intent: Intent
    message_id: str
    reply: AnswerStream | None = None  # stream it; it saves itself when it ends
    posted: list[str] = field(default_factory=list)  # replies already saved (no stream)
    fell_back: bool = False


def _finish(chat_id: str, user_id: str, services: Services, intent: Intent):  # type: ignore[no-untyped-def]
    def finish(text: str, stopped: bool, error: StudioError | None) -> None:
        if error is not None:
            body = (text + "\n\n" if text else "") + f"The answer broke off: {error.message}"
            kind = MessageKind.ERROR
        else:
            body, kind = text + (" … (stopped)" if stopped else ""), MessageKind.TEXT
        with services.db.session() as session:
            chat = chat_with_right(session, chat_id, user_id, Right.EDIT)
            add_message(session, chat, role="assistant", text=body, kind=kind, intent=intent.value, stopped=stopped)

    return finish


def _save_user_message(chat_id: str, text: str, keys: list[str], *, user_id: str, services: Services) -> str:
    with services.db.session() as session:
        chat = chat_with_right(session, chat_id, user_id, Right.EDIT)
        return add_message(session, chat, role="user", text=text, attachments=keys).id


def _request(chat_id: str, text: str, attached: bool, *, user_id: str, services: Services) -> CopilotRequest:
    with services.db.session() as session:
        chat = chat_with_right(session, chat_id, user_id, Right.EDIT)
        known = facts.facts_of(session, chat, user_id)
        turns = history(session, chat_id, services.settings.copilot_history_turns + 1)[:-1]  # this one is the message
    known["attached"] = attached
    return CopilotRequest(text, turns, known)


def _remember(chat_id: str, text: str, answer: IntentAnswer, *, user_id: str, services: Services) -> None:
    with services.db.session() as session:
        chat = chat_with_right(session, chat_id, user_id, Right.EDIT)
        message = session.get(CopilotMessage, _last_user_message(session, chat_id))
        if message is not None:
            message.intent = answer.intent.value
        if answer.intent is not Intent.CHAT:
            state = dict(chat.state or {})
            notes = list(state.get("notes") or [])
            if text and not GO_ONLY.match(text):
                notes = [*notes, text][-NOTES_MAX:]
            chat.state = {**state, "video": True, "notes": notes}


def _last_user_message(session, chat_id: str) -> str | None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    return session.scalar(
        select(CopilotMessage.id)
        .where(CopilotMessage.chat_id == chat_id, CopilotMessage.role == "user")
        .order_by(CopilotMessage.position.desc())
        .limit(1)
    )


def send(
    chat_id: str,
    text: str,
    *,
    files: list[bytes] | None = None,
    as_avatar: bool = False,
    user_id: str,
    services: Services,
) -> Turn:
    text = " ".join(text_rules.clean(text, field="message", multiline=False).split())
    if not text and not files:
        raise ValidationError("Type a message or attach a photo.")
    if len(text) > MESSAGE_MAX:
        raise ValidationError(f"Keep a message under {MESSAGE_MAX} characters (this one has {len(text)}).")
    content_guard.check_texts(services.settings, message=text)
    with services.db.session() as session:
        chat_with_right(session, chat_id, user_id, Right.EDIT)
    keys = []
    if files:
        name = "Avatar from chat"
        keys = pipeline.attach(chat_id, files, as_avatar, name=name, user_id=user_id, services=services)
    message_id = _save_user_message(chat_id, text, keys, user_id=user_id, services=services)
    request = _request(chat_id, text or "(attached photos)", bool(files), user_id=user_id, services=services)
    answer = calls.detect_intent(services, request, user_id=user_id)
    slots = facts.clean_slots(answer.slots, request.facts)
    pipeline.apply_slots(chat_id, slots, user_id=user_id, services=services)
    _remember(chat_id, text, answer, user_id=user_id, services=services)
    turn = Turn(answer.intent, message_id, fell_back=answer.fell_back)
    return _respond(chat_id, request, answer, turn, user_id=user_id, services=services)


def _respond(
    chat_id: str, request: CopilotRequest, answer: IntentAnswer, turn: Turn, *, user_id: str, services: Services
) -> Turn:
    known = _request(chat_id, request.message, False, user_id=user_id, services=services).facts
    if answer.action == "approve" and known["status"] == "review":
        pipeline.approve(chat_id, user_id=user_id, services=services)
        turn.posted.append("approved")
        return turn
    if answer.action == "edit" and known["scenes"]:
        turn.posted.append(refine.refine(chat_id, request.message, user_id=user_id, services=services))
        return turn
    if answer.intent is Intent.CHAT:
        finish = _finish(chat_id, user_id, services, Intent.CHAT)
        turn.reply = calls.answer_stream(services, request, user_id=user_id, finish=finish)
        return turn
    needs = facts.missing(known, said_go=answer.said_go or answer.intent is Intent.VIDEO_READY)
    if needs:
        turn.intent = Intent.VIDEO_NEEDS_INPUT
        finish = _finish(chat_id, user_id, services, turn.intent)
        turn.reply = calls.text_stream(facts.ask_for(needs), finish, delay_s=0.01)
        return turn
    turn.intent = Intent.VIDEO_READY
    pipeline.fill_and_start(chat_id, user_id=user_id, services=services)
    turn.posted.append("started")
    return turn


def retry(chat_id: str, *, user_id: str, services: Services) -> Turn:
    """Answer the last message again (after an error or a stop), without saving it twice."""
    with services.db.session() as session:
        chat_with_right(session, chat_id, user_id, Right.EDIT)
        message_id = _last_user_message(session, chat_id)
        message = session.get(CopilotMessage, message_id) if message_id else None
        if message is None:
            raise ValidationError("There is no message to answer again.")
        text = message.text
    request = _request(chat_id, text, False, user_id=user_id, services=services)
    answer = calls.detect_intent(services, request, user_id=user_id)
    return _respond(
        chat_id,
        request,
        answer,
        Turn(answer.intent, message_id or "", fell_back=answer.fell_back),
        user_id=user_id,
        services=services,
    )
