"""The yearly cycle as plain functions: what a phase waits for, and recording answers.

The database is the source of truth: ``next_need`` looks only at recorded
rows, so re-running a phase never repeats a completed step, and recording
relies on UNIQUE constraints so a payment is never recorded twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlmodel import Session

from cdppe.core.dates import format_date_fr, utcnow
from cdppe.core.money import format_eur
from cdppe.core.settings import get_settings
from cdppe.domain import cycle
from cdppe.domain.calendar_rules import CONVOCATION_NOTICE_DAYS
from cdppe.domain.cycle import ExerciceSnapshot, Waiting
from cdppe.present.documents import generate_step_documents
from cdppe.services.answers import HANDLERS, AnswerContext
from cdppe.services.answers import AnswerRefusedError as AnswerRefusedError
from cdppe.store.contracts import exercice_snapshot
from cdppe.store.policy import FindingState, exercice_findings
from cdppe.store.workflow import (
    find_deliberation,
    find_execution_report,
    find_odpe_review,
    get_phase_state,
    payments_by_source,
    phase_states,
    signatures_by_role,
)
from cdppe.store.workflow import lock_exercice as lock_exercice
from models import (
    AuditEvent,
    Contract,
    Exercice,
    PhaseState,
)
from models.answers import (
    AcknowledgementAnswer,
    AmendmentDecisionAnswer,
    Answer,
    DeliberationAnswer,
    DiagnosisAnswer,
    OdpeAnswer,
    OdpePresentationAnswer,
    PaymentAnswer,
    ReportAnswer,
    SignatureAnswer,
)
from models.enums import PHASE_ORDER, AnswerKind, Phase, PhaseStatus


@dataclass
class Need:
    """A human answer a phase is waiting for."""

    phase: Phase
    kind: AnswerKind
    key: str  # stable: the same need gives the same key on every re-run
    waiting_reason: str
    description: str
    answer_type: type[Answer]
    defaults: dict[str, Any] = field(default_factory=dict)


# An avenant goes through its own deliberation and signature, is applied, then its new money is
# paid (``cdppe.domain.avenant_payments``; nothing to wait for when it brings none).
AVENANT_PHASES: tuple[Phase, ...] = (Phase.DELIBERATION, Phase.SIGNATURE, Phase.AMENDMENT,
                                     Phase.CREDIT_PAYMENT)


def phase_sequence(avenant: int = 0) -> tuple[Phase, ...]:
    """The phases of the contract's yearly cycle (avenant 0), or of avenant n° ``avenant``."""
    return tuple(PHASE_ORDER) if avenant == 0 else AVENANT_PHASES


def next_phase(phase: Phase, avenant: int = 0) -> Phase | None:
    """The phase that follows ``phase`` once it is completed (None after the last one)."""
    sequence = phase_sequence(avenant)
    position = sequence.index(phase)
    return sequence[position + 1] if position + 1 < len(sequence) else None


def current_phase(session: Session, exercice_id: int) -> Phase | None:
    """The first phase of the contract cycle not completed yet (None when all are)."""
    states = phase_states(session, exercice_id=exercice_id)
    return cycle.current_phase({phase: state.status for phase, state in states.items()})


def _what(avenant: int) -> str:
    return "le contrat" if avenant == 0 else f"l'avenant n° {avenant}"


def next_need(session: Session, exercice: Exercice, phase: Phase, avenant: int = 0) -> Need | None:
    """What the phase still waits for (``cdppe.domain.cycle.waiting_for`` on the recorded facts), with
    the form and the French words a person reads; None when it can complete."""
    contract = session.get(Contract, exercice.contract_id)
    assert contract is not None
    facts = exercice_snapshot(session, contract, exercice, avenant)
    waiting = cycle.waiting_for(facts, phase)
    if waiting is None:
        return None
    need = NEEDS[waiting.kind](facts, exercice, waiting)
    if waiting.kind is AnswerKind.SIGNATURE:
        need = replace(need, description=need.description + findings_text(
            exercice_findings(session, exercice, avenant)))
    return need


