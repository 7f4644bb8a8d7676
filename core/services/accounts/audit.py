"""The audit log: sign-ins, invitations, key changes, deletions and refusals, with who and when.

Each line belongs to someone (`owner_id`): the owner of the project it concerns, or the
account it is about. Owners read their log with `list_events`. Lines never hold secrets:
key changes name the vendor only, refusals the rule and the term.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.adapters.db.database import as_studio_role
from core.adapters.db.models.accounts import AuditEvent
from core.adapters.db.models.projects import Project, User
from core.domain.accounts import AuditEntry
from core.errors import ContentBlocked, QuotaExceeded
from core.ports_services import Services

logger = logging.getLogger(__name__)

LABELS = {
    "sign_in.succeeded": "Signed in",
    "sign_in.failed": "Sign-in failed (wrong password or unknown email)",
    "sign_in.throttled": "Sign-in refused (too many wrong passwords)",
    "sign_out": "Signed out",
    "account.created": "Account created",
    "password.changed": "Password changed",
    "member.invited": "Invited a member",
    "member.role_changed": "Changed a member's role",
    "member.removed": "Removed a member",
    "key.saved": "Saved a provider key",
    "key.deleted": "Deleted a provider key",
    "project.deleted": "Deleted a project",
    "video.deleted": "Deleted a video",
    "variant.deleted": "Deleted an image variant",
    "refused.quota": "Refused: daily generation quota",
    "refused.ceiling": "Refused: daily cost ceiling",
    "refused.content": "Refused: blocked words",
    "paid_call.retry_consented": "Retried a paid request that may already have been charged",
}


def label(action: str) -> str:
    return LABELS.get(action, action.replace("_", " ").replace(".", ": "))


def record(
    session: Session,
    action: str,
    *,
    actor_id: str | None,
    owner_id: str | None = None,
    project_id: str | None = None,
    subject: str = "",
    detail: dict[str, Any] | None = None,
    address: str = "",
    actor_email: str | None = None,
) -> None:
    """Add a line in the caller's transaction (it commits or rolls back with the change it logs)."""
    if actor_email is None and actor_id:
        actor_email = session.scalar(select(User.email).where(User.id == actor_id)) or ""
    if owner_id is None and project_id:
        owner_id = session.scalar(select(Project.owner_id).where(Project.id == project_id))
    if owner_id is None and actor_id is None and actor_email:
        # e.g. a throttled sign-in: the line belongs to the account the email names, if any
        owner_id = session.scalar(select(User.id).where(User.email == actor_email))
    row = AuditEvent(
        action=action,
        actor_id=actor_id,
        actor_email=actor_email or "",
        owner_id=owner_id or actor_id,
        project_id=project_id,
        subject=subject[:200],
        detail=detail or {},
        address=address[:64],
    )
    # Audit lines are written by the studio's role only: a user session may read its lines, never add one.
    with as_studio_role(session):
        session.add(row)
        session.flush()
    logger.info("audit %s by %s on %s", action, actor_id or actor_email, project_id or subject or "-")


def record_now(services: Services, action: str, **fields: Any) -> None:
    """A line in its own transaction, for events whose own transaction rolled back (refusals)."""
    try:
        with services.db.session() as session:  # reads, then writes: take SQLite's lock first
            record(session, action, **fields)
    except Exception:  # the log must never turn a refusal into a crash
        logger.exception("could not write audit line %s", action)


@contextmanager
def refusals(services: Services, *, user_id: str, project_id: str | None, what: str) -> Iterator[None]:
    """Log quota, ceiling and content refusals raised inside, then let them through."""
    try:
        yield
    except (ContentBlocked, QuotaExceeded) as exc:
        if isinstance(exc, ContentBlocked):
            action = "refused.content"
        else:
            action = "refused.ceiling" if exc.code == "cost_ceiling" else "refused.quota"
        record_now(
            services,
            action,
            actor_id=user_id,
            project_id=project_id,
            subject=what,
            detail={"reason": exc.message, **(exc.details or {})},
        )
        raise


def list_events(
    *, user_id: str, services: Services, project_id: str | None = None, limit: int = 200
) -> list[AuditEntry]:
    """The user's log: lines about their projects and their account, newest first."""
    query = select(AuditEvent).where(or_(AuditEvent.owner_id == user_id, AuditEvent.actor_id == user_id))
    if project_id:
        query = query.where(AuditEvent.project_id == project_id)
    with services.db.session(user_id=user_id) as session:
        rows = session.scalars(query.order_by(AuditEvent.created_at.desc()).limit(limit)).all()
        return [
            AuditEntry(
                at=r.created_at,
                action=r.action,
                actor_email=r.actor_email,
                project_id=r.project_id,
                subject=r.subject,
                address=r.address,
                detail=dict(r.detail or {}),
            )
            for r in rows
        ]
