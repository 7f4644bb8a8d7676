"""Library searches that an index serves, under the project right.

On PostgreSQL the word indexes of migration 0009_i14fac narrow `ILIKE '%...%'`: the longest
word of the query (at most 32 characters of it) is looked up in the vocabulary
`search_words` (pg_trgm), and the rows holding one of the words found come from the GIN
index on `studio_words(column)`; the row's text is then checked with ILIKE as before, so the
index can only narrow, never change, what matches. Why not pg_trgm on the column itself: a
trigram index scan costs as much as the posting lists of the query's commonest trigrams
(26-40 ms for 1,200 hits in 1,000,000 hooks), the word index as much as the hits (0.3 ms).
Row-level security would defeat either index: `ILIKE` is not leakproof, so under a policy
the planner must check the policy on every row before it may test the pattern, which turns
the index into a sequential scan (600 ms on 20,000 rows). So the matching ids are found in a
session of the tables' owner, with the database itself re-checking the right once
(`studio_project_right(:project)` on the acting user, a one-time filter), after the
service's own check; the page's rows are then read in the user's session, under the
policies as always. The vocabulary is readable only there.

On SQLite the FTS5 trigram tables of migrations 0007_i14 and 0010_i14idx answer the same substring search
(`<table>_fts MATCH '"word"'`, any case) from an index; the row's own text is checked
again with LIKE, so an index entry gone stale can never show a row that does not match.
Queries under three characters (a trigram needs three) and an SQLite without FTS5 use
LIKE, and the log says why once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, false, func, literal, literal_column, select, text
from sqlalchemy import table as sa_table

from core.ports_services import Services

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 100
TRIGRAM = 3  # FTS5's trigram tokenizer matches only queries of three characters or more
COUNT_CAP = 10_000  # a library page counts its matches up to here ("10,000+")
WORD_KEY_CHARS = 32  # migration 0009_i14fac keeps any 32 characters of a word in one index entry
# The texts with a word index on PostgreSQL (migrations 0009_i14fac, WORDS there, and
# 0010_i14idx, PG_TEXTS there: a JSON text by the name `json_text` gives it).
WORD_INDEXED = {
    "hooks": ("text",),
    "library_videos": ("title",),
    "library_audio": ("title",),
    "video_assets": ("source_text", "image_prompt"),
    "ugc_ads": ("title", "product_name", "prompt"),
    "ugc_scenes": ("dialogue",),
}
# JSON texts searched, by (table, name): their path inside a JSON column (0010_i14idx).
JSON_TEXTS = {
    ("ugc_ads", "prompt"): ("options", ("brief", "prompt")),
    ("ugc_scenes", "dialogue"): ("spec", ("dialogue",)),
}
_FTS_TABLES: dict[str, set[str]] = {}  # database url -> its FTS5 tables, looked up once


def count_label(total: int, noun: str, plural: str | None = None) -> str:
    """'1 hook', '12 hooks', '10,000+ hooks' (a count that reached COUNT_CAP)."""
    word = noun if total == 1 else (plural or noun + "s")
    return f"{total:,}{'+' if total >= COUNT_CAP else ''} {word}"


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


def _word_key(cleaned: str) -> str:
    """The longest word of the query, cut to what one index entry surely holds. Any part of
    the query without whitespace lies inside one word of a matching text (Python splits on
    every character PostgreSQL's `\\s` does, and more), so it is a safe key."""
    return max(cleaned.split(), key=len)[:WORD_KEY_CHARS]


def _word_clause(column: Any, cleaned: str) -> Any:
    """PostgreSQL: `column` holds a word of the vocabulary that contains the query's key
    (lower-cased by the database, as ILIKE does), from the word GIN index."""
    words = sa_table("search_words", literal_column("word"))
    pattern = literal("%") + func.lower(literal(_escaped(_word_key(cleaned)))) + literal("%")
    found: Select[Any] = (
        select(literal_column("word")).select_from(words).where(literal_column("word").like(pattern, escape="\\"))
    )
    return func.studio_words(column).op("&&")(func.array(found.scalar_subquery()))


@dataclass(frozen=True, slots=True)
class JsonText:
    """A text inside a JSON column, written exactly as its index is (0010_i14idx): PostgreSQL
    matches an expression index only to the same expression, constants and all."""

    table: str
    name: str
    expression: Any


def json_text(services: Services, table: str, name: str) -> JsonText:
    """The searched JSON text `name` of `table` (a key of JSON_TEXTS; never user text)."""
    column, path = JSON_TEXTS[(table, name)]
    if services.db.is_sqlite:
        sql = f"json_extract({table}.{column}, '$.{'.'.join(path)}')"
    else:
        steps = "".join(f" -> '{key}'" for key in path[:-1])
        sql = f"({table}.{column}{steps} ->> '{path[-1]}')"
    return JsonText(table, name, literal_column(sql))


def cleaned_query(query: str | None) -> str:
    """The query as searched: runs of whitespace as one space, at most MAX_QUERY_CHARS."""
    return " ".join((query or "").split())[:MAX_QUERY_CHARS]


def contains(expression: Any, cleaned: str) -> Any:
    """`expression` contains the (cleaned) query, any case, wildcards as plain text; no index.
    A NUL matches nothing: no stored text holds one, PostgreSQL refuses it as a parameter, and
    SQLite would end the pattern there (matching everything)."""
    if "\x00" in cleaned:
        return false()
    return expression.ilike(f"%{_escaped(cleaned)}%", escape="\\")


def matches(services: Services, column: Any, query: str | None, *, word_index: bool = True) -> Any:
    """A WHERE clause for `column` (an ORM column or a `JsonText`) containing `query` (any
    case), or None for no filter. With `word_index` on PostgreSQL: only for a session of the
    tables' owner (the vocabulary is not the user's); a user session's query passes False."""
    cleaned = cleaned_query(query)
    if not cleaned:
        return None
    if "\x00" in cleaned:
        return false()
    if isinstance(column, JsonText):
        table, name, column = column.table, column.name, column.expression
    else:
        table, name = column.class_.__tablename__, column.key
    like = contains(column, cleaned)
    if not services.db.is_sqlite:
        indexed = word_index and name in WORD_INDEXED.get(table, ()) and len(_word_key(cleaned)) >= TRIGRAM
        return and_(_word_clause(column, cleaned), like) if indexed else like
    fts = _fts_table(services, table) if len(cleaned) >= TRIGRAM else None
    if fts is None:
        return like
    found = literal_column(fts).op("MATCH")(_fts_phrase(cleaned))
    hits: Select[Any] = select(literal_column("rowid")).select_from(sa_table(fts)).where(found)
    return and_(literal_column(f"{table}.rowid").in_(hits), like)


def in_projects(services: Services, column: Any, projects: Select[Any]) -> Any:
    """`column` is one of the ids `projects` selects (a user's few visible projects). On
    PostgreSQL as `= ANY(ARRAY(...))`, worked out once: as `IN (subquery)` the planner joins
    it and sorts every row of those projects for a newest-first page (1.8 s for 1,000,000
    rows) instead of walking the newest rows of an index and stopping at the page."""
    if services.db.is_sqlite:
        return column.in_(projects)
    return column == func.any(func.array(projects.scalar_subquery()))


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
    """(rows of one page in order, matches counted up to COUNT_CAP); the caller has checked the
    project right."""
    page = max(1, int(page))
    with services.db.session() as session:
        if not services.db.is_sqlite:
            session.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": user_id})
            where = [*where, func.studio_project_right(literal(project_id)) >= 1]
        paged = select(model.id).where(*where).order_by(*order_by).limit(per_page).offset((page - 1) * per_page)
        # Counted up to COUNT_CAP: a count stops there instead of visiting every match (a search
        # that matches most of 1,000,000 rows, or none at all: 3-4 s for the plain listing).
        capped = select(literal(1)).select_from(model).where(*where).limit(COUNT_CAP).subquery()
        count_query = select(func.count()).select_from(capped)
        ids = list(session.scalars(paged))
        total = int(session.scalar(count_query) or 0)
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
