"""Settings of the Prefect servers this project starts itself (``cdppe up``, simulations, tests).

Prefect's task-run recorder turns the events clients emit into task-run rows. By
default it writes every event in its own transaction (batch size 1), each one
looking the run up first; on two cores that was a third of the server's CPU and
most of the database's once a year's runs piled up (measured with py-spy and
``pg_stat_user_tables``: 5,062 scans of ``task_run`` for 1,746 task runs). Batching
the writes (at most one second late in the UI) removes most of it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

SERVER_ENVIRONMENT: dict[str, str] = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
    # whole seconds: Prefect sleeps int(flush_interval) between periodic flushes
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
}


def server_environment(base: dict[str, str]) -> dict[str, str]:
    """``base`` with the server settings added (a value already in ``base`` wins)."""
    return {**SERVER_ENVIRONMENT, **base}


@contextmanager
def local_server_settings() -> Iterator[None]:
    """Set the server settings in this process's environment while a local server starts from it.

    Prefect starts its subprocess servers (test harness, ``SubprocessASGIServer``) with a
    copy of ``os.environ``; values the user already set are left alone.
    """
    added = [name for name in SERVER_ENVIRONMENT if name not in os.environ]
    os.environ.update({name: SERVER_ENVIRONMENT[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)
