"""Phase flow: Signature par le Préfet, l'ARS et le Département (et le contrôleur budgétaire si requis)."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.client.schemas.objects import State

from flows.common import phase_run_name, run_phase
from models.enums import Phase


@flow(name="signature", flow_run_name=phase_run_name(Phase.SIGNATURE))
def signature(contract: str, year: int, avenant: int = 0) -> State[Any]:
    """Signature par le Préfet, l'ARS et le Département (et le contrôleur budgétaire si requis)."""
    return run_phase(Phase.SIGNATURE, contract, year, avenant)
