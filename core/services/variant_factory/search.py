"""Library searches that an index serves, under the project right.

On PostgreSQL `ILIKE '%...%'` is answered by the pg_trgm GIN indexes of migration
0004_i14_factory. Row-level security would defeat them: `ILIKE` is not leakproof, so
under a policy the planner must check the policy on every row before it may test the
pattern, which turns the index into a sequential scan (600 ms on 20,000 rows). So the
matching ids are found in a session of the tables' owner, with the database itself
re-checking the right once (`studio_project_right(:project)` on the acting user, a
one-time filter), after the service's own check; the page's rows are then read in the
user's session, under the policies as always. SQLite falls back to a case-insensitive
LIKE, fine at a laptop's library sizes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select, text

from core.ports_services import Services

MAX_QUERY_CHARS = 100


def _escaped(query: str) -> str:
    return query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matches(column: Any, query: str | None) -> Any | None:
    """A WHERE clause for `column` containing `query` (any case), or None for no filter."""
    cleaned = (query or "").strip()[:MAX_QUERY_CHARS]
    if not cleaned:
        return None
    return column.ilike(f"%{_escaped(cleaned)}%", escape="\\")


def page_of(
    services: Services,
    *,
    user_id: str,
    model: Any,  # an ORM model class with `id`
    project_id: str,
    where: list[Any],
    order_by: tuple[Any, ...],
    page: int,
    per_page: int,
) -> tuple[list[Any], int]:
    """(rows of one page in order, total matches); the caller has checked the project right."""
    page = max(1, int(page))
    # One pass over the matches: the window count is taken before LIMIT applies.
    paged = select(model.id, func.count().over()).where(*where).order_by(*order_by)
    paged = paged.limit(per_page).offset((page - 1) * per_page)
    count_query = select(func.count()).select_from(model).where(*where)
    with services.db.session() as session:
        if not services.db.is_sqlite:
            session.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": user_id})
            allowed = func.studio_project_right(literal(project_id)) >= 1
            paged, count_query = paged.where(allowed), count_query.where(allowed)
        found = session.execute(paged).all()
        ids = [row[0] for row in found]
        total = int(found[0][1]) if found else int(session.scalar(count_query) or 0)  # past the end: count alone
    if not ids:
        return [], total
    with services.db.session(user_id=user_id) as session:
        rows = {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}
        for row in rows.values():
            session.expunge(row)
    return [rows[i] for i in ids if i in rows], total


def list_library(
    services: Services,
    *,
    user_id: str,
    model: Any,
    project_id: str,
    query: str | None,
    filters: list[Any],
    membership: tuple[Any, Any] | None,
    collection_id: str | None,
    page: int,
    per_page: int,
) -> tuple[list[Any], int]:
    """One page of a library table (videos, audio): the project's rows matching the title search,
    the caller's `filters` and, with `collection_id`, the collection's members (`membership` is
    the link table's (member id, collection id) columns)."""
    from core.services.access import Right, project_with_right

    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
    where = [model.project_id == project_id, *filters]
    if (clause := matches(model.title, query)) is not None:
        where.append(clause)
    if collection_id and membership is not None:
        member_id, member_collection = membership
        where.append(model.id.in_(select(member_id).where(member_collection == collection_id)))
    order_by = (model.created_at.desc(), model.id)
    return page_of(
        services, user_id=user_id, model=model, project_id=project_id, where=where, order_by=order_by,
        page=page, per_page=per_page,
    )
