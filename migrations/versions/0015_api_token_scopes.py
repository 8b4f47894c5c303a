"""api_token: scopes, expiry and last use; existing tokens keep what their owner's role gave them

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-01 09:30:00

"""
from alembic import op
import sqlalchemy as sa

import booking.database


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('api_token', sa.Column('scopes', sa.String(length=100), server_default='read book', nullable=False))
    op.add_column('api_token', sa.Column('expires_dt', booking.database.UTCDateTime(timezone=True), nullable=True))
    op.add_column('api_token', sa.Column('last_used_dt', booking.database.UTCDateTime(timezone=True), nullable=True))
    # A token made before scopes could do all its owner could: it keeps that.
    op.execute("UPDATE api_token SET scopes = 'read book manage' WHERE user_id IN "
               "(SELECT id FROM \"user\" WHERE role = 'facility_manager')")
    op.execute("UPDATE api_token SET scopes = 'read book manage admin' WHERE user_id IN "
               "(SELECT id FROM \"user\" WHERE role = 'admin')")


def downgrade():
    with op.batch_alter_table('api_token') as batch_op:
        batch_op.drop_column('last_used_dt')
        batch_op.drop_column('expires_dt')
        batch_op.drop_column('scopes')
