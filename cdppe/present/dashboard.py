"""The national dashboard: every contract and exercice at a glance, typed rows.

One row per exercice: current phase, what it waits for and from whom, next
deadline, overdue steps, money planned vs paid per envelope. A second table:
targets vs achieved of the indicators of every mandatory objective, per
Département and exercice. The same rows feed the Prefect artifacts (French
text) and ``cdppe export`` (typed CSV / XLSX cells). Nothing here writes.

Rules:
- the current phase is the first phase of the contract itself (avenant 0) that
  is neither completed nor skipped; "cycle terminé" when all are;
- deadlines are computed from the recorded steps and the year's campaign
  (``compute_deadlines``); an *overdue step* is a deadline that escalates
  (informational dates excluded) whose date is before the day of the dashboard;
- paid = notified amounts recorded; ONDAM is paid to the ESMS, never to the
  Département: its paid amount is empty;
- findings: the policy findings of the contract as signed (``cdppe.store.policy``), each
  with whether its reason is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from cdppe.core.dates import format_date_fr
from cdppe.core.money import ZERO, format_eur
from cdppe.domain import cycle
from cdppe.domain.catalogue import UnknownGenerationError, load_catalogue
from cdppe.domain.cycle import ExerciceSnapshot
from cdppe.domain.deadlines import compute_deadlines
from cdppe.domain.plan import attainment, gap
from cdppe.store.contracts import exercice_snapshot
from cdppe.store.national import (
    contract_phase_states,
    contracts_by_key,
    departement_names,
    exercices_by_departement,
    indicator_values_by_key,
    indicators_by_code,
    mandatory_objectives,
    paid_by_exercice,
)
from cdppe.store.plan import contract_exercices
from cdppe.store.policy import exercice_findings
from models import Exercice
from models.enums import FundingSource, Phase, PhaseStatus

DASHBOARD_KEY = "cdppe-tableau-de-bord-national"
OBJECTIVES_KEY = "cdppe-objectifs-obligatoires"


@dataclass(frozen=True)
class ExerciceRow:
    departement_code: str
    departement_name: str
    contract_key: str
    generation: str
    year: int
    phase: str
    waiting: str
    waiting_on: str
    next_deadline: str
    next_deadline_date: date | None
    overdue_count: int
    overdue: str
    oldest_overdue_date: date | None
    effective_date: date | None
    report_due_date: date | None
    bop304_planned: Decimal
    bop304_paid: Decimal | None
    fir_planned: Decimal
    fir_paid: Decimal | None
    ondam_planned: Decimal
    state_total: Decimal
    paid_total: Decimal
    findings_count: int = 0
    findings: str = ""


@dataclass(frozen=True)
class ObjectiveRow:
    generation: str
    objective: str
    objective_title: str
    departement_code: str
    departement_name: str
    contract_key: str
    year: int
    indicator: str
    unit: str | None
    target: Decimal | None
    achieved: Decimal | None
    ratio: Decimal | None  # percent, one decimal
    ratio_text: str
    achieved_note: str | None = None  # NR, ND or the text given instead of a number
    gap: Decimal | None = None  # (réalisé − cible) / cible, percent


# (header, attribute, kind): kind is text | int | date | money | number | percent
EXERCICE_COLUMNS: list[tuple[str, str, str]] = [
    ("Département", "departement_code", "text"),
    ("Nom", "departement_name", "text"),
    ("Contrat", "contract_key", "text"),
    ("Exercice", "year", "int"),
    ("Phase en cours", "phase", "text"),
    ("En attente de", "waiting", "text"),
    ("Qui doit agir", "waiting_on", "text"),
    ("Prochaine échéance", "next_deadline", "text"),
    ("Date de la prochaine échéance", "next_deadline_date", "date"),
    ("Étapes en retard", "overdue_count", "int"),
    ("Détail des retards", "overdue", "text"),
    ("Plus ancien retard", "oldest_overdue_date", "date"),
    ("Prise d'effet", "effective_date", "date"),
    ("Rapport dû le", "report_due_date", "date"),
    ("BOP 304 prévu", "bop304_planned", "money"),
    ("BOP 304 versé", "bop304_paid", "money"),
    ("FIR prévu", "fir_planned", "money"),
    ("FIR versé", "fir_paid", "money"),
    ("ONDAM prévu", "ondam_planned", "money"),
    ("Total État", "state_total", "money"),
    ("Total versé au Département", "paid_total", "money"),
    ("Constats des règles", "findings_count", "int"),
    ("Détail des constats", "findings", "text"),
]

OBJECTIVE_COLUMNS: list[tuple[str, str, str]] = [
    ("Génération", "generation", "text"),
    ("Objectif", "objective", "text"),
    ("Intitulé de l'objectif", "objective_title", "text"),
    ("Département", "departement_code", "text"),
    ("Nom", "departement_name", "text"),
    ("Contrat", "contract_key", "text"),
    ("Exercice", "year", "int"),
    ("Indicateur", "indicator", "text"),
    ("Unité", "unit", "text"),
    ("Cible", "target", "number"),
    ("Réalisé", "achieved", "number"),
    ("Taux d'atteinte (%)", "ratio", "percent"),
    ("Atteinte", "ratio_text", "text"),
    ("Réalisé non chiffré (NR, ND, texte)", "achieved_note", "text"),
    ("Écart à la cible (%)", "gap", "percent"),
]


def _waiting_on(snap: ExerciceSnapshot, phase: Phase | None) -> str:
    """Who has to act for the current phase (the state machine's answer)."""
    waiting = cycle.waiting_for(snap, phase) if phase is not None else None
    return waiting.who if waiting is not None and waiting.who else "—"


def exercice_rows(session: Session, as_of: date) -> list[ExerciceRow]:
    """One row per exercice of every contract, by Département, contract and year."""
    names = departement_names(session)
    pairs = exercices_by_departement(session)
    ex_ids = [e.id for e, _ in pairs]
    states = contract_phase_states(session, exercice_ids=ex_ids)
    paid = paid_by_exercice(session, exercice_ids=ex_ids)
    rows = []
    for ex, contract in pairs:
        assert ex.id is not None
        ex_states = states.get(ex.id, {})
        phase = cycle.current_phase({p: st.status for p, st in ex_states.items()})
        state = ex_states.get(phase) if phase else None
        if ex.terminated_on is not None:
            waiting = f"contrat dénoncé le {format_date_fr(ex.terminated_on)}"
        elif phase is None:
            waiting = "cycle terminé"
        elif state is not None and state.status is PhaseStatus.WAITING and state.waiting_reason:
            waiting = state.waiting_reason
        else:
            waiting = "cycle non démarré" if not ex_states else "à venir"
        snap = exercice_snapshot(session, contract, ex)
        specs = compute_deadlines(snap)
        overdue = [d for d in specs if d.escalate and d.due_date < as_of]
        upcoming = [d for d in specs if d.due_date >= as_of]
        upcoming_steps = [d for d in upcoming if d.escalate] or upcoming
        nxt = upcoming_steps[0] if upcoming_steps else None
        ex_paid = paid.get(ex.id, {})
        rows.append(ExerciceRow(
            departement_code=contract.departement_code,
            departement_name=names.get(contract.departement_code, contract.departement_code),
            contract_key=contract.key, generation=contract.generation, year=ex.year,
            phase=phase.label if phase else "cycle terminé", waiting=waiting,
            waiting_on=_waiting_on(snap, phase) if ex.terminated_on is None else "—",
            next_deadline=nxt.label if nxt else "—", next_deadline_date=nxt.due_date if nxt else None,
            overdue_count=len(overdue),
            overdue="; ".join(f"{d.label} ({format_date_fr(d.due_date)})" for d in overdue),
            oldest_overdue_date=min((d.due_date for d in overdue), default=None),
            effective_date=ex.effective_date, report_due_date=ex.report_due_date,
            bop304_planned=ex.bop304, bop304_paid=ex_paid.get(FundingSource.BOP304),
            fir_planned=ex.fir, fir_paid=ex_paid.get(FundingSource.FIR), ondam_planned=ex.ondam,
            state_total=ex.state_total, paid_total=sum(ex_paid.values(), ZERO),
            **_findings_cells(session, ex)))
    return rows


def _findings_cells(session: Session, exercice: Exercice) -> dict[str, Any]:
    """The contract's policy findings (co-financing, maintenance of effort) and what became of them."""
    findings = exercice_findings(session, exercice)
    texts = [f"{s.finding.subject} : " + ("refusé par la campagne" if s.refused else
                                         "motif à enregistrer" if s.is_open else "signé avec motif")
             for s in findings]
    return {"findings_count": len(findings), "findings": "; ".join(texts)}


def objective_rows(session: Session) -> list[ObjectiveRow]:
    """Targets vs achieved per mandatory objective, across Départements and exercices."""
    names = departement_names(session)
    rows: list[ObjectiveRow] = []
    for contract in contracts_by_key(session):
        try:
            catalogue = load_catalogue(contract.generation)
        except UnknownGenerationError:
            catalogue = None
        years = [e.year for e in contract_exercices(session, contract_id=contract.id)]
        indicators = indicators_by_code(session, contract_id=contract.id)
        values = indicator_values_by_key(session, indicator_ids=[i.id for i in indicators])
        for obj in mandatory_objectives(session, contract_id=contract.id):
            entry = catalogue.get(obj.number) if catalogue else None
            title = obj.title or (entry.title if entry else "")
            own = [i for i in indicators if i.objective_number == obj.number]
            dept_name = names.get(contract.departement_code, contract.departement_code)
            for year in years:
                blank = ObjectiveRow(
                    generation=contract.generation, objective=obj.number, objective_title=title,
                    departement_code=contract.departement_code, departement_name=dept_name,
                    contract_key=contract.key, year=year, indicator="aucun indicateur", unit=None,
                    target=None, achieved=None, ratio=None, ratio_text=attainment(None, None)[1])
                if not own:
                    rows.append(blank)
                for ind in own:
                    val = values.get((ind.id or 0, year))
                    target = val.target if val else None
                    achieved = val.achieved if val else None
                    note = val.achieved_note if val else None
                    ratio, text = attainment(target, achieved, note)
                    rows.append(replace(blank, indicator=ind.label, unit=ind.unit, target=target,
                                        achieved=achieved, ratio=ratio, ratio_text=text, achieved_note=note,
                                        gap=gap(target, achieved, note)[0]))
    rows.sort(key=lambda r: (r.generation, _objective_key(r.objective), r.departement_code, r.year,
                             r.indicator))
    return rows


def _objective_key(number: str) -> tuple[int, str]:
    digits = "".join(ch for ch in number if ch.isdigit())
    return (int(digits) if digits else 10_000, number)


def _text(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return format_eur(value)
    if kind == "date":
        return format_date_fr(value)
    if kind == "percent":
        return f"{value} %".replace(".", ",")
    if kind == "number":
        return str(value).replace(".", ",")
    return str(value)


def artifact_table(rows: list[Any], columns: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    """French text cells for a Prefect table artifact (``1 692 424 €``, ``22 novembre 2024``)."""
    return [{header: _text(getattr(row, attr), kind) for header, attr, kind in columns} for row in rows]
