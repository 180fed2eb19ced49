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
from typing import Any

from sqlmodel import Session, col, select

from cdppe.documents.context import (
    DashboardRow,
    Line,
    Plan,
    dashboard_rows,
    fiche_sort_key,
    plan_rows,
)
from cdppe.lifecycle import get_phase_state
from cdppe.money import ZERO, format_eur, money_str, to_money
from models import (
    Amendment,
    AmendmentLine,
    AmendmentTransfer,
    Contract,
    Departement,
    Exercice,
    FicheAction,
    Indicator,
    IndicatorValue,
    MoneyLine,
    Objective,
    PhaseState,
)
from models.enums import AmendmentStatus, FundingSource, Payer, Phase
from models.envelope import Envelope

ENVELOPES = (FundingSource.BOP304, FundingSource.FIR, FundingSource.ONDAM)
OPENING_KEY = "opening"  # key of the opening record in the diagnosis PhaseState.data


@dataclass(frozen=True)
class Change:
    """One value a figure took: from the contract, at the opening of the exercice, or by an avenant."""

    value: Decimal
    origin: str  # contrat | ouverture | avenant
    avenant: int | None = None
    on: date | None = None
    reason: str | None = None

    @property
    def label(self) -> str:
        if self.origin == "avenant":
            when = f" (en vigueur le {_fr(self.on)})" if self.on else ""
            return f"avenant n° {self.avenant}{when}"
        if self.origin == "ouverture":
            return f"ouverture de l'exercice{f' le {_fr(self.on)}' if self.on else ''}"
        return f"contrat initial{f' (en vigueur le {_fr(self.on)})' if self.on else ''}"

    def as_json(self) -> dict[str, Any]:
        return {"value": money_str(self.value), "origin": self.origin, "avenant": self.avenant,
                "on": self.on.isoformat() if self.on else None, "reason": self.reason,
                "label": self.label}


def _fr(day: date) -> str:
    from cdppe.dates import format_date_fr

    return format_date_fr(day)


@dataclass
class Figure:
    """A money figure and its history, oldest first (never empty)."""

    label: str
    history: list[Change]

    @property
    def initial(self) -> Decimal:
        return self.history[0].value

    @property
    def current(self) -> Decimal:
        return self.history[-1].value

    @property
    def changes(self) -> list[Change]:
        return self.history[1:]

    def apply(self, change: Change) -> None:
        if change.value != self.current:
            self.history.append(change)

    def history_text(self) -> str:
        """``843 728 € (contrat initial) → 900 000 € (avenant n° 1, ...)``."""
        return " → ".join(f"{format_eur(c.value)} ({c.label})" for c in self.history)

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "initial": money_str(self.initial),
                "current": money_str(self.current), "history": [c.as_json() for c in self.history]}


@dataclass(frozen=True)
class AvenantInfo:
    number: int
    status: str
    reason: str | None
    effective_date: date | None
    opened_by: str

    @property
    def applied(self) -> bool:
        return self.status == AmendmentStatus.SIGNED

    @property
    def status_label(self) -> str:
        return AmendmentStatus(self.status).label


@dataclass
class FicheConsolidation:
    number: str
    title: str
    objectives: list[str]
    mandatory: bool
    etat: dict[FundingSource, Figure]
    departement: Figure
    autres: Decimal
    created_by_avenant: int | None = None

    @property
    def figures(self) -> list[Figure]:
        return [*self.etat.values(), self.departement]


@dataclass
class ExerciceConsolidation:
    year: int
    exercice_id: int
    effective_date: date | None
    envelopes: dict[FundingSource, Figure]
    fiches: list[FicheConsolidation]
    avenants: list[AvenantInfo]
    plan: Plan
    opened_from: int | None = None

    @property
    def state_total(self) -> Decimal:
        return Envelope.of({s: f.current for s, f in self.envelopes.items()}).state_total

    @property
    def departement_share(self) -> Decimal:
        return Envelope.of({s: f.current for s, f in self.envelopes.items()}).departement_share


@dataclass
class ContractConsolidation:
    contract_id: int
    key: str
    title: str
    departement_code: str
    departement_name: str
    first_year: int
    last_year: int
    exercices: list[ExerciceConsolidation]
    dashboard: list[DashboardRow] = field(default_factory=list)

    @property
    def years_label(self) -> str:
        return str(self.first_year) if self.first_year == self.last_year else \
            f"{self.first_year}-{self.last_year}"

    def exercice(self, year: int) -> ExerciceConsolidation:
        return next(e for e in self.exercices if e.year == year)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "title": self.title, "departement": self.departement_code,
            "rules": RULES_TEXT,
            "exercices": [{
                "year": e.year,
                "effective_date": e.effective_date.isoformat() if e.effective_date else None,
                "opened_from": e.opened_from,
                "state_total": money_str(e.state_total),
                "departement_share": money_str(e.departement_share),
                "envelopes": {s.value: f.as_json() for s, f in e.envelopes.items()},
                "avenants": [{"number": a.number, "status": a.status, "reason": a.reason,
                              "effective_date": a.effective_date.isoformat() if a.effective_date
                              else None, "applied": a.applied} for a in e.avenants],
                "fiches": [{"number": f.number, "title": f.title, "objectives": f.objectives,
                            "created_by_avenant": f.created_by_avenant,
                            "etat": {s.value: fig.as_json() for s, fig in f.etat.items()},
                            "departement": f.departement.as_json(),
                            "autres": money_str(f.autres)} for f in e.fiches],
            } for e in self.exercices],
            "dashboard": [{"code": r.code, "label": r.label, "objective": r.objective, "year": r.year,
                           "target": None if r.target is None else str(r.target),
                           "achieved": None if r.achieved is None else str(r.achieved),
                           "ratio": r.ratio_text} for r in self.dashboard],
        }


