"""Talking videos of the creator's own avatars: `video_assets.avatar_id`, and `actor_id` may be
empty (a video shows either a catalog actor or an own avatar, never both: the service checks).

Deleting an avatar keeps its videos (they own a copy of the photo they used): SET NULL.
No new grants: studio_user already inserts whole `video_assets` rows (0002_accounts).

Revision ID: 0007_i17
Revises: 0006_drafts_rls
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_i17"
down_revision = "0006_drafts_rls"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("video_assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("avatar_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_video_assets_avatar_id_avatars"), "avatars", ["avatar_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index(batch_op.f("ix_video_assets_avatar_id"), ["avatar_id"], unique=False)
        batch_op.alter_column("actor_id", existing_type=sa.String(length=36), nullable=True)


def downgrade() -> None:
    # Videos of own avatars have no catalog actor: they cannot live in the older schema.
    op.execute("DELETE FROM video_assets WHERE actor_id IS NULL")
    with op.batch_alter_table("video_assets", schema=None) as batch_op:
        batch_op.alter_column("actor_id", existing_type=sa.String(length=36), nullable=False)
        batch_op.drop_index(batch_op.f("ix_video_assets_avatar_id"))
        batch_op.drop_constraint(batch_op.f("fk_video_assets_avatar_id_avatars"), type_="foreignkey")
        batch_op.drop_column("avatar_id")
