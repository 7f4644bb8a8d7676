"""provider resilience: pooled keys per vendor, provider health events and circuits

Revision ID: 0007_i18
Revises: 0006_drafts_rls
Create Date: 2026-12-03

On PostgreSQL a user session manages only its own pooled keys (system keys, `owner_id`
NULL, stay with the studio's role), reads its own provider events and the system's, and
reads the circuits; the worker (studio role) writes statuses, events and circuits.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_i18"
down_revision = "0006_drafts_rls"
branch_labels = None
depends_on = None

ROLE = "studio_user"
POLICIES = (
    ("pool_keys", "pool_keys_all", "ALL", "owner_id = studio_uid()", "owner_id = studio_uid()"),
    ("provider_events", "provider_events_select", "SELECT", "owner_id IS NULL OR owner_id = studio_uid()", None),
)


def _created(name: str = "created_at") -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "pool_keys",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=True),
        sa.Column("vendor", sa.String(20), nullable=False),
        sa.Column("label", sa.String(60), nullable=False),
        sa.Column("nonce", sa.String(24), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("limited_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        _created(),
        _created("updated_at"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_pool_keys_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_keys")),
    )
    op.create_index("ix_pool_keys_owner_vendor", "pool_keys", ["owner_id", "vendor"])
    op.create_table(
        "provider_events",
        sa.Column("id", sa.String(36), nullable=False),
        _created("at"),
        sa.Column("provider", sa.String(255), nullable=False),
        sa.Column("capability", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=True),
        sa.Column("pool_key_id", sa.String(36), nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_provider_events_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_events")),
    )
    op.create_index("ix_provider_events_provider_at", "provider_events", ["provider", "at"])
    op.create_table(
        "provider_circuits",
        sa.Column("provider", sa.String(255), nullable=False),
        sa.Column("capability", sa.String(40), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("down_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _created("updated_at"),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_provider_circuits")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _row_level_security()


def _row_level_security() -> None:
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON pool_keys TO {ROLE}")
    op.execute(f"GRANT SELECT ON provider_events, provider_circuits TO {ROLE}")
    for table, name, command, using, check in POLICIES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        sql = f"CREATE POLICY {name} ON {table} FOR {command} TO {ROLE}"
        sql += f" USING ({using})" if using else ""
        sql += f" WITH CHECK ({check})" if check else ""
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, name, *_ in POLICIES:
            op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
        op.execute(f"REVOKE ALL ON pool_keys, provider_events, provider_circuits FROM {ROLE}")
    op.drop_table("provider_circuits")
    op.drop_index("ix_provider_events_provider_at", table_name="provider_events")
    op.drop_table("provider_events")
    op.drop_index("ix_pool_keys_owner_vendor", table_name="pool_keys")
    op.drop_table("pool_keys")