def findings_text(findings: list[FindingState]) -> str:
    """What the signature form says of the rule check: the open findings, the reasons already given."""
    if not findings:
        return ""
    lines = ["", "", f"**Contrôle des règles : {len(findings)} constat(s)** (document « Contrôle des "
             "règles avant signature »)."]
    for state in findings:
        if state.refused:
            lines.append(f"- {state.finding} — refusé par la campagne {state.finding.year}")
        elif state.reason is None:
            lines.append(f"- {state.finding} — motif à indiquer dans « Motif de signature malgré les "
                         "constats »")
        else:
            lines.append(f"- {state.finding} — motif enregistré par {state.reason.recorded_by} : "
                         f"{state.reason.reason}")
    return "\n".join(lines)


def _diagnosis_need(facts: ExerciceSnapshot, exercice: Exercice, w: Waiting) -> Need:
    return Need(w.phase, w.kind, w.key, "En attente du diagnostic partagé",
                "Les trois parties valident le diagnostic territorial partagé ; les fiches "
                "action et le plan d'action sont joints à cette étape.", DiagnosisAnswer)


def _deliberation_need(facts: ExerciceSnapshot, exercice: Exercice, w: Waiting) -> Need:
    planned = exercice.planned_council_session
    defaults: dict[str, Any] = {"session_date": planned} if planned and facts.avenant == 0 else {}
    return Need(w.phase, w.kind, w.key, "En attente de délibération",
                f"Séance du conseil départemental approuvant {_what(facts.avenant)} : date de "
                f"convocation (au moins {CONVOCATION_NOTICE_DAYS} jours avant), date de séance, "
                "numéro et vote.", DeliberationAnswer, defaults)


def _acknowledgement_need(facts: ExerciceSnapshot, exercice: Exercice, w: Waiting) -> Need:
    assert facts.deliberation_session is not None
    return Need(w.phase, w.kind, w.key, "En attente de l'accusé de réception @ctes",
                f"La délibération n° {facts.deliberation_number} du "
                f"{format_date_fr(facts.deliberation_session)} devient exécutoire à réception par "
                "la préfecture (@ctes). Sans cette date, la signature ne s'ouvre pas.",
                AcknowledgementAnswer)


def _signature_need(facts: ExerciceSnapshot, exercice: Exercice, w: Waiting) -> Need:
    missing = facts.missing_signatories
    return Need(w.phase, w.kind, w.key,
                f"En attente de signature ({len(facts.signed)}/{len(facts.signatories_expected)})",
                f"Signatures manquantes pour {_what(facts.avenant)} : {w.who}. Une signature donnée "
                "sur papier ou dans un autre outil est enregistrée avec sa date et le scan signé : "
                f"déposez le PDF sur {get_settings().documents_url.rstrip('/')}/televersement, puis "
                "collez la référence affichée dans le dernier champ.",
                SignatureAnswer, {"role": missing[0]})


def _payment_need(facts: ExerciceSnapshot, exercice: Exercice, w: Waiting) -> Need:
    source = facts.missing_payments[0]
    amount = facts.payments_planned[source]
    return Need(w.phase, w.kind, w.key,
                f"En attente du versement {source.label} "
                f"({len(facts.payments_received)}/{len(facts.payments_planned)})",
                f"Montant notifié et date de réception du versement {source.label} "
                f"(prévu : {format_eur(amount)}"
                + (f", crédits nouveaux de l'avenant n° {facts.avenant}" if facts.avenant else "")
                + ").", PaymentAnswer,
                {"source": source, "notified_amount": f"{amount:.2f}"})


def _odpe_presentation_need(facts: ExerciceSnapshot, exercice: Exercice, w: Waiting) -> Need:
    return Need(w.phase, w.kind, w.key, "En attente de la présentation du contrat à l'ODPE",
                "Date de la séance où le contrat a été présenté à l'observatoire départemental de "
                "la protection de l'enfance (l'ODPE rendra ensuite son avis sur le projet de "
                "rapport d'exécution).", OdpePresentationAnswer)


