"""``cdppe doctor``: read the stack's state (Prefect API, database, SMTP) and apply cdppe.ops.health."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cdppe.core.dates import utcnow
from cdppe.core.paths import PROJECT_DIR
from cdppe.core.schedules import CronSpec
from cdppe.core.settings import Settings
from cdppe.ops.health import (
    Check,
    deployments_check,
    outbox_check,
    scheduled_runs_check,
    sweep_check,
)
from cdppe.ops.prefect_access import PrefectUnavailableError, require_prefect_api

PREFECT_YAML = PROJECT_DIR / "deployments" / "prefect.yaml"
SWEEP_DEPLOYMENT = "relances-quotidiennes"


@dataclass(frozen=True)
class DeclaredDeployments:
    names: set[str]
    scheduled: set[str]


def declared_deployments(path: Path = PREFECT_YAML) -> DeclaredDeployments:
    """What deployments/prefect.yaml declares (the served ones mirror it, a test checks)."""
    import yaml

    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    names = {str(d["name"]) for d in spec["deployments"]}
    return DeclaredDeployments(names, {str(d["name"]) for d in spec["deployments"] if d.get("schedules")})


def cron_specs(deployment: Any) -> list[CronSpec]:
    specs = []
    for item in deployment.schedules or []:
        cron = getattr(item.schedule, "cron", None)
        if cron and item.active:
            specs.append(CronSpec(cron=str(cron), timezone=str(item.schedule.timezone or "UTC")))
    return specs


async def run_times(client: Any, deployment_id: Any, state: str, limit: int) -> list[datetime]:
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    sort = FlowRunSort.EXPECTED_START_TIME_ASC if state == "SCHEDULED" else FlowRunSort.END_TIME_DESC
    runs = await client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
        flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[state]))),
        sort=sort, limit=limit)
    times = [r.expected_start_time if state == "SCHEDULED" else r.end_time for r in runs]
    return [t for t in times if t is not None]


async def prefect_checks(now: datetime) -> list[Check]:
    from prefect.client.orchestration import get_client

    declared = declared_deployments()
    async with get_client() as client:
        registered = {d.name: d for d in await client.read_deployments()}
        checks = [deployments_check(declared.names, set(registered))]
        for name in sorted(declared.scheduled & set(registered)):
            deployment = registered[name]
            checks.append(scheduled_runs_check(name, await run_times(client, deployment.id, "SCHEDULED", 5),
                                               now=now))
        sweep = registered.get(SWEEP_DEPLOYMENT)
        if sweep is not None:
            checks.append(await sweep_status(client, sweep, now))
    return checks


async def sweep_status(client: Any, sweep: Any, now: datetime) -> Check:
    completed = await run_times(client, sweep.id, "COMPLETED", 1)
    return sweep_check(now=now, schedules=cron_specs(sweep), registered_at=sweep.created,
                       last_completed_at=completed[0] if completed else None)


async def current_sweep_status(now: datetime) -> Check:
    """The sweep check alone, on the configured API (the sweep watch flow's question)."""
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        deployments = await client.read_deployments()
        sweep = next((d for d in deployments if d.name == SWEEP_DEPLOYMENT), None)
        if sweep is None:
            return Check("Relance quotidienne exécutée", False,
                         f"le déploiement {SWEEP_DEPLOYMENT} n'est pas enregistré.")
        return await sweep_status(client, sweep, now)


def smtp_check(settings: Settings) -> Check:
    from cdppe.services.reminders.sender import smtp_answers

    label = "Serveur SMTP"
    try:
        return Check(label, True, f"répond : {asyncio.run(smtp_answers(settings))}.")
    except Exception as exc:  # noqa: BLE001 - any failure to talk SMTP is the finding
        from cdppe.services.reminders.sender import smtp_target

        host, port = smtp_target(settings)
        return Check(label, False, f"{host}:{port} ne répond pas ({type(exc).__name__} : {exc}).")


def database_checks(settings: Settings, now: datetime) -> list[Check]:
    from cdppe.services.reminders.sender import stuck_messages
    from cdppe.store.db import get_engine

    try:
        stuck = stuck_messages(get_engine(), now, settings)
    except Exception as exc:  # noqa: BLE001 - an unreadable database is the finding
        return [Check("Base de données", False, f"illisible ({type(exc).__name__} : {exc}).")]
    return [outbox_check(stuck, now=now)]


def diagnose(settings: Settings, now: datetime | None = None) -> list[Check]:
    """Every check, in the order a coordinator reads them; Prefect ones only if the API answers."""
    now = now or utcnow()
    checks: list[Check] = []
    try:
        api_url = require_prefect_api()
    except PrefectUnavailableError as exc:
        checks.append(Check("API Prefect", False, str(exc)))
    else:
        checks.append(Check("API Prefect", True, f"répond à {api_url}."))
        checks.extend(asyncio.run(prefect_checks(now)))
    checks.extend(database_checks(settings, now))
    checks.append(smtp_check(settings))
    return checks
