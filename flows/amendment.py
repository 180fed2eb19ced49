"""Amendment flow for operators: open avenant n° N+1; its deliberation, signature and application
are phase runs of their own (``… · délibération (avenant n° 1)``)."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed

from cdppe.ops.phase_runs import start_phase_run
from flows.common import current_flow_run_id, finish_phase, form_run_name, from_deployment, start_next_phase
from models.amendment_request import AmendmentRequest
from models.enums import Phase, PhaseStatus
from tasks.amendments import apply_avenant, open_avenant
from tasks.cycle import load_exercice, phase_status
from tasks.national import publish_consolidated


@flow(name="amendment", flow_run_name=form_run_name("request", lambda _: "demande d'avenant"))
def amendment(request: AmendmentRequest) -> State[Any]:
    """Avenant : nouvelles enveloppes et leurs parts, fiches, fongibilité ; ouvre sa délibération."""
    ref = load_exercice(request.contract, request.year, current_flow_run_id())
    opened = open_avenant(ref, request, current_flow_run_id())
    if isinstance(opened, list):  # the operator's request breaks rules: each one said, no traceback
        return Failed(name="Refusé", message="Avenant refusé :\n" + "\n".join(f"- {r}" for r in opened))
    if opened.duplicate:
        return Completed(message=f"Avenant n° {opened.number} déjà ouvert par une demande identique : "
                                 "rien de plus.")
    run = start_phase_run(request.contract, request.year, Phase.DELIBERATION, opened.number, ref.tags,
                          ref.label)
    return Completed(message=f"Avenant n° {opened.number} ouvert ; sa délibération attend dans le run "
                             f"« {run.name} ».")


def apply_signed_avenant(contract: str, year: int, number: int) -> State[Any]:
    """The avenant's last phase: applied to the figures once signed, the consolidated contract refreshed."""
    ref = load_exercice(contract, year, current_flow_run_id())
    if phase_status(ref, Phase.AMENDMENT, number) is not PhaseStatus.COMPLETED:
        apply_avenant(ref, number)
        finish_phase(ref, Phase.AMENDMENT, number)
        publish_consolidated(contract)
    message = f"Avenant n° {number} signé et appliqué."
    if from_deployment():  # then the payment of its new money, if it brings some
        message += " " + start_next_phase(ref, Phase.AMENDMENT, number)
    return Completed(message=message)
