"""Rights on projects: the owner, then invited members by role. Every read and write asks here.

A project the user may not see is reported as not found, so ids cannot be probed.
"""

from __future__ import annotations

from enum import IntEnum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.adapters.db.models.projects import Project, ProjectMember
from core.errors import NotFound, PermissionDenied


class Right(IntEnum):
    VIEW = 1
    EDIT = 2
    OWN = 3


ROLE_RIGHTS = {"viewer": Right.VIEW, "editor": Right.EDIT}


def project_with_right(session: Session, project_id: str, user_id: str, need: Right) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound("That project does not exist or is not shared with you.")
    if project.owner_id == user_id:
        return project
    role = session.scalar(
        select(ProjectMember.role).where(ProjectMember.project_id == project_id, ProjectMember.user_id == user_id)
    )
    if role is None:
        raise NotFound("That project does not exist or is not shared with you.")
    if ROLE_RIGHTS.get(role, Right.VIEW) < need:
        raise PermissionDenied(f"As a {role} of this project you cannot do that; ask its owner.")
    return project


def visible_project_ids(user_id: str):  # type: ignore[no-untyped-def]
    """A subquery of project ids the user may see (owned or shared)."""
    shared = select(ProjectMember.project_id).where(ProjectMember.user_id == user_id)
    return select(Project.id).where(or_(Project.owner_id == user_id, Project.id.in_(shared)))
