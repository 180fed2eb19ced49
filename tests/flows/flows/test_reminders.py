"""The daily sweep flow on a real Prefect API, against a real SMTP server."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from cdppe.core.settings import get_settings
from flows.reminders import send_due_reminders
from models import OutboxEmail
from models.enums import OutboxStatus
from tests.db.cdppe.reminders.test_year_simulation import import_saone
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401

pytestmark = pytest.mark.slow
DAY = date(2024, 10, 17)


async def test_sweep_flow_sends_each_reminder_once(
        prefect_api: str, cli_db: str, engine: Engine, smtp_server: SmtpServer,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    smtp_server.reset()
    monkeypatch.setenv("CDPPE_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("CDPPE_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("CDPPE_MAIL_FROM", "CDPPE <cdppe@cdppe.example.gouv.fr>")
    monkeypatch.setenv("CDPPE_UI_URL", "http://ui.test")
    get_settings.cache_clear()
    with Session(engine) as session:
        import_saone(session)

    state = await send_due_reminders(as_of=DAY, return_state=True)
    assert state.is_completed()
    result = await state.result()
    assert result["queue"]["queued"] > 0
    assert result["send"]["sent"] == result["queue"]["queued"]
    # The e-mails really arrived (an un-awaited send would leave the outbox pending).
    assert len(smtp_server.sink.received) == result["queue"]["queued"]
    with Session(engine) as session:
        rows = session.exec(select(OutboxEmail)).all()
    assert rows and all(r.status is OutboxStatus.SENT for r in rows)
    run_id = state.state_details.flow_run_id
    async with get_client() as client:
        run = await client.read_flow_run(run_id)
    assert run.name == "Relances du 2024-10-17"
    # No run waits for these steps (no cycle was started): the link opens the runs list, never the sweep.
    assert "Suivre l'étape dans l'interface : http://ui.test/runs\n" in rows[0].body_text
    assert f"http://ui.test/runs/flow-run/{run_id}" not in rows[0].body_text

    again = await send_due_reminders(as_of=DAY)
    assert again["queue"]["queued"] == 0 and again["send"]["sent"] == 0
    assert len(smtp_server.sink.received) == len(rows)
    get_settings.cache_clear()
