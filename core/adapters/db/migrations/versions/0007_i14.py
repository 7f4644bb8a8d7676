"""variant factory: video uploads as durable jobs (library_uploads, under RLS) and FTS5 search on SQLite

Revision ID: 0007_i14
Revises: 0006_drafts_rls
Create Date: 2026-12-03

`library_uploads` holds a video upload while its probe-and-transcode job runs (and its
refusal after), keyed by project like the other library tables, with the same policies.

On SQLite the library searches get FTS5 tables with the trigram tokenizer (SQLite 3.34+):
external-content indexes of `library_videos.title`, `library_audio.title` and `hooks.text`
kept in step by triggers, answering the same case-insensitive substring search as LIKE.
Where this SQLite has no FTS5 the tables are not made and the search falls back to LIKE
(`core.services.variant_factory.search` says why in the log). PostgreSQL keeps its pg_trgm
GIN indexes (0004_i14_factory).
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0007_i14"
down_revision = "0006_drafts_rls"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")
ROLE = "studio_user"
TABLE = "library_uploads"
# Searched table -> its text column; the FTS5 table is `<table>_fts`.
FTS = {"library_videos": "title", "library_audio": "title", "hooks": "text"}


def _table() -> None:
    op.create_table(TABLE,
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('upload_key', sa.String(length=255), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.Column('video_id', sa.String(length=36), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_library_uploads_owner_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_library_uploads_project_id_projects'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_uploads'))
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index('ix_library_uploads_project_created', ['project_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_library_uploads_job_id'), ['job_id'], unique=False)


def _policies() -> list[tuple[str, str, str | None, str | None]]:
    return [
        (f"{TABLE}_select", "SELECT", "studio_project_right(project_id) >= 1", None),
        (f"{TABLE}_insert", "INSERT", None, "owner_id = studio_uid() AND studio_project_right(project_id) >= 2"),
        (f"{TABLE}_update", "UPDATE", "studio_project_right(project_id) >= 2", "studio_project_right(project_id) >= 2"),
        (f"{TABLE}_delete", "DELETE", "studio_project_right(project_id) >= 2", None),
    ]


def _row_level_security() -> None:
    op.execute(f"GRANT SELECT, INSERT, DELETE ON {TABLE} TO {ROLE}")
    op.execute(f"GRANT UPDATE (job_id) ON {TABLE} TO {ROLE}")  # status and results: the job's own session
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    for name, command, using, check in _policies():
        sql = f"CREATE POLICY {name} ON {TABLE} FOR {command} TO {ROLE}"
        sql += f" USING ({using})" if using else ""
        sql += f" WITH CHECK ({check})" if check else ""
        op.execute(sql)


def _has_fts5() -> bool:
    try:
        op.execute("CREATE VIRTUAL TABLE temp.i14_fts5_probe USING fts5(x, tokenize='trigram')")
        op.execute("DROP TABLE temp.i14_fts5_probe")
        return True
    except Exception as exc:  # an SQLite built without FTS5, or older than 3.34 (no trigram tokenizer)
        logger.warning("SQLite full-text search is not available (%s); library searches use LIKE", exc)
        return False


def _fts_tables() -> None:
    for table, column in FTS.items():
        fts = f"{table}_fts"
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', content_rowid='rowid', "
            "tokenize='trigram')"
        )
        op.execute(f"INSERT INTO {fts}(rowid, {column}) SELECT rowid, {column} FROM {table}")
        op.execute(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {column}) VALUES (new.rowid, new.{column}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.rowid, old.{column}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {column} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.rowid, old.{column}); "
            f"INSERT INTO {fts}(rowid, {column}) VALUES (new.rowid, new.{column}); END"
        )


def upgrade() -> None:
    _table()
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _row_level_security()
    elif dialect == "sqlite" and _has_fts5():
        _fts_tables()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name, *_ in _policies():
            op.execute(f"DROP POLICY IF EXISTS {name} ON {TABLE}")
        op.execute(f"REVOKE ALL ON {TABLE} FROM {ROLE}")
    elif dialect == "sqlite":
        for table in FTS:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    op.drop_table(TABLE)
