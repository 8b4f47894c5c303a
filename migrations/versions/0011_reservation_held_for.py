"""reservation.held_for: pending time held for a pilot agreement until it is signed

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: a batch (copy-and-move) would drop SQLite's no-overlap triggers.
    op.add_column('reservation', sa.Column('held_for', sa.String(length=40), nullable=True))


def downgrade():
    op.drop_column('reservation', 'held_for')
