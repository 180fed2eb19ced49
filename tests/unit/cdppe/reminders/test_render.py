"""The e-mails: French multipart, strict-parsable, RFC 2047 subject, .ics VEVENT, no header injection."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser

import icalendar

from cdppe.domain.reminder_policy import DeadlineInfo, PlannedReminder, Recipient
from cdppe.present.reminder_emails import build_message, new_message_id, one_line, render_reminder

MAIL_FROM = "CDPPE <cdppe-noreply@cdppe.example.org>"
COORD = Recipient("Coordination nationale", "coord@example.org", "coordinator")
DL = DeadlineInfo("71-2024:2024:signature:ars", "signature:ars",
                  "Signature du contrat par le Directeur général de l'ARS", date(2024, 12, 16),
                  date(2024, 12, 15), "Règle appliquée : date de la campagne nationale. <b>x</b>",
                  "campagne", "ars", "71-2024", "71", 2024, 7, 1)


def _message(recipient: Recipient, kind: str = "reminder") -> bytes:
    planned = PlannedReminder(DL, kind, "J-7", 7, date(2024, 12, 9), recipient)
    rendered = render_reminder(planned, contract_title="Contrat 2024 — Saône-et-Loire",
                               coordinator=COORD, as_of=date(2024, 12, 9),
                               link="http://ui.example/runs/flow-run/abc", mail_from=MAIL_FROM,
                               dtstamp=datetime(2024, 12, 9, 7, tzinfo=UTC))
    msg = build_message(mail_from=MAIL_FROM, to=recipient, reply_to=COORD,
                        subject=rendered.subject, text=rendered.text, html=rendered.html,
                        ics=rendered.ics, message_id=new_message_id(MAIL_FROM),
                        sent_at=datetime(2024, 12, 9, 7, tzinfo=UTC))
    return msg.as_bytes()


def _parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.strict).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def test_reminder_is_french_multipart_with_ics() -> None:
    raw = _message(Recipient("Directrice générale", "dg@ars.example.org", "ars"))
    msg = _parse(raw)
    subject = "[CDPPE 71] Rappel : Signature du contrat par le Directeur général de l'ARS, " \
              "échéance le 16 décembre 2024"
    assert "=?utf-8?" in raw.decode("ascii")  # RFC 2047 on the wire (non-ASCII subject)
    assert str(msg["Subject"]) == subject
    assert str(make_header(decode_header(raw.split(b"\r\nSubject: ")[1].split(b"\r\nDate")[0]
                                         .decode("ascii").replace("\r\n", "")))) == subject
    assert msg["Reply-To"].addresses[0].addr_spec == "coord@example.org"
    assert msg["Message-ID"].endswith("@cdppe.example.org>")
    assert msg["Date"].datetime.utcoffset() is not None
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "dans 7 jours" in text and "16 décembre 2024" in text
    assert "Ce qu'il faut faire : signer le contrat" in text
    assert "http://ui.example/runs/flow-run/abc" in text and 'href="http://ui.example' in html
    assert "<b>x</b>" in text and "&lt;b&gt;x&lt;/b&gt;" in html  # autoescape in HTML only
    ics_parts = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(ics_parts) == 1
    cal = icalendar.Calendar.from_ical(ics_parts[0].get_content())
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    assert events[0].decoded("dtstart") == date(2024, 12, 16)
    assert events[0].decoded("dtend") == date(2024, 12, 17)
    assert "Signature du contrat" in str(events[0]["summary"])
    assert str(events[0]["uid"]).endswith("@cdppe.example.org")


def test_escalation_wording() -> None:
    msg = _parse(_message(COORD, kind="escalation"))
    assert str(msg["Subject"]).startswith("[CDPPE 71] Échéance dépassée depuis le 16 décembre")


def test_contact_name_cannot_inject_a_header() -> None:
    evil = Recipient("X\r\nBcc: someone@example.org", "victim@cd.example.org", "departement")
    raw = _message(evil)
    msg = _parse(raw)
    assert msg["Bcc"] is None
    assert b"\r\nBcc:" not in raw and b"\nBcc:" not in raw
    assert [a.addr_spec for a in msg["To"].addresses] == ["victim@cd.example.org"]
    assert msg["To"].addresses[0].display_name == "X Bcc: someone@example.org"
    headers = [k.lower() for k in msg.keys()]
    assert headers.count("to") == 1 and "bcc" not in headers


def test_one_line_removes_every_line_break() -> None:
    assert one_line("a\r\nb\nc\rd\u2028e\x00f") == "a b c d e f"


def test_an_email_opens_the_run_that_waits_never_the_sweep() -> None:
    from cdppe.domain.reminder_policy import Recipient
    from cdppe.services.reminders.outbox import ContractContext
    from models.enums import Phase

    ctx = ContractContext(1, "71-2024", "Contrat", "71", Recipient("C", "c@x.fr", "coordinator"), (),
                          phase_runs={(7, Phase.SIGNATURE): "run-signature"},
                          waiting_runs={7: "run-signature", 8: "run-diagnostic"})
    assert ctx.run_for(7, Phase.SIGNATURE) == "run-signature"
    # The report is a year away; the exercice waits for its signature: that run is the one to open.
    assert ctx.run_for(7, Phase.EXECUTION_REPORT) == "run-signature"
    assert ctx.run_for(8, None) == "run-diagnostic"
    assert ctx.run_for(9, Phase.DIAGNOSIS) is None  # no run yet: the link opens the runs list
