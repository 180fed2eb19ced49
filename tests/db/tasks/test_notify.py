"""The reminder tasks keep their retries and call the plain functions (run without Prefect)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from cdppe.core.settings import get_settings
from models import Deadline
from tasks.deadlines import sync_all_deadlines_task
from tests.db.cdppe.reminders.test_year_simulation import import_saone


def test_sync_task_functions(cli_db: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    with Session(engine) as session:
        exercice_id = import_saone(session)
    assert exercice_id
    one = sync_all_deadlines_task.fn(date(2024, 10, 1))
    assert one["created"] > 0 and one["open"] == one["created"]
    assert sync_all_deadlines_task.fn(date(2024, 10, 1))["created"] == 0
    with Session(engine) as session:
        kinds = {d.kind for d in session.exec(select(Deadline)).all()}
    assert {"campaign_draft", "convocation", "deliberation", "signature:prefet"} <= kinds
