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

from cdppe.core.paths import PROJECT_DIR
from cdppe.core.settings import Settings
from cdppe.ops.prefect_server import server_environment
from cdppe.ops.stack_address import StackAddress, remove_address, write_address

ROOT = PROJECT_DIR
OPTIONAL_PROCESSES = {"mail-sink", "documents"}


@dataclass
class Stack:
    settings: Settings
    api_url: str
    env: dict[str, str]
    address: StackAddress | None = None
    processes: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log_dir = self.settings.data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log = (log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(args, cwd=ROOT, env=child_environment(name, self.env), stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append((name, process))
        return process

    def check_alive(self, warn: Callable[[str], None] | None = None) -> None:
        """Raise when an essential process stopped; an optional one (the mail sink) is only reported.

        Without the sink, e-mails stay pending in the outbox and are sent once it is back;
        ``cdppe doctor`` says it is down. Without the server or the runner nothing works.
        """
        for name, process in list(self.processes):
            if process.poll() is None:
                continue
            log = self.settings.data_dir / "logs" / f"{name}.log"
            if name in OPTIONAL_PROCESSES:
                self.processes.remove((name, process))
                if warn is not None:
                    warn(f"le processus {name} s'est arrêté (code {process.returncode}, journal : {log}) ; "
                         "le reste de la pile continue.")
                continue
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"le processus {name} s'est arrêté (code {process.returncode}) :\n{tail}")

    def stop(self) -> None:
        """Stop in reverse order: the runner first, the server last.

        The runner cancels every flow run whose process is still alive when it
        stops, and a run that has just suspended itself needs a moment to exit:
        stopping the runner then would turn a waiting run into a cancelled one.
        So the runner is only stopped once its flow-run processes are gone.
        """
        if self.address is not None:
            remove_address(self.settings.data_dir, self.address)
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


# Helpers of ``multiprocessing`` the runner keeps for its whole life (see cdppe.ops.prefect_private):
# the fork server's children are the flow runs, the resource tracker has none.
FORK_SERVER = "multiprocessing.forkserver"
RESOURCE_TRACKER = "multiprocessing.resource_tracker"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def flow_run_pids(pid: int) -> set[int]:
    """The flow-run processes of the runner ``pid``: its children, or its fork server's."""
    runs: set[int] = set()
    for child in child_pids(pid):
        line = command_line(child)
        if FORK_SERVER in line:
            runs |= child_pids(child)
        elif RESOURCE_TRACKER not in line:
            runs.add(child)
    return runs


def wait_children_exit(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while flow_run_pids(pid) and time.monotonic() < deadline:
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


def stack_address(settings: Settings, api_url: str, sink_port: int | None = None,
                  documents_port: int | None = None) -> StackAddress:
    """What the stack serves: links in e-mails and artifacts point at the ports really served.

    ``CDPPE_UI_URL`` / ``CDPPE_DOCUMENTS_URL`` set by the user win (a proxy in front); the
    SMTP sink is only part of the address when no SMTP server is configured.
    """
    ui_url = os.environ.get("CDPPE_UI_URL") or api_url.removesuffix("/api")
    documents_url = os.environ.get("CDPPE_DOCUMENTS_URL") or (
        f"http://127.0.0.1:{documents_port}" if documents_port else settings.documents_url)
    if settings.smtp_host:
        return StackAddress(api_url=api_url, ui_url=ui_url, documents_url=documents_url)
    return StackAddress(api_url=api_url, ui_url=ui_url, smtp_host=settings.sink_host,
                        smtp_port=sink_port or settings.sink_port, documents_url=documents_url)


# What every child needs of the user's environment: the system's, Python's, TLS certificates.
BASE_VARIABLES = {"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM", "USER", "LOGNAME",
                  "VIRTUAL_ENV", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
                  "PIP_CERT", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}
BASE_PREFIXES = ("LC_", "PYTHON")
# Beyond that, each child gets only the variables of its own job.
CHILD_PREFIXES: dict[str, tuple[str, ...]] = {
    "prefect-server": ("PREFECT_",),
    "mail-sink": ("CDPPE_SINK_", "CDPPE_DATA_DIR", "CDPPE_MAIL_"),
    "documents": ("CDPPE_DATA_DIR", "CDPPE_DATABASE_URL", "CDPPE_DOCUMENTS_", "CDPPE_UPLOAD_",
                  "PREFECT_SERVER_API_AUTH_STRING"),
    "serve": ("CDPPE_", "PREFECT_"),  # the flows: database, SMTP (with its password), Prefect API
}


def child_environment(name: str, env: dict[str, str]) -> dict[str, str]:
    """``env`` cut down to what child ``name`` needs: no SMTP password in the Prefect server's
    environment, no Prefect auth string in the mail sink's."""
    prefixes = CHILD_PREFIXES.get(name, ("CDPPE_", "PREFECT_"))
    return {k: v for k, v in env.items()
            if k in BASE_VARIABLES or k.startswith(BASE_PREFIXES) or k.startswith(prefixes)}


def build_env(settings: Settings, address: StackAddress) -> dict[str, str]:
    data = settings.data_dir.resolve()
    env = server_environment(dict(os.environ))
    env.update({
        "CDPPE_DATA_DIR": str(data),
        "PREFECT_HOME": str(data / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_API_URL": address.api_url,
        **address.as_environment(),
    })
    if address.smtp_port is not None:
        env["CDPPE_SINK_PORT"] = str(address.smtp_port)
    env.setdefault("PREFECT_API_DATABASE_CONNECTION_URL",
                   f"sqlite+aiosqlite:///{data / 'prefect' / 'prefect.db'}")
    return env


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def busy_ports(settings: Settings, port: int, sink_port: int | None = None,
               documents_port: int | None = None) -> list[str]:
    """French lines, one per port ``make up`` would serve that something else already holds."""
    wanted = [(port, "l'interface et l'API Prefect", "PORT")]
    wanted.append((documents_port or port + 1, "le serveur de documents", "DOCS_PORT"))
    if not settings.smtp_host:
        wanted.append((sink_port or settings.sink_port, "la boîte mail locale", "SMTP_PORT"))
    return [f"le port {number} ({what}) est déjà utilisé : arrêtez l'autre `make up` ou choisissez "
            f"un autre port (`make up {variable}=…`)." for number, what, variable in wanted
            if port_in_use(number)]


def start_stack(settings: Settings, port: int = 4200, with_server: bool = True,
                sink_port: int | None = None, documents_port: int | None = None) -> Stack:
    external_api = os.environ.get("PREFECT_API_URL")
    api_url = external_api if (external_api and not with_server) else f"http://127.0.0.1:{port}/api"
    (settings.data_dir / "prefect").mkdir(parents=True, exist_ok=True)
    documents_port = documents_port or port + 1
    address = stack_address(settings, api_url, sink_port, documents_port)
    stack = Stack(settings, api_url, build_env(settings, address), address=address)
    try:
        if with_server:
            stack.start("prefect-server", [sys.executable, "-m", "cdppe.ops.prefect_server_process",
                                           "server", "start",
                                           "--host", "127.0.0.1", "--port", str(port),
                                           "--analytics-off", "--no-prompt"])
            wait_http(f"{api_url}/health", 120, stack.check_alive)
        if not settings.smtp_host:
            stack.start("mail-sink", [sys.executable, "-m", "cdppe.cli", "mail-sink"])
        stack.start("documents", [sys.executable, "-m", "cdppe.cli", "documents", "serve",
                                  "--port", str(documents_port)])
        stack.start("serve", [sys.executable, "-m", "deployments.serve"])
        write_address(settings.data_dir, address)
    except BaseException:
        stack.stop()
        raise
    return stack
