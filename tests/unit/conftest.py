"""The unit tier: no database, no Prefect server. A test here that reached a database would fail:
the default database URL points at a port nothing listens on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

NO_DATABASE = "postgresql+psycopg://unit-tests@127.0.0.1:9/no_database_in_unit_tests"


@pytest.fixture(autouse=True)
def no_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from cdppe.core.settings import get_settings

    monkeypatch.setenv("CDPPE_DATABASE_URL", NO_DATABASE)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
