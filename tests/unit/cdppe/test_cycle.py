"""The cycle's state machine on facts alone: no database, no Prefect."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from cdppe.domain.cycle import ExerciceSnapshot, current_phase, phases_done, step_recorded, waiting_for
from models.enums import FundingSource, Phase, PhaseStatus, SignatoryRole

FACTS = ExerciceSnapshot(contract_key="71-2024", departement_code="71", year=2024,
                         payments_planned={FundingSource.BOP304: Decimal("843728.00"),
                                           FundingSource.FIR: Decimal("370395.00")})


def test_each_phase_waits_for_its_next_fact_with_a_stable_key_and_who_acts() -> None:
    assert waiting_for(FACTS, Phase.DIAGNOSIS).key == "diagnosis"  # type: ignore[union-attr]
    assert waiting_for(replace(FACTS, diagnosis_agreed=True), Phase.DIAGNOSIS) is None
    delib = waiting_for(FACTS, Phase.DELIBERATION)
    assert delib is not None and (delib.kind, delib.key) == ("deliberation", "deliberation-0")
    voted = replace(FACTS, deliberation_session=date(2024, 11, 22))
    ack = waiting_for(voted, Phase.DELIBERATION)
    assert ack is not None and ack.kind == "acknowledgement" and "préfecture" in ack.who
    assert waiting_for(replace(voted, acknowledgement_date=date(2024, 11, 29)), Phase.DELIBERATION) is None


def test_signature_waits_for_the_missing_parties_in_order_and_counts_in_its_key() -> None:
    one = replace(FACTS, signed={SignatoryRole.ARS: date(2024, 12, 3)}, avenant=1)
    waiting = waiting_for(one, Phase.SIGNATURE)
    assert waiting is not None and waiting.key == "signature-1-1"
    assert one.missing_signatories == [SignatoryRole.PREFET, SignatoryRole.DEPARTEMENT]
    assert waiting.who == f"{SignatoryRole.PREFET.label}, {SignatoryRole.DEPARTEMENT.label}"
    with_controller = one.signatories_expected | {SignatoryRole.BUDGET_CONTROLLER}
    controlled = replace(one, signatories_expected=with_controller)
    assert controlled.missing_signatories[-1] is SignatoryRole.BUDGET_CONTROLLER
    all_signed = {r: date(2024, 12, 5) for r in FACTS.signatories_expected}
    assert waiting_for(replace(FACTS, signed=all_signed), Phase.SIGNATURE) is None


def test_payments_wait_source_by_source_and_a_source_with_no_money_is_not_awaited() -> None:
    waiting = waiting_for(FACTS, Phase.CREDIT_PAYMENT)
    assert waiting is not None and waiting.key == "payment-BOP304"
    bop_in = replace(FACTS, payments_received={FundingSource.BOP304: date(2025, 1, 20)})
    assert waiting_for(bop_in, Phase.CREDIT_PAYMENT).key == "payment-FIR"  # type: ignore[union-attr]
    no_fir = replace(bop_in, payments_planned={FundingSource.BOP304: Decimal("1.00")})
    assert waiting_for(no_fir, Phase.CREDIT_PAYMENT) is None


def test_the_odpe_twice_the_contract_presented_then_its_opinion_on_the_draft_report() -> None:
    first = waiting_for(FACTS, Phase.ODPE_REVIEW)
    assert first is not None and (first.kind, first.key) == ("odpe_presentation", "odpe-presentation")
    presented = replace(FACTS, odpe_presented_on=date(2025, 1, 28))
    second = waiting_for(presented, Phase.ODPE_REVIEW)
    assert second is not None and (second.kind, second.key) == ("odpe", "odpe")
    assert second.who.startswith("l'ODPE")
    assert waiting_for(replace(presented, odpe_session=date(2025, 10, 15)), Phase.ODPE_REVIEW) is None
    # An opinion recorded before the presentation step existed closes the phase all the same.
    assert waiting_for(replace(FACTS, odpe_session=date(2025, 10, 15)), Phase.ODPE_REVIEW) is None
    # Year 2 of a multi-year contract: the contract was presented in its first year.
    later_year = replace(FACTS, covered_by_contract=True)
    assert waiting_for(later_year, Phase.ODPE_REVIEW).kind == "odpe"  # type: ignore[union-attr]


def test_report_and_the_yearly_decision() -> None:
    assert waiting_for(replace(FACTS, report_recorded=True), Phase.EXECUTION_REPORT) is None
    assert waiting_for(FACTS, Phase.AMENDMENT).kind == "amendment_decision"  # type: ignore[union-attr]
    assert waiting_for(replace(FACTS, amendment_decided=True), Phase.AMENDMENT) is None
    assert waiting_for(replace(FACTS, avenant=1), Phase.AMENDMENT) is None  # applied once signed


def test_the_current_phase_is_the_first_not_done_and_skipped_counts_as_done() -> None:
    assert current_phase({}) is Phase.DIAGNOSIS
    status = {Phase.DIAGNOSIS: PhaseStatus.COMPLETED, Phase.DELIBERATION: PhaseStatus.SKIPPED,
              Phase.SIGNATURE: PhaseStatus.WAITING}
    assert current_phase(status) is Phase.SIGNATURE and phases_done(status) == 2
    assert current_phase({p: PhaseStatus.COMPLETED for p in Phase}) is None


def test_a_deadline_step_is_recorded_by_the_same_facts() -> None:
    signed = replace(FACTS, signed={SignatoryRole.PREFET: date(2024, 12, 2)})
    assert step_recorded("signature:prefet", signed) and not step_recorded("signature:ars", signed)
    assert step_recorded("campaign_draft", signed)  # a signature means the draft went out
    assert not step_recorded("report", replace(FACTS, report_recorded=True))  # transmitted, not adopted
