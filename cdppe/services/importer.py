"""Import a validated contract file into the database, in one transaction.

Re-importing the same content changes nothing. A changed file updates the
planning data, except for exercices already signed: their envelope and money
lines are frozen (only an avenant changes them), and a file that changes
them is refused as a whole.

A re-import only replaces what the previous version of the file put there
(``Contract.source_document``). What an avenant, an exercice opening or a
recorded answer created (fiches and money lines of an avenant, lines copied
and targets carried by an opening, an envelope an avenant or an opening set) is
never deleted. A file that would remove or change such content is refused with
the list of differences (``ImportConflictError``) unless ``force`` is given;
even then, an avenant's lines and a signed avenant's envelope stay.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from cdppe.core.money import format_eur, to_money
from cdppe.domain.campaigns import budget_controller_signs
from cdppe.domain.deadlines import governing_report_due
from cdppe.domain.fiche_numbers import FicheMap, parse_fiche_number
from cdppe.domain.rules import RuleViolationError, Violation, third_parties
from cdppe.services.consolidation import opening_record
from cdppe.services.contract_io import contract_fingerprint
from cdppe.store.contracts import contract_by_key
from cdppe.store.exercices import exercices_by_year
from cdppe.store.imports import (
    delete_fiche,
    delete_indicator,
    executions_by_exercice,
    fiche_lines,
    indicators_keyed_by_code,
    objectives_by_number,
    replace_party_members,
    signed_exercices,
)
from cdppe.store.plan import exercice_amendments, fiches_by_number, indicator_value_rows
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
from models.contract_file import (
    ContractFile,
    EnvelopeIn,
    FicheIn,
    IndicatorIn,
    MoneyLineIn,
    parse_achieved,
    split_achieved,
)
from models.enums import AmendmentStatus, SignatoryRole


@dataclass(frozen=True)
class ImportResult:
    contract_id: int
    key: str
    outcome: str  # created | updated | unchanged
    forced: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Change:
    """Content that is not the file's own and that the file would remove or change."""

    what: str  # "fiche 16", "enveloppe 2025"
    origin: str  # "ajoutée par l'avenant n° 1"
    effect: str  # "serait supprimée (2 ligne(s) financière(s))"
    kept: bool = False  # signed or avenant content: stays even with --force

    def __str__(self) -> str:
        tail = " ; conservé même avec --force" if self.kept else ""
        return f"{self.what} ({self.origin}) : {self.effect}{tail}"


class ImportConflictError(ValueError):
    """The file would remove or change content it did not create; nothing was written."""

    def __init__(self, changes: list[Change]):
        self.changes = changes
        super().__init__("\n".join(str(c) for c in changes))


@dataclass
class _Plan:
    """What the previous file owned, and the conflicts found while importing."""

    cid: int
    old: dict[str, Any] | None
    force: bool
    amendments: dict[int, tuple[int, str, int]]  # amendment id -> (number, status, exercice id)
    opened_years: set[int]
    conflicts: list[Change] = field(default_factory=list)

    def old_fiches(self) -> FicheMap[dict[str, Any]]:
        return FicheMap((f["number"], f) for f in (self.old or {}).get("fiches", []))

    def old_envelope(self, year: int) -> dict[str, Any] | None:
        return next((e["envelope"] for e in (self.old or {}).get("exercices", [])
                     if e["year"] == year), None)

    def old_values(self, code: str) -> dict[int, dict[str, Any]] | None:
        for ind in (self.old or {}).get("indicators", []):
            if ind["code"] == code:
                return {v["year"]: v for v in ind.get("values", [])}
        return None

    def conflict(self, change: Change) -> bool:
        """Record a conflict; True when the import may go ahead with the change (``force``)."""
        self.conflicts.append(change)
        return self.force and not change.kept

    def avenant_label(self, amendment_ids: set[int]) -> str:
        numbers = sorted(self.amendments[a][0] for a in amendment_ids if a in self.amendments)
        return "l'avenant n° " + ", ".join(map(str, numbers)) if numbers else "un avenant"


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
    signed = signed_exercices(session, contract_id=contract.id)
    violations = []
    for ex in signed:
        if _frozen_view(contract.source_document, ex.year) != _frozen_view(new_doc, ex.year):
            violations.append(Violation(
                f"exercices ({ex.year})",
                "exercice signé : son enveloppe et ses montants ne changent que par avenant",
                "les montants signés", "des montants modifiés"))
    if violations:
        raise RuleViolationError(violations)




