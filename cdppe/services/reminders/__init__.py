"""Deadlines kept in the database, the reminder policy, the outbox and its SMTP sender.

Entry points for the flows (all plain functions, testable without Prefect):

- ``sync_deadlines(session, exercice_id, as_of) -> SyncResult``: recompute and
  upsert the ``Deadline`` rows of one exercice (call it after every recorded step);
- ``sync_all_deadlines(session, as_of) -> SyncResult``;
- ``queue_due_reminders(engine, as_of, *, settings=None, now=None) -> QueueResult``;
- ``await drain_outbox(engine, *, now=None) -> DrainResult``.
"""

from cdppe.domain.reminder_policy import PlannedReminder, ReminderPolicy, plan_reminders
from cdppe.services.reminders.outbox import QueueResult, due_reminders, queue_due_reminders
from cdppe.services.reminders.sender import DrainResult, drain_outbox
from cdppe.services.reminders.sync import SyncResult, sync_all_deadlines, sync_deadlines

__all__ = [
    "DrainResult",
    "PlannedReminder",
    "QueueResult",
    "ReminderPolicy",
    "SyncResult",
    "drain_outbox",
    "due_reminders",
    "plan_reminders",
    "queue_due_reminders",
    "sync_all_deadlines",
    "sync_deadlines",
]
