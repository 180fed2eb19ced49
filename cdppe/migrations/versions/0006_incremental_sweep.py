"""the daily sweep recomputes only the exercices whose deadlines may have changed (deadline_sync)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 14:52:02.854922
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('deadline_sync',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exercice_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('stale', sa.Boolean(), nullable=False),
    sa.Column('rules_stamp', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('next_check', sa.Date(), nullable=True),
    sa.Column('synced_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.ForeignKeyConstraint(['exercice_id'], ['exercice.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('exercice_id')
    )
    with op.batch_alter_table('deadline_sync', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_sync_contract_id'), ['contract_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deadline_sync', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_sync_contract_id'))

    op.drop_table('deadline_sync')