RULES_TEXT = (
    "Valeur initiale : celle du fichier de contrat (ou celle retenue à l'ouverture de l'exercice). "
    "Seuls les avenants signés sont appliqués, dans l'ordre de leurs numéros, à leur date de prise "
    "d'effet (dernière signature) ; une enveloppe citée par un avenant devient la somme de ses "
    "composantes ; les lignes d'un avenant s'ajoutent aux fiches et la fongibilité déplace des "
    "crédits État entre fiches d'une même enveloppe."
)


def opening_record(session: Session, exercice_id: int) -> dict[str, Any] | None:
    """What ``cdppe exercice open`` recorded for this exercice (None if it was not opened so)."""
    state = session.exec(select(PhaseState).where(
        PhaseState.exercice_id == exercice_id, PhaseState.avenant_number == 0,
        PhaseState.phase == Phase.DIAGNOSIS)).first()
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
        first = session.exec(select(AmendmentLine).where(
            AmendmentLine.amendment_id == signed[0].id)).all()
        for line in first:
            if line.part.value == "initial":
                current[line.source] = line.amount
    return current, Change(ZERO, "contrat", on=ex.effective_date)


MoneyKey = tuple[str, Payer, FundingSource | None, bool]


def _figure_key(key: MoneyKey) -> tuple[str, Payer, FundingSource | None]:
    number, payer, source, _ = key
    return number, payer, source if payer is Payer.ETAT else None


def consolidate_exercice(session: Session, contract: Contract, ex: Exercice,
                         fiches: list[FicheAction], objective_titles: dict[str, str],
                         mandatory: dict[str, bool]) -> ExerciceConsolidation:
    assert ex.id is not None
    amendments = session.exec(select(Amendment).where(Amendment.exercice_id == ex.id)
                              .order_by(col(Amendment.number))).all()
    signed = [a for a in amendments if a.status == AmendmentStatus.SIGNED]
    initial, origin = _initial_envelopes(session, contract, ex, signed)
    envelopes = {s: Figure(s.label, [Change(initial[s], origin.origin, on=origin.on)]) for s in ENVELOPES}

    numbers = {f.id: f.number for f in fiches}
    money: dict[MoneyKey, Decimal] = defaultdict(lambda: ZERO)
    by_amendment: dict[int, list[MoneyLine]] = defaultdict(list)
    for line in session.exec(select(MoneyLine).where(MoneyLine.exercice_id == ex.id)
                             .order_by(col(MoneyLine.id))):
        if line.fiche_id not in numbers:
            continue
        if line.amendment_id is None:
            money[(numbers[line.fiche_id], line.payer, line.source, line.valorisation)] += line.amount
        else:
            by_amendment[line.amendment_id].append(line)

    def totals() -> dict[tuple[str, Payer, FundingSource | None], Decimal]:
        out: dict[tuple[str, Payer, FundingSource | None], Decimal] = defaultdict(lambda: ZERO)
        for key, amount in money.items():
            out[_figure_key(key)] += amount
        return out

    fig: dict[tuple[str, Payer, FundingSource | None], Figure] = {}
    for key, amount in totals().items():
        fig[key] = Figure("", [Change(amount, origin.origin, on=origin.on)])
    created_by: dict[str, int] = {}
    for amendment in signed:
        assert amendment.id is not None
        change = Change(ZERO, "avenant", amendment.number, amendment.effective_date, amendment.reason)
        parts: dict[FundingSource, Decimal] = defaultdict(lambda: ZERO)
        for part in session.exec(select(AmendmentLine).where(AmendmentLine.amendment_id == amendment.id)):
            parts[part.source] += part.amount
        for source, total in parts.items():
            envelopes[source].apply(Change(total, "avenant", amendment.number, amendment.effective_date,
                                           amendment.reason))
        for line in by_amendment.get(amendment.id, []):
            number = numbers[line.fiche_id]
            if not any(k[0] == number for k in fig) and number not in created_by:
                created_by[number] = amendment.number
            money[(number, line.payer, line.source, line.valorisation)] += line.amount
        for tr in session.exec(select(AmendmentTransfer).where(
                AmendmentTransfer.amendment_id == amendment.id)):
            money[(tr.from_fiche, Payer.ETAT, tr.source, False)] -= tr.amount
            money[(tr.to_fiche, Payer.ETAT, tr.source, False)] += tr.amount
        for key, amount in totals().items():
            if key not in fig:
                fig[key] = Figure("", [Change(ZERO, origin.origin, on=origin.on)])
            fig[key].apply(Change(amount, change.origin, change.avenant, change.on, change.reason))

    out_fiches = []
    for f in sorted(fiches, key=lambda x: fiche_sort_key(x.number)):
        keys = [k for k in fig if k[0] == f.number]
        if not keys:
            continue
        etat = {k[2]: fig[k] for k in keys if k[1] is Payer.ETAT and k[2] is not None}
        for source, figure in etat.items():
            figure.label = f"Fiche {f.number} — État ({source.label})"
        dept = fig.get((f.number, Payer.DEPARTEMENT, None)) or Figure(
            "", [Change(ZERO, origin.origin, on=origin.on)])
        dept.label = f"Fiche {f.number} — Département"
        autres = fig.get((f.number, Payer.AUTRE, None))
        out_fiches.append(FicheConsolidation(
            number=f.number, title=f.title, objectives=list(f.objective_numbers),
            mandatory=any(mandatory.get(o, False) for o in f.objective_numbers),
            etat={s: etat[s] for s in ENVELOPES if s in etat}, departement=dept,
            autres=autres.current if autres else ZERO, created_by_avenant=created_by.get(f.number)))
    lines = [Line(number, payer, source, amount, valo)
             for (number, payer, source, valo), amount in money.items() if amount]
    triples = [(f.number, f.title, list(f.objective_numbers)) for f in fiches
               if any(k[0] == f.number for k in fig)]
    plan = plan_rows(ex.year, triples, lines, objective_titles, mandatory)
    opening = opening_record(session, ex.id)
    return ExerciceConsolidation(
        year=ex.year, exercice_id=ex.id, effective_date=ex.effective_date, envelopes=envelopes,
        fiches=out_fiches,
        avenants=[AvenantInfo(a.number, a.status, a.reason, a.effective_date, a.opened_by)
                  for a in amendments],
        plan=plan, opened_from=int(opening["from_year"]) if opening else None)


