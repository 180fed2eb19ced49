"""End to end: Saône-et-Loire 2024 through all seven phases on a real Prefect API.

Every human step is answered through Prefect's input API, as the UI does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactFilter, ArtifactFilterKey
from prefect.deployments import run_deployment
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from cdppe.services.contract_io import read_contract_file
from cdppe.services.importer import import_contract
from cdppe.services.uploads import ingest_operator_file
from cdppe.store.db import engine_for, upgrade
from models import (
    AuditEvent,
    Deliberation,
    ExecutionReport,
    Exercice,
    GeneratedDocument,
    OdpePresentation,
    OdpeReview,
    Payment,
    PhaseState,
    Signature,
)
from models.enums import PHASE_ORDER, PhaseStatus
from tests.conftest import EXAMPLES
from tests.flows.driver import PhaseChain, Served, answer, pause_description, start_serving, wait_for_step

pytestmark = pytest.mark.slow
WHO = {"answered_by": "Camille Coordinatrice"}

BEFORE_PAYMENT: list[tuple[str, dict[str, Any]]] = [
    ("En attente du diagnostic partagé", {"agreed_on": "2024-10-15"}),
    ("En attente de délibération", {"convocation_date": "2024-11-08", "session_date": "2024-11-22",
                                    "number": "205", "vote": "à l'unanimité"}),
    ("En attente de l'accusé de réception @ctes", {"acknowledgement_date": "2024-11-29"}),
    ("En attente de signature (0/3)", {"role": "Le Préfet", "signatory_name": "Yves Seguy",
                                       "signed_on": "2024-12-02", "method": "papier"}),
    ("En attente de signature (1/3)", {"role": "Le Directeur général de l'ARS",
     "signatory_name": "Jean-Jacques Coiplet",
                                       "signed_on": "2024-12-03", "method": "electronique"}),
    ("En attente de signature (2/3)", {"role": "Le Président du conseil départemental",
     "signatory_name": "André Accary",
                                       "signed_on": "2024-12-05", "method": "papier",
                                       "scan_sha256": "SCAN"}),
]
AFTER_SIGNATURE: list[tuple[str, dict[str, Any]]] = [
    ("En attente du versement BOP 304 (0/2)", {"source": "BOP 304", "notified_amount": "843728.00",
                                               "received_on": "2025-01-20"}),
    ("En attente du versement FIR (1/2)", {"source": "FIR", "notified_amount": "370395.00",
                                           "received_on": "2025-02-10"}),
    ("En attente de la présentation du contrat à l'ODPE", {"session_date": "2025-02-12"}),
    ("En attente de l'avis de l'ODPE", {"session_date": "2025-10-15", "favourable": True,
                                        "opinion": "Avis favorable au projet de rapport."}),
    ("En attente du rapport d'exécution", {"adopted_on": "2025-11-10", "deliberation_number": "2025-118",
                                           "transmitted_on": "2025-11-28"}),
    ("En attente de la décision sur l'avenant", {"avenant_needed": False}),
]


@pytest.fixture
def cycle_db(tmp_path: Path) -> Iterator[tuple[str, Engine, Path]]:
    db_url = f"sqlite:///{tmp_path / 'cycle.sqlite'}"
    engine = engine_for(db_url)
    upgrade(engine)
    with Session(engine) as session:
        import_contract(session, read_contract_file(EXAMPLES / "saone-et-loire-2024.yaml"), "test")
        session.commit()
    scan = tmp_path / "scan-signature.pdf"
    scan.write_bytes(b"%PDF-1.4\n% page signee\n")
    yield db_url, engine, scan


def drive(chain: PhaseChain, steps: list[tuple[str, dict[str, Any]]], scan: Path,
          previous: str | None = None) -> str | None:
    for expected_name, data in steps:
        run = wait_for_step(chain, previous)
        assert run.state is not None
        assert run.state.name == expected_name, (run.state.name, run.state.message)
        payload = {**data, **WHO}
        if payload.get("scan_sha256") == "SCAN":  # the form takes an ingested scan's sha256
            # deposited where the served flows read their documents (start_serving's data dir)
            payload["scan_sha256"] = ingest_operator_file(
                scan, "--scan", documents_dir=scan.parent / "data" / "documents").sha256
        previous = answer(run, payload)
    return previous


def start_cycle() -> PhaseChain:
    """The operator's button: the cycle's launch run starts the run of the phase the exercice is at."""
    since = datetime.now(UTC)
    run_deployment("annual-cycle/cycle-annuel", parameters={"contract": "71-2024", "year": 2024}, timeout=0)
    return PhaseChain("71-2024", 2024, since=since)


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_full_cycle_with_a_refused_answer(prefect_api: str, cycle_db: tuple[str, Engine, Path],
                                          tmp_path: Path) -> None:
    db_url, engine, scan = cycle_db
    served = start_serving(prefect_api, db_url, tmp_path / "data", tmp_path / "serve.log")
    try:
        chain = start_cycle()
        previous = drive(chain, BEFORE_PAYMENT[:3], scan)
        # A signature dated before the deliberation is refused and the step still waits.
        run = wait_for_step(chain, previous)
        assert run.state is not None and run.state.name == "En attente de signature (0/3)"
        previous = answer(run, {"role": "Le Préfet", "signatory_name": "Yves Seguy",
                                "signed_on": "2024-11-20", **WHO})
        run = wait_for_step(chain, previous)
        assert run.state is not None
        assert run.state.name == "En attente de signature (0/3)"
        assert "refusée" in pause_description(run)
        assert (run.state.message or "").startswith("Réponse refusée : ")
        assert "antérieure à la délibération" in (run.state.message or "")
        with Session(engine) as session:
            assert count(session, Signature) == 0
        previous = drive(chain, BEFORE_PAYMENT[3:] + AFTER_SIGNATURE, scan, previous)
        final = wait_for_step(chain, previous)
        assert final.state is not None and final.state.is_completed(), final.state
        # The runs list reads like the exercice's status: each phase once, Completed.
        runs = chain.runs()
        assert [r.name for r in runs] == [f"Saône-et-Loire 2024 · {p.label}" for p in PHASE_ORDER]
        assert all(r.state is not None and r.state.is_completed() for r in runs)
        assert all(r.parent_task_run_id is None for r in runs)  # top-level runs, not subflows
        with get_client(sync_client=True) as client:
            assert {"departement-71", "exercice-2024", "generation-2024"} <= set(runs[0].tags)
            signature = client.read_latest_artifacts(
                artifact_filter=ArtifactCollectionFilter(key={"any_": ["cdppe-71-2024-2024-signature"]}))
            assert signature and "Signé par le Préfet le 2 décembre 2024" in str(signature[0].data)
            assert "1\u202f692\u202f424\u00a0€" in str(signature[0].data)
            plan = client.read_latest_artifacts(
                artifact_filter=ArtifactCollectionFilter(key={"any_": ["cdppe-71-2024-2024-plan-action"]}))
            assert plan and plan[0].type == "table"
            progress = client.read_artifacts(artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["cdppe-71-2024-2024-avancement"])))
            # One card for the exercice (created by the first run that showed it), updated in place:
            # nothing new since this cycle started but that one card's updates.
            assert chain.since is not None
            created = [a for a in progress if a.created and a.created >= chain.since]
            updated = [a for a in progress if a.updated and a.updated >= chain.since]
            assert len(updated) == 1 and len(created) <= 1, (created, updated)
            assert float(str(updated[0].data)) == 100.0
    finally:
        served.kill()

    with Session(engine) as session:
        states = session.exec(select(PhaseState).where(PhaseState.avenant_number == 0)).all()
        assert len(states) == 7
        assert all(s.status is PhaseStatus.COMPLETED for s in states)
        assert all(s.completed_at is not None for s in states)
        assert count(session, Payment) == 2
        assert count(session, Signature) == 3
        assert count(session, OdpePresentation) == 1 and count(session, OdpeReview) == 1
        assert count(session, ExecutionReport) == 1
        exercice = session.exec(select(Exercice)).one()
        assert exercice.effective_date == date(2024, 12, 5)
        # the campaign's 30 September 2025 governs: earlier than a year after the signature
        assert exercice.report_due_date == date(2025, 9, 30)
        delib = session.exec(select(Deliberation).where(Deliberation.subject == "contract")).one()
        assert (delib.number, delib.acknowledgement_date) == ("205", date(2024, 11, 29))
        scan_doc = session.exec(select(GeneratedDocument).where(
            GeneratedDocument.kind == "signed_scan_departement")).one()
        assert scan_doc.signed and len(scan_doc.sha256) == 64
        assert count(session, AuditEvent) >= 12


def test_interrupted_after_signature_resumes_without_repeating(
        prefect_api: str, cycle_db: tuple[str, Engine, Path], tmp_path: Path) -> None:
    db_url, engine, scan = cycle_db
    served: Served = start_serving(prefect_api, db_url, tmp_path / "data", tmp_path / "serve.log")
    chain = start_cycle()
    try:
        previous = drive(chain, BEFORE_PAYMENT, scan)
        run = wait_for_step(chain, previous)  # now waiting for the first payment
        assert run.state is not None and run.state.name.startswith("En attente du versement")
        waiting_id = run.id
    finally:
        served.kill()  # the process dies; the suspended run is only a row in the database

    with Session(engine) as session:
        before = {s.phase: s.completed_at for s in session.exec(select(PhaseState))}
        audit_before = count(session, AuditEvent)
        docs_before = count(session, GeneratedDocument)

    served = start_serving(prefect_api, db_url, tmp_path / "data", tmp_path / "serve2.log")
    try:
        with get_client(sync_client=True) as client:  # the old run is abandoned, a new one re-runs
            from prefect.states import Cancelled

            client.set_flow_run_state(waiting_id, Cancelled(), force=True)
        start_cycle()
        first = wait_for_step(chain)
        assert first.id != waiting_id  # the cancelled run was replaced
        assert first.state is not None and first.state.name == "En attente du versement BOP 304 (0/2)"
        with Session(engine) as session:
            assert count(session, AuditEvent) == audit_before  # no step was repeated
            assert count(session, GeneratedDocument) == docs_before
        previous = drive(chain, AFTER_SIGNATURE, scan)
        final = wait_for_step(chain, previous)
        assert final.state is not None and final.state.is_completed(), final.state
    finally:
        served.kill()
    with Session(engine) as session:
        assert count(session, Signature) == 3
        assert count(session, Payment) == 2
        after = {s.phase: s.completed_at for s in session.exec(select(PhaseState))}
        for phase, completed_at in before.items():
            if completed_at is not None:
                assert after[phase] == completed_at
