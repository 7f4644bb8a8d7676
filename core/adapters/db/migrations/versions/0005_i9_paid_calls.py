"""Paid calls that may have started: the step attempt's submit state and webhook token,
consecutive poll errors, and a status on the cost ledger ("possibly_charged").

Revision ID: 0005_i9_paid_calls
Revises: 0004_i9_widths
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_i9_paid_calls"
down_revision = "0004_i9_widths"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_steps") as batch:
        batch.add_column(sa.Column("submit_state", sa.String(16), nullable=True))
        batch.add_column(sa.Column("webhook_token", sa.String(64), nullable=True))
        batch.add_column(sa.Column("poll_errors", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index("ix_job_steps_webhook_token", ["webhook_token"], unique=True)
    with op.batch_alter_table("cost_records") as batch:
        batch.add_column(sa.Column("status", sa.String(24), nullable=False, server_default="charged"))


def downgrade() -> None:
    with op.batch_alter_table("cost_records") as batch:
        batch.drop_column("status")
    with op.batch_alter_table("job_steps") as batch:
        batch.drop_index("ix_job_steps_webhook_token")
        batch.drop_column("poll_errors")
        batch.drop_column("webhook_token")
        batch.drop_column("submit_state")
