"""Drain the outbox over SMTP with aiosmtplib: one connection per batch, nothing lost, nothing twice.

- Each e-mail is *claimed* before it is sent (a conditional UPDATE that sets a
  short lease), so two senders running at once never send the same row.
- Success marks it sent. A temporary failure (4xx reply, connection refused,
  timeout, disconnection, authentication trouble) leaves it **pending** with
  ``next_attempt_at`` = now + base x 2^(attempts-1), capped. A permanent
  refusal of this message (5xx to MAIL FROM, RCPT TO or DATA) marks it
  **failed** and queues an alert to the contract's coordinator, in the same
  transaction.
- A message that cannot be composed (an address or a name the headers cannot
  carry) is marked **failed** with its reason and alerts the coordinator once;
  the batch goes on.
- A crash between sending and marking sent can send an e-mail again once the
  lease expires (at-least-once); the Message-ID is derived from the row's unique
  key (``new_message_id``), so mail clients recognise the duplicate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr

import aiosmtplib
from sqlalchemy.engine import Engine

from cdppe.core.dates import utcnow
from cdppe.core.settings import Settings, get_settings
from cdppe.domain.reminder_policy import Recipient, outbox_key
from cdppe.present.reminder_emails import build_message, new_message_id, render_alert
from cdppe.services.reminders.outbox import flow_run_link
from cdppe.store.audit import record_email_event
from cdppe.store.db import session_scope
from cdppe.store.reminders import (
    claim_outbox_row,
    contract_ids_of_outbox,
    contracts_with_ids,
    mark_outbox_sent,
    members_newest_first,
    outbox_key_taken,
    pending_outbox_ids,
    tried_pending_before,
)
from models import Contract, OutboxEmail
from models.enums import OutboxStatus

log = logging.getLogger(__name__)


@dataclass
class DrainResult:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    alerts: int = 0
    errors: list[str] = field(default_factory=list)


class SmtpFailure(Exception):
    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def classify(exc: BaseException) -> tuple[bool, str]:
    """(permanent?, reason) of a failure to send one message."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        reason = "; ".join(f"{r.code} {r.message} ({r.recipient})" for r in exc.recipients)
        return bool(codes) and all(500 <= c < 600 for c in codes), reason or str(exc)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return False, f"authentification SMTP refusée ({exc.code})"
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return 500 <= exc.code < 600, f"{exc.code} {exc.message}"
    return False, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def backoff(attempts: int, settings: Settings) -> timedelta:
    seconds = settings.smtp_retry_base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.smtp_retry_max_seconds))


def smtp_target(settings: Settings) -> tuple[str, int]:
    """The configured SMTP server, or the local sink when none is configured."""
    if settings.smtp_host:
        return settings.smtp_host, settings.smtp_port
    return settings.sink_host, settings.sink_port


async def smtp_password(settings: Settings) -> str | None:
    """From ``CDPPE_SMTP_PASSWORD``, else from the Prefect Secret block named in settings."""
    if settings.smtp_password is not None:
        return settings.smtp_password.get_secret_value()
    if settings.smtp_secret_block:
        from prefect.blocks.system import Secret

        block: Secret[str] = await Secret.aload(settings.smtp_secret_block)
        return str(block.get())
    return None


def pending_ids(engine: Engine, now: datetime, limit: int) -> list[int]:
    with session_scope(engine) as session:
        return pending_outbox_ids(session, now=now, limit=limit)


def _claim(engine: Engine, row_id: int, now: datetime, settings: Settings) -> OutboxEmail | None:
    """Take the row for this sender (lease + one more attempt), or None if another has it."""
    lease = now + timedelta(seconds=settings.outbox_lease_seconds)
    with session_scope(engine) as session:
        if not claim_outbox_row(session, row_id=row_id, now=now, lease_until=lease):
            return None
        return session.get(OutboxEmail, row_id)


def _defer(engine: Engine, row_id: int, now: datetime, reason: str, settings: Settings, *,
           claimed: bool) -> None:
    with session_scope(engine) as session:
        row = session.get(OutboxEmail, row_id)
        if row is None or row.status is not OutboxStatus.PENDING:
            return
        if not claimed:
            if row.next_attempt_at is not None and row.next_attempt_at > now:
                return  # another sender holds it
            row.attempts += 1
        row.last_error = reason
        row.next_attempt_at = now + backoff(row.attempts, settings)
        session.add(row)


def _mark_sent(engine: Engine, row_id: int, now: datetime) -> None:
    with session_scope(engine) as session:
        mark_outbox_sent(session, row_id=row_id, now=now)
        record_email_event(session, row_id, sent=True)


