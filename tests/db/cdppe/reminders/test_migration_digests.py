"""Migration 0005 on a database that sent reminders one e-mail each: they stay sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from cdppe.store.db import engine_for, upgrade
from tests.conftest import _pg_schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'avant.sqlite'}"
    else:
        yield from _pg_schema_url()


def test_reminders_sent_before_digests_are_items_of_their_own_email(fresh_db: str) -> None:
    engine = engine_for(fresh_db)
    upgrade(engine, "0004")
    with engine.begin() as conn:
        for key, kind in (("71-2024:2024:report@2025-12-10|J-60|a@x.fr", "reminder"),
                          ("71-2024:2024:report@2025-12-10|R+7|c@x.fr", "escalation"),
                          ("alert|1|a@x.fr|2025-01-02", "alert")):
            conn.execute(text(
                "INSERT INTO outbox_email (key, kind, recipient, subject, body_text, body_html, "
                "message_id, status, attempts, created_at) "
                "VALUES (:key, :kind, 'a@x.fr', 's', 't', 'h', '<m>', 'SENT', 1, :at)"),
                {"key": key, "kind": kind, "at": datetime(2025, 1, 2, tzinfo=UTC)})
    upgrade(engine)
    with engine.connect() as conn:
        items = conn.execute(text("SELECT key, kind FROM reminder_item ORDER BY key")).all()
    assert [tuple(i) for i in items] == [("71-2024:2024:report@2025-12-10|J-60|a@x.fr", "reminder"),
                                         ("71-2024:2024:report@2025-12-10|R+7|c@x.fr", "escalation")]
