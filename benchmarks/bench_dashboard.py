"""The national dashboard at 101 Départements, as a coordinator waits for it (issue 18, item 5).

The 101 generated Départements of ``bench_sweep.py`` (the simulation's contracts, two exercices
each, deadlines synced) in a fresh SQLite database; then ``--runs`` times each, alternately so
that the machine's load weighs on both, after one warm-up of each:

- ours: the flow `national-dashboard` (`flows/dashboard.py`) run on a temporary Prefect API:
  its task reads every exercice and mandatory objective and publishes both tables as artifacts;
- floor: the plain functions that task calls, on the same data, without Prefect
  (`exercice_rows`, `objective_rows` and their artifact cells).

Also counted, on one plain dashboard: its SQL statements, and one bulk read of the tables they
name (``SELECT *`` of each, one connection): the least any dashboard spends reading its data.

The measure runs in a child process (its Prefect settings and database stay there); the flow
runs in that process, as a started run executes it (a deployment's run also waits for its
worker to pick it up and start its process). ``run(runs)`` gives ``bench_user_waits.py`` its row.

    .venv/bin/python benchmarks/bench_dashboard.py [--runs 5] [--departments 101]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2025, 3, 3)
TABLE_RE = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)"?', re.IGNORECASE)


@dataclass
class Result:
    departments: int
    exercices: int
    objectives: int
    flows: list[float]  # seconds of each flow run
    plain: list[float]  # seconds of each plain dashboard
    statements: int  # SQL statements of one dashboard
    tables: list[str]  # the tables they read
    bulk: list[float]  # seconds of each bulk read of those tables


def timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def plain_dashboard() -> tuple[int, int]:
    """What the flow's task computes, without Prefect: (exercice rows, objective rows)."""
    from cdppe.present.dashboard import (
        EXERCICE_COLUMNS,
        OBJECTIVE_COLUMNS,
        artifact_table,
        exercice_rows,
        objective_rows,
    )
    from cdppe.store.db import session_scope

    with session_scope() as session:
        exercices = exercice_rows(session, AS_OF)
        objectives = objective_rows(session)
    artifact_table(exercices, EXERCICE_COLUMNS)
    artifact_table(objectives, OBJECTIVE_COLUMNS)
    return len(exercices), len(objectives)


def statements_and_tables(engine: Any) -> tuple[int, list[str]]:
    """The SQL statements of one plain dashboard, and the tables they read."""
    from sqlalchemy import event

    seen: list[str] = []

    def one(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", one)
    try:
        plain_dashboard()
    finally:
        event.remove(engine, "before_cursor_execute", one)
    return len(seen), sorted({t for s in seen for t in TABLE_RE.findall(s)})


def bulk_read(engine: Any, tables: list[str]) -> None:
    from sqlalchemy import text

    with engine.connect() as conn:
        for table in tables:
            conn.execute(text(f'SELECT * FROM "{table}"')).all()


def child(departments: int, runs: int) -> Result:
    with tempfile.TemporaryDirectory(prefix="cdppe-bench-dashboard-") as tmp:
        os.environ["PREFECT_HOME"] = str(Path(tmp) / "prefect-home")
        sys.path.insert(0, str(ROOT))
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import bench_sweep

        engine = bench_sweep.setup(Path(tmp), departments)
        os.environ["CDPPE_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
        from prefect.testing.utilities import prefect_test_harness

        from cdppe.core.settings import get_settings
        from cdppe.ops.prefect_server import local_server_settings
        from flows.dashboard import national_dashboard

        get_settings.cache_clear()  # the flow's task opens its sessions on that database
        exercices, objectives = plain_dashboard()  # warm: catalogues, campaigns, caches
        statements, tables = statements_and_tables(engine)
        flows, plain, bulk = [], [], []
        with local_server_settings(), prefect_test_harness(server_startup_timeout=120):
            counts = national_dashboard(as_of=AS_OF)  # warm: the client, the flow's registration
            assert counts["exercices"] == exercices and counts["objectifs"] == objectives, counts
            for _ in range(runs):
                flows.append(timed(lambda: national_dashboard(as_of=AS_OF)))
                plain.append(timed(plain_dashboard))
                bulk.append(timed(lambda: bulk_read(engine, tables)))
        return Result(departments, exercices, objectives, flows, plain, statements, tables, bulk)


def run(runs: int, departments: int = 101) -> Result:
    """The measure in a child process of its own (``Result``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CDPPE_"))}
    env.update(PREFECT_LOGGING_LEVEL="ERROR", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    done = subprocess.run([sys.executable, __file__, "--child", str(departments), str(runs)],
                          env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"bench_dashboard failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return Result(**json.loads(line.removeprefix("RESULT ")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--departments", type=int, default=101)
    parser.add_argument("--child", nargs=2, type=int, metavar=("DEPARTMENTS", "RUNS"))
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(asdict(child(*args.child))))
        return
    r = run(args.runs, args.departments)
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {args.runs} runs each")
    print(f"{r.departments} Départements: {r.exercices} exercice rows, {r.objectives} objective rows; "
          f"{r.statements} SQL statements on {len(r.tables)} tables ({', '.join(r.tables)})")
    print("| measure | min | median |")
    print("|---|---|---|")
    for name, values in (("flow national-dashboard", r.flows), ("plain functions (floor)", r.plain),
                         ("bulk read of its tables", r.bulk)):
        print(f"| {name} | {min(values):.3f} s | {statistics.median(values):.3f} s |")
    print(f"flow / plain (medians): {statistics.median(r.flows) / statistics.median(r.plain):.2f}")


if __name__ == "__main__":
    main()
