"""The simulated year at 1, 10 and 101 Départements: time, memory, throughput, orchestration ratio.

For each size, the same simulation runs twice, each in its own process (so peak
memory is its own): once through the real flows on a real Prefect API, once as the
same work in one plain Python loop (same templates rendered, same rows written,
same e-mails sent; ``orchestrated=False`` in ``cdppe.simulation.runner``). The
orchestration ratio is flows / plain; ``complets`` counts the exercices that reached
their report and avenant (from the database). Then the growth from 10 to 101 Départements
(time) against the growth of the work (documents + e-mails + recorded answers).

    .venv/bin/python benchmarks/bench_simulation.py [--sizes 1,10,101] [--year 2025]
        [--prefect-db auto|sqlite|postgresql+asyncpg://postgres@127.0.0.1:5432/DB]

The Prefect server is a temporary local one. With ``auto`` (the default) it runs on a
throwaway PostgreSQL database on 127.0.0.1:5432 (the production setup; created for each
measurement and dropped after) when PostgreSQL answers there, else on SQLite, whose
writers contend as runs pile up. Peak memory is the simulation process's (the Prefect
server runs in its own process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from throwaway_postgres import postgres_available, throwaway_database
from work_meter import WorkMeter

ROOT = Path(__file__).resolve().parents[1]


def child(size: int, mode: str, out: Path, year: int, prefect_db: str | None) -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_HOME", str(out / "prefect-home"))
    sys.path.insert(0, str(ROOT))
    from cdppe.simulation.runner import simulate
    from cdppe.store.db import engine_for
    from cdppe.store.simulation_summary import summarize

    meter = WorkMeter().install()
    result = simulate(size, year, out, seed=1, orchestrated=(mode == "flows"),
                      prefect_database_url=prefect_db)
    summary = summarize(engine_for(result.database_url), year, result.last_day, result.out / "mail",
                        result.counters.flow_runs, result.wall_seconds)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print("RESULT " + json.dumps({"size": size, "mode": mode, "wall": result.wall_seconds,
                                  "peak": peak, "answers": result.counters.answers, "work": meter.as_dict(),
                                  **summary.as_dict()}))


def measure(size: int, mode: str, year: int, prefect_db: str) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix=f"cdppe-bench-sim-{size}-{mode}-"))
    with ExitStack() as stack:
        url = prefect_db
        if mode == "flows" and prefect_db == "auto":
            url = stack.enter_context(throwaway_database(f"cdppe_bench_{os.getpid()}_{size}"))
        args = [sys.executable, __file__, "--child", str(size), mode, str(out), "--year", str(year)]
        if url.startswith("postgresql"):
            args += ["--prefect-db", url]
        done = subprocess.run(args, capture_output=True, text=True, check=False)
    shutil.rmtree(out, ignore_errors=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"{size} {mode} failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(line.removeprefix("RESULT ")))


def work(r: dict[str, Any]) -> int:
    return int(r["documents"] + r["emails_sent"] + r["answers"])


def print_work(results: dict[int, dict[str, dict[str, Any]]]) -> None:
    """Issue 18 item 4: the plain loop against its own work, the flows against the plain loop."""
    print("\nTravail propre (secondes passées à rendre et écrire les documents, rendre et envoyer les "
          "courriels) :")
    for size, modes in results.items():
        for mode, r in modes.items():
            work_s = sum(r["work"].values())
            parts = ", ".join(f"{name} {value:.1f} s" for name, value in r["work"].items())
            print(f"  {size:>3} Dép. {mode:<5} : durée {r['wall']:.1f} s, travail {work_s:.1f} s ({parts}) : "
                  f"durée / travail = {r['wall'] / work_s:.2f}")
        ratio = modes["flows"]["wall"] / modes["plain"]["wall"]
        plain_ratio = modes["plain"]["wall"] / sum(modes["plain"]["work"].values())
        print(f"  {size:>3} Dép. : boucle simple / travail {plain_ratio:.2f} (plancher visé <= 2), "
              f"flows / boucle simple {ratio:.2f} (visé <= 1.5)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,10,101")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--prefect-db", default="auto")
    parser.add_argument("--child", nargs=3, metavar=("SIZE", "MODE", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1], Path(args.child[2]), args.year,
              args.prefect_db if args.prefect_db.startswith("postgresql") else None)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.prefect_db == "auto" and not postgres_available():
        args.prefect_db = "sqlite"
    server = "SQLite" if args.prefect_db == "sqlite" else "PostgreSQL"
    print(f"Simulation {args.year}, serveur Prefect sur {server}, machine à {os.cpu_count()} cœurs\n")
    head = (f"{'Dép.':>4} {'mode':<6} {'durée (s)':>9} {'pic (Mio)':>9} {'flow runs':>9} "
            f"{'documents':>9} {'courriels':>9} {'docs/s':>7} {'mails/s':>7} {'ratio':>6} {'complets':>8}")
    print(head)
    results: dict[int, dict[str, dict[str, Any]]] = {}
    for size in sizes:
        results[size] = {}
        for mode in ("plain", "flows"):
            r = measure(size, mode, args.year, args.prefect_db)
            results[size][mode] = r
            ratio = (f"{r['wall'] / results[size]['plain']['wall']:>6.2f}" if mode == "flows" else f"{'':>6}")
            print(f"{size:>4} {mode:<6} {r['wall']:>9.1f} {r['peak'] / 2**20:>9.0f} {r['flow_runs']:>9} "
                  f"{r['documents']:>9} {r['emails_sent']:>9} {r['documents'] / r['wall']:>7.1f} "
                  f"{r['emails_sent'] / r['wall']:>7.1f} {ratio} "
                  f"{r['exercices_complete']:>4}/{r['departements']:<3}", flush=True)
    print_work(results)
    if 10 in results and 101 in results:
        small, big = results[10], results[101]
        print("\nCroissance de 10 à 101 Départements :")
        growth = work(big["flows"]) / work(small["flows"])
        print(f"  travail (documents + courriels + réponses) : x{growth:.2f}")
        for mode in ("plain", "flows"):
            print(f"  durée {mode:<5} : x{big[mode]['wall'] / small[mode]['wall']:.2f}")


if __name__ == "__main__":
    main()
