"""The fork-server path of ``cdppe.ops.prefect_private`` on a real Prefect API: a served run is forked."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cdppe.ops.local_stack import FORK_SERVER

FLOW_MODULE = '''
import os
from pathlib import Path

from prefect import flow


@flow
def where_am_i(out: str) -> None:
    parent = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().replace(b"\\0", b" ").decode()
    Path(out).write_text(parent)
'''

SERVER = '''
import asyncio

from prefect.runner import Runner

from cdppe.ops.prefect_private import preload_flow_processes
from where import where_am_i

if __name__ == "__main__":  # the fork server's children import this module again
    runner = Runner(limit=2, query_seconds=0.25)
    runner.add_flow(where_am_i, name="ici")
    preload_flow_processes(["where"])
    asyncio.run(runner.start())
'''


@pytest.mark.slow
def test_a_served_run_is_forked_from_the_fork_server(prefect_api: str, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    (tmp_path / "where.py").write_text(FLOW_MODULE)
    (tmp_path / "server.py").write_text(SERVER)
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PYTHONPATH": str(tmp_path)}
    server = subprocess.Popen([sys.executable, str(tmp_path / "server.py")], env=env, cwd=tmp_path,
                              stdout=(tmp_path / "server.log").open("wb"), stderr=subprocess.STDOUT)
    out = tmp_path / "parent.txt"
    try:
        with get_client(sync_client=True) as client:
            deadline = time.monotonic() + 120
            deployment = None
            while deployment is None and time.monotonic() < deadline:
                try:
                    deployment = client.read_deployment_by_name("where-am-i/ici")
                except Exception:  # noqa: BLE001 - not registered yet
                    time.sleep(0.5)
            assert deployment is not None, (tmp_path / "server.log").read_text()
            client.create_flow_run_from_deployment(deployment.id, parameters={"out": str(out)})
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert out.exists(), (tmp_path / "server.log").read_text()[-3000:]
        assert FORK_SERVER in out.read_text()
    finally:
        server.terminate()
        server.wait(timeout=60)