FICHE_FIELDS = ("title", "referent", "constat", "objectif_operationnel", "description",
                "partners", "calendar", "indicators_text", "vigilance")


def import_contract(session: Session, cf: ContractFile, actor: str, *,
                    force: bool = False) -> ImportResult:
    """Write ``cf`` (already validated) into ``session``; the caller commits.

    Raises ``ImportConflictError`` (the caller rolls back) when the file would remove or
    change content it did not create, unless ``force``.
    """
    fingerprint = contract_fingerprint(cf)
    document = cf.model_dump(mode="json")
    contract = contract_by_key(session, key=cf.key)
    if contract is not None and contract.source_sha256 == fingerprint:
        assert contract.id is not None
        return ImportResult(contract.id, contract.key, "unchanged")
    old: dict[str, Any] | None = None
    if contract is not None:
        _check_signed_exercices(session, contract, document)
        old = dict(contract.source_document)
    outcome = "created" if contract is None else "updated"
    contract = _write_contract(session, cf, contract, fingerprint, document)
    assert contract.id is not None
    plan = _plan(session, contract.id, old, force)
    _write_parties(session, cf, contract.id)
    exercices = _write_exercices(session, cf, plan)
    _write_objectives(session, cf, contract.id)
    _write_fiches(session, cf, plan, exercices)
    _write_indicators(session, cf, plan)
    if plan.conflicts and not force:
        raise ImportConflictError(plan.conflicts)
    detail: dict[str, Any] = {"sha256": fingerprint, "fiches": len(cf.fiches)}
    if plan.conflicts:
        detail["forced"] = [str(c) for c in plan.conflicts]
    session.add(AuditEvent(contract_id=contract.id, actor=actor, action=f"contract.{outcome}",
                           detail=detail))
    session.flush()
    return ImportResult(contract.id, cf.key, outcome, tuple(plan.conflicts))


def _write_contract(session: Session, cf: ContractFile, contract: Contract | None, fingerprint: str,
                    document: dict[str, Any]) -> Contract:
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
    if contract is None:
        contract = Contract(**fields)
    else:
        for name, value in fields.items():
            setattr(contract, name, value)
    session.add(contract)
    session.flush()
    return contract


def _plan(session: Session, cid: int, old: dict[str, Any] | None, force: bool) -> _Plan:
    exercices = list(exercices_by_year(session, contract_id=cid).values())
    amendments = {a.id: a for e in exercices for a in exercice_amendments(session, exercice_id=e.id)}
    opened = {e.year for e in exercices if e.id is not None and opening_record(session, e.id)}
    return _Plan(cid, old, force, {i: (a.number, a.status, a.exercice_id)
                                   for i, a in amendments.items() if i is not None}, opened)


def _write_parties(session: Session, cf: ContractFile, cid: int) -> None:
    replace_party_members(session, contract_id=cid)
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


def _write_exercices(session: Session, cf: ContractFile, plan: _Plan) -> dict[int, Exercice]:
    exercices = exercices_by_year(session, contract_id=plan.cid)
    for ex_in in cf.exercices:
        ex = exercices.get(ex_in.year)
        if ex is None:
            ex = Exercice(contract_id=plan.cid, year=ex_in.year, bop304=ex_in.envelope.bop304,
                          fir=ex_in.envelope.fir, ondam=ex_in.envelope.ondam)
        else:
            _update_envelope(plan, ex, ex_in.envelope)
        ex.bop304_third_parties, ex.fir_third_parties = third_parties(cf, ex_in.year)
        ex.reference_year = ex_in.reference_year
        ex.own_spending_reference = ex_in.own_spending_reference
        ex.own_spending_planned = ex_in.own_spending_planned
        ex.planned_council_session = ex_in.planned_council_session
        ex.planned_signature = ex_in.planned_signature
        ex.budget_controller_required = ex_in.budget_controller_required or budget_controller_signs(
            ex_in.year, ex.state_total)
        if ex_in.milestones and ex_in.milestones.signatures and ex.effective_date is None:
            expected = {SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT}
            if ex.budget_controller_required:
                expected.add(SignatoryRole.BUDGET_CONTROLLER)
            if expected <= set(ex_in.milestones.signatures):
                ex.effective_date = max(ex_in.milestones.signatures.values())
                ex.report_due_date = governing_report_due(ex.year, ex.effective_date)
        session.add(ex)
        exercices[ex_in.year] = ex
    session.flush()
    years = {e.year for e in cf.exercices}
    if set(exercices) - years:
        raise RuleViolationError([Violation("exercices", "un exercice déjà importé ne peut disparaître",
                                            ", ".join(map(str, sorted(exercices))),
                                            ", ".join(map(str, sorted(years))))])
    return exercices


