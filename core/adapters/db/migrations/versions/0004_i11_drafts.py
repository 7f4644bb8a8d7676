"""drafts: typed but not yet submitted text (scripts), per user, project and field

Revision ID: 0004_i11_drafts
Revises: 0003_ugc_rls
Create Date: 2026-12-02

Read and written only by the services' own role (filtered by user id in the service), so it
needs no row-level security policy.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_i11_drafts"
down_revision = "0003_ugc_rls"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_drafts_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_drafts_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        sa.UniqueConstraint("user_id", "project_id", "field", name=op.f("uq_drafts_user_id")),
    )
    op.create_index(op.f("ix_drafts_user_id"), "drafts", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_drafts_user_id"), table_name="drafts")
    op.drop_table("drafts")
