"""Every deployment of the system, used by ``make up`` (serve) and by ``prefect.yaml``."""

from __future__ import annotations

from typing import Any

from prefect.deployments.runner import RunnerDeployment

from cdppe.doctor import SWEEP_DEPLOYMENT

TAGS = ["cdppe"]


def build_deployments() -> list[RunnerDeployment]:
    from flows.amendment_decision import amendment_decision
    from flows.annual_cycle import annual_cycle
    from flows.credit_payment import credit_payment
    from flows.deliberation import deliberation
    from flows.diagnosis import diagnosis
    from flows.execution_report import execution_report
    from flows.odpe_review import odpe_review
    from flows.signature import signature

    def deploy(flow_obj: Any, name: str, tags: list[str], **kwargs: Any) -> RunnerDeployment:
        return flow_obj.to_deployment(  # type: ignore[no-any-return]
            name=name, tags=TAGS + tags, description=flow_obj.description,
            enforce_parameter_schema=True, **kwargs)

    deployments = [
        deploy(annual_cycle, "cycle-annuel", ["cycle"]),
        deploy(diagnosis, "diagnostic", ["phase"]),
        deploy(deliberation, "deliberation", ["phase"]),
        deploy(signature, "signature", ["phase"]),
        deploy(credit_payment, "versement-credits", ["phase"]),
        deploy(odpe_review, "avis-odpe", ["phase"]),
        deploy(execution_report, "rapport-execution", ["phase"]),
        deploy(amendment_decision, "decision-avenant", ["phase"]),
    ]
    deployments.extend(_optional_deployments(deploy))
    deployments.extend(_national_deployments(deploy))
    return deployments


def _national_deployments(deploy: Any) -> list[RunnerDeployment]:
    """Opening next year's exercice, the contract as amended, the daily national dashboard."""
    from prefect.schedules import Cron

    from flows.consolidation import contract_as_amended
    from flows.dashboard import national_dashboard
    from flows.exercice_opening import exercice_opening

    return [
        deploy(exercice_opening, "ouverture-exercice", ["exercice", "operateur"]),
        deploy(contract_as_amended, "contrat-consolide", ["avenant"]),
        deploy(national_dashboard, "tableau-de-bord-national", ["national"],
               schedules=[Cron("0 7 * * *", timezone="Europe/Paris")]),
    ]


def _optional_deployments(deploy: Any) -> list[RunnerDeployment]:
    """Deployments of flows that live in their own modules (amendment, reminders)."""
    out: list[RunnerDeployment] = []
    try:
        from flows.amendment import amendment
    except ImportError:
        pass
    else:
        out.append(deploy(amendment, "avenant", ["avenant", "operateur"]))
    try:
        from prefect.schedules import Cron

        from flows.reminders import send_due_reminders
    except ImportError:
        pass
    else:
        out.append(deploy(send_due_reminders, SWEEP_DEPLOYMENT, ["relances"],
                          schedules=[Cron("0 8 * * 1-5", timezone="Europe/Paris")]))
        out.append(_sweep_watch_deployment(deploy))
    return out


def _sweep_watch_deployment(deploy: Any) -> RunnerDeployment:
    """Run by its automation when no sweep completed in time (see flows/sweep_watch.py)."""
    from datetime import timedelta

    from prefect.events import DeploymentEventTrigger

    from cdppe.settings import get_settings
    from flows.sweep_watch import sweep_watch

    hours = get_settings().sweep_incident_after_hours
    missed_sweep = DeploymentEventTrigger(
        name="Relance quotidienne manquée", posture="Proactive",
        expect={"prefect.flow-run.Completed"},
        match_related={"prefect.resource.role": "deployment", "prefect.resource.name": SWEEP_DEPLOYMENT},
        within=timedelta(hours=hours), threshold=1)
    watch: RunnerDeployment = deploy(sweep_watch, "surveillance-relances", ["relances", "incident"],
                                     triggers=[missed_sweep])
    return watch
