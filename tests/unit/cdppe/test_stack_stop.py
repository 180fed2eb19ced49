"""Stopping `make up`: the runner is stopped only once its flow-run processes are gone."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from cdppe.ops.local_stack import child_pids, command_line, flow_run_pids, wait_children_exit


def test_waits_for_the_children_of_a_process_to_exit() -> None:
    parent = subprocess.Popen(["sh", "-c", "sleep 1.5 & wait"])
    try:
        deadline = time.monotonic() + 5
        while not child_pids(parent.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child_pids(parent.pid), "the sleep child should be listed"
        started = time.monotonic()
        wait_children_exit(parent.pid, timeout=10)
        assert child_pids(parent.pid) == set()
        assert time.monotonic() - started < 5
    finally:
        parent.wait(timeout=10)


def test_gives_up_after_the_timeout() -> None:
    parent = subprocess.Popen(["sh", "-c", "sleep 30 & wait"])
    try:
        time.sleep(0.3)
        started = time.monotonic()
        wait_children_exit(parent.pid, timeout=1)
        assert 0.9 <= time.monotonic() - started < 3
        assert child_pids(parent.pid)  # still there: the caller then stops it
    finally:
        subprocess.run(["pkill", "-P", str(parent.pid)], check=False)
        parent.wait(timeout=10)


def test_a_process_that_does_not_exist_has_no_children() -> None:
    assert child_pids(2**22 + 12345) == set()


FORK_SERVER_PARENT = """
import multiprocessing, sys, time

def nap(seconds):
    time.sleep(seconds)

if __name__ == "__main__":
    context = multiprocessing.get_context("forkserver")
    context.Process(target=nap, args=(float(sys.argv[1]),)).start()
    time.sleep(30)
"""


def _started(pid: int) -> bool:
    """A flow run is forked and every child of ``pid`` has exec'd: just forked, the fork server or the
    resource tracker still shows the parent's command line (a loaded machine makes that moment long)."""
    children = child_pids(pid)
    own = command_line(pid)
    return bool(flow_run_pids(pid)) and all(command_line(child) not in ("", own) for child in children)


def test_the_fork_server_and_its_tracker_are_not_flow_runs_but_its_children_are(tmp_path: Path) -> None:
    """The runner forks its flow runs from a fork server that lives as long as the runner."""
    script = tmp_path / "parent.py"
    script.write_text(FORK_SERVER_PARENT)
    parent = subprocess.Popen([sys.executable, str(script), "1.5"])
    try:
        deadline = time.monotonic() + 20
        while not _started(parent.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flow_run_pids(parent.pid), "the forked child should be a flow run"
        assert not flow_run_pids(parent.pid) & child_pids(parent.pid)  # not the server itself
        started = time.monotonic()
        wait_children_exit(parent.pid, timeout=15)
        assert flow_run_pids(parent.pid) == set()
        assert child_pids(parent.pid), "the fork server is still there: it is not waited for"
        assert time.monotonic() - started < 10
    finally:
        parent.kill()
        parent.wait(timeout=10)
