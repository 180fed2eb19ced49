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
from collections.abc import Sequence
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
from cdppe.domain.digest import by_contract
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
    ics_cancel: str | None = None


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


@dataclass(frozen=True)
class CalendarEvent:
    """One deadline as a calendar event: its UID comes from the deadline's key, never from its date."""

    deadline: DeadlineInfo
    sequence: int
    link: str
    cancelled: bool = False


def event_uid(deadline_key: str, domain: str) -> str:
    return f"{hashlib.sha256(deadline_key.encode()).hexdigest()[:32]}@{domain}"


def _vevent(event: CalendarEvent, *, domain: str, dtstamp: datetime) -> Event:
    deadline = event.deadline
    vevent = Event()
    vevent.add("uid", event_uid(deadline.key, domain))
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", dtstamp)
    vevent.add("dtstart", deadline.due_date)
    vevent.add("dtend", deadline.due_date + timedelta(days=1))
    vevent.add("summary", one_line(f"Échéance CDPPE {deadline.contract_key} : {deadline.label}"))
    vevent.add("description", f"{deadline.rule}\n\nSuivi : {event.link}")
    vevent.add("url", event.link)
    vevent.add("transp", "TRANSPARENT")
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    return vevent


def calendar_ics(events: Sequence[CalendarEvent], *, domain: str, dtstamp: datetime,
                 method: str | None, name: str | None = None) -> str:
    """A calendar of one-day events: ``PUBLISH`` or ``CANCEL`` in a message, no method in a feed."""
    cal = Calendar()
    cal.add("prodid", "-//CDPPE//Relances des échéances//FR")
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    cal.add("calscale", "GREGORIAN")
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", "Europe/Paris")
    for event in events:
        cal.add_component(_vevent(event, domain=domain, dtstamp=dtstamp))
    data: bytes = cal.to_ical()
    return data.decode("utf-8")


@dataclass(frozen=True)
class DigestLine:
    """One reminder of a digest, with what its reader needs to act on it."""

    planned: PlannedReminder
    contract_title: str
    link: str
    awaited_from: str


@dataclass(frozen=True)
class ReceiverRole:
    """Why a person receives the message: their role for one contract."""

    contract_key: str
    contract_title: str
    role: str
    coordinator: Recipient


def reminder_subject(planned: PlannedReminder, as_of: date) -> str:
    dl = planned.deadline
    due = format_date_fr(dl.due_date)
    prefix = f"[CDPPE {dl.departement_code}]"
    if planned.kind == "escalation":
        return f"{prefix} Échéance dépassée depuis le {due} : {dl.label}"
    if dl.due_date == as_of:
        return f"{prefix} Échéance aujourd'hui : {dl.label}"
    return f"{prefix} Rappel : {dl.label}, échéance le {due}"


def digest_subject(lines: Sequence[DigestLine], as_of: date) -> str:
    """One reminder keeps its own subject; several say how many, and how many are overdue."""
    if len(lines) == 1:
        return reminder_subject(lines[0].planned, as_of)
    codes = {line.planned.deadline.departement_code for line in lines}
    prefix = f"[CDPPE {codes.pop()}]" if len(codes) == 1 else "[CDPPE]"
    overdue = sum(1 for line in lines if line.planned.kind == "escalation")
    first = lines[0].planned.deadline
    text = f"{prefix} {len(lines)} échéances à suivre"
    if overdue:
        text += f", dont {overdue} dépassée{'s' if overdue > 1 else ''}"
    return f"{text} ; la plus urgente : {first.label} ({format_date_fr(first.due_date)})"


def _status(planned: PlannedReminder, as_of: date) -> str:
    dl = planned.deadline
    due = format_date_fr(dl.due_date)
    if planned.kind == "escalation":
        days = (as_of - dl.due_date).days
        return f"Dépassée depuis le {due} ({days} jour{'s' if days > 1 else ''}), étape non enregistrée"
    days = (dl.due_date - as_of).days
    if days <= 0:
        return f"Aujourd'hui, {due}"
    return f"Le {due}, dans {days} jour{'s' if days > 1 else ''}"


def _line_context(line: DigestLine, as_of: date) -> dict[str, object]:
    planned, dl = line.planned, line.planned.deadline
    return {
        "status": _status(planned, as_of), "overdue": planned.kind == "escalation",
        "days_left": (dl.due_date - as_of).days, "label": one_line(dl.label), "year": dl.year,
        "due_date_fr": format_date_fr(dl.due_date), "rule": dl.rule, "awaited_from": line.awaited_from,
        "action": ACTIONS.get(base_kind(dl.kind), "enregistrer l'étape dans l'interface."),
        "link": line.link,
        "link_label": ("Ouvrir le document" if "/documents/" in line.link
                       else "Suivre l'étape dans l'interface"),
    }


