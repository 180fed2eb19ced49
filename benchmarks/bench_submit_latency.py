"""From Submit in the UI to the next step's form, on a real `cdppe up` stack.

Starts the stack as `make up` does (own data folder, free ports), then answers Saône-et-Loire
2024's first ten steps exactly as the UI's Submit does (``POST /flow_runs/<id>/resume`` with the
form's values) and times each until the next form can be shown: the run that waits next is
paused in a new state and its form's description is stored. The floor is an empty flow that
suspends and resumes on the same stack (same Prefect server), served two ways: by Prefect's
``serve()`` as it comes (a new interpreter per run, poll 1 s), and by the same runner as
``make up``'s (fork server, ``runner_poll_seconds``).

    .venv/bin/python benchmarks/bench_submit_latency.py [--samples 10]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_MEDIAN_S = 5.0
WHO = {"answered_by": "Banc d'essai"}
STEPS: list[dict[str, Any]] = [
    {"agreed_on": "2024-10-15"},
    {"convocation_date": "2024-11-08", "session_date": "2024-11-22", "number": "205",
     "vote": "à l'unanimité"},
    {"acknowledgement_date": "2024-11-29"},
    {"role": "Le Préfet", "signatory_name": "Yves Seguy", "signed_on": "2024-12-02"},
    {"role": "Le Directeur général de l'ARS", "signatory_name": "Jean-Jacques Coiplet",
     "signed_on": "2024-12-03"},
    {"role": "Le Président du conseil départemental", "signatory_name": "André Accary",
     "signed_on": "2024-12-05"},
    {"source": "BOP 304", "notified_amount": "843728.00", "received_on": "2025-01-20"},
    {"source": "FIR", "notified_amount": "370395.00", "received_on": "2025-02-10"},
    {"session_date": "2025-10-15", "favourable": True, "opinion": "Avis favorable."},
    {"adopted_on": "2025-11-10", "deliberation_number": "2025-118", "transmitted_on": "2025-11-28"},
]


FLOOR_MODULE = '''
from prefect import flow
from prefect.flow_runs import suspend_flow_run


@flow
def plancher(steps: int = 10) -> None:
    for i in range(steps):
        suspend_flow_run(wait_for_input=int, key=f"etape-{i}", timeout=None)
'''

# The floor served two ways: as Prefect serves by default (a new interpreter per run, poll 1 s),
# and by the same runner as `make up`'s (fork server, cdppe's poll), which our steps use.
FLOOR_SERVER = '''
import asyncio, sys

from prefect.runner import Runner

from plancher import plancher

if __name__ == "__main__":  # a run's process imports this module again
    if sys.argv[1] == "prefect":
        plancher.with_options(name="plancher-prefect").serve(name="plancher", limit=4)
    else:
        from cdppe.ops.prefect_private import preload_flow_processes
        from cdppe.core.settings import get_settings

        runner = Runner(limit=4, query_seconds=get_settings().runner_poll_seconds)
        runner.add_flow(plancher.with_options(name="plancher-cdppe"), name="plancher")
        preload_flow_processes(["plancher"])
        asyncio.run(runner.start())
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.retries = 0

    def call(self, path: str, body: Any = None, method: str | None = None) -> Any:
        """One API call; a 503 (SQLite's `database is locked` under load) is tried again, as the UI's
        user would submit again; the retries count in the measured time."""
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(5):
            request = urllib.request.Request(f"{self.base}/api{path}", data=data, method=method or (
                "POST" if data is not None else "GET"), headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    raw = response.read()
                return json.loads(raw) if raw else None
            except urllib.error.HTTPError as exc:
                if exc.code != 503 or attempt == 4:
                    raise
                self.retries += 1
                time.sleep(0.5)
        return None

    def paused(self, name_prefix: str) -> list[dict[str, Any]]:
        try:
            runs = self.call("/flow_runs/filter",
                             {"flow_runs": {"state": {"type": {"any_": ["PAUSED"]}}}})
        except OSError:
            return []
        return [r for r in runs if r["name"].startswith(name_prefix)]

    def form_ready(self, run: dict[str, Any], part: str = "description") -> bool:
        """The UI can show the form once its schema (and description) are stored."""
        keyset = run["state"]["state_details"].get("run_input_keyset") or {}
        try:
            self.call(f"/flow_runs/{run['id']}/input/{keyset[part]}")
        except (urllib.error.HTTPError, KeyError):
            return False
        return True

    def next_form(self, prefix: str, after_state: str | None, timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for run in self.paused(prefix):
                if run["state"]["id"] != after_state and self.form_ready(run):
                    return run
            time.sleep(0.05)
        raise TimeoutError(f"no new form for {prefix} in {timeout} s")


def measure(api: Api, prefix: str, answers: list[dict[str, Any]]) -> list[float]:
    run = api.next_form(prefix, None)
    seconds = []
    for data in answers:
        started = time.monotonic()
        api.call(f"/flow_runs/{run['id']}/resume", {"run_input": data})
        run = api.next_form(prefix, run["state"]["id"])
        seconds.append(time.monotonic() - started)
    return seconds


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def run(samples: int, data_dir: Path | None = None) -> tuple[list[float], dict[str, list[float]], Path]:
    """(the cycle's Submit → next form seconds, the floors' by runner, the stack's data folder)."""
    tmp = Path(tempfile.mkdtemp(prefix="cdppe-bench-submit-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CDPPE_"))}
    env["CDPPE_DATA_DIR"] = str(data_dir or tmp / "data")
    stack = start([sys.executable, "-m", "cdppe.cli", "up", "--port", str(port), "--smtp-port",
                   str(free_port()), "--documents-port", str(free_port())], env, tmp / "up.log")
    floor_server = None
    try:
        api = Api(f"http://127.0.0.1:{port}")
        cycle = measure(api, "Saône-et-Loire 2024 · ", [{**s, **WHO} for s in STEPS[:samples]])
        (tmp / "plancher.py").write_text(FLOOR_MODULE)
        (tmp / "plancher_server.py").write_text(FLOOR_SERVER)
        floor_env = {**env, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
                     "PREFECT_HOME": str(tmp / "ph"), "PREFECT_RUNNER_POLL_FREQUENCY": "1",
                     "PYTHONPATH": str(tmp)}
        floors = {}
        for mode in ("prefect", "cdppe"):
            floor_server = start([sys.executable, str(tmp / "plancher_server.py"), mode], floor_env,
                                 tmp / f"floor-{mode}.log")
            floors[mode] = measure_floor(api, f"plancher-{mode}", samples)
            stop(floor_server)
            floor_server = None
    finally:
        if floor_server is not None:
            stop(floor_server)
        stop(stack)
    print(f"réponses 503 de l'API réessayées (SQLite verrouillée) : {api.retries}")
    return cycle, floors, Path(env["CDPPE_DATA_DIR"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10)
    cycle, floors, _ = run(parser.parse_args().samples)
    report(cycle, floors)


def measure_floor(api: Api, flow_name: str, samples: int) -> list[float]:
    """The floor's run is the only paused run of its flow."""
    flow = None
    while flow is None:
        try:
            flow = api.call(f"/flows/name/{flow_name}")
            deployment = api.call(f"/deployments/name/{flow_name}/plancher")
        except urllib.error.HTTPError:
            flow = time.sleep(0.5)
    api.call(f"/deployments/{deployment['id']}/create_flow_run", {"parameters": {"steps": samples + 1}})

    def paused_floor(after: str | None) -> dict[str, Any]:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            runs = api.call("/flow_runs/filter", {"flows": {"id": {"any_": [flow["id"]]}},
                                                  "flow_runs": {"state": {"type": {"any_": ["PAUSED"]}}}})
            if runs and runs[0]["state"]["id"] != after and api.form_ready(runs[0], "schema"):
                return dict(runs[0])
            time.sleep(0.05)
        raise TimeoutError("the floor flow did not pause")

    run = paused_floor(None)
    seconds = []
    for _ in range(samples):
        started = time.monotonic()
        api.call(f"/flow_runs/{run['id']}/resume", {"run_input": {"value": 1}})
        run = paused_floor(run["state"]["id"])
        seconds.append(time.monotonic() - started)
    return seconds


def report(cycle: list[float], floors: dict[str, list[float]]) -> None:
    median, worst = statistics.median(cycle), max(cycle)
    print("Submit → formulaire suivant (s), Saône-et-Loire 2024, 2 cœurs, "
          f"charge moyenne {os.getloadavg()[0]:.2f} :")
    print("  " + " ".join(f"{s:.1f}" for s in cycle))
    print(f"{'':44}{'médiane':>9}{'pire':>8}")
    print(f"{'étapes du cycle (make up)':44}{median:9.2f}{worst:8.2f}")
    labels = {"prefect": "plancher : flow vide, serve() de Prefect",
              "cdppe": "plancher : flow vide, runner de make up"}
    for mode, seconds in floors.items():
        print(f"{labels[mode]:44}{statistics.median(seconds):9.2f}{max(seconds):8.2f}")
    for mode, seconds in floors.items():
        print(f"rapport médiane / {labels[mode].removeprefix('plancher : ')} : "
              f"{median / statistics.median(seconds):.2f}")
    verdict = "atteinte" if median <= TARGET_MEDIAN_S else "NON atteinte"
    print(f"cible médiane ≤ {TARGET_MEDIAN_S:.0f} s : {verdict}")


if __name__ == "__main__":
    main()
