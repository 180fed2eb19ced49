"""The digest's pure rules: a person's choice, the order, the calendar events a message carries."""

from __future__ import annotations

from datetime import date

from cdppe.domain.digest import (
    ContactChoice,
    Delivered,
    EventState,
    allowed,
    calendar_changes,
    group_digests,
)
from cdppe.domain.reminder_policy import DeadlineInfo, PlannedReminder, Recipient
from models.enums import ContactMode, DeadlineStatus

TODAY = date(2024, 12, 2)


def planned(days_before: int, kind: str = "reminder", to: str = "a@x.fr", label: str = "Signature",
            ) -> PlannedReminder:
    due = date.fromordinal(TODAY.toordinal() + days_before)
    dl = DeadlineInfo(f"71-2024:2024:{label}", "signature:ars", label, due, due, "", "contrat", "ars",
                      "71-2024", "71", 2024, 1, 1)
    return PlannedReminder(dl, kind, f"J-{days_before}", days_before, TODAY, Recipient("A", to, "ars"))


def test_a_paused_person_gets_no_reminder_but_escalations_still_go() -> None:
    paused = ContactChoice(ContactMode.PAUSED)
    assert not allowed(planned(14), paused, TODAY)
    assert not allowed(planned(0), paused, TODAY)
    assert allowed(planned(-7, "escalation"), paused, TODAY)


def test_reduced_keeps_the_last_week_only_and_a_choice_ends_after_its_day() -> None:
    reduced = ContactChoice(ContactMode.REDUCED, until=date(2024, 12, 31))
    assert [allowed(planned(d), reduced, TODAY) for d in (60, 30, 14, 8, 7, 1, 0)] == \
        [False, False, False, False, True, True, True]
    assert allowed(planned(30), reduced, date(2025, 1, 1))  # back to every reminder
    assert allowed(planned(30), None, TODAY) and allowed(planned(30), ContactChoice(), TODAY)


def test_one_digest_per_address_most_urgent_first() -> None:
    items = [planned(14, to="a@x.fr", label="ODPE"), planned(-3, "escalation", to="A@X.fr", label="Vers"),
             planned(7, to="b@x.fr", label="Sig"), planned(1, to="a@x.fr", label="Rapport")]
    digests = group_digests(items, lambda p: p)
    assert [address for address, _ in digests] == ["a@x.fr", "b@x.fr"]
    assert [p.deadline.label for p in digests[0][1]] == ["Vers", "Rapport", "ODPE"]


def test_the_next_message_updates_moved_events_and_cancels_closed_ones() -> None:
    current = {1: EventState(1, 0, DeadlineStatus.OPEN), 2: EventState(2, 2, DeadlineStatus.OPEN),
               3: EventState(3, 3, DeadlineStatus.DONE), 4: EventState(4, 1, DeadlineStatus.CANCELLED),
               5: EventState(5, 1, DeadlineStatus.OPEN)}
    delivered = {2: Delivered(1, False), 3: Delivered(2, False), 4: Delivered(1, True),
                 5: Delivered(1, False)}
    publish, cancel = calendar_changes([current[1]], delivered, current)
    assert publish == [1, 2]  # in the digest; moved since last received (5 did not move)
    assert cancel == [3]  # done; 4 was already cancelled for this person
