"""`make up` as a coordinator meets it, with no Prefect variable set: the scheduler creates the
scheduled runs of both cron deployments by itself, a scheduled sweep completes and its e-mails reach
the sink, `cdppe record` finds the stack and moves the run on, `cdppe doctor` tells the truth, and the
missed-sweep automation runs its watch flow."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from cdppe.ops.local_stack import child_pids
from tests.conftest import ROOT
from tests.flows.cdppe.test_local_stack import free_port

pytestmark = pytest.mark.slow
T = TypeVar("T")
PREFECT_VARIABLES = ("PREFECT_API_URL", "PREFECT_HOME", "PREFECT_API_AUTH_STRING", "CDPPE_DATABASE_URL",
                     "CDPPE_UI_URL", "CDPPE_SMTP_HOST", "CDPPE_SMTP_PORT",
                     "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE")


class Stack:
    def __init__(self, data: Path, port: int, sink_port: int) -> None:
        self.data, self.port, self.sink_port = data, port, sink_port
        self.api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=30)
        self.env = {k: v for k, v in os.environ.items() if k not in PREFECT_VARIABLES}
        # A rehearsal day on which Saône-et-Loire 2024 has reminders due; a short watch window.
        self.env.update(CDPPE_DATA_DIR=str(data), CDPPE_TODAY="2024-10-17",
                        CDPPE_SWEEP_INCIDENT_AFTER_HOURS="0.01")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cdppe.cli", "up", "--port", str(port), "--smtp-port", str(sink_port)],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)

    def cdppe(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cdppe.cli", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=180)

    def runs(self, **flow_runs: Any) -> list[dict[str, Any]]:
        body = {"flow_runs": flow_runs, "sort": "EXPECTED_START_TIME_ASC"}
        response = self.api.post("/flow_runs/filter", json=body)
        return list(response.json()) if response.status_code == 200 else []

    def deployment(self, name: str) -> dict[str, Any]:
        response = self.api.post("/deployments/filter", json={"deployments": {"name": {"any_": [name]}}})
        found = response.json() if response.status_code == 200 else []
        assert found, f"deployment {name} is not registered"
        return dict(found[0])

    def runs_of(self, deployment: str, *states: str) -> list[dict[str, Any]]:
        return self.runs(deployment_id={"any_": [self.deployment(deployment)["id"]]},
                         state={"type": {"any_": list(states)}})

    def wait(self, what: str, probe: Callable[[], T | None], timeout: float = 240) -> T:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                found = probe()
            except (httpx.HTTPError, AssertionError):
                found = None
            if found:
                return found
            time.sleep(2)
        raise TimeoutError(f"{what} after {timeout} s")

    def kill_child(self, marker: str) -> None:
        for pid in child_pids(self.process.pid):
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                os.killpg(pid, signal.SIGTERM)

    def output(self) -> str:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        out, _ = self.process.communicate(timeout=120)
        return out


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path / "data", free_port(), free_port())
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.output()


def cycle_state(stack: Stack) -> str | None:
    """What Saône-et-Loire 2024 waits for: the state of its one waiting phase run."""
    runs = [r for r in stack.runs(state={"type": {"any_": ["PAUSED"]}})
            if r["name"].startswith("Saône-et-Loire 2024 · ")]
    assert len(runs) <= 1, runs
    return runs[0]["state"]["name"] if runs else None


def test_the_stack_runs_by_itself_and_the_cli_finds_it(stack: Stack) -> None:
    assert stack.wait("the cycle waits for its diagnosis",
                      lambda: cycle_state(stack) == "En attente du diagnostic partagé")
    # 1. The scheduler creates the scheduled runs of both cron deployments by itself.
    sweeps = stack.wait("scheduled sweep runs", lambda: stack.runs_of("relances-quotidiennes", "SCHEDULED"),
                        timeout=180)
    assert stack.wait("scheduled dashboard runs",
                      lambda: stack.runs_of("tableau-de-bord-national", "SCHEDULED"), timeout=180)
    assert all(datetime.fromisoformat(r["expected_start_time"]).astimezone().weekday() < 5 for r in sweeps)

    # 2. One scheduled sweep, brought forward to now, runs through the runner and its e-mails arrive.
    sweep = sweeps[0]
    moved = stack.api.post(f"/flow_runs/{sweep['id']}/set_state", json={"force": True, "state": {
        "type": "SCHEDULED", "name": "Scheduled",
        "state_details": {"scheduled_time": datetime.now(UTC).isoformat()}}})
    assert moved.status_code in (200, 201), moved.text
    done = stack.wait("the scheduled sweep completes", lambda: [
        r for r in stack.runs_of("relances-quotidiennes", "COMPLETED", "FAILED", "CRASHED")
        if r["id"] == sweep["id"]])
    assert done[0]["state"]["type"] == "COMPLETED", done
    mails = sorted((stack.data / "mail").glob("*.eml"))
    assert mails, "the sweep sent nothing to the sink"
    bodies = "\n".join(m.read_text(errors="replace") for m in mails)
    assert f"http://127.0.0.1:{stack.port}/runs/flow-run/" in bodies  # links use the port served
    assert "127.0.0.1:4200" not in bodies
    # Each message links the calendar feed its reader subscribes to: served by the stack's documents.
    messages = [BytesParser(policy=policy.default).parsebytes(m.read_bytes()) for m in mails]
    texts = [msg.get_body(("plain",)).get_content() for msg in messages]  # type: ignore[attr-defined]
    feed = next(word for text in texts for word in text.split() if "/calendrier/" in word)
    assert feed.startswith(f"http://127.0.0.1:{stack.port + 1}/calendrier/")
    served = httpx.get(feed, timeout=30)
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in served.text and "SEQUENCE:0" in served.text

    # 3. `cdppe record`, with no Prefect variable, finds the stack and the run moves on.
    recorded = stack.cdppe("record", "diagnostic", "71-2024", "--agreed-on", "2024-10-15",
                           "--answered-by", "Camille Martin")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert "run Saône-et-Loire 2024 · diagnostic relancé" in recorded.stdout
    assert stack.wait("the cycle waits for its deliberation",
                      lambda: cycle_state(stack) == "En attente de délibération")

    # 4. The missed-sweep automation runs its watch flow by itself (a 36 s window here).
    watched = stack.wait("the automation runs the sweep watch",
                         lambda: stack.runs_of("surveillance-relances", "COMPLETED", "FAILED"))
    assert watched[0]["state"]["type"] == "COMPLETED"
    assert watched[0]["state"]["message"].startswith("Pas d'incident")
    watch_id = stack.deployment("surveillance-relances")["id"]
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    created = stack.api.post(f"/deployments/{watch_id}/create_flow_run",
                             json={"parameters": {"as_of": later}})
    assert created.status_code in (200, 201), created.text
    incident = stack.wait("a missed sweep becomes an incident", lambda: [
        r for r in stack.runs_of("surveillance-relances", "FAILED") if r["id"] == created.json()["id"]])
    assert incident[0]["state"]["message"].startswith("Incident : la relance prévue le ")
    artifacts = stack.api.post("/artifacts/filter", json={"artifacts": {"key": {"any_": [
        "cdppe-incident-relances"]}}}).json()
    assert artifacts and "relance quotidienne manquée" in artifacts[0]["data"]

    # 5. `cdppe doctor`: healthy, then the sink stops and it says so.
    healthy = stack.cdppe("doctor")
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert "Tout va bien" in healthy.stdout
    stack.kill_child("mail-sink")
    time.sleep(3)
    sick = stack.cdppe("doctor")
    assert sick.returncode == 1, sick.stdout
    assert f"PROBLÈME  Serveur SMTP : 127.0.0.1:{stack.sink_port} ne répond pas" in sick.stdout
    assert "OK  API Prefect" in sick.stdout  # the rest of the stack goes on without its sink
    assert "1 problème(s)" in sick.stdout
    out = stack.output()
    assert "le processus mail-sink s'est arrêté" in out and "Tout est arrêté." in out, out
    assert not (stack.data / "stack.json").exists()  # a stopped stack leaves no address behind
    server_log = (stack.data / "logs" / "prefect-server.log").read_text(errors="replace")
    assert "Error scheduling deployment" not in server_log and "bulk DML" not in server_log
