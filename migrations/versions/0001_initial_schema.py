"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 05:52:04.454215

"""
from alembic import op
import sqlalchemy as sa

import booking.database


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('contact_email', sa.String(length=320), nullable=True),
    sa.Column('decision_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('decision_days > 0', name=op.f('ck_department_positive_decision_days')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department')),
    sa.UniqueConstraint('name', name=op.f('uq_department_name'))
    )
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=320), nullable=False),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure'))
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index('ix_login_failure_key_dt', ['key', 'created_dt'], unique=False)

    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('actor_type', sa.Enum('sme', 'startup', 'large_company', 'third_sector', 'research', 'citizen_group', 'public_body', name='actortype', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('business_id', sa.String(length=9), nullable=True),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('contact_email', sa.String(length=320), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('business_id', name=op.f('uq_organisation_business_id')),
    sa.UniqueConstraint('name', name=op.f('uq_organisation_name'))
    )
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('to', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', name='outboxstatus', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('topic', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_status_next', ['status', 'next_attempt_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_topic'), ['topic'], unique=False)

    op.create_table('facility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('district', sa.String(length=100), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('area_m2', sa.Numeric(precision=10, scale=1), nullable=True),
    sa.Column('house_rules', sa.Text(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'archived', name='facilitystatus', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recent_utilisation', sa.Float(), nullable=True),
    sa.CheckConstraint('area_m2 IS NULL OR area_m2 >= 0', name=op.f('ck_facility_area_not_negative')),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_facility_capacity_not_negative')),
    sa.CheckConstraint('latitude IS NULL OR (latitude BETWEEN -90 AND 90)', name=op.f('ck_facility_latitude_range')),
    sa.CheckConstraint('longitude IS NULL OR (longitude BETWEEN -180 AND 180)', name=op.f('ck_facility_longitude_range')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_facility_department_id_department'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility')),
    sa.UniqueConstraint('slug', name=op.f('uq_facility_slug'))
    )
    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_facility_district'), ['district'], unique=False)
        batch_op.create_index('ix_facility_status_category', ['status', 'category'], unique=False)

    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('member', 'facility_manager', 'admin', name='role', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=True),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('current_organisation_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_user_email_lowercase')),
    sa.ForeignKeyConstraint(['current_organisation_id'], ['organisation.id'], name=op.f('fk_user_current_organisation_id_organisation'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('object_type', sa.String(length=80), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_event_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_audit_event_department_id_department'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_created_dt'), ['created_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_department_id'), ['department_id'], unique=False)
        batch_op.create_index('ix_audit_event_object', ['object_type', 'object_id'], unique=False)

    op.create_table('booking_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.Enum('text', 'choice', 'yes_no', name='questionkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_booking_question_facility_id_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_question'))
    )
    with op.batch_alter_table('booking_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_question_facility_id'), ['facility_id'], unique=False)

    op.create_table('booking_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('min_duration_minutes', sa.Integer(), nullable=False),
    sa.Column('max_duration_minutes', sa.Integer(), nullable=True),
    sa.Column('min_notice_minutes', sa.Integer(), nullable=False),
    sa.Column('max_advance_days', sa.Integer(), nullable=False),
    sa.Column('buffer_before_minutes', sa.Integer(), nullable=False),
    sa.Column('buffer_after_minutes', sa.Integer(), nullable=False),
    sa.Column('allow_multi_day', sa.Boolean(), nullable=False),
    sa.Column('max_active_per_organisation', sa.Integer(), nullable=True),
    sa.Column('approval_policy', sa.Enum('automatic', 'manual', 'conditional', name='approvalpolicy', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('manual_actor_types', sa.JSON(), nullable=False),
    sa.Column('manual_above_minutes', sa.Integer(), nullable=True),
    sa.Column('cancellation_deadline_hours', sa.Integer(), nullable=False),
    sa.Column('late_cancellation', sa.Enum('fee', 'refuse', name='latecancellation', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.CheckConstraint('cancellation_deadline_hours >= 0', name=op.f('ck_booking_rules_cancellation_deadline_not_negative')),
    sa.CheckConstraint('max_active_per_organisation IS NULL OR max_active_per_organisation > 0', name=op.f('ck_booking_rules_quota_positive')),
    sa.CheckConstraint('max_advance_days > 0', name=op.f('ck_booking_rules_max_advance_positive')),
    sa.CheckConstraint('max_duration_minutes IS NULL OR max_duration_minutes >= min_duration_minutes', name=op.f('ck_booking_rules_max_duration_not_below_min')),
    sa.CheckConstraint('min_duration_minutes > 0', name=op.f('ck_booking_rules_min_duration_positive')),
    sa.CheckConstraint('min_notice_minutes >= 0 AND buffer_before_minutes >= 0 AND buffer_after_minutes >= 0', name=op.f('ck_booking_rules_non_negative_margins')),
    sa.CheckConstraint('slot_minutes > 0', name=op.f('ck_booking_rules_slot_positive')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_booking_rules_facility_id_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_rules')),
    sa.UniqueConstraint('facility_id', name=op.f('uq_booking_rules_facility_id'))
    )
    op.create_table('closure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('start_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('external_uid', sa.String(length=300), nullable=True),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('end_dt > start_dt', name=op.f('ck_closure_valid_dates')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_closure_facility_id_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closure')),
    sa.UniqueConstraint('facility_id', 'external_uid', name='uq_closure_facility_uid')
    )
    with op.batch_alter_table('closure', schema=None) as batch_op:
        batch_op.create_index('ix_closure_facility_time', ['facility_id', 'start_dt', 'end_dt'], unique=False)

    op.create_table('department_manager',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_department_manager_department_id_department'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_department_manager_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'department_id', name=op.f('pk_department_manager'))
    )
    op.create_table('facility_accessibility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('feature', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_facility_accessibility_facility_id_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_accessibility')),
    sa.UniqueConstraint('facility_id', 'feature', name='uq_facility_accessibility_feature')
    )
    with op.batch_alter_table('facility_accessibility', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_accessibility_facility_id'), ['facility_id'], unique=False)

    op.create_table('facility_amenity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_facility_amenity_quantity_positive')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_facility_amenity_facility_id_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_amenity')),
    sa.UniqueConstraint('facility_id', 'name', name='uq_facility_amenity_name')
    )
    with op.batch_alter_table('facility_amenity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_amenity_facility_id'), ['facility_id'], unique=False)

    op.create_table('facility_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('alt_text', sa.String(length=300), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_facility_photo_facility_id_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_photo')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_facility_photo_storage_key'))
    )
    with op.batch_alter_table('facility_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_photo_facility_id'), ['facility_id'], unique=False)

    op.create_table('facility_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_facility_terms_facility_id_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_terms')),
    sa.UniqueConstraint('facility_id', 'version', name='uq_facility_terms_version')
    )
    op.create_table('membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('owner', 'member', name='membershiprole', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_membership_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_membership_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership')),
    sa.UniqueConstraint('user_id', 'organisation_id', name='uq_membership_user_organisation')
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('opening_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_opening_hours_weekday_range')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_opening_hours_facility_id_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_hours'))
    )
    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.create_index('ix_opening_hours_facility_valid', ['facility_id', 'valid_from'], unique=False)

    op.create_table('reservation_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('booking', 'internal_block', name='reservationkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('rrule', sa.String(length=500), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('skipped_dates', sa.JSON(), nullable=False),
    sa.Column('created_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_reservation_series_facility_id_facility'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_reservation_series_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_reservation_series_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservation_series'))
    )
    with op.batch_alter_table('reservation_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservation_series_facility_id'), ['facility_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservation_series_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('special_opening',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_special_opening_facility_id_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_special_opening'))
    )
    with op.batch_alter_table('special_opening', schema=None) as batch_op:
        batch_op.create_index('ix_special_opening_facility_date', ['facility_id', 'date'], unique=False)

    op.create_table('reservation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('booking', 'internal_block', name='reservationkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('start_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_start_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_end_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('accepted_terms_id', sa.Integer(), nullable=True),
    sa.Column('accepted_terms_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Enum('held', 'pending', 'confirmed', 'rejected', 'cancelled', 'completed', 'no_show', name='reservationstatus', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('requested_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hold_expires_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_deadline_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('internal_note', sa.Text(), nullable=True),
    sa.Column('cancelled_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('late_cancellation_fee', sa.Boolean(), nullable=False),
    sa.Column('checked_in_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_dt', booking.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_dt', booking.database.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'internal_block' AND organisation_id IS NULL) OR (kind = 'booking' AND organisation_id IS NOT NULL)", name=op.f('ck_reservation_organisation_matches_kind')),
    sa.CheckConstraint('attendees >= 0', name=op.f('ck_reservation_attendees_not_negative')),
    sa.CheckConstraint('blocked_start_dt <= start_dt AND blocked_end_dt >= end_dt', name=op.f('ck_reservation_blocked_contains_time')),
    sa.CheckConstraint('end_dt > start_dt', name=op.f('ck_reservation_valid_dates')),
    sa.ForeignKeyConstraint(['accepted_terms_id'], ['facility_terms.id'], name=op.f('fk_reservation_accepted_terms_id_facility_terms'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_reservation_decided_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_reservation_facility_id_facility'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_reservation_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['series_id'], ['reservation_series.id'], name=op.f('fk_reservation_series_id_reservation_series'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_reservation_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservation'))
    )
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.create_index('ix_reservation_facility_blocked', ['facility_id', 'blocked_start_dt', 'blocked_end_dt'], unique=False)
        batch_op.create_index('ix_reservation_organisation_start', ['organisation_id', 'start_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservation_series_id'), ['series_id'], unique=False)
        batch_op.create_index('ix_reservation_status_deadline', ['status', 'decision_deadline_dt'], unique=False)
        batch_op.create_index('ix_reservation_status_end', ['status', 'end_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservation_user_id'), ['user_id'], unique=False)


    # No double booking, enforced by the database (the SQL is that of booking/reservations/models.py,
    # frozen here): an exclusion constraint on PostgreSQL, triggers on SQLite.
    if op.get_bind().dialect.name == "postgresql":
        op.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')
        op.execute("ALTER TABLE reservation ADD CONSTRAINT reservation_no_overlap EXCLUDE USING gist (facility_id WITH =, tstzrange(blocked_start_dt, blocked_end_dt, '[)') WITH &&) WHERE (status IN ('held', 'pending', 'confirmed'))")
    else:
        op.execute("CREATE TRIGGER reservation_no_overlap_insert BEFORE INSERT ON reservation WHEN NEW.status IN ('held', 'pending', 'confirmed') BEGIN\n    SELECT RAISE(ABORT, 'reservation_overlap') WHERE EXISTS (\n        SELECT 1 FROM reservation AS other\n        WHERE other.facility_id = NEW.facility_id\n          AND other.status IN ('held', 'pending', 'confirmed')\n          AND other.blocked_start_dt < NEW.blocked_end_dt\n          AND NEW.blocked_start_dt < other.blocked_end_dt);\nEND")
        op.execute("CREATE TRIGGER reservation_no_overlap_update BEFORE UPDATE OF facility_id, blocked_start_dt, blocked_end_dt, status ON reservation WHEN NEW.status IN ('held', 'pending', 'confirmed') BEGIN\n    SELECT RAISE(ABORT, 'reservation_overlap') WHERE EXISTS (\n        SELECT 1 FROM reservation AS other\n        WHERE other.facility_id = NEW.facility_id AND other.id != NEW.id\n          AND other.status IN ('held', 'pending', 'confirmed')\n          AND other.blocked_start_dt < NEW.blocked_end_dt\n          AND NEW.blocked_start_dt < other.blocked_end_dt);\nEND")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE reservation DROP CONSTRAINT IF EXISTS reservation_no_overlap")
    else:
        op.execute("DROP TRIGGER IF EXISTS reservation_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS reservation_no_overlap_update")
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservation_user_id'))
        batch_op.drop_index('ix_reservation_status_end')
        batch_op.drop_index('ix_reservation_status_deadline')
        batch_op.drop_index(batch_op.f('ix_reservation_series_id'))
        batch_op.drop_index('ix_reservation_organisation_start')
        batch_op.drop_index('ix_reservation_facility_blocked')

    op.drop_table('reservation')
    with op.batch_alter_table('special_opening', schema=None) as batch_op:
        batch_op.drop_index('ix_special_opening_facility_date')

    op.drop_table('special_opening')
    with op.batch_alter_table('reservation_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservation_series_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_reservation_series_facility_id'))

    op.drop_table('reservation_series')
    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.drop_index('ix_opening_hours_facility_valid')

    op.drop_table('opening_hours')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_organisation_id'))

    op.drop_table('membership')
    op.drop_table('facility_terms')
    with op.batch_alter_table('facility_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facility_photo_facility_id'))

    op.drop_table('facility_photo')
    with op.batch_alter_table('facility_amenity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facility_amenity_facility_id'))

    op.drop_table('facility_amenity')
    with op.batch_alter_table('facility_accessibility', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facility_accessibility_facility_id'))

    op.drop_table('facility_accessibility')
    op.drop_table('department_manager')
    with op.batch_alter_table('closure', schema=None) as batch_op:
        batch_op.drop_index('ix_closure_facility_time')

    op.drop_table('closure')
    op.drop_table('booking_rules')
    with op.batch_alter_table('booking_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_question_facility_id'))

    op.drop_table('booking_question')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_object')
        batch_op.drop_index(batch_op.f('ix_audit_event_department_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_created_dt'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('user')
    with op.batch_alter_table('facility', schema=None) as batch_op:
        batch_op.drop_index('ix_facility_status_category')
        batch_op.drop_index(batch_op.f('ix_facility_district'))
        batch_op.drop_index(batch_op.f('ix_facility_department_id'))

    op.drop_table('facility')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_topic'))
        batch_op.drop_index('ix_outbox_message_status_next')

    op.drop_table('outbox_message')
    op.drop_table('organisation')
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_key_dt')

    op.drop_table('login_failure')
    op.drop_table('department')
