"""The flows tier: a real Prefect API (one server for the session), served deployments, subprocess
stacks. The project database is one SQLite file (``db_url``): the db tier covers PostgreSQL."""

from __future__ import annotations

from tests.fixtures import (  # noqa: F401
    cli_db,
    engine,
    migrated_engine,
    one_sqlite_database,
    prefect_api,
    session,
)
