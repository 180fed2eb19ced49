"""Open next year's exercice from this year's (operators' form), then start its cycle."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run as runtime_flow_run

from models.exercice_request import ExerciceOpeningRequest
from tasks.national import open_next_exercice, publish_consolidated


def opening_run_name() -> str:
    params: dict[str, Any] = runtime_flow_run.parameters
    request = params.get("request")
    data = request.model_dump() if isinstance(request, ExerciceOpeningRequest) else dict(request or {})
    return f"{data.get('contract')} {data.get('year')} · ouverture de l'exercice"


@flow(name="exercice-opening", flow_run_name=opening_run_name)
def exercice_opening(request: ExerciceOpeningRequest) -> str:
    """Ouverture de l'exercice suivant : fiches, montants, cibles, report de crédits proposé, campagne."""
    result = open_next_exercice(request)
    publish_consolidated(request.contract)
    if request.start_cycle:
        from cdppe.ops.phase_runs import start_phase_run
        from models.enums import Phase
        from tasks.cycle import resolve_exercice

        try:
            start_phase_run(result.contract_key, result.year, Phase.DIAGNOSIS, 0,
                            resolve_exercice(result.contract_key, result.year).tags)
        except Exception as exc:  # noqa: BLE001 - the exercice is open; the cycle can start later
            get_run_logger().warning("diagnostic non démarré : %s", exc)
    carry = ", ".join(f"{k} {v} €" for k, v in result.record["carry_over"].items()) or "aucun"
    if result.already_opened:
        return f"Exercice {result.year} déjà ouvert : rien n'a été modifié (report proposé : {carry})."
    return f"Exercice {result.year} ouvert à partir de {result.from_year} (report proposé : {carry})."
