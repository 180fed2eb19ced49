"""Markdown and tables that coordinators read in the Prefect UI (French)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import Session

from cdppe.core.dates import format_date_fr
from cdppe.core.money import ZERO, format_eur
from cdppe.core.settings import get_settings
from cdppe.domain.cycle import phases_done
from cdppe.domain.deadlines import compute_deadlines
from cdppe.domain.fiche_numbers import parse_fiche_number
from cdppe.present.links import document_link
from cdppe.store.contracts import exercice_snapshot
from cdppe.store.documents import step_documents
from cdppe.store.plan import exercice_money_lines, fiches_by_number
from cdppe.store.workflow import get_phase_state, phase_states
from models import Contract, Exercice, MoneyLine
from models.enums import PHASE_ORDER, Payer, Phase, PhaseStatus


def _md_escape(text: str) -> str:
    """Contract text must stay text in Markdown (no links, no HTML)."""
    out = text.replace("\\", "\\\\")
    for ch in "`*_[]<>|#":
        out = out.replace(ch, "\\" + ch)
    return out


def phase_markdown(session: Session, contract: Contract, exercice: Exercice, phase: Phase,
                   avenant: int = 0) -> str:
    assert exercice.id is not None
    state = get_phase_state(session, exercice.id, phase, avenant)
    title = phase.label.capitalize() + (f" — avenant n° {avenant}" if avenant else "")
    lines = [f"# {title} — {_md_escape(contract.title)} ({exercice.year})", ""]
    status = {PhaseStatus.COMPLETED: "terminée", PhaseStatus.WAITING: "en attente",
              PhaseStatus.PENDING: "à venir", PhaseStatus.SKIPPED: "sans objet"}[state.status]
    lines.append(f"**Statut** : {status}" + (f" — {state.waiting_reason}" if state.waiting_reason else ""))
    if state.completed_on:
        lines.append(f"**Terminée le** : {format_date_fr(state.completed_on)}")
    lines += ["", "## Décisions enregistrées", ""]
    answers = state.data.get("answers", [])
    if not answers:
        lines.append("_Aucune réponse enregistrée._")
    for a in answers:
        lines.append(f"- {_md_escape(a['summary'])} (par {_md_escape(a['by'])})")
    lines += ["", "## Montants", "",
              "| Enveloppe | Montant |", "|---|---:|",
              f"| BOP 304 | {format_eur(exercice.bop304)} |",
              f"| FIR | {format_eur(exercice.fir)} |",
              f"| ONDAM médico-social | {format_eur(exercice.ondam)} |",
              f"| **Total État** | **{format_eur(exercice.state_total)}** |",
              f"| dont part du Département | {format_eur(exercice.departement_share)} |"]
    upcoming = compute_deadlines(exercice_snapshot(session, contract, exercice))
    lines += ["", "## Prochaine échéance", ""]
    escalating = [d for d in upcoming if d.escalate]
    if escalating:
        d = escalating[0]
        lines.append(f"**{d.label}** : {format_date_fr(d.due_date)} — {_md_escape(d.rule_text)}")
    else:
        lines.append("_Aucune échéance à venir._")
    docs = step_documents(session, exercice_id=exercice.id, step=phase, avenant=avenant)
    lines += ["", "## Documents", ""]
    if not docs:
        lines.append("_Aucun document pour cette étape._")
    documents_url = get_settings().documents_url
    for doc in docs:
        link = document_link(documents_url, doc.id, doc.path)
        lines.append(f"- [{doc.kind} v{doc.version} ({doc.fmt})]({link}) — sha256 `{doc.sha256[:12]}`")
    return "\n".join(lines) + "\n"


def plan_action_table(session: Session, contract: Contract, exercice: Exercice) -> list[dict[str, Any]]:
    """The plan d'action: objective × fiche × source × Département / État / total."""
    fiches = sorted(fiches_by_number(session, contract_id=contract.id).values(),
                    key=lambda f: parse_fiche_number(f.number))
    lines = exercice_money_lines(session, exercice_id=exercice.id)
    by_fiche: dict[int | None, list[MoneyLine]] = defaultdict(list)
    for line in lines:
        by_fiche[line.fiche_id].append(line)
    rows = []
    for fiche in fiches:
        money = by_fiche.get(fiche.id, [])
        state = sum((m.amount for m in money if m.payer is Payer.ETAT), ZERO)
        dept = sum((m.amount for m in money if m.payer is Payer.DEPARTEMENT), ZERO)
        sources = sorted({m.source.label for m in money if m.source and m.payer is Payer.ETAT})
        rows.append({
            "Objectif(s)": ", ".join(fiche.objective_numbers),
            "Fiche": fiche.number,
            "Action": fiche.title,
            "Source": ", ".join(sources) or "—",
            "Département": format_eur(dept),
            "État": format_eur(state),
            "Total": format_eur(state + dept),
        })
    return rows


def exercice_progress(session: Session, exercice_id: int) -> tuple[float, str]:
    states = phase_states(session, exercice_id=exercice_id)
    done = phases_done({p: s.status for p, s in states.items()})
    waiting = next((s.waiting_reason for p in PHASE_ORDER if (s := states.get(p))
                    and s.status is PhaseStatus.WAITING), None)
    text = f"{done}/{len(PHASE_ORDER)} phases terminées"
    if waiting:
        text += f" — {waiting}"
    return round(100 * done / len(PHASE_ORDER), 1), text
