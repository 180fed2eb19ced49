"""Every deployment of the system, used by ``make up`` (serve) and by ``prefect.yaml``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prefect.deployments.runner import RunnerDeployment

from cdppe.core.schedules import DASHBOARD_SCHEDULE, SWEEP_SCHEDULE
from cdppe.ops.doctor import SWEEP_DEPLOYMENT

TAGS = ["cdppe"]


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment: its flow, its kebab-case name and the options both doors share."""

    flow: Any
    name: str
    options: dict[str, Any] = field(default_factory=dict)

    def to_deployment(self) -> RunnerDeployment:
        return self.flow.to_deployment(name=self.name, **self.options)  # type: ignore[no-any-return]


def build_deployments() -> list[RunnerDeployment]:
    return [spec.to_deployment() for spec in deployment_specs()]


def deployment_specs() -> list[DeploymentSpec]:
    from flows.amendment import amendment
    from flows.amendment_decision import amendment_decision
    from flows.annual_cycle import annual_cycle
    from flows.credit_payment import credit_payment
    from flows.deliberation import deliberation
    from flows.diagnosis import diagnosis
    from flows.execution_report import execution_report
    from flows.odpe_review import odpe_review
    from flows.report_entry import report_entry
    from flows.signature import signature

    def deploy(flow_obj: Any, name: str, tags: list[str], **kwargs: Any) -> DeploymentSpec:
        return DeploymentSpec(flow_obj, name, dict(
            tags=TAGS + tags, description=flow_obj.description, enforce_parameter_schema=True, **kwargs))

    specs = [
        deploy(annual_cycle, "cycle-annuel", ["cycle"]),
        deploy(diagnosis, "diagnostic", ["phase"]),
        deploy(deliberation, "deliberation", ["phase"]),
        deploy(signature, "signature", ["phase"]),
        deploy(credit_payment, "versement-credits", ["phase"]),
        deploy(odpe_review, "avis-odpe", ["phase"]),
        deploy(execution_report, "rapport-execution", ["phase"]),
        deploy(report_entry, "rapport-fiche", ["rapport", "coordinateur"]),
        deploy(amendment_decision, "decision-avenant", ["phase"]),
        deploy(amendment, "avenant", ["avenant", "operateur"]),
    ]
    specs.extend(_sweep_deployments(deploy))
    specs.extend(_national_deployments(deploy))
    return specs


def _national_deployments(deploy: Any) -> list[DeploymentSpec]:
    """Opening next year's exercice, the contract as amended, the daily national dashboard."""
    from prefect.schedules import Cron

    from flows.consolidation import contract_as_amended
    from flows.dashboard import national_dashboard
    from flows.exercice_opening import exercice_opening

    return [
        deploy(exercice_opening, "ouverture-exercice", ["exercice", "operateur"]),
        deploy(contract_as_amended, "contrat-consolide", ["avenant"]),
        deploy(national_dashboard, "tableau-de-bord-national", ["national"],
               schedules=[Cron(DASHBOARD_SCHEDULE.cron, timezone=DASHBOARD_SCHEDULE.timezone)]),
    ]


def _sweep_deployments(deploy: Any) -> list[DeploymentSpec]:
    """The daily reminder sweep and the watch its automation runs when a sweep is missed."""
    from prefect.schedules import Cron

    from flows.reminders import send_due_reminders

    return [deploy(send_due_reminders, SWEEP_DEPLOYMENT, ["relances"],
                   schedules=[Cron(SWEEP_SCHEDULE.cron, timezone=SWEEP_SCHEDULE.timezone)]),
            _sweep_watch_deployment(deploy)]


def _sweep_watch_deployment(deploy: Any) -> DeploymentSpec:
    """Run by its automation when no sweep completed in time (see flows/sweep_watch.py)."""
    from datetime import timedelta

    from prefect.events import DeploymentEventTrigger

    from cdppe.core.settings import get_settings
    from flows.sweep_watch import sweep_watch

    hours = get_settings().sweep_incident_after_hours
    missed_sweep = DeploymentEventTrigger(
        name="Relance quotidienne manquée", posture="Proactive",
        expect={"prefect.flow-run.Completed"},
        match_related={"prefect.resource.role": "deployment", "prefect.resource.name": SWEEP_DEPLOYMENT},
        within=timedelta(hours=hours), threshold=1)
    watch: DeploymentSpec = deploy(sweep_watch, "surveillance-relances", ["relances", "incident"],
                                   triggers=[missed_sweep])
    return watch