def _fail(engine: Engine, row_id: int, now: datetime, reason: str, settings: Settings) -> bool:
    """Mark failed and queue the coordinator's alert, in one transaction; True if alerted."""
    with session_scope(engine) as session:
        row = session.get(OutboxEmail, row_id)
        assert row is not None
        row.status, row.last_error, row.next_attempt_at = OutboxStatus.FAILED, reason, None
        session.add(row)
        record_email_event(session, row_id, sent=False, reason=reason)
        contract = session.get(Contract, row.contract_id) if row.contract_id else None
        if contract is None or row.kind == "alert":
            return False  # no one to alert (or the alert itself failed): visible in `cdppe outbox`
        coordinator = Recipient(contract.coordinator_name, contract.coordinator_email,
                                "coordinator")
        rendered = render_alert(failed_recipient=row.recipient, failed_subject=row.subject,
                                reason=reason, attempts=row.attempts, contract_key=contract.key,
                                coordinator=coordinator, link=flow_run_link(settings.ui_url, None))
        # one alert per undeliverable address and day, however many of its messages failed
        key = outbox_key("alert", str(row.contract_id), row.recipient.lower(), now.date().isoformat())
        if outbox_key_taken(session, key=key):
            return False
        session.add(OutboxEmail(
            key=key, contract_id=row.contract_id, deadline_id=row.deadline_id, kind="alert",
            recipient=coordinator.email, subject=rendered.subject, body_text=rendered.text,
            body_html=rendered.html, ics=None, message_id=new_message_id(settings.mail_from, key),
            created_at=now))
        return True


@dataclass
class Names:
    """Display names and Reply-To of the contracts of a batch (one query each)."""

    members: dict[tuple[int, str], str] = field(default_factory=dict)
    coordinators: dict[int, Recipient] = field(default_factory=dict)

    @classmethod
    def load(cls, engine: Engine, ids: list[int]) -> Names:
        names = cls()
        with session_scope(engine) as session:
            contract_ids = contract_ids_of_outbox(session, ids=ids)
            if not contract_ids:
                return names
            for contract in contracts_with_ids(session, contract_ids=list(contract_ids)):
                assert contract.id is not None
                names.coordinators[contract.id] = Recipient(
                    contract.coordinator_name, contract.coordinator_email, "coordinator")
            for member in members_newest_first(session, contract_ids=contract_ids):
                names.members[(member.contract_id, member.email.lower())] = member.name
        return names

    def display_name(self, row: OutboxEmail) -> str:
        if row.contract_id is None:
            return ""
        found = self.members.get((row.contract_id, row.recipient.lower()))
        if found is not None:
            return found
        coordinator = self.coordinators.get(row.contract_id)
        if coordinator is not None and coordinator.email.lower() == row.recipient.lower():
            return coordinator.name
        return ""


def message_for(row: OutboxEmail, names: Names, settings: Settings, now: datetime,
                ) -> EmailMessage:
    """The message of an outbox row: Reply-To as fixed when it was queued (else the contract's
    coordinator), the recipient's name looked up from the contract."""
    if row.reply_to:
        reply_to = [Recipient(name, address, "coordinator") for name, address in row.reply_to]
    else:
        coordinator = names.coordinators.get(row.contract_id) if row.contract_id else None
        reply_to = [coordinator] if coordinator else []
    return build_message(mail_from=settings.mail_from,
                         to=Recipient(names.display_name(row), row.recipient, ""),
                         reply_to=reply_to, subject=row.subject, text=row.body_text,
                         html=row.body_html, ics=row.ics, ics_cancel=row.ics_cancel,
                         unsubscribe_url=row.unsubscribe_url, message_id=row.message_id, sent_at=now)


async def _send_batch(engine: Engine, ids: list[int], now: datetime, settings: Settings,
                      result: DrainResult) -> int:
    """Send ``ids`` over one connection; returns how many alerts were queued."""
    smtp = await _connected(engine, ids, now, settings, result)
    if smtp is None:
        return 0
    alerts = 0
    sender = parseaddr(settings.mail_from)[1]
    names = Names.load(engine, ids)
    try:
        for index, row_id in enumerate(ids):
            row = _claim(engine, row_id, now, settings)
            if row is None:
                continue
            queued, go_on = await _send_one(smtp, engine, row, sender, names, now, settings, result,
                                            rest=ids[index + 1:])
            alerts += queued
            if not go_on:
                break
    finally:
        if smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                smtp.close()
    result.alerts += alerts
    return alerts


