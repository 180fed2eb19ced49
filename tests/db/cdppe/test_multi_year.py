"""Years 2 and 3 of a multi-year contract (Creuse 2025-2027): the contract's deliberation and
signatures cover them, no payment before the contract is in force, and each year takes effect with
its financial avenant; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from cdppe.domain.catalogue import later_year_of_generation
from cdppe.domain.deadlines import compute_deadlines
from cdppe.services.amendments import open_amendment
from cdppe.services.importer import import_contract
from cdppe.services.lifecycle import AnswerRefusedError, next_need, record_answer
from cdppe.store.contracts import exercice_snapshot
from models import Contract, Exercice
from models.amendment_request import AmendmentRequest, EnvelopeChange, FicheChange
from models.answers import (
    AcknowledgementAnswer,
    DeliberationAnswer,
    DiagnosisAnswer,
    PaymentAnswer,
    SignatureAnswer,
)
from models.enums import FundingSource, Phase, SignatoryRole
from tests.factories import example_file

AS_OF = date(2026, 11, 30)
WHO = "Coordinatrice"


def sign_deliberated(session: Session, contract: Contract, ex: Exercice, avenant: int, first: date) -> None:
    """Deliberation, @ctes receipt and the three signatures of the contract or of avenant n°."""
    record_answer(session, contract, ex, Phase.DELIBERATION, DeliberationAnswer(
        convocation_date=first, session_date=date.fromordinal(first.toordinal() + 14), number=f"D{avenant}",
        vote="à l'unanimité", answered_by=WHO), AS_OF, avenant)
    record_answer(session, contract, ex, Phase.DELIBERATION, AcknowledgementAnswer(
        acknowledgement_date=date.fromordinal(first.toordinal() + 20), answered_by=WHO), AS_OF, avenant)
    for i, role in enumerate((SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT)):
        record_answer(session, contract, ex, Phase.SIGNATURE, SignatureAnswer(
            role=role, signatory_name="X Y", signed_on=date.fromordinal(first.toordinal() + 25 + i),
            answered_by=WHO), AS_OF, avenant)


@pytest.fixture
def creuse(session: Session) -> tuple[Contract, dict[int, Exercice]]:
    import_contract(session, example_file("creuse-2025-2027.yaml"), "test")
    session.commit()
    contract = session.exec(select(Contract)).one()
    return contract, {e.year: e for e in session.exec(select(Exercice))}


def test_only_the_later_years_of_a_multi_year_generation_are_covered() -> None:
    assert [y for y in range(2019, 2029) if later_year_of_generation("2025-2027", y)] == [2026, 2027]
    assert [y for y in range(2019, 2024) if later_year_of_generation("2020-2022", y)] == [2021, 2022]
    assert not later_year_of_generation("2024", 2025)  # a one-year contract continued: not covered


def test_year_two_is_not_asked_for_the_contract_deliberation_and_signatures_again(
        session: Session, creuse: tuple[Contract, dict[int, Exercice]]) -> None:
    contract, ex = creuse
    for phase in (Phase.DELIBERATION, Phase.SIGNATURE):
        assert next_need(session, ex[2025], phase) is not None  # year 1 signs the contract
        assert next_need(session, ex[2026], phase) is None  # year 2: the contract covers it
    snapshot = exercice_snapshot(session, contract, ex[2026])
    kinds = {d.kind.partition(":")[0] for d in compute_deadlines(snapshot)}
    assert not kinds & {"convocation", "deliberation", "signature", "campaign_draft"}, kinds

    payment = PaymentAnswer(source=FundingSource.FIR, notified_amount="96882.00",
                            received_on=date(2026, 2, 10), answered_by=WHO)
    with pytest.raises(AnswerRefusedError, match="pas encore en vigueur"):  # the contract is not signed yet
        record_answer(session, contract, ex[2026], Phase.CREDIT_PAYMENT, payment, AS_OF)
    session.rollback()

    record_answer(session, contract, ex[2025], Phase.DIAGNOSIS, DiagnosisAnswer(
        agreed_on=date(2025, 9, 1), answered_by=WHO), AS_OF)
    sign_deliberated(session, contract, ex[2025], 0, date(2025, 9, 18))
    session.commit()
    assert ex[2025].effective_date == date(2025, 10, 15)  # 18 September + 27 days
    paid = record_answer(session, contract, ex[2026], Phase.CREDIT_PAYMENT, payment, AS_OF)
    assert paid == "Versement FIR de 96\u202f882\u00a0€ reçu le 10 février 2026"
    session.commit()
    assert ex[2026].effective_date is None  # its money comes by its avenant: not yet in effect


def test_year_two_takes_effect_with_its_financial_avenant(
        session: Session, creuse: tuple[Contract, dict[int, Exercice]]) -> None:
    contract, ex = creuse
    sign_deliberated(session, contract, ex[2025], 0, date(2025, 9, 18))
    session.commit()
    opened = open_amendment(session, contract, ex[2026], AmendmentRequest(
        contract=contract.key, year=2026, requested_by=WHO, reason="Avenant financier 2026",
        envelopes=[EnvelopeChange(source=FundingSource.FIR, supplementary="1000.00")],
        fiches=[FicheChange(fiche="1", source=FundingSource.FIR, etat_amount="1000.00",
                            departement_amount="1000.00")]), date(2026, 3, 1))
    session.commit()
    assert opened.number == 1  # the contract's first avenant
    sign_deliberated(session, contract, ex[2026], opened.number, date(2026, 5, 4))
    session.commit()
    assert ex[2026].effective_date == date(2026, 5, 31)  # the avenant's last signature
    assert ex[2026].report_due_date is not None and ex[2026].report_due_date > ex[2026].effective_date
