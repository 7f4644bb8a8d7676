"""drafts under row-level security: a user reads and writes only their own drafts, and only in
projects they may see. The last revision also joins the heads of the parallel feature branches.

Revision ID: 0006_drafts_rls
Revises: 0004_i10_rls, 0004_i11_drafts, 0004_i14_factory, 0004_i16_copilot, 0004_i17_avatars, 0005_i9_paid_calls
Create Date: 2026-12-02
"""

from alembic import op

revision = "0006_drafts_rls"
down_revision = (
    "0004_i10_rls",
    "0004_i11_drafts",
    "0004_i14_factory",
    "0004_i16_copilot",
    "0004_i17_avatars",
    "0005_i9_paid_calls",
)
branch_labels = None
depends_on = None

ROLE = "studio_user"
OWN = "user_id = studio_uid() AND studio_project_right(project_id) > 0"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"GRANT SELECT, INSERT, DELETE ON drafts TO {ROLE}")
    op.execute(f"GRANT UPDATE (text, updated_at) ON drafts TO {ROLE}")
    op.execute("ALTER TABLE drafts ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY drafts_own ON drafts FOR ALL TO {ROLE} USING ({OWN}) WITH CHECK ({OWN})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY IF EXISTS drafts_own ON drafts")
    op.execute("ALTER TABLE drafts DISABLE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON drafts FROM {ROLE}")
