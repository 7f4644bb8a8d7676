"""copilot: chats and their messages, with row-level security like the mass-generator tables

Revision ID: 0004_i16_copilot
Revises: 0003_ugc_rls
Create Date: 2026-12-02

Plain create/drop of new tables (batch mode for the indexes on SQLite). On PostgreSQL the
user role may read the chats of projects it has a right on, and their messages; writes
stay with the services' own role, as for the mass-generator tables.
"""

from alembic import op
import sqlalchemy as sa


revision = "0004_i16_copilot"
down_revision = "0003_ugc_rls"
branch_labels = None
depends_on = None

ROLE = "studio_user"
POLICIES = {
    "copilot_chats": "studio_project_right(project_id) >= 1",
    "copilot_messages": "EXISTS (SELECT 1 FROM copilot_chats c WHERE c.id = chat_id)",
}


def upgrade() -> None:
    op.create_table('copilot_chats',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('ad_id', sa.String(length=36), nullable=True),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ad_id'], ['ugc_ads.id'], name=op.f('fk_copilot_chats_ad_id_ugc_ads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_copilot_chats_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_copilot_chats_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_copilot_chats'))
    )
    with op.batch_alter_table('copilot_chats', schema=None) as batch_op:
        batch_op.create_index('ix_copilot_chats_project_owner_updated', ['project_id', 'owner_id', 'updated_at'], unique=False)

    op.create_table('copilot_messages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('chat_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('intent', sa.String(length=24), nullable=True),
    sa.Column('ad_id', sa.String(length=36), nullable=True),
    sa.Column('stopped', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['chat_id'], ['copilot_chats.id'], name=op.f('fk_copilot_messages_chat_id_copilot_chats'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_copilot_messages')),
    sa.UniqueConstraint('chat_id', 'position', name=op.f('uq_copilot_messages_chat_id'))
    )
    with op.batch_alter_table('copilot_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_copilot_messages_chat_id'), ['chat_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table, using in POLICIES.items():
            op.execute(f"GRANT SELECT ON {table} TO {ROLE}")
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY {table}_select ON {table} FOR SELECT TO {ROLE} USING ({using})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in POLICIES:
            op.execute(f"DROP POLICY IF EXISTS {table}_select ON {table}")
            op.execute(f"REVOKE SELECT ON {table} FROM {ROLE}")
    with op.batch_alter_table('copilot_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_copilot_messages_chat_id'))
    op.drop_table('copilot_messages')
    with op.batch_alter_table('copilot_chats', schema=None) as batch_op:
        batch_op.drop_index('ix_copilot_chats_project_owner_updated')
    op.drop_table('copilot_chats')
