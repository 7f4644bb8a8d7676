"""Drafts: what a creator typed and has not submitted yet, kept per user, project and field.

Pages keep the draft in session state as it changes and write it here, so it survives a
reload, a page switch, browser Back and a new tab. A draft is stored as typed (only NUL,
which the database cannot hold, is dropped); it is checked when it is submitted.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from core.adapters.db.models.projects import Draft
from core.ports_services import Services
from core.services.accounts.access import Right, project_with_right

logger = logging.getLogger(__name__)

MAX_DRAFT_CHARS = 20_000


def save_draft(project_id: str, field: str, text: str, *, user_id: str, services: Services) -> None:
    text = (text or "").replace("\x00", "")[:MAX_DRAFT_CHARS]
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
        draft = session.scalar(
            select(Draft).where(Draft.user_id == user_id, Draft.project_id == project_id, Draft.field == field)
        )
        if not text.strip():
            if draft is not None:
                session.delete(draft)
            return
        if draft is None:
            session.add(Draft(user_id=user_id, project_id=project_id, field=field, text=text))
        else:
            draft.text = text


def load_draft(project_id: str, field: str, *, user_id: str, services: Services) -> str:
    with services.db.session(user_id=user_id) as session:
        text = session.scalar(
            select(Draft.text).where(Draft.user_id == user_id, Draft.project_id == project_id, Draft.field == field)
        )
    return text or ""