def _odpe_need(facts: ExerciceSnapshot, exercice: Exercice, w: Waiting) -> Need:
    presented = (f" (contrat présenté le {format_date_fr(facts.odpe_presented_on)})"
                 if facts.odpe_presented_on else "")
    return Need(w.phase, w.kind, w.key, "En attente de l'avis de l'ODPE",
                "Date de la séance de l'observatoire départemental de la protection de "
                f"l'enfance et son avis sur le projet de rapport d'exécution{presented}, avant "
                "l'adoption du rapport.", OdpeAnswer)


def _report_need(facts: ExerciceSnapshot, exercice: Exercice, w: Waiting) -> Need:
    due = exercice.report_due_date
    due_text = f" au plus tard le {format_date_fr(due)}" if due else ""
    return Need(w.phase, w.kind, w.key, "En attente du rapport d'exécution",
                f"Adoption conjointe, délibération et transmission du rapport{due_text} "
                "(un an après la dernière signature). Les données des fiches (statut, consommation, "
                "bilan) se saisissent avant : une fiche à la fois par le déploiement « rapport-fiche » "
                "ou cdppe report fiche, ou toutes par le classeur (cdppe report template puis "
                "cdppe report import).", ReportAnswer)


def _amendment_decision_need(facts: ExerciceSnapshot, exercice: Exercice, w: Waiting) -> Need:
    return Need(w.phase, w.kind, w.key, "En attente de la décision sur l'avenant",
                "Un avenant annuel est-il nécessaire (montants, report de crédits, "
                "fongibilité) ? Les avenants s'ouvrent par le déploiement « avenant ».",
                AmendmentDecisionAnswer)


# Answer kind (``cdppe.domain.cycle.Waiting.kind``) -> the form and words of that need.
NEEDS: dict[AnswerKind, Callable[[ExerciceSnapshot, Exercice, Waiting], Need]] = {
    AnswerKind.DIAGNOSIS: _diagnosis_need, AnswerKind.DELIBERATION: _deliberation_need,
    AnswerKind.ACKNOWLEDGEMENT: _acknowledgement_need, AnswerKind.SIGNATURE: _signature_need,
    AnswerKind.PAYMENT: _payment_need, AnswerKind.ODPE_PRESENTATION: _odpe_presentation_need,
    AnswerKind.ODPE: _odpe_need, AnswerKind.REPORT: _report_need,
    AnswerKind.AMENDMENT_DECISION: _amendment_decision_need,
}


def record_answer(session: Session, contract: Contract, exercice: Exercice, phase: Phase,
                  answer: Answer, as_of: date, avenant: int = 0) -> str:
    """Validate and record one answer; returns a French summary, raises AnswerRefusedError.

    The exercice's row is locked first (``lock_exercice``) and every row is read afresh,
    so two answers given at once are decided one after the other: the second sees the
    first and is refused as a second answer given afterwards would be.
    """
    assert exercice.id is not None
    lock_exercice(session, exercice.id)
    need = next_need(session, exercice, phase, avenant)
    if need is None or not isinstance(answer, need.answer_type):
        expected = need.answer_type.__name__ if need else "rien"
        raise AnswerRefusedError(f"cette étape n'attend pas cette réponse (attendu : {expected}).")
    ctx = AnswerContext(session=session, contract=contract, exercice=exercice, avenant=avenant,
                        as_of=as_of, actor=getattr(answer, "answered_by", "inconnu"),
                        state=get_phase_state(session, exercice.id, phase, avenant),
                        detail=answer.model_dump(mode="json"))
    summary = HANDLERS[type(answer)](ctx, answer)
    after_recorded(ctx, phase, need.kind, summary)
    return summary


