"""The contract as amended: its figures and their history (RULES_TEXT states how they are computed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from cdppe.core.money import format_eur, money_str
from cdppe.domain.plan import (
    DashboardRow,
    Plan,
)
from models.enums import AmendmentStatus, FundingSource
from models.envelope import Envelope

ENVELOPES = (FundingSource.BOP304, FundingSource.FIR, FundingSource.ONDAM)


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
    from cdppe.core.dates import format_date_fr

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
    third_parties: Decimal = Decimal("0.00")  # State money paid straight to third parties

    @property
    def state_total(self) -> Decimal:
        return Envelope.of({s: f.current for s, f in self.envelopes.items()}).state_total

    @property
    def departement_share(self) -> Decimal:
        return Envelope.of({s: f.current for s, f in self.envelopes.items()}).departement_share \
            - self.third_parties


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
                           "achieved": None if r.achieved_shown is None else str(r.achieved_shown),
                           "ratio": r.ratio_text, "gap": r.gap_text} for r in self.dashboard],
        }


RULES_TEXT = (
    "Valeur initiale : celle du fichier de contrat (ou celle retenue à l'ouverture de l'exercice). "
    "Seuls les avenants signés sont appliqués, dans l'ordre de leurs numéros, à leur date de prise "
    "d'effet (dernière signature) ; une enveloppe citée par un avenant devient la somme de ses "
    "composantes ; les lignes d'un avenant s'ajoutent aux fiches et la fongibilité déplace des "
    "crédits État entre fiches d'une même enveloppe."
)
