"""Provider names fit: `job_steps.provider`, `cost_records.provider` and
`actor_image_variants.provider` hold `<vendor>:<model id>` (e.g.
`fal:fal-ai/elevenlabs/tts/multilingual-v2`, 41 characters), which a 40-character column
refused on PostgreSQL after the paid submit. 255 is more than any real model id reaches.

Revision ID: 0004_i9_widths
Revises: 0003_ugc_rls
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_i9_widths"
down_revision = "0003_ugc_rls"
branch_labels = None
depends_on = None

COLUMNS = (("job_steps", True), ("cost_records", False), ("actor_image_variants", False))


def _alter(width: int) -> None:
    for table, nullable in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "provider", type_=sa.String(width), existing_type=sa.String(), existing_nullable=nullable
            )


def upgrade() -> None:
    _alter(255)


def downgrade() -> None:
    _alter(40)
