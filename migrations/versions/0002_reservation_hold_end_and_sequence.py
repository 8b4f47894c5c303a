"""reservations: hold end reason and calendar sequence

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 20:36:54.568165

"""
from alembic import op
import sqlalchemy as sa

import booking.database


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


# SQLite rebuilds the table for the new CHECK constraint, which drops its triggers: the
# no-overlap triggers (booking/reservations/models.py) are dropped first and made again.
SQLITE_TRIGGERS = [
    "CREATE TRIGGER reservation_no_overlap_insert BEFORE INSERT ON reservation WHEN NEW.status IN ('held', 'pending', 'confirmed') BEGIN\n    SELECT RAISE(ABORT, 'reservation_overlap') WHERE EXISTS (\n        SELECT 1 FROM reservation AS other\n        WHERE other.facility_id = NEW.facility_id\n          AND other.status IN ('held', 'pending', 'confirmed')\n          AND other.blocked_start_dt < NEW.blocked_end_dt\n          AND NEW.blocked_start_dt < other.blocked_end_dt);\nEND",
    "CREATE TRIGGER reservation_no_overlap_update BEFORE UPDATE OF facility_id, blocked_start_dt, blocked_end_dt, status ON reservation WHEN NEW.status IN ('held', 'pending', 'confirmed') BEGIN\n    SELECT RAISE(ABORT, 'reservation_overlap') WHERE EXISTS (\n        SELECT 1 FROM reservation AS other\n        WHERE other.facility_id = NEW.facility_id AND other.id != NEW.id\n          AND other.status IN ('held', 'pending', 'confirmed')\n          AND other.blocked_start_dt < NEW.blocked_end_dt\n          AND NEW.blocked_start_dt < other.blocked_end_dt);\nEND",
]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS reservation_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS reservation_no_overlap_update")
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_end', sa.Enum('expired', 'released', 'replaced', name='holdend', native_enum=False, create_constraint=True, length=20), nullable=True))
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=False, server_default=sa.text('0')))
    # The system's reasons used to be sentinel strings in cancel_reason, indistinguishable
    # from a person who typed the same words.
    for reason, end in (('hold expired', 'expired'), ('released', 'released'),
                        ('replaced by a new hold', 'replaced')):
        op.execute(sa.text("UPDATE reservation SET hold_end = :end, cancel_reason = NULL "
                           "WHERE status = 'cancelled' AND cancel_reason = :reason AND hold_expires_dt IS NOT NULL")
                   .bindparams(end=end, reason=reason))
    if _sqlite():
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade():
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS reservation_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS reservation_no_overlap_update")
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.drop_constraint('holdend', type_='check')
        batch_op.drop_column('sequence')
        batch_op.drop_column('hold_end')
    if _sqlite():
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)

