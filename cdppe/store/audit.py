"""The audit trail: who (a person, an operator, or a flow run), when, and what changed.

Every recorded answer, opened or applied avenant, opened exercice, completed
phase, generated document and sent (or failed) e-mail is one ``AuditEvent``.
``audit_trail`` lists those of one contract, including the events recorded
with only their exercice (``amendment.applied``).
"""

from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from cdppe.core.dates import format_datetime_fr
from models import AuditEvent, Contract, Exercice, GeneratedDocument, OutboxEmail, PhaseState

SYSTEM_ACTOR = "système"

ACTION_LABELS: dict[str, str] = {
    "contract.created": "Contrat importé",
    "contract.updated": "Contrat mis à jour",
    "exercice.opened": "Exercice ouvert",
    "amendment.opened": "Avenant ouvert",
    "amendment.applied": "Avenant appliqué aux enveloppes",
    "phase.completed": "Étape terminée",
    "document.generated": "Document produit",
    "email.sent": "Courriel envoyé",
    "email.failed": "Courriel en échec",
    "contact.preference": "Choix des relances",
}

ANSWER_LABELS: dict[str, str] = {
    "diagnosis": "diagnostic partagé",
    "deliberation": "délibération",
    "acknowledgement": "accusé de réception @ctes",
    "signature": "signature",
    "payment": "versement",
    "odpe_presentation": "présentation du contrat à l'ODPE",
    "odpe": "avis de l'ODPE",
    "report": "rapport d'exécution",
    "amendment_decision": "décision sur l'avenant",
}


def current_actor(default: str | None = None) -> str:
    """The flow run doing the work (``flow run <name> (<id>)``), else ``default``, else the
    operating-system user (``dupont (ligne de commande)``), else ``système``.

    Prefect is only consulted when it is already imported: the CLI stays light.
    """
    if "prefect.context" in sys.modules:
        from prefect.context import FlowRunContext

        ctx = FlowRunContext.get()
        if ctx is not None and ctx.flow_run is not None:
            return f"flow run {ctx.flow_run.name} ({ctx.flow_run.id})"
    if default:
        return default
    try:
        return f"{getpass.getuser()} (ligne de commande)"
    except Exception:  # noqa: BLE001 - no user name in this environment
        return SYSTEM_ACTOR


def record_event(session: Session, action: str, detail: dict[str, Any], *,
                 contract_id: int | None = None, exercice_id: int | None = None,
                 actor: str | None = None) -> AuditEvent:
    """Add one event to the session (the caller commits with the change it describes)."""
    if contract_id is None and exercice_id is not None:
        exercice = session.get(Exercice, exercice_id)
        contract_id = exercice.contract_id if exercice else None
    event = AuditEvent(contract_id=contract_id, exercice_id=exercice_id,
                       actor=actor or current_actor(), action=action[:60], detail=detail)
    session.add(event)
    return event


def record_email_event(session: Session, row_id: int, sent: bool, reason: str | None = None) -> None:
    """``email.sent`` / ``email.failed`` for one outbox row (recipient, subject, kind)."""
    row = session.get(OutboxEmail, row_id)
    if row is None:
        return
    detail: dict[str, Any] = {"outbox_id": row_id, "kind": row.kind, "recipient": row.recipient,
                              "subject": row.subject, "attempts": row.attempts}
    if reason:
        detail["reason"] = reason
    record_event(session, "email.sent" if sent else "email.failed", detail,
                 contract_id=row.contract_id)


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    actor: str
    action: str
    label: str
    year: int | None
    summary: str
    detail: dict[str, Any]

    @property
    def at_text(self) -> str:
        return format_datetime_fr(self.at)


def action_label(action: str) -> str:
    if action.startswith("answer."):
        kind = action.removeprefix("answer.")
        return f"Réponse : {ANSWER_LABELS.get(kind, kind)}"
    return ACTION_LABELS.get(action, action)


def summarize(action: str, detail: dict[str, Any]) -> str:
    """One French line saying what changed."""
    if isinstance(detail.get("summary"), str):
        text = detail["summary"]
        avenant = detail.get("avenant")
        return f"{text} (avenant n° {avenant})" if avenant else text
    if action == "amendment.opened":
        request = detail.get("request") or {}
        return f"Avenant n° {detail.get('number')} : {request.get('reason', '')}".strip()
    if action == "amendment.applied":
        envelopes = ", ".join(f"{k} {v} €" for k, v in (detail.get("envelopes") or {}).items())
        return f"Avenant n° {detail.get('number')} : {envelopes or 'enveloppes inchangées'}"
    if action == "document.generated":
        return (f"{detail.get('title') or detail.get('kind')} v{detail.get('version')} "
                f"({detail.get('fmt')}) — {detail.get('path')}")
    if action in ("email.sent", "email.failed"):
        text = f"« {detail.get('subject')} » à {detail.get('recipient')}"
        return f"{text} : {detail['reason']}" if detail.get("reason") else text
    if action == "phase.completed":
        avenant = detail.get("avenant")
        suffix = f" (avenant n° {avenant})" if avenant else ""
        return f"{detail.get('label', detail.get('phase'))}{suffix}"
    if action == "exercice.opened":
        return str(detail.get("summary_text") or f"Exercice {detail.get('year')}")
    if action.startswith("contract."):
        return f"{detail.get('fiches', '?')} fiches (empreinte {str(detail.get('sha256', ''))[:12]})"
    return ", ".join(f"{k} : {v}" for k, v in detail.items() if not isinstance(v, dict | list))


def audit_trail(session: Session, contract: Contract, action_prefix: str | None = None,
                year: int | None = None) -> list[AuditLine]:
    """Every event of ``contract``, oldest first."""
    years = {e.id: e.year for e in session.exec(select(Exercice).where(
        Exercice.contract_id == contract.id))}
    query = select(AuditEvent).where(or_(
        col(AuditEvent.contract_id) == contract.id,
        col(AuditEvent.exercice_id).in_(list(years)) if years else col(AuditEvent.id) < 0))
    if action_prefix:
        query = query.where(col(AuditEvent.action).startswith(action_prefix))
    lines = []
    for event in session.exec(query.order_by(col(AuditEvent.at), col(AuditEvent.id))):
        ex_year = years.get(event.exercice_id) if event.exercice_id else None
        if year is not None and ex_year != year:
            continue
        lines.append(AuditLine(event.at, event.actor, event.action, action_label(event.action),
                               ex_year, summarize(event.action, event.detail), event.detail))
    return lines


def record_phase_completed(session: Session, state: PhaseState) -> None:
    """``phase.completed``: a step of the cycle (or of an avenant) is done."""
    record_event(session, "phase.completed",
                 {"phase": state.phase.value, "label": state.phase.label.capitalize(),
                  "avenant": state.avenant_number,
                  "completed_on": state.completed_on.isoformat() if state.completed_on else None,
                  "flow_run_id": state.flow_run_id},
                 exercice_id=state.exercice_id)


def record_document_generated(session: Session, doc: GeneratedDocument, title: str) -> None:
    """``document.generated``: which document, version, format, file and checksum."""
    record_event(session, "document.generated",
                 {"kind": doc.kind, "title": title, "version": doc.version, "fmt": doc.fmt,
                  "step": doc.step, "avenant": doc.avenant_number, "path": doc.path,
                  "sha256": doc.sha256},
                 contract_id=doc.contract_id, exercice_id=doc.exercice_id)
