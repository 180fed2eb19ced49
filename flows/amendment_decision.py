"""Phase flow: Décision annuelle sur l'avenant (montants, report de crédits, fongibilité)."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.client.schemas.objects import State

from flows.common import phase_run_name, run_phase
from models.enums import Phase


@flow(name="amendment-decision", flow_run_name=phase_run_name(Phase.AMENDMENT))
def amendment_decision(contract: str, year: int, avenant: int = 0) -> State[Any]:
    """Décision annuelle sur l'avenant (montants, report de crédits, fongibilité) ; pour un avenant
    signé, son application aux montants."""
    if avenant:
        from flows.amendment import apply_signed_avenant

        return apply_signed_avenant(contract, year, avenant)
    return run_phase(Phase.AMENDMENT, contract, year, avenant)
