"""reservation price snapshot

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-30 22:40:15.038477

"""
from alembic import op
import sqlalchemy as sa

import booking.database


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0004'
branch_labels = None
depends_on = None


# SQLite rebuilds the table for the new foreign key, which drops its triggers: the
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
        batch_op.add_column(sa.Column('price_snapshot_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_reservation_price_snapshot_id'), ['price_snapshot_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reservation_price_snapshot_id_price_snapshot'), 'price_snapshot', ['price_snapshot_id'], ['id'], ondelete='RESTRICT')
    if _sqlite():
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)



def downgrade():
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS reservation_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS reservation_no_overlap_update")
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reservation_price_snapshot_id_price_snapshot'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reservation_price_snapshot_id'))
        batch_op.drop_column('price_snapshot_id')
    if _sqlite():
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
