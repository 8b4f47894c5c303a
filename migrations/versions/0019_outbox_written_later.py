"""e-mails written by the delivery job: a recipe, and no text until it is written

A reservation's e-mails are queued in the booking's transaction as a recipe (template,
language, context with objects as ids); the delivery job writes the text, the HTML and the
calendar file shortly afterwards (booking/notifications/later.py).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 17:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message') as batch:
        batch.add_column(sa.Column('recipe', sa.JSON(), nullable=True))
        batch.alter_column('text_body', existing_type=sa.Text(), nullable=True)


def downgrade():
    # Messages not yet written cannot be written by the older code: never send them empty.
    op.execute("UPDATE outbox_message SET text_body = '', status = 'failed', "
               "last_error = 'Not written before the database was downgraded' WHERE text_body IS NULL")
    with op.batch_alter_table('outbox_message') as batch:
        batch.alter_column('text_body', existing_type=sa.Text(), nullable=False)
        batch.drop_column('recipe')
