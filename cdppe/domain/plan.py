"""The plan's arithmetic: money per fiche, payer and source; totals per objective; attainment."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

from cdppe.core.money import ZERO
from cdppe.domain.fiche_numbers import FicheNumberError, parse_fiche_number
from models import (
    Indicator,
    IndicatorValue,
)
from models.enums import FicheStatus, FundingSource, Payer

# Statuses that count as "mise en œuvre" in the execution report: a delayed
# action has started (the Creuse 2024 report counts it among the 18 / 19).
IMPLEMENTED_STATUSES = frozenset({FicheStatus.IMPLEMENTED, FicheStatus.IN_PROGRESS,
                                  FicheStatus.DELAYED})


STATE_SOURCES = (FundingSource.BOP304, FundingSource.FIR, FundingSource.ONDAM)

SANS_OBJET = "sans objet"
NON_RENSEIGNE = "non renseigné"
NON_DISPONIBLE = "non disponible"


@dataclass(frozen=True)
class Amounts:
    etat: Decimal = ZERO
    departement: Decimal = ZERO
    autres: Decimal = ZERO
    valorisation: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.etat + self.departement + self.autres

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.etat + other.etat, self.departement + other.departement,
                       self.autres + other.autres, self.valorisation + other.valorisation)


@dataclass(frozen=True)
class Line:
    """One planned amount, detached from the database."""

    fiche_number: str
    payer: Payer
    source: FundingSource | None
    amount: Decimal
    valorisation: bool = False
    payee: str | None = None  # a State line paid straight to a third party


@dataclass(frozen=True)
class ThirdPartyPayment:
    """State money of an exercice that does not go to the Département."""

    source: FundingSource
    payee: str
    amount: Decimal
    fiches: tuple[str, ...]


def third_party_payments(lines: Iterable[Line]) -> list[ThirdPartyPayment]:
    """Per envelope and third party: the amount and the fiches, in the order the lines come."""
    amounts: dict[tuple[FundingSource, str], Decimal] = defaultdict(lambda: ZERO)
    fiches: dict[tuple[FundingSource, str], list[str]] = defaultdict(list)
    for line in lines:
        if line.payer is Payer.ETAT and line.payee and line.source is not None:
            key = (line.source, line.payee)
            amounts[key] += line.amount
            if line.fiche_number not in fiches[key]:
                fiches[key].append(line.fiche_number)
    return [ThirdPartyPayment(source, payee, amount, tuple(fiches[(source, payee)]))
            for (source, payee), amount in amounts.items()]


@dataclass(frozen=True)
class PlanRow:
    objectives: str
    objective_title: str
    mandatory: bool
    fiche_number: str
    fiche_title: str
    source: FundingSource | None
    amounts: Amounts

    @property
    def source_label(self) -> str:
        return self.source.label if self.source else "—"


@dataclass(frozen=True)
class Plan:
    year: int
    rows: list[PlanRow]
    by_source: dict[FundingSource, Amounts]
    total: Amounts


@dataclass(frozen=True)
class DashboardRow:
    code: str
    label: str
    unit: str | None
    objective: str | None
    fiche: str | None
    year: int
    baseline_year: int | None
    baseline: Decimal | None
    target: Decimal | None
    achieved: Decimal | None
    ratio: Decimal | None
    ratio_text: str
    achieved_note: str | None = None  # NR, ND or the text written instead of a number
    gap: Decimal | None = None  # (réalisé − cible) / cible, percent
    gap_text: str = SANS_OBJET

    @property
    def achieved_shown(self) -> Decimal | str | None:
        return self.achieved if self.achieved is not None else self.achieved_note


def _percent(value: Decimal) -> str:
    return f"{format_decimal(value, format='#,##0.#', locale='fr_FR')}\u00a0%"


def attainment(target: Decimal | None, achieved: Decimal | None,
               note: str | None = None) -> tuple[Decimal | None, str]:
    """Achieved / target as a percentage; an empty or zero target reads "sans objet".

    Never an error value: no target → ``sans objet``; no achieved value yet →
    ``non renseigné`` (``NR``), ``non disponible`` (``ND``) or the text written
    instead; otherwise the percentage rounded to one decimal.
    """
    if target is None or target == 0:
        return None, SANS_OBJET
    if achieved is None:
        return None, _note_text(note)
    ratio = (achieved * 100 / target).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return ratio, _percent(ratio)


def gap(target: Decimal | None, achieved: Decimal | None,
        note: str | None = None) -> tuple[Decimal | None, str]:
    """(réalisé − cible) / cible as real tableaux de bord show it: −67 % when 6.6 is achieved of 20."""
    if target is None or target == 0:
        return None, SANS_OBJET
    if achieved is None:
        return None, _note_text(note)
    value = ((achieved - target) * 100 / target).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return value, ("+" if value > 0 else "") + _percent(value)


def _note_text(note: str | None) -> str:
    if note is None or note == "NR":
        return NON_RENSEIGNE
    return NON_DISPONIBLE if note == "ND" else note


def fiche_sort_key(number: str) -> tuple[int, str]:
    try:
        return (0, parse_fiche_number(number).sort_key)
    except FicheNumberError:
        return (1, number)


def objective_sort_key(number: str) -> tuple[int, int, str]:
    digits = "".join(ch for ch in number if ch.isdigit())
    return (0 if digits else 1, int(digits) if digits else 0, number)


def fiche_amounts(lines: Iterable[Line]) -> Amounts:
    total = Amounts()
    for line in lines:
        total = total + _line_amounts(line)
    return total


def _line_amounts(line: Line) -> Amounts:
    valo = line.amount if line.valorisation else ZERO
    if line.payer is Payer.ETAT:
        return Amounts(etat=line.amount, valorisation=valo)
    if line.payer is Payer.DEPARTEMENT:
        return Amounts(departement=line.amount, valorisation=valo)
    return Amounts(autres=line.amount, valorisation=valo)


def plan_rows(
    year: int,
    fiches: list[tuple[str, str, list[str]]],
    lines: Iterable[Line],
    objective_titles: Mapping[str, str],
    mandatory: Mapping[str, bool],
) -> Plan:
    """The plan d'action: one row per fiche and funding source.

    ``fiches`` are ``(number, title, objective numbers)``. A Département or
    other line without a source goes with the fiche's first State source (a
    fiche without State money gets one row with no source).
    """
    by_fiche: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        by_fiche[line.fiche_number].append(line)
    rows: list[PlanRow] = []
    by_source: dict[FundingSource, Amounts] = {}
    for number, title, objectives in sorted(fiches, key=lambda f: fiche_sort_key(f[0])):
        fiche_lines = by_fiche.get(number, [])
        state_sources = [s for s in STATE_SOURCES
                         if any(ln.source is s and ln.payer is Payer.ETAT for ln in fiche_lines)]
        own_sources = [s for s in STATE_SOURCES if any(ln.source is s for ln in fiche_lines)]
        sources: list[FundingSource | None] = list(state_sources or own_sources) or [None]
        buckets: dict[FundingSource | None, Amounts] = {s: Amounts() for s in sources}
        for line in fiche_lines:
            key = line.source if line.source in buckets else sources[0]
            buckets[key] = buckets[key] + _line_amounts(line)
        first = objectives[0] if objectives else ""
        for source in sources:
            amounts = buckets[source]
            rows.append(PlanRow(
                objectives=", ".join(objectives), objective_title=objective_titles.get(first, ""),
                mandatory=any(mandatory.get(o, False) for o in objectives),
                fiche_number=number, fiche_title=title, source=source, amounts=amounts))
            if source is not None:
                by_source[source] = by_source.get(source, Amounts()) + amounts
    total = sum((r.amounts for r in rows), Amounts())
    ordered = {s: by_source[s] for s in STATE_SOURCES if s in by_source}
    return Plan(year=year, rows=rows, by_source=ordered, total=total)


def dashboard_rows(indicators: Iterable[Indicator], values: Iterable[IndicatorValue],
                   years: Iterable[int]) -> list[DashboardRow]:
    """The tableau de bord: one row per indicator and year, with the attainment ratio."""
    by_indicator: dict[int | None, dict[int, IndicatorValue]] = defaultdict(dict)
    for value in values:
        by_indicator[value.indicator_id][value.year] = value
    wanted = sorted(set(years))
    rows = []
    for ind in sorted(indicators, key=lambda i: (objective_sort_key(i.objective_number or ""),
                                                 i.code)):
        for year in wanted:
            val = by_indicator[ind.id].get(year)
            target = val.target if val else None
            achieved = val.achieved if val else None
            note = val.achieved_note if val else None
            ratio, text = attainment(target, achieved, note)
            difference, difference_text = gap(target, achieved, note)
            rows.append(DashboardRow(
                code=ind.code, label=ind.label, unit=ind.unit, objective=ind.objective_number,
                fiche=ind.fiche_number, year=year, baseline_year=ind.baseline_year,
                baseline=ind.baseline_value, target=target, achieved=achieved, ratio=ratio,
                ratio_text=text, achieved_note=note, gap=difference, gap_text=difference_text))
    return rows


def _etat_by_source(lines: Iterable[Line]) -> dict[FundingSource, Decimal]:
    out: dict[FundingSource, Decimal] = {}
    for line in lines:
        if line.payer is Payer.ETAT and line.source is not None:
            out[line.source] = out.get(line.source, ZERO) + line.amount
    return out