def consolidate(session: Session, contract: Contract) -> ContractConsolidation:
    """The whole contract as amended, every exercice."""
    assert contract.id is not None
    dept = session.get(Departement, contract.departement_code)
    exercices = session.exec(select(Exercice).where(Exercice.contract_id == contract.id)
                             .order_by(col(Exercice.year))).all()
    fiches = list(session.exec(select(FicheAction).where(FicheAction.contract_id == contract.id)))
    objectives = session.exec(select(Objective).where(Objective.contract_id == contract.id)).all()
    titles = {o.number: o.title or "" for o in objectives}
    mandatory = {o.number: o.mandatory for o in objectives}
    indicators = session.exec(select(Indicator).where(Indicator.contract_id == contract.id)).all()
    values = session.exec(select(IndicatorValue).where(
        col(IndicatorValue.indicator_id).in_([i.id for i in indicators]))).all()
    return ContractConsolidation(
        contract_id=contract.id, key=contract.key, title=contract.title,
        departement_code=contract.departement_code,
        departement_name=dept.name if dept else contract.departement_code,
        first_year=contract.first_year, last_year=contract.last_year,
        exercices=[consolidate_exercice(session, contract, ex, fiches, titles, mandatory)
                   for ex in exercices],
        dashboard=dashboard_rows(indicators, values, [e.year for e in exercices]))


def consolidated_markdown(c: ContractConsolidation) -> str:
    """The Prefect artifact: current figures, then the history of every figure that changed."""
    lines = [f"# Contrat consolidé — {_md(c.title)} ({c.years_label})", "",
             f"_{RULES_TEXT}_", ""]
    for e in c.exercices:
        lines += [f"## Exercice {e.year}", ""]
        if e.opened_from:
            lines.append(f"Exercice ouvert à partir de l'exercice {e.opened_from}.")
            lines.append("")
        lines += ["| Enveloppe | Initial | Actuel | Historique |", "|---|---:|---:|---|"]
        for fig in e.envelopes.values():
            lines.append(f"| {fig.label} | {format_eur(fig.initial)} | {format_eur(fig.current)} | "
                         f"{_md(fig.history_text()) if fig.changes else 'inchangé'} |")
        lines.append(f"| **Total État** | | **{format_eur(e.state_total)}** | |")
        lines.append(f"| dont part du Département | | {format_eur(e.departement_share)} | |")
        lines += ["", "### Avenants", ""]
        if not e.avenants:
            lines.append("_Aucun avenant._")
        for a in e.avenants:
            when = f", en vigueur le {_fr(a.effective_date)}" if a.effective_date else ""
            lines.append(f"- Avenant n° {a.number} ({a.status_label}{when}) : {_md(a.reason or '—')}")
        fiche_changes = [fig for f in e.fiches for fig in f.figures if fig.changes]
        lines += ["", "### Fiches modifiées par avenant", ""]
        if not fiche_changes:
            lines.append("_Aucune._")
        for fig in fiche_changes:
            lines.append(f"- {_md(fig.label)} : {_md(fig.history_text())}")
        lines.append("")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for ch in "`*_[]<>|#":
        out = out.replace(ch, "\\" + ch)
    return out
