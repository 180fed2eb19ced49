"""Findings 3, 4 and 8 of issue 17, against the real SMTP server on loopback.

3: a bad address is refused at import, and a bad message already in the outbox never blocks
the others; 4: an encoded word in a name cannot add a recipient; 8: a stable Message-ID.
"""

from __future__ import annotations

from datetime import date, datetime, time
from email import policy
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from cdppe.core.dates import PARIS
from cdppe.present.reminder_emails import new_message_id
from cdppe.services.reminders.outbox import queue_due_reminders
from cdppe.services.reminders.sender import drain_outbox
from cdppe.services.reminders.sync import sync_all_deadlines
from cdppe.store.db import session_scope
from models import OutboxEmail, PartyMember
from models.enums import OutboxStatus, SignatoryRole
from tests.db.cdppe.reminders.test_year_simulation import COORD, import_saone, settings_for
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401
from tests.unit.cdppe.reminders.test_email_faults import BAD, FORGED

DAY = date(2024, 10, 17)  # J-60 of the signatures: every party gets one
NOW = datetime.combine(DAY, time(8), PARIS)


def _prepare(engine: Engine, name: str | None = None, email: str | None = None) -> None:
    with Session(engine) as session:
        import_saone(session)
        if email is not None:  # as a database imported before the check would hold it
            contract_id = session.exec(select(PartyMember.contract_id)).first()
            assert contract_id is not None
            session.add(PartyMember(contract_id=contract_id, party=SignatoryRole.DEPARTEMENT,
                                    organisation="Conseil départemental", name=name or "Cheffe PMI",
                                    email=email))
            session.commit()
    with session_scope(engine) as session:
        sync_all_deadlines(session, DAY)


async def test_one_bad_message_never_blocks_the_batch(
        engine: Engine, smtp_server: SmtpServer, tmp_path: Path) -> None:  # noqa: F811
    smtp_server.reset()
    settings = settings_for(smtp_server, tmp_path)
    _prepare(engine, email=BAD)
    queued = queue_due_reminders(engine, DAY, settings=settings, now=NOW)

    first = await drain_outbox(engine, now=NOW, settings=settings)

    with Session(engine) as session:
        rows = session.exec(select(OutboxEmail)).all()
    failed = [r for r in rows if r.status is OutboxStatus.FAILED]
    assert failed and {r.recipient for r in failed} == {BAD}
    assert all(r.last_error and "impossible à composer" in r.last_error for r in failed)
    reminders = [r for r in rows if r.kind != "alert"]
    assert len(reminders) == queued.queued
    assert all(r.status is OutboxStatus.SENT for r in reminders if r.recipient != BAD)
    alerts = [r for r in rows if r.kind == "alert"]
    assert [(a.recipient, a.status) for a in alerts] == [(COORD, OutboxStatus.SENT)]
    assert first.failed == len(failed) and first.alerts == 1  # the coordinator is told once
    assert first.sent == queued.queued - len(failed) + 1  # every other reminder, and the alert
    again = await drain_outbox(engine, now=NOW, settings=settings)
    assert (again.sent, again.failed, again.alerts) == (0, 0, 0)  # told once, nothing left


async def test_an_encoded_word_in_a_name_cannot_add_a_recipient(
        engine: Engine, smtp_server: SmtpServer, tmp_path: Path) -> None:  # noqa: F811
    smtp_server.reset()
    settings = settings_for(smtp_server, tmp_path)
    victim = "jean-jacques@cd71.example.fr"
    _prepare(engine, name=FORGED, email=victim)
    queue_due_reminders(engine, DAY, settings=settings, now=NOW)
    await drain_outbox(engine, now=NOW, settings=settings)
    raw = [data for rcpts, data in smtp_server.sink.received if rcpts == [victim]]
    assert raw
    assert all("attacker" not in r for rcpts, _ in smtp_server.sink.received for r in rcpts)
    for data in raw:
        msg = BytesParser(policy=policy.strict).parsebytes(data)
        addresses = msg["To"].addresses
        assert [a.addr_spec for a in addresses] == [victim]
        # the data, shown as text (Python's parser puts a space between adjacent encoded words)
        assert addresses[0].display_name.replace(" ", "") == FORGED.replace(" ", "")
        assert msg["Bcc"] is None and msg["Cc"] is None


async def test_message_id_is_derived_from_the_row_and_kept_on_a_resend(
        engine: Engine, smtp_server: SmtpServer, tmp_path: Path) -> None:  # noqa: F811
    smtp_server.reset()
    settings = settings_for(smtp_server, tmp_path)
    _prepare(engine)
    queue_due_reminders(engine, DAY, settings=settings, now=NOW)
    await drain_outbox(engine, now=NOW, settings=settings)
    with Session(engine) as session:
        row = session.exec(select(OutboxEmail).order_by(col(OutboxEmail.id))).first()
    assert row is not None and row.id is not None
    assert row.message_id == new_message_id(settings.mail_from, row.key)
    assert row.message_id != new_message_id(settings.mail_from, row.key + "x")
    with session_scope(engine) as session:  # the sender was killed before it marked the row sent
        session.exec(update(OutboxEmail).where(col(OutboxEmail.id) == row.id).values(
            status=OutboxStatus.PENDING, next_attempt_at=None))
    await drain_outbox(engine, now=NOW, settings=settings)
    ids = [m["Message-ID"] for rcpts, m in zip(
        [r for r, _ in smtp_server.sink.received], smtp_server.sink.messages(), strict=True)
        if rcpts == [row.recipient] and m["Subject"] == row.subject]
    assert ids == [row.message_id, row.message_id]
