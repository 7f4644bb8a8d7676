"""library searches by word index on PostgreSQL: a vocabulary of the searched words (pg_trgm) and
a GIN index of each searched column's words, replacing the pg_trgm indexes on the columns

Revision ID: 0009_i14fac
Revises: 0008_join_features
Create Date: 2026-12-04

Why: a substring search through a pg_trgm GIN index costs as much as its most common trigrams'
posting lists, whatever it finds: 26-40 ms for 1,200 matches in 1,000,000 hooks (each trigram
of a short vocabulary sits in most rows). Here the substring is first looked up in the
vocabulary of distinct words (a small pg_trgm index), and the rows holding any of the words
found come from a GIN index of each row's words (posting lists as long as the result):
0.3 ms for the same 1,200 rows. The row's own text is still checked with ILIKE, so the word
index only narrows (see `core.services.variant_factory.search`).

`studio_words(text)`: the lower-case words between whitespace; a word longer than 64
characters is kept as overlapping 64-character pieces every 32 (any 32 characters of it lie
inside one piece, and the search looks up at most 32 characters), so no entry outgrows an
index row. `search_words` is filled by a trigger on each searched column (SECURITY DEFINER:
user sessions cannot read or write it; only the owner's search sessions read it). A word is
never removed: a stale word only costs a lookup that finds no row.

SQLite is unchanged (FTS5 trigram tables of 0007_i14).
"""

from __future__ import annotations

from alembic import op

revision = "0009_i14fac"
down_revision = "0008_join_features"
branch_labels = None
depends_on = None

# Searched table -> its text columns.
WORDS = {
    "hooks": ("text",),
    "library_videos": ("title",),
    "library_audio": ("title",),
    "video_assets": ("source_text", "image_prompt"),
}
OLD_TRIGRAM = {"library_videos": "title", "library_audio": "title", "hooks": "text"}  # from 0004_i14_factory

FUNCTIONS = """
CREATE OR REPLACE FUNCTION studio_words(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_agg(DISTINCT substr(w, s, 64))
  FROM unnest(regexp_split_to_array(lower(t), '\\s+')) AS w,
       generate_series(1, greatest(length(w) - 32, 1), 32) AS s
  WHERE w <> '' $$;

CREATE TABLE IF NOT EXISTS search_words (word text PRIMARY KEY);
CREATE INDEX IF NOT EXISTS ix_search_words_trgm ON search_words USING gin (word gin_trgm_ops);
REVOKE ALL ON search_words FROM PUBLIC;

CREATE OR REPLACE FUNCTION studio_note_words() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  col text;
  value text;
BEGIN
  FOREACH col IN ARRAY TG_ARGV LOOP
    EXECUTE format('SELECT ($1).%I::text', col) USING NEW INTO value;
    IF value IS NOT NULL THEN
      INSERT INTO search_words (word) SELECT unnest(studio_words(value)) ON CONFLICT DO NOTHING;
    END IF;
  END LOOP;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION studio_note_words() FROM PUBLIC;
"""


def _index(table: str, column: str) -> str:
    return f"ix_{table}_{column}_words"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(FUNCTIONS)
    for table, columns in WORDS.items():
        for column in columns:
            op.execute(f"CREATE INDEX {_index(table, column)} ON {table} USING gin (studio_words({column}))")
            op.execute(
                f"INSERT INTO search_words (word) SELECT DISTINCT unnest(studio_words({column})) FROM {table} "
                "ON CONFLICT DO NOTHING"
            )
        names = ", ".join(columns)
        op.execute(
            f"CREATE TRIGGER {table}_search_words AFTER INSERT OR UPDATE OF {names} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION studio_note_words({names})"
        )
    for table, column in OLD_TRIGRAM.items():
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in OLD_TRIGRAM.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_trgm ON {table} USING gin ({column} gin_trgm_ops)")
    for table, columns in WORDS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {table}_search_words ON {table}")
        for column in columns:
            op.execute(f"DROP INDEX IF EXISTS {_index(table, column)}")
    op.execute("DROP FUNCTION IF EXISTS studio_note_words()")
    op.execute("DROP TABLE IF EXISTS search_words")
    op.execute("DROP FUNCTION IF EXISTS studio_words(text)")
