"""Tasks that open and apply avenants."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from cdppe.core.dates import today_paris
from cdppe.services.amendments import (
    AmendmentRefusedError,
    OpenedAmendment,
    apply_signed_amendment,
    open_amendment,
)
from cdppe.store.db import session_scope
from cdppe.store.workflow import get_amendment
from models import Contract, Exercice
from models.amendment_request import AmendmentRequest
from models.enums import AmendmentStatus
from tasks.cycle import ExerciceRef


@task(cache_policy=NO_CACHE)
def open_avenant(ref: ExerciceRef, request: AmendmentRequest,
                 flow_run_id: str | None) -> OpenedAmendment | list[str]:
    """The avenant opened, or every reason the request is refused (a result, not an exception:
    a refusal is the operator's to read, not a failure of the system with its traceback)."""
    try:
        with session_scope() as session:
            contract = session.get(Contract, ref.contract_id)
            exercice = session.get(Exercice, ref.exercice_id)
            assert contract is not None and exercice is not None
            return open_amendment(session, contract, exercice, request, today_paris(), flow_run_id)
    except AmendmentRefusedError as exc:
        return exc.problems


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def apply_avenant(ref: ExerciceRef, number: int) -> dict[str, str]:
    with session_scope() as session:
        exercice = session.get(Exercice, ref.exercice_id)
        amendment = get_amendment(session, exercice_id=ref.exercice_id, number=number)
        assert exercice is not None
        if amendment.status != AmendmentStatus.SIGNED:
            raise RuntimeError(f"avenant n° {number} non signé")
        return apply_signed_amendment(session, exercice, amendment)
