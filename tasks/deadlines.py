"""Prefect tasks around the deadline catalogue (thin wrappers over ``cdppe.services.reminders.sync``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from cdppe.services.reminders.sync import sync_all_deadlines
from cdppe.store.db import session_scope


@task(name="recalculer-echeances", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def sync_all_deadlines_task(as_of: date) -> dict[str, int]:
    """Recompute the deadlines of every exercice as of ``as_of``."""
    with session_scope() as session:
        return asdict(sync_all_deadlines(session, as_of))
