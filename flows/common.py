"""Orchestration shared by the phase flows: waiting for people, run names, phase driver."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.exceptions import Pause
from prefect.input.run_input import RunInput, keyset_from_base_key, run_input_subclass_from_type
from prefect.runtime import flow_run as runtime_flow_run
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.states import Paused
from prefect.utilities.engine import propose_state_sync

from cdppe.lifecycle import Need
from models.answers import Answer
from models.enums import Phase, PhaseStatus
from tasks.artifacts import publish_phase_artifacts
from tasks.cycle import (
    ExerciceRef,
    complete_phase,
    find_need,
    mark_waiting,
    open_phase,
    record,
    resolve_exercice,
)

A = TypeVar("A", bound=Answer)

COMPLETED = "completed"
WAITING = "waiting"


def phase_run_name(phase: Phase) -> Callable[[], str]:
    """``Creuse 2025 · signature``: built from the run's parameters."""

    def name() -> str:
        params: dict[str, Any] = runtime_flow_run.parameters
        contract, year = str(params.get("contract", "?")), int(params.get("year", 0))
        avenant = int(params.get("avenant", 0) or 0)
        try:
            label = resolve_exercice(contract, year).label
        except Exception:  # noqa: BLE001 - a name must never fail the run
            label = f"{contract} {year}"
        suffix = f" (avenant n° {avenant})" if avenant else ""
        return f"{label} · {phase.label}{suffix}"

    return name


def current_flow_run_id() -> str | None:
    ctx = FlowRunContext.get()
    return str(ctx.flow_run.id) if ctx and ctx.flow_run else None


def is_subflow() -> bool:
    ctx = FlowRunContext.get()
    return bool(ctx and ctx.flow_run and ctx.flow_run.parent_task_run_id)


@contextmanager
def without_heartbeat() -> Iterator[None]:
    """Subflows are covered by their parent's heartbeat; theirs only adds ~1 s at exit."""
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def wait_for_answer(need: Need, attempt: int, error: str | None = None) -> Answer:
    """Suspend this flow run until a person answers ``need`` (UI form or ``cdppe record``).

    Like ``suspend_flow_run(wait_for_input=...)``, but the state is named after
    what we wait for (``En attente de signature (2/3)``) and its keyset does not
    depend on that name, so the same need always maps to the same stored answer.
    The process exits while suspended: no worker slot is held for months.
    """
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        raise RuntimeError("wait_for_answer must run inside a flow run")
    pause_key = re.sub(r"[^a-z0-9-]", "-", f"{need.key}-{attempt}".lower())  # Prefect's key rule
    description = need.description
    if error:
        description = f"**Réponse refusée** : {error}\n\n{description}"
    description += "\n\n_Vous pouvez aussi répondre en ligne de commande : `cdppe record ...`._"
    base_cls = cast(type[RunInput], run_input_subclass_from_type(need.answer_type))
    input_cls = base_cls.with_initial_data(description=description, **need.defaults)
    keyset = keyset_from_base_key(f"cdppe-{pause_key}")
    proposed: State[Any] = Paused(name=need.waiting_reason[:60], reschedule=True, pause_key=pause_key,
                      timeout_seconds=None, message=error or need.waiting_reason)
    proposed.state_details.run_input_keyset = {str(k): v for k, v in keyset.items()}
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        state = propose_state_sync(client=client, state=proposed, flow_run_id=ctx.flow_run.id)
        if state.is_running():  # this pause happened before: the answer is stored
            loaded = cast(RunInput, input_cls.load(keyset, flow_run_id=ctx.flow_run.id))
            return need.answer_type.model_validate(loaded.model_dump(exclude={"metadata"}))
        if not state.is_paused():
            raise RuntimeError(f"flow run cannot be suspended: {state}")
        input_cls.save(keyset, flow_run_id=ctx.flow_run.id)
    from prefect._flow_run_suspension import mark_flow_run_suspension_requested

    mark_flow_run_suspension_requested(ctx.flow_run.id, state)
    raise Pause(state=state)


def finish_phase(ref: ExerciceRef, phase: Phase, avenant: int = 0) -> None:
    """The documents and the completed mark (one transaction), then what the UI shows."""
    complete_phase(ref, phase, current_flow_run_id(), avenant)
    publish_phase_artifacts(ref, phase, avenant)


def answer_loop(ref: ExerciceRef, phase: Phase, avenant: int, step: Callable[[], str]) -> None:
    """Call ``step`` until the phase completes, suspending for each answer it needs."""
    attempts: dict[str, int] = {}
    errors: dict[str, str] = {}
    while step() != COMPLETED:
        need = find_need(ref, phase, avenant)
        if need is None:
            continue
        attempt = attempts.get(need.key, 1)
        mark_waiting(ref, phase, need.waiting_reason, current_flow_run_id(), avenant)
        answer = wait_for_answer(need, attempt, errors.get(need.key))
        current = find_need(ref, phase, avenant)
        if current is None or current.key != need.key:
            continue  # answered meanwhile with `cdppe record`: nothing to record twice
        ok, message = record(ref, phase, answer, avenant)
        if not ok:
            attempts[need.key] = attempt + 1
            errors[need.key] = message


def run_phase(phase: Phase, contract: str, year: int, avenant: int = 0) -> str:
    """Drive one phase: skip it when completed, wait for people, then finish it.

    As a subflow it cannot suspend (Prefect refuses): it returns ``waiting`` and
    the parent flow suspends itself instead.
    """
    opened = open_phase(contract, year, phase, avenant, current_flow_run_id())
    if opened.status is PhaseStatus.COMPLETED:
        return COMPLETED
    ref = opened.ref
    first_look: list[Need | None] = [opened.need]  # read when opening: no second task run for it

    def step() -> str:
        need = first_look.pop() if first_look else find_need(ref, phase, avenant)
        if need is None:
            finish_phase(ref, phase, avenant)
            return COMPLETED
        mark_waiting(ref, phase, need.waiting_reason, current_flow_run_id(), avenant)
        return WAITING

    if is_subflow():
        return step()
    answer_loop(ref, phase, avenant, step)
    return COMPLETED
