"""What ``cdppe record`` and ``cdppe resume`` do, apart from their command lines: find the waiting
step, record the answer in one transaction, resume the run (imported only when a command runs)."""

from __future__ import annotations

import time
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from cdppe.core.dates import today_paris
from cdppe.ops.prefect_access import require_prefect_api
from cdppe.services.lifecycle import (
    AnswerRefusedError,
    current_phase,
    lock_exercice,
    next_need,
    record_answer,
)
from cdppe.store.contracts import ContractNotFoundError, find_contract, find_exercice
from cdppe.store.db import session_scope
from cdppe.store.plan import contract_exercices, find_amendment
from cdppe.store.workflow import get_phase_state
from models import Contract, Exercice
from models.enums import Phase

RESUME_ATTEMPTS = 3


class ResumeError(Exception):
    """The waiting run could not be resumed (message in French)."""


def resume_waiting_run(flow_run_id: str, fields: dict[str, Any] | None) -> str:
    """Let a suspended flow run go on; the answer is already in the database.

    With ``fields``, as the UI form does (the run keeps the answer as its input). Without
    them, or when the run waits for another form than this answer's, the run is simply
    rescheduled: it replays from the top and asks the database, the source of truth,
    what it waits for next.
    """
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.states import Scheduled

    run_id = UUID(flow_run_id)
    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(run_id)
            if run.state is None or not run.state.is_paused():
                state = run.state.name if run.state else "?"
                return f"run {run.name} : déjà reparti ({state})."
            for attempt in range(1, RESUME_ATTEMPTS + 1):
                try:
                    if fields is not None:
                        result = client.resume_flow_run(run_id, run_input=fields)
                        if result.status.value == "ACCEPT":
                            return f"run {run.name} relancé."
                    client.set_flow_run_state(run_id, Scheduled(name="Resuming"), force=True)
                    return f"run {run.name} relancé."
                except PrefectHTTPStatusError as exc:
                    # 503: the local Prefect server on SQLite found its database locked; again.
                    if exc.response.status_code != 503 or attempt == RESUME_ATTEMPTS:
                        raise
                    time.sleep(attempt)
            raise RuntimeError("unreachable")  # pragma: no cover
    except (PrefectHTTPStatusError, OSError, RuntimeError) as exc:
        raise ResumeError(f"{type(exc).__name__} : {exc}") from exc


def waiting_exercice(session: Session, contract: str, year: int | None) -> tuple[Contract, Exercice]:
    """The exercice named, or the first one still under way (else the last one)."""
    c = find_contract(session, contract)
    if year is not None:
        return c, find_exercice(session, c, year)
    exercices = contract_exercices(session, contract_id=c.id)
    if not exercices:
        raise ContractNotFoundError(f"le contrat {c.key} n'a aucun exercice.")
    return c, next((e for e in exercices if e.id and current_phase(session, e.id) is not None),
                   exercices[-1])


def resume_hint(contract: str, year: int) -> str:
    return f"cdppe resume {contract} --year {year}"


RECORD_ATTEMPTS = 3


def _record_once(contract: str, year: int | None, target: Phase, fields: dict[str, Any],
                 resume: bool, avenant: int) -> tuple[str, str | None, dict[str, Any], str, int]:
    """One transaction: find the step, validate and record; (summary, flow run, answer as JSON, key, year).

    When the step waits in a run that is to be resumed, the Prefect API must answer
    before anything is recorded.
    """
    with session_scope() as session:
        c, ex = waiting_exercice(session, contract, year)
        assert ex.id is not None
        lock_exercice(session, ex.id)  # an answer given at the same moment waits here, then is seen
        if avenant and find_amendment(session, exercice_id=ex.id, number=avenant) is None:
            raise AnswerRefusedError(f"l'avenant n° {avenant} n'existe pas pour {c.key} {ex.year} "
                                     "(ouvrez-le d'abord avec le déploiement « avenant »).")
        need = next_need(session, ex, target, avenant)
        if need is None:
            of = f" de l'avenant n° {avenant}" if avenant else ""
            raise AnswerRefusedError(f"la phase {target.label}{of} de {c.key} {ex.year} n'attend rien.")
        try:
            answer = need.answer_type.model_validate(fields)
        except ValidationError as exc:
            lines = [f"--{'-'.join(str(p) for p in e['loc'])} : {e['msg']}" for e in exc.errors()]
            raise AnswerRefusedError("réponse incomplète ou invalide :\n  " + "\n  ".join(lines)) from exc
        flow_run_id = get_phase_state(session, ex.id, target, avenant).flow_run_id
        if resume and flow_run_id:
            require_prefect_api()
        summary = record_answer(session, c, ex, target, answer, today_paris(), avenant)
        return summary, flow_run_id, answer.model_dump(mode="json"), c.key, ex.year


def record_fields(contract: str, year: int | None, target: Phase, fields: dict[str, Any],
                  resume: bool = True, avenant: int = 0) -> tuple[str, str | None, dict[str, Any], str, int]:
    """Record an answer; the loser of two answers given at once gets the same French refusal as a
    second answer given afterwards: its transaction is rolled back and replayed on fresh rows."""
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            return _record_once(contract, year, target, fields, resume, avenant)
        except (IntegrityError, OperationalError):
            if attempt == RECORD_ATTEMPTS:
                raise AnswerRefusedError("une autre réponse est enregistrée au même moment sur cet "
                                         "exercice : réessayez dans un instant.") from None
    raise AssertionError("unreachable")  # pragma: no cover
