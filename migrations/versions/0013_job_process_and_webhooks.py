"""job process and webhooks: the scheduler's lease and each job's last run (booking/scheduler.py);
webhooks and their deliveries (booking/webhooks/models.py); reservation.anonymised_dt (retention)

Revision ID: 0013
Revises: 0014
Create Date: 2026-12-01 09:30:00

"""
from alembic import op
import sqlalchemy as sa

import booking.database


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: a batch (copy-and-move) would drop SQLite's no-overlap triggers.
    op.add_column('reservation', sa.Column('anonymised_dt', booking.database.UTCDateTime(timezone=True), nullable=True))
    op.create_table('job_state',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('last_start_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_end_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_outcome', sa.Enum('running', 'ok', 'failed', name='outcome', native_enum=False, create_constraint=True, length=10), nullable=True),
    sa.Column('last_result', sa.String(length=500), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_runner', sa.String(length=200), nullable=True),
    sa.Column('next_run_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_state'))
    )
    op.create_table('scheduler_lease',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('expires_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acquired_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_lease'))
    )
    op.create_table('webhook',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_webhook_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_webhook_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook'))
    )
    op.create_index(op.f('ix_webhook_organisation_id'), 'webhook', ['organisation_id'], unique=False)
    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webhook_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'delivered', 'failed', name='deliverystatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('give_up_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('error_code', sa.String(length=60), nullable=True),
    sa.Column('error_params', sa.JSON(), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_webhook_delivery_attempts_not_negative')),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhook.id'], name=op.f('fk_webhook_delivery_webhook_id_webhook'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery'))
    )
    op.create_index(op.f('ix_webhook_delivery_event_id'), 'webhook_delivery', ['event_id'], unique=False)
    op.create_index('ix_webhook_delivery_status_next', 'webhook_delivery', ['status', 'next_attempt_dt'], unique=False)
    op.create_index('ix_webhook_delivery_webhook_created', 'webhook_delivery', ['webhook_id', 'created_dt'],
                    unique=False)


def downgrade():
    op.drop_index('ix_webhook_delivery_webhook_created', table_name='webhook_delivery')
    op.drop_index('ix_webhook_delivery_status_next', table_name='webhook_delivery')
    op.drop_index(op.f('ix_webhook_delivery_event_id'), table_name='webhook_delivery')
    op.drop_table('webhook_delivery')
    op.drop_index(op.f('ix_webhook_organisation_id'), table_name='webhook')
    op.drop_table('webhook')
    op.drop_table('scheduler_lease')
    op.drop_table('job_state')
    op.drop_column('reservation', 'anonymised_dt')
