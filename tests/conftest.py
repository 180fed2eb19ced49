"""What every tier shares: the environment defaults, the project's paths, the tier markers.

The tiers (see README, "Tests"): ``tests/unit`` (no database, no Prefect server), ``tests/db`` (every
test on SQLite and on PostgreSQL: ``tests/db/conftest.py``), ``tests/flows`` (a real Prefect API,
served deployments, subprocess stacks, on one SQLite project database) and ``tests/e2e`` (the browser
and the several-machine setup). The database fixtures live in ``tests/fixtures.py``; each tier's
conftest says which database they use.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="cdppe-tests-"))
os.environ.setdefault("CDPPE_DATA_DIR", str(_TMP / "data"))
os.environ.setdefault("PREFECT_HOME", str(_TMP / "prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")

import pytest  # noqa: E402

PG_BASE = os.environ.get("CDPPE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TIERS = ("unit", "db", "flows", "e2e")


def _pg_schema_url() -> Iterator[str]:
    """A fresh PostgreSQL schema (dropped afterwards), as a URL whose search_path is that schema."""
    from sqlalchemy import text

    from cdppe.store.db import engine_for

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = engine_for(PG_BASE)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test carries its tier's marker (``-m unit``...) and, in tests/db, its database's."""
    tests = Path(__file__).resolve().parent
    for item in items:
        path = item.path.resolve()
        parts = path.relative_to(tests).parts if path.is_relative_to(tests) else ()
        if parts and parts[0] in TIERS:
            item.add_marker(parts[0])
        params = item.callspec.params if hasattr(item, "callspec") else {}
        for name in ("db_url", "fresh_db"):  # fresh_db: a database no migration has run on yet
            if params.get(name) in ("sqlite", "postgresql"):
                item.add_marker(params[name])
