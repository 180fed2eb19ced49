"""The contract "as amended": every signed avenant applied, and the history of each figure.

Rules (stated in the CLI, the artifact and the document):

- the **initial value** of an envelope is the contract file's (``source_document``);
  for an exercice opened from the previous one (``cdppe exercice open``) it is
  the envelope recorded at the opening; a fiche's initial money is its money
  lines without avenant;
- only **signed** avenants are applied, in the order of their numbers, each at
  its effective date (the last signature); an open avenant is listed, not applied;
- an envelope that an avenant gives parts to becomes the sum of those parts
  (the avenant's new total); an envelope it does not mention is unchanged;
- the money lines of an avenant add to the fiche (new fiche or reinforcement),
  and its *fongibilité* transfers move State money from one fiche to another
  inside the envelope;
- a change that leaves a figure equal is not a change: the history lists only
  the avenants that changed the figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session

from cdppe.core.money import ZERO, to_money
from cdppe.core.settings import get_settings
from cdppe.domain.consolidation import (
    ENVELOPES,
    AvenantInfo,
    Change,
    ContractConsolidation,
    ExerciceConsolidation,
    FicheConsolidation,
    Figure,
)
from cdppe.domain.document_errors import DocumentError
from cdppe.domain.plan import (
    Line,
    dashboard_rows,
    fiche_sort_key,
    plan_rows,
)
from cdppe.present.documents.consolidated import KIND, render_consolidated
from cdppe.present.documents.docx import html_to_docx
from cdppe.present.documents.generate import parse_formats
from cdppe.present.documents.pdf import docx_to_pdf, require_pdf
from cdppe.present.documents.render import template_version
from cdppe.store.documents import next_version, store_document
from cdppe.store.plan import (
    amendment_lines,
    amendment_transfers,
    contract_exercices,
    contract_indicators,
    contract_objectives,
    exercice_amendments,
    exercice_money_lines,
    fiches_by_number,
    indicator_values,
)
from cdppe.store.workflow import get_phase_state, phase_states
from models import (
    Amendment,
    Contract,
    Departement,
    Exercice,
    FicheAction,
    GeneratedDocument,
    MoneyLine,
)
from models.enums import AmendmentStatus, FundingSource, Payer, Phase

OPENING_KEY = "opening"  # key of the opening record in the diagnosis PhaseState.data


def opening_record(session: Session, exercice_id: int) -> dict[str, Any] | None:
    """What ``cdppe exercice open`` recorded for this exercice (None if it was not opened so)."""
    state = phase_states(session, exercice_id=exercice_id).get(Phase.DIAGNOSIS)
    if state is None:
        return None
    record = state.data.get(OPENING_KEY)
    return record if isinstance(record, dict) else None


def store_opening_record(session: Session, exercice_id: int, record: dict[str, Any]) -> None:
    state = get_phase_state(session, exercice_id, Phase.DIAGNOSIS)
    state.data = {**state.data, OPENING_KEY: record}
    session.add(state)
    session.flush()


def _initial_envelopes(session: Session, contract: Contract, ex: Exercice,
                       signed: list[Amendment]) -> tuple[dict[FundingSource, Decimal], Change]:
    """The envelope before any avenant, and where that value comes from."""
    assert ex.id is not None
    for item in contract.source_document.get("exercices", []):
        if item.get("year") == ex.year and isinstance(item.get("envelope"), dict):
            env = item["envelope"]
            values = {s: to_money(env.get(s.value.lower(), "0")) for s in ENVELOPES}
            return values, Change(ZERO, "contrat", on=ex.effective_date)
    opening = opening_record(session, ex.id)
    if opening and isinstance(opening.get("envelope"), dict):
        values = {s: to_money(opening["envelope"].get(s.value, "0")) for s in ENVELOPES}
        opened_on = opening.get("opened_on")
        return values, Change(ZERO, "ouverture", on=date.fromisoformat(opened_on) if opened_on else None)
    current = {FundingSource.BOP304: ex.bop304, FundingSource.FIR: ex.fir, FundingSource.ONDAM: ex.ondam}
    if signed:  # an envelope already overwritten by an avenant: the first avenant's initial part
        for line in amendment_lines(session, amendment_id=signed[0].id):
            if line.part.value == "initial":
                current[line.source] = line.amount
    return current, Change(ZERO, "contrat", on=ex.effective_date)


MoneyKey = tuple[str, Payer, FundingSource | None, bool]


def _figure_key(key: MoneyKey) -> tuple[str, Payer, FundingSource | None]:
    number, payer, source, _ = key
    return number, payer, source if payer is Payer.ETAT else None


FigureKey = tuple[str, Payer, FundingSource | None]


@dataclass
class _Ledger:
    """The fiches' money of one exercice as each signed avenant changes it, and each figure's history."""

    origin: Change
    money: dict[MoneyKey, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    figures: dict[FigureKey, Figure] = field(default_factory=dict)
    created_by: dict[str, int] = field(default_factory=dict)

    def totals(self) -> dict[FigureKey, Decimal]:
        out: dict[FigureKey, Decimal] = defaultdict(lambda: ZERO)
        for key, amount in self.money.items():
            out[_figure_key(key)] += amount
        return out

    def start(self) -> None:
        for key, amount in self.totals().items():
            self.figures[key] = Figure("", [Change(amount, self.origin.origin, on=self.origin.on)])

    def record(self, change: Change) -> None:
        """Every figure after an avenant: a figure it created starts from zero."""
        for key, amount in self.totals().items():
            if key not in self.figures:
                self.figures[key] = Figure("", [Change(ZERO, self.origin.origin, on=self.origin.on)])
            self.figures[key].apply(Change(amount, change.origin, change.avenant, change.on, change.reason))

    def has_fiche(self, number: str) -> bool:
        return any(key[0] == number for key in self.figures)


def consolidate_exercice(session: Session, contract: Contract, ex: Exercice,
                         fiches: list[FicheAction], objective_titles: dict[str, str],
                         mandatory: dict[str, bool]) -> ExerciceConsolidation:
    assert ex.id is not None
    amendments = exercice_amendments(session, exercice_id=ex.id)
    signed = [a for a in amendments if a.status == AmendmentStatus.SIGNED]
    initial, origin = _initial_envelopes(session, contract, ex, signed)
    envelopes = {s: Figure(s.label, [Change(initial[s], origin.origin, on=origin.on)]) for s in ENVELOPES}
    numbers = {f.id: f.number for f in fiches}
    ledger = _Ledger(origin)
    by_amendment: dict[int, list[MoneyLine]] = defaultdict(list)
    for line in exercice_money_lines(session, exercice_id=ex.id):
        if line.fiche_id not in numbers:
            continue
        if line.amendment_id is None:
            ledger.money[(numbers[line.fiche_id], line.payer, line.source, line.valorisation)] += line.amount
        else:
            by_amendment[line.amendment_id].append(line)
    ledger.start()
    for amendment in signed:
        assert amendment.id is not None
        _apply_avenant(session, amendment, envelopes, ledger, by_amendment.get(amendment.id, []), numbers)
    lines = [Line(number, payer, source, amount, valo)
             for (number, payer, source, valo), amount in ledger.money.items() if amount]
    triples = [(f.number, f.title, list(f.objective_numbers)) for f in fiches if ledger.has_fiche(f.number)]
    opening = opening_record(session, ex.id)
    return ExerciceConsolidation(
        year=ex.year, exercice_id=ex.id, effective_date=ex.effective_date, envelopes=envelopes,
        fiches=_fiche_consolidations(fiches, ledger, mandatory),
        avenants=[AvenantInfo(a.number, a.status, a.reason, a.effective_date, a.opened_by)
                  for a in amendments],
        plan=plan_rows(ex.year, triples, lines, objective_titles, mandatory),
        opened_from=int(opening["from_year"]) if opening else None,
        third_parties=ex.bop304_third_parties + ex.fir_third_parties)


def _apply_avenant(session: Session, amendment: Amendment, envelopes: dict[FundingSource, Figure],
                   ledger: _Ledger, lines: list[MoneyLine], numbers: dict[int | None, str]) -> None:
    """One signed avenant: its envelopes' new totals, its fiches' money, its fongibilité transfers."""
    change = Change(ZERO, "avenant", amendment.number, amendment.effective_date, amendment.reason)
    parts: dict[FundingSource, Decimal] = defaultdict(lambda: ZERO)
    for part in amendment_lines(session, amendment_id=amendment.id):
        parts[part.source] += part.amount
    for source, total in parts.items():
        envelopes[source].apply(Change(total, "avenant", amendment.number, amendment.effective_date,
                                       amendment.reason))
    for line in lines:
        number = numbers[line.fiche_id]
        if not ledger.has_fiche(number) and number not in ledger.created_by:
            ledger.created_by[number] = amendment.number
        ledger.money[(number, line.payer, line.source, line.valorisation)] += line.amount
    for tr in amendment_transfers(session, amendment_id=amendment.id):
        ledger.money[(tr.from_fiche, Payer.ETAT, tr.source, False)] -= tr.amount
        ledger.money[(tr.to_fiche, Payer.ETAT, tr.source, False)] += tr.amount
    ledger.record(change)


def _fiche_consolidations(fiches: list[FicheAction], ledger: _Ledger,
                          mandatory: dict[str, bool]) -> list[FicheConsolidation]:
    origin = ledger.origin
    out = []
    for f in sorted(fiches, key=lambda x: fiche_sort_key(x.number)):
        keys = [k for k in ledger.figures if k[0] == f.number]
        if not keys:
            continue
        etat = {k[2]: ledger.figures[k] for k in keys if k[1] is Payer.ETAT and k[2] is not None}
        for source, figure in etat.items():
            figure.label = f"Fiche {f.number} — État ({source.label})"
        dept = ledger.figures.get((f.number, Payer.DEPARTEMENT, None)) or Figure(
            "", [Change(ZERO, origin.origin, on=origin.on)])
        dept.label = f"Fiche {f.number} — Département"
        autres = ledger.figures.get((f.number, Payer.AUTRE, None))
        out.append(FicheConsolidation(
            number=f.number, title=f.title, objectives=list(f.objective_numbers),
            mandatory=any(mandatory.get(o, False) for o in f.objective_numbers),
            etat={s: etat[s] for s in ENVELOPES if s in etat}, departement=dept,
            autres=autres.current if autres else ZERO, created_by_avenant=ledger.created_by.get(f.number)))
    return out


def consolidate(session: Session, contract: Contract) -> ContractConsolidation:
    """The whole contract as amended, every exercice."""
    assert contract.id is not None
    dept = session.get(Departement, contract.departement_code)
    exercices = contract_exercices(session, contract_id=contract.id)
    fiches = list(fiches_by_number(session, contract_id=contract.id).values())
    objectives = contract_objectives(session, contract_id=contract.id)
    titles = {o.number: o.title or "" for o in objectives}
    mandatory = {o.number: o.mandatory for o in objectives}
    indicators = contract_indicators(session, contract_id=contract.id)
    values = indicator_values(session, indicator_ids=[i.id for i in indicators])
    return ContractConsolidation(
        contract_id=contract.id, key=contract.key, title=contract.title,
        departement_code=contract.departement_code,
        departement_name=dept.name if dept else contract.departement_code,
        first_year=contract.first_year, last_year=contract.last_year,
        exercices=[consolidate_exercice(session, contract, ex, fiches, titles, mandatory)
                   for ex in exercices],
        dashboard=dashboard_rows(indicators, values, [e.year for e in exercices]))


def generate_consolidated_document(session: Session, contract_id: int,
                                   formats: tuple[str, ...] = ("html", "docx"),
                                   out_dir: Path | None = None) -> list[GeneratedDocument]:
    """Render, write and record the consolidated contract; the caller commits."""
    fmts = parse_formats(formats)
    if "pdf" in fmts:
        require_pdf()
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise DocumentError(f"contrat n° {contract_id} introuvable")
    exercices = contract_exercices(session, contract_id=contract_id)
    latest = exercices[-1] if exercices else None
    if latest is None or latest.id is None:
        raise DocumentError(f"contrat {contract.key} sans exercice")
    consolidation = consolidate(session, contract)
    html = render_consolidated(consolidation)
    root = out_dir if out_dir is not None else get_settings().documents_dir
    version = next_version(session, contract_id, latest.id, 0, KIND)
    docx: bytes | None = None
    records = []
    for fmt in fmts:
        if fmt == "html":
            data = html.encode("utf-8")
        else:
            docx = docx or html_to_docx(html, f"{KIND.label} — {contract.title}")
            data = docx if fmt == "docx" else docx_to_pdf(docx, KIND.label)
        records.append(store_document(
            session, root=root, contract_id=contract_id, contract_key=contract.key,
            exercice_id=latest.id, year=latest.year, avenant_number=0, step=Phase.AMENDMENT,
            kind=KIND, fmt=fmt, version=version, data=data, template_version=template_version()))
    return records
