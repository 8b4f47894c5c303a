"""pricing: tariffs, price snapshots, invoices

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-30 20:58:37.567575

"""
from alembic import op
import sqlalchemy as sa

import booking.database


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invoice_counter',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('next_number', sa.Integer(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_invoice_counter_single_row')),
    sa.CheckConstraint('next_number > 0', name=op.f('ck_invoice_counter_next_number_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_counter'))
    )
    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('invoice', 'credit_note', name='invoicekind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('credits_invoice_id', sa.Integer(), nullable=True),
    sa.Column('credit_reason', sa.Text(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('issued_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('buyer_name', sa.String(length=200), nullable=False),
    sa.Column('buyer_business_id', sa.String(length=9), nullable=True),
    sa.Column('buyer_address', sa.Text(), nullable=False),
    sa.Column('seller_name', sa.String(length=200), nullable=False),
    sa.Column('seller_business_id', sa.String(length=20), nullable=False),
    sa.Column('seller_address', sa.Text(), nullable=False),
    sa.Column('seller_iban', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('rf_reference', sa.String(length=25), nullable=False),
    sa.Column('net_cents', sa.Integer(), nullable=False),
    sa.Column('vat_cents', sa.Integer(), nullable=False),
    sa.Column('gross_cents', sa.Integer(), nullable=False),
    sa.Column('vat_breakdown', sa.JSON(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(kind = 'credit_note') = (credits_invoice_id IS NOT NULL)", name=op.f('ck_invoice_credit_note_credits')),
    sa.CheckConstraint("currency = 'EUR'", name=op.f('ck_invoice_currency_eur')),
    sa.CheckConstraint('due_date >= issued_date', name=op.f('ck_invoice_due_after_issue')),
    sa.CheckConstraint('gross_cents = net_cents + vat_cents', name=op.f('ck_invoice_gross_is_net_plus_vat')),
    sa.CheckConstraint('net_cents >= 0 AND vat_cents >= 0 AND gross_cents >= 0', name=op.f('ck_invoice_amounts_not_negative')),
    sa.CheckConstraint('number > 0', name=op.f('ck_invoice_number_positive')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_invoice_valid_period')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_invoice_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['credits_invoice_id'], ['invoice.id'], name=op.f('fk_invoice_credits_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_invoice_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice')),
    sa.UniqueConstraint('credits_invoice_id', name='uq_invoice_credits_invoice_id'),
    sa.UniqueConstraint('number', name='uq_invoice_number')
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_issued', ['issued_date'], unique=False)
        batch_op.create_index('ix_invoice_organisation_issued', ['organisation_id', 'issued_date'], unique=False)

    op.create_table('tariff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.Enum('per_30_min', 'per_hour', 'per_half_day', 'per_day', 'per_week', 'per_booking', name='tariffunit', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('base_price_cents', sa.Integer(), nullable=False),
    sa.Column('prices_include_vat', sa.Boolean(), nullable=False),
    sa.Column('vat_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('min_charge_cents', sa.Integer(), nullable=False),
    sa.Column('deposit_cents', sa.Integer(), nullable=False),
    sa.Column('long_booking_min_days', sa.Integer(), nullable=True),
    sa.Column('long_booking_percent', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('underused_threshold', sa.Numeric(precision=4, scale=3), nullable=True),
    sa.Column('underused_percent', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('late_fee_percent', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('late_fee_cents', sa.Integer(), nullable=True),
    sa.Column('invoice_each_reservation', sa.Boolean(), nullable=False),
    sa.Column('locked_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('superseded_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(long_booking_min_days IS NULL) = (long_booking_percent IS NULL)', name=op.f('ck_tariff_long_booking_complete')),
    sa.CheckConstraint('(underused_threshold IS NULL) = (underused_percent IS NULL)', name=op.f('ck_tariff_underused_complete')),
    sa.CheckConstraint('base_price_cents >= 0', name=op.f('ck_tariff_base_price_not_negative')),
    sa.CheckConstraint('deposit_cents >= 0', name=op.f('ck_tariff_deposit_not_negative')),
    sa.CheckConstraint('late_fee_cents IS NULL OR late_fee_cents >= 0', name=op.f('ck_tariff_late_fee_not_negative')),
    sa.CheckConstraint('late_fee_percent IS NULL OR (late_fee_percent > 0 AND late_fee_percent <= 100)', name=op.f('ck_tariff_late_fee_percent_range')),
    sa.CheckConstraint('late_fee_percent IS NULL OR late_fee_cents IS NULL', name=op.f('ck_tariff_one_late_fee')),
    sa.CheckConstraint('long_booking_min_days IS NULL OR long_booking_min_days >= 1', name=op.f('ck_tariff_long_booking_days_positive')),
    sa.CheckConstraint('long_booking_percent IS NULL OR (long_booking_percent > 0 AND long_booking_percent <= 100)', name=op.f('ck_tariff_long_booking_percent_range')),
    sa.CheckConstraint('min_charge_cents >= 0', name=op.f('ck_tariff_min_charge_not_negative')),
    sa.CheckConstraint('underused_percent IS NULL OR (underused_percent > 0 AND underused_percent <= 100)', name=op.f('ck_tariff_underused_percent_range')),
    sa.CheckConstraint('underused_threshold IS NULL OR (underused_threshold > 0 AND underused_threshold <= 1)', name=op.f('ck_tariff_underused_threshold_range')),
    sa.CheckConstraint('vat_rate >= 0 AND vat_rate <= 100', name=op.f('ck_tariff_vat_rate_range')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_tariff_version_positive')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_tariff_facility_id_facility'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_tariff_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tariff')),
    sa.UniqueConstraint('facility_id', 'valid_from', 'version', name='uq_tariff_facility_valid_version')
    )
    with op.batch_alter_table('tariff', schema=None) as batch_op:
        batch_op.create_index('ix_tariff_facility_valid', ['facility_id', 'valid_from'], unique=False)
        batch_op.create_index('uq_tariff_current_version', ['facility_id', 'valid_from'], unique=True, sqlite_where=sa.text('superseded_dt IS NULL'), postgresql_where=sa.text('superseded_dt IS NULL'))

    op.create_table('actor_type_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tariff_id', sa.Integer(), nullable=False),
    sa.Column('actor_type', sa.Enum('sme', 'startup', 'large_company', 'third_sector', 'research', 'citizen_group', 'public_body', name='actortype', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('kind', sa.Enum('percent', 'fixed', 'free', name='rulekind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('percent', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('fixed_cents', sa.Integer(), nullable=True),
    sa.CheckConstraint("(kind = 'percent' AND percent IS NOT NULL AND percent > 0 AND percent <= 100 AND fixed_cents IS NULL) OR (kind = 'fixed' AND fixed_cents IS NOT NULL AND fixed_cents >= 0 AND percent IS NULL) OR (kind = 'free' AND percent IS NULL AND fixed_cents IS NULL)", name=op.f('ck_actor_type_rule_value_matches_kind')),
    sa.ForeignKeyConstraint(['tariff_id'], ['tariff.id'], name=op.f('fk_actor_type_rule_tariff_id_tariff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actor_type_rule')),
    sa.UniqueConstraint('tariff_id', 'actor_type', name='uq_actor_type_rule_tariff_actor')
    )
    op.create_table('price_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('tariff_id', sa.Integer(), nullable=False),
    sa.Column('actor_type', sa.Enum('sme', 'startup', 'large_company', 'third_sector', 'research', 'citizen_group', 'public_body', name='actortype', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('start_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('prices_include_vat', sa.Boolean(), nullable=False),
    sa.Column('vat_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('net_cents', sa.Integer(), nullable=False),
    sa.Column('vat_cents', sa.Integer(), nullable=False),
    sa.Column('gross_cents', sa.Integer(), nullable=False),
    sa.Column('undiscounted_gross_cents', sa.Integer(), nullable=False),
    sa.Column('deposit_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('charge', sa.Enum('price', 'late_fee', name='chargekind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('late_fee_cents', sa.Integer(), nullable=True),
    sa.Column('billing_status', sa.Enum('not_billable_yet', 'billable', 'invoiced', 'void', name='billingstatus', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('billable_cents', sa.Integer(), nullable=False),
    sa.Column('subsidy_cents', sa.Integer(), nullable=False),
    sa.Column('free_of_charge_reason', sa.Text(), nullable=True),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(billing_status = 'invoiced') = (invoice_id IS NOT NULL)", name=op.f('ck_price_snapshot_invoiced_has_invoice')),
    sa.CheckConstraint("(charge = 'late_fee') = (late_fee_cents IS NOT NULL)", name=op.f('ck_price_snapshot_late_fee_matches_charge')),
    sa.CheckConstraint("billing_status != 'void' OR billable_cents = 0", name=op.f('ck_price_snapshot_void_owes_nothing')),
    sa.CheckConstraint("currency = 'EUR'", name=op.f('ck_price_snapshot_currency_eur')),
    sa.CheckConstraint('end_dt > start_dt', name=op.f('ck_price_snapshot_valid_dates')),
    sa.CheckConstraint('gross_cents = net_cents + vat_cents', name=op.f('ck_price_snapshot_gross_is_net_plus_vat')),
    sa.CheckConstraint('late_fee_cents IS NULL OR late_fee_cents >= 0', name=op.f('ck_price_snapshot_late_fee_not_negative')),
    sa.CheckConstraint('net_cents >= 0 AND vat_cents >= 0 AND gross_cents >= 0 AND undiscounted_gross_cents >= 0 AND deposit_cents >= 0 AND billable_cents >= 0 AND subsidy_cents >= 0', name=op.f('ck_price_snapshot_amounts_not_negative')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_price_snapshot_facility_id_facility'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_price_snapshot_invoice_id_invoice'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_price_snapshot_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tariff_id'], ['tariff.id'], name=op.f('fk_price_snapshot_tariff_id_tariff'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_snapshot'))
    )
    with op.batch_alter_table('price_snapshot', schema=None) as batch_op:
        batch_op.create_index('ix_price_snapshot_billing', ['billing_status', 'start_dt'], unique=False)
        batch_op.create_index('ix_price_snapshot_facility_start', ['facility_id', 'start_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_snapshot_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index('ix_price_snapshot_organisation_start', ['organisation_id', 'start_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_snapshot_tariff_id'), ['tariff_id'], unique=False)

    op.create_table('tariff_band',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tariff_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('weekdays', sa.JSON(), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('end_minute', sa.Integer(), nullable=False),
    sa.Column('percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.CheckConstraint('percent >= -100 AND percent <= 500', name=op.f('ck_tariff_band_percent_range')),
    sa.CheckConstraint('start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440', name=op.f('ck_tariff_band_valid_minutes')),
    sa.ForeignKeyConstraint(['tariff_id'], ['tariff.id'], name=op.f('fk_tariff_band_tariff_id_tariff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tariff_band'))
    )
    with op.batch_alter_table('tariff_band', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tariff_band_tariff_id'), ['tariff_id'], unique=False)

    op.create_table('invoice_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('charge', sa.Enum('price', 'late_fee', name='chargekind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('facility_name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('start_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('vat_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('net_cents', sa.Integer(), nullable=False),
    sa.Column('vat_cents', sa.Integer(), nullable=False),
    sa.Column('gross_cents', sa.Integer(), nullable=False),
    sa.Column('subsidy_cents', sa.Integer(), nullable=False),
    sa.CheckConstraint('gross_cents = net_cents + vat_cents', name=op.f('ck_invoice_line_gross_is_net_plus_vat')),
    sa.CheckConstraint('net_cents >= 0 AND vat_cents >= 0 AND gross_cents >= 0', name=op.f('ck_invoice_line_amounts_not_negative')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_line_invoice_id_invoice'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['snapshot_id'], ['price_snapshot.id'], name=op.f('fk_invoice_line_snapshot_id_price_snapshot'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_line')),
    sa.UniqueConstraint('invoice_id', 'position', name='uq_invoice_line_position')
    )
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_line_snapshot_id'), ['snapshot_id'], unique=False)



def downgrade():
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_line_snapshot_id'))

    op.drop_table('invoice_line')
    with op.batch_alter_table('tariff_band', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tariff_band_tariff_id'))

    op.drop_table('tariff_band')
    with op.batch_alter_table('price_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_snapshot_tariff_id'))
        batch_op.drop_index('ix_price_snapshot_organisation_start')
        batch_op.drop_index(batch_op.f('ix_price_snapshot_invoice_id'))
        batch_op.drop_index('ix_price_snapshot_facility_start')
        batch_op.drop_index('ix_price_snapshot_billing')

    op.drop_table('price_snapshot')
    op.drop_table('actor_type_rule')
    with op.batch_alter_table('tariff', schema=None) as batch_op:
        batch_op.drop_index('uq_tariff_current_version', sqlite_where=sa.text('superseded_dt IS NULL'), postgresql_where=sa.text('superseded_dt IS NULL'))
        batch_op.drop_index('ix_tariff_facility_valid')

    op.drop_table('tariff')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_organisation_issued')
        batch_op.drop_index('ix_invoice_issued')

    op.drop_table('invoice')
    op.drop_table('invoice_counter')
