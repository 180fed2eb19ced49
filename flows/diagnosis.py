"""Phase flow: Diagnostic territorial partagé : fiches action et plan d'action validés par les parties."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.client.schemas.objects import State

from flows.common import phase_run_name, run_phase
from models.enums import Phase


@flow(name="diagnosis", flow_run_name=phase_run_name(Phase.DIAGNOSIS))
def diagnosis(contract: str, year: int, avenant: int = 0) -> State[Any]:
    """Diagnostic territorial partagé : fiches action et plan d'action validés par les parties."""
    return run_phase(Phase.DIAGNOSIS, contract, year, avenant)
