"""Join the heads of the parallel feature branches of stop 21 (variant factory uploads and
search, the editor, own avatars in videos, resilience): no schema change of its own.

Revision ID: 0008_join_features
Revises: 0007_i14, 0007_i15, 0007_i17, 0007_i18
Create Date: 2026-12-03
"""

revision = "0008_join_features"
down_revision = ("0007_i14", "0007_i15", "0007_i17", "0007_i18")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
