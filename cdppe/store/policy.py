"""The policy findings of a stored exercice (the contract, or the contract with its avenants up to
number N) and the reasons the parties recorded for signing with them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from cdppe.domain.campaigns import policy_mode
from cdppe.domain.policy import Finding, FundedLine, cofinancing_findings, maintenance_findings
from cdppe.store.plan import amendment_numbers, exercice_money_lines, fiche_objectives
from models import Exercice, FindingReason
from models.enums import PolicyMode


@dataclass(frozen=True)
class FindingState:
    """A finding, what its campaign does with it, and the reason recorded for it (if any)."""

    finding: Finding
    mode: PolicyMode
    reason: FindingReason | None

    @property
    def is_open(self) -> bool:
        """Still to be justified before the next signature."""
        return self.reason is None

    @property
    def refused(self) -> bool:
        return self.mode is PolicyMode.REFUSE


def exercice_funded_lines(session: Session, *, exercice_id: int | None,
                          up_to_avenant: int | None) -> list[FundedLine]:
    """The exercice's money as planned by the contract and its avenants n° 1..``up_to_avenant``
    (``None``: every avenant written so far)."""
    numbers = amendment_numbers(session, exercice_ids=[exercice_id])
    lines = [line for line in exercice_money_lines(session, exercice_id=exercice_id)
             if line.amendment_id is None or up_to_avenant is None
             or numbers.get(line.amendment_id, 0) <= up_to_avenant]
    objectives = fiche_objectives(session, fiche_ids={line.fiche_id for line in lines})
    return [FundedLine(objectives[line.fiche_id], line.payer, line.source, line.amount) for line in lines]


def finding_reasons(session: Session, *, exercice_id: int | None, avenant: int) -> dict[str, FindingReason]:
    rows = session.exec(select(FindingReason).where(FindingReason.exercice_id == exercice_id,
                                                    FindingReason.avenant_number == avenant))
    return {row.finding_key: row for row in rows}


def exercice_findings(session: Session, exercice: Exercice, avenant: int = 0) -> list[FindingState]:
    """Every policy finding on the exercice as it stands for this signature (contract or avenant)."""
    findings = cofinancing_findings(exercice.year, exercice_funded_lines(
        session, exercice_id=exercice.id, up_to_avenant=avenant))
    findings += maintenance_findings(exercice.year, reference_year=exercice.reference_year,
                                     reference=exercice.own_spending_reference,
                                     planned=exercice.own_spending_planned)
    reasons = finding_reasons(session, exercice_id=exercice.id, avenant=avenant)
    return [FindingState(f, policy_mode(f.year, f.rule), reasons.get(f.key)) for f in findings]
