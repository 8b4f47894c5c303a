"""closure calendar URL: a facility's closures kept in sync with a calendar

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 03:30:00

"""
from alembic import op
import sqlalchemy as sa

import booking.database


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0005'
branch_labels = None
depends_on = None


# Nullable columns only: a plain ADD COLUMN on both databases, no SQLite table rebuild.
def upgrade():
    op.add_column('facility', sa.Column('closure_calendar_url', sa.String(length=2000), nullable=True))
    op.add_column('facility', sa.Column('closure_calendar_refreshed_dt', booking.database.UTCDateTime(timezone=True),
                                        nullable=True))
    op.add_column('facility', sa.Column('closure_calendar_ok', sa.Boolean(), nullable=True))
    op.add_column('facility', sa.Column('closure_calendar_outcome', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.drop_column('closure_calendar_outcome')
        batch_op.drop_column('closure_calendar_ok')
        batch_op.drop_column('closure_calendar_refreshed_dt')
        batch_op.drop_column('closure_calendar_url')
