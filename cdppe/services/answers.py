"""One handler per answer a phase waits for: check it against the recorded facts, write it.

``cdppe.services.lifecycle.record_answer`` locks the exercice, checks that the phase waits
for this kind of answer, calls the handler, then runs the one step every answer shares
(history, audit, deadlines). A handler raises ``AnswerRefusedError`` before writing anything
when the answer breaks a rule, so a refused answer leaves no row behind.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlmodel import Session

from cdppe.core.dates import format_date_fr
from cdppe.core.money import ZERO, MoneyError, format_eur, to_money
from cdppe.core.settings import get_settings
from cdppe.domain.calendar_rules import CONVOCATION_NOTICE_DAYS
from cdppe.domain.catalogue import later_year_of_generation
from cdppe.domain.deadlines import governing_report_due
from cdppe.services.uploads import UploadRefusedError, find_ingested
from cdppe.store.contracts import contract_in_force_since
from cdppe.store.policy import FindingState, exercice_findings
from cdppe.store.workflow import (
    find_deliberation,
    find_odpe_presentation,
    find_odpe_review,
    get_amendment,
    payments_by_source,
    planned_payments,
    signatures_by_role,
)
from models import (
    Contract,
    Deliberation,
    ExecutionReport,
    Exercice,
    FindingReason,
    GeneratedDocument,
    OdpePresentation,
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
    OdpePresentationAnswer,
    PaymentAnswer,
    ReportAnswer,
    SignatureAnswer,
)
from models.enums import AmendmentStatus, DeliberationSubject, Phase, SignatoryRole, SignatureMethod


class AnswerRefusedError(ValueError):
    """An answer that breaks a rule; the step keeps waiting."""


@dataclass
class AnswerContext:
    """What a handler works on: the exercice (locked), the phase's row, who answers and when."""

    session: Session
    contract: Contract
    exercice: Exercice
    avenant: int
    as_of: date
    actor: str
    state: PhaseState
    detail: dict[str, Any]  # the answer as audited; a handler may add what it decided

    @property
    def exercice_id(self) -> int:
        assert self.exercice.id is not None
        return self.exercice.id


A = TypeVar("A", bound=Answer)
Handler = Callable[[AnswerContext, Any], str]
HANDLERS: dict[type[Answer], Handler] = {}


def handles(answer_type: type[A]) -> Callable[[Callable[[AnswerContext, A], str]],
                                              Callable[[AnswerContext, A], str]]:
    """Register the handler of one answer type (each returns the French summary of what it recorded)."""
    def register(handler: Callable[[AnswerContext, A], str]) -> Callable[[AnswerContext, A], str]:
        HANDLERS[answer_type] = handler
        return handler
    return register


def not_future(day: date, as_of: date, label: str) -> None:
    if day > as_of:
        raise AnswerRefusedError(f"{label} ({format_date_fr(day)}) est dans le futur "
                                 f"(nous sommes le {format_date_fr(as_of)}).")


@handles(DiagnosisAnswer)
def record_diagnosis(ctx: AnswerContext, answer: DiagnosisAnswer) -> str:
    not_future(answer.agreed_on, ctx.as_of, "la date du diagnostic")
    ctx.state.data = {**ctx.state.data, "agreed_on": answer.agreed_on.isoformat()}
    return f"Diagnostic partagé validé le {format_date_fr(answer.agreed_on)}"


@handles(DeliberationAnswer)
def record_deliberation(ctx: AnswerContext, answer: DeliberationAnswer) -> str:
    not_future(answer.session_date, ctx.as_of, "la date de séance")
    if answer.convocation_date > answer.session_date:
        raise AnswerRefusedError("la convocation ne peut suivre la séance.")
    notice = (answer.session_date - answer.convocation_date).days
    if notice < CONVOCATION_NOTICE_DAYS:
        raise AnswerRefusedError(
            f"convocation {notice} jours avant la séance : il en faut au moins "
            f"{CONVOCATION_NOTICE_DAYS} (CGCT, art. L3121-19).")
    ctx.session.add(Deliberation(exercice_id=ctx.exercice_id, avenant_number=ctx.avenant,
                                 convocation_date=answer.convocation_date,
                                 session_date=answer.session_date, number=answer.number,
                                 vote=answer.vote, recorded_by=ctx.actor))
    return f"Délibération n° {answer.number} du {format_date_fr(answer.session_date)} ({answer.vote})"


