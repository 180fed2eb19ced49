"""Phase flow: Versement des crédits par enveloppe (BOP 304 par le Préfet, FIR par l'ARS)."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.client.schemas.objects import State

from flows.common import phase_run_name, run_phase
from models.enums import Phase


@flow(name="credit-payment", flow_run_name=phase_run_name(Phase.CREDIT_PAYMENT))
def credit_payment(contract: str, year: int, avenant: int = 0) -> State[Any]:
    """Versement des crédits par enveloppe (BOP 304 par le Préfet, FIR par l'ARS)."""
    return run_phase(Phase.CREDIT_PAYMENT, contract, year, avenant)
