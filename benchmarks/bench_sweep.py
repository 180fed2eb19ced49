"""The daily deadline sweep at the national scale (issue 18, item 3): incremental vs full recompute.

101 generated Départements (the simulation's contracts, 1 to 3 exercices each) are imported into a
fresh SQLite database and synced once. Then, for ``--days`` days, each day's sweep is timed twice
on the same state: the full recompute (every exercice, what the sweep did before; rolled back) and
the incremental one (committed), with ``--answers`` contracts getting a recorded fact that day (their
exercices marked stale as a recorded answer marks them). Prints min / median milliseconds and SQL
statements per day, beside the target (≤ 50 ms a day at 101 Départements).

    .venv/bin/python benchmarks/bench_sweep.py [--days 30] [--answers 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

TARGET_MS = 50.0


def setup(tmp: Path, departments: int) -> Any:
    import os

    os.environ["CDPPE_DATA_DIR"] = str(tmp)
    from sqlmodel import Session

    from cdppe.services.contract_io import parse_contract
    from cdppe.services.importer import import_contract
    from cdppe.services.reminders.sync import sync_all_deadlines
    from cdppe.simulation.generator import scenario_contracts
    from cdppe.store.db import engine_for, upgrade

    engine = engine_for(f"sqlite:///{tmp / 'bench.sqlite'}")
    upgrade(engine)
    with Session(engine) as session:
        for data in scenario_contracts(departments, 2025, 1, tmp / "contracts"):
            import_contract(session, parse_contract(data), "bench")
        session.commit()
        sync_all_deadlines(session, date(2025, 1, 1), full=True)
        session.commit()
    return engine


class Statements:
    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._one)

    def _one(self, *_: Any) -> None:
        self.count += 1


def one_day(engine: Any, day: date, answers: int, rng: random.Random, counter: Statements,
            ) -> tuple[float, int, float, int, int]:
    """(full ms, full statements, incremental ms, incremental statements, exercices recomputed)."""
    from sqlmodel import Session, select

    from cdppe.services.reminders.sync import sync_all_deadlines
    from cdppe.store.deadline_sync import mark_contracts_stale
    from models import Contract

    with Session(engine) as session:
        ids = [i for i in session.exec(select(Contract.id)).all() if i is not None]
        mark_contracts_stale(session, contract_ids=rng.sample(ids, answers))
        session.commit()
    with Session(engine) as session:
        counter.count = 0
        start = time.perf_counter()
        sync_all_deadlines(session, day, full=True, commit_each=False)
        full_ms, full_n = (time.perf_counter() - start) * 1000, counter.count
        session.rollback()
    with Session(engine, expire_on_commit=False) as session:  # as the sweep's task opens it
        counter.count = 0
        start = time.perf_counter()
        result = sync_all_deadlines(session, day)
        session.commit()
        inc_ms, inc_n = (time.perf_counter() - start) * 1000, counter.count
    return full_ms, full_n, inc_ms, inc_n, result.recomputed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=101)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--answers", type=int, default=3, help="contracts with a new fact each day")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cdppe-bench-sweep-"))
    t0 = time.perf_counter()
    engine = setup(tmp, args.departments)
    print(f"{args.departments} Départements imported and synced in {time.perf_counter() - t0:.1f} s")
    counter, rng = Statements(engine), random.Random(1)
    days = [one_day(engine, date(2025, 3, 3) + timedelta(days=i), args.answers, rng, counter)
            for i in range(args.days)]
    full = [d[0] for d in days]
    inc = [d[2] for d in days]
    print(f"{args.days} days, {args.answers} contract(s) with a new fact each day:")
    print(f"{'sweep of a day':<34} {'min ms':>8} {'median ms':>10} {'SQL/day':>8} {'target':>8}")
    print(f"{'full recompute (before)':<34} {min(full):>8.1f} {statistics.median(full):>10.1f} "
          f"{statistics.median(d[1] for d in days):>8.0f} {'':>8}")
    print(f"{'incremental (now)':<34} {min(inc):>8.1f} {statistics.median(inc):>10.1f} "
          f"{statistics.median(d[3] for d in days):>8.0f} {TARGET_MS:>7.0f}")
    print(f"exercices recomputed a day (median): {statistics.median(d[4] for d in days):.0f}; "
          f"target met: {'yes' if statistics.median(inc) <= TARGET_MS else 'NO'}")


if __name__ == "__main__":
    main()
