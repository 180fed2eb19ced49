"""Phase flow: Décision annuelle sur l'avenant (montants, report de crédits, fongibilité)."""

from __future__ import annotations

from prefect import flow

from flows.common import phase_run_name, run_phase
from models.enums import Phase


@flow(name="amendment-decision", flow_run_name=phase_run_name(Phase.AMENDMENT))
def amendment_decision(contract: str, year: int, avenant: int = 0) -> str:
    """Décision annuelle sur l'avenant (montants, report de crédits, fongibilité)."""
    return run_phase(Phase.AMENDMENT, contract, year, avenant)
