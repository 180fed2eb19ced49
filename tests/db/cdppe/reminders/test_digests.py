"""What Départements and coordinators receive: one digest a day, calendars that stay true, a pause
that holds, through the doors they use (the e-mail's links over HTTP, the SMTP server)."""

from __future__ import annotations

import threading
import time as clock
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from cdppe.core.dates import PARIS
from cdppe.core.settings import Settings, get_settings
from cdppe.ops.document_server import build_app
from cdppe.services.importer import import_contract
from cdppe.services.reminders.outbox import due_reminders, queue_due_reminders
from cdppe.services.reminders.sender import drain_outbox
from cdppe.services.reminders.sync import sync_all_deadlines
from cdppe.store.db import session_scope
from models import Exercice, OutboxEmail, ReminderItem, Signature
from models.enums import SignatoryRole
from tests.factories import example_file
from tests.smtp_server import SmtpServer, free_port, smtp_server  # noqa: F401

EXAMPLES = {"saone-et-loire-2024.yaml": 2024, "creuse-2025-2027.yaml": 2025}
COORD = "coordination-cdppe@example.gouv.fr"


def eight_am(day: date) -> datetime:
    return datetime.combine(day, time(8), PARIS)


def first_exercices(engine: Engine) -> dict[str, Exercice]:
    """Import both examples; their first exercice by file name."""
    out = {}
    with Session(engine, expire_on_commit=False) as session:
        for name, year in EXAMPLES.items():
            result = import_contract(session, example_file(name), "test")
            session.commit()
            out[name] = session.exec(select(Exercice).where(Exercice.contract_id == result.contract_id,
                                                            Exercice.year == year)).one()
    return out


def test_a_month_gives_each_reminder_once_in_at_most_one_message_per_person_a_day(
        engine: Engine, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, mail_from="CDPPE <cdppe@cdppe.example.gouv.fr>",
                        ui_url="http://ui.test", documents_url="http://docs.test")
    exercices = first_exercices(engine)
    old_policy: list[str] = []  # the reminders the one-e-mail-each policy would have queued
    for exercice in exercices.values():  # each example's month before its signature
        assert exercice.planned_signature is not None
        start = exercice.planned_signature - timedelta(days=31)
        for offset in range(31):
            day = start + timedelta(days=offset)
            with session_scope(engine) as session:
                sync_all_deadlines(session, day)
                seen = {k for (k,) in session.execute(select(ReminderItem.key)).all()} | set(old_policy)
                old_policy += [d.planned.key for d in due_reminders(session, day)
                               if d.planned.key not in seen]
            queue_due_reminders(engine, day, settings=settings, now=eight_am(day))
            queue_due_reminders(engine, day, settings=settings, now=eight_am(day))  # a re-run: nothing
    with Session(engine) as session:
        rows = session.exec(select(OutboxEmail)).all()
        items = session.exec(select(ReminderItem)).all()
    assert {i.contract_id for i in items} == {e.contract_id for e in exercices.values()}
    assert len(old_policy) > 80
    assert sorted(i.key for i in items) == sorted(old_policy)  # every reminder, each once
    per_day = Counter((r.recipient.lower(), r.created_at.astimezone(PARIS).date()) for r in rows)
    assert max(per_day.values()) == 1
    assert len(rows) < len(items)
    # The coordinator's escalations: one digest a day across the contracts, overdue first.
    coordinator = [r for r in rows if r.recipient == COORD]
    assert coordinator and all(r.reply_to == [["Coordination nationale CDPPE", COORD]] for r in coordinator)
    several = [r for r in rows if r.body_text.count("\n* ") > 1]
    assert several
    for row in several:
        statuses = [line for line in row.body_text.splitlines() if line.startswith("* ")]
        overdue = [s.startswith("* Dépassée") for s in statuses]
        assert overdue == sorted(overdue, reverse=True), row.body_text


