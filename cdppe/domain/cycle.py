"""The cycle's state machine, in one place: from an exercice's recorded facts to what each phase
waits for (pure: no database, no clock, no Prefect).

``ExerciceSnapshot`` is the facts, read in one place (``cdppe.store.contracts.exercice_snapshot``).
``waiting_for`` says what a phase still waits for, and from whom; ``current_phase`` the first
phase of the yearly cycle not done; ``step_recorded`` whether the step a deadline waits for is
in. The flows and ``cdppe record`` (``lifecycle.next_need``), the deadlines, the dashboard and
the summaries all ask these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from models.enums import PHASE_ORDER, AnswerKind, FundingSource, Phase, PhaseStatus, SignatoryRole

# The order in which the parties are asked to sign (and listed as missing).
SIGNATORY_ORDER: tuple[SignatoryRole, ...] = (
    SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT, SignatoryRole.BUDGET_CONTROLLER)
PAYERS: dict[FundingSource, str] = {
    FundingSource.BOP304: "le Préfet (BOP 304)", FundingSource.FIR: "l'ARS (FIR)"}
DONE = (PhaseStatus.COMPLETED, PhaseStatus.SKIPPED)


@dataclass(frozen=True)
class ExerciceSnapshot:
    """What is known of one exercice (for avenant ``avenant``): plans and recorded steps."""

    contract_key: str
    departement_code: str
    year: int
    planned_council_session: date | None = None
    planned_signature: date | None = None
    deliberation_session: date | None = None
    acknowledgement_date: date | None = None
    signatories_expected: frozenset[SignatoryRole] = frozenset(
        {SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT})
    signed: dict[SignatoryRole, date] = field(default_factory=dict)
    payments_expected: frozenset[FundingSource] = frozenset({FundingSource.BOP304, FundingSource.FIR})
    payments_received: dict[FundingSource, date] = field(default_factory=dict)
    odpe_presented_on: date | None = None  # the ODPE was presented the contract
    odpe_session: date | None = None  # the ODPE gave its opinion on the draft report
    report_transmitted_on: date | None = None
    terminated_on: date | None = None
    draft_sent_on: date | None = None  # diagnosis completed: the draft contract went out
    avenant: int = 0
    phase_status: dict[Phase, PhaseStatus] = field(default_factory=dict)
    diagnosis_agreed: bool = False
    deliberation_number: str | None = None
    payments_planned: dict[FundingSource, Decimal] = field(default_factory=dict)
    report_recorded: bool = False
    amendment_decided: bool = False
    # Year 2 or 3 of a multi-year contract: its deliberation and signatures are the contract's (of
    # the generation's first year); the year takes effect with its financial avenant.
    covered_by_contract: bool = False
    contract_in_force_since: date | None = None
    year_in_effect_since: date | None = None  # the year's financial avenant took effect

    @property
    def effective_date(self) -> date | None:
        if self.covered_by_contract and self.avenant == 0:
            return self.year_in_effect_since
        if self.signatories_expected and self.signatories_expected <= set(self.signed):
            return max(self.signed[r] for r in self.signatories_expected)
        return None

    @property
    def approved_by_contract(self) -> bool:
        """The contract's own deliberation and signatures are not asked again this year."""
        return self.covered_by_contract and self.avenant == 0

    @property
    def missing_signatories(self) -> list[SignatoryRole]:
        return [r for r in SIGNATORY_ORDER if r in self.signatories_expected and r not in self.signed]

    @property
    def missing_payments(self) -> list[FundingSource]:
        return [s for s in self.payments_planned if s not in self.payments_received]


@dataclass(frozen=True)
class Waiting:
    """What a phase waits for: the answer ``kind``, a ``key`` stable across re-runs, who acts."""

    phase: Phase
    kind: AnswerKind
    key: str
    who: str


