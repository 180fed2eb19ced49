"""The operators' amendment deployment on a real Prefect API: two identical requests at once give
one avenant; its deliberation and signature are answered as in the UI; the envelopes change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from prefect.deployments import run_deployment
from sqlmodel import Session, select

from cdppe.services.contract_io import read_contract_file
from cdppe.services.importer import import_contract
from cdppe.services.lifecycle import record_answer
from cdppe.store.db import engine_for, upgrade
from models import Amendment, AmendmentLine, Contract, Exercice, GeneratedDocument, Payment
from models.answers import AcknowledgementAnswer, DeliberationAnswer, DiagnosisAnswer, SignatureAnswer
from models.enums import AmendmentPart, FundingSource, Phase, SignatoryRole
from tests.conftest import EXAMPLES
from tests.flows.driver import PhaseChain, answer, start_serving, wait_for_pause, wait_for_step

pytestmark = pytest.mark.slow
WHO = "Camille"


def signed_contract(db_url: str) -> None:
    engine = engine_for(db_url)
    upgrade(engine)
    with Session(engine) as session:
        import_contract(session, read_contract_file(EXAMPLES / "saone-et-loire-2024.yaml"), "test")
        session.commit()
        contract = session.exec(select(Contract)).one()
        ex = session.exec(select(Exercice)).one()
        as_of = date(2025, 3, 1)
        steps: list[tuple[Phase, Any]] = [
            (Phase.DIAGNOSIS, DiagnosisAnswer(agreed_on=date(2024, 10, 15), answered_by=WHO)),
            (Phase.DELIBERATION, DeliberationAnswer(convocation_date=date(2024, 11, 8),
                                                    session_date=date(2024, 11, 22), number="205",
                                                    vote="à l'unanimité", answered_by=WHO)),
            (Phase.DELIBERATION, AcknowledgementAnswer(acknowledgement_date=date(2024, 11, 29),
                                                       answered_by=WHO)),
        ] + [(Phase.SIGNATURE, SignatureAnswer(role=r, signatory_name="Signataire",
                                               signed_on=date(2024, 12, 2 + i), answered_by=WHO))
             for i, r in enumerate((SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT))]
        for phase, ans in steps:
            record_answer(session, contract, ex, phase, ans, as_of)
        session.add(Payment(exercice_id=ex.id or 0, source=FundingSource.FIR, planned_amount=ex.fir,
                            notified_amount=ex.fir, received_on=date(2025, 1, 10), recorded_by=WHO))
        session.commit()


REQUEST = {
    "contract": "71-2024", "year": 2024, "requested_by": "Opérateur A",
    "reason": "Crédits supplémentaires FIR pour la PMI",
    "envelopes": [{"source": "FIR", "supplementary": "25000.00"}],
    # the 25 000 € go to fiche 1, co-financed: the avenant's plan d'action totals its Article 1
    "fiches": [{"fiche": "1", "source": "FIR", "etat_amount": "25000.00", "departement_amount": "25000.00"}],
}


def test_amendment_deployment(prefect_api: str, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'avenant.sqlite'}"
    signed_contract(db_url)
    served = start_serving(prefect_api, db_url, tmp_path / "data", tmp_path / "serve.log")
    try:
        since = datetime.now(UTC)
        first = run_deployment("amendment/avenant", parameters={"request": REQUEST}, timeout=0)
        second = run_deployment("amendment/avenant",
                                parameters={"request": {**REQUEST, "requested_by": "Opérateur B"}}, timeout=0)
        a, b = wait_for_pause(first.id), wait_for_pause(second.id)
        assert a.state is not None and b.state is not None
        assert a.state.is_completed() and b.state.is_completed(), (a.state, b.state)
        messages = sorted(str(r.state.message) for r in (a, b) if r.state)
        assert a.name == "Saône-et-Loire 2024 · demande d'avenant"
        chain = PhaseChain("71-2024", 2024, avenant=1, since=since)
        waiting = wait_for_step(chain)
        assert waiting.state is not None and waiting.state.name == "En attente de délibération"
        assert waiting.name == "Saône-et-Loire 2024 · délibération (avenant n° 1)"
        assert any("déjà ouvert" in m for m in messages), messages  # one avenant for both requests
        previous = None
        steps: list[dict[str, Any]] = [
            {"convocation_date": "2025-03-07", "session_date": "2025-03-21", "number": "42",
             "vote": "à l'unanimité"},
            {"acknowledgement_date": "2025-03-26"},
            {"role": "Le Préfet", "signatory_name": "Yves Seguy", "signed_on": "2025-04-01"},
            {"role": "Le Directeur général de l'ARS", "signatory_name": "Jean-Jacques Coiplet",
             "signed_on": "2025-04-02"},
            {"role": "Le Président du conseil départemental", "signatory_name": "André Accary",
             "signed_on": "2025-04-03"},
            # the avenant applied, its new money is paid: a second FIR tranche of 25 000 €
            {"source": "FIR", "notified_amount": "25000.00", "received_on": "2025-04-18"},
        ]
        for data in steps:
            run = wait_for_step(chain, previous)
            assert run.state is not None and run.state.is_paused(), run.state
            previous = answer(run, {**data, "answered_by": WHO})
        final = wait_for_step(chain, previous)
        assert final.state is not None and final.state.is_completed(), final.state
        assert [r.name for r in chain.runs()] == [
            "Saône-et-Loire 2024 · délibération (avenant n° 1)",
            "Saône-et-Loire 2024 · signature (avenant n° 1)",
            "Saône-et-Loire 2024 · avenant (avenant n° 1)",
            "Saône-et-Loire 2024 · versement des crédits (avenant n° 1)"]

        refused = run_deployment("amendment/avenant", timeout=120, parameters={"request": {
            "contract": "71-2024", "year": 2024, "requested_by": "Opérateur C", "reason": "Rien"}})
        assert refused.state is not None and refused.state.is_failed()
        assert refused.state.name == "Refusé"
        assert str(refused.state.message).startswith("Avenant refusé :\n- ")
    finally:
        served.kill()

    with Session(engine_for(db_url)) as session:
        amendments = session.exec(select(Amendment)).all()
        assert [(x.number, x.status) for x in amendments] == [(1, "signed")]
        assert amendments[0].effective_date == date(2025, 4, 3)
        ex = session.exec(select(Exercice)).one()
        assert ex.fir == Decimal("370395.00") + Decimal("25000.00")
        assert ex.bop304 == Decimal("843728.00")  # untouched envelope
        tranches = sorted((p.avenant_number, p.source, p.notified_amount)
                          for p in session.exec(select(Payment)))
        assert tranches == [(0, FundingSource.FIR, Decimal("370395.00")),
                            (1, FundingSource.FIR, Decimal("25000.00"))]
        parts = {line.part: line.amount for line in session.exec(select(AmendmentLine))}
        assert parts[AmendmentPart.INITIAL] == Decimal("370395.00")
        assert parts[AmendmentPart.SUPPLEMENTARY] == Decimal("25000.00")
        kinds = {d.kind for d in session.exec(select(GeneratedDocument).where(
            GeneratedDocument.avenant_number == 1))}
        assert any("avenant" in k for k in kinds), kinds
