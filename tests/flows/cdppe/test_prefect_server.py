"""The session's Prefect server batches task-run writes; the own-server client settings save requests."""

from __future__ import annotations

import logging

from cdppe.ops.prefect_server import SERVER_ENVIRONMENT, own_server_client_settings
from tests.unit.cdppe.test_prefect_server import BATCH


def test_the_session_server_batches_task_run_writes(prefect_api: str) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        settings = client.request("GET", "/admin/settings").json()
    recorder = settings["server"]["services"]["task_run_recorder"]
    assert recorder["batch_size"] == int(SERVER_ENVIRONMENT[BATCH])
    assert recorder["flush_interval"] == 1


class _Requests(logging.Handler):
    """The Prefect API requests this process sends (httpx logs one line per request)."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("HTTP Request:"):
            self.paths.append(message.split()[3].split("/api", 1)[-1])


def _requests_of_one_flow_run() -> list[str]:
    from prefect import flow, task

    @task
    def double(value: int) -> int:
        return value * 2

    @flow
    def twice(value: int) -> int:
        return double(double(value))

    handler, logger = _Requests(), logging.getLogger("httpx")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        assert twice(3) == 12
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return handler.paths


def test_own_server_settings_save_requests_and_still_run_flows(prefect_api: str) -> None:
    from prefect.settings import temporary_settings

    before = _requests_of_one_flow_run()
    assert any(path == "/admin/storage" for path in before)  # what the settings remove
    with temporary_settings(own_server_client_settings()):
        _requests_of_one_flow_run()  # the storage block is read once, then kept
        after = _requests_of_one_flow_run()
    assert not any(path == "/admin/storage" or path.startswith("/csrf-token") for path in after)
    assert len(after) < len(before)
