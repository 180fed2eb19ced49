"""Database access: sessions on the engines of ``cdppe.store.engine``, short transactions,
Alembic-managed schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

import models
from cdppe.core.paths import MIGRATIONS_DIR
from cdppe.store.engine import engine_for as engine_for
from cdppe.store.engine import get_engine as get_engine

if TYPE_CHECKING:
    from alembic.config import Config

models.load_all()  # every table on SQLModel.metadata before any engine is used
import cdppe.store.deadline_sync  # noqa: E402,F401  (its flush listener marks stale deadlines)

MIGRATIONS = MIGRATIONS_DIR


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config  # only where migrations run (the CLI starts faster)

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


MIGRATION_LOCK_KEY = 0x0CDEE17  # PostgreSQL advisory lock held while migrating


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """One migrating process at a time (several ``cdppe`` started at once on a new database)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    lock_path = Path(database).with_name(Path(database).name + ".migrate.lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine | None = None, revision: str = "head") -> None:
    """Create or upgrade the schema to the latest migration (safe when run concurrently)."""
    eng = engine or get_engine()
    with migration_lock(eng):
        from alembic import command

        command.upgrade(alembic_config(eng), revision)
