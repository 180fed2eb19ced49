"""When a task that writes documents retries: never for a refused input (``DocumentError``)."""

from __future__ import annotations

from typing import Any

from prefect.client.schemas.objects import State, TaskRun

from cdppe.present.documents import DocumentError


def retry_unless_refused(_task: Any, _run: TaskRun, state: State[Any]) -> bool:
    """Retry transient failures (database, disk); a refused input fails at once."""
    try:
        state.result(raise_on_failure=True)
    except DocumentError:
        return False
    except Exception:  # noqa: BLE001 - any other failure may be transient
        return True
    return True
