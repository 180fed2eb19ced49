"""Outbox and sender against a real SMTP server: 5xx, concurrency, header injection, .eml sink."""

from __future__ import annotations

import asyncio
import threading
from datetime import date, datetime, time, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from cdppe.core.dates import PARIS
from cdppe.core.settings import Settings
from cdppe.services.reminders.outbox import queue_due_reminders
from cdppe.services.reminders.sender import drain_outbox
from cdppe.services.reminders.sync import sync_all_deadlines
from cdppe.store.db import session_scope
from models import OutboxEmail, PartyMember
from models.enums import OutboxStatus, SignatoryRole
from tests.db.cdppe.reminders.test_year_simulation import COORD, import_saone, settings_for
from tests.smtp_server import SmtpServer, free_port, smtp_server  # noqa: F401

DAY = date(2024, 10, 17)  # J-60 of the signatures: every party gets one
NOW = datetime.combine(DAY, time(8), PARIS)


def _prepare(engine: Engine) -> int:
    with Session(engine) as session:
        exercice_id = import_saone(session)
    with session_scope(engine) as session:
        sync_all_deadlines(session, DAY)
    return exercice_id


async def test_permanent_refusal_marks_failed_and_alerts_the_coordinator(
        engine: Engine, smtp_server: SmtpServer, tmp_path: Path) -> None:  # noqa: F811
    smtp_server.reset()
    smtp_server.sink.refuse.add("dd71-enfance@ars-bfc.example.fr")
    settings = settings_for(smtp_server, tmp_path)
    _prepare(engine)
    queued = queue_due_reminders(engine, DAY, settings=settings, now=NOW)
    result = await drain_outbox(engine, now=NOW, settings=settings)
    assert result.failed == 1 and result.alerts == 1
    assert result.sent == queued.queued  # the others, and the alert, went out
    with Session(engine) as session:
        failed = session.exec(select(OutboxEmail).where(
            OutboxEmail.status == OutboxStatus.FAILED)).one()
        alert = session.exec(select(OutboxEmail).where(OutboxEmail.kind == "alert")).one()
    assert failed.recipient == "dd71-enfance@ars-bfc.example.fr"
    assert failed.last_error and failed.last_error.startswith("550")
    assert alert.status is OutboxStatus.SENT and alert.recipient == COORD
    assert alert.deadline_id == failed.deadline_id
    alert_msg = next(m for m in smtp_server.sink.messages() if "non remis" in str(m["Subject"]))
    body = alert_msg.get_body(("plain",)).get_content()
    assert "dd71-enfance@ars-bfc.example.fr" in body and "550" in body
    # Running again changes nothing: no retry of the failure, no second alert.
    again = await drain_outbox(engine, now=NOW + timedelta(days=1), settings=settings)
    assert (again.sent, again.failed, again.alerts) == (0, 0, 0)


async def test_two_sweeps_at_once_send_each_email_once(
        engine: Engine, smtp_server: SmtpServer, tmp_path: Path) -> None:  # noqa: F811
    smtp_server.reset()
    settings = settings_for(smtp_server, tmp_path)
    _prepare(engine)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            queue_due_reminders(engine, DAY, settings=settings, now=NOW)
            asyncio.run(drain_outbox(engine, now=NOW, settings=settings))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    with Session(engine) as session:
        rows = session.exec(select(OutboxEmail)).all()
    assert rows and all(r.status is OutboxStatus.SENT for r in rows)
    assert len(smtp_server.sink.received) == len(rows)
    ids = [str(m["Message-ID"]) for m in smtp_server.sink.messages()]
    assert len(ids) == len(set(ids))


async def test_contact_name_with_crlf_adds_no_header(
        engine: Engine, smtp_server: SmtpServer, tmp_path: Path) -> None:  # noqa: F811
    smtp_server.reset()
    settings = settings_for(smtp_server, tmp_path)
    with Session(engine) as session:
        import_saone(session)
        contract_id = session.exec(select(PartyMember.contract_id)).first()
        assert contract_id is not None
        session.add(PartyMember(contract_id=contract_id, party=SignatoryRole.PREFET,
            organisation="Préfecture", name="X\r\nBcc: someone@example.org",
            email="victime@saone-et-loire.example.gouv.fr"))
        session.commit()
    with session_scope(engine) as session:
        sync_all_deadlines(session, DAY)
    queue_due_reminders(engine, DAY, settings=settings, now=NOW)
    await drain_outbox(engine, now=NOW, settings=settings)
    raw = [data for rcpts, data in smtp_server.sink.received
           if rcpts == ["victime@saone-et-loire.example.gouv.fr"]]
    assert raw
    assert all(rcpts != ["someone@example.org"] for rcpts, _ in smtp_server.sink.received)
    for data in raw:
        assert b"\nBcc:" not in data
        msg = BytesParser(policy=policy.strict).parsebytes(data)
        assert msg["Bcc"] is None
        assert msg["To"].addresses[0].display_name == "X Bcc: someone@example.org"


async def test_unreachable_server_keeps_everything_pending_with_backoff(
        engine: Engine, tmp_path: Path) -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), data_dir=tmp_path,
                        smtp_timeout_seconds=1.0)
    _prepare(engine)
    queued = queue_due_reminders(engine, DAY, settings=settings, now=NOW)
    result = await drain_outbox(engine, now=NOW, settings=settings)
    assert result.sent == 0 and result.deferred == queued.queued
    with Session(engine) as session:
        rows = session.exec(select(OutboxEmail)).all()
    assert all(r.status is OutboxStatus.PENDING and r.attempts == 1 for r in rows)
    assert all(r.next_attempt_at == NOW + timedelta(seconds=60) for r in rows)
    assert all("Connect" in (r.last_error or "") for r in rows)
    # Not yet time to retry: nothing attempted.
    assert (await drain_outbox(engine, now=NOW + timedelta(seconds=30),
                               settings=settings)).deferred == 0
