"""Team projects: the owner invites members by email as editor or viewer, changes roles, removes them.

Viewers see and download; editors also generate and delete; only the owner manages members
and deletes the project (`core.services.accounts.access`). An email without an account gets a
pending invitation, turned into a membership when that email first signs in.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.adapters.db.models.accounts import ProjectInvite
from core.adapters.db.models.projects import Project, ProjectMember, User
from core.domain.accounts import MemberView, Role
from core.errors import NotFound, ValidationError
from core.ports_services import Services
from core.services.accounts import audit
from core.services.accounts.access import Right, project_with_right

logger = logging.getLogger(__name__)

MEMBER_ROLES = (Role.EDITOR.value, Role.VIEWER.value)


def _role(role: str) -> str:
    if role not in MEMBER_ROLES:
        raise ValidationError("A member is an editor (can generate and delete) or a viewer (can watch and download).")
    return role


def _email(email: str) -> str:
    from core.services.accounts.sessions import normalize_email

    return normalize_email(email)


def invite_member(
    project_id: str, email: str, role: str, *, user_id: str, services: Services, address: str = ""
) -> MemberView:
    """Add (or re-role) a member by email; an email without an account gets a pending invitation."""
    email, role = _email(email), _role(role)
    invitee = _account_id(email, services)  # before the user's transaction: SQLite has one writer
    with services.db.session(user_id=user_id) as session:
        project = project_with_right(session, project_id, user_id, Right.OWN)
        if invitee == project.owner_id:
            raise ValidationError("You own this project already.")
        if invitee:
            _set_membership(session, project_id, invitee, role)
        else:
            _set_invite(session, project_id, email, role, user_id)
        audit.record(
            session,
            "member.invited",
            actor_id=user_id,
            project_id=project_id,
            subject=email,
            detail={"role": role, "pending": not invitee},
            address=address,
        )
        return MemberView(user_id=invitee, email=email, role=Role(role), pending=not invitee)


def _account_id(email: str, services: Services) -> str | None:
    """The account behind an email, found with the studio's role: row-level security shows a user
    only the people they already share a project with, and an invitee usually is not one yet."""
    with services.db.session() as session:
        return session.scalar(select(User.id).where(User.email == email))


def _set_membership(session: Session, project_id: str, member_id: str, role: str) -> None:
    member = session.scalar(
        select(ProjectMember).where(ProjectMember.project_id == project_id, ProjectMember.user_id == member_id)
    )
    if member is None:
        session.add(ProjectMember(project_id=project_id, user_id=member_id, role=role))
    else:
        member.role = role


def _set_invite(session: Session, project_id: str, email: str, role: str, invited_by: str) -> None:
    invite = session.scalar(
        select(ProjectInvite).where(ProjectInvite.project_id == project_id, ProjectInvite.email == email)
    )
    if invite is None:
        session.add(ProjectInvite(project_id=project_id, email=email, role=role, invited_by=invited_by))
    else:
        invite.role = role


def list_members(project_id: str, *, user_id: str, services: Services) -> list[MemberView]:
    """The owner first, then members; pending invitations are shown to the owner only."""
    with services.db.session(user_id=user_id) as session:
        project = project_with_right(session, project_id, user_id, Right.VIEW)
        owner_email = session.scalar(select(User.email).where(User.id == project.owner_id)) or ""
        views = [MemberView(user_id=project.owner_id, email=owner_email, role=Role.OWNER, since=project.created_at)]
        rows = session.execute(
            select(ProjectMember.user_id, User.email, ProjectMember.role, ProjectMember.created_at)
            .join(User, User.id == ProjectMember.user_id)
            .where(ProjectMember.project_id == project_id)
            .order_by(User.email)
        ).all()
        views += [MemberView(user_id=uid, email=email, role=Role(role), since=at) for uid, email, role, at in rows]
        if project.owner_id == user_id:
            invites = session.scalars(
                select(ProjectInvite).where(ProjectInvite.project_id == project_id).order_by(ProjectInvite.email)
            ).all()
            views += [MemberView(None, i.email, Role(i.role), pending=True, since=i.created_at) for i in invites]
        return views


def change_role(project_id: str, email: str, role: str, *, user_id: str, services: Services, address: str = "") -> None:
    email, role = _email(email), _role(role)
    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.OWN)
        member = _member_by_email(session, project_id, email)
        invite = session.scalar(
            select(ProjectInvite).where(ProjectInvite.project_id == project_id, ProjectInvite.email == email)
        )
        if member is None and invite is None:
            raise NotFound(f"{email} is not a member of this project.")
        for row in (member, invite):
            if row is not None:
                row.role = role
        audit.record(
            session,
            "member.role_changed",
            actor_id=user_id,
            project_id=project_id,
            subject=email,
            detail={"role": role},
            address=address,
        )


def remove_member(project_id: str, email: str, *, user_id: str, services: Services, address: str = "") -> None:
    """The owner removes anyone; a member may remove themselves (leave)."""
    email = _email(email)
    with services.db.session(user_id=user_id) as session:
        me = session.scalar(select(User.email).where(User.id == user_id))
        project_with_right(session, project_id, user_id, Right.VIEW if email == me else Right.OWN)
        member = _member_by_email(session, project_id, email)
        removed = session.execute(
            delete(ProjectInvite).where(ProjectInvite.project_id == project_id, ProjectInvite.email == email)
        ).rowcount  # type: ignore[attr-defined]
        if member is not None:
            session.delete(member)
        elif not removed:
            raise NotFound(f"{email} is not a member of this project.")
        audit.record(session, "member.removed", actor_id=user_id, project_id=project_id, subject=email, address=address)


def _member_by_email(session: Session, project_id: str, email: str) -> ProjectMember | None:
    return session.scalar(
        select(ProjectMember)
        .join(User, User.id == ProjectMember.user_id)
        .where(ProjectMember.project_id == project_id, User.email == email)
    )


def claim_invitations(session: Session, user: User) -> int:
    """Turn the email's pending invitations into memberships (at sign-up and sign-in)."""
    invites = session.scalars(select(ProjectInvite).where(ProjectInvite.email == user.email)).all()
    for invite in invites:
        owner = session.scalar(select(Project.owner_id).where(Project.id == invite.project_id))
        if owner != user.id:
            _set_membership(session, invite.project_id, user.id, invite.role)
        session.delete(invite)
    if invites:
        logger.info("user %s joined %d project(s) by invitation", user.id, len(invites))
    return len(invites)
