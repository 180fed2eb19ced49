"""A year of daily sweeps for the Saône-et-Loire 2024 example, against a real SMTP server.

Each day: recompute the deadlines, queue what is due, drain the outbox (the
plain functions the flow's tasks call). Steps are recorded mid-year; the
SMTP server is stopped for nine days; some days the sweep runs twice.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from cdppe.core.dates import PARIS
from cdppe.core.settings import Settings
from cdppe.domain.calendar_rules import is_working_day, previous_working_day
from cdppe.services.importer import import_contract
from cdppe.services.reminders.outbox import queue_due_reminders
from cdppe.services.reminders.sender import drain_outbox
from cdppe.services.reminders.sync import sync_all_deadlines
from cdppe.store.db import session_scope
from models import Deadline, Deliberation, Exercice, OutboxEmail, Payment, ReminderItem, Signature
from models.enums import DeadlineStatus, FundingSource, OutboxStatus, SignatoryRole
from tests.conftest import EXAMPLES
from tests.factories import example_file
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401

SAONE = EXAMPLES / "saone-et-loire-2024.yaml"
START, END = date(2024, 9, 2), date(2025, 8, 31)
OUTAGE = (date(2024, 12, 2), date(2024, 12, 10))  # server down on these days, inclusive
BACK = OUTAGE[1] + timedelta(days=1)
KEY_RE = re.compile(r"^(?P<dl>[^@]+)@(?P<due>\d{4}-\d\d-\d\d)\|(?P<slot>[JR][-+]\d+)\|(?P<to>.+)$")

PREFET = {"prefet@saone-et-loire.example.gouv.fr",
          "ddets-protection-enfance@saone-et-loire.example.gouv.fr"}
ARS = {"directeur-general@ars-bfc.example.fr", "dd71-enfance@ars-bfc.example.fr"}
DEPT_CONTACTS = {"contact-def@cd71.example.fr", "contact-pmi@cd71.example.fr"}
COORD = "coordination-cdppe@example.gouv.fr"


def settings_for(server: SmtpServer, tmp: Path) -> Settings:
    return Settings(smtp_host=server.host, smtp_port=server.port, data_dir=tmp,
                    mail_from="CDPPE <cdppe@cdppe.example.gouv.fr>", ui_url="http://ui.test",
                    smtp_timeout_seconds=2.0)


def eight_am(day: date) -> datetime:
    return datetime.combine(day, time(8), PARIS)


def import_saone(session: Session) -> int:
    result = import_contract(session, example_file(SAONE.name), "test")
    session.commit()
    ex = session.exec(select(Exercice).where(Exercice.contract_id == result.contract_id,
                                             Exercice.year == 2024)).one()
    assert ex.planned_council_session == date(2024, 11, 22)
    assert ex.planned_signature == date(2024, 12, 15)
    assert ex.id is not None
    return ex.id


async def sweep(engine: Engine, day: date, settings: Settings) -> None:
    with session_scope(engine) as session:
        sync_all_deadlines(session, day)
    queue_due_reminders(engine, day, settings=settings, now=eight_am(day))
    await drain_outbox(engine, now=eight_am(day), settings=settings)


def record_step(engine: Engine, exercice_id: int, day: date) -> None:
    steps: dict[date, list[object]] = {
        date(2024, 11, 22): [Deliberation(exercice_id=exercice_id, session_date=day, number="205",
                                          vote="adoptée", convocation_date=date(2024, 11, 8),
                                          recorded_by="test")],
        date(2024, 12, 9): [Signature(exercice_id=exercice_id, role=SignatoryRole.DEPARTEMENT,
                                      signatory_name="André Accary", signed_on=day,
                                      recorded_by="test")],
        date(2024, 12, 11): [Signature(exercice_id=exercice_id, role=SignatoryRole.PREFET,
                                       signatory_name="Yves Seguy", signed_on=day,
                                       recorded_by="test")],
        date(2025, 1, 6): [Signature(exercice_id=exercice_id, role=SignatoryRole.ARS,
                                     signatory_name="Jean-Jacques Coiplet", signed_on=day,
                                     recorded_by="test")],
        date(2025, 2, 20): [Payment(exercice_id=exercice_id, source=FundingSource.BOP304,
                                    planned_amount=843728, notified_amount=843728,
                                    received_on=day, recorded_by="test")],
    }
    if day in steps:
        with session_scope(engine) as session:
            for row in steps[day]:
                session.add(row)


def sent_slots(items: list[ReminderItem], deadline_kind: str) -> dict[str, set[str]]:
    """slot -> recipients, for one deadline kind."""
    out: dict[str, set[str]] = {}
    for item in items:
        m = KEY_RE.match(item.key)
        if m and m["dl"] == f"71-2024:2024:{deadline_kind}":
            out.setdefault(m["slot"], set()).add(m["to"])
    return out


@pytest.mark.slow
async def test_a_year_of_daily_sweeps(engine: Engine, smtp_server: SmtpServer,  # noqa: F811
                                      tmp_path: Path) -> None:
    smtp_server.reset()
    settings = settings_for(smtp_server, tmp_path)
    with Session(engine) as session:
        exercice_id = import_saone(session)
    day = START
    while day <= END:
        record_step(engine, exercice_id, day)
        if day == OUTAGE[0]:
            smtp_server.stop()
        if day == BACK:
            smtp_server.start()
        await sweep(engine, day, settings)
        if day.weekday() == 0:  # the same day's sweep again: nothing new
            await sweep(engine, day, settings)
        day += timedelta(days=1)

    with Session(engine) as session:
        rows = list(session.exec(select(OutboxEmail)).all())
        items = list(session.exec(select(ReminderItem)).all())
        deadlines = {d.kind: d for d in session.exec(select(Deadline)).all()}
    row_of = {r.id: r for r in rows}

    # Nothing lost, nothing twice; one message per person and day.
    assert rows and all(r.status is OutboxStatus.SENT for r in rows)
    received = smtp_server.sink.received
    messages = smtp_server.sink.messages()
    assert len(received) == len(rows)
    ids = [str(m["Message-ID"]) for m in messages]
    assert len(set(ids)) == len(ids) == len({r.message_id for r in rows})
    by_id = {r.message_id: r for r in rows}
    per_day = Counter((r.recipient.lower(), r.created_at.astimezone(PARIS).date()) for r in rows)
    assert max(per_day.values()) == 1
    assert len(items) > len(rows)  # several reminders share a message
    assert {item.outbox_id for item in items} == set(row_of)

    # Right dates: queued on the slot's working day (or on the first day of the
    # simulation for a slot already past), sent then, or the day the server came back.
    for item in items:
        m = KEY_RE.match(item.key)
        assert m, item.key
        row = row_of[item.outbox_id]
        assert row.recipient.lower() == m["to"]
        queued, sent = row.created_at.astimezone(PARIS).date(), row.sent_at
        assert sent is not None
        sent_day = sent.astimezone(PARIS).date()
        due = date.fromisoformat(m["due"])
        n = int(m["slot"][2:])
        expected = previous_working_day(due - timedelta(days=n) if m["slot"][0] == "J"
                                        else due + timedelta(days=n), "71")
        assert queued == expected or (queued == START and expected < START), item.key
        assert is_working_day(queued, "71") or queued == START
        if OUTAGE[0] <= queued <= OUTAGE[1]:
            assert sent_day == BACK, item.key
            assert row.attempts > 1 and row.last_error
        else:
            assert sent_day == queued, item.key
        if m["slot"][0] == "R":
            assert m["to"] == COORD and item.kind == "escalation"

    # Signatures: each signatory who has not signed, and the party's contacts.
    prefet = sent_slots(items, "signature:prefet")
    assert prefet == {s: PREFET for s in ("J-60", "J-30", "J-14", "J-7")}  # signed 11 Dec
    ars = sent_slots(items, "signature:ars")
    assert ars == {**{s: ARS for s in ("J-60", "J-30", "J-14", "J-7", "J-1", "J-0")},
                   "R+7": {COORD}, "R+14": {COORD}}  # signed 6 Jan: no R+21
    dept = sent_slots(items, "signature:departement")
    assert set(dept) == {"J-60", "J-30", "J-14"}  # signed 9 Dec, before J-7
    assert dept["J-60"] == DEPT_CONTACTS | {"president@cd71.example.fr"}
    # The deliberation (due 13 Dec, the day before the signature) stops once recorded.
    assert set(sent_slots(items, "deliberation")) == {"J-60", "J-30"}
    convocation = sent_slots(items, "convocation")
    assert set(convocation) == {"J-60", "J-30", "J-14", "J-7", "J-1", "J-0"}
    assert convocation["J-0"] == DEPT_CONTACTS
    # Payments: to the paying party; BOP 304 stops when paid, FIR escalates weekly.
    assert set(sent_slots(items, "payment:BOP304")) == {"J-60", "J-30"}
    fir = sent_slots(items, "payment:FIR")
    assert fir["J-0"] == {"dd71-enfance@ars-bfc.example.fr"}
    assert sum(1 for s in fir if s.startswith("R+")) == len(
        [d for d in range(7, (END - date(2025, 3, 7)).days + 1, 7)])

    # Step recorded: the deadline is done; what is still awaited stays open.
    for kind in ("convocation", "deliberation", "signature:prefet", "signature:ars",
                 "payment:BOP304"):
        assert deadlines[kind].status is DeadlineStatus.DONE, kind
    assert deadlines["payment:FIR"].status is DeadlineStatus.OPEN
    assert deadlines["report"].due_date == date(2025, 9, 30)
    assert deadlines["report"].source == "campagne"
    assert deadlines["odpe"].due_date == date(2025, 8, 29)

    # Every message: strict parse, French subject, one calendar event per deadline it is about,
    # at the date its reminder was computed for (the event's UID stays the deadline's).
    items_of: dict[int | None, list[ReminderItem]] = {}
    for item in items:
        items_of.setdefault(item.outbox_id, []).append(item)
    for msg in messages:
        row = by_id[str(msg["Message-ID"])]
        assert isinstance(msg, EmailMessage)
        assert str(msg["Subject"]) == row.subject
        assert str(msg["Subject"]).startswith("[CDPPE 71] ")
        assert msg["Reply-To"].addresses[0].addr_spec == COORD
        assert msg["Auto-Submitted"] == "auto-generated" and msg["Date"] is not None
        ics = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"
               and p.get_param("method") == "PUBLISH"]
        assert len(ics) == 1
        events = {str(e["uid"]).split("@")[0]: e.decoded("dtstart")
                  for e in icalendar.Calendar.from_ical(ics[0].get_content()).walk("VEVENT")}
        for item in items_of[row.id]:
            m = KEY_RE.match(item.key)
            assert m is not None
            assert events[hashlib.sha256(m["dl"].encode()).hexdigest()[:32]] == date.fromisoformat(m["due"])
    assert any("é" in str(m["Subject"]) for m in messages)
