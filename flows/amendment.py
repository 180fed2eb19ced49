"""Amendment flow for operators: open avenant n° N+1, then its deliberation and signature."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.runtime import flow_run as runtime_flow_run

from flows.common import current_flow_run_id, finish_phase, run_phase
from models.amendment_request import AmendmentRequest
from models.enums import Phase, PhaseStatus
from tasks.amendments import apply_avenant, open_avenant
from tasks.cycle import open_exercice, phase_status, resolve_exercice
from tasks.national import publish_consolidated


def amendment_run_name() -> str:
    params: dict[str, Any] = runtime_flow_run.parameters
    request = params.get("request")
    data = request.model_dump() if isinstance(request, AmendmentRequest) else dict(request or {})
    try:
        label = resolve_exercice(str(data["contract"]), int(data["year"])).label
    except Exception:  # noqa: BLE001 - a name must never fail the run
        label = f"{data.get('contract')} {data.get('year')}"
    return f"{label} · avenant"


@flow(name="amendment", flow_run_name=amendment_run_name)
def amendment(request: AmendmentRequest) -> str:
    """Avenant : nouvelles enveloppes et leurs parts, fiches, fongibilité, puis délibération et signature."""
    ref = open_exercice(request.contract, request.year, current_flow_run_id())
    opened = open_avenant(ref, request, current_flow_run_id())
    if opened.duplicate:
        return f"Avenant n° {opened.number} déjà ouvert par une demande identique : rien de plus."
    number = opened.number
    run_phase(Phase.DELIBERATION, request.contract, request.year, avenant=number)
    run_phase(Phase.SIGNATURE, request.contract, request.year, avenant=number)
    if phase_status(ref, Phase.AMENDMENT, number) is not PhaseStatus.COMPLETED:
        apply_avenant(ref, number)
        finish_phase(ref, Phase.AMENDMENT, number)
        publish_consolidated(request.contract)  # the contract as amended, refreshed
    return f"Avenant n° {number} signé et appliqué."
