"""Phase flow: Avis de l'observatoire départemental de la protection de l'enfance sur le projet de rapport."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.client.schemas.objects import State

from flows.common import phase_run_name, run_phase
from models.enums import Phase


@flow(name="odpe-review", flow_run_name=phase_run_name(Phase.ODPE_REVIEW))
def odpe_review(contract: str, year: int, avenant: int = 0) -> State[Any]:
    """Avis de l'observatoire départemental de la protection de l'enfance sur le projet de rapport."""
    return run_phase(Phase.ODPE_REVIEW, contract, year, avenant)
