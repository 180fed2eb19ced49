"""One message per person per day: which reminders go in it, in what order, and which calendar
events it carries (pure: no database, no clock).

- a person's choice filters their reminders, never the coordinator's escalations: *suspendu*
  receives none, *réduit* only those 7 days or less before the deadline, until the chosen day;
- a digest lists its reminders grouped by contract, overdue first (most overdue first), then
  by deadline date; the contracts come in the order of their most urgent reminder;
- each deadline is one calendar event with a stable UID; the next message a person receives
  carries the event again when its SEQUENCE went up since they last received it (its date
  moved), and a cancellation when the step is done or the deadline withdrawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from cdppe.domain.reminder_policy import PlannedReminder
from models.enums import ContactMode, DeadlineStatus

REDUCED_MAX_DAYS = 7

T = TypeVar("T")


@dataclass(frozen=True)
class ContactChoice:
    mode: ContactMode = ContactMode.NORMAL
    until: date | None = None

    def in_force(self, as_of: date) -> ContactMode:
        """The mode on ``as_of``: back to normal the day after ``until``."""
        if self.until is not None and as_of > self.until:
            return ContactMode.NORMAL
        return self.mode


def allowed(planned: PlannedReminder, choice: ContactChoice | None, as_of: date) -> bool:
    """Whether the person's choice lets this reminder go (escalations always go)."""
    if planned.kind == "escalation" or choice is None:
        return True
    mode = choice.in_force(as_of)
    if mode is ContactMode.PAUSED:
        return False
    if mode is ContactMode.REDUCED:
        return planned.days_before <= REDUCED_MAX_DAYS
    return True


def urgency(planned: PlannedReminder) -> tuple[int, date, str, str]:
    """Sort key, most urgent first: escalations (oldest deadline first), then by deadline date."""
    dl = planned.deadline
    return (0 if planned.kind == "escalation" else 1, dl.due_date, dl.label, dl.key)


def group_digests(items: Iterable[T], planned_of: Callable[[T], PlannedReminder],
                  ) -> list[tuple[str, list[T]]]:
    """(address in lower case, its reminders most urgent first), the most urgent digest first."""
    by_address: dict[str, list[T]] = {}
    for item in items:
        by_address.setdefault(planned_of(item).recipient.email.lower(), []).append(item)
    out = [(address, sorted(found, key=lambda i: urgency(planned_of(i))))
           for address, found in by_address.items()]
    out.sort(key=lambda pair: (urgency(planned_of(pair[1][0])), pair[0]))
    return out


def by_contract(items: Sequence[T], contract_of: Callable[[T], str]) -> list[tuple[str, list[T]]]:
    """``items`` (already most urgent first) grouped by contract, in order of first appearance."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(contract_of(item), []).append(item)
    return list(groups.items())


@dataclass(frozen=True)
class EventState:
    """A deadline as its calendar event shows it."""

    deadline_id: int
    sequence: int
    status: DeadlineStatus


@dataclass(frozen=True)
class Delivered:
    sequence: int
    cancelled: bool


def calendar_changes(in_digest: Iterable[EventState], delivered: Mapping[int, Delivered],
                     current: Mapping[int, EventState]) -> tuple[list[int], list[int]]:
    """(deadline ids to publish, deadline ids to cancel) in a person's next message.

    Published: every open deadline of the digest, and every one they received before whose
    SEQUENCE went up while it stayed open. Cancelled: every one they received, not yet cancelled,
    that is no longer open.
    """
    publish: list[int] = []
    cancel: list[int] = []
    for event in in_digest:
        if event.status is DeadlineStatus.OPEN and event.deadline_id not in publish:
            publish.append(event.deadline_id)
    for deadline_id, sent in sorted(delivered.items()):
        now = current.get(deadline_id)
        if now is None or sent.cancelled:
            continue
        if now.status is not DeadlineStatus.OPEN:
            cancel.append(deadline_id)
        elif now.sequence > sent.sequence and deadline_id not in publish:
            publish.append(deadline_id)
    return publish, cancel
