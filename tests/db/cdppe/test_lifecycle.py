"""The rules of the human steps, without Prefect, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, func, select

from cdppe.services.contract_io import parse_contract
from cdppe.services.importer import import_contract
from cdppe.services.lifecycle import AnswerRefusedError, current_phase, next_need, record_answer
from models import Contract, Exercice, OdpePresentation, OdpeReview, Payment, Signature
from models.answers import (
    AcknowledgementAnswer,
    DeliberationAnswer,
    DiagnosisAnswer,
    OdpeAnswer,
    OdpePresentationAnswer,
    PaymentAnswer,
    SignatureAnswer,
)
from models.enums import FundingSource, Phase, SignatoryRole
from tests.factories import minimal_contract

AS_OF = date(2025, 6, 30)
WHO = "Camille"


def setup(session: Session) -> tuple[Contract, Exercice]:
    import_contract(session, parse_contract(minimal_contract()), "test")
    session.commit()
    return session.exec(select(Contract)).one(), session.exec(select(Exercice)).one()


def deliberate(session: Session, contract: Contract, ex: Exercice) -> None:
    record_answer(session, contract, ex, Phase.DIAGNOSIS, DiagnosisAnswer(agreed_on=date(2024, 10, 1),
                                                                          answered_by=WHO), AS_OF)
    record_answer(session, contract, ex, Phase.DELIBERATION, DeliberationAnswer(
        convocation_date=date(2024, 11, 8), session_date=date(2024, 11, 22), number="205",
        vote="à l'unanimité", answered_by=WHO), AS_OF)
    record_answer(session, contract, ex, Phase.DELIBERATION, AcknowledgementAnswer(
        acknowledgement_date=date(2024, 11, 29), answered_by=WHO), AS_OF)


def sign_all(session: Session, contract: Contract, ex: Exercice) -> None:
    for day, role in enumerate((SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT)):
        record_answer(session, contract, ex, Phase.SIGNATURE, SignatureAnswer(
            role=role, signatory_name="X Y", signed_on=date(2024, 12, 2 + day), answered_by=WHO), AS_OF)


def test_needs_follow_the_recorded_steps(session: Session) -> None:
    contract, ex = setup(session)
    assert current_phase(session, ex.id or 0) is Phase.DIAGNOSIS
    deliberate(session, contract, ex)
    need = next_need(session, ex, Phase.SIGNATURE)
    assert need is not None and need.waiting_reason == "En attente de signature (0/3)"
    sign_all(session, contract, ex)
    assert next_need(session, ex, Phase.SIGNATURE) is None
    assert ex.effective_date == date(2024, 12, 4)
    assert ex.report_due_date == date(2025, 9, 30)  # the 2024 campaign's date, earlier than 2025-12-04


def test_signature_before_deliberation_refused(session: Session) -> None:
    contract, ex = setup(session)
    deliberate(session, contract, ex)
    with pytest.raises(AnswerRefusedError, match="antérieure à la délibération"):
        record_answer(session, contract, ex, Phase.SIGNATURE, SignatureAnswer(
            role=SignatoryRole.PREFET, signatory_name="X Y", signed_on=date(2024, 11, 25),
            answered_by=WHO), AS_OF)
    session.rollback()
    assert session.exec(select(func.count()).select_from(Signature)).one() == 0


def test_short_convocation_refused(session: Session) -> None:
    contract, ex = setup(session)
    record_answer(session, contract, ex, Phase.DIAGNOSIS, DiagnosisAnswer(agreed_on=date(2024, 10, 1),
                                                                          answered_by=WHO), AS_OF)
    with pytest.raises(AnswerRefusedError, match="L3121-19"):
        record_answer(session, contract, ex, Phase.DELIBERATION, DeliberationAnswer(
            convocation_date=date(2024, 11, 15), session_date=date(2024, 11, 22), number="205",
            vote="unanimité", answered_by=WHO), AS_OF)


def test_payment_above_envelope_future_date_and_twice(session: Session) -> None:
    contract, ex = setup(session)
    deliberate(session, contract, ex)
    sign_all(session, contract, ex)
    too_much = PaymentAnswer(source=FundingSource.FIR, notified_amount=f"{ex.fir + 1:.2f}",
                             received_on=date(2025, 1, 10), answered_by=WHO)
    with pytest.raises(AnswerRefusedError, match="supérieur à l'enveloppe"):
        record_answer(session, contract, ex, Phase.CREDIT_PAYMENT, too_much, AS_OF)
    future = PaymentAnswer(source=FundingSource.FIR, notified_amount=f"{ex.fir:.2f}",
                           received_on=date(2025, 7, 10), answered_by=WHO)
    with pytest.raises(AnswerRefusedError, match="dans le futur"):
        record_answer(session, contract, ex, Phase.CREDIT_PAYMENT, future, AS_OF)
    ok = PaymentAnswer(source=FundingSource.FIR, notified_amount=f"{ex.fir:.2f}",
                       received_on=date(2025, 1, 10), answered_by=WHO)
    record_answer(session, contract, ex, Phase.CREDIT_PAYMENT, ok, AS_OF)
    session.commit()
    with pytest.raises(AnswerRefusedError):
        record_answer(session, contract, ex, Phase.CREDIT_PAYMENT, ok, AS_OF)
    session.rollback()
    assert session.exec(select(func.count()).select_from(Payment)).one() == 1


def test_recorded_step_closes_its_deadlines(session: Session) -> None:
    from models import Deadline
    from models.enums import DeadlineStatus

    contract, ex = setup(session)
    deliberate(session, contract, ex)
    open_kinds = {d.kind for d in session.exec(select(Deadline).where(
        Deadline.status == DeadlineStatus.OPEN))}
    assert "signature:prefet" in open_kinds and "convocation" not in open_kinds
    sign_all(session, contract, ex)
    after = {d.kind: d.status for d in session.exec(select(Deadline))}
    assert after["signature:prefet"] is not DeadlineStatus.OPEN
    assert after["report"] is DeadlineStatus.OPEN


def test_the_odpe_is_presented_the_contract_then_gives_its_opinion_on_the_draft_report(
        session: Session) -> None:
    contract, ex = setup(session)
    deliberate(session, contract, ex)
    sign_all(session, contract, ex)
    session.commit()
    opinion = OdpeAnswer(session_date=date(2025, 2, 1), opinion="Avis favorable.", answered_by=WHO)
    need = next_need(session, ex, Phase.ODPE_REVIEW)
    assert need is not None and need.waiting_reason == "En attente de la présentation du contrat à l'ODPE"
    with pytest.raises(AnswerRefusedError):  # the opinion is not what the phase waits for yet
        record_answer(session, contract, ex, Phase.ODPE_REVIEW, opinion, AS_OF)
    session.rollback()
    assert "présenté à l'ODPE le 12 février 2025" in record_answer(
        session, contract, ex, Phase.ODPE_REVIEW,
        OdpePresentationAnswer(session_date=date(2025, 2, 12), answered_by=WHO), AS_OF)
    session.commit()
    need = next_need(session, ex, Phase.ODPE_REVIEW)
    assert need is not None and "contrat présenté le 12 février 2025" in need.description
    with pytest.raises(AnswerRefusedError, match="avant la présentation du contrat à l'ODPE le 12 février"):
        record_answer(session, contract, ex, Phase.ODPE_REVIEW, opinion, AS_OF)
    session.rollback()
    record_answer(session, contract, ex, Phase.ODPE_REVIEW, opinion.model_copy(
        update={"session_date": date(2025, 6, 3)}), AS_OF)
    session.commit()
    assert next_need(session, ex, Phase.ODPE_REVIEW) is None
    assert session.exec(select(func.count()).select_from(OdpePresentation)).one() == 1
    assert session.exec(select(func.count()).select_from(OdpeReview)).one() == 1
