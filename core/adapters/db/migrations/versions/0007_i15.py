"""editor: edits, their versioned documents and their exports; row-level security (viewers read,
editors write)

Revision ID: 0007_i15
Revises: 0006_drafts_rls
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_i15"
down_revision = "0006_drafts_rls"
branch_labels = None
depends_on = None

ROLE = "studio_user"
# Columns a user session may change (never owners, projects, sources or a version's document).
UPDATABLE = {
    "edits": "title, current_version, redo, updated_at",
    "edit_versions": None,
    "edit_exports": "status, job_id, error, updated_at",
}
PARENT_RIGHT = "(SELECT max(studio_project_right(e.project_id)) FROM edits e WHERE e.id = edit_id)"


def _edits() -> None:
    op.create_table(
        "edits",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("source_kind", sa.String(12), nullable=False),
        sa.Column("source_id", sa.String(36), nullable=False),
        sa.Column("title", sa.String(160), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("redo", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_edits_owner_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_edits_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edits")),
    )
    op.create_index("ix_edits_project_source", "edits", ["project_id", "source_kind", "source_id"])


def _versions() -> None:
    op.create_table(
        "edit_versions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("edit_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("parent_version", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("author_id", sa.String(36), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["edit_id"], ["edits.id"], name=op.f("fk_edit_versions_edit_id_edits"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edit_versions")),
        sa.UniqueConstraint("edit_id", "version", name=op.f("uq_edit_versions_edit_id")),
    )
    op.create_index(op.f("ix_edit_versions_edit_id"), "edit_versions", ["edit_id"])


def _exports() -> None:
    op.create_table(
        "edit_exports",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("edit_id", sa.String(36), nullable=False),
        sa.Column("edit_version", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("job_id", sa.String(36), nullable=True),
        sa.Column("video_key", sa.String(255), nullable=True),
        sa.Column("result_kind", sa.String(12), nullable=True),
        sa.Column("result_id", sa.String(36), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["edit_id"], ["edits.id"], name=op.f("fk_edit_exports_edit_id_edits"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_edit_exports_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edit_exports")),
    )
    op.create_index(op.f("ix_edit_exports_edit_id"), "edit_exports", ["edit_id"])
    op.create_index(op.f("ix_edit_exports_job_id"), "edit_exports", ["job_id"])


def _policies() -> list[tuple[str, str, str, str | None, str | None]]:
    own = "studio_project_right(project_id)"
    rows: list[tuple[str, str, str, str | None, str | None]] = [
        ("edits", "edits_select", "SELECT", f"{own} >= 1", None),
        ("edits", "edits_insert", "INSERT", None, f"owner_id = studio_uid() AND {own} >= 2"),
        ("edits", "edits_update", "UPDATE", f"{own} >= 2", f"{own} >= 2"),
        ("edits", "edits_delete", "DELETE", f"{own} >= 2", None),
    ]
    for table in ("edit_versions", "edit_exports"):
        rows += [
            (table, f"{table}_select", "SELECT", f"{PARENT_RIGHT} >= 1", None),
            (table, f"{table}_insert", "INSERT", None, f"{PARENT_RIGHT} >= 2"),
            (table, f"{table}_update", "UPDATE", f"{PARENT_RIGHT} >= 2", f"{PARENT_RIGHT} >= 2"),
            (table, f"{table}_delete", "DELETE", f"{PARENT_RIGHT} >= 2", None),
        ]
    return rows


def _row_level_security() -> None:
    for table, columns in UPDATABLE.items():
        op.execute(f"GRANT SELECT, INSERT, DELETE ON {table} TO {ROLE}")
        if columns:
            op.execute(f"GRANT UPDATE ({columns}) ON {table} TO {ROLE}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    for table, name, command, using, check in _policies():
        sql = f"CREATE POLICY {name} ON {table} FOR {command} TO {ROLE}"
        sql += f" USING ({using})" if using else ""
        sql += f" WITH CHECK ({check})" if check else ""
        op.execute(sql)


def upgrade() -> None:
    _edits()
    _versions()
    _exports()
    if op.get_bind().dialect.name == "postgresql":
        _row_level_security()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, name, *_ in _policies():
            op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
        for table in UPDATABLE:
            op.execute(f"REVOKE ALL ON {table} FROM {ROLE}")
    op.drop_table("edit_exports")
    op.drop_table("edit_versions")
    op.drop_table("edits")
