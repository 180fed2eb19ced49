"""Queue the due reminders in the outbox: one digest per person and day, each reminder once.

Two UNIQUE constraints are the guard: ``outbox_email.key`` (address, day) and
``reminder_item.key`` (deadline, slot, recipient). Two sweeps on the same day,
or two at once, queue each digest once; the loser's insert fails with an
IntegrityError and its reminders are counted as duplicates. Every digest is
written in its own short transaction, so a concurrent sweep never waits long.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from cdppe.core.dates import utcnow
from cdppe.core.settings import Settings, get_settings
from cdppe.domain.digest import ContactChoice, allowed, group_digests
from cdppe.domain.reminder_policy import ReminderPolicy
from cdppe.services.reminders.digest import write_digest
from cdppe.services.reminders.planning import (
    KIND_PHASE,
    ContractContext,
    DueReminder,
    deadline_info,
    due_reminders,
    flow_run_link,
    load_contexts,
    open_deadlines,
    plan_for,
)
from cdppe.store.db import session_scope
from cdppe.store.notifications import carried_reminder_keys, preferences_of

__all__ = ["KIND_PHASE", "ContractContext", "DueReminder", "QueueResult", "deadline_info", "due_reminders",
           "choices_of", "existing_keys", "flow_run_link", "load_contexts", "open_deadlines", "plan_for",
           "queue_due_reminders"]


@dataclass
class QueueResult:
    planned: int = 0
    queued: int = 0  # messages (one per person and day)
    reminders: int = 0  # reminders carried by those messages
    duplicates: int = 0  # already carried by an earlier digest
    held: int = 0  # held back by the person's choice (paused or reduced)
    keys: list[str] = field(default_factory=list)


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """The reminders among ``keys`` already carried by a digest (before digests: by an e-mail)."""
    return carried_reminder_keys(session, keys=keys)


def choices_of(session: Session, due: Sequence[DueReminder]) -> dict[str, ContactChoice]:
    prefs = preferences_of(session, emails=[d.planned.recipient.email for d in due])
    return {email: ContactChoice(pref.mode, pref.until) for email, pref in prefs.items()}


def queue_due_reminders(engine: Engine, as_of: date, *, settings: Settings | None = None,
                        now: datetime | None = None) -> QueueResult:
    """Plan what is due on ``as_of`` and queue one digest per person, each reminder once.

    A digest's outbox key is (address, day): a re-run the same day queues nothing new; a reminder
    that became due after that person's digest was queued goes in the next day's, if still due.
    """
    settings = settings or get_settings()
    now = now or utcnow()
    policy = ReminderPolicy.from_settings(settings)
    with session_scope(engine) as session:
        due = due_reminders(session, as_of, policy=policy)
        known = existing_keys(session, [d.planned.key for d in due])
        choices = choices_of(session, due)
    result = QueueResult(planned=len(due))
    fresh: list[DueReminder] = []
    for item in due:
        if item.planned.key in known:
            result.duplicates += 1
        elif not allowed(item.planned, choices.get(item.planned.recipient.email.lower()), as_of):
            result.held += 1
        else:
            fresh.append(item)
    for address, items in group_digests(fresh, lambda d: d.planned):
        try:
            with session_scope(engine) as session:
                row = write_digest(session, address, items, as_of=as_of, settings=settings, now=now)
        except IntegrityError:  # a concurrent sweep queued this person's digest (or a reminder) first
            result.duplicates += len(items)
            continue
        result.queued += 1
        result.reminders += len(items)
        result.keys.append(row.key)
    return result
