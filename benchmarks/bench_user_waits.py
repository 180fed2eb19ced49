"""What people wait for, each figure beside its floor, measured side by side in one run (issue 18).

- `cdppe --help`, `contract validate`, `contract show`: a new process each, as the README writes
  it; floor: the same work's least program (`bench_cli_start.py`).
- Submit in the UI -> next step's form: a `cdppe up` stack, Saône-et-Loire's steps answered as
  Submit does; floor: an empty flow that suspends and resumes on the same stack, same runner
  (`bench_submit_latency.py`).
- `make up` warm start: `cdppe up` again on the data the run above left, until the waiting
  step's form is ready; floor: `prefect server start` on a home it already created, until its
  API answers.
- daily sweep at 101 Départements: the incremental sweep (`bench_sweep.py`); floor: the 50 ms
  target (the full recompute it replaces is printed beside it).
- national dashboard at 101 Départements: the flow `national-dashboard` on a temporary Prefect
  API, on `bench_sweep.py`'s 101 Départements; floor: the plain functions its task calls on the
  same data (its SQL statements and a bulk read of the tables they name printed beside it)
  (`bench_dashboard.py`).
- national year: the plain loop against its own work (documents rendered and written, e-mails
  rendered and sent, timed where they are done: `work_meter.py`; target: <= 2 x that work), then
  `cdppe simulate` through the flows; floor: the same in the plain loop (`bench_simulation.py`;
  target: flows <= 1.5 x plain).
- one exercice's PDFs (Creuse 2025, every step's documents from their DOCX): one LibreOffice
  kept warm for the exercice, its start included, as `cdppe documents generate --format pdf`
  converts them; floor: the same LibreOffice already running, the conversions alone (one warm
  LibreOffice, per document); the old cold conversion (one LibreOffice per document) printed
  beside it (`bench_documents.py`).

Prints min / median of each and the ratio to its floor, with the load average before and after.
``--quick`` (about 5 minutes here): fewer runs, 10 Départements for the year instead of 101.

    .venv/bin/python benchmarks/bench_user_waits.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cli_start  # noqa: E402
import bench_dashboard  # noqa: E402
import bench_documents  # noqa: E402
import bench_simulation  # noqa: E402
import bench_submit_latency  # noqa: E402
import bench_sweep  # noqa: E402

Row = tuple[str, list[float], list[float], str, str]  # figure, ours, floor, unit, target


def cli_rows(runs: int) -> list[Row]:
    return [(f"`cdppe {name}`", ours, floors, "s", f"≤ {bench_cli_start.TARGETS[name]} s")
            for name, ours, floors in bench_cli_start.run(runs)]


def submit_rows(samples: int) -> tuple[list[Row], Path]:
    cycle, floors, data = bench_submit_latency.run(samples)
    return [("Submit → formulaire suivant", cycle, floors["cdppe"], "s", "≤ 1.5 × plancher")], data


def wait_until(probe: Callable[[], bool], timeout: float = 300) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if probe():
            return time.monotonic() - start
        time.sleep(0.05)
    raise TimeoutError("not ready")


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except (OSError, urllib.error.HTTPError):
        return False


ENV = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CDPPE_"))}


def stack_warm_start(data: Path) -> float:
    """``cdppe up`` on existing data: seconds until the waiting step's form is ready."""
    free = bench_submit_latency.free_port
    port = free()
    api = bench_submit_latency.Api(f"http://127.0.0.1:{port}")
    stack = bench_submit_latency.start(
        [sys.executable, "-m", "cdppe.cli", "up", "--port", str(port), "--smtp-port", str(free()),
         "--documents-port", str(free())], {**ENV, "CDPPE_DATA_DIR": str(data)}, data / "warm.log")
    try:
        return wait_until(lambda: any(api.form_ready(r) for r in api.paused("Saône-et-Loire 2024")))
    finally:
        bench_submit_latency.stop(stack)


