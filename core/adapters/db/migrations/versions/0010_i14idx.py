"""library searches of ads and the gallery from indexes: the word index on PostgreSQL for ads
(title, product name, the brief's prompt) and scene lines, FTS5 on SQLite for videos, ads and
scene lines; created_at indexes for the Library's newest-first page

Revision ID: 0010_i14idx
Revises: 0009_i14fac
Create Date: 2026-12-04

PostgreSQL: GIN indexes on `studio_words(...)` (0009_i14fac) of `ugc_ads.title`,
`ugc_ads.product_name`, the brief's prompt (`options -> 'brief' ->> 'prompt'`) and each
scene's line (`ugc_scenes.spec ->> 'dialogue'`), their words added to `search_words`, and
triggers that keep the vocabulary as rows change. The JSON texts need a trigger function
that reads expressions rather than columns (`studio_note_text_words`: each argument is an
expression over the new row, `$1`; fixed here, never user text). The query must write the
expression as the index does (`core.services.variant_factory.search.json_text`).

SQLite: FTS5 trigram tables as in 0007_i14. `video_assets_fts` is an external-content index of
`source_text` and `image_prompt`; the ads and scene lines are read from JSON, which an
external-content table cannot name, so `ugc_ads_fts` (title, product name, prompt) and
`ugc_scenes_fts` (line) are contentless (`content=''`), filled by the triggers with the
values they delete by. The search re-checks every row with LIKE, so the index only narrows.

Both: `(created_at, id)` indexes on `video_assets` and `ugc_outputs` (the Library's order), so
its unsearched newest-first page across several projects walks the newest rows and stops at a
page, instead of sorting every visible row (36 s for 1,000,000 rows).
"""

from __future__ import annotations

import logging

from alembic import op

revision = "0010_i14idx"
down_revision = "0009_i14fac"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

# PostgreSQL: table -> {index name part: expression over a row, `{row}` its prefix: none in the
# index, `($1).` in the trigger}.
PG_TEXTS = {
    "ugc_ads": {
        "title": "{row}title",
        "product_name": "{row}product_name",
        "prompt": "({row}options -> 'brief' ->> 'prompt')",
    },
    "ugc_scenes": {"dialogue": "({row}spec ->> 'dialogue')"},
}
PG_TRIGGER_COLUMNS = {"ugc_ads": "title, product_name, options", "ugc_scenes": "spec"}

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION studio_note_text_words() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  expression text;
  value text;
BEGIN
  FOREACH expression IN ARRAY TG_ARGV LOOP
    EXECUTE format('SELECT (%s)::text', expression) USING NEW INTO value;
    IF value IS NOT NULL THEN
      INSERT INTO search_words (word) SELECT unnest(studio_words(value)) ON CONFLICT DO NOTHING;
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION studio_note_text_words() FROM PUBLIC;
"""

# SQLite: FTS5 table -> (content table, {FTS column: expression over a row of it, `{row}.`}).
SQLITE_FTS = {
    "video_assets_fts": ("video_assets", {"source_text": "{row}.source_text", "image_prompt": "{row}.image_prompt"}),
    "ugc_ads_fts": (
        "ugc_ads",
        {
            "title": "{row}.title",
            "product_name": "{row}.product_name",
            "prompt": "json_extract({row}.options, '$.brief.prompt')",
        },
    ),
    "ugc_scenes_fts": ("ugc_scenes", {"dialogue": "json_extract({row}.spec, '$.dialogue')"}),
}
SQLITE_WATCHED = {"video_assets": "source_text, image_prompt", "ugc_ads": "title, product_name, options",
                  "ugc_scenes": "spec"}  # fmt: skip


def _pg_index(table: str, name: str) -> str:
    return f"ix_{table}_{name}_words"


def _pg_upgrade() -> None:
    op.execute(PG_FUNCTION)
    for table, texts in PG_TEXTS.items():
        for name, template in texts.items():
            expression = template.format(row="")
            op.execute(f"CREATE INDEX {_pg_index(table, name)} ON {table} USING gin (studio_words({expression}))")
            op.execute(
                f"INSERT INTO search_words (word) SELECT DISTINCT unnest(studio_words({expression})) FROM {table} "
                "ON CONFLICT DO NOTHING"
            )
        arguments = ", ".join("'" + t.format(row="($1).").replace("'", "''") + "'" for t in texts.values())
        op.execute(
            f"CREATE TRIGGER {table}_search_words AFTER INSERT OR UPDATE OF {PG_TRIGGER_COLUMNS[table]} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION studio_note_text_words({arguments})"
        )


def _pg_downgrade() -> None:
    for table, texts in PG_TEXTS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {table}_search_words ON {table}")
        for name in texts:
            op.execute(f"DROP INDEX IF EXISTS {_pg_index(table, name)}")
    op.execute("DROP FUNCTION IF EXISTS studio_note_text_words()")


def _has_fts5() -> bool:
    try:
        op.execute("CREATE VIRTUAL TABLE temp.i14idx_fts5_probe USING fts5(x, tokenize='trigram')")
        op.execute("DROP TABLE temp.i14idx_fts5_probe")
        return True
    except Exception as exc:  # an SQLite built without FTS5, or older than 3.34 (no trigram tokenizer)
        logger.warning("SQLite full-text search is not available (%s); library searches use LIKE", exc)
        return False


def _fts_values(fts: str, columns: dict[str, str], row: str, *, delete: bool) -> str:
    names = ", ".join(columns)
    values = ", ".join(e.format(row=row) for e in columns.values())
    if delete:
        return f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.rowid, {values});"
    return f"INSERT INTO {fts}(rowid, {names}) VALUES (new.rowid, {values});"


def _sqlite_upgrade() -> None:
    for fts, (table, columns) in SQLITE_FTS.items():
        external = all(e == "{row}." + name for name, e in columns.items())
        content = f"content='{table}', content_rowid='rowid'" if external else "content=''"
        op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(columns)}, {content}, tokenize='trigram')")
        values = ", ".join(e.format(row=table) for e in columns.values())
        op.execute(f"INSERT INTO {fts}(rowid, {', '.join(columns)}) SELECT rowid, {values} FROM {table}")
        added = _fts_values(fts, columns, "new", delete=False)
        removed = _fts_values(fts, columns, "old", delete=True)
        op.execute(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {added} END")
        op.execute(f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {removed} END")
        op.execute(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {SQLITE_WATCHED[table]} ON {table} BEGIN {removed} {added} END"
        )


def _sqlite_downgrade() -> None:
    for fts in SQLITE_FTS:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")


# The Library's newest-first page across projects walks these and stops at a page.
CREATED = {"ix_video_assets_created": "video_assets", "ix_ugc_outputs_created": "ugc_outputs"}


def upgrade() -> None:
    for name, table in CREATED.items():
        op.create_index(name, table, ["created_at", "id"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _pg_upgrade()
    elif dialect == "sqlite" and _has_fts5():
        _sqlite_upgrade()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _pg_downgrade()
    elif dialect == "sqlite":
        _sqlite_downgrade()
    for name, table in CREATED.items():
        op.drop_index(name, table_name=table)
