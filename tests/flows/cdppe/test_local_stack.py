"""`make up` as a newcomer runs it: the UI comes up, the example cycles wait at their first human
step (checked with curl against the API), Ctrl-C stops everything, and a restart loses nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def curl_paused_runs(port: int) -> list[dict[str, Any]]:
    body = json.dumps({"flow_runs": {"state": {"type": {"any_": ["PAUSED"]}}}})
    out = subprocess.run(["curl", "-sf", "-X", "POST", f"http://127.0.0.1:{port}/api/flow_runs/filter",
                          "-H", "Content-Type: application/json", "-d", body],
                         capture_output=True, text=True, timeout=30)
    return json.loads(out.stdout) if out.returncode == 0 and out.stdout else []


def start_up(data_dir: Path, port: int, sink_port: int) -> subprocess.Popen[str]:
    env = dict(os.environ, CDPPE_DATA_DIR=str(data_dir), CDPPE_SINK_PORT=str(sink_port))
    for name in ("PREFECT_API_URL", "CDPPE_DATABASE_URL", "PREFECT_HOME"):
        env.pop(name, None)
    return subprocess.Popen([sys.executable, "-m", "cdppe.cli", "up", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def wait_paused(port: int, expected: int, process: subprocess.Popen[str]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        runs = curl_paused_runs(port)
        if len(runs) >= expected:
            return runs
        time.sleep(2)
    raise TimeoutError("the example cycles did not reach their first human step")


def ctrl_c(process: subprocess.Popen[str]) -> str:
    os.killpg(process.pid, signal.SIGINT)
    out, _ = process.communicate(timeout=90)
    return out


def test_up_then_ctrl_c_then_up_again(tmp_path: Path) -> None:
    port, sink = free_port(), free_port()
    data = tmp_path / "data"
    first = start_up(data, port, sink)
    try:
        runs = wait_paused(port, 3, first)
    finally:
        out = ctrl_c(first)
    assert "Interface Prefect : http://127.0.0.1:" in out and "Tout est arrêté." in out, out
    names = sorted(r["name"] for r in runs)  # one waiting run per exercice: its diagnosis
    assert names == ["Creuse 2025 · diagnostic", "Creuse 2026 · diagnostic",
                     "Saône-et-Loire 2024 · diagnostic"]
    assert all(r["state"]["name"] == "En attente du diagnostic partagé" for r in runs)
    with socket.socket() as s:  # the UI port is free again: everything stopped
        assert s.connect_ex(("127.0.0.1", port)) != 0
    mails_before = sorted(p.name for p in (data / "mail").glob("*.eml")) if (data / "mail").exists() else []

    second = start_up(data, port, sink)
    try:
        again = wait_paused(port, 3, second)
        # After a restart of the server and of the runner, a suspended run still resumes.
        sel = next(r for r in again if r["name"].startswith("Saône-et-Loire"))
        resume = subprocess.run(
            ["curl", "-sf", "-X", "POST", f"http://127.0.0.1:{port}/api/flow_runs/{sel['id']}/resume",
             "-H", "Content-Type: application/json", "-d",
             json.dumps({"run_input": {"agreed_on": "2024-10-15", "answered_by": "Camille"}})],
            capture_output=True, text=True, timeout=30)
        assert resume.returncode == 0 and '"ACCEPT"' in resume.stdout, resume.stdout
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:  # the diagnosis completes and the deliberation's run waits
            current = [r for r in curl_paused_runs(port) if r["name"] == "Saône-et-Loire 2024 · délibération"]
            if current and current[0]["state"]["name"] == "En attente de délibération":
                break
            time.sleep(2)
        else:
            raise AssertionError("the resumed run did not reach the deliberation step")
    finally:
        out = ctrl_c(second)
    assert sorted(r["id"] for r in again) == sorted(r["id"] for r in runs)  # same runs, not new ones
    assert "inchangé" in out or "unchanged" in out
    mails_after = sorted(p.name for p in (data / "mail").glob("*.eml")) if (data / "mail").exists() else []
    assert mails_after[: len(mails_before)] == mails_before
    assert len(set(mails_after)) == len(mails_after)


def test_up_refuses_a_port_already_taken_in_french_before_starting_anything(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        env = {**os.environ, "CDPPE_DATA_DIR": str(tmp_path / "data")}
        done = subprocess.run([sys.executable, "-m", "cdppe.cli", "up", "--port", str(taken)], env=env,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert f"le port {taken} (l'interface et l'API Prefect) est déjà utilisé" in done.stderr
    assert "make up PORT=" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "data" / "stack.json").exists()
