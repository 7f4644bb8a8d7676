"""Who may see and change an avatar: its creator always; the project's team when it is shared.

An avatar the user may not see is reported as not found, so ids cannot be probed.
"""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.adapters.db.models.avatars import Avatar
from core.errors import NotFound
from core.services.accounts.access import Right, project_with_right

GONE = "That avatar does not exist or is not shared with you."


def avatar_with_right(session: Session, avatar_id: str, user_id: str, need: Right) -> Avatar:
    avatar = session.get(Avatar, avatar_id)
    if avatar is None:
        raise NotFound(GONE)
    if avatar.owner_id == user_id:
        return avatar
    if not avatar.shared:
        raise NotFound(GONE)
    project_with_right(session, avatar.project_id, user_id, need)
    return avatar


def visible_to(user_id: str) -> ColumnElement[bool]:
    """Within a project the user can see: their own avatars and the shared ones."""
    return or_(Avatar.owner_id == user_id, Avatar.shared.is_(True))
