"""Library searches that an index serves, under the project right.

On PostgreSQL `ILIKE '%...%'` is answered by the pg_trgm GIN indexes of migration
0004_i14_factory. Row-level security would defeat them: `ILIKE` is not leakproof, so
under a policy the planner must check the policy on every row before it may test the
pattern, which turns the index into a sequential scan (600 ms on 20,000 rows). So the
matching ids are found in a session of the tables' owner, with the database itself
re-checking the right once (`studio_project_right(:project)` on the acting user, a
one-time filter), after the service's own check; the page's rows are then read in the
user's session, under the policies as always.

On SQLite the FTS5 trigram tables of migration 0007_i14 answer the same substring search
(`<table>_fts MATCH '"word"'`, any case) from an index; the row's own text is checked
again with LIKE, so an index entry gone stale can never show a row that does not match.
Queries under three characters (a trigram needs three) and an SQLite without FTS5 use
LIKE, and the log says why once.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Select, and_, func, literal, literal_column, select, text
from sqlalchemy import table as sa_table

from core.ports_services import Services

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 100
TRIGRAM = 3  # FTS5's trigram tokenizer matches only queries of three characters or more
_FTS_TABLES: dict[str, set[str]] = {}  # database url -> its FTS5 tables, looked up once


def _escaped(query: str) -> str:
    return query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_table(services: Services, table: str) -> str | None:
    """The FTS5 index of `table` on this SQLite database, or None (said once per database)."""
    if not services.db.is_sqlite:
        return None
    known = _FTS_TABLES.get(services.db.url)
    if known is None:
        # A plain DBAPI read: no BEGIN IMMEDIATE, so it never waits on the caller's open session.
        raw = services.db.engine.raw_connection()
        try:
            names = raw.cursor().execute("SELECT name FROM sqlite_master WHERE name LIKE '%\\_fts' ESCAPE '\\'")
            known = _FTS_TABLES[services.db.url] = {row[0] for row in names}
        finally:
            raw.close()
        if not known:
            logger.warning("this SQLite has no FTS5 (trigram) index: library searches scan with LIKE")
    fts = f"{table}_fts"
    return fts if fts in known else None


def _fts_phrase(query: str) -> str:
    """The query as one FTS5 string: user text can never become FTS5 syntax."""
    return '"' + query.replace('"', '""') + '"'


def matches(services: Services, column: Any, query: str | None) -> Any | None:
    """A WHERE clause for `column` containing `query` (any case), or None for no filter."""
    cleaned = " ".join((query or "").split())[:MAX_QUERY_CHARS]
    if not cleaned:
        return None
    like = column.ilike(f"%{_escaped(cleaned)}%", escape="\\")
    table = column.class_.__tablename__
    fts = _fts_table(services, table) if len(cleaned) >= TRIGRAM else None
    if fts is None:
        return like
    found = literal_column(fts).op("MATCH")(_fts_phrase(cleaned))
    hits: Select[Any] = select(literal_column("rowid")).select_from(sa_table(fts)).where(found)
    return and_(literal_column(f"{table}.rowid").in_(hits), like)


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
    from core.services.accounts.access import Right, project_with_right

    with services.db.session(user_id=user_id) as session:
        project_with_right(session, project_id, user_id, Right.VIEW)
    where = [model.project_id == project_id, *filters]
    if (clause := matches(services, model.title, query)) is not None:
        where.append(clause)
    if collection_id and membership is not None:
        member_id, member_collection = membership
        where.append(model.id.in_(select(member_id).where(member_collection == collection_id)))
    order_by = (model.created_at.desc(), model.id)
    return page_of(
        services,
        user_id=user_id,
        model=model,
        project_id=project_id,
        where=where,
        order_by=order_by,
        page=page,
        per_page=per_page,
    )
