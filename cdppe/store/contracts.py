"""Read side: find a contract, build the snapshot of an exercice (``cdppe contract show`` reads
through ``cdppe.store.contract_view``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from cdppe.domain.catalogue import generation_span, later_year_of_generation
from cdppe.domain.cycle import ExerciceSnapshot
from cdppe.store.contract_view import ContractNotFoundError as ContractNotFoundError
from cdppe.store.contract_view import contract_not_found
from cdppe.store.workflow import (
    find_deliberation,
    find_execution_report,
    find_odpe_presentation,
    find_odpe_review,
    payments_by_source,
    phase_states,
    planned_payments,
    signatures_by_role,
)
from models import Contract, Exercice
from models.enums import Phase, PhaseStatus


def contract_by_key(session: Session, *, key: str) -> Contract | None:
    return session.exec(select(Contract).where(Contract.key == key)).first()


def find_contract(session: Session, ref: str) -> Contract:
    """By numeric id or by key (``71-2024``)."""
    contract = None
    if ref.isdigit():
        contract = session.get(Contract, int(ref))
    if contract is None:
        contract = contract_by_key(session, key=ref)
    if contract is None:
        raise contract_not_found(ref, session.exec(select(Contract.key)).all())
    return contract


def find_exercice(session: Session, contract: Contract, year: int | None = None) -> Exercice:
    query = select(Exercice).where(Exercice.contract_id == contract.id).order_by(col(Exercice.year))
    exercices = session.exec(query).all()
    if year is None:
        return exercices[0]
    for ex in exercices:
        if ex.year == year:
            return ex
    raise ContractNotFoundError(f"exercice {year} absent du contrat {contract.key}")


def contract_in_force_since(session: Session, contract: Contract, exercice: Exercice) -> date | None:
    """When the contract covering ``exercice`` took effect: its own last signature, or for year 2 or 3
    of a multi-year contract the first year's."""
    covered = later_year_of_generation(contract.generation, exercice.year)
    if exercice.effective_date is not None or not covered:
        return exercice.effective_date
    span = generation_span(contract.generation)
    assert span is not None  # a later year has a span
    row = session.exec(select(Exercice).where(Exercice.contract_id == contract.id,
                                              Exercice.year == span[0])).first()
    return row.effective_date if row else None


def exercice_snapshot(session: Session, contract: Contract, exercice: Exercice,
                      avenant: int = 0) -> ExerciceSnapshot:
    """The facts of one exercice (the contract's, or avenant n° ``avenant``'s deliberation and
    signatures): the one read the state machine (``cdppe.domain.cycle``) works from."""
    ex_id = exercice.id
    delib = find_deliberation(session, exercice_id=ex_id, avenant=avenant)
    signatures = signatures_by_role(session, exercice_id=ex_id, avenant=avenant).values()
    payments = payments_by_source(session, exercice_id=ex_id, avenant=avenant).values()
    odpe = find_odpe_review(session, exercice_id=ex_id)
    presented = find_odpe_presentation(session, exercice_id=ex_id)
    report = find_execution_report(session, exercice_id=ex_id)
    states = phase_states(session, exercice_id=ex_id, avenant=avenant)
    planned = planned_payments(session, exercice, avenant)
    diagnosis = states.get(Phase.DIAGNOSIS) if avenant == 0 else None
    draft_sent_on = None  # the diagnosis completed: the draft contract went out
    if diagnosis is not None and diagnosis.status is PhaseStatus.COMPLETED:
        draft_sent_on = diagnosis.completed_on or (
            diagnosis.completed_at.date() if diagnosis.completed_at else None)
    return ExerciceSnapshot(
        contract_key=contract.key,
        departement_code=contract.departement_code,
        year=exercice.year,
        planned_council_session=exercice.planned_council_session,
        planned_signature=exercice.planned_signature,
        deliberation_session=delib.session_date if delib else None,
        acknowledgement_date=delib.acknowledgement_date if delib else None,
        signatories_expected=frozenset(exercice.expected_signatories),
        signed={s.role: s.signed_on for s in signatures},
        payments_expected=frozenset(planned),
        payments_received={p.source: p.received_on for p in payments},
        odpe_presented_on=presented.session_date if presented else None,
        odpe_session=odpe.session_date if odpe else None,
        report_transmitted_on=report.transmitted_on if report else None,
        terminated_on=exercice.terminated_on,
        draft_sent_on=draft_sent_on,
        avenant=avenant,
        phase_status={phase: state.status for phase, state in states.items()},
        diagnosis_agreed=Phase.DIAGNOSIS in states and "agreed_on" in states[Phase.DIAGNOSIS].data,
        deliberation_number=delib.number if delib else None,
        payments_planned=planned,
        report_recorded=report is not None,
        amendment_decided=Phase.AMENDMENT in states and "avenant_needed" in states[Phase.AMENDMENT].data,
        covered_by_contract=later_year_of_generation(contract.generation, exercice.year),
        contract_in_force_since=contract_in_force_since(session, contract, exercice),
        year_in_effect_since=exercice.effective_date,
    )


def every_exercice(session: Session) -> Sequence[tuple[Exercice, Contract]]:
    """Every exercice with its contract, by contract key then year."""
    query = select(Exercice, Contract).join(Contract, col(Contract.id) == col(Exercice.contract_id))
    return session.exec(query.order_by(col(Contract.key), col(Exercice.year))).all()
