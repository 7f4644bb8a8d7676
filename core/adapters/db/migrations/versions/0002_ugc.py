"""mass generator: ads (wizard state), product images, avatars, scenes, scene assets, outputs, QC reports

Revision ID: 0002_ugc
Revises: 0001
Create Date: 2026-11-22

A branch beside 0002_accounts (both revise 0001); the app migrates to "heads". Plain
create/drop of new tables, so it runs the same on SQLite (batch mode for the indexes)
and PostgreSQL.
"""

from alembic import op
import sqlalchemy as sa


revision = "0002_ugc"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ugc_avatars',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('actor_id', sa.String(length=36), nullable=True),
    sa.Column('reference_keys', sa.JSON(), nullable=False),
    sa.Column('dna', sa.JSON(), nullable=True),
    sa.Column('voice', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['actors.id'], name=op.f('fk_ugc_avatars_actor_id_actors'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_ugc_avatars_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_ugc_avatars_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ugc_avatars'))
    )
    with op.batch_alter_table('ugc_avatars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ugc_avatars_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ugc_avatars_project_id'), ['project_id'], unique=False)

    op.create_table('ugc_ads',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('wizard_step', sa.String(length=16), nullable=False),
    sa.Column('product_name', sa.String(length=120), nullable=False),
    sa.Column('brand_name', sa.String(length=120), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('product_dna', sa.JSON(), nullable=True),
    sa.Column('avatar_id', sa.String(length=36), nullable=True),
    sa.Column('creative_brief', sa.JSON(), nullable=True),
    sa.Column('script_meta', sa.JSON(), nullable=True),
    sa.Column('bible', sa.JSON(), nullable=True),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['avatar_id'], ['ugc_avatars.id'], name=op.f('fk_ugc_ads_avatar_id_ugc_avatars'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_ugc_ads_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_ugc_ads_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ugc_ads'))
    )
    with op.batch_alter_table('ugc_ads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ugc_ads_job_id'), ['job_id'], unique=False)
        batch_op.create_index('ix_ugc_ads_project_owner_updated', ['project_id', 'owner_id', 'updated_at'], unique=False)

    op.create_table('ugc_outputs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('ad_id', sa.String(length=36), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('aspect', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('video_key', sa.String(length=255), nullable=True),
    sa.Column('poster_key', sa.String(length=255), nullable=True),
    sa.Column('captions', sa.JSON(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('encode_passes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ad_id'], ['ugc_ads.id'], name=op.f('fk_ugc_outputs_ad_id_ugc_ads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ugc_outputs'))
    )
    with op.batch_alter_table('ugc_outputs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ugc_outputs_ad_id'), ['ad_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ugc_outputs_job_id'), ['job_id'], unique=False)

    op.create_table('ugc_product_images',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('ad_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('image_key', sa.String(length=255), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ad_id'], ['ugc_ads.id'], name=op.f('fk_ugc_product_images_ad_id_ugc_ads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ugc_product_images'))
    )
    with op.batch_alter_table('ugc_product_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ugc_product_images_ad_id'), ['ad_id'], unique=False)

    op.create_table('ugc_scenes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('ad_id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('original', sa.JSON(), nullable=False),
    sa.Column('edited', sa.Boolean(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('prompts', sa.JSON(), nullable=True),
    sa.Column('selected_frame_id', sa.String(length=36), nullable=True),
    sa.Column('approved_frame_id', sa.String(length=36), nullable=True),
    sa.Column('auto_approve', sa.Boolean(), nullable=False),
    sa.Column('redo_frame', sa.Integer(), nullable=False),
    sa.Column('redo_clip', sa.Integer(), nullable=False),
    sa.Column('redo_audio', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ad_id'], ['ugc_ads.id'], name=op.f('fk_ugc_scenes_ad_id_ugc_ads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ugc_scenes')),
    sa.UniqueConstraint('ad_id', 'number', name=op.f('uq_ugc_scenes_ad_id'))
    )
    with op.batch_alter_table('ugc_scenes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ugc_scenes_ad_id'), ['ad_id'], unique=False)

    op.create_table('ugc_assets',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('ad_id', sa.String(length=36), nullable=False),
    sa.Column('scene_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('variant', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('media_key', sa.String(length=255), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ad_id'], ['ugc_ads.id'], name=op.f('fk_ugc_assets_ad_id_ugc_ads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scene_id'], ['ugc_scenes.id'], name=op.f('fk_ugc_assets_scene_id_ugc_scenes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ugc_assets')),
    sa.UniqueConstraint('scene_id', 'kind', 'fingerprint', 'variant', 'attempt', name=op.f('uq_ugc_assets_scene_id'))
    )
    with op.batch_alter_table('ugc_assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ugc_assets_ad_id'), ['ad_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ugc_assets_job_id'), ['job_id'], unique=False)
        batch_op.create_index('ix_ugc_assets_scene_kind', ['scene_id', 'kind'], unique=False)

    op.create_table('ugc_qc_reports',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('ad_id', sa.String(length=36), nullable=False),
    sa.Column('output_id', sa.String(length=36), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ad_id'], ['ugc_ads.id'], name=op.f('fk_ugc_qc_reports_ad_id_ugc_ads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['output_id'], ['ugc_outputs.id'], name=op.f('fk_ugc_qc_reports_output_id_ugc_outputs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ugc_qc_reports'))
    )
    with op.batch_alter_table('ugc_qc_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ugc_qc_reports_ad_id'), ['ad_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ugc_qc_reports_output_id'), ['output_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ugc_qc_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ugc_qc_reports_output_id'))
        batch_op.drop_index(batch_op.f('ix_ugc_qc_reports_ad_id'))

    op.drop_table('ugc_qc_reports')
    with op.batch_alter_table('ugc_assets', schema=None) as batch_op:
        batch_op.drop_index('ix_ugc_assets_scene_kind')
        batch_op.drop_index(batch_op.f('ix_ugc_assets_job_id'))
        batch_op.drop_index(batch_op.f('ix_ugc_assets_ad_id'))

    op.drop_table('ugc_assets')
    with op.batch_alter_table('ugc_scenes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ugc_scenes_ad_id'))

    op.drop_table('ugc_scenes')
    with op.batch_alter_table('ugc_product_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ugc_product_images_ad_id'))

    op.drop_table('ugc_product_images')
    with op.batch_alter_table('ugc_outputs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ugc_outputs_job_id'))
        batch_op.drop_index(batch_op.f('ix_ugc_outputs_ad_id'))

    op.drop_table('ugc_outputs')
    with op.batch_alter_table('ugc_ads', schema=None) as batch_op:
        batch_op.drop_index('ix_ugc_ads_project_owner_updated')
        batch_op.drop_index(batch_op.f('ix_ugc_ads_job_id'))

    op.drop_table('ugc_ads')
    with op.batch_alter_table('ugc_avatars', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ugc_avatars_project_id'))
        batch_op.drop_index(batch_op.f('ix_ugc_avatars_owner_id'))

    op.drop_table('ugc_avatars')
