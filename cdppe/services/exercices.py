"""Next year from this year: open exercice N+1 pre-filled from exercice N.

What opening does (and only this; nothing of exercice N is written):

- **the exercice**: if the contract already covers the year (a multi-year
  contract such as Creuse 2025-2027), its row is used as it is; otherwise it is
  added to the same contract and ``last_year`` is extended (a one-year contract
  such as Saône-et-Loire 2024 goes on year after year through avenants, as the
  2020-2022 contracts did). Its envelopes are the sum of its fiches' State
  lines (the rule of the contract files); reference year N, same budget-controller rule;
- **fiches and objectives**: the fiches belong to the contract, so they are the
  same; their money lines of N *as amended* (signed avenants and fongibilité
  applied) are copied to N+1, unless N+1 already has money lines;
- **indicators**: each indicator without a target for N+1 gets its latest earlier target;
- **carry-over**: per envelope, both figures of ``cdppe.domain.carry_over`` (net
  per envelope, sum of each fiche's unspent State money) and the proposal under
  the N+1 campaign's rule; none for an envelope while a fiche's consumption is
  unknown (the fiches are listed). The avenant of N+1 proposes the same figure;
  the parties may agree another one with its reason;
- **campaign**: the national calendar of N+1 (``cdppe/campaigns``) is attached.

All of it is recorded in the ``opening`` entry of the N+1 diagnosis step
(``PhaseState.data``) with who and when, and as an ``exercice.opened`` audit
event. Opening again returns the same record: nothing is copied twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from cdppe.core.dates import format_date_fr, utcnow
from cdppe.core.money import ZERO, format_eur, money_str, to_money
from cdppe.domain.campaigns import carry_over_rule, load_campaign
from cdppe.services.amendments import carry_over_figures, fiche_uses
from cdppe.services.consolidation import consolidate_exercice, opening_record, store_opening_record
from cdppe.store.amendments import state_money_lines
from cdppe.store.audit import record_event
from cdppe.store.exercices import (
    exercices_by_year,
    money_line_count,
    valorised_departement_lines,
)
from cdppe.store.plan import (
    contract_fiches,
    contract_indicators,
    contract_objectives,
    indicator_value_rows,
)
from models import (
    Contract,
    Exercice,
    IndicatorValue,
    MoneyLine,
)
from models.enums import CarryOverRule, FundingSource, Payer
from models.envelope import third_party_sums

PAID_ENVELOPES = (FundingSource.BOP304, FundingSource.FIR)


class ExerciceOpeningError(ValueError):
    """Opening refused; the message is French, for users."""


@dataclass(frozen=True)
class OpeningResult:
    contract_key: str
    year: int
    from_year: int
    exercice_id: int
    already_opened: bool
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def carry_over(self) -> dict[FundingSource, Decimal]:
        return {FundingSource(k): to_money(v) for k, v in self.record["carry_over"].items()}

    @property
    def carry_over_per_fiche(self) -> dict[str, Decimal]:
        return {k: to_money(v) for k, v in self.record["carry_over_per_fiche"].items()}


def carry_over_proposal(session: Session, previous: Exercice) -> dict[str, Any]:
    """Paid, declared consumption and the carry-over of ``previous`` under the next campaign's rule:
    per envelope both figures (net, sum per fiche) and the proposal; per fiche the unspent money;
    the fiches lacking a consumption (no proposal for their envelope then)."""
    rule = carry_over_rule(previous.year + 1)
    figures = carry_over_figures(session, previous, rule)
    uses = fiche_uses(session, previous)
    warnings = [f"{source.label} : aucun versement enregistré pour {previous.year}, aucun report proposé"
                for source in PAID_ENVELOPES if source not in figures]
    for figure in figures.values():
        if figure.missing:
            warnings.append(f"{figure.source.label} : aucun report proposé, consommation {previous.year} "
                            f"inconnue pour les fiches {', '.join(figure.missing)} (rapport d'exécution)")
    per_fiche: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for use in uses:
        if use.consumed is not None:
            per_fiche[use.number] += max(use.planned - use.consumed, ZERO)
    return {
        "rule": rule.value,
        "paid": {s.value: money_str(f.paid) for s, f in figures.items()},
        "consumed": {s.value: money_str(f.consumed) for s, f in figures.items()},
        "carry_over": {s.value: money_str(f.proposed) for s, f in figures.items() if f.proposed is not None},
        "carry_over_net": {s.value: money_str(f.net) for s, f in figures.items()},
        "carry_over_sum_per_fiche": {s.value: money_str(f.per_fiche) for s, f in figures.items()},
        "missing_consumption": {s.value: list(f.missing) for s, f in figures.items() if f.missing},
        "carry_over_per_fiche": {k: money_str(v) for k, v in per_fiche.items()},
        "warnings": warnings,
    }


def _copy_money(session: Session, contract: Contract, previous: Exercice, target: Exercice) -> int:
    """Copy the fiches' money of ``previous`` as amended to ``target``; returns the line count."""
    fiches = list(contract_fiches(session, contract_id=contract.id))
    objectives = contract_objectives(session, contract_id=contract.id)
    amended = consolidate_exercice(session, contract, previous, fiches,
                                   {o.number: o.title or "" for o in objectives},
                                   {o.number: o.mandatory for o in objectives})
    by_number = {f.number: f for f in fiches}
    valorised = {(m.fiche_id, m.source)
                 for m in valorised_departement_lines(session, exercice_id=previous.id)}
    payees = _single_payees(state_money_lines(session, exercice_id=previous.id))
    count = 0
    assert target.id is not None
    for row in amended.plan.rows:
        fiche = by_number[row.fiche_number]
        assert fiche.id is not None
        for payer, amount in ((Payer.ETAT, row.amounts.etat), (Payer.DEPARTEMENT, row.amounts.departement),
                              (Payer.AUTRE, row.amounts.autres)):
            if amount <= ZERO:
                continue
            valo = payer is Payer.DEPARTEMENT and (fiche.id, row.source) in valorised
            payee = payees.get((fiche.id, row.source)) if payer is Payer.ETAT else None
            session.add(MoneyLine(fiche_id=fiche.id, exercice_id=target.id, payer=payer,
                                  source=row.source, amount=amount, valorisation=valo, payee=payee,
                                  label=f"reprise de l'exercice {previous.year}"))
            count += 1
    session.flush()
    return count