async def _connected(engine: Engine, ids: list[int], now: datetime, settings: Settings,
                     result: DrainResult) -> aiosmtplib.SMTP | None:
    """An open SMTP connection, or None with every message of the batch deferred and the reason kept."""
    host, port = smtp_target(settings)
    smtp = aiosmtplib.SMTP(
        hostname=host, port=port, use_tls=settings.smtp_implicit_tls,
        start_tls=False if settings.smtp_implicit_tls else settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds, validate_certs=settings.smtp_validate_certs,
        username=settings.smtp_username, password=await smtp_password(settings))
    try:
        await smtp.connect()
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        _, reason = classify(exc)
        log.warning("SMTP %s:%s indisponible, %d courriel(s) différé(s) : %s",
                    host, port, len(ids), reason)
        result.errors.append(reason)
        for row_id in ids:
            _defer(engine, row_id, now, reason, settings, claimed=False)
        result.deferred += len(ids)
        return None
    return smtp


async def _send_one(smtp: aiosmtplib.SMTP, engine: Engine, row: OutboxEmail, sender: str, names: Names,
                    now: datetime, settings: Settings, result: DrainResult, *,
                    rest: list[int]) -> tuple[int, bool]:
    """Send one claimed row; returns the alerts queued and whether the connection can go on.

    A message that cannot be composed, or that the server refuses for good, is failed (and its
    coordinator alerted); a temporary refusal is deferred; a lost connection defers ``rest`` too.
    """
    assert row.id is not None
    try:
        data = message_for(row, names, settings, now).as_bytes()
    except Exception as exc:  # noqa: BLE001 - one bad message never blocks the batch
        reason = f"courriel impossible à composer ({type(exc).__name__} : {exc})"
        log.warning("outbox %s : %s", row.id, reason)
        result.errors.append(reason)
        result.failed += 1
        return int(_fail(engine, row.id, now, reason, settings)), True
    try:
        await smtp.sendmail(sender, [row.recipient], data)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        permanent, reason = classify(exc)
        result.errors.append(reason)
        alerts = 0
        if permanent:
            result.failed += 1
            alerts = int(_fail(engine, row.id, now, reason, settings))
        else:
            result.deferred += 1
            _defer(engine, row.id, now, reason, settings, claimed=True)
        if not isinstance(exc, aiosmtplib.SMTPResponseException |
                          aiosmtplib.SMTPRecipientsRefused) or not smtp.is_connected:
            # the connection is gone: the rest wait for the next drain
            for later in rest:
                _defer(engine, later, now, reason, settings, claimed=False)
            result.deferred += len(rest)
            return alerts, False
        try:
            await smtp.rset()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            return alerts, False
        return alerts, True
    _mark_sent(engine, row.id, now)
    result.sent += 1
    return 0, True


async def drain_outbox(engine: Engine, *, now: datetime | None = None,
                       settings: Settings | None = None) -> DrainResult:
    """Send every pending e-mail whose time has come; alerts queued meanwhile go out too."""
    settings = settings or get_settings()
    result = DrainResult()
    while True:  # batch after batch; a later batch sends the alerts that a refusal queued
        moment = now or utcnow()
        ids = pending_ids(engine, moment, settings.outbox_batch_size)
        if not ids:
            break
        before = (result.sent, result.failed, result.deferred)
        await _send_batch(engine, ids, moment, settings, result)
        if (result.sent, result.failed, result.deferred) == before:
            break  # nothing moved (all claimed elsewhere)
    return result


def stuck_messages(engine: Engine, now: datetime, settings: Settings) -> list[tuple[int, datetime]]:
    """(id, due since) of pending messages already tried whose lease or retry time passed long ago.

    A message claimed by a sender that died, or deferred and never taken again, waits
    here until a sweep runs: past one more lease, nothing is taking care of it.
    """
    limit = now - timedelta(seconds=settings.outbox_lease_seconds)
    with session_scope(engine) as session:
        return tried_pending_before(session, limit=limit)


async def smtp_answers(settings: Settings) -> str:
    """Connect, EHLO and QUIT: the server's greeting, or an exception."""
    host, port = smtp_target(settings)
    smtp = aiosmtplib.SMTP(hostname=host, port=port, timeout=settings.smtp_timeout_seconds,
                           use_tls=settings.smtp_implicit_tls, start_tls=False,
                           validate_certs=settings.smtp_validate_certs)
    async with smtp:
        response = await smtp.ehlo()
    return f"{host}:{port} ({response.code})"
