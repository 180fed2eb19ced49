"""The e2e tier: the Prefect UI in a browser on a `cdppe up` stack, and the several-machine setup on
PostgreSQL (its own server and schema). The same one-database fixtures as tests/flows, for a test
that needs them."""

from __future__ import annotations

from tests.fixtures import (  # noqa: F401
    cli_db,
    engine,
    migrated_engine,
    one_sqlite_database,
    prefect_api,
    session,
)
