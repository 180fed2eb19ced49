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
from typing import Any

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


RESULT_STORAGE_BLOCK = "cdppe-resultats"


def own_server_client_settings() -> dict[Any, Any]:
    """Client settings for a local server this process started (its settings are known).

    - The result storage is named: a ``LocalFileSystem`` block on Prefect's usual folder,
      saved once. Otherwise every flow run asks the server which storage is the default
      (``GET /admin/storage``, three requests a flow run when counted).
    - No CSRF token is fetched by every new client when the server does not check them
      (Prefect's default; the server process has this process's settings).
    """
    from prefect.filesystems import LocalFileSystem
    from prefect.settings import (
        PREFECT_CLIENT_CSRF_SUPPORT_ENABLED,
        PREFECT_LOCAL_STORAGE_PATH,
        PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK,
        PREFECT_SERVER_CSRF_PROTECTION_ENABLED,
    )

    LocalFileSystem(basepath=str(PREFECT_LOCAL_STORAGE_PATH.value())).save(
        RESULT_STORAGE_BLOCK, overwrite=True)
    settings: dict[Any, Any] = {
        PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK: f"local-file-system/{RESULT_STORAGE_BLOCK}"}
    if not PREFECT_SERVER_CSRF_PROTECTION_ENABLED.value():
        settings[PREFECT_CLIENT_CSRF_SUPPORT_ENABLED] = False
    return settings
