"""Substring search that an index serves: on PostgreSQL `ILIKE '%...%'` is answered by the
pg_trgm GIN indexes of migration 0004_i14_factory (no table scan); SQLite falls back to a
case-insensitive LIKE, which is fine at a laptop's library sizes."""

from __future__ import annotations

from typing import Any

MAX_QUERY_CHARS = 100


def _escaped(query: str) -> str:
    return query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matches(column: Any, query: str | None) -> Any | None:
    """A WHERE clause for `column` containing `query` (any case), or None for no filter."""
    text = (query or "").strip()[:MAX_QUERY_CHARS]
    if not text:
        return None
    return column.ilike(f"%{_escaped(text)}%", escape="\\")


def paged(statement: Any, page: int, per_page: int) -> Any:
    page = max(1, int(page))
    return statement.limit(per_page).offset((page - 1) * per_page)