def _envelope_text(values: tuple[Decimal, Decimal, Decimal]) -> str:
    return ", ".join(f"{label} {format_eur(v)}" for label, v in zip(("BOP 304", "FIR", "ONDAM"),
                                                                    values, strict=True))


def _update_envelope(plan: _Plan, ex: Exercice, env: EnvelopeIn) -> None:
    """The file's envelope, unless an avenant or an opening set the stored one."""
    new = (env.bop304, env.fir, env.ondam)
    stored = (ex.bop304, ex.fir, ex.ondam)
    if new == stored:
        return
    old = plan.old_envelope(ex.year)
    before = None if old is None else tuple(to_money(old[k]) for k in ("bop304", "fir", "ondam"))
    if before == new:  # the file did not change it: what an avenant or an opening set stays
        return
    if before == stored:
        ex.bop304, ex.fir, ex.ondam = new
        return
    signed = sorted(n for n, status, ex_id in plan.amendments.values()
                    if ex_id == ex.id and status == AmendmentStatus.SIGNED)
    if signed:
        origin = f"fixée par l'avenant n° {signed[-1]} signé"
    elif ex.year in plan.opened_years:
        origin = f"calculée à l'ouverture de l'exercice {ex.year}"
    else:
        origin = "modifiée hors du fichier"
    change = Change(f"enveloppe {ex.year}", origin,
                    f"{_envelope_text(stored)} remplacée par {_envelope_text(new)}", kept=bool(signed))
    if plan.conflict(change):
        ex.bop304, ex.fir, ex.ondam = new


def _write_objectives(session: Session, cf: ContractFile, cid: int) -> None:
    objectives = objectives_by_number(session, contract_id=cid)
    for obj_in in cf.objectives:
        obj = objectives.pop(obj_in.number, None) or Objective(contract_id=cid, number=obj_in.number)
        obj.mandatory, obj.title = obj_in.mandatory, obj_in.title
        session.add(obj)
    for stale in objectives.values():
        session.delete(stale)


def _fiche_differs(fiche: FicheAction, fiche_in: FicheIn) -> bool:
    return any(getattr(fiche, n) != getattr(fiche_in, n) for n in FICHE_FIELDS) or \
        list(fiche.objective_numbers) != list(fiche_in.objectives)


def _set_fiche_fields(fiche: FicheAction, fiche_in: FicheIn) -> None:
    for name in FICHE_FIELDS:
        setattr(fiche, name, getattr(fiche_in, name))
    fiche.sort_key = parse_fiche_number(fiche_in.number).sort_key
    fiche.objective_numbers = list(fiche_in.objectives)


def _amendment_ids(lines: list[MoneyLine]) -> set[int]:
    return {line.amendment_id for line in lines if line.amendment_id is not None}