def after_recorded(ctx: AnswerContext, phase: Phase, kind: str, summary: str) -> None:
    """What every recorded answer shares: the phase's history, the audit event, the deadlines."""
    state = ctx.state
    history = list(state.data.get("answers", []))
    history.append({"kind": kind, "summary": summary, "by": ctx.actor, "at": utcnow().isoformat()})
    state.data = {**state.data, "answers": history}
    state.recorded_by = ctx.actor
    state.updated_at = utcnow()
    ctx.session.add(state)
    ctx.session.add(AuditEvent(contract_id=ctx.contract.id, exercice_id=ctx.exercice_id, actor=ctx.actor,
                               action=f"answer.{kind}",
                               detail={"phase": phase.value, "avenant": ctx.avenant, "answer": ctx.detail,
                                       "summary": summary}))
    ctx.session.flush()
    from cdppe.services.reminders.sync import sync_deadlines

    sync_deadlines(ctx.session, ctx.exercice_id, ctx.as_of)  # a recorded step closes its deadlines at once


def mark_phase(session: Session, exercice_id: int, phase: Phase, status: PhaseStatus, *,
               avenant: int = 0, waiting_reason: str | None = None, flow_run_id: str | None = None,
               completed_on: date | None = None) -> PhaseState:
    state = get_phase_state(session, exercice_id, phase, avenant)
    if state.status is PhaseStatus.COMPLETED and status is not PhaseStatus.COMPLETED:
        return state  # never reopen a completed phase
    now = utcnow()
    if state.started_at is None:
        state.started_at = now
    if status is PhaseStatus.COMPLETED and state.status is not PhaseStatus.COMPLETED:
        state.completed_at = now
        state.completed_on = completed_on
        from cdppe.store.audit import record_phase_completed

        record_phase_completed(session, state)
    state.status = status
    state.waiting_reason = waiting_reason
    if flow_run_id:
        state.flow_run_id = flow_run_id
    state.updated_at = now
    session.add(state)
    session.flush()
    return state


DOCUMENT_FORMATS = ("html", "docx")


def produces_documents(phase: Phase, avenant: int = 0) -> bool:
    """The yearly amendment decision alone produces no document; each avenant has its own."""
    return not (phase is Phase.AMENDMENT and avenant == 0)


def complete_phase(session: Session, contract_id: int, exercice: Exercice, phase: Phase,
                   avenant: int = 0, flow_run_id: str | None = None) -> date | None:
    """Generate the phase's documents, then mark it completed: one transaction (the caller's).

    Returns the business date it was completed on. A document that cannot be generated
    raises before anything is marked, and the caller's rollback leaves no row behind.
    """
    assert exercice.id is not None
    if produces_documents(phase, avenant):
        generate_step_documents(session, contract_id, exercice.id, phase, DOCUMENT_FORMATS, avenant)
    done_on = phase_completion_date(session, exercice, phase, avenant)
    mark_phase(session, exercice.id, phase, PhaseStatus.COMPLETED, avenant=avenant,
               flow_run_id=flow_run_id, completed_on=done_on)
    return done_on


def phase_completion_date(session: Session, exercice: Exercice, phase: Phase,
                          avenant: int = 0) -> date | None:
    """The business date a phase was completed on, from its recorded rows."""
    ex_id = exercice.id
    if phase is Phase.DIAGNOSIS:
        raw = get_phase_state(session, ex_id or 0, phase).data.get("agreed_on")
        return date.fromisoformat(raw) if raw else None
    if phase is Phase.DELIBERATION:
        delib = find_deliberation(session, exercice_id=ex_id, avenant=avenant)
        return delib.acknowledgement_date if delib else None
    if phase is Phase.SIGNATURE:
        signed = signatures_by_role(session, exercice_id=ex_id, avenant=avenant)
        return max((s.signed_on for s in signed.values()), default=None)
    if phase is Phase.CREDIT_PAYMENT:
        payments = payments_by_source(session, exercice_id=ex_id, avenant=avenant)
        return max((p.received_on for p in payments.values()), default=None)
    if phase is Phase.ODPE_REVIEW:
        odpe = find_odpe_review(session, exercice_id=ex_id)
        return odpe.session_date if odpe else None
    if phase is Phase.EXECUTION_REPORT:
        rep = find_execution_report(session, exercice_id=ex_id)
        return rep.transmitted_on if rep else None
    return None

