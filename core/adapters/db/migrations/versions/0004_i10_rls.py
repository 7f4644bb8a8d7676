"""Row-level security holes closed, and the mass generator written under the user's role.

- `users`: a user session sees only itself and the people it shares a project with, and
  may rename only itself (before, every row was readable and renamable).
- `audit_events`: written only by the studio's own role (`core.services.accounts.audit` switches to
  it for the one insert); `studio_user` may read its lines, never insert one, so nobody
  can forge a line into another owner's Activity log.
- The mass-generator tables: services now open user-scoped sessions, so `studio_user` may
  write them where it has the editor right on the project; ugc jobs take the right of the
  ad or asset they make, like video jobs.

Revision ID: 0004_i10_rls
Revises: 0003_ugc_rls
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_i10_rls"
down_revision = "0003_ugc_rls"
branch_labels = None
depends_on = None

ROLE = "studio_user"
BY_PROJECT = ("ugc_avatars", "ugc_ads")
BY_AD = ("ugc_product_images", "ugc_scenes", "ugc_assets", "ugc_outputs", "ugc_qc_reports")
FIXED = {"id", "owner_id", "project_id", "ad_id"}  # a user session never moves a row

FUNCTIONS = f"""
-- Another user is visible when they own or belong to a project the caller can see.
CREATE OR REPLACE FUNCTION studio_sees_user(uid text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  WITH mine AS (
    SELECT id FROM projects WHERE owner_id = studio_uid()
    UNION SELECT project_id FROM project_members WHERE user_id = studio_uid()
  )
  SELECT studio_uid() IS NOT NULL AND (
    uid = studio_uid()
    OR EXISTS (SELECT 1 FROM projects p JOIN mine ON mine.id = p.id WHERE p.owner_id = uid)
    OR EXISTS (SELECT 1 FROM project_members m JOIN mine ON mine.id = m.project_id WHERE m.user_id = uid)
  ) $$;

CREATE OR REPLACE FUNCTION studio_ad_right(aid text) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  SELECT COALESCE((SELECT studio_project_right(a.project_id) FROM ugc_ads a WHERE a.id = aid), 0) $$;

-- Jobs of ads and their assets take the right on the ad's project. The job must name the row
-- (subject_id) and the row the job, so pointing one's own ad at another's job reveals nothing.
CREATE OR REPLACE FUNCTION studio_job_right(jid text, owner text) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  SELECT GREATEST(
    CASE WHEN owner = studio_uid() THEN 3 ELSE 0 END,
    COALESCE((SELECT max(studio_project_right(v.project_id)) FROM video_assets v WHERE v.job_id = jid AND v.owner_id = owner), 0),
    COALESCE((SELECT max(studio_project_right(a.project_id)) FROM actor_image_variants a WHERE a.job_id = jid AND a.owner_id = owner), 0),
    COALESCE((SELECT max(studio_project_right(d.project_id)) FROM jobs j
              JOIN ugc_ads d ON d.id = j.subject_id AND d.job_id = j.id WHERE j.id = jid), 0),
    COALESCE((SELECT max(studio_ad_right(s.ad_id)) FROM jobs j
              JOIN ugc_assets s ON s.id = j.subject_id AND s.job_id = j.id WHERE j.id = jid), 0)
  ) $$;

REVOKE ALL ON FUNCTION studio_sees_user(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION studio_ad_right(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION studio_sees_user(text), studio_ad_right(text) TO {ROLE};
"""

OLD_JOB_RIGHT = """
CREATE OR REPLACE FUNCTION studio_job_right(jid text, owner text) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  SELECT GREATEST(
    CASE WHEN owner = studio_uid() THEN 3 ELSE 0 END,
    COALESCE((SELECT max(studio_project_right(v.project_id)) FROM video_assets v WHERE v.job_id = jid AND v.owner_id = owner), 0),
    COALESCE((SELECT max(studio_project_right(a.project_id)) FROM actor_image_variants a WHERE a.job_id = jid AND a.owner_id = owner), 0)
  ) $$;
"""


def _policies() -> list[tuple[str, str, str, str | None, str | None]]:
    """(table, name, command, USING, WITH CHECK)"""
    rows: list[tuple[str, str, str, str | None, str | None]] = [
        ("users", "users_select", "SELECT", "studio_sees_user(id)", None),
        ("users", "users_update", "UPDATE", "id = studio_uid()", "id = studio_uid()"),
    ]
    for table in BY_PROJECT:
        edit = "studio_project_right(project_id) >= 2"
        rows += [
            (table, f"{table}_insert", "INSERT", None, f"owner_id = studio_uid() AND {edit}"),
            (table, f"{table}_update", "UPDATE", edit, edit),
            (table, f"{table}_delete", "DELETE", edit, None),
        ]
    for table in BY_AD:
        edit = "studio_ad_right(ad_id) >= 2"
        rows += [
            (table, f"{table}_insert", "INSERT", None, edit),
            (table, f"{table}_update", "UPDATE", edit, edit),
            (table, f"{table}_delete", "DELETE", edit, None),
        ]
    return rows


def _policy_sql(table: str, name: str, command: str, using: str | None, check: str | None) -> str:
    sql = f"CREATE POLICY {name} ON {table} FOR {command} TO {ROLE}"
    if using:
        sql += f" USING ({using})"
    if check:
        sql += f" WITH CHECK ({check})"
    return sql


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(FUNCTIONS)
    op.execute("DROP POLICY IF EXISTS audit_insert ON audit_events")
    op.execute(f"REVOKE INSERT ON audit_events FROM {ROLE}")
    op.execute("ALTER TABLE users ENABLE ROW LEVEL SECURITY")
    inspector = sa.inspect(bind)
    for table in BY_PROJECT + BY_AD:
        columns = ", ".join(c["name"] for c in inspector.get_columns(table) if c["name"] not in FIXED)
        op.execute(f"GRANT INSERT, DELETE ON {table} TO {ROLE}")
        op.execute(f"GRANT UPDATE ({columns}) ON {table} TO {ROLE}")
    for policy in _policies():
        op.execute(_policy_sql(*policy))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, name, *_ in _policies():
        op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
    for table in BY_PROJECT + BY_AD:
        op.execute(f"REVOKE INSERT, UPDATE, DELETE ON {table} FROM {ROLE}")
    op.execute("ALTER TABLE users DISABLE ROW LEVEL SECURITY")
    op.execute(f"GRANT INSERT ON audit_events TO {ROLE}")
    op.execute(_policy_sql("audit_events", "audit_insert", "INSERT", None, "actor_id = studio_uid()"))
    op.execute(OLD_JOB_RIGHT)
    op.execute("DROP FUNCTION IF EXISTS studio_ad_right(text)")
    op.execute("DROP FUNCTION IF EXISTS studio_sees_user(text)")
