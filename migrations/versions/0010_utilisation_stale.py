"""utilisation_stale: the days a change made stale, recomputed outside the booking's transaction

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'utilisation_stale',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('facility_id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=True),
        sa.Column('last_day', sa.Date(), nullable=True),
        sa.CheckConstraint('(first_day IS NULL) = (last_day IS NULL) AND (first_day IS NULL OR first_day <= last_day)',
                           name=op.f('ck_utilisation_stale_valid_span')),
        sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_utilisation_stale_facility_id_facility'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_utilisation_stale')),
    )
    op.create_index(op.f('ix_utilisation_stale_facility_id'), 'utilisation_stale', ['facility_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_utilisation_stale_facility_id'), table_name='utilisation_stale')
    op.drop_table('utilisation_stale')
