"""stats: the daily and monthly utilisation rollups (booking/stats/models.py)

Revision ID: 0005
Revises: 0007
Create Date: 2026-12-01 03:36:54.279970

"""
from alembic import op
import sqlalchemy as sa

import booking.database


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0006'
branch_labels = None
depends_on = None


def hourly():
    """The heatmap's open and booked minutes of each local hour of the day."""
    return [sa.Column(f'{kind}_h{hour:02}', sa.Integer(), nullable=False)
            for hour in range(24) for kind in ('open', 'booked')]


def upgrade():
    op.create_table('utilisation_booker',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('actor_type', sa.Enum('sme', 'startup', 'large_company', 'third_sector', 'research', 'citizen_group', 'public_body', name='actortype', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('booked_minutes', sa.Integer(), nullable=False),
    sa.Column('reservations', sa.Integer(), nullable=False),
    sa.Column('revenue_cents', sa.Integer(), nullable=False),
    sa.Column('subsidy_cents', sa.Integer(), nullable=False),
    sa.CheckConstraint('booked_minutes >= 0 AND reservations >= 0 AND revenue_cents >= 0 AND subsidy_cents >= 0', name=op.f('ck_utilisation_booker_figures_not_negative')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_utilisation_booker_facility_id_facility'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_utilisation_booker_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_utilisation_booker')),
    sa.UniqueConstraint('facility_id', 'day', 'organisation_id', name='uq_utilisation_booker')
    )
    with op.batch_alter_table('utilisation_booker', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_utilisation_booker_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('utilisation_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('open_minutes', sa.Integer(), nullable=False),
    sa.Column('booked_minutes', sa.Integer(), nullable=False),
    sa.Column('pending_minutes', sa.Integer(), nullable=False),
    sa.Column('reservations', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('no_shows', sa.Integer(), nullable=False),
    sa.Column('cancellations', sa.Integer(), nullable=False),
    sa.Column('revenue_cents', sa.Integer(), nullable=False),
    sa.Column('subsidy_cents', sa.Integer(), nullable=False),
    *hourly(),
    sa.CheckConstraint('booked_minutes <= open_minutes', name=op.f('ck_utilisation_day_booked_within_open')),
    sa.CheckConstraint('open_minutes <= 1500', name=op.f('ck_utilisation_day_open_within_its_days')),
    sa.CheckConstraint('open_minutes >= 0 AND booked_minutes >= 0 AND pending_minutes >= 0', name=op.f('ck_utilisation_day_minutes_not_negative')),
    sa.CheckConstraint('reservations >= 0 AND cancellations >= 0 AND no_shows >= 0 AND completed >= 0 AND revenue_cents >= 0 AND subsidy_cents >= 0', name=op.f('ck_utilisation_day_counts_not_negative')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_utilisation_day_weekday_range')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_utilisation_day_facility_id_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_utilisation_day')),
    sa.UniqueConstraint('facility_id', 'day', name='uq_utilisation_day_facility_day')
    )
    op.create_table('utilisation_month',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('open_minutes', sa.Integer(), nullable=False),
    sa.Column('booked_minutes', sa.Integer(), nullable=False),
    sa.Column('pending_minutes', sa.Integer(), nullable=False),
    sa.Column('reservations', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('no_shows', sa.Integer(), nullable=False),
    sa.Column('cancellations', sa.Integer(), nullable=False),
    sa.Column('revenue_cents', sa.Integer(), nullable=False),
    sa.Column('subsidy_cents', sa.Integer(), nullable=False),
    *hourly(),
    sa.CheckConstraint('booked_minutes <= open_minutes', name=op.f('ck_utilisation_month_booked_within_open')),
    sa.CheckConstraint('open_minutes <= 7500', name=op.f('ck_utilisation_month_open_within_its_days')),
    sa.CheckConstraint('open_minutes >= 0 AND booked_minutes >= 0 AND pending_minutes >= 0', name=op.f('ck_utilisation_month_minutes_not_negative')),
    sa.CheckConstraint('reservations >= 0 AND cancellations >= 0 AND no_shows >= 0 AND completed >= 0 AND revenue_cents >= 0 AND subsidy_cents >= 0', name=op.f('ck_utilisation_month_counts_not_negative')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_utilisation_month_weekday_range')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_utilisation_month_facility_id_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_utilisation_month')),
    sa.UniqueConstraint('facility_id', 'day', 'weekday', name='uq_utilisation_month')
    )


def downgrade():
    op.drop_table('utilisation_month')
    op.drop_table('utilisation_day')
    with op.batch_alter_table('utilisation_booker', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_utilisation_booker_organisation_id'))

    op.drop_table('utilisation_booker')
