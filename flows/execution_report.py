"""Phase flow: Rapport d'exécution : adopté et transmis au plus tard un an après la signature."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.client.schemas.objects import State

from flows.common import phase_run_name, run_phase
from models.enums import Phase


@flow(name="execution-report", flow_run_name=phase_run_name(Phase.EXECUTION_REPORT))
def execution_report(contract: str, year: int, avenant: int = 0) -> State[Any]:
    """Rapport d'exécution : adopté et transmis au plus tard un an après la signature."""
    return run_phase(Phase.EXECUTION_REPORT, contract, year, avenant)
