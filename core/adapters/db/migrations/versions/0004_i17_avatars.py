"""Digital twins: avatars, their photos and angles, reference sheets, LoRA models, face swaps.

Plain new tables (batch mode for SQLite indexes), then on PostgreSQL the same row-level
security as 0002_accounts: `studio_avatar_right(avatar)` is 3 for the avatar's creator,
else the project right when the avatar is shared with the team, else 0; photos and
sheets follow their avatar; LoRAs and face swaps follow their project, like videos.

Revision ID: 0004_i17_avatars
Revises: 0003_ugc_rls
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_i17_avatars"
down_revision = "0003_ugc_rls"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _tables()
    if op.get_bind().dialect.name == "postgresql":
        _row_level_security()


def _tables() -> None:
    op.create_table(
        "avatars",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("voice", sa.JSON(), nullable=False),
        sa.Column("dna", sa.JSON(), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_avatars_owner_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_avatars_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_avatars")),
    )
    with op.batch_alter_table("avatars", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_avatars_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_avatars_project_id"), ["project_id"], unique=False)

    op.create_table(
        "avatar_photos",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("avatar_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("image_key", sa.String(length=255), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("angle", sa.String(length=24), nullable=False),
        sa.Column("classified_by", sa.String(length=40), nullable=False),
        sa.Column("face_box", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["avatar_id"], ["avatars.id"], name=op.f("fk_avatar_photos_avatar_id_avatars"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_avatar_photos")),
    )
    with op.batch_alter_table("avatar_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_avatar_photos_avatar_id"), ["avatar_id"], unique=False)

    op.create_table(
        "avatar_sheets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("avatar_id", sa.String(length=36), nullable=False),
        sa.Column("image_key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["avatar_id"], ["avatars.id"], name=op.f("fk_avatar_sheets_avatar_id_avatars"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_avatar_sheets")),
    )
    with op.batch_alter_table("avatar_sheets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_avatar_sheets_avatar_id"), ["avatar_id"], unique=False)

    op.create_table(
        "face_swaps",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("video_type", sa.String(length=16), nullable=False),
        sa.Column("parent_kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("source_key", sa.String(length=255), nullable=False),
        sa.Column("face_key", sa.String(length=255), nullable=False),
        sa.Column("avatar_id", sa.String(length=36), nullable=True),
        sa.Column("resolution", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("video_key", sa.String(length=255), nullable=True),
        sa.Column("provider", sa.String(length=80), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["avatar_id"], ["avatars.id"], name=op.f("fk_face_swaps_avatar_id_avatars"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_face_swaps_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_face_swaps_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_swaps")),
    )
    with op.batch_alter_table("face_swaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_face_swaps_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_face_swaps_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_face_swaps_project_id"), ["project_id"], unique=False)

    op.create_table(
        "lora_models",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("avatar_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("trigger_phrase", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.Column("weights_key", sa.String(length=255), nullable=True),
        sa.Column("high_noise_key", sa.String(length=255), nullable=True),
        sa.Column("config_key", sa.String(length=255), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["avatar_id"], ["avatars.id"], name=op.f("fk_lora_models_avatar_id_avatars"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_lora_models_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_lora_models_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lora_models")),
    )
    with op.batch_alter_table("lora_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lora_models_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lora_models_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lora_models_project_id"), ["project_id"], unique=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _drop_row_level_security()
    with op.batch_alter_table("lora_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lora_models_project_id"))
        batch_op.drop_index(batch_op.f("ix_lora_models_owner_id"))
        batch_op.drop_index(batch_op.f("ix_lora_models_job_id"))

    op.drop_table("lora_models")
    with op.batch_alter_table("face_swaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_face_swaps_project_id"))
        batch_op.drop_index(batch_op.f("ix_face_swaps_owner_id"))
        batch_op.drop_index(batch_op.f("ix_face_swaps_job_id"))

    op.drop_table("face_swaps")
    with op.batch_alter_table("avatar_sheets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_avatar_sheets_avatar_id"))

    op.drop_table("avatar_sheets")
    with op.batch_alter_table("avatar_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_avatar_photos_avatar_id"))

    op.drop_table("avatar_photos")
    with op.batch_alter_table("avatars", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_avatars_project_id"))
        batch_op.drop_index(batch_op.f("ix_avatars_owner_id"))

    op.drop_table("avatars")


# --------------------------------------------------------------------------- PostgreSQL RLS

ROLE = "studio_user"

FUNCTION = f"""
CREATE OR REPLACE FUNCTION studio_avatar_right(aid text) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  SELECT COALESCE((SELECT CASE
      WHEN a.owner_id = studio_uid() THEN 3
      WHEN a.shared THEN studio_project_right(a.project_id)
      ELSE 0 END
    FROM avatars a WHERE a.id = aid), 0) $$;
REVOKE ALL ON FUNCTION studio_avatar_right(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION studio_avatar_right(text) TO {ROLE};
"""

_BY_AVATAR_ID = ("studio_avatar_right(id) >= 1", "studio_avatar_right(id) >= 2")
_BY_AVATAR = ("studio_avatar_right(avatar_id) >= 1", "studio_avatar_right(avatar_id) >= 2")
_BY_PROJECT = ("studio_project_right(project_id) >= 1", "studio_project_right(project_id) >= 2")

# table: (read, write, insert check)
POLICIES = {
    "avatars": (*_BY_AVATAR_ID, "owner_id = studio_uid() AND studio_project_right(project_id) >= 2"),
    "avatar_photos": (*_BY_AVATAR, _BY_AVATAR[1]),
    "avatar_sheets": (*_BY_AVATAR, _BY_AVATAR[1]),
    "lora_models": (*_BY_PROJECT, "owner_id = studio_uid() AND studio_project_right(project_id) >= 2"),
    "face_swaps": (*_BY_PROJECT, "owner_id = studio_uid() AND studio_project_right(project_id) >= 2"),
}

# Column lists keep a user session from moving rows between owners or projects.
GRANTS = f"""
GRANT SELECT, INSERT, DELETE ON avatars, avatar_photos, avatar_sheets, lora_models, face_swaps TO {ROLE};
GRANT UPDATE (name, shared, voice, dna, updated_at) ON avatars TO {ROLE};
GRANT UPDATE (angle, classified_by, position) ON avatar_photos TO {ROLE};
GRANT UPDATE (status, job_id, error, updated_at) ON lora_models TO {ROLE};
GRANT UPDATE (status, job_id, error) ON face_swaps TO {ROLE};
"""


def _row_level_security() -> None:
    op.execute(FUNCTION)
    op.execute(GRANTS)
    for table, (read, write, insert) in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_select ON {table} FOR SELECT TO {ROLE} USING ({read})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT TO {ROLE} WITH CHECK ({insert})")
        op.execute(f"CREATE POLICY {table}_update ON {table} FOR UPDATE TO {ROLE} USING ({write}) WITH CHECK ({write})")
        op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE TO {ROLE} USING ({write})")


def _drop_row_level_security() -> None:
    for table in POLICIES:
        for what in ("select", "insert", "update", "delete"):
            op.execute(f"DROP POLICY IF EXISTS {table}_{what} ON {table}")
        op.execute(f"REVOKE ALL ON {table} FROM {ROLE}")
    op.execute("DROP FUNCTION IF EXISTS studio_avatar_right(text)")
