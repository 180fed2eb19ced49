"""The annual cycle: one exercice of one contract through its seven phases, in order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import flow
from prefect.runtime import flow_run as runtime_flow_run

from flows.amendment_decision import amendment_decision
from flows.common import COMPLETED, answer_loop, current_flow_run_id, without_heartbeat
from flows.credit_payment import credit_payment
from flows.deliberation import deliberation
from flows.diagnosis import diagnosis
from flows.execution_report import execution_report
from flows.odpe_review import odpe_review
from flows.signature import signature
from models.enums import PHASE_ORDER, Phase, PhaseStatus
from tasks.artifacts import publish_progress
from tasks.cycle import open_exercice, phase_status, resolve_exercice

PHASE_FLOWS: dict[Phase, Callable[..., str]] = {
    Phase.DIAGNOSIS: diagnosis,
    Phase.DELIBERATION: deliberation,
    Phase.SIGNATURE: signature,
    Phase.CREDIT_PAYMENT: credit_payment,
    Phase.ODPE_REVIEW: odpe_review,
    Phase.EXECUTION_REPORT: execution_report,
    Phase.AMENDMENT: amendment_decision,
}


def cycle_run_name() -> str:
    params: dict[str, Any] = runtime_flow_run.parameters
    try:
        label = resolve_exercice(str(params["contract"]), int(params["year"])).label
    except Exception:  # noqa: BLE001 - a name must never fail the run
        label = f"{params.get('contract')} {params.get('year')}"
    return f"{label} · cycle annuel"


@flow(name="annual-cycle", flow_run_name=cycle_run_name)
def annual_cycle(contract: str, year: int) -> dict[str, str]:
    """Cycle annuel d'un exercice : du diagnostic à l'avenant, en attendant les réponses des personnes."""
    ref = open_exercice(contract, year, current_flow_run_id())
    publish_progress(ref)
    outcomes: dict[str, str] = {}
    for phase in PHASE_ORDER:
        if phase_status(ref, phase) is not PhaseStatus.COMPLETED:
            phase_flow = PHASE_FLOWS[phase]

            def step(phase_flow: Callable[..., str] = phase_flow) -> str:
                with without_heartbeat():
                    return phase_flow(contract=contract, year=year)

            answer_loop(ref, phase, 0, step)
        outcomes[phase.value] = COMPLETED
    return outcomes
