"""variant factory: media library (videos, audio, collections), hooks, variant batches; RLS and trigram search

Revision ID: 0004_i14_factory
Revises: 0003_ugc_rls
Create Date: 2026-12-02

Plain create/drop of new tables (SQLite batch mode for the indexes). On PostgreSQL the
user role gets the same project-keyed policies as videos (read with any right, write as
an editor or owner), and the library searches get pg_trgm GIN indexes so a substring
search does not scan the table.
"""

from alembic import op
import sqlalchemy as sa


revision = "0004_i14_factory"
down_revision = "0003_ugc_rls"
branch_labels = None
depends_on = None

ROLE = "studio_user"
BY_PROJECT = ("media_collections", "library_videos", "library_audio", "hooks", "variant_batches")
# child table: (parent table, parent key column)
BY_PARENT = {
    "collection_videos": ("media_collections", "collection_id"),
    "collection_audio": ("media_collections", "collection_id"),
    "batch_variants": ("variant_batches", "batch_id"),
}
# Columns a user session may change (never owners or projects).
UPDATABLE = {
    "media_collections": "name",
    "library_videos": "title",
    "library_audio": "title, status, job_id, error",
    "hooks": "text, text_key, category, updated_at",
    "variant_batches": "zip_key, zip_bytes, name",
    "batch_variants": "status, job_id, error, kept_video_id, updated_at",
}
TRIGRAM = {"library_videos": "title", "library_audio": "title", "hooks": "text"}


