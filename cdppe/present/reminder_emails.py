"""French e-mails from ``templates/emails/`` (pure: no database, no clock, no network).

Headers are built with ``email.message.EmailMessage``; mailboxes by
``format_address`` (a display name is a quoted string or encoded words of its
exact text, never re-parsed, so an encoded word in the data cannot become a
recipient); every value that comes from contract data (names, labels) is
flattened to one line first, so it can never add a header.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from functools import lru_cache

from icalendar import Calendar, Event
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from cdppe.core import paths
from cdppe.core.dates import PARIS, format_date_fr
from cdppe.domain.deadlines import base_kind
from cdppe.domain.reminder_policy import DeadlineInfo, PlannedReminder, Recipient

TEMPLATES_DIR = paths.TEMPLATES_DIR / "emails"
SIGNATURE = "Le suivi des contrats de prévention et de protection de l'enfance"

# What to do, per base kind of deadline (French, shown in every reminder).
ACTIONS: dict[str, str] = {
    "campaign_draft": "transmettre à la préfecture le projet de contrat et les demandes de "
    "crédits BOP 304, puis clore l'étape de diagnostic dans l'interface.",
    "convocation": "adresser la convocation et le rapport aux conseillers départementaux, puis "
    "enregistrer la délibération dans l'interface après la séance.",
    "deliberation": "faire voter la délibération approuvant le contrat et autorisant le Président "
    "à signer, puis l'enregistrer (numéro, date de séance, accusé de réception @ctes).",
    "signature": "signer le contrat, puis déposer le PDF de la page signée sur la page « Déposer "
    "un scan signé » du serveur de documents et enregistrer la signature (date, référence du "
    "scan) dans l'interface ; le contrat prend effet à la dernière signature.",
    "payment": "verser les crédits de l'enveloppe au Département et enregistrer le versement "
    "(montant notifié, date) dans l'interface.",
    "odpe": "présenter le projet de rapport d'exécution à l'ODPE et enregistrer son avis.",
    "report": "faire adopter le rapport d'exécution, le transmettre au Préfet et à l'ARS, puis "
    "enregistrer la date de transmission.",
    "credits_usable": "engager les crédits restants avant cette date ; le reliquat sera reporté "
    "par avenant.",
    "amendment_window": "si un avenant est nécessaire cette année, l'engager avant cette date.",
    "termination": "une partie qui souhaite dénoncer le contrat doit l'avoir fait par lettre "
    "recommandée avec accusé de réception à cette date ; sinon, aucune action.",
}

# 7-bit clean bodies (quoted-printable/base64): accepted by servers without 8BITMIME.
SMTP_7BIT = SMTP.clone(cte_type="7bit")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def one_line(value: str) -> str:
    """Any text made safe for a header: control characters and line breaks become spaces."""
    return " ".join(_CONTROL.sub(" ", value).split())


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    ics: str | None


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"),
                                     default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def _render(name: str, context: dict[str, object]) -> tuple[str, str]:
    env = _env()
    return (env.get_template(f"{name}.txt.j2").render(context),
            env.get_template(f"{name}.html.j2").render(context))


def mail_domain(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"


def new_message_id(mail_from: str, key: str | None = None) -> str:
    """The Message-ID of an outbox row: derived from its unique key, so a re-send has the same one."""
    if key is None:
        return make_msgid(domain=mail_domain(mail_from))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<cdppe.{digest}@{mail_domain(mail_from)}>"


def deadline_ics(deadline: DeadlineInfo, *, domain: str, dtstamp: datetime, link: str) -> str:
    """A one-day VEVENT on the deadline's date; the UID is stable so calendars update it."""
    cal = Calendar()
    cal.add("prodid", "-//CDPPE//Relances des échéances//FR")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("calscale", "GREGORIAN")
    event = Event()
    uid = hashlib.sha256(deadline.key.encode()).hexdigest()[:32]
    event.add("uid", f"{uid}@{domain}")
    event.add("dtstamp", dtstamp)
    event.add("dtstart", deadline.due_date)
    event.add("dtend", deadline.due_date + timedelta(days=1))
    event.add("summary", f"Échéance CDPPE {deadline.contract_key} : {deadline.label}")
    event.add("description", f"{deadline.rule}\n\nSuivi : {link}")
    event.add("url", link)
    event.add("transp", "TRANSPARENT")
    cal.add_component(event)
    data: bytes = cal.to_ical()
    return data.decode("utf-8")


def reminder_subject(planned: PlannedReminder, as_of: date) -> str:
    dl = planned.deadline
    due = format_date_fr(dl.due_date)
    prefix = f"[CDPPE {dl.departement_code}]"
    if planned.kind == "escalation":
        return f"{prefix} Échéance dépassée depuis le {due} : {dl.label}"
    if dl.due_date == as_of:
        return f"{prefix} Échéance aujourd'hui : {dl.label}"
    return f"{prefix} Rappel : {dl.label}, échéance le {due}"


