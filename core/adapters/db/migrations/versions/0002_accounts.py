"""accounts, team invitations, provider keys, spend holds, audit log; row-level security

Revision ID: 0002_accounts
Revises: 0001
Create Date: 2026-11-22

On PostgreSQL this also installs the second line of defence behind the services: row-level
security for the NOLOGIN role `studio_user`. A user-scoped session (`Database.session(user_id=...)`)
switches to that role with `SET LOCAL ROLE` and sets `app.user_id`; the policies then show
and change only rows of projects the user owns or was invited to, by role. Sessions of the
job runner, migrations and sign-in keep the connecting role (the tables' owner), which RLS
does not restrict because FORCE is not set.
"""

from alembic import op
import sqlalchemy as sa


revision = "0002_accounts"
down_revision = "0001"
branch_labels = None
depends_on = None

ROLE = "studio_user"


def _tables() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index("ix_login_attempts_email_created", "login_attempts", ["email", "created_at"])
    op.create_index("ix_login_attempts_address_created", "login_attempts", ["address", "created_at"])
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    op.create_table(
        "project_invites",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("invited_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_project_invites_project_id_projects"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invited_by"], ["users.id"], name=op.f("fk_project_invites_invited_by_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_invites")),
        sa.UniqueConstraint("project_id", "email", name=op.f("uq_project_invites_project_id")),
    )
    op.create_index(op.f("ix_project_invites_email"), "project_invites", ["email"])
    op.create_table(
        "provider_keys",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("vendor", sa.String(20), nullable=False),
        sa.Column("nonce", sa.String(24), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_provider_keys_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_keys")),
        sa.UniqueConstraint("user_id", "vendor", name=op.f("uq_provider_keys_user_id")),
    )
    op.create_table(
        "spend_holds",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("reserved_usd", sa.Float(), nullable=False),
        sa.Column("spent_usd", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_spend_holds_job_id_jobs"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_spend_holds_owner_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_spend_holds_project_id_projects"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spend_holds")),
        sa.UniqueConstraint("job_id", name=op.f("uq_spend_holds_job_id")),
    )
    op.create_index("ix_spend_holds_owner_created", "spend_holds", ["owner_id", "created_at"])
    op.create_index("ix_spend_holds_project_created", "spend_holds", ["project_id", "created_at"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("actor_id", sa.String(36), nullable=True),
        sa.Column("actor_email", sa.String(320), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=True),
        sa.Column("project_id", sa.String(36), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_audit_events_owner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_project_created", "audit_events", ["project_id", "created_at"])
    op.create_index("ix_audit_events_owner_created", "audit_events", ["owner_id", "created_at"])


# --------------------------------------------------------------------------- PostgreSQL RLS

# The role is cluster-wide: create it once, tolerating a concurrent migration of another database.
CREATE_ROLE = f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
    CREATE ROLE {ROLE} NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
"""

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION studio_uid() RETURNS text LANGUAGE sql STABLE
AS $$ SELECT nullif(current_setting('app.user_id', true), '') $$;

-- 3 owner, 2 editor, 1 viewer, 0 nothing. SECURITY DEFINER reads projects and members as
-- their owner, so policies on those two tables can use it without recursing.
CREATE OR REPLACE FUNCTION studio_project_right(pid text) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  SELECT CASE
    WHEN studio_uid() IS NULL THEN 0
    WHEN EXISTS (SELECT 1 FROM projects p WHERE p.id = pid AND p.owner_id = studio_uid()) THEN 3
    ELSE COALESCE((SELECT CASE m.role WHEN 'editor' THEN 2 ELSE 1 END FROM project_members m
                   WHERE m.project_id = pid AND m.user_id = studio_uid()), 0)
  END $$;

-- A job is the user's own (3), or takes the right on the project of the video or variant it makes
-- (that row must share the job's owner, so pointing one's own row at another's job reveals nothing).
CREATE OR REPLACE FUNCTION studio_job_right(jid text, owner text) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  SELECT GREATEST(
    CASE WHEN owner = studio_uid() THEN 3 ELSE 0 END,
    COALESCE((SELECT max(studio_project_right(v.project_id)) FROM video_assets v WHERE v.job_id = jid AND v.owner_id = owner), 0),
    COALESCE((SELECT max(studio_project_right(a.project_id)) FROM actor_image_variants a WHERE a.job_id = jid AND a.owner_id = owner), 0)
  ) $$;

REVOKE ALL ON FUNCTION studio_project_right(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION studio_job_right(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION studio_uid(), studio_project_right(text), studio_job_right(text, text) TO {ROLE};
"""

# Column lists keep a user session from changing what it must not (owners, project ids, hashes).
GRANTS = f"""
GRANT USAGE ON SCHEMA public TO {ROLE};
GRANT SELECT (id, email, display_name, created_at) ON users TO {ROLE};
GRANT UPDATE (display_name) ON users TO {ROLE};
GRANT SELECT ON actors TO {ROLE};
GRANT SELECT, INSERT, DELETE ON projects TO {ROLE};
GRANT UPDATE (title, updated_at) ON projects TO {ROLE};
GRANT SELECT, INSERT, DELETE ON project_members TO {ROLE};
GRANT UPDATE (role) ON project_members TO {ROLE};
GRANT SELECT, INSERT, DELETE ON video_assets, actor_image_variants TO {ROLE};
GRANT UPDATE (status, error, job_id, updated_at) ON video_assets TO {ROLE};
GRANT UPDATE (status, meta, job_id) ON actor_image_variants TO {ROLE};
GRANT SELECT, INSERT ON jobs TO {ROLE};
GRANT UPDATE (cancel_requested, subject_id, updated_at) ON jobs TO {ROLE};
GRANT SELECT ON job_steps, cost_records TO {ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON provider_keys, project_invites TO {ROLE};
GRANT SELECT, INSERT ON spend_holds, audit_events TO {ROLE};
"""

POLICIES: dict[str, list[tuple[str, str, str | None, str | None]]] = {
    # table: [(name, command, USING, WITH CHECK)]
    "projects": [
        ("projects_select", "SELECT", "studio_project_right(id) >= 1", None),
        ("projects_insert", "INSERT", None, "owner_id = studio_uid()"),
        ("projects_update", "UPDATE", "studio_project_right(id) >= 2", "studio_project_right(id) >= 2"),
        ("projects_delete", "DELETE", "studio_project_right(id) = 3", None),
    ],
    "project_members": [
        ("members_select", "SELECT", "user_id = studio_uid() OR studio_project_right(project_id) >= 1", None),
        ("members_insert", "INSERT", None, "studio_project_right(project_id) = 3"),
        ("members_update", "UPDATE", "studio_project_right(project_id) = 3", "studio_project_right(project_id) = 3"),
        ("members_delete", "DELETE", "studio_project_right(project_id) = 3 OR user_id = studio_uid()", None),
    ],
    "video_assets": [
        ("videos_select", "SELECT", "studio_project_right(project_id) >= 1", None),
        ("videos_insert", "INSERT", None, "owner_id = studio_uid() AND studio_project_right(project_id) >= 2"),
        ("videos_update", "UPDATE", "studio_project_right(project_id) >= 2", "studio_project_right(project_id) >= 2"),
        ("videos_delete", "DELETE", "studio_project_right(project_id) >= 2", None),
    ],
    "actor_image_variants": [
        ("variants_select", "SELECT", "studio_project_right(project_id) >= 1", None),
        ("variants_insert", "INSERT", None, "owner_id = studio_uid() AND studio_project_right(project_id) >= 2"),
        ("variants_update", "UPDATE", "studio_project_right(project_id) >= 2", "studio_project_right(project_id) >= 2"),
        ("variants_delete", "DELETE", "studio_project_right(project_id) >= 2", None),
    ],
    "jobs": [
        ("jobs_select", "SELECT", "studio_job_right(id, owner_id) >= 1", None),
        ("jobs_insert", "INSERT", None, "owner_id = studio_uid()"),
        ("jobs_update", "UPDATE", "studio_job_right(id, owner_id) >= 2", "studio_job_right(id, owner_id) >= 2"),
    ],
    "job_steps": [
        ("steps_select", "SELECT", "EXISTS (SELECT 1 FROM jobs j WHERE j.id = job_id)", None),
    ],
    "cost_records": [
        ("costs_select", "SELECT", "owner_id = studio_uid()", None),
    ],
    "provider_keys": [
        ("keys_all", "ALL", "user_id = studio_uid()", "user_id = studio_uid()"),
    ],
    "project_invites": [
        ("invites_all", "ALL", "studio_project_right(project_id) = 3", "studio_project_right(project_id) = 3"),
    ],
    "spend_holds": [
        ("holds_select", "SELECT", "owner_id = studio_uid() OR studio_project_right(project_id) >= 1", None),
        ("holds_insert", "INSERT", None, "owner_id = studio_uid() AND studio_project_right(project_id) >= 2"),
    ],
    "audit_events": [
        ("audit_select", "SELECT", "owner_id = studio_uid() OR actor_id = studio_uid()", None),
        ("audit_insert", "INSERT", None, "actor_id = studio_uid()"),
    ],
}


def _policy_sql(table: str, name: str, command: str, using: str | None, check: str | None) -> str:
    sql = f"CREATE POLICY {name} ON {table} FOR {command} TO {ROLE}"
    if using:
        sql += f" USING ({using})"
    if check:
        sql += f" WITH CHECK ({check})"
    return sql


def _row_level_security() -> None:
    op.execute(CREATE_ROLE)
    # The connecting role must be able to SET ROLE to it (superusers can anyway).
    op.execute(f"GRANT {ROLE} TO CURRENT_USER")
    op.execute(FUNCTIONS)
    op.execute(GRANTS)
    for table, policies in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for policy in policies:
            op.execute(_policy_sql(table, *policy))


def upgrade() -> None:
    _tables()
    if op.get_bind().dialect.name == "postgresql":
        _row_level_security()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, policies in POLICIES.items():
            for name, *_ in policies:
                op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        for table in ("users", "actors", "projects", "project_members", "video_assets", "actor_image_variants",
                      "jobs", "job_steps", "cost_records"):
            op.execute(f"REVOKE ALL ON {table} FROM {ROLE}")
        op.execute("DROP FUNCTION IF EXISTS studio_job_right(text, text)")
        op.execute("DROP FUNCTION IF EXISTS studio_project_right(text)")
        op.execute("DROP FUNCTION IF EXISTS studio_uid()")
    for table in ("audit_events", "spend_holds", "provider_keys", "project_invites", "user_sessions", "login_attempts"):
        op.drop_table(table)
