"""user_session: each logged-in browser, so that logging out, a new password, "log out
everywhere" and deactivation end sessions for good

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import booking.database


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ended_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column('user_agent', sa.String(length=200), nullable=False),
        sa.Column('remote_addr', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_session_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash')),
    )
    op.create_index(op.f('ix_user_session_user_id'), 'user_session', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_user_session_user_id'), table_name='user_session')
    op.drop_table('user_session')
