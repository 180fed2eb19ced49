"""Write one person's digest of the day: the message, the reminders it carries, the calendar events
it updates, in the caller's transaction (so all of it, or nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session

from cdppe.core.settings import Settings
from cdppe.domain.deadlines import base_kind
from cdppe.domain.digest import Delivered, EventState, calendar_changes
from cdppe.domain.reminder_policy import DeadlineInfo, outbox_key
from cdppe.present.reminder_emails import (
    CalendarEvent,
    DigestLine,
    ReceiverRole,
    new_message_id,
    render_digest,
)
from cdppe.services.reminders.calendars import ensure_feed, feed_url
from cdppe.services.reminders.planning import KIND_PHASE, DueReminder, deadline_info, flow_run_link
from cdppe.services.reminders.preferences import ensure_preference, pause_url
from cdppe.store.notifications import deliveries_of
from cdppe.store.reminders import deadline_rows_with_ids
from models import CalendarDelivery, Deadline, OutboxEmail, ReminderItem
from models.enums import DeadlineStatus, FeedScope, ReminderKind, SignatoryRole

PARTY_NAMES = {"prefet": "la préfecture", "ars": "l'ARS", "departement": "le Département",
               "budget_controller": "le contrôle budgétaire", "all": "toutes les parties"}


def awaited_from(deadline: DeadlineInfo) -> str:
    """Who is to act: the signatory for a signature, else the party the deadline is about."""
    role = deadline.recipient_role
    if base_kind(deadline.kind) == "signature" and role in SignatoryRole.__members__.values():
        return SignatoryRole(role).label
    return PARTY_NAMES.get(role, role)


def receiver_role(item: DueReminder) -> ReceiverRole:
    """Why this person receives this reminder: coordination, or signatory or contact of a party."""
    ctx, recipient = item.context, item.planned.recipient
    if recipient.role == "coordinator":
        role = "coordination"
    else:
        signatory = any(m.is_signatory and m.email.lower() == recipient.email.lower()
                        for m in ctx.members if m.party == recipient.role)
        party = PARTY_NAMES.get(recipient.role, recipient.role)
        role = f"{'signataire' if signatory else 'contact'} pour {party}"
    return ReceiverRole(ctx.key, ctx.title, role, ctx.coordinator)


def _link(item: DueReminder, settings: Settings) -> str:
    phase = KIND_PHASE.get(base_kind(item.planned.deadline.kind))
    return flow_run_link(settings.ui_url, item.context.run_for(item.exercice_id, phase))


def _calendar(session: Session, delivered: dict[int, CalendarDelivery], items: Sequence[DueReminder],
              links: dict[int, str], settings: Settings,
              ) -> tuple[list[CalendarEvent], list[CalendarEvent], list[Deadline]]:
    """(events to publish, events to cancel, their rows) for this person's next message, given what
    they have ``delivered`` already."""
    ids = {i.planned.deadline.deadline_id for i in items} | set(delivered)
    rows: dict[int, tuple[DeadlineInfo, Deadline]] = {}
    for raw in deadline_rows_with_ids(session, ids=[i for i in ids if i is not None]):
        info, _ = deadline_info(raw)
        assert info.deadline_id is not None
        rows[info.deadline_id] = (info, raw[0])
    current = {i: EventState(i, row.ics_sequence, row.status) for i, (_, row) in rows.items()}
    in_digest = [current[d] for d in (i.planned.deadline.deadline_id for i in items) if d in current]
    publish, cancel = calendar_changes(
        in_digest, {i: Delivered(d.sequence, d.cancelled) for i, d in delivered.items()}, current)
    runs_list = flow_run_link(settings.ui_url, None)

    def event(deadline_id: int) -> CalendarEvent:
        info, row = rows[deadline_id]
        return CalendarEvent(info, row.ics_sequence, links.get(deadline_id, runs_list))

    touched = [rows[i][1] for i in publish + cancel]
    return [event(i) for i in publish], [event(i) for i in cancel], touched


def _remember_events(session: Session, address: str, delivered: dict[int, CalendarDelivery],
                     touched: Sequence[Deadline], now: datetime) -> None:
    for row in touched:
        assert row.id is not None
        sent = delivered.get(row.id) or CalendarDelivery(recipient=address, deadline_id=row.id)
        sent.sequence, sent.cancelled = row.ics_sequence, row.status is not DeadlineStatus.OPEN
        sent.updated_at = now
        session.add(sent)


def _feed_for(session: Session, address: str, items: Sequence[DueReminder], settings: Settings) -> str:
    if all(i.planned.recipient.role == "coordinator" for i in items):
        return feed_url(settings, ensure_feed(session, FeedScope.COORDINATOR, address))
    code = items[0].planned.deadline.departement_code
    return feed_url(settings, ensure_feed(session, FeedScope.DEPARTEMENT, code))


def write_digest(session: Session, address: str, items: Sequence[DueReminder], *, as_of: date,
                 settings: Settings, now: datetime) -> OutboxEmail:
    """Queue ``items`` (one person's reminders, most urgent first) as one message of ``as_of``."""
    links = {i.planned.deadline.deadline_id: _link(i, settings) for i in items
             if i.planned.deadline.deadline_id is not None}
    lines = [DigestLine(i.planned, i.context.title, _link(i, settings), awaited_from(i.planned.deadline))
             for i in items]
    roles = list({(r.contract_key, r.role): r for r in map(receiver_role, items)}.values())
    pausable = any(i.planned.kind == ReminderKind.REMINDER for i in items)
    pause = pause_url(settings, ensure_preference(session, address)) if pausable else None
    delivered = deliveries_of(session, recipient=address)
    publish, cancel, touched = _calendar(session, delivered, items, links, settings)
    rendered = render_digest(
        recipient_name=items[0].planned.recipient.name, lines=lines, roles=roles, as_of=as_of,
        pause_url=pause, feed_url=_feed_for(session, address, items, settings), publish=publish,
        cancel=cancel, mail_from=settings.mail_from, dtstamp=now)
    coordinators = list({r.coordinator.email.lower(): r.coordinator for r in roles}.values())
    key = outbox_key("digest", address, as_of.isoformat())
    first = items[0].planned
    row = OutboxEmail(
        key=key, contract_id=first.deadline.contract_id, deadline_id=first.deadline.deadline_id,
        kind="digest", recipient=first.recipient.email, subject=rendered.subject, body_text=rendered.text,
        body_html=rendered.html, ics=rendered.ics, ics_cancel=rendered.ics_cancel,
        reply_to=[[c.name, c.email] for c in coordinators], unsubscribe_url=pause,
        message_id=new_message_id(settings.mail_from, key), created_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    for item in items:
        p = item.planned
        session.add(ReminderItem(key=p.key, outbox_id=row.id, deadline_id=p.deadline.deadline_id,
                                 contract_id=p.deadline.contract_id, kind=ReminderKind(p.kind),
                                 slot=p.slot, recipient=p.recipient.email, send_on=p.send_on))
    _remember_events(session, address, delivered, touched, now)
    session.flush()
    return row

