"""Queries of what people receive: the reminders already carried by a digest, the calendar events
each person received, their choice of reminders and the calendar feeds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cdppe.store.reminders import deadline_rows_query
from models import (
    CalendarDelivery,
    CalendarFeed,
    ContactPreference,
    Contract,
    Deadline,
    ReminderItem,
)
from models.enums import FeedScope

RowT = TypeVar("RowT", ContactPreference, CalendarFeed)


def found_or_inserted(session: Session, find: Callable[[], RowT | None], new: Callable[[], RowT]) -> RowT:
    """The row ``find`` gives, else ``new()`` inserted in a savepoint; when a concurrent transaction
    inserted it first (its UNIQUE constraint), that one."""
    found = find()
    if found is not None:
        return found
    row = new()
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        winner = find()
        assert winner is not None
        return winner
    return row


def carried_reminder_keys(session: Session, *, keys: Sequence[str]) -> set[str]:
    """The reminders among ``keys`` that a digest already carries."""
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = list(keys[i:i + 500])
        found.update(session.exec(select(ReminderItem.key).where(col(ReminderItem.key).in_(chunk))))
    return found


def items_of_outbox(session: Session, *, outbox_id: int) -> Sequence[ReminderItem]:
    return session.exec(select(ReminderItem).where(ReminderItem.outbox_id == outbox_id)
                        .order_by(col(ReminderItem.id))).all()


def preferences_of(session: Session, *, emails: Sequence[str]) -> dict[str, ContactPreference]:
    """Each known person's choice, by address in lower case."""
    lowered = sorted({e.lower() for e in emails})
    if not lowered:
        return {}
    rows = session.exec(select(ContactPreference).where(col(ContactPreference.email).in_(lowered))).all()
    return {row.email: row for row in rows}


def preference_by_token(session: Session, *, token: str) -> ContactPreference | None:
    return session.exec(select(ContactPreference).where(ContactPreference.token == token)).first()


def preference_by_email(session: Session, *, email: str) -> ContactPreference | None:
    return session.exec(select(ContactPreference).where(ContactPreference.email == email.lower())).first()


def every_preference(session: Session) -> Sequence[ContactPreference]:
    return session.exec(select(ContactPreference).order_by(col(ContactPreference.email))).all()


def deliveries_of(session: Session, *, recipient: str) -> dict[int, CalendarDelivery]:
    rows = session.exec(select(CalendarDelivery).where(CalendarDelivery.recipient == recipient.lower()))
    return {row.deadline_id: row for row in rows}


def deadlines_with_ids(session: Session, *, ids: Sequence[int]) -> dict[int, Deadline]:
    if not ids:
        return {}
    rows = session.exec(select(Deadline).where(col(Deadline.id).in_(sorted(set(ids))))).all()
    return {row.id: row for row in rows if row.id is not None}


def feed_by_token(session: Session, *, token: str) -> CalendarFeed | None:
    return session.exec(select(CalendarFeed).where(CalendarFeed.token == token)).first()


def feed_of(session: Session, *, scope: FeedScope, value: str) -> CalendarFeed | None:
    return session.exec(select(CalendarFeed).where(CalendarFeed.scope == scope,
                                                   CalendarFeed.scope_value == value)).first()


def feed_deadline_rows(session: Session, *, scope: FeedScope, value: str) -> Sequence[Any]:
    """Every deadline of the contracts a feed covers, as ``deadline_rows_query`` gives them."""
    query = deadline_rows_query()
    if scope is FeedScope.DEPARTEMENT:
        query = query.where(col(Contract.departement_code) == value)
    else:
        query = query.where(func.lower(col(Contract.coordinator_email)) == value.lower())
    return session.execute(query).all()


def feed_subjects(session: Session) -> Sequence[Any]:
    """(Département code, coordinator address) of every contract: whose feeds exist to subscribe to."""
    return session.execute(sa_select(col(Contract.departement_code), col(Contract.coordinator_email))
                           .distinct().order_by(col(Contract.departement_code))).all()
