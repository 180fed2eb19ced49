"""Tasks that read and write the state of one exercice's cycle (the source of truth)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from cdppe.core.dates import today_paris
from cdppe.services import lifecycle
from cdppe.services.lifecycle import AnswerRefusedError, Need, mark_phase, next_need, record_answer
from cdppe.store.contracts import find_contract, find_exercice
from cdppe.store.db import session_scope
from cdppe.store.workflow import phase_states
from models import Departement, Exercice
from models.answers import Answer
from models.enums import Phase, PhaseStatus
from tasks.documents import retry_unless_refused


@dataclass(frozen=True)
class ExerciceRef:
    contract_id: int
    contract_key: str
    exercice_id: int
    year: int
    departement_code: str
    departement_name: str
    generation: str = ""

    @property
    def tags(self) -> list[str]:
        """Run tags a coordinator filters on in the UI."""
        return [f"departement-{self.departement_code}", f"exercice-{self.year}",
                f"generation-{self.generation}"]

    @property
    def label(self) -> str:
        return f"{self.departement_name} {self.year}"

    @property
    def slug(self) -> str:
        return f"cdppe-{self.contract_key.lower()}-{self.year}"


def resolve_exercice(contract: str, year: int) -> ExerciceRef:
    with session_scope() as session:
        c = find_contract(session, contract)
        ex = find_exercice(session, c, year)
        dept = session.get(Departement, c.departement_code)
        assert c.id is not None and ex.id is not None
        return ExerciceRef(c.id, c.key, ex.id, ex.year, c.departement_code,
                           dept.name if dept else c.departement_code, c.generation)


def tag_flow_run(ref: ExerciceRef, flow_run_id: str | None) -> None:
    """Add the Département, year and generation tags to the current run (UI filters).

    The run's current tags come from the run context (read when the run started), so a
    run created with its tags costs no API call at all.
    """
    if flow_run_id is None:
        return
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    if ctx is not None and ctx.flow_run is not None and str(ctx.flow_run.id) == flow_run_id:
        current = list(ctx.flow_run.tags)
    else:
        with get_client(sync_client=True) as client:
            current = list(client.read_flow_run(UUID(flow_run_id)).tags)
    wanted = sorted(set(current) | set(ref.tags))
    if wanted != sorted(current):
        with get_client(sync_client=True) as client:
            client.update_flow_run(UUID(flow_run_id), tags=wanted)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def load_exercice(contract: str, year: int, flow_run_id: str | None) -> ExerciceRef:
    """Load the exercice and tag the run for the UI filters (one task run for both)."""
    ref = resolve_exercice(contract, year)
    tag_flow_run(ref, flow_run_id)
    return ref


def read_phase_status(ref: ExerciceRef, phase: Phase, avenant: int = 0) -> PhaseStatus:
    with session_scope() as session:
        row = phase_states(session, exercice_id=ref.exercice_id, avenant=avenant).get(phase)
        return row.status if row else PhaseStatus.PENDING


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def phase_status(ref: ExerciceRef, phase: Phase, avenant: int = 0) -> PhaseStatus:
    return read_phase_status(ref, phase, avenant)


@dataclass(frozen=True)
class OpenedPhase:
    ref: ExerciceRef
    status: PhaseStatus
    need: Need | None  # what the phase waits for now (None: it can complete)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def open_phase(contract: str, year: int, phase: Phase, avenant: int,
               flow_run_id: str | None) -> OpenedPhase:
    """Load the exercice, tag the run, read where the phase stands and what it waits for.

    One task run for what every phase run does first: each task run costs the
    server a few events to record, about 25 ms on two cores when measured.
    """
    ref = resolve_exercice(contract, year)
    tag_flow_run(ref, flow_run_id)
    status = read_phase_status(ref, phase, avenant)
    need = None if status is PhaseStatus.COMPLETED else find_need.fn(ref, phase, avenant)
    return OpenedPhase(ref, status, need)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def find_need(ref: ExerciceRef, phase: Phase, avenant: int = 0) -> Need | None:
    with session_scope() as session:
        exercice = session.get(Exercice, ref.exercice_id)
        assert exercice is not None
        return next_need(session, exercice, phase, avenant)


def mark_waiting(ref: ExerciceRef, phase: Phase, reason: str, flow_run_id: str | None,
                 avenant: int = 0) -> None:
    with session_scope() as session:
        mark_phase(session, ref.exercice_id, phase, PhaseStatus.WAITING, avenant=avenant,
                   waiting_reason=reason, flow_run_id=flow_run_id)


@task(cache_policy=NO_CACHE)
def record(ref: ExerciceRef, phase: Phase, answer: Answer, avenant: int = 0,
           as_of: date | None = None) -> tuple[bool, str]:
    """Record an answer: (True, summary), or (False, why it was refused). Nothing half-written."""
    try:
        with session_scope() as session:
            contract_row = find_contract(session, ref.contract_key)
            exercice = session.get(Exercice, ref.exercice_id)
            assert exercice is not None
            summary = record_answer(session, contract_row, exercice, phase, answer,
                                    as_of or today_paris(), avenant)
    except AnswerRefusedError as exc:
        return False, str(exc)
    return True, summary


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=retry_unless_refused)
def close_phase(ref: ExerciceRef, phase: Phase, flow_run_id: str | None, avenant: int = 0) -> date | None:
    """Generate the phase's documents and mark it completed, in one transaction."""
    with session_scope() as session:
        exercice = session.get(Exercice, ref.exercice_id)
        assert exercice is not None
        return lifecycle.complete_phase(session, ref.contract_id, exercice, phase, avenant, flow_run_id)
