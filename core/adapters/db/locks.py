"""Row locks that work on PostgreSQL and SQLite alike.

PostgreSQL: SELECT ... FOR UPDATE. SQLite has no row locks, but every session there
begins IMMEDIATE (it holds the database write lock), which serialises check-then-write
sections the same way; here the row is then simply read.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

T = TypeVar("T")


def lock_row(session: Session, model: type[T], row_id: str) -> T | None:
    table: Any = model
    if session.get_bind().dialect.name == "sqlite":
        return session.get(model, row_id, populate_existing=True)
    return session.scalars(
        select(table).where(table.id == row_id).with_for_update().execution_options(populate_existing=True)
    ).first()
