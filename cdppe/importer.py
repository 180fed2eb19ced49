"""Import a validated contract file into the database, in one transaction.

Re-importing the same content changes nothing. A changed file updates the
planning data, except for exercices already signed: their envelope and money
lines are frozen (only an avenant changes them), and a file that changes
them is refused as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, delete, select

from cdppe.calendar_rules import report_due_date
from cdppe.contract_io import contract_fingerprint
from cdppe.fiche_numbers import parse_fiche_number
from cdppe.rules import RuleViolationError, Violation
from models import (
    AuditEvent,
    Contract,
    Departement,
    Exercice,
    FicheAction,
    FicheExecution,
    Indicator,
    IndicatorValue,
    MoneyLine,
    Objective,
    PartyMember,
)
from models.contract_file import ContractFile
from models.enums import SignatoryRole


@dataclass(frozen=True)
class ImportResult:
    contract_id: int
    key: str
    outcome: str  # created | updated | unchanged


def _frozen_view(document: dict[str, Any], year: int) -> dict[str, Any]:
    """What an avenant alone may change in a signed exercice."""
    envelope = next((e["envelope"] for e in document["exercices"] if e["year"] == year), None)
    lines = sorted(
        (f["number"], m["payer"], m.get("source"), m["amount"], m["valorisation"])
        for f in document["fiches"]
        for m in f["money"]
        if m["exercice"] == year
    )
    return {"envelope": envelope, "lines": lines}


def _check_signed_exercices(session: Session, contract: Contract, new_doc: dict[str, Any]) -> None:
    signed = session.exec(
        select(Exercice).where(Exercice.contract_id == contract.id,
                               col(Exercice.effective_date).is_not(None))
    ).all()
    violations = []
    for ex in signed:
        if _frozen_view(contract.source_document, ex.year) != _frozen_view(new_doc, ex.year):
            violations.append(Violation(
                f"exercices ({ex.year})",
                "exercice signé : son enveloppe et ses montants ne changent que par avenant",
                "les montants signés", "des montants modifiés"))
    if violations:
        raise RuleViolationError(violations)


def import_contract(session: Session, cf: ContractFile, actor: str) -> ImportResult:
    """Write ``cf`` (already validated) into ``session``; the caller commits."""
    fingerprint = contract_fingerprint(cf)
    document = cf.model_dump(mode="json")
    contract = session.exec(select(Contract).where(Contract.key == cf.key)).first()
    if contract is not None and contract.source_sha256 == fingerprint:
        assert contract.id is not None
        return ImportResult(contract.id, contract.key, "unchanged")
    if contract is not None:
        _check_signed_exercices(session, contract, document)

    dept = session.get(Departement, cf.departement.code)
    if dept is None:
        session.add(Departement(code=cf.departement.code, name=cf.departement.name))
    else:
        dept.name = cf.departement.name
    session.flush()
    years = [e.year for e in cf.exercices]
    fields: dict[str, Any] = dict(
        key=cf.key, departement_code=cf.departement.code, generation=cf.generation,
        title=cf.title, first_year=min(years), last_year=max(years),
        coordinator_name=cf.coordinator.name, coordinator_email=cf.coordinator.email,
        source_sha256=fingerprint, source_document=document,
        details={"payment_terms": cf.payment_terms.model_dump(mode="json")},
    )
    outcome = "updated"
    if contract is None:
        contract = Contract(**fields)
        outcome = "created"
    else:
        for name, value in fields.items():
            setattr(contract, name, value)
    session.add(contract)
    session.flush()
    cid = contract.id
    assert cid is not None

    session.exec(delete(PartyMember).where(col(PartyMember.contract_id) == cid))
    for role in (SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT):
        party = getattr(cf.parties, role.value)
        session.add(PartyMember(contract_id=cid, party=role, organisation=party.organisation,
                                name=party.signatory.name, title=party.signatory.title,
                                email=party.signatory.email, is_signatory=True))
        for contact in party.contacts:
            session.add(PartyMember(contract_id=cid, party=role, organisation=party.organisation,
                                    name=contact.name, title=contact.title, email=contact.email))
    if cf.parties.budget_controller is not None:
        bc = cf.parties.budget_controller
        session.add(PartyMember(contract_id=cid, party=SignatoryRole.BUDGET_CONTROLLER,
                                organisation="Contrôle budgétaire en région", name=bc.name,
                                title=bc.title, email=bc.email, is_signatory=True))

    exercices: dict[int, Exercice] = {
        e.year: e for e in session.exec(select(Exercice).where(Exercice.contract_id == cid)).all()
    }
    for ex_in in cf.exercices:
        ex = exercices.get(ex_in.year) or Exercice(contract_id=cid, year=ex_in.year,
                                                   bop304=ex_in.envelope.bop304,
                                                   fir=ex_in.envelope.fir,
                                                   ondam=ex_in.envelope.ondam)
        ex.bop304, ex.fir, ex.ondam = ex_in.envelope.bop304, ex_in.envelope.fir, ex_in.envelope.ondam
        ex.reference_year = ex_in.reference_year
        ex.planned_council_session = ex_in.planned_council_session
        ex.planned_signature = ex_in.planned_signature
        ex.budget_controller_required = ex_in.budget_controller_required
        if ex_in.milestones and ex_in.milestones.signatures and ex.effective_date is None:
            expected = {SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT}
            if ex.budget_controller_required:
                expected.add(SignatoryRole.BUDGET_CONTROLLER)
            if expected <= set(ex_in.milestones.signatures):
                ex.effective_date = max(ex_in.milestones.signatures.values())
                ex.report_due_date = report_due_date(ex.effective_date)
        session.add(ex)
        exercices[ex_in.year] = ex
    session.flush()
    stale_years = set(exercices) - set(years)
    if stale_years:
        raise RuleViolationError([Violation("exercices", "un exercice déjà importé ne peut disparaître",
                                            ", ".join(map(str, sorted(exercices))),
                                            ", ".join(map(str, sorted(years))))])

    objectives = {o.number: o for o in session.exec(select(Objective).where(Objective.contract_id == cid))}
    for obj_in in cf.objectives:
        obj = objectives.pop(obj_in.number, None) or Objective(contract_id=cid, number=obj_in.number)
        obj.mandatory, obj.title = obj_in.mandatory, obj_in.title
        session.add(obj)
    for stale in objectives.values():
        session.delete(stale)

    fiches = {f.number: f for f in session.exec(select(FicheAction).where(FicheAction.contract_id == cid))}
    kept_ids = []
    for fiche_in in cf.fiches:
        fiche = fiches.pop(fiche_in.number, None) or FicheAction(
            contract_id=cid, number=fiche_in.number, title=fiche_in.title, sort_key="")
        for name in ("title", "referent", "constat", "objectif_operationnel", "description",
                     "partners", "calendar", "indicators_text", "vigilance"):
            setattr(fiche, name, getattr(fiche_in, name))
        fiche.sort_key = parse_fiche_number(fiche_in.number).sort_key
        fiche.objective_numbers = list(fiche_in.objectives)
        session.add(fiche)
        session.flush()
        assert fiche.id is not None
        kept_ids.append(fiche.id)
        session.exec(delete(MoneyLine).where(col(MoneyLine.fiche_id) == fiche.id,
                                             col(MoneyLine.amendment_id).is_(None)))
        for line in fiche_in.money:
            ex_id = exercices[line.exercice].id
            assert ex_id is not None
            session.add(MoneyLine(fiche_id=fiche.id, exercice_id=ex_id,
                                  payer=line.payer, source=line.source, amount=line.amount,
                                  valorisation=line.valorisation, label=line.label))
        executions = {e.exercice_id: e for e in session.exec(
            select(FicheExecution).where(FicheExecution.fiche_id == fiche.id))}
        for exe_in in fiche_in.execution:
            ex_id = exercices[exe_in.exercice].id
            assert ex_id is not None
            exe = executions.get(ex_id) or FicheExecution(fiche_id=fiche.id, exercice_id=ex_id)
            for name in ("status", "start_date", "duration", "reason", "assessment", "outlook",
                         "consumed_etat"):
                setattr(exe, name, getattr(exe_in, name))
            session.add(exe)
    for stale_fiche in fiches.values():
        session.exec(delete(MoneyLine).where(col(MoneyLine.fiche_id) == stale_fiche.id))
        session.exec(delete(FicheExecution).where(col(FicheExecution.fiche_id) == stale_fiche.id))
        session.delete(stale_fiche)

    indicators = {i.code: i for i in session.exec(select(Indicator).where(Indicator.contract_id == cid))}
    for ind_in in cf.indicators:
        ind = indicators.pop(ind_in.code, None) or Indicator(contract_id=cid, code=ind_in.code,
                                                             label=ind_in.label)
        ind.label, ind.unit = ind_in.label, ind_in.unit
        ind.objective_number, ind.fiche_number = ind_in.objective, ind_in.fiche
        ind.baseline_year, ind.baseline_value = ind_in.baseline_year, ind_in.baseline_value
        session.add(ind)
        session.flush()
        assert ind.id is not None
        values = {v.year: v for v in session.exec(
            select(IndicatorValue).where(IndicatorValue.indicator_id == ind.id))}
        for val_in in ind_in.values:
            val = values.pop(val_in.year, None) or IndicatorValue(indicator_id=ind.id, year=val_in.year)
            val.target, val.achieved = val_in.target, val_in.achieved
            session.add(val)
        for stale_val in values.values():
            session.delete(stale_val)
    for stale_ind in indicators.values():
        session.exec(delete(IndicatorValue).where(col(IndicatorValue.indicator_id) == stale_ind.id))
        session.delete(stale_ind)

    session.add(AuditEvent(contract_id=cid, actor=actor, action=f"contract.{outcome}",
                           detail={"sha256": fingerprint, "fiches": len(cf.fiches)}))
    session.flush()
    return ImportResult(cid, cf.key, outcome)
