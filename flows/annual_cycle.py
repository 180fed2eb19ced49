"""Starting (or continuing) an exercice's cycle: the run of the phase it stands at.

The cycle itself is no run: each phase is a run of its own deployment, which starts the next
one when it completes (``flows/common.py``). This flow is the operator's button to start an
exercice, or to restart it after its phase run was cancelled; starting twice gives the same
phase run (idempotency key per exercice, phase and avenant).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run as runtime_flow_run
from prefect.states import Completed

from cdppe.ops.phase_runs import start_phase_run
from cdppe.services.lifecycle import current_phase
from cdppe.store.db import session_scope
from flows.amendment_decision import amendment_decision
from flows.common import current_flow_run_id
from flows.credit_payment import credit_payment
from flows.deliberation import deliberation
from flows.diagnosis import diagnosis
from flows.execution_report import execution_report
from flows.odpe_review import odpe_review
from flows.signature import signature
from models.enums import Phase
from tasks.artifacts import publish_progress
from tasks.cycle import load_exercice, resolve_exercice

# The phase flows, for callers that run a phase in-process (the simulation, benchmarks).
PHASE_FLOWS: dict[Phase, Callable[..., State[Any]]] = {
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
    return f"{label} · lancement du cycle"


@task(name="lancer la phase en cours", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def start_current_phase(contract: str, year: int) -> str:
    ref = resolve_exercice(contract, year)
    with session_scope() as session:
        phase = current_phase(session, ref.exercice_id)
    if phase is None:
        return f"Le cycle de {ref.label} est terminé : rien à lancer."
    run = start_phase_run(ref.contract_key, ref.year, phase, 0, ref.tags, ref.label)
    return f"Phase en cours de {ref.label} : {phase.label} (run « {run.name} »)."


@flow(name="annual-cycle", flow_run_name=cycle_run_name)
def annual_cycle(contract: str, year: int) -> State[Any]:
    """Lance ou reprend le cycle annuel d'un exercice : démarre le run de la phase où il en est."""
    ref = load_exercice(contract, year, current_flow_run_id())
    publish_progress(ref)
    return Completed(message=start_current_phase(contract, year))