def _write_fiches(session: Session, cf: ContractFile, plan: _Plan, exercices: dict[int, Exercice]) -> None:
    fiches = fiches_by_number(session, contract_id=plan.cid)
    old_fiches = plan.old_fiches()
    years = {e.id: y for y, e in exercices.items()}
    for fiche_in in cf.fiches:
        fiche = fiches.pop(fiche_in.number, None)
        if fiche is None:
            fiche = FicheAction(contract_id=plan.cid, number=fiche_in.number, title=fiche_in.title,
                                sort_key="")
            _set_fiche_fields(fiche, fiche_in)
        elif fiche_in.number in old_fiches or not _fiche_differs(fiche, fiche_in):
            _set_fiche_fields(fiche, fiche_in)
        else:
            lines = fiche_lines(session, fiche_id=fiche.id)
            origin = f"ajoutée par {plan.avenant_label(_amendment_ids(lines))}"
            change = Change(f"fiche {fiche.number}", origin,
                            "intitulé, objectifs ou textes remplacés par ceux du fichier")
            if plan.conflict(change):
                _set_fiche_fields(fiche, fiche_in)
        session.add(fiche)
        session.flush()
        _write_money(session, plan, fiche, fiche_in, exercices, old_fiches.get(fiche_in.number), years)
        _write_executions(session, fiche, fiche_in, exercices)
    for stale in fiches.values():
        if stale.number in old_fiches:  # a fiche the file did not create is never removed by it
            _remove_stale_fiche(session, plan, stale, old_fiches[stale.number], years)


def _write_money(session: Session, plan: _Plan, fiche: FicheAction, fiche_in: FicheIn,
                 exercices: dict[int, Exercice], old_fiche: dict[str, Any] | None,
                 years: dict[int | None, int]) -> None:
    """Replace the file's own lines; lines of an avenant and of an opening stay."""
    stored: dict[int, list[MoneyLine]] = defaultdict(list)
    for line in fiche_lines(session, fiche_id=fiche.id, without_avenant=True):
        stored[years[line.exercice_id]].append(line)
    new: dict[int, list[MoneyLineIn]] = defaultdict(list)
    for line_in in fiche_in.money:
        new[line_in.exercice].append(line_in)
    old_years = {m["exercice"] for m in (old_fiche or {}).get("money", [])}
    for year in sorted(set(stored) | set(new)):
        if year not in old_years and stored[year] and not _same_money(stored[year], new.get(year, [])):
            if year not in new:  # not the file's lines, and the file says nothing of them
                continue
            origin = (f"lignes reprises à l'ouverture de l'exercice {year}"
                      if year in plan.opened_years else "lignes ajoutées hors du fichier")
            change = Change(f"fiche {fiche.number}, exercice {year}", origin,
                            f"{len(stored[year])} ligne(s) remplacée(s) par les {len(new[year])} "
                            "du fichier")
            if not plan.conflict(change):
                continue
        for line in stored[year]:
            session.delete(line)
        for line_in in new[year]:
            ex_id = exercices[year].id
            assert ex_id is not None and fiche.id is not None
            session.add(MoneyLine(fiche_id=fiche.id, exercice_id=ex_id, payer=line_in.payer,
                                  source=line_in.source, amount=line_in.amount,
                                  valorisation=line_in.valorisation, label=line_in.label,
                                  payee=line_in.payee))
    session.flush()


def _same_money(stored: list[MoneyLine], new: list[MoneyLineIn]) -> bool:
    """Same sums per payer, envelope and payee (an opening merges the lines it copies)."""
    sums: dict[tuple[str, str | None, str | None], Decimal] = defaultdict(Decimal)
    for line in stored:
        sums[(line.payer.value, line.source.value if line.source else None, line.payee)] += line.amount
    for line_in in new:
        sums[(line_in.payer.value, line_in.source.value if line_in.source else None,
              line_in.payee)] -= line_in.amount
    return bool(new) and not any(sums.values())


def _write_executions(session: Session, fiche: FicheAction, fiche_in: FicheIn,
                      exercices: dict[int, Exercice]) -> None:
    executions = executions_by_exercice(session, fiche_id=fiche.id)
    for exe_in in fiche_in.execution:
        ex_id = exercices[exe_in.exercice].id
        assert ex_id is not None and fiche.id is not None
        exe = executions.get(ex_id) or FicheExecution(fiche_id=fiche.id, exercice_id=ex_id)
        for name in ("status", "start_date", "duration", "reason", "assessment", "outlook",
                     "consumed_etat"):
            setattr(exe, name, getattr(exe_in, name))
        session.add(exe)


