"""Phase flow: Délibération du conseil départemental, exécutoire à réception par la préfecture (@ctes)."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.client.schemas.objects import State

from flows.common import phase_run_name, run_phase
from models.enums import Phase


@flow(name="deliberation", flow_run_name=phase_run_name(Phase.DELIBERATION))
def deliberation(contract: str, year: int, avenant: int = 0) -> State[Any]:
    """Délibération du conseil départemental, exécutoire à réception par la préfecture (@ctes)."""
    return run_phase(Phase.DELIBERATION, contract, year, avenant)