def _single_payees(lines: Iterable[MoneyLine]) -> dict[tuple[int | None, FundingSource | None], str]:
    """(fiche, envelope) -> third party, where all its State lines went to that one third party
    (the opening merges a fiche's lines per envelope, so a mixed one goes to the Département)."""
    seen: dict[tuple[int | None, FundingSource | None], set[str | None]] = defaultdict(set)
    for line in lines:
        seen[(line.fiche_id, line.source)].add(line.payee)
    out: dict[tuple[int | None, FundingSource | None], str] = {}
    for key, found in seen.items():
        only = next(iter(found)) if len(found) == 1 else None
        if only is not None:
            out[key] = only
    return out


def _carry_targets(session: Session, contract: Contract, year: int) -> int:
    """Give each indicator without a target for ``year`` its latest earlier target."""
    carried = 0
    for ind in contract_indicators(session, contract_id=contract.id):
        values = {v.year: v for v in indicator_value_rows(session, indicator_id=ind.id)}
        current = values.get(year)
        if current is not None and current.target is not None:
            continue
        earlier = [v for y, v in sorted(values.items()) if y < year and v.target is not None]
        if not earlier:
            continue
        assert ind.id is not None
        row = current or IndicatorValue(indicator_id=ind.id, year=year)
        row.target = earlier[-1].target
        session.add(row)
        carried += 1
    session.flush()
    return carried


def _state_sums(session: Session, exercice_id: int) -> dict[FundingSource, Decimal]:
    sums: dict[FundingSource, Decimal] = defaultdict(lambda: ZERO)
    for line in state_money_lines(session, exercice_id=exercice_id):
        if line.source is not None:
            sums[line.source] += line.amount
    return sums