def render_reminder(planned: PlannedReminder, *, contract_title: str, coordinator: Recipient,
                    as_of: date, link: str, mail_from: str, dtstamp: datetime) -> RenderedEmail:
    """Subject, text, HTML and .ics of one reminder or escalation, as of ``as_of``."""
    dl = planned.deadline
    subject = one_line(reminder_subject(planned, as_of))
    context: dict[str, object] = {
        "subject": subject,
        "recipient_name": one_line(planned.recipient.name),
        "escalation": planned.kind == "escalation",
        "days_left": (dl.due_date - as_of).days,
        "overdue_days": (as_of - dl.due_date).days,
        "label": dl.label,
        "contract_title": contract_title,
        "contract_key": dl.contract_key,
        "year": dl.year,
        "due_date_fr": format_date_fr(dl.due_date),
        "rule": dl.rule,
        "action": ACTIONS.get(base_kind(dl.kind), "enregistrer l'étape dans l'interface."),
        "link": link,
        "coordinator_name": one_line(coordinator.name),
        "coordinator_email": coordinator.email,
        "signature": SIGNATURE,
    }
    text, html = _render("reminder", context)
    ics = deadline_ics(dl, domain=mail_domain(mail_from), dtstamp=dtstamp, link=link)
    return RenderedEmail(subject, text, html, ics)


def render_alert(*, failed_recipient: str, failed_subject: str, reason: str, attempts: int,
                 contract_key: str | None, coordinator: Recipient, link: str) -> RenderedEmail:
    """The coordinator's alert when an e-mail was refused for good (5xx)."""
    subject = one_line(f"[CDPPE] Courriel non remis à {failed_recipient}")
    context: dict[str, object] = {
        "subject": subject, "recipient_name": one_line(coordinator.name),
        "failed_recipient": failed_recipient, "failed_subject": one_line(failed_subject),
        "reason": one_line(reason), "attempts": attempts, "contract_key": contract_key,
        "link": link, "coordinator_name": one_line(coordinator.name),
        "coordinator_email": coordinator.email, "signature": SIGNATURE,
    }
    text, html = _render("alert", context)
    return RenderedEmail(subject, text, html, None)


def encode_subject(subject: str) -> str:
    """RFC 2047 encoded words of at most 75 characters, folded at 76 columns.

    Done here rather than by the generator: Python 3.11's folder drops or
    doubles the spaces around encoded words when it folds a long French
    subject, so the subject would not decode back to the same text.
    """
    if subject.isascii():
        return subject
    return Header(subject, "utf-8", maxlinelen=76, header_name="Subject").encode(linesep="\r\n")


ENCODED_WORD_BYTES = 45  # base64 of 45 bytes + "=?utf-8?b??=" stays within 75 characters
_PLAIN_NAME_MAX = 60


def _encoded_words(text: str) -> str:
    """``text`` as base64 encoded words only, one per folded line (no word is split)."""
    chunks: list[bytes] = []
    buf = b""
    for char in text:
        data = char.encode("utf-8")
        if len(buf) + len(data) > ENCODED_WORD_BYTES:
            chunks.append(buf)
            buf = b""
        buf += data
    chunks.append(buf)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(c).decode('ascii')}?=" for c in chunks)


def format_address(name: str, addr_spec: str) -> str:
    """One mailbox for a header: the name is only ever a display name, never parsed as addresses.

    A short ASCII name is a quoted string; any other name (non-ASCII, long, or containing
    ``=?`` that a reader could take for an encoded word) is written as base64 encoded
    words of its exact text, so ``=?utf-8?b?...?= Jean`` in the data stays text. The
    address must be ASCII (no SMTPUTF8): a ``ValueError`` otherwise.
    """
    addr = one_line(addr_spec)
    if not addr.isascii() or any(c in addr for c in ' <>"(),;:\\[]') or addr.count("@") != 1:
        raise ValueError(f"adresse électronique inutilisable sans SMTPUTF8 : {addr!r}")
    display = one_line(name)
    if not display:
        return f"<{addr}>"
    if display.isascii() and "=?" not in display and len(display) <= _PLAIN_NAME_MAX:
        quoted = display.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{addr}>'
    return f"{_encoded_words(display)}\r\n <{addr}>"


def build_message(*, mail_from: str, to: Recipient, reply_to: Recipient | None, subject: str,
                  text: str, html: str, ics: str | None, message_id: str,
                  sent_at: datetime) -> EmailMessage:
    """A multipart message (text + HTML, then the .ics) with safe headers."""
    msg = EmailMessage(policy=SMTP_7BIT)
    sender_name, sender_addr = parseaddr(mail_from)
    msg.set_raw("From", format_address(sender_name, sender_addr))
    msg.set_raw("To", format_address(to.name, to.email))
    if reply_to is not None:
        msg.set_raw("Reply-To", format_address(reply_to.name, reply_to.email))
    msg.set_raw("Subject", encode_subject(one_line(subject)))
    msg["Date"] = format_datetime(sent_at.astimezone(PARIS))
    msg["Message-ID"] = one_line(message_id)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    if ics:
        msg.add_attachment(ics, subtype="calendar", filename="echeance.ics",
                           params={"method": "PUBLISH"})
    return msg
