"""The database fixtures and the Prefect API fixture, imported by the conftest of each tier that
uses them (never by ``tests/unit``): the tier's conftest defines ``db_url`` (which databases)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from cdppe.store.db import engine_for, upgrade


@pytest.fixture(scope="session")
def migrated_engine(db_url: str) -> Engine:
    """The database of ``db_url``, migrated once for the session."""
    engine = engine_for(db_url)
    upgrade(engine)
    return engine


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    """A migrated database, emptied after each test."""
    yield migrated_engine
    with migrated_engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def cli_db(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the ``cdppe`` command (default settings) at the test database."""
    from cdppe.core.settings import get_settings

    monkeypatch.setenv("CDPPE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


@pytest.fixture(scope="session", name="db_url")
def one_sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The one project database of the slow tiers: a SQLite file (tests/db covers PostgreSQL)."""
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'cdppe.sqlite'}"


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """One real Prefect API (temporary server) for the whole test session."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    from cdppe.ops.prefect_server import local_server_settings

    with local_server_settings(), prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())