def open_exercice(session: Session, contract: Contract, year: int, opened_by: str,
                  as_of: date, _retried: bool = False) -> OpeningResult:
    """Open ``year`` from ``year - 1`` (see the module docstring); the caller commits."""
    assert contract.id is not None
    exercices = exercices_by_year(session, contract_id=contract.id)
    previous = _opened_from(contract, exercices, year)
    target = exercices.get(year)
    if target is not None and target.id is not None:
        existing = opening_record(session, target.id)
        if existing is not None:
            return OpeningResult(contract.key, year, previous.year, target.id, True, existing)
        if _retried:  # another operator's opening is not visible yet: never open twice
            raise ExerciceOpeningError(f"l'exercice {year} est en cours d'ouverture par un autre "
                                       "opérateur : réessayez dans un instant")
    added = target is None
    if target is None:
        target = Exercice(contract_id=contract.id, year=year, bop304=ZERO, fir=ZERO, ondam=ZERO,
                          reference_year=previous.reference_year + 1 if previous.reference_year
                          else None, budget_controller_required=previous.budget_controller_required)
        try:
            with session.begin_nested():
                session.add(target)
                session.flush()
        except IntegrityError:  # opened at the same moment by someone else
            if _retried:
                raise
            session.expire_all()
            return open_exercice(session, contract, year, opened_by, as_of, _retried=True)
    assert target.id is not None
    copied = 0 if money_line_count(session, exercice_id=target.id) else _copy_money(
        session, contract, previous, target)
    if added:
        _take_copied_envelope(session, contract, target)
    record = _opening_record(session, contract, previous, target, opened_by, as_of, added, copied)
    _record_opening(session, contract, previous, target, opened_by, record)
    from cdppe.services.reminders.sync import sync_deadlines

    sync_deadlines(session, target.id, as_of)
    return OpeningResult(contract.key, year, previous.year, target.id, False, record)


def _opened_from(contract: Contract, exercices: dict[int, Exercice], year: int) -> Exercice:
    """The exercice ``year`` opens from: the previous year's, of a contract not terminated."""
    previous = exercices.get(year - 1)
    if previous is None:
        known = ", ".join(map(str, sorted(exercices))) or "aucun"
        raise ExerciceOpeningError(
            f"l'exercice {year - 1} est absent du contrat {contract.key} (exercices : {known}) : "
            f"un exercice s'ouvre à partir de celui de l'année précédente")
    assert previous.id is not None
    if previous.terminated_on is not None:
        raise ExerciceOpeningError(
            f"contrat {contract.key} dénoncé le {format_date_fr(previous.terminated_on)} : "
            f"pas d'exercice {year}")
    return previous


def _take_copied_envelope(session: Session, contract: Contract, target: Exercice) -> None:
    """A new exercice's envelopes are the State money copied into it; the contract now runs to it."""
    assert target.id is not None
    sums = _state_sums(session, target.id)
    target.bop304, target.fir, target.ondam = (sums[FundingSource.BOP304], sums[FundingSource.FIR],
                                               sums[FundingSource.ONDAM])
    target.bop304_third_parties, target.fir_third_parties = third_party_sums(
        (line.payer, line.source, line.amount, line.payee)
        for line in state_money_lines(session, exercice_id=target.id))
    session.add(target)
    if contract.last_year < target.year:
        contract.last_year = target.year
        contract.updated_at = utcnow()
        session.add(contract)


def _opening_record(session: Session, contract: Contract, previous: Exercice, target: Exercice,
                    opened_by: str, as_of: date, added: bool, copied: int) -> dict[str, Any]:
    """What the opening did and proposes (kept on the exercice, shown in the artifact and the CLI)."""
    year = target.year
    targets = _carry_targets(session, contract, year)
    campaign = load_campaign(year)
    proposal = carry_over_proposal(session, previous)
    if campaign is None:
        proposal["warnings"].append(f"aucun calendrier de campagne nationale connu pour {year}")
    return {
        "year": year, "from_year": previous.year, "opened_by": opened_by,
        "opened_at": utcnow().isoformat(), "opened_on": as_of.isoformat(),
        "exercice_added": added,
        "envelope": {FundingSource.BOP304.value: money_str(target.bop304),
                     FundingSource.FIR.value: money_str(target.fir),
                     FundingSource.ONDAM.value: money_str(target.ondam)},
        "money_lines_copied": copied, "targets_carried": targets,
        **proposal,
        "campaign": campaign.model_dump(mode="json", by_alias=True) if campaign else None,
    }


