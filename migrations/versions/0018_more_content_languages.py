"""the rest of the city's content in several languages: tariffs, challenges, agreement templates

Each gets a `translations` JSON column like the tables of 0017 (the text columns keep the
content language's text): a tariff's name, a challenge's title, need and offer, an agreement
template's name and body.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 12:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

TRANSLATED_TABLES = ('tariff', 'challenge', 'agreement_template')


def upgrade():
    for table in TRANSLATED_TABLES:
        op.add_column(table, sa.Column('translations', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    for table in TRANSLATED_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('translations')
