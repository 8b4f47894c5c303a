"""agreement reminders: when each scheduled reminder of a pilot agreement went out

Revision ID: 0009
Revises: 0010
Create Date: 2026-12-01 05:00:00

"""
from alembic import op
import sqlalchemy as sa

import booking.database


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0010'
branch_labels = None
depends_on = None

COLUMNS = ('insurance_reminded_dt', 'ending_reminded_dt', 'restore_reminded_dt')


# Nullable columns only: a plain ADD COLUMN on both databases, no SQLite table rebuild.
def upgrade():
    for name in COLUMNS:
        op.add_column('pilot_agreement', sa.Column(name, booking.database.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('pilot_agreement', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
