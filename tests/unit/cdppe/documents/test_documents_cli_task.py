"""The document task's retry rule: a refusal is final, a transient failure is retried."""

from __future__ import annotations

from prefect.client.schemas.objects import State, StateType

from cdppe.present.documents import DocumentError
from models.enums import Phase
from tasks.cycle import close_phase
from tasks.documents import retry_unless_refused


def test_task_retries_transient_failures_only() -> None:
    refused = State(type=StateType.FAILED, data=DocumentError("avenant n° 2 absent"))
    transient = State(type=StateType.FAILED, data=OSError("disque plein"))
    assert retry_unless_refused(close_phase, None, refused) is False  # type: ignore[arg-type]
    assert retry_unless_refused(close_phase, None, transient) is True  # type: ignore[arg-type]
    assert Phase("execution_report") is Phase.EXECUTION_REPORT
