"""one digest a day per person (each reminder it carries), calendar events with a SEQUENCE and what each
person received of them, each person's choice of reminders, calendar feeds

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 14:16:36.877285
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('scope_value', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scope', 'scope_value'),
    sa.UniqueConstraint('token')
    )
    op.create_table('contact_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email'),
    sa.UniqueConstraint('token')
    )
    op.create_table('calendar_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadline.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('recipient', 'deadline_id')
    )
    with op.batch_alter_table('calendar_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_delivery_deadline_id'), ['deadline_id'], unique=False)

    op.create_table('reminder_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=240), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=True),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('slot', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('send_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadline.id'], ),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox_email.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('reminder_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_item_outbox_id'), ['outbox_id'], unique=False)

    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ics_sequence', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ics_cancel', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('reply_to', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('unsubscribe_url', sa.Text(), nullable=True))

    # The reminders sent one per e-mail before digests stay sent: each is an item of its own e-mail.
    op.execute("INSERT INTO reminder_item (key, outbox_id, deadline_id, contract_id, kind, slot, recipient) "
               "SELECT key, id, deadline_id, contract_id, kind, '', recipient FROM outbox_email "
               "WHERE kind IN ('reminder', 'escalation')")


def downgrade() -> None:
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_column('unsubscribe_url')
        batch_op.drop_column('reply_to')
        batch_op.drop_column('ics_cancel')

    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_column('ics_sequence')

    with op.batch_alter_table('reminder_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_item_outbox_id'))

    op.drop_table('reminder_item')
    with op.batch_alter_table('calendar_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_delivery_deadline_id'))

    op.drop_table('calendar_delivery')
    op.drop_table('contact_preference')
    op.drop_table('calendar_feed')
