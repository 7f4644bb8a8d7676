"""Who is acting. Embedded mode has one local user; every row is still owner-scoped."""

from __future__ import annotations

from sqlalchemy import select

from core.adapters.db.models.projects import User
from core.ports_services import SqlDatabase


def ensure_user(db: SqlDatabase, email: str, *, display_name: str = "") -> str:
    """The id of the user with this email, created on first use."""
    email = email.strip().lower()
    with db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
        if user_id:
            return user_id
        user = User(email=email, display_name=display_name or email.split("@")[0])
        session.add(user)
        session.flush()
        return user.id