def _tables() -> None:
    op.create_table('hooks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('text_key', sa.String(length=500), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_hooks_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_hooks_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hooks')),
    sa.UniqueConstraint('project_id', 'text_key', name=op.f('uq_hooks_project_id'))
    )
    with op.batch_alter_table('hooks', schema=None) as batch_op:
        batch_op.create_index('ix_hooks_project_category', ['project_id', 'category'], unique=False)

    op.create_table('library_audio',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('audio_key', sa.String(length=255), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('script', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.String(length=36), nullable=True),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actors.id'], name=op.f('fk_library_audio_actor_id_actors'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_library_audio_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_library_audio_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_audio'))
    )
    with op.batch_alter_table('library_audio', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_audio_job_id'), ['job_id'], unique=False)
        batch_op.create_index('ix_library_audio_project_created', ['project_id', 'created_at'], unique=False)

    op.create_table('library_videos',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('source_ref', sa.String(length=36), nullable=True),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('video_key', sa.String(length=255), nullable=False),
    sa.Column('poster_key', sa.String(length=255), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_library_videos_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_library_videos_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_videos'))
    )
    with op.batch_alter_table('library_videos', schema=None) as batch_op:
        batch_op.create_index('ix_library_videos_project_created', ['project_id', 'created_at'], unique=False)

    op.create_table('media_collections',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_media_collections_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_media_collections_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_collections')),
    sa.UniqueConstraint('project_id', 'kind', 'name', name=op.f('uq_media_collections_project_id'))
    )
    with op.batch_alter_table('media_collections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_collections_project_id'), ['project_id'], unique=False)

    op.create_table('variant_batches',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('product', sa.String(length=80), nullable=False),
    sa.Column('naming_pattern', sa.String(length=120), nullable=False),
    sa.Column('style', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('zip_key', sa.String(length=255), nullable=True),
    sa.Column('zip_bytes', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expired', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_variant_batches_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_variant_batches_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_variant_batches'))
    )
    with op.batch_alter_table('variant_batches', schema=None) as batch_op:
        batch_op.create_index('ix_variant_batches_project_created', ['project_id', 'created_at'], unique=False)

    op.create_table('batch_variants',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.String(length=36), nullable=True),
    sa.Column('audio_id', sa.String(length=36), nullable=True),
    sa.Column('hook_id', sa.String(length=36), nullable=True),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.Column('video_key', sa.String(length=255), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('render_mode', sa.String(length=16), nullable=True),
    sa.Column('file_name', sa.String(length=120), nullable=False),
    sa.Column('kept_video_id', sa.String(length=36), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['audio_id'], ['library_audio.id'], name=op.f('fk_batch_variants_audio_id_library_audio'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['batch_id'], ['variant_batches.id'], name=op.f('fk_batch_variants_batch_id_variant_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hook_id'], ['hooks.id'], name=op.f('fk_batch_variants_hook_id_hooks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['video_id'], ['library_videos.id'], name=op.f('fk_batch_variants_video_id_library_videos'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_variants')),
    sa.UniqueConstraint('batch_id', 'n', name=op.f('uq_batch_variants_batch_id'))
    )
    with op.batch_alter_table('batch_variants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_variants_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_batch_variants_fingerprint', ['fingerprint', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_batch_variants_job_id'), ['job_id'], unique=False)

    op.create_table('collection_audio',
    sa.Column('collection_id', sa.String(length=36), nullable=False),
    sa.Column('audio_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['audio_id'], ['library_audio.id'], name=op.f('fk_collection_audio_audio_id_library_audio'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['collection_id'], ['media_collections.id'], name=op.f('fk_collection_audio_collection_id_media_collections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'audio_id', name=op.f('pk_collection_audio'))
    )
    op.create_table('collection_videos',
    sa.Column('collection_id', sa.String(length=36), nullable=False),
    sa.Column('video_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['media_collections.id'], name=op.f('fk_collection_videos_collection_id_media_collections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['video_id'], ['library_videos.id'], name=op.f('fk_collection_videos_video_id_library_videos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'video_id', name=op.f('pk_collection_videos'))
    )


def _policies() -> list[tuple[str, str, str, str | None, str | None]]:
    out = []
    for table in BY_PROJECT:
        out += [
            (table, f"{table}_select", "SELECT", "studio_project_right(project_id) >= 1", None),
            (table, f"{table}_insert", "INSERT", None, "owner_id = studio_uid() AND studio_project_right(project_id) >= 2"),
            (table, f"{table}_update", "UPDATE", "studio_project_right(project_id) >= 2", "studio_project_right(project_id) >= 2"),
            (table, f"{table}_delete", "DELETE", "studio_project_right(project_id) >= 2", None),
        ]
    for table, (parent, column) in BY_PARENT.items():
        right = f"(SELECT max(studio_project_right(p.project_id)) FROM {parent} p WHERE p.id = {column})"
        out += [
            (table, f"{table}_select", "SELECT", f"{right} >= 1", None),
            (table, f"{table}_insert", "INSERT", None, f"{right} >= 2"),
            (table, f"{table}_update", "UPDATE", f"{right} >= 2", f"{right} >= 2"),
            (table, f"{table}_delete", "DELETE", f"{right} >= 2", None),
        ]
    return out


def _row_level_security() -> None:
    for table in (*BY_PROJECT, *BY_PARENT):
        op.execute(f"GRANT SELECT, INSERT, DELETE ON {table} TO {ROLE}")
        if table in UPDATABLE:
            op.execute(f"GRANT UPDATE ({UPDATABLE[table]}) ON {table} TO {ROLE}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    for table, name, command, using, check in _policies():
        sql = f"CREATE POLICY {name} ON {table} FOR {command} TO {ROLE}"
        sql += f" USING ({using})" if using else ""
        sql += f" WITH CHECK ({check})" if check else ""
        op.execute(sql)


def _trigram_indexes() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in TRIGRAM.items():
        op.execute(f"CREATE INDEX ix_{table}_{column}_trgm ON {table} USING gin ({column} gin_trgm_ops)")


def upgrade() -> None:
    _tables()
    if op.get_bind().dialect.name == "postgresql":
        _trigram_indexes()
        _row_level_security()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, name, *_ in _policies():
            op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
        for table in (*BY_PROJECT, *BY_PARENT):
            op.execute(f"REVOKE ALL ON {table} FROM {ROLE}")
        for table, column in TRIGRAM.items():
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm")
    for table in ("batch_variants", "variant_batches", "collection_audio", "collection_videos", "hooks",
                  "library_audio", "library_videos", "media_collections"):
        op.drop_table(table)
