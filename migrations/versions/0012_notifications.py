"""In-app notifications, people's notification settings, and sent-markers for things told once

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 09:00:00

"""
from alembic import op
import sqlalchemy as sa

from booking.database import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_dt', UTCDateTime(timezone=True), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('link', sa.String(length=500), nullable=True),
        sa.Column('read_dt', UTCDateTime(timezone=True), nullable=True),
        sa.Column('topic', sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    )
    op.create_index('ix_notification_user_read', 'notification', ['user_id', 'read_dt'], unique=False)
    op.create_table(
        'notification_settings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('muted', sa.String(length=500), nullable=False),
        sa.Column('request_digest', sa.Boolean(), nullable=False),
        sa.Column('reminder_hours', sa.Integer(), nullable=False),
        sa.CheckConstraint('reminder_hours BETWEEN 1 AND 168', name=op.f('ck_notification_settings_reminder_hours_range')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_settings_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_settings')),
    )
    op.create_table(
        'notification_sent',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('created_dt', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_notification_sent')),
    )


def downgrade():
    op.drop_table('notification_sent')
    op.drop_table('notification_settings')
    op.drop_index('ix_notification_user_read', table_name='notification')
    op.drop_table('notification')