@handles(AcknowledgementAnswer)
def record_acknowledgement(ctx: AnswerContext, answer: AcknowledgementAnswer) -> str:
    delib = find_deliberation(ctx.session, exercice_id=ctx.exercice_id, avenant=ctx.avenant)
    assert delib is not None  # the cycle asks for the receipt only once the deliberation is recorded
    not_future(answer.acknowledgement_date, ctx.as_of, "la date de l'accusé de réception")
    if answer.acknowledgement_date < delib.session_date:
        raise AnswerRefusedError(
            f"l'accusé de réception ({format_date_fr(answer.acknowledgement_date)}) ne peut "
            f"précéder la séance du {format_date_fr(delib.session_date)}.")
    delib.acknowledgement_date = answer.acknowledgement_date
    ctx.session.add(delib)
    return f"Délibération exécutoire le {format_date_fr(answer.acknowledgement_date)} (@ctes)"


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


def _check_signature(ctx: AnswerContext, answer: SignatureAnswer) -> None:
    delib = find_deliberation(ctx.session, exercice_id=ctx.exercice_id, avenant=ctx.avenant)
    if delib is None or delib.acknowledgement_date is None:
        raise AnswerRefusedError("la délibération n'est pas encore exécutoire : pas de signature.")
    if answer.role not in ctx.exercice.expected_signatories:
        raise AnswerRefusedError(f"{answer.role.label} ne signe pas ce contrat.")
    if answer.role in signatures_by_role(ctx.session, exercice_id=ctx.exercice_id, avenant=ctx.avenant):
        raise AnswerRefusedError(f"{answer.role.label} a déjà signé : signature déjà enregistrée.")
    if answer.signed_on < delib.acknowledgement_date:
        raise AnswerRefusedError(
            f"signature du {format_date_fr(answer.signed_on)} antérieure à la délibération "
            f"exécutoire du {format_date_fr(delib.acknowledgement_date)} "
            f"(séance du {format_date_fr(delib.session_date)}) : refusée.")
    not_future(answer.signed_on, ctx.as_of, "la date de signature")


def _check_findings(ctx: AnswerContext, answer: SignatureAnswer) -> list[FindingState]:
    """The findings this signature justifies: none refused by the campaign, and a reason for the open ones."""
    findings = exercice_findings(ctx.session, ctx.exercice, ctx.avenant)
    refused = [state.finding for state in findings if state.refused]
    if refused:
        raise AnswerRefusedError("signature impossible : la campagne refuse "
                                 + " ; ".join(str(f) for f in refused) + ". Corrigez le plan de financement.")
    still_open = [state for state in findings if state.is_open]
    if still_open and not answer.findings_reason:
        listed = " ; ".join(str(state.finding) for state in still_open)
        raise AnswerRefusedError(
            f"findings_reason : le contrôle des règles signale {listed}. Indiquez le motif de "
            "signature malgré les constats (« Motif de signature malgré les constats », "
            "--findings-reason en ligne de commande).")
    return still_open


