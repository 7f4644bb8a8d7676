"""Join the accounts and mass-generator branches; row-level security for the mass-generator tables.

The user role (`studio_user`, from 0002_accounts) may read the mass-generator rows of
projects it has a right on; writes stay with the services' own role, as for jobs.

Revision ID: 0003_ugc_rls
Revises: 0002_ugc, 0002_accounts
"""

from alembic import op

revision = "0003_ugc_rls"
down_revision = ("0002_ugc", "0002_accounts")
branch_labels = None
depends_on = None

ROLE = "studio_user"
BY_PROJECT = ("ugc_avatars", "ugc_ads")
BY_AD = ("ugc_product_images", "ugc_scenes", "ugc_assets", "ugc_outputs", "ugc_qc_reports")


def _policies() -> dict[str, str]:
    using = {table: "studio_project_right(project_id) >= 1" for table in BY_PROJECT}
    using.update({table: "EXISTS (SELECT 1 FROM ugc_ads a WHERE a.id = ad_id)" for table in BY_AD})
    return using


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, using in _policies().items():
        op.execute(f"GRANT SELECT ON {table} TO {ROLE}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_select ON {table} FOR SELECT TO {ROLE} USING ({using})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _policies():
        op.execute(f"DROP POLICY IF EXISTS {table}_select ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute(f"REVOKE SELECT ON {table} FROM {ROLE}")
