"""The db tier: every test that uses the database runs on SQLite and on PostgreSQL.

This is the only tier with both databases: ``db_url`` is parametrized here, so ``engine``,
``session`` and ``cli_db`` (``tests/fixtures.py``) give each test once per database
(``-m sqlite`` or ``-m postgresql`` picks one).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import _pg_schema_url
from tests.fixtures import cli_db, engine, migrated_engine, session  # noqa: F401


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'cdppe.sqlite'}"
    else:
        yield from _pg_schema_url()
