"""Queries on the rows the cycle records: phase states, deliberations, signatures, payments,
the ODPE's review, the execution report, an avenant; and the lock that serialises one exercice."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update
from sqlmodel import Session, col, select

from cdppe.domain.avenant_payments import avenant_payments
from cdppe.store.national import paid_by_exercice
from cdppe.store.plan import amendment_lines, find_amendment
from models import (
    Amendment,
    Deliberation,
    ExecutionReport,
    Exercice,
    OdpePresentation,
    OdpeReview,
    Payment,
    PhaseState,
    Signature,
)
from models.enums import AmendmentStatus, DeliberationSubject, FundingSource, Phase, SignatoryRole


def get_phase_state(session: Session, exercice_id: int, phase: Phase, avenant: int = 0) -> PhaseState:
    """The phase's row, created on first use."""
    state = session.exec(select(PhaseState).where(
        PhaseState.exercice_id == exercice_id, PhaseState.phase == phase,
        PhaseState.avenant_number == avenant)).first()
    if state is None:
        state = PhaseState(exercice_id=exercice_id, phase=phase, avenant_number=avenant)
        session.add(state)
        session.flush()
    return state


def phase_states(session: Session, *, exercice_id: int | None, avenant: int = 0) -> dict[Phase, PhaseState]:
    """The recorded state of each phase of the contract's cycle (avenant 0) or of an avenant."""
    rows = session.exec(select(PhaseState).where(
        PhaseState.exercice_id == exercice_id, PhaseState.avenant_number == avenant))
    return {state.phase: state for state in rows}


def every_phase_state(session: Session, *, exercice_id: int | None) -> dict[tuple[Phase, int], PhaseState]:
    """Every phase state of the exercice, the contract's and its avenants', by (phase, avenant)."""
    rows = session.exec(select(PhaseState).where(PhaseState.exercice_id == exercice_id))
    return {(state.phase, state.avenant_number): state for state in rows}


def find_deliberation(session: Session, *, exercice_id: int | None, avenant: int = 0,
                      subject: DeliberationSubject = DeliberationSubject.CONTRACT) -> Deliberation | None:
    return session.exec(select(Deliberation).where(
        Deliberation.exercice_id == exercice_id, Deliberation.avenant_number == avenant,
        Deliberation.subject == subject)).first()


def signatures_by_role(session: Session, *, exercice_id: int | None,
                       avenant: int = 0) -> dict[SignatoryRole, Signature]:
    rows = session.exec(select(Signature).where(Signature.exercice_id == exercice_id,
                                                Signature.avenant_number == avenant))
    return {signature.role: signature for signature in rows}


def payments_by_source(session: Session, *, exercice_id: int | None,
                       avenant: int = 0) -> dict[FundingSource, Payment]:
    """The exercice's payments (``avenant`` 0), or those of avenant n° ``avenant``'s new money."""
    rows = session.exec(select(Payment).where(Payment.exercice_id == exercice_id,
                                              Payment.avenant_number == avenant))
    return {payment.source: payment for payment in rows}


def paid_per_source(session: Session, *, exercice_id: int | None) -> dict[FundingSource, Decimal]:
    """What the State paid for the exercice per envelope, every tranche (the exercice's, the avenants')."""
    return paid_by_exercice(session, exercice_ids=[exercice_id]).get(exercice_id or 0, {})


def planned_payments(session: Session, exercice: Exercice, avenant: int = 0) -> dict[FundingSource, Decimal]:
    """What is to be paid: the exercice's envelopes (``avenant`` 0), or avenant n° ``avenant``'s new money."""
    if avenant == 0:
        return exercice.expected_payments
    return avenant_payments_due(session, exercice_id=exercice.id, number=avenant)


def avenant_payments_due(session: Session, *, exercice_id: int | None,
                         number: int) -> dict[FundingSource, Decimal]:
    """The payments avenant n° ``number``'s new money opens, once it is signed (none before)."""
    amendment = find_amendment(session, exercice_id=exercice_id, number=number)
    if amendment is None or amendment.status != AmendmentStatus.SIGNED:
        return {}
    return avenant_payments((line.source, line.part, line.amount)
                            for line in amendment_lines(session, amendment_id=amendment.id))


def find_odpe_presentation(session: Session, *, exercice_id: int | None) -> OdpePresentation | None:
    return session.exec(select(OdpePresentation).where(OdpePresentation.exercice_id == exercice_id)).first()


def find_odpe_review(session: Session, *, exercice_id: int | None) -> OdpeReview | None:
    return session.exec(select(OdpeReview).where(OdpeReview.exercice_id == exercice_id)).first()


def find_execution_report(session: Session, *, exercice_id: int | None) -> ExecutionReport | None:
    return session.exec(select(ExecutionReport).where(ExecutionReport.exercice_id == exercice_id)).first()


def get_amendment(session: Session, *, exercice_id: int | None, number: int) -> Amendment:
    """The avenant, which must exist (``store.plan.find_amendment`` when it may not)."""
    amendment = find_amendment(session, exercice_id=exercice_id, number=number)
    if amendment is None:
        raise LookupError(f"avenant n° {number} absent de l'exercice n° {exercice_id}")
    return amendment


def lock_exercice(session: Session, exercice_id: int) -> None:
    """Serialise the writers of one exercice until the transaction ends; the session's objects
    are read again after it.

    A no-op UPDATE of the exercice's row: a row lock on PostgreSQL (``FOR NO KEY UPDATE``,
    foreign keys to the row are not blocked), the write lock on SQLite (whose driver starts
    a transaction only at the first write, so a ``SELECT ... FOR UPDATE`` would hold nothing).
    """
    session.flush()
    session.exec(update(Exercice).where(col(Exercice.id) == exercice_id)
                 .values(year=Exercice.year))
    session.expire_all()
