"""Prefect tasks that queue and send the e-mails (thin wrappers over ``cdppe.services.reminders``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from cdppe.services.reminders.outbox import queue_due_reminders
from cdppe.services.reminders.sender import drain_outbox
from cdppe.store.db import get_engine


@task(name="mettre-en-file-relances", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def queue_reminders_task(as_of: date) -> dict[str, int]:
    """Queue the reminders due on ``as_of`` in the outbox (each one once)."""
    result = queue_due_reminders(get_engine(), as_of)
    return {"planned": result.planned, "queued": result.queued, "duplicates": result.duplicates}


@task(name="envoyer-courriels", retries=3, retry_delay_seconds=[10, 60, 300],
      cache_policy=NO_CACHE)
async def drain_outbox_task(now: datetime | None = None) -> dict[str, Any]:
    """Send the pending e-mails over one SMTP connection; failures stay in the outbox."""
    return asdict(await drain_outbox(get_engine(), now=now))
