"""Prefect task: generate and record the documents of one lifecycle step."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.client.schemas.objects import State, TaskRun

from cdppe.present.documents import DocumentError, generate_step_documents
from cdppe.store.db import session_scope
from models import GeneratedDocument
from models.enums import Phase


def retry_unless_refused(_task: Any, _run: TaskRun, state: State[Any]) -> bool:
    """Retry transient failures (database, disk); a refused input fails at once."""
    try:
        state.result(raise_on_failure=True)
    except DocumentError:
        return False
    except Exception:  # noqa: BLE001 - any other failure may be transient
        return True
    return True


@task(name="generate-documents", retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=retry_unless_refused,
      task_run_name="documents-{step}-c{contract_id}-e{exercice_id}-a{avenant_number}")
def generate_documents(contract_id: int, exercice_id: int, step: Phase | str,
                       formats: tuple[str, ...] = ("html", "docx"),
                       avenant_number: int = 0) -> list[GeneratedDocument]:
    """Generate the documents of ``step`` in one transaction; return the recorded rows."""
    with session_scope() as session:
        return generate_step_documents(session, contract_id, exercice_id, Phase(step),
                                       tuple(formats), avenant_number)
