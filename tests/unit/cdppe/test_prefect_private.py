"""Pins each Prefect internal that ``cdppe.prefect_private`` relies on: an upgrade fails here first."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cdppe.local_stack import FORK_SERVER

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

from cdppe.prefect_private import preload_flow_processes
from where import where_am_i

if __name__ == "__main__":  # the fork server's children import this module again
    runner = Runner(limit=2, query_seconds=0.25)
    runner.add_flow(where_am_i, name="ici")
    preload_flow_processes(["where"])
    asyncio.run(runner.start())
'''


def test_the_served_runner_starts_runs_from_an_in_memory_flow_with_a_spawn_context() -> None:
    """``Runner.add_flow`` keeps the flow object, and that path asks ``multiprocessing`` for "spawn"."""
    import prefect.flow_engine as flow_engine
    import prefect.runner._starter_direct as starter_direct
    from prefect.runner.runner import Runner

    assert 'multiprocessing.get_context("spawn")' in inspect.getsource(flow_engine.run_flow_in_subprocess)
    assert starter_direct.run_flow_in_subprocess is flow_engine.run_flow_in_subprocess
    assert "register_flow(deployment_id, flow)" in inspect.getsource(Runner.aadd_flow)
    assert "DirectSubprocessStarter" in inspect.getsource(Runner.__aenter__)


def test_suspension_mark_keeps_its_signature() -> None:
    from prefect._flow_run_suspension import mark_flow_run_suspension_requested

    parameters = list(inspect.signature(mark_flow_run_suspension_requested).parameters)
    assert parameters[:2] == ["flow_run_id", "state"]


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


def test_a_module_flow_pickles_by_reference_and_keeps_its_annotations() -> None:
    import copyreg

    import cloudpickle
    from prefect.flows import Flow

    from cdppe.prefect_private import pickle_flows_by_reference
    from flows.amendment import amendment

    pickle_flows_by_reference()
    try:
        copied = cloudpickle.loads(cloudpickle.dumps(amendment))
        assert copied is amendment
        renamed = amendment.with_options(name="autre")  # not a module attribute: copied as before
        assert cloudpickle.loads(cloudpickle.dumps(renamed)).name == "autre"
    finally:
        copyreg.dispatch_table.pop(Flow)
