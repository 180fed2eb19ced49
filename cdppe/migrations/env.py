"""Alembic environment: the engine comes from ``cdppe.store.db`` (see ``alembic_config``)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import models

models.load_all()

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