def waiting_for(facts: ExerciceSnapshot, phase: Phase) -> Waiting | None:
    """What ``phase`` still waits for, from the facts only; None when it can complete."""
    avenant = facts.avenant
    if phase in (Phase.DELIBERATION, Phase.SIGNATURE) and facts.approved_by_contract:
        return None
    if phase is Phase.DIAGNOSIS:
        return None if facts.diagnosis_agreed else Waiting(
            phase, AnswerKind.DIAGNOSIS, "diagnosis", "les trois parties (Préfet, ARS, Département)")
    if phase is Phase.DELIBERATION:
        if facts.deliberation_session is None:
            return Waiting(phase, AnswerKind.DELIBERATION, f"deliberation-{avenant}",
                           "le Département (conseil départemental)")
        if facts.acknowledgement_date is None:
            return Waiting(phase, AnswerKind.ACKNOWLEDGEMENT, f"acknowledgement-{avenant}",
                           "la préfecture (accusé de réception @ctes)")
        return None
    if phase is Phase.SIGNATURE:
        missing = facts.missing_signatories
        return Waiting(phase, AnswerKind.SIGNATURE, f"signature-{avenant}-{len(facts.signed)}",
                       ", ".join(r.label for r in missing)) if missing else None
    if phase is Phase.CREDIT_PAYMENT:
        sources = facts.missing_payments
        return Waiting(phase, AnswerKind.PAYMENT, f"payment-{sources[0].value}",
                       ", ".join(PAYERS.get(s, s.label) for s in sources)) if sources else None
    if phase is Phase.ODPE_REVIEW:
        return _odpe_waiting(facts)
    if phase is Phase.EXECUTION_REPORT:
        return None if facts.report_recorded else Waiting(
            phase, AnswerKind.REPORT, "report", "le Département (rapport d'exécution)")
    if phase is Phase.AMENDMENT:
        if avenant or facts.amendment_decided:  # a signed avenant is applied: nobody is asked
            return None
        return Waiting(phase, AnswerKind.AMENDMENT_DECISION, "amendment-decision",
                       "les trois parties (décision sur l'avenant)")
    raise ValueError(f"phase inconnue : {phase}")


def _odpe_waiting(facts: ExerciceSnapshot) -> Waiting | None:
    """The ODPE twice: the contract presented (once per contract: not again in the later years
    of a multi-year contract), then its opinion on the draft report, before the report's adoption."""
    if facts.odpe_session is not None:
        return None
    if facts.odpe_presented_on is None and not facts.approved_by_contract:
        return Waiting(Phase.ODPE_REVIEW, AnswerKind.ODPE_PRESENTATION, "odpe-presentation",
                       "le Département (présentation du contrat à l'ODPE)")
    return Waiting(Phase.ODPE_REVIEW, AnswerKind.ODPE, "odpe", "l'ODPE (avis sur le projet de rapport)")


def current_phase(phase_status: dict[Phase, PhaseStatus]) -> Phase | None:
    """The first phase of the yearly cycle not completed (nor skipped); None when all are."""
    return next((p for p in PHASE_ORDER if phase_status.get(p) not in DONE), None)


def phases_done(phase_status: dict[Phase, PhaseStatus]) -> int:
    return sum(1 for p in PHASE_ORDER if phase_status.get(p) in DONE)


def step_recorded(kind: str, snap: ExerciceSnapshot) -> bool:
    """Whether the step a deadline of ``kind`` waits for is recorded in ``snap``."""
    base, _, detail = kind.partition(":")
    if base in ("convocation", "deliberation", "campaign_draft", "signature") and snap.approved_by_contract:
        return True
    if base in ("convocation", "deliberation"):
        return snap.deliberation_session is not None
    if base == "campaign_draft":
        return (snap.draft_sent_on is not None or snap.deliberation_session is not None
                or bool(snap.signed))
    if base == "signature":
        return any(role.value == detail for role in snap.signed)
    if base == "payment":
        return any(source.value == detail for source in snap.payments_received)
    if base == "odpe":
        return snap.odpe_session is not None
    if base == "report":
        return snap.report_transmitted_on is not None
    return False
