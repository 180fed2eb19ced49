"""Watching the daily sweep: a missed one becomes an incident the Prefect UI shows.

Mechanism: the ``surveillance-relances`` deployment carries a *proactive* Prefect
automation (a deployment trigger): when no run of ``relances-quotidiennes`` has
completed for ``CDPPE_SWEEP_INCIDENT_AFTER_HOURS`` hours (26 by default), the
automation runs this flow. The flow applies the calendar-aware rule of
``cdppe doctor`` (weekends are not missed sweeps) and, when the sweep really was
missed, ends **Failed** (red in the runs list) with the reason as its state
message and a ``cdppe-incident-relances`` artifact. Incidents proper are a Prefect
Cloud feature; a failed run with its artifact is what the open-source server shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed

from cdppe.core.dates import format_datetime_fr, utcnow
from cdppe.ops.doctor import current_sweep_status

INCIDENT_ARTIFACT = "cdppe-incident-relances"


@flow(name="surveillance-relances", flow_run_name="Surveillance des relances quotidiennes")
async def sweep_watch(as_of: datetime | None = None) -> State[Any]:
    """Surveillance des relances : une relance quotidienne manquée devient un run en échec (incident)."""
    now = as_of or utcnow()
    check = await current_sweep_status(now)
    if check.ok:
        return Completed(message=f"Pas d'incident : {check.detail}")
    await acreate_markdown_artifact(
        key=INCIDENT_ARTIFACT,
        markdown=f"## Incident : relance quotidienne manquée\n\nConstaté le {format_datetime_fr(now)} : "
                 f"{check.detail}\n\nAucun rappel n'est parti depuis. Vérifiez la pile avec "
                 "`cdppe doctor`, puis lancez la relance à la main (déploiement `relances-quotidiennes`, "
                 "« Run »).",
        description="Incident : relance quotidienne manquée")
    return Failed(message=f"Incident : {check.detail}")
