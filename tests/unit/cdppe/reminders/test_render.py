"""The e-mails: French multipart, strict-parsable, RFC 2047 subject, .ics VEVENT, no header injection;
a digest grouped by contract, most urgent first, saying why its reader receives it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser

import icalendar

from cdppe.domain.reminder_policy import DeadlineInfo, PlannedReminder, Recipient
from cdppe.present.reminder_emails import (
    CalendarEvent,
    DigestLine,
    ReceiverRole,
    build_message,
    new_message_id,
    one_line,
    render_digest,
)

MAIL_FROM = "CDPPE <cdppe-noreply@cdppe.example.org>"
COORD = Recipient("Coordination nationale", "coord@example.org", "coordinator")
DL = DeadlineInfo("71-2024:2024:signature:ars", "signature:ars",
                  "Signature du contrat par le Directeur général de l'ARS", date(2024, 12, 16),
                  date(2024, 12, 15), "Règle appliquée : date de la campagne nationale. <b>x</b>",
                  "campagne", "ars", "71-2024", "71", 2024, 7, 1)


LINK = "http://ui.example/runs/flow-run/abc"
STAMP = datetime(2024, 12, 9, 7, tzinfo=UTC)


def _message(recipient: Recipient, kind: str = "reminder", pause_url: str | None = None) -> bytes:
    planned = PlannedReminder(DL, kind, "J-7", 7, date(2024, 12, 9), recipient)
    rendered = render_digest(
        recipient_name=recipient.name,
        lines=[DigestLine(planned, "Contrat 2024 — Saône-et-Loire", LINK, "le Directeur général de l'ARS")],
        roles=[ReceiverRole("71-2024", "Contrat 2024 — Saône-et-Loire", "contact pour l'ARS", COORD)],
        as_of=date(2024, 12, 9), pause_url=pause_url, feed_url="http://docs.example/calendrier/t.ics",
        publish=[CalendarEvent(DL, 0, LINK)], cancel=[], mail_from=MAIL_FROM, dtstamp=STAMP)
    msg = build_message(mail_from=MAIL_FROM, to=recipient, reply_to=[COORD],
                        subject=rendered.subject, text=rendered.text, html=rendered.html,
                        ics=rendered.ics, message_id=new_message_id(MAIL_FROM), sent_at=STAMP,
                        unsubscribe_url=pause_url)
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
    assert "Attendu de : le Directeur général de l'ARS" in text
    assert ("Vous recevez ce message en tant que contact pour l'ARS du contrat "
            "« Contrat 2024 — Saône-et-Loire » (71-2024).") in text
    assert ("Pour toute question, écrivez à la coordination : Coordination nationale "
            "<coord@example.org>") in text
    assert "http://docs.example/calendrier/t.ics" in text and 'href="http://docs.example/calendrier' in html
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["List-Unsubscribe"] is None  # no pause link, no header
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
    assert events[0]["sequence"] == 0 and str(events[0]["status"]) == "CONFIRMED"


def test_pause_link_gives_one_click_list_unsubscribe() -> None:
    url = "http://docs.example/relances/tok-123"
    msg = _parse(_message(Recipient("DG", "dg@ars.example.org", "ars"), pause_url=url))
    assert msg["List-Unsubscribe"] == f"<{url}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in msg.get_body(("plain",)).get_content()


def _planned(label: str, due: date, kind: str = "reminder", contract: str = "71-2024") -> PlannedReminder:
    dl = DeadlineInfo(f"{contract}:2024:{label}", "signature:ars", label, due, due, "Règle.", "contrat",
                      "ars", contract, contract[:2], 2024, len(label), 1)
    return PlannedReminder(dl, kind, "J-7", (due - date(2024, 12, 9)).days, date(2024, 12, 9),
                           Recipient("C", "c@x.fr", "coordinator"))


def test_a_digest_lists_overdue_first_grouped_by_contract_and_cancels_what_is_no_longer_awaited() -> None:
    lines = [DigestLine(p, f"Contrat {p.deadline.contract_key}", LINK, "l'ARS") for p in (
        _planned("Versement FIR", date(2024, 11, 29), "escalation", "23-2025"),
        _planned("Signature ARS", date(2024, 12, 2), "escalation"),
        _planned("Rapport", date(2024, 12, 20), contract="23-2025"),
        _planned("ODPE", date(2024, 12, 30)))]
    done = DL
    rendered = render_digest(recipient_name="C", lines=lines, roles=[], as_of=date(2024, 12, 9),
                             pause_url=None, feed_url=None, publish=[], mail_from=MAIL_FROM, dtstamp=STAMP,
                             cancel=[CalendarEvent(done, 3, LINK)])
    assert rendered.subject == ("[CDPPE] 4 échéances à suivre, dont 2 dépassées ; la plus urgente : "
                                "Versement FIR (29 novembre 2024)")
    text = rendered.text
    order = [text.index(x) for x in ("== Contrat 23-2025", "Versement FIR", "Rapport",
                                     "== Contrat 71-2024", "Signature ARS", "ODPE")]
    assert order == sorted(order)
    assert "Dépassée depuis le 29 novembre 2024 (10 jours)" in text
    assert rendered.ics is None and rendered.ics_cancel is not None
    cal = icalendar.Calendar.from_ical(rendered.ics_cancel)
    assert str(cal["method"]) == "CANCEL"
    [event] = cal.walk("VEVENT")
    assert event["sequence"] == 3 and str(event["status"]) == "CANCELLED"


def test_escalation_wording() -> None:
    msg = _parse(_message(COORD, kind="escalation"))
    assert str(msg["Subject"]).startswith("[CDPPE 71] Échéance dépassée depuis le 16 décembre")
    assert "Dépassée depuis le 16 décembre 2024" in msg.get_body(("plain",)).get_content()


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