def _record_opening(session: Session, contract: Contract, previous: Exercice, target: Exercice,
                    opened_by: str, record: dict[str, Any]) -> None:
    assert target.id is not None
    store_opening_record(session, target.id, record)
    carry_text = ", ".join(f"{FundingSource(s).label} {format_eur(to_money(a))}"
                           for s, a in record["carry_over"].items()) or "aucun"
    record_event(session, "exercice.opened",
                 {**record, "summary_text": f"Exercice {target.year} ouvert à partir de {previous.year} ; "
                                            f"report proposé : {carry_text}"},
                 contract_id=contract.id, exercice_id=target.id, actor=opened_by)
    session.flush()


def _carry_row(r: dict[str, Any], source: FundingSource) -> str:
    paid = r["paid"].get(source.value)
    if paid is None:
        return f"| {source.label} | — | — | — | — | — |"

    def cell(key: str) -> str:
        value = r.get(key, {}).get(source.value)
        return "—" if value is None else format_eur(to_money(value))

    proposed = cell("carry_over")
    if source.value in r.get("missing_consumption", {}):
        missing = ", ".join(r["missing_consumption"][source.value])
        proposed = f"inconnu (consommation manquante : {missing})"
    return (f"| {source.label} | {format_eur(to_money(paid))} | {cell('consumed')} "
            f"| {cell('carry_over_net')} | {cell('carry_over_sum_per_fiche')} | {proposed} |")


def opening_markdown(result: OpeningResult, departement_name: str) -> str:
    """French summary of an opening (Prefect artifact and CLI)."""
    r = result.record
    lines = [f"# Ouverture de l'exercice {result.year} — {departement_name} ({result.contract_key})", "",
             f"Pré-rempli à partir de l'exercice {result.from_year} par {r['opened_by']} "
             f"le {format_date_fr(date.fromisoformat(r['opened_on']))}.", ""]
    if r.get("exercice_added"):
        lines.append(f"L'exercice {result.year} a été ajouté au contrat (dernière année : {result.year}).")
    lines += [f"Lignes financières reprises : {r['money_lines_copied']} ; cibles d'indicateurs "
              f"reconduites : {r['targets_carried']}.", "",
              f"## Report de crédits proposé ({CarryOverRule(r.get('rule', 'net_par_enveloppe')).label})", "",
              "| Enveloppe | Versé | Consommé déclaré | Net par enveloppe | Somme par fiche "
              "| Report proposé |",
              "|---|---:|---:|---:|---:|---:|"]
    for source in PAID_ENVELOPES:
        lines.append(_carry_row(r, source))
    if r["carry_over_per_fiche"]:
        lines += ["", "### Par fiche (État prévu − consommé déclaré)", "", "| Fiche | Non consommé |",
                  "|---|---:|"]
        lines += [f"| {k} | {format_eur(to_money(v))} |" for k, v in r["carry_over_per_fiche"].items()]
    campaign = r.get("campaign")
    lines += ["", f"## Campagne nationale {result.year}", ""]
    if campaign:
        lines.append(str(campaign.get("instruction", "")))
        for key in ("draft", "signed_contract", "execution_report"):
            item = campaign.get(key)
            if item:
                inferred = " (date reprise, à confirmer)" if item.get("inferred") else ""
                lines.append(f"- {item['label']} : {format_date_fr(date.fromisoformat(item['date']))}"
                             f"{inferred}")
    else:
        lines.append("_Aucun calendrier connu._")
    if r["warnings"]:
        lines += ["", "## Points d'attention", ""] + [f"- {w}" for w in r["warnings"]]
    return "\n".join(lines) + "\n"
