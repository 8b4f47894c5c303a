"""calendars: feeds, and attachments on queued e-mails

Revision ID: 0004
Revises: 0002 (the lead re-chains it when merging)
Create Date: 2026-11-30 21:30:00

"""
from alembic import op
import sqlalchemy as sa

import booking.database


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('facility', 'organisation', 'user', 'manager', 'agreement', name='feedkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('token_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_fetched_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('content_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('content_key', sa.String(length=64), nullable=True),
    sa.CheckConstraint("kind = 'manager' OR target_id IS NOT NULL", name=op.f('ck_calendar_feed_target_given')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_calendar_feed_owner_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_hash'))
    )
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_feed_kind_target', ['kind', 'target_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_feed_owner_id'), ['owner_id'], unique=False)

    op.create_table('outbox_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['outbox_message.id'], name=op.f('fk_outbox_attachment_message_id_outbox_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_attachment'))
    )
    with op.batch_alter_table('outbox_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_attachment_message_id'), ['message_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_attachment_message_id'))
    op.drop_table('outbox_attachment')
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feed_owner_id'))
        batch_op.drop_index('ix_calendar_feed_kind_target')
    op.drop_table('calendar_feed')