def _intro(lines: Sequence[DigestLine]) -> str:
    overdue = sum(1 for line in lines if line.planned.kind == "escalation")
    if len(lines) == 1:
        return ("Une échéance est dépassée et l'étape n'est pas enregistrée :" if overdue
                else "Une échéance approche :")
    text = f"Voici les {len(lines)} échéances à suivre aujourd'hui, les plus urgentes d'abord"
    return text + (f" ({overdue} dépassée{'s' if overdue > 1 else ''}) :" if overdue else " :")


def render_digest(*, recipient_name: str, lines: Sequence[DigestLine], roles: Sequence[ReceiverRole],
                  as_of: date, pause_url: str | None, feed_url: str | None,
                  publish: Sequence[CalendarEvent], cancel: Sequence[CalendarEvent],
                  mail_from: str, dtstamp: datetime) -> RenderedEmail:
    """One person's message of the day: ``lines`` most urgent first, grouped by contract."""
    subject = one_line(digest_subject(lines, as_of))
    groups = [{"contract_key": key, "contract_title": found[0].contract_title,
               "lines": [_line_context(line, as_of) for line in found]}
              for key, found in by_contract(lines, lambda line: line.planned.deadline.contract_key)]
    coordinators = list({r.coordinator.email.lower(): r.coordinator for r in roles}.values())
    note = ""
    if publish or cancel:
        note = ("Les échéances de ce message sont jointes pour votre agenda (fichier .ics)"
                + (" ; celles qui ne sont plus attendues y sont annulées." if cancel else "."))
    context: dict[str, object] = {
        "subject": subject, "recipient_name": one_line(recipient_name), "intro": _intro(lines),
        "groups": groups, "roles": roles,
        "coordinators": [{"name": one_line(c.name), "email": c.email} for c in coordinators],
        "coordinator_name": one_line(coordinators[0].name) if coordinators else "",
        "coordinator_email": coordinators[0].email if coordinators else "",
        "pause_url": pause_url, "feed_url": feed_url, "calendar_note": note, "signature": SIGNATURE,
    }
    text, html = _render("digest", context)
    domain = mail_domain(mail_from)
    ics = calendar_ics(publish, domain=domain, dtstamp=dtstamp, method="PUBLISH") if publish else None
    ics_cancel = (calendar_ics([CalendarEvent(e.deadline, e.sequence, e.link, cancelled=True)
                                for e in cancel], domain=domain, dtstamp=dtstamp, method="CANCEL")
                  if cancel else None)
    return RenderedEmail(subject, text, html, ics, ics_cancel)


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


def build_message(*, mail_from: str, to: Recipient, reply_to: Sequence[Recipient], subject: str,
                  text: str, html: str, ics: str | None, message_id: str, sent_at: datetime,
                  ics_cancel: str | None = None, unsubscribe_url: str | None = None) -> EmailMessage:
    """A multipart message (text + HTML, then the calendars) with the headers a strict server wants.

    ``unsubscribe_url`` is the person's pause page: ``List-Unsubscribe`` with the one-click POST
    of RFC 8058, which the page accepts.
    """
    msg = EmailMessage(policy=SMTP_7BIT)
    sender_name, sender_addr = parseaddr(mail_from)
    msg.set_raw("From", format_address(sender_name, sender_addr))
    msg.set_raw("To", format_address(to.name, to.email))
    if reply_to:
        msg.set_raw("Reply-To", ",\r\n ".join(format_address(r.name, r.email) for r in reply_to))
    msg.set_raw("Subject", encode_subject(one_line(subject)))
    msg["Date"] = format_datetime(sent_at.astimezone(PARIS))
    msg["Message-ID"] = one_line(message_id)
    msg["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        url = one_line(unsubscribe_url)
        if not url.isascii() or any(c in url for c in "<> "):
            raise ValueError(f"lien de suspension inutilisable : {url!r}")
        msg["List-Unsubscribe"] = f"<{url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    if ics:
        msg.add_attachment(ics, subtype="calendar", filename="echeances.ics",
                           params={"method": "PUBLISH"})
    if ics_cancel:
        msg.add_attachment(ics_cancel, subtype="calendar", filename="annulations.ics",
                           params={"method": "CANCEL"})
    return msg
