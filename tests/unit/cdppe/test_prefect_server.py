"""The settings of the Prefect servers this project starts reach the server process."""

from __future__ import annotations

import os

import pytest

from cdppe.ops.prefect_server import (
    SERVER_ENVIRONMENT,
    local_server_settings,
    server_environment,
)

BATCH = "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE"


def test_a_value_the_user_set_wins() -> None:
    env = server_environment({BATCH: "7", "HOME": "/root"})
    assert env[BATCH] == "7" and env["HOME"] == "/root"
    assert env["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL"] == "1"


def test_the_environment_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BATCH, raising=False)
    monkeypatch.setenv("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL", "3")
    with local_server_settings():
        assert os.environ[BATCH] == SERVER_ENVIRONMENT[BATCH]
        assert os.environ["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL"] == "3"
    assert BATCH not in os.environ
    assert os.environ["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL"] == "3"
