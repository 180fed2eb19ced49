"""What people receive: each reminder of a daily digest, the calendar events they were sent, their
choice of reminders and the calendar feeds they subscribe to."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from cdppe.core.dates import utcnow
from models.enums import ContactMode, FeedScope, ReminderKind
from models.types import EnumText, UTCDateTime


class ReminderItem(SQLModel, table=True):
    """One reminder (deadline, slot, recipient) and the digest that carried it: ``key`` makes each
    reminder go once, whichever day's digest carries it."""

    __tablename__ = "reminder_item"
    __table_args__ = (UniqueConstraint("key"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=240)
    outbox_id: int = Field(foreign_key="outbox_email.id", index=True)
    deadline_id: int | None = Field(default=None, foreign_key="deadline.id")
    contract_id: int | None = Field(default=None, foreign_key="contract.id")
    kind: ReminderKind = Field(sa_type=EnumText(ReminderKind, 20))
    slot: str = Field(default="", max_length=10, description="J-30, J-0, R+7")
    recipient: str
    send_on: date | None = None


class CalendarDelivery(SQLModel, table=True):
    """The version of a deadline's calendar event a person last received by e-mail."""

    __tablename__ = "calendar_delivery"
    __table_args__ = (UniqueConstraint("recipient", "deadline_id"),)
    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(description="address, lower case")
    deadline_id: int = Field(foreign_key="deadline.id", index=True)
    sequence: int = 0
    cancelled: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContactPreference(SQLModel, table=True):
    """A person's choice of reminders, and the unguessable token of their pause page."""

    __tablename__ = "contact_preference"
    __table_args__ = (UniqueConstraint("email"), UniqueConstraint("token"))
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(description="address, lower case")
    token: str = Field(max_length=64)
    mode: ContactMode = Field(default=ContactMode.NORMAL, sa_type=EnumText(ContactMode, 20))
    until: date | None = Field(default=None, description="last day of the pause or reduction")
    updated_by: str | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CalendarFeed(SQLModel, table=True):
    """An ``.ics`` subscription URL (a Département's deadlines, or a coordinator's contracts')."""

    __tablename__ = "calendar_feed"
    __table_args__ = (UniqueConstraint("scope", "scope_value"), UniqueConstraint("token"))
    id: int | None = Field(default=None, primary_key=True)
    scope: FeedScope = Field(sa_type=EnumText(FeedScope, 20))
    scope_value: str = Field(description="Département code, or the coordinator's address in lower case")
    token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
