"""the ODPE twice: the contract presented, then the opinion on the draft report; a payment per
envelope for the exercice and one for each avenant's new money

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 13:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAYMENT_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s_%(column_1_name)s"}


def _old_payment_unique() -> str:
    """The unique (exercice, source) of 0001 had no name: PostgreSQL named it, SQLite did not (the
    batch's naming convention names it on the copy so it can be dropped)."""
    return ('payment_exercice_id_source_key' if op.get_bind().dialect.name == 'postgresql'
            else 'uq_payment_exercice_id_source')


def upgrade() -> None:
    op.create_table('odpe_presentation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exercice_id', sa.Integer(), nullable=False),
    sa.Column('session_date', sa.Date(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recorded_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['exercice_id'], ['exercice.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('exercice_id')
    )
    with op.batch_alter_table('odpe_presentation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_odpe_presentation_exercice_id'), ['exercice_id'], unique=False)

    old_unique = _old_payment_unique()
    with op.batch_alter_table('payment', schema=None, naming_convention=PAYMENT_NAMES) as batch_op:
        batch_op.add_column(sa.Column('avenant_number', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_constraint(old_unique, type_='unique')
        batch_op.create_unique_constraint('uq_payment_exercice_source_avenant',
                                          ['exercice_id', 'source', 'avenant_number'])


def downgrade() -> None:
    old_unique = _old_payment_unique()
    op.execute("DELETE FROM payment WHERE avenant_number > 0")
    with op.batch_alter_table('payment', schema=None, naming_convention=PAYMENT_NAMES) as batch_op:
        batch_op.drop_constraint('uq_payment_exercice_source_avenant', type_='unique')
        batch_op.create_unique_constraint(old_unique, ['exercice_id', 'source'])
        batch_op.drop_column('avenant_number')
    with op.batch_alter_table('odpe_presentation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_odpe_presentation_exercice_id'))
    op.drop_table('odpe_presentation')
