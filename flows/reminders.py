"""The daily sweep: recompute deadlines, queue the reminders due today, send the outbox.

Deployed on ``Cron("0 8 * * 1-5", timezone="Europe/Paris")`` (see
``deployments/definitions.py``). The business rules live in
``cdppe.services.reminders``; this flow only sequences three tasks.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow
from prefect.runtime import flow_run as runtime_flow_run

from cdppe.core.dates import today_paris
from tasks.deadlines import sync_all_deadlines_task
from tasks.notify import drain_outbox_task, queue_reminders_task


def reminders_run_name() -> str:
    """``Relances du 2024-11-04`` (today in Europe/Paris when no date is given)."""
    as_of = runtime_flow_run.parameters.get("as_of")
    return f"Relances du {as_of or today_paris().isoformat()}"


@flow(name="relances-echeances", flow_run_name=reminders_run_name, log_prints=True)
async def send_due_reminders(as_of: date | None = None) -> dict[str, Any]:
    """Relances quotidiennes : échéances recalculées, rappels du jour envoyés, retards signalés."""
    day = as_of or today_paris()
    synced = sync_all_deadlines_task(day)
    queued = queue_reminders_task(day)
    sent = await drain_outbox_task()
    print(f"Relances du {day.isoformat()} : {queued['queued']} mise(s) en file, "
          f"{sent['sent']} envoyée(s), {sent['deferred']} différée(s), {sent['failed']} en échec.")
    return {"as_of": day.isoformat(), "deadlines": synced, "queue": queued, "send": sent}
