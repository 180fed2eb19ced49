"""the ODPE twice: the contract presented, then the opinion on the draft report

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


def downgrade() -> None:
    with op.batch_alter_table('odpe_presentation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_odpe_presentation_exercice_id'))
    op.drop_table('odpe_presentation')
