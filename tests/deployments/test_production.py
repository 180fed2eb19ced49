"""The several-machine setup, on one machine: a Prefect server on PostgreSQL with an auth string,
a `process` work pool, `prefect deploy` from deployments/prefect.yaml, a worker in a separate
process, the project's database on PostgreSQL; one full phase (signature) runs through it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings
from sqlmodel import Session, select

from cdppe.contract_io import read_contract_file
from cdppe.db import engine_for, upgrade
from cdppe.importer import import_contract
from cdppe.lifecycle import record_answer
from models import Contract, Exercice, PhaseState, Signature
from models.answers import AcknowledgementAnswer, DeliberationAnswer, DiagnosisAnswer
from models.enums import Phase, PhaseStatus
from tests.cdppe.test_local_stack import free_port
from tests.conftest import EXAMPLES, ROOT, _pg_schema_url
from tests.flows.driver import answer, wait_for_pause

pytestmark = pytest.mark.slow
AUTH = "coordination:mot-de-passe-de-test"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def prefect_database() -> Iterator[str]:
    name = f"prefect_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_health(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(log.read_text()[-3000:])


def test_phase_runs_on_postgres_server_with_separate_worker(prefect_database: str, tmp_path: Path) -> None:
    project_db = next(_pg_schema_url_gen := _pg_schema_url())
    try:
        engine = engine_for(project_db)
        upgrade(engine)
        with Session(engine) as session:
            import_contract(session, read_contract_file(EXAMPLES / "saone-et-loire-2024.yaml"), "test")
            session.commit()
            contract = session.exec(select(Contract)).one()
            ex = session.exec(select(Exercice)).one()
            as_of = date(2025, 1, 31)
            for phase, ans in (
                (Phase.DIAGNOSIS, DiagnosisAnswer(agreed_on=date(2024, 10, 15), answered_by="Camille")),
                (Phase.DELIBERATION, DeliberationAnswer(
                    convocation_date=date(2024, 11, 8), session_date=date(2024, 11, 22), number="205",
                    vote="à l'unanimité", answered_by="Camille")),
                (Phase.DELIBERATION, AcknowledgementAnswer(acknowledgement_date=date(2024, 11, 29),
                                                           answered_by="Camille")),
            ):
                record_answer(session, contract, ex, phase, ans, as_of)
            session.commit()

        port = free_port()
        api = f"http://127.0.0.1:{port}/api"
        env = dict(os.environ)
        env.update({
            "PREFECT_HOME": str(tmp_path / "prefect-home"),
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_database,
            "PREFECT_SERVER_API_AUTH_STRING": AUTH,
            "PREFECT_API_AUTH_STRING": AUTH,
            "PREFECT_API_URL": api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "CDPPE_DATABASE_URL": project_db,
            "CDPPE_DATA_DIR": str(tmp_path / "data"),
            "CDPPE_HOME": str(ROOT),
        })
        server_log = tmp_path / "server.log"
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port),
             "--no-ui"], env=env, cwd=ROOT, stdout=server_log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        worker = None
        try:
            wait_health(api, server, server_log)
            for args in (["work-pool", "create", "cdppe", "--type", "process"],
                         ["--no-prompt", "deploy", "--prefect-file", "deployments/prefect.yaml",
                          "--name", "signature"]):
                done = subprocess.run([sys.executable, "-m", "prefect", *args], env=env, cwd=ROOT,
                                      capture_output=True, text=True, timeout=180)
                assert done.returncode == 0, done.stdout + done.stderr
            worker_log = tmp_path / "worker.log"
            worker = subprocess.Popen([sys.executable, "-m", "prefect", "worker", "start", "--pool", "cdppe"],
                                      env=env, cwd=tmp_path, stdout=worker_log.open("wb"),
                                      stderr=subprocess.STDOUT, start_new_session=True)
            with temporary_settings({PREFECT_API_URL: api, PREFECT_API_AUTH_STRING: AUTH}):
                with get_client(sync_client=True) as client:  # the API refuses callers without the string
                    assert client.hello().status_code == 200
                run = run_deployment("signature/signature", parameters={"contract": "71-2024", "year": 2024},
                                     timeout=0)
                previous = None
                signatures = (("prefet", "2024-12-02"), ("ars", "2024-12-03"),
                              ("departement", "2024-12-05"))
                for role, day in signatures:
                    paused = wait_for_pause(run.id, previous, timeout=240)
                    assert paused.state is not None and paused.state.is_paused(), (
                        paused.state, worker_log.read_text()[-3000:])
                    previous = answer(paused, {"role": role, "signatory_name": "Signataire",
                                               "signed_on": day, "answered_by": "Camille"})
                final = wait_for_pause(run.id, previous, timeout=240)
                assert final.state is not None and final.state.is_completed(), final.state
                assert final.name == "Saône-et-Loire 2024 · signature"
            import httpx

            refused = httpx.get(f"{api}/flow_runs/{run.id}", timeout=10)
            assert refused.status_code == 401  # no auth string, no data
        finally:
            for process in (worker, server):
                if process is not None:
                    os.killpg(process.pid, 15)
                    process.wait(timeout=60)
        with Session(engine) as session:
            assert len(session.exec(select(Signature)).all()) == 3
            state = session.exec(select(PhaseState).where(PhaseState.phase == Phase.SIGNATURE)).one()
            assert state.status is PhaseStatus.COMPLETED
            assert session.exec(select(Exercice)).one().effective_date == date(2024, 12, 5)
    finally:
        _pg_schema_url_gen.close()
