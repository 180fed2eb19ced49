"""Stopping `make up`: the runner is stopped only once its flow-run processes are gone."""

from __future__ import annotations

import subprocess
import time

from cdppe.local_stack import child_pids, wait_children_exit


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