def server_start(home: str) -> float:
    """Prefect's own server on ``home``: seconds until its API answers."""
    port = bench_submit_latency.free_port()
    server = bench_submit_latency.start(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        {**ENV, "PREFECT_HOME": home, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}, Path(home) / "log")
    try:
        return wait_until(lambda: answers(f"http://127.0.0.1:{port}/api/health"))
    finally:
        bench_submit_latency.stop(server)


def warm_start_rows(data: Path, runs: int) -> list[Row]:
    """Both warm: our stack on the data it left, Prefect's server on a home it already created."""
    ours, floors = [], []
    home = tempfile.mkdtemp(prefix="cdppe-bench-floor-")
    server_start(home)  # creates its database: the runs below start warm
    for _ in range(runs):
        ours.append(stack_warm_start(data))
        floors.append(server_start(home))
    return [("`make up` redémarrage (formulaire prêt)", ours, floors, "s", "—")]


def sweep_rows(days: int) -> list[Row]:
    tmp = Path(tempfile.mkdtemp(prefix="cdppe-bench-sweep-"))
    engine = bench_sweep.setup(tmp, 101)
    counter, rng = bench_sweep.Statements(engine), random.Random(1)
    measured = [bench_sweep.one_day(engine, date(2025, 3, 3) + timedelta(days=i), 3, rng, counter)
                for i in range(days)]
    incremental = [d[2] / 1000 for d in measured]
    full = [d[0] / 1000 for d in measured]
    target = f"≤ {bench_sweep.TARGET_MS:.0f} ms (recalcul complet : {statistics.median(full) * 1000:.0f} ms)"
    return [("relance quotidienne, 101 Départements", incremental,
             [bench_sweep.TARGET_MS / 1000] * days, "s", target)]


def dashboard_rows(runs: int) -> list[Row]:
    r = bench_dashboard.run(runs)
    target = (f"— ({r.statements} requêtes SQL ; ses {len(r.tables)} tables lues en bloc : "
              f"{statistics.median(r.bulk):.3f} s)")
    return [(f"tableau de bord national, {r.departments} Départements (flow / fonctions simples)",
             r.flows, r.plain, "s", target)]


def year_rows(size: int) -> list[Row]:
    plain = bench_simulation.measure(size, "plain", 2025, "auto")
    flows = bench_simulation.measure(size, "flows", 2025, "auto")
    work = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in plain["work"].items())
    return [(f"année nationale, {size} Départements (boucle simple / son travail : {work})", [plain["wall"]],
             [sum(plain["work"].values())], "s", "≤ 2 × travail"),
            (f"année nationale, {size} Départements (flows / boucle simple)", [flows["wall"]],
             [plain["wall"]], "s", "≤ 1.5 × boucle simple")]


def pdf_rows(runs: int) -> list[Row]:
    ours, floors, documents, cold = bench_documents.run(runs)
    return [(f"PDF d'un exercice ({documents} documents)", ours, floors, "s",
             f"quelques secondes (avant, un LibreOffice par document : {statistics.median(cold):.1f} s)")]


def report(rows: list[Row], load_before: tuple[float, ...]) -> None:
    load_after = os.getloadavg()
    print(f"charge moyenne avant : {load_before[0]:.2f}, après : {load_after[0]:.2f} (2 cœurs)")
    print("| attente | nous min | nous médiane | plancher médiane | rapport | cible |")
    print("|---|---|---|---|---|---|")
    for name, ours, floor, unit, target in rows:
        median, floor_median = statistics.median(ours), statistics.median(floor)
        print(f"| {name} | {min(ours):.3f} {unit} | {median:.3f} {unit} | {floor_median:.3f} {unit} | "
              f"{median / floor_median:.2f} | {target} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, 10 Départements for the year")
    args = parser.parse_args()
    load_before = os.getloadavg()
    runs, samples = (3, 5) if args.quick else (7, 10)
    rows = cli_rows(runs)
    submit, data = submit_rows(samples)
    rows += submit
    rows += warm_start_rows(data, 2 if args.quick else 5)
    rows += sweep_rows(10 if args.quick else 30)
    rows += dashboard_rows(runs)
    rows += year_rows(10 if args.quick else 101)
    rows += pdf_rows(runs)
    report(rows, load_before)


if __name__ == "__main__":
    main()
