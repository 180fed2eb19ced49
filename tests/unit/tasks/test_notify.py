"""The reminder tasks keep their retries."""

from __future__ import annotations

from tasks.cycle import close_phase
from tasks.deadlines import sync_all_deadlines_task
from tasks.notify import drain_outbox_task, queue_reminders_task


def test_tasks_have_retries() -> None:
    for t in (sync_all_deadlines_task, queue_reminders_task, drain_outbox_task, close_phase):
        assert t.retries >= 2