def _remove_stale_fiche(session: Session, plan: _Plan, fiche: FicheAction, old_fiche: dict[str, Any],
                        years: dict[int | None, int]) -> None:
    """A fiche the file removed: gone with its lines, unless an avenant or an opening added some."""
    lines = fiche_lines(session, fiche_id=fiche.id)
    avenants = _amendment_ids(lines)
    old_years = {m["exercice"] for m in old_fiche.get("money", [])}
    opened = sorted({years[m.exercice_id] for m in lines
                     if m.amendment_id is None and years[m.exercice_id] not in old_years})
    if avenants:
        change = Change(f"fiche {fiche.number}", f"porte des lignes de {plan.avenant_label(avenants)}",
                        "retirée du fichier : seules ses lignes venues du fichier seraient supprimées",
                        kept=True)
        plan.conflict(change)
        if plan.force:
            for line in lines:
                if line.amendment_id is None and years[line.exercice_id] in old_years:
                    session.delete(line)
        return
    if opened:
        change = Change(f"fiche {fiche.number}", "porte des lignes reprises à l'ouverture de l'exercice "
                        + ", ".join(map(str, opened)), "retirée du fichier : serait supprimée")
        if not plan.conflict(change):
            return
    delete_fiche(session, fiche)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _stored(val: IndicatorValue) -> tuple[Decimal | None, Decimal | None, str | None]:
    return val.target, val.achieved, val.achieved_note


def _is_file_value(val: IndicatorValue, old: dict[str, Any] | None) -> bool:
    return old is not None and _stored(val) == (
        _decimal(old.get("target")), *split_achieved(parse_achieved(old.get("achieved"))))


def _written_number(cf: ContractFile, number: str | None) -> str | None:
    """The fiche's number as its fiche writes it (an indicator may say ``13a`` for fiche ``13 a``)."""
    if number is None:
        return None
    return FicheMap((f.number, f.number) for f in cf.fiches).get(number, number)


def _write_indicators(session: Session, cf: ContractFile, plan: _Plan) -> None:
    indicators = indicators_keyed_by_code(session, contract_id=plan.cid)
    for ind_in in cf.indicators:
        ind = indicators.pop(ind_in.code, None) or Indicator(contract_id=plan.cid, code=ind_in.code,
                                                             label=ind_in.label)
        ind.label, ind.unit = ind_in.label, ind_in.unit
        ind.objective_number, ind.fiche_number = ind_in.objective, _written_number(cf, ind_in.fiche)
        ind.baseline_year, ind.baseline_value = ind_in.baseline_year, ind_in.baseline_value
        session.add(ind)
        session.flush()
        _write_values(session, plan, ind, ind_in)
    for stale in indicators.values():
        old = plan.old_values(stale.code)
        if old is None:  # not the file's
            continue
        values = indicator_value_rows(session, indicator_id=stale.id)
        foreign = [v for v in values if not _is_file_value(v, old.get(v.year))]
        if foreign and not plan.conflict(Change(
                f"indicateur {stale.code}", _value_origin(plan, foreign[0].year),
                "retiré du fichier : serait supprimé avec ses valeurs")):
            continue
        delete_indicator(session, stale)


def _value_origin(plan: _Plan, year: int) -> str:
    return (f"cible reconduite à l'ouverture de l'exercice {year}" if year in plan.opened_years
            else f"valeur {year} modifiée hors du fichier")


def _write_values(session: Session, plan: _Plan, ind: Indicator, ind_in: IndicatorIn) -> None:
    old = plan.old_values(ind.code) or {}
    values = {v.year: v for v in indicator_value_rows(session, indicator_id=ind.id)}
    for val_in in ind_in.values:
        val = values.pop(val_in.year, None)
        if val is None:
            assert ind.id is not None
            val = IndicatorValue(indicator_id=ind.id, year=val_in.year)
        elif _stored(val) != (val_in.target, *split_achieved(val_in.achieved)) and \
                not _is_file_value(val, old.get(val.year)) and not plan.conflict(Change(
                    f"indicateur {ind.code}, {val.year}", _value_origin(plan, val.year),
                    f"cible {val.target} remplacée par {val_in.target}")):
            continue
        val.target = val_in.target
        val.achieved, val.achieved_note = split_achieved(val_in.achieved)
        session.add(val)
    for stale in values.values():
        if stale.year not in old:  # carried by an opening: kept
            continue
        if not _is_file_value(stale, old[stale.year]) and not plan.conflict(Change(
                f"indicateur {ind.code}, {stale.year}", _value_origin(plan, stale.year),
                "retirée du fichier : serait supprimée")):
            continue
        session.delete(stale)
