"""The yearly cycle as plain functions: what a phase waits for, and recording answers.

The database is the source of truth: ``next_need`` looks only at recorded
rows, so re-running a phase never repeats a completed step, and recording
relies on UNIQUE constraints so a payment is never recorded twice.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from cdppe.core.dates import format_date_fr, utcnow
from cdppe.core.money import ZERO, MoneyError, format_eur, to_money
from cdppe.core.settings import get_settings
from cdppe.domain import cycle
from cdppe.domain.calendar_rules import CONVOCATION_NOTICE_DAYS, report_due_date
from cdppe.domain.cycle import ExerciceSnapshot, Waiting
from cdppe.present.documents import generate_step_documents
from cdppe.services.uploads import UploadRefusedError, find_ingested
from cdppe.store.contracts import exercice_snapshot
from cdppe.store.workflow import get_phase_state
from models import (
    Amendment,
    AuditEvent,
    Contract,
    Deliberation,
    ExecutionReport,
    Exercice,
    GeneratedDocument,
    OdpeReview,
    Payment,
    PhaseState,
    Signature,
)
from models.answers import (
    AcknowledgementAnswer,
    AmendmentDecisionAnswer,
    Answer,
    DeliberationAnswer,
    DiagnosisAnswer,
    OdpeAnswer,
    PaymentAnswer,
    ReportAnswer,
    SignatureAnswer,
)
from models.enums import PHASE_ORDER, AmendmentStatus, Phase, PhaseStatus, SignatoryRole


class AnswerRefusedError(ValueError):
    """An answer that breaks a rule; the step keeps waiting."""


@dataclass
class Need:
    """A human answer a phase is waiting for."""

    phase: Phase
    kind: str  # key of models.answers.ANSWER_TYPES
    key: str  # stable: the same need gives the same key on every re-run
    waiting_reason: str
    description: str
    answer_type: type[Answer]
    defaults: dict[str, Any] = field(default_factory=dict)


# An avenant goes through its own deliberation and signature, then is applied.
AVENANT_PHASES: tuple[Phase, ...] = (Phase.DELIBERATION, Phase.SIGNATURE, Phase.AMENDMENT)


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
    states = session.exec(select(PhaseState).where(
        PhaseState.exercice_id == exercice_id, PhaseState.avenant_number == 0))
    return cycle.current_phase({s.phase: s.status for s in states})


def _deliberation(session: Session, exercice_id: int, avenant: int) -> Deliberation | None:
    return session.exec(select(Deliberation).where(
        Deliberation.exercice_id == exercice_id, Deliberation.avenant_number == avenant,
        Deliberation.subject == "contract")).first()


def _signatures(session: Session, exercice_id: int, avenant: int) -> dict[SignatoryRole, Signature]:
    rows = session.exec(select(Signature).where(Signature.exercice_id == exercice_id,
                                                Signature.avenant_number == avenant))
    return {s.role: s for s in rows}


def _what(avenant: int) -> str:
    return "le contrat" if avenant == 0 else f"l'avenant n° {avenant}"


def next_need(session: Session, exercice: Exercice, phase: Phase, avenant: int = 0) -> Need | None:
    """What the phase still waits for (``cdppe.domain.cycle.waiting_for`` on the recorded facts), with
    the form and the French words a person reads; None when it can complete."""
    contract = session.get(Contract, exercice.contract_id)
    assert contract is not None
    facts = exercice_snapshot(session, contract, exercice, avenant)
    waiting = cycle.waiting_for(facts, phase)
    return None if waiting is None else NEEDS[waiting.kind](facts, exercice, waiting)


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
                f"(prévu : {format_eur(amount)}).", PaymentAnswer,
                {"source": source, "notified_amount": f"{amount:.2f}"})


def _odpe_need(facts: ExerciceSnapshot, exercice: Exercice, w: Waiting) -> Need:
    return Need(w.phase, w.kind, w.key, "En attente de l'avis de l'ODPE",
                "Date de la séance de l'observatoire départemental de la protection de "
                "l'enfance et son avis sur le projet de rapport d'exécution.", OdpeAnswer)


def _report_need(facts: ExerciceSnapshot, exercice: Exercice, w: Waiting) -> Need:
    due = exercice.report_due_date
    due_text = f" au plus tard le {format_date_fr(due)}" if due else ""
    return Need(w.phase, w.kind, w.key, "En attente du rapport d'exécution",
                f"Adoption conjointe, délibération et transmission du rapport{due_text} "
                "(un an après la dernière signature).", ReportAnswer)


def _amendment_decision_need(facts: ExerciceSnapshot, exercice: Exercice, w: Waiting) -> Need:
    return Need(w.phase, w.kind, w.key, "En attente de la décision sur l'avenant",
                "Un avenant annuel est-il nécessaire (montants, report de crédits, "
                "fongibilité) ? Les avenants s'ouvrent par le déploiement « avenant ».",
                AmendmentDecisionAnswer)


# Answer kind (``cdppe.domain.cycle.Waiting.kind``) -> the form and words of that need.
NEEDS: dict[str, Callable[[ExerciceSnapshot, Exercice, Waiting], Need]] = {
    "diagnosis": _diagnosis_need, "deliberation": _deliberation_need,
    "acknowledgement": _acknowledgement_need, "signature": _signature_need,
    "payment": _payment_need, "odpe": _odpe_need, "report": _report_need,
    "amendment_decision": _amendment_decision_need,
}


def _not_future(day: date, as_of: date, label: str) -> None:
    if day > as_of:
        raise AnswerRefusedError(f"{label} ({format_date_fr(day)}) est dans le futur "
                                 f"(nous sommes le {format_date_fr(as_of)}).")


def _audit(session: Session, contract_id: int | None, exercice_id: int | None, actor: str,
           action: str, detail: dict[str, Any]) -> None:
    session.add(AuditEvent(contract_id=contract_id, exercice_id=exercice_id, actor=actor,
                           action=action, detail=detail))


def store_signed_scan(session: Session, contract: Contract, exercice: Exercice, avenant: int,
                      role: SignatoryRole, scan_sha256: str) -> GeneratedDocument:
    """Archive an already ingested scan (``cdppe.services.uploads``) as the signed page of ``role``."""
    try:
        scan = find_ingested(scan_sha256, "scan_sha256")
    except UploadRefusedError as exc:
        raise AnswerRefusedError(str(exc)) from exc
    target_dir = get_settings().documents_dir / contract.key / str(exercice.year) / "signatures"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"avenant-{avenant}-{role.value}.{scan.fmt}"
    shutil.copyfile(scan.path, target)
    assert contract.id is not None
    doc = GeneratedDocument(contract_id=contract.id, exercice_id=exercice.id, avenant_number=avenant,
                            step=Phase.SIGNATURE.value, kind=f"signed_scan_{role.value}", fmt=scan.fmt,
                            version=1, path=str(target), sha256=scan.sha256, template_version="scan",
                            signed=True)
    session.add(doc)
    session.flush()
    return doc


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


def record_answer(session: Session, contract: Contract, exercice: Exercice, phase: Phase,
                  answer: Answer, as_of: date, avenant: int = 0) -> str:
    """Validate and record one answer; returns a French summary, raises AnswerRefusedError.

    The exercice's row is locked first (``lock_exercice``) and every row is read afresh,
    so two answers given at once are decided one after the other: the second sees the
    first and is refused as a second answer given afterwards would be.
    """
    assert exercice.id is not None
    ex_id = exercice.id
    lock_exercice(session, ex_id)
    need = next_need(session, exercice, phase, avenant)
    if need is None or not isinstance(answer, need.answer_type):
        expected = need.answer_type.__name__ if need else "rien"
        raise AnswerRefusedError(f"cette étape n'attend pas cette réponse (attendu : {expected}).")
    actor = getattr(answer, "answered_by", "inconnu")
    detail: dict[str, Any] = answer.model_dump(mode="json")
    state = get_phase_state(session, ex_id, phase, avenant)

    if isinstance(answer, DiagnosisAnswer):
        _not_future(answer.agreed_on, as_of, "la date du diagnostic")
        state.data = {**state.data, "agreed_on": answer.agreed_on.isoformat()}
        summary = f"Diagnostic partagé validé le {format_date_fr(answer.agreed_on)}"
    elif isinstance(answer, DeliberationAnswer):
        _not_future(answer.session_date, as_of, "la date de séance")
        if answer.convocation_date > answer.session_date:
            raise AnswerRefusedError("la convocation ne peut suivre la séance.")
        notice = (answer.session_date - answer.convocation_date).days
        if notice < CONVOCATION_NOTICE_DAYS:
            raise AnswerRefusedError(
                f"convocation {notice} jours avant la séance : il en faut au moins "
                f"{CONVOCATION_NOTICE_DAYS} (CGCT, art. L3121-19).")
        session.add(Deliberation(exercice_id=ex_id, avenant_number=avenant,
                                 convocation_date=answer.convocation_date,
                                 session_date=answer.session_date, number=answer.number,
                                 vote=answer.vote, recorded_by=actor))
        summary = (f"Délibération n° {answer.number} du {format_date_fr(answer.session_date)} "
                   f"({answer.vote})")
    elif isinstance(answer, AcknowledgementAnswer):
        delib = _deliberation(session, ex_id, avenant)
        assert delib is not None
        _not_future(answer.acknowledgement_date, as_of, "la date de l'accusé de réception")
        if answer.acknowledgement_date < delib.session_date:
            raise AnswerRefusedError(
                f"l'accusé de réception ({format_date_fr(answer.acknowledgement_date)}) ne peut "
                f"précéder la séance du {format_date_fr(delib.session_date)}.")
        delib.acknowledgement_date = answer.acknowledgement_date
        session.add(delib)
        summary = f"Délibération exécutoire le {format_date_fr(answer.acknowledgement_date)} (@ctes)"
    elif isinstance(answer, SignatureAnswer):
        delib = _deliberation(session, ex_id, avenant)
        if delib is None or delib.acknowledgement_date is None:
            raise AnswerRefusedError("la délibération n'est pas encore exécutoire : pas de signature.")
        if answer.role not in exercice.expected_signatories:
            raise AnswerRefusedError(f"{answer.role.label} ne signe pas ce contrat.")
        if answer.role in _signatures(session, ex_id, avenant):
            raise AnswerRefusedError(f"{answer.role.label} a déjà signé : signature déjà enregistrée.")
        if answer.signed_on < delib.acknowledgement_date:
            raise AnswerRefusedError(
                f"signature du {format_date_fr(answer.signed_on)} antérieure à la délibération "
                f"exécutoire du {format_date_fr(delib.acknowledgement_date)} "
                f"(séance du {format_date_fr(delib.session_date)}) : refusée.")
        _not_future(answer.signed_on, as_of, "la date de signature")
        contract_doc = None
        if answer.scan_sha256:
            contract_doc = store_signed_scan(session, contract, exercice, avenant, answer.role,
                                             answer.scan_sha256)
        session.add(Signature(exercice_id=ex_id, avenant_number=avenant, role=answer.role,
                              signatory_name=answer.signatory_name, signed_on=answer.signed_on,
                              method=answer.method, recorded_by=actor,
                              document_id=contract_doc.id if contract_doc else None))
        session.flush()
        signed = _signatures(session, ex_id, avenant)
        summary = f"Signé par {answer.role.label} le {format_date_fr(answer.signed_on)}"
        if all(r in signed for r in exercice.expected_signatories):
            effective = max(s.signed_on for s in signed.values())
            if avenant == 0:
                exercice.effective_date = effective
                exercice.report_due_date = report_due_date(effective)
                session.add(exercice)
                summary += (f" ; contrat en vigueur le {format_date_fr(effective)}, rapport dû le "
                            f"{format_date_fr(exercice.report_due_date)}")
            else:
                amendment = session.exec(select(Amendment).where(
                    Amendment.exercice_id == ex_id, Amendment.number == avenant)).one()
                amendment.effective_date = effective
                amendment.status = AmendmentStatus.SIGNED
                session.add(amendment)
                summary += f" ; avenant n° {avenant} en vigueur le {format_date_fr(effective)}"
    elif isinstance(answer, PaymentAnswer):
        planned = exercice.expected_payments
        if answer.source not in planned:
            raise AnswerRefusedError(f"aucun versement {answer.source.label} n'est prévu.")
        if session.exec(select(Payment).where(Payment.exercice_id == ex_id,
                                              Payment.source == answer.source)).first():
            raise AnswerRefusedError(f"le versement {answer.source.label} est déjà enregistré.")
        try:
            amount = to_money(answer.notified_amount)
        except MoneyError as exc:
            raise AnswerRefusedError(str(exc)) from exc
        if amount <= ZERO:
            raise AnswerRefusedError("le montant notifié doit être positif.")
        if amount > planned[answer.source]:
            raise AnswerRefusedError(
                f"versement {answer.source.label} de {format_eur(amount)} supérieur à "
                f"l'enveloppe de {format_eur(planned[answer.source])} : refusé.")
        if exercice.effective_date and answer.received_on < exercice.effective_date:
            raise AnswerRefusedError(
                f"versement reçu le {format_date_fr(answer.received_on)}, avant la prise d'effet "
                f"du contrat le {format_date_fr(exercice.effective_date)}.")
        _not_future(answer.received_on, as_of, "la date de réception")
        session.add(Payment(exercice_id=ex_id, source=answer.source, planned_amount=planned[answer.source],
                            notified_amount=amount, received_on=answer.received_on, recorded_by=actor))
        summary = (f"Versement {answer.source.label} de {format_eur(amount)} reçu le "
                   f"{format_date_fr(answer.received_on)}")
    elif isinstance(answer, OdpeAnswer):
        _not_future(answer.session_date, as_of, "la date de séance de l'ODPE")
        if exercice.effective_date and answer.session_date < exercice.effective_date:
            raise AnswerRefusedError(
                "la séance de l'ODPE sur le rapport précède la prise d'effet du contrat.")
        session.add(OdpeReview(exercice_id=ex_id, session_date=answer.session_date,
                               opinion=answer.opinion, favourable=answer.favourable, recorded_by=actor))
        summary = (f"Avis {'favorable' if answer.favourable else 'défavorable'} de l'ODPE le "
                   f"{format_date_fr(answer.session_date)}")
    elif isinstance(answer, ReportAnswer):
        odpe = session.exec(select(OdpeReview).where(OdpeReview.exercice_id == ex_id)).first()
        if odpe is None:
            raise AnswerRefusedError("l'ODPE doit rendre son avis avant l'adoption du rapport.")
        if answer.adopted_on < odpe.session_date:
            raise AnswerRefusedError(
                f"adoption le {format_date_fr(answer.adopted_on)}, avant l'avis de l'ODPE du "
                f"{format_date_fr(odpe.session_date)}.")
        if answer.transmitted_on < answer.adopted_on:
            raise AnswerRefusedError("la transmission ne peut précéder l'adoption.")
        if answer.published_on and answer.published_on < answer.transmitted_on:
            raise AnswerRefusedError("la mise en ligne ne peut précéder la transmission.")
        _not_future(answer.transmitted_on, as_of, "la date de transmission")
        session.add(ExecutionReport(exercice_id=ex_id, adopted_on=answer.adopted_on,
                                    transmitted_on=answer.transmitted_on,
                                    published_on=answer.published_on, recorded_by=actor))
        session.add(Deliberation(exercice_id=ex_id, avenant_number=0, subject="report",
                                 session_date=answer.adopted_on, number=answer.deliberation_number,
                                 vote="rapport adopté", recorded_by=actor))
        late = bool(exercice.report_due_date and answer.transmitted_on > exercice.report_due_date)
        detail["late"] = late
        summary = f"Rapport transmis le {format_date_fr(answer.transmitted_on)}"
        if late and exercice.report_due_date:
            summary += f" (en retard : échéance du {format_date_fr(exercice.report_due_date)})"
    elif isinstance(answer, AmendmentDecisionAnswer):
        state.data = {**state.data, "avenant_needed": answer.avenant_needed,
                      "reason": answer.reason}
        summary = ("Avenant nécessaire : à ouvrir par le déploiement « avenant »"
                   if answer.avenant_needed else "Pas d'avenant cette année")
    else:  # pragma: no cover - exhaustive above
        raise AnswerRefusedError(f"réponse inconnue : {type(answer).__name__}")

    history = list(state.data.get("answers", []))
    history.append({"kind": need.kind, "summary": summary, "by": actor, "at": utcnow().isoformat()})
    state.data = {**state.data, "answers": history}
    state.recorded_by = actor
    state.updated_at = utcnow()
    session.add(state)
    _audit(session, contract.id, ex_id, actor, f"answer.{need.kind}",
           {"phase": phase.value, "avenant": avenant, "answer": detail, "summary": summary})
    session.flush()
    from cdppe.services.reminders.sync import sync_deadlines

    sync_deadlines(session, ex_id, as_of)  # a recorded step closes its deadlines at once
    return summary


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
        delib = _deliberation(session, ex_id or 0, avenant)
        return delib.acknowledgement_date if delib else None
    if phase is Phase.SIGNATURE:
        signed = _signatures(session, ex_id or 0, avenant)
        return max((s.signed_on for s in signed.values()), default=None)
    if phase is Phase.CREDIT_PAYMENT:
        return max((p.received_on for p in session.exec(select(Payment).where(
            Payment.exercice_id == ex_id))), default=None)
    if phase is Phase.ODPE_REVIEW:
        odpe = session.exec(select(OdpeReview).where(OdpeReview.exercice_id == ex_id)).first()
        return odpe.session_date if odpe else None
    if phase is Phase.EXECUTION_REPORT:
        rep = session.exec(select(ExecutionReport).where(ExecutionReport.exercice_id == ex_id)).first()
        return rep.transmitted_on if rep else None
    return None