@handles(SignatureAnswer)
def record_signature(ctx: AnswerContext, answer: SignatureAnswer) -> str:
    _check_signature(ctx, answer)
    justified = _check_findings(ctx, answer)
    for state in justified:
        assert answer.findings_reason is not None
        ctx.session.add(FindingReason(
            exercice_id=ctx.exercice_id, avenant_number=ctx.avenant, finding_key=state.finding.key,
            rule=state.finding.rule, finding=str(state.finding), reason=answer.findings_reason,
            recorded_by=answer.answered_by))
    if justified:
        ctx.detail["findings_justified"] = [state.finding.key for state in justified]
    scan = None
    if answer.scan_sha256:
        scan = store_signed_scan(ctx.session, ctx.contract, ctx.exercice, ctx.avenant, answer.role,
                                 answer.scan_sha256)
    ctx.session.add(Signature(exercice_id=ctx.exercice_id, avenant_number=ctx.avenant, role=answer.role,
                              signatory_name=answer.signatory_name, signed_on=answer.signed_on,
                              method=SignatureMethod(answer.method), recorded_by=ctx.actor,
                              document_id=scan.id if scan else None))
    ctx.session.flush()
    summary = f"Signé par {answer.role.label} le {format_date_fr(answer.signed_on)}"
    if justified:
        summary += f" ; motif enregistré pour {len(justified)} constat(s) des règles"
    signed = signatures_by_role(ctx.session, exercice_id=ctx.exercice_id, avenant=ctx.avenant)
    if all(role in signed for role in ctx.exercice.expected_signatories):
        summary += _take_effect(ctx, max(s.signed_on for s in signed.values()))
    return summary


def _take_effect(ctx: AnswerContext, effective: date) -> str:
    """The last signature: the contract (its report due a year later) or the avenant takes effect."""
    if ctx.avenant == 0:
        ctx.exercice.effective_date = effective
        ctx.exercice.report_due_date = governing_report_due(ctx.exercice.year, effective)
        ctx.session.add(ctx.exercice)
        return (f" ; contrat en vigueur le {format_date_fr(effective)}, rapport dû le "
                f"{format_date_fr(ctx.exercice.report_due_date)}")
    amendment = get_amendment(ctx.session, exercice_id=ctx.exercice_id, number=ctx.avenant)
    amendment.effective_date = effective
    amendment.status = AmendmentStatus.SIGNED
    ctx.session.add(amendment)
    summary = f" ; avenant n° {ctx.avenant} en vigueur le {format_date_fr(effective)}"
    if ctx.exercice.effective_date is None and later_year_of_generation(ctx.contract.generation,
                                                                         ctx.exercice.year):
        # year 2 or 3 of a multi-year contract takes effect with its financial avenant
        ctx.exercice.effective_date = effective
        ctx.exercice.report_due_date = governing_report_due(ctx.exercice.year, effective)
        ctx.session.add(ctx.exercice)
        summary += (f" ; exercice {ctx.exercice.year} en vigueur, rapport dû le "
                    f"{format_date_fr(ctx.exercice.report_due_date)}")
    return summary


@handles(PaymentAnswer)
def record_payment(ctx: AnswerContext, answer: PaymentAnswer) -> str:
    """The exercice's payment of an envelope, or (avenant n° N) the payment of its new money."""
    planned = planned_payments(ctx.session, ctx.exercice, ctx.avenant)
    if answer.source not in planned:
        raise AnswerRefusedError(f"aucun versement {answer.source.label} n'est prévu"
                                 + (f" par l'avenant n° {ctx.avenant}." if ctx.avenant else "."))
    if answer.source in payments_by_source(ctx.session, exercice_id=ctx.exercice_id, avenant=ctx.avenant):
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
    subject, of_subject = (("le contrat", "du contrat") if ctx.avenant == 0 else
                           (f"l'avenant n° {ctx.avenant}", f"de l'avenant n° {ctx.avenant}"))
    effective = contract_in_force_since(ctx.session, ctx.contract, ctx.exercice) if ctx.avenant == 0 \
        else get_amendment(ctx.session, exercice_id=ctx.exercice_id, number=ctx.avenant).effective_date
    if effective is None:
        raise AnswerRefusedError(f"versement {answer.source.label} refusé : {subject} n'est pas encore en "
                                 "vigueur (aucun versement avant la dernière signature).")
    if answer.received_on < effective:
        raise AnswerRefusedError(
            f"versement reçu le {format_date_fr(answer.received_on)}, avant la prise d'effet "
            f"{of_subject} le {format_date_fr(effective)}.")
    not_future(answer.received_on, ctx.as_of, "la date de réception")
    ctx.session.add(Payment(exercice_id=ctx.exercice_id, source=answer.source, avenant_number=ctx.avenant,
                            planned_amount=planned[answer.source], notified_amount=amount,
                            received_on=answer.received_on, recorded_by=ctx.actor))
    return (f"Versement {answer.source.label} de {format_eur(amount)} reçu le "
            f"{format_date_fr(answer.received_on)}")


