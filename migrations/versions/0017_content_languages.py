"""content in several languages: translations on what a city writes; amenities become a vocabulary

Every table with city-written text gets a `translations` JSON column (the text columns keep the
content language's text). facility gets accessibility_notes. The free-text amenity names become
rows of the new `amenity` table: names that differ only in case, punctuation or an English plural
('Changing room' / 'Changing rooms') become one entry (the most used spelling names it), grouped by
keyword; a facility that had both keeps one row with the larger quantity.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 11:30:00

"""
from collections import Counter, defaultdict

from alembic import op
import sqlalchemy as sa

from booking.facilities.amenities import code_for, group_for, match_key


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

TRANSLATED_TABLES = ('facility', 'department', 'facility_terms', 'booking_question')


def upgrade():
    for table in TRANSLATED_TABLES:
        op.add_column(table, sa.Column('translations', sa.JSON(), server_default='{}', nullable=False))
    op.add_column('facility', sa.Column('accessibility_notes', sa.Text(), server_default='', nullable=False))

    op.create_table(
        'amenity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=60), nullable=False),
        sa.Column('group', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('translations', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_amenity')),
        sa.UniqueConstraint('code', name=op.f('uq_amenity_code')),
    )
    with op.batch_alter_table('facility_amenity') as batch_op:
        batch_op.add_column(sa.Column('amenity_id', sa.Integer(), nullable=True))

    conn = op.get_bind()
    rows = conn.execute(sa.text('SELECT id, facility_id, name, quantity FROM facility_amenity')).fetchall()
    spellings: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        spellings[match_key(row.name)][row.name.strip()] += 1
    amenity = sa.table('amenity', sa.column('id', sa.Integer), sa.column('code', sa.String),
                       sa.column('group', sa.String), sa.column('name', sa.String),
                       sa.column('translations', sa.JSON))
    ids: dict[str, int] = {}
    codes: set[str] = set()
    for number, key in enumerate(sorted(spellings), start=1):
        # The most used spelling names the entry; on a tie the singular (shorter) one.
        name = sorted(spellings[key].items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0][0]
        code = code_for(name)
        while code in codes:
            code = f"{code[:55]}_{number}"
        codes.add(code)
        conn.execute(amenity.insert().values(id=number, code=code, group=group_for(name), name=name[:100],
                                             translations={}))
        ids[key] = number

    kept: dict[tuple[int, int], tuple[int, int]] = {}  # (facility, amenity) → (row id, quantity)
    for row in rows:
        target = (row.facility_id, ids[match_key(row.name)])
        if target in kept:  # a near-duplicate on the same facility: one row, the larger quantity
            row_id, quantity = kept[target]
            conn.execute(sa.text('UPDATE facility_amenity SET quantity = :q WHERE id = :id'),
                         {"q": max(quantity, row.quantity), "id": row_id})
            conn.execute(sa.text('DELETE FROM facility_amenity WHERE id = :id'), {"id": row.id})
            kept[target] = (row_id, max(quantity, row.quantity))
        else:
            conn.execute(sa.text('UPDATE facility_amenity SET amenity_id = :a WHERE id = :id'),
                         {"a": target[1], "id": row.id})
            kept[target] = (row.id, row.quantity)
    if conn.dialect.name == 'postgresql' and ids:
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('amenity', 'id'), :n)"), {"n": len(ids)})

    with op.batch_alter_table('facility_amenity') as batch_op:
        batch_op.drop_constraint('uq_facility_amenity_name', type_='unique')
        batch_op.drop_column('name')
        batch_op.alter_column('amenity_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_facility_amenity_amenity_id'), ['amenity_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_facility_amenity_amenity_id_amenity'), 'amenity',
                                    ['amenity_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_unique_constraint('uq_facility_amenity_amenity', ['facility_id', 'amenity_id'])


def downgrade():
    with op.batch_alter_table('facility_amenity') as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=100), nullable=True))
    op.execute('UPDATE facility_amenity SET name = (SELECT name FROM amenity WHERE amenity.id = facility_amenity.amenity_id)')
    with op.batch_alter_table('facility_amenity') as batch_op:
        batch_op.drop_constraint('uq_facility_amenity_amenity', type_='unique')
        batch_op.drop_constraint('fk_facility_amenity_amenity_id_amenity', type_='foreignkey')
        batch_op.drop_index('ix_facility_amenity_amenity_id')
        batch_op.drop_column('amenity_id')
        batch_op.alter_column('name', existing_type=sa.String(length=100), nullable=False)
        batch_op.create_unique_constraint('uq_facility_amenity_name', ['facility_id', 'name'])
    op.drop_table('amenity')
    with op.batch_alter_table('facility') as batch_op:
        batch_op.drop_column('accessibility_notes')
    for table in TRANSLATED_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('translations')
