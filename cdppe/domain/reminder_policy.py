"""The reminder policy and the pure planner: which e-mail is due, to whom, on which day.

Rules (the policy values come from settings, not code):

- before a deadline, one reminder per offset (60, 30, 14, 7, 1 and 0 days by
  default; per-kind overrides in ``reminder_offsets_by_kind``);
- a reminder whose day is a Saturday, a Sunday or a public holiday of the
  Département goes out on the **previous working day**;
- once the deadline has passed, an escalation to the coordinator every
  ``escalation_every_days`` days while it stays open (same working-day rule);
- on a given day only the *current* slot of each deadline is due (the latest
  one whose day has come): a sweep that missed a day catches up with one
  e-mail, never with a burst of stale ones;
- the outbox key is (deadline @ due date, slot, recipient): a deadline whose
  date moves starts a new series, and the same slot never goes twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from cdppe.core.settings import Settings
from cdppe.domain.calendar_rules import previous_working_day
from cdppe.domain.deadlines import DeadlineSpec, base_kind, calendar_code, escalates

KEY_MAX = 240


@dataclass(frozen=True)
class DeadlineInfo:
    """What the planner and the templates need of one deadline (from a row or a spec)."""

    key: str
    kind: str
    label: str
    due_date: date
    legal_date: date
    rule: str
    source: str
    recipient_role: str
    contract_key: str
    departement_code: str
    year: int
    deadline_id: int | None = None
    contract_id: int | None = None

    @classmethod
    def from_spec(cls, spec: DeadlineSpec, contract_key: str, departement_code: str, year: int,
                  contract_id: int | None = None) -> DeadlineInfo:
        return cls(spec.key(contract_key, year), spec.kind, spec.label, spec.due_date,
                   spec.when.legal, spec.rule_text, spec.source, spec.recipient_role,
                   contract_key, departement_code, year, None, contract_id)


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    role: str  # prefet | ars | departement | budget_controller | coordinator


@dataclass(frozen=True)
class Member:
    """A party member as the recipient rules see it."""

    party: str
    name: str
    email: str
    is_signatory: bool


@dataclass(frozen=True)
class ReminderPolicy:
    offsets_days: tuple[int, ...] = (60, 30, 14, 7, 1, 0)
    offsets_by_kind: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    escalation_every_days: int = 7

    @classmethod
    def from_settings(cls, settings: Settings) -> ReminderPolicy:
        return cls(tuple(settings.reminder_offsets_days),
                   {k: tuple(v) for k, v in settings.reminder_offsets_by_kind.items()},
                   settings.escalation_every_days)

    def offsets_for(self, kind: str) -> tuple[int, ...]:
        return self.offsets_by_kind.get(base_kind(kind), self.offsets_days)


@dataclass(frozen=True)
class PlannedReminder:
    deadline: DeadlineInfo
    kind: str  # reminder | escalation
    slot: str  # J-30, J-0, R+7
    days_before: int  # negative when overdue
    send_on: date
    recipient: Recipient

    @property
    def key(self) -> str:
        return outbox_key(f"{self.deadline.key}@{self.deadline.due_date.isoformat()}",
                          self.slot, self.recipient.email.lower())


def outbox_key(*parts: str) -> str:
    """A unique key from its parts; hashed when too long for the column."""
    key = "|".join(parts)
    if len(key) <= KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return key[: KEY_MAX - 65] + "#" + digest


def reminder_slots(deadline: DeadlineInfo, policy: ReminderPolicy) -> list[tuple[date, int]]:
    """(send day, days before) of every reminder, earliest first; one per send day."""
    return list(_slots(deadline.due_date, calendar_code(deadline.departement_code),
                       tuple(sorted(set(policy.offsets_for(deadline.kind)), reverse=True))))


@lru_cache(maxsize=16384)
def _slots(due: date, code: str | None, offsets: tuple[int, ...]) -> tuple[tuple[date, int], ...]:
    by_day: dict[date, int] = {}
    for offset in offsets:  # largest first: a smaller offset wins when two share a day
        by_day[previous_working_day(due - timedelta(days=offset), code)] = offset
    return tuple(sorted(by_day.items()))


def escalation_day(deadline: DeadlineInfo, policy: ReminderPolicy, n: int) -> date:
    return previous_working_day(
        deadline.due_date + timedelta(days=n * policy.escalation_every_days),
        calendar_code(deadline.departement_code))


def current_reminder(deadline: DeadlineInfo, policy: ReminderPolicy, as_of: date,
                     ) -> tuple[date, int] | None:
    """The reminder slot due on ``as_of`` (the latest whose day has come), before the deadline."""
    if as_of > deadline.due_date:
        return None
    due = [slot for slot in reminder_slots(deadline, policy) if slot[0] <= as_of]
    return due[-1] if due else None


def current_escalation(deadline: DeadlineInfo, policy: ReminderPolicy, as_of: date,
                       ) -> tuple[date, int] | None:
    """(send day, n) of the escalation due on ``as_of``, once the deadline has passed."""
    if as_of <= deadline.due_date or not escalates(deadline.kind):
        return None
    every = max(policy.escalation_every_days, 1)
    n0 = (as_of - deadline.due_date).days // every
    for n in (n0 + 1, n0):
        if n >= 1:
            day = escalation_day(deadline, policy, n)
            if deadline.due_date < day <= as_of:
                return day, n
    return None


def recipients_for(deadline: DeadlineInfo, members: Sequence[Member]) -> list[Recipient]:
    """Who is reminded of a deadline.

    - the Département's contacts for its own deadlines (its signatory only when
      it has no contact);
    - a signature: the signatory of that party, and that party's contacts;
    - a payment: the contacts of the paying party (préfecture for BOP 304, ARS
      for FIR), or its signatory when it has none;
    - ``all``: the contacts of every party.
    """
    role = deadline.recipient_role
    parties = {m.party for m in members} if role == "all" else {role}
    chosen: list[Member] = []
    for party in sorted(parties):
        own = [m for m in members if m.party == party]
        contacts = [m for m in own if not m.is_signatory]
        if base_kind(deadline.kind) == "signature":
            chosen += [m for m in own if m.is_signatory] + contacts
        else:
            chosen += contacts or [m for m in own if m.is_signatory]
    seen: set[str] = set()
    out = []
    for m in chosen:
        if m.email.lower() not in seen:
            seen.add(m.email.lower())
            out.append(Recipient(m.name, m.email, m.party))
    return out


def plan_reminders(deadlines: Iterable[DeadlineInfo],
                   recipients: Callable[[DeadlineInfo], Sequence[Recipient]],
                   coordinator: Callable[[DeadlineInfo], Recipient],
                   policy: ReminderPolicy, as_of: date) -> list[PlannedReminder]:
    """Every e-mail due on ``as_of`` for open ``deadlines`` (pure: no database, no clock)."""
    out: list[PlannedReminder] = []
    for dl in deadlines:
        reminder = current_reminder(dl, policy, as_of)
        if reminder is not None:
            day, offset = reminder
            for rcpt in recipients(dl):
                out.append(PlannedReminder(dl, "reminder", f"J-{offset}", offset, day, rcpt))
        escalation = current_escalation(dl, policy, as_of)
        if escalation is not None:
            day, n = escalation
            out.append(PlannedReminder(dl, "escalation", f"R+{n * policy.escalation_every_days}",
                                       (dl.due_date - as_of).days, day, coordinator(dl)))
    return out
