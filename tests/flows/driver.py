"""Drive served flow runs the way the UI does: wait for a pause, read its form, resume with input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.flow_runs import resume_flow_run

from cdppe.cli.app import wait_deployments

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """Kill the serving process and every flow-run process it started (like a crash)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)


def start_serving(api_url: str, db_url: str, data_dir: Path, log: Path) -> Served:
    env = dict(os.environ)
    env.update({
        "PREFECT_API_URL": api_url,
        "CDPPE_DATABASE_URL": db_url,
        "CDPPE_DATA_DIR": str(data_dir),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    })
    handle = log.open("ab")
    process = subprocess.Popen([sys.executable, "-m", "deployments.serve"], cwd=ROOT, env=env,
                               stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    served = Served(process, log)

    def alive() -> None:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited: {log.read_text()[-3000:]}")

    try:  # every deployment a test may run, not just the first one
        wait_deployments(api_url, alive)
    except BaseException:
        served.kill()
        raise
    return served


def wait_for_pause(run_id: UUID, previous_key: str | None = None, timeout: float = 180) -> FlowRun:
    """Wait until the run is paused on a new key (or finished); return the run."""
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(run_id)
            state = run.state
            assert state is not None
            if state.is_paused() and state.state_details.pause_key != previous_key:
                return run
            if state.is_final():
                return run
            time.sleep(0.3)
    raise TimeoutError(f"flow run {run_id} did not pause in {timeout} s (state {state})")


def pause_description(run: FlowRun) -> str:
    assert run.state is not None
    keyset = run.state.state_details.run_input_keyset
    assert keyset is not None
    deadline = time.monotonic() + 30
    with get_client(sync_client=True) as client:
        while True:  # the form is saved just after the pause is proposed
            try:
                return str(client.read_flow_run_input(run.id, keyset["description"]))
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)


def answer(run: FlowRun, data: dict[str, Any]) -> str | None:
    """Resume the paused run with ``data``; return the pause key that was answered."""
    assert run.state is not None
    key = run.state.state_details.pause_key
    resume_flow_run(run.id, run_input=data)
    return key


@dataclass(frozen=True)
class PhaseChain:
    """The phase runs of one exercice (avenant 0) or of one avenant, as the runs list shows them."""

    contract: str
    year: int
    avenant: int = 0
    since: datetime | None = None  # runs created before belong to another test

    def runs(self) -> list[FlowRun]:
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
        from prefect.client.schemas.sorting import FlowRunSort

        from cdppe.ops.phase_runs import PHASE_DEPLOYMENTS

        flows = {name.split("/")[0] for name in PHASE_DEPLOYMENTS.values()}
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[f"exercice-{self.year}"])),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=200)
            names = {f.id: f.name for f in client.read_flows()}
        return [r for r in runs if names.get(r.flow_id) in flows
                and r.parameters.get("contract") == self.contract
                and int(r.parameters.get("avenant", 0) or 0) == self.avenant
                and (self.since is None or (r.created is not None and r.created >= self.since))]


def wait_for_step(chain: PhaseChain, previous_key: str | None = None, timeout: float = 180,
                  last_phase_done: bool = True) -> FlowRun:
    """The chain's run paused on a new key; or, when nothing waits any more and the chain's last
    phase run has completed, that run."""
    from cdppe.ops.phase_runs import PHASE_DEPLOYMENTS
    from cdppe.services.lifecycle import phase_sequence

    last_flow = PHASE_DEPLOYMENTS[phase_sequence(chain.avenant)[-1]].split("/")[0]
    deadline = time.monotonic() + timeout
    runs: list[FlowRun] = []
    while time.monotonic() < deadline:
        runs = chain.runs()
        for run in runs:
            state = run.state
            if state is not None and state.is_paused() and state.state_details.pause_key != previous_key:
                return run
        with get_client(sync_client=True) as client:
            flows = {f.id: f.name for f in client.read_flows()}
        done = [r for r in runs if flows.get(r.flow_id) == last_flow and r.state and r.state.is_completed()]
        if done and last_phase_done and not any(r.state and not r.state.is_final() for r in runs):
            return done[-1]
        failed = [r for r in runs if r.state and (r.state.is_failed() or r.state.is_crashed())]
        if failed:
            return failed[-1]
        time.sleep(0.3)
    raise TimeoutError(f"{chain} did not reach a new step in {timeout} s: "
                       f"{[(r.name, r.state.name if r.state else None) for r in runs]}")
