"""``make up``: the whole system on one machine, in child processes, stopped cleanly by Ctrl-C.

Started in order: the database migrations, a local Prefect server (SQLite in
the data folder, UI on 127.0.0.1:4200), a local SMTP sink when no SMTP server
is configured, the process that serves every deployment; then the example
contracts are imported and their annual cycles started (idempotent: the next
``make up`` finds the same runs where they stood).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cdppe.prefect_server import server_environment
from cdppe.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Stack:
    settings: Settings
    api_url: str
    env: dict[str, str]
    processes: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log_dir = self.settings.data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log = (log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes.append((name, process))
        return process

    def check_alive(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                log = self.settings.data_dir / "logs" / f"{name}.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"le processus {name} s'est arrêté (code {process.returncode}) :\n{tail}")

    def stop(self) -> None:
        """Stop in reverse order: the runner first, the server last.

        The runner cancels every flow run whose process is still alive when it
        stops, and a run that has just suspended itself needs a moment to exit:
        stopping the runner then would turn a waiting run into a cancelled one.
        So the runner is only stopped once its flow-run processes are gone.
        """
        for name, process in self.processes:
            if name == "serve" and process.poll() is None:
                wait_children_exit(process.pid, timeout=30)
        for _, process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for _, process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()


def child_pids(pid: int) -> set[int]:
    """Direct children of a process, from /proc (Linux); empty where /proc is not available."""
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children.update(int(child) for child in task.read_text().split())
        except OSError:
            continue
    return children


def wait_children_exit(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while child_pids(pid) and time.monotonic() < deadline:
        time.sleep(0.5)


def wait_http(url: str, timeout: float, alive: Callable[[], None]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} ne répond pas après {timeout:.0f} s")


def build_env(settings: Settings, api_url: str) -> dict[str, str]:
    data = settings.data_dir.resolve()
    env = server_environment(dict(os.environ))
    env.update({
        "CDPPE_DATA_DIR": str(data),
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(data / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_API_URL": api_url,
    })
    env.setdefault("PREFECT_API_DATABASE_CONNECTION_URL",
                   f"sqlite+aiosqlite:///{data / 'prefect' / 'prefect.db'}")
    if not settings.smtp_host:
        env["CDPPE_SMTP_HOST"] = settings.sink_host
        env["CDPPE_SMTP_PORT"] = str(settings.sink_port)
    return env


def start_stack(settings: Settings, port: int = 4200, with_server: bool = True) -> Stack:
    external_api = os.environ.get("PREFECT_API_URL")
    api_url = external_api if (external_api and not with_server) else f"http://127.0.0.1:{port}/api"
    (settings.data_dir / "prefect").mkdir(parents=True, exist_ok=True)
    stack = Stack(settings, api_url, build_env(settings, api_url))
    try:
        if with_server:
            stack.start("prefect-server", [sys.executable, "-m", "prefect", "server", "start",
                                           "--host", "127.0.0.1", "--port", str(port),
                                           "--analytics-off", "--no-prompt"])
            wait_http(f"{api_url}/health", 120, stack.check_alive)
        if not settings.smtp_host:
            stack.start("mail-sink", [sys.executable, "-m", "cdppe.cli", "mail-sink"])
        stack.start("serve", [sys.executable, "-m", "deployments.serve"])
    except BaseException:
        stack.stop()
        raise
    return stack