class DocumentServer:
    """The document server (``cdppe documents serve``) on a free loopback port, in a thread."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(build_app(), host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> DocumentServer:
        self.thread.start()
        deadline = clock.monotonic() + 20
        while not self.server.started and clock.monotonic() < deadline:
            clock.sleep(0.05)
        assert self.server.started
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def documents(cli_db: str, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer,  # noqa: F811
              ) -> Iterator[DocumentServer]:
    smtp_server.reset()
    monkeypatch.setenv("CDPPE_DOCUMENTS_AUTH_STRING", "coordination:secret")
    with DocumentServer() as server:
        monkeypatch.setenv("CDPPE_DOCUMENTS_URL", server.url)
        monkeypatch.setenv("CDPPE_SMTP_HOST", smtp_server.host)
        monkeypatch.setenv("CDPPE_SMTP_PORT", str(smtp_server.port))
        monkeypatch.setenv("CDPPE_MAIL_FROM", "CDPPE <cdppe@cdppe.example.gouv.fr>")
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


async def sweep(engine: Engine, day: date) -> None:
    with session_scope(engine) as session:
        sync_all_deadlines(session, day)
    queue_due_reminders(engine, day, now=eight_am(day))
    await drain_outbox(engine, now=eight_am(day))


def received_by(server: SmtpServer, address: str) -> list[EmailMessage]:  # noqa: F811
    return [m for m in server.sink.messages() if m["To"].addresses[0].addr_spec == address]


def calendars(msg: EmailMessage, method: str) -> list[icalendar.Event]:
    return [e for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"
            and p.get_param("method") == method
            for e in icalendar.Calendar.from_ical(p.get_content()).walk("VEVENT")]


def link(msg: EmailMessage, prefix: str) -> str:
    text = msg.get_body(("plain",)).get_content()
    return next(w for w in text.split() if w.startswith(prefix))


def fetch(url: str, data: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def move_signature(engine: Engine, exercice_id: int, planned: date) -> None:
    with session_scope(engine) as session:
        exercice = session.get(Exercice, exercice_id)
        assert exercice is not None
        exercice.planned_signature = planned  # as a re-imported contract file moves it
        session.add(exercice)


async def test_a_deadline_moved_twice_then_done_is_one_event_updated_twice_then_cancelled(
        engine: Engine, documents: DocumentServer, smtp_server: SmtpServer) -> None:  # noqa: F811
    saone = first_exercices(engine)["saone-et-loire-2024.yaml"]
    assert saone.id is not None
    prefet = "ddets-protection-enfance@saone-et-loire.example.gouv.fr"  # the préfecture's contact
    await sweep(engine, date(2024, 10, 17))  # J-60 of the signature (16 December)
    [first] = received_by(smtp_server, prefet)
    feed = link(first, documents.url + "/calendrier/")
    [event] = [e for e in calendars(first, "PUBLISH") if "Préfet" in str(e["summary"])]
    uid = str(event["uid"])

    def feed_event() -> icalendar.Event:
        status, body = fetch(feed)  # no credential: the token is one
        assert status == 200
        return next(e for e in icalendar.Calendar.from_ical(body).walk("VEVENT") if str(e["uid"]) == uid)

    assert (feed_event()["sequence"], feed_event().decoded("dtstart")) == (0, date(2024, 12, 16))
    for step, planned in enumerate((date(2024, 12, 6), date(2024, 11, 29)), start=1):
        move_signature(engine, saone.id, planned)
        with session_scope(engine) as session:
            sync_all_deadlines(session, date(2024, 10, 18))
        now = feed_event()
        assert (now["sequence"], now.decoded("dtstart"), str(now["status"])) == (step, planned, "CONFIRMED")
    await sweep(engine, date(2024, 10, 30))  # J-30 of 29 November: the message carries the new event
    moved = [e for e in calendars(received_by(smtp_server, prefet)[-1], "PUBLISH") if str(e["uid"]) == uid]
    assert [(e["sequence"], e.decoded("dtstart")) for e in moved] == [(2, date(2024, 11, 29))]

    with session_scope(engine) as session:
        session.add(Signature(exercice_id=saone.id, role=SignatoryRole.PREFET, signatory_name="Yves Seguy",
                              signed_on=date(2024, 11, 4), recorded_by="test"))
        sync_all_deadlines(session, date(2024, 11, 4))
    done = feed_event()
    assert (done["sequence"], str(done["status"])) == (3, "CANCELLED")
    # The préfecture's next message (its BOP 304 payment) cancels the event in the mailbox calendar.
    day, count = date(2024, 11, 5), len(received_by(smtp_server, prefet))
    while len(received_by(smtp_server, prefet)) == count and day < date(2025, 3, 1):
        await sweep(engine, day)
        day += timedelta(days=1)
    cancelled = calendars(received_by(smtp_server, prefet)[-1], "CANCEL")
    assert [(str(e["uid"]), e["sequence"], str(e["status"])) for e in cancelled] == [(uid, 3, "CANCELLED")]
    assert fetch(documents.url + "/calendrier/inconnu.ics")[0] == 404
    assert fetch(documents.url + "/")[0] == 401  # everything else still needs the credential


async def test_a_paused_contact_receives_nothing_while_the_coordinator_is_escalated(
        engine: Engine, documents: DocumentServer, smtp_server: SmtpServer) -> None:  # noqa: F811
    first_exercices(engine)
    ars = "dd71-enfance@ars-bfc.example.fr"
    await sweep(engine, date(2024, 10, 17))
    [message] = received_by(smtp_server, ars)
    pause = link(message, documents.url + "/relances/")
    assert message["List-Unsubscribe"].strip() == f"<{pause}>"  # (folded after its name: a long URL)
    status, page = fetch(pause)
    assert status == 200 and "toutes les relances" in page
    # A bad date is refused by its field, and nothing changes.
    status, page = fetch(pause, b"mode=suspendu&until=31%2F12%2F2024")
    assert status == 400 and "jusqu&#x27;au : date" in page and "Relances envoyées à" in page
    status, page = fetch(pause, b"mode=reduit&until=2099-03-01")
    assert status == 200 and "à 7 jours ou moins de l&#x27;échéance jusqu&#x27;au 1er mars 2099" in page
    # The mail client's one-click unsubscription (RFC 8058) suspends.
    status, page = fetch(pause, b"List-Unsubscribe=One-Click")
    assert status == 200 and "Choix enregistré" in page and "relances suspendues" in page

    before = len(received_by(smtp_server, ars))
    escalations_before = len(received_by(smtp_server, COORD))
    day = date(2024, 10, 18)
    while day <= date(2025, 1, 31):
        await sweep(engine, day)
        day += timedelta(days=1)
    assert len(received_by(smtp_server, ars)) == before  # nothing for the paused person
    directeur = received_by(smtp_server, "directeur-general@ars-bfc.example.fr")
    assert len(directeur) > 1  # the other ARS person still is reminded
    escalated = received_by(smtp_server, COORD)[escalations_before:]
    texts = [m.get_body(("plain",)).get_content() for m in escalated]
    assert any("Signature du contrat par le Directeur général de l'ARS" in t and "Dépassée" in t
               for t in texts)
