"""Orchestration overhead per phase: wall time of the phase flow minus the time of its own work.

For each phase, every human answer is recorded first (as `cdppe record` does), so the
flow run completes without waiting; its "own work" (documents, phase state, artifacts'
content, deadlines) is then done again without Prefect on a twin contract and timed.
Run for 1 contract and for 20 contracts at once (threads), with heartbeats on and off.

    .venv/bin/python benchmarks/bench_orchestration.py [--contracts 20] [--server harness|postgresql]

With ``--server postgresql`` the Prefect API is a real ``prefect server`` on the local
PostgreSQL (a scratch database), as in production; the default is Prefect's test harness
on SQLite, where the server's own writers contend for the file lock and the client then
retries with ~2 s back-offs.
"""

from __future__ import annotations

import argparse
import contextvars
import copy
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="cdppe-bench-orch-"))
os.environ.setdefault("PREFECT_HOME", str(TMP / "prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
os.environ["CDPPE_DATA_DIR"] = str(TMP / "data")
os.environ["CDPPE_DATABASE_URL"] = f"sqlite:///{TMP / 'bench.sqlite'}"

from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings  # noqa: E402
from prefect.testing.utilities import prefect_test_harness  # noqa: E402
from sqlmodel import select  # noqa: E402

from cdppe.present.summaries import exercice_progress, phase_markdown, plan_action_table  # noqa: E402
from cdppe.services.contract_io import load_yaml, parse_contract  # noqa: E402
from cdppe.services.importer import import_contract  # noqa: E402
from cdppe.services.lifecycle import mark_phase, next_need, phase_completion_date, record_answer  # noqa: E402
from cdppe.store.db import get_engine, session_scope, upgrade  # noqa: E402
from flows.annual_cycle import PHASE_FLOWS  # noqa: E402
from models import Contract, Exercice  # noqa: E402
from models.answers import (  # noqa: E402
    AcknowledgementAnswer,
    AmendmentDecisionAnswer,
    Answer,
    DeliberationAnswer,
    DiagnosisAnswer,
    OdpeAnswer,
    PaymentAnswer,
    ReportAnswer,
    SignatureAnswer,
)
from models.enums import PHASE_ORDER, FundingSource, Phase, PhaseStatus, SignatoryRole  # noqa: E402

AS_OF = date(2025, 12, 1)
WHO = "Banc d'essai"
CODES = [f"{n:02d}" for n in range(1, 96) if n != 20]


def answers(phase: Phase, ex: Exercice) -> list[Answer]:
    if phase is Phase.DIAGNOSIS:
        return [DiagnosisAnswer(agreed_on=date(2024, 10, 15), answered_by=WHO)]
    if phase is Phase.DELIBERATION:
        return [DeliberationAnswer(convocation_date=date(2024, 11, 8), session_date=date(2024, 11, 22),
                                   number="205", vote="à l'unanimité", answered_by=WHO),
                AcknowledgementAnswer(acknowledgement_date=date(2024, 11, 29), answered_by=WHO)]
    if phase is Phase.SIGNATURE:
        return [SignatureAnswer(role=r, signatory_name="Signataire", signed_on=date(2024, 12, 2 + i),
                                answered_by=WHO)
                for i, r in enumerate((SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT))]
    if phase is Phase.CREDIT_PAYMENT:
        return [PaymentAnswer(source=FundingSource.BOP304, notified_amount=f"{ex.bop304:.2f}",
                              received_on=date(2025, 1, 20), answered_by=WHO),
                PaymentAnswer(source=FundingSource.FIR, notified_amount=f"{ex.fir:.2f}",
                              received_on=date(2025, 2, 10), answered_by=WHO)]
    if phase is Phase.ODPE_REVIEW:
        return [OdpeAnswer(session_date=date(2025, 10, 15), opinion="Favorable.", answered_by=WHO)]
    if phase is Phase.EXECUTION_REPORT:
        return [ReportAnswer(adopted_on=date(2025, 11, 10), deliberation_number="118",
                             transmitted_on=date(2025, 11, 28), answered_by=WHO)]
    return [AmendmentDecisionAnswer(avenant_needed=False, answered_by=WHO)]


def import_contracts(count: int) -> list[str]:
    base = load_yaml(ROOT / "examples" / "saone-et-loire-2024.yaml")
    keys = []
    for code in CODES[:count]:
        data: dict[str, Any] = copy.deepcopy(base)
        data["departement"] = {"code": code, "name": f"Département {code}"}
        cf = parse_contract(data)
        with session_scope() as session:
            keys.append(import_contract(session, cf, WHO).key)
    return keys


def record_phase(key: str, phase: Phase) -> None:
    with session_scope() as session:
        contract = session.exec(select(Contract).where(Contract.key == key)).one()
        ex = session.exec(select(Exercice).where(Exercice.contract_id == contract.id)).one()
        for answer in answers(phase, ex):
            record_answer(session, contract, ex, phase, answer, AS_OF)


def plain_work(key: str, phase: Phase) -> None:
    """What the phase flow does, without Prefect: documents, state, artifacts' content."""
    from cdppe.present.documents import generate_step_documents

    with session_scope() as session:
        contract = session.exec(select(Contract).where(Contract.key == key)).one()
        ex = session.exec(select(Exercice).where(Exercice.contract_id == contract.id)).one()
        assert ex.id is not None and contract.id is not None
        next_need(session, ex, phase)
        if phase is not Phase.AMENDMENT:
            generate_step_documents(session, contract.id, ex.id, phase, ("html", "docx"), 0)
        mark_phase(session, ex.id, phase, PhaseStatus.COMPLETED,
                   completed_on=phase_completion_date(session, ex, phase))
        phase_markdown(session, contract, ex, phase)
        if phase is Phase.DIAGNOSIS:
            plan_action_table(session, contract, ex)
        exercice_progress(session, ex.id)


def timed(fn: Any, *args: Any) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def run_flows(keys: list[str], phase: Phase, threads: int) -> float:
    flow_fn = PHASE_FLOWS[phase]
    start = time.perf_counter()
    if threads == 1:
        for key in keys:
            flow_fn(contract=key, year=2024)
    else:
        with ThreadPoolExecutor(threads) as pool:  # each thread gets this thread's settings context
            futures = [pool.submit(contextvars.copy_context().run, flow_fn, contract=k, year=2024)
                       for k in keys]
            for future in futures:
                future.result()
    return time.perf_counter() - start


def measure(count: int, heartbeat: bool, threads: int) -> dict[Phase, tuple[float, float]]:
    keys = import_contracts(2 * count)
    flow_keys, plain_keys = keys[:count], keys[count:]
    results: dict[Phase, tuple[float, float]] = {}
    settings: dict[Any, Any] = {} if heartbeat else {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    for phase in PHASE_ORDER:
        for key in flow_keys + plain_keys:
            record_phase(key, phase)
        with temporary_settings(settings):
            flow_wall = run_flows(flow_keys, phase, threads)
        work_wall = sum(timed(plain_work, key, phase) for key in plain_keys)
        if threads > 1:
            work_wall /= min(threads, 2)  # 2 cores: the plain loop could use both at best
        results[phase] = (flow_wall, work_wall)
    return results


@contextmanager
def postgres_server() -> Iterator[None]:
    import subprocess
    import urllib.request
    import uuid

    from prefect.settings import PREFECT_API_URL
    from throwaway_postgres import throwaway_database

    with throwaway_database(f"prefect_bench_{uuid.uuid4().hex[:8]}") as url:
        env = dict(os.environ, PREFECT_API_DATABASE_CONNECTION_URL=url)
        command = [sys.executable, "-m", "prefect", "server", "start", "--port", "4388", "--no-ui"]
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            for _ in range(240):
                try:
                    urllib.request.urlopen("http://127.0.0.1:4388/api/health", timeout=1)  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.5)
            with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:4388/api"}):
                yield
        finally:
            os.killpg(server.pid, 15)
            server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=20)
    parser.add_argument("--server", choices=["harness", "postgresql"], default="harness")
    args = parser.parse_args()
    rounds = [(1, False, 1), (1, True, 1), (args.contracts, False, 1), (args.contracts, False, 4)]
    server = (postgres_server() if args.server == "postgresql"
              else prefect_test_harness(server_startup_timeout=120))
    print(f"API Prefect : {args.server}")
    with server:
        print(f"{'contrats':>8} {'heartbeat':>9} {'threads':>7} {'phase':<18} {'flow (s)':>9} "
              f"{'travail (s)':>11} {'surcoût/flow (s)':>16}")
        for count, heartbeat, threads in rounds:
            db = TMP / f"bench-{count}-{heartbeat}-{threads}.sqlite"
            os.environ["CDPPE_DATABASE_URL"] = f"sqlite:///{db}"
            from cdppe.core.settings import get_settings

            get_settings.cache_clear()
            upgrade(get_engine())
            results = measure(count, heartbeat, threads)
            overheads = []
            for phase, (flow_wall, work_wall) in results.items():
                per_run = (flow_wall - work_wall) / count
                overheads.append(per_run)
                print(f"{count:>8} {('oui' if heartbeat else 'non'):>9} {threads:>7} {phase.value:<18} "
                      f"{flow_wall:>9.2f} {work_wall:>11.2f} {per_run:>16.3f}")
            print(f"{count:>8} {('oui' if heartbeat else 'non'):>9} {threads:>7} {'MOYENNE':<18} "
                  f"{'':>9} {'':>11} {statistics.mean(overheads):>16.3f}\n")


if __name__ == "__main__":
    main()