@handles(OdpePresentationAnswer)
def record_odpe_presentation(ctx: AnswerContext, answer: OdpePresentationAnswer) -> str:
    """The contract presented to the ODPE; no order is imposed on signature (it may see the draft)."""
    not_future(answer.session_date, ctx.as_of, "la date de séance de l'ODPE")
    ctx.session.add(OdpePresentation(exercice_id=ctx.exercice_id, session_date=answer.session_date,
                                     recorded_by=ctx.actor))
    return f"Contrat présenté à l'ODPE le {format_date_fr(answer.session_date)}"


@handles(OdpeAnswer)
def record_odpe_review(ctx: AnswerContext, answer: OdpeAnswer) -> str:
    not_future(answer.session_date, ctx.as_of, "la date de séance de l'ODPE")
    presented = find_odpe_presentation(ctx.session, exercice_id=ctx.exercice_id)
    if presented is not None and answer.session_date < presented.session_date:
        raise AnswerRefusedError(
            f"avis de l'ODPE sur le rapport le {format_date_fr(answer.session_date)}, avant la "
            f"présentation du contrat à l'ODPE le {format_date_fr(presented.session_date)}.")
    in_force = contract_in_force_since(ctx.session, ctx.contract, ctx.exercice)
    if in_force is None:
        raise AnswerRefusedError("avis de l'ODPE sur le rapport refusé : le contrat n'est pas encore "
                                 "en vigueur (aucune signature complète).")
    if answer.session_date < in_force:
        raise AnswerRefusedError("la séance de l'ODPE sur le rapport précède la prise d'effet du contrat.")
    ctx.session.add(OdpeReview(exercice_id=ctx.exercice_id, session_date=answer.session_date,
                               opinion=answer.opinion, favourable=answer.favourable,
                               recorded_by=ctx.actor))
    return (f"Avis {'favorable' if answer.favourable else 'défavorable'} de l'ODPE le "
            f"{format_date_fr(answer.session_date)}")


def _check_report(ctx: AnswerContext, answer: ReportAnswer) -> None:
    odpe = find_odpe_review(ctx.session, exercice_id=ctx.exercice_id)
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
    not_future(answer.transmitted_on, ctx.as_of, "la date de transmission")


@handles(ReportAnswer)
def record_report(ctx: AnswerContext, answer: ReportAnswer) -> str:
    _check_report(ctx, answer)
    ctx.session.add(ExecutionReport(exercice_id=ctx.exercice_id, adopted_on=answer.adopted_on,
                                    transmitted_on=answer.transmitted_on,
                                    published_on=answer.published_on, recorded_by=ctx.actor))
    ctx.session.add(Deliberation(exercice_id=ctx.exercice_id, avenant_number=0,
                                 subject=DeliberationSubject.REPORT, session_date=answer.adopted_on,
                                 number=answer.deliberation_number, vote="rapport adopté",
                                 recorded_by=ctx.actor))
    due = ctx.exercice.report_due_date
    late = bool(due and answer.transmitted_on > due)
    ctx.detail["late"] = late
    summary = f"Rapport transmis le {format_date_fr(answer.transmitted_on)}"
    if late and due:
        summary += f" (en retard : échéance du {format_date_fr(due)})"
    return summary


@handles(AmendmentDecisionAnswer)
def record_amendment_decision(ctx: AnswerContext, answer: AmendmentDecisionAnswer) -> str:
    ctx.state.data = {**ctx.state.data, "avenant_needed": answer.avenant_needed, "reason": answer.reason}
    return ("Avenant nécessaire : à ouvrir par le déploiement « avenant »"
            if answer.avenant_needed else "Pas d'avenant cette année")
