"""Policy rules: what the parties should do, checked and shown, signed with a reason when broken.

Arithmetic (totals, parts adding up) is refused by ``cdppe.domain.rules``. The policy rules here
report *findings*: real signed plans break them (an objective where the State puts more than the
Département in one year, a new action funded mostly by the State), so a finding never blocks a
signature by itself; the parties record why they sign anyway. A campaign may turn a rule into a
refusal (``policy:`` in its file).

- co-financing, per exercice and per group of objectives a fiche serves ("6 et 7" counts once for
  its group): the Département's money, valorisation included, at least the State's BOP 304 + FIR.
  ONDAM is excluded: the ARS pays it to the ESMS, never to the Département.
- maintenance of effort: the Département's own ASE + PMI spending planned for the year is not below
  its reference year's (checked when the contract file gives both figures).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from cdppe.core.money import ZERO, format_eur
from models.enums import FundingSource, Payer, PolicyRule

PAID_TO_DEPARTEMENT = (FundingSource.BOP304, FundingSource.FIR)


@dataclass(frozen=True)
class FundedLine:
    """One planned amount as the policy rules see it, from a contract file or from the database."""

    objectives: tuple[str, ...]
    payer: Payer
    source: FundingSource | None
    amount: Decimal


@dataclass(frozen=True)
class Finding:
    """A broken policy rule. ``key`` names it stably, so a reason recorded for it is found again."""

    rule: PolicyRule
    year: int
    key: str
    subject: str
    message: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.subject} : {self.message} (attendu : {self.expected}, trouvé : {self.actual})"


def cofinancing_totals(lines: Iterable[FundedLine]) -> dict[tuple[str, ...], tuple[Decimal, Decimal]]:
    """(State BOP 304 + FIR, Département) money per group of objectives."""
    groups: dict[tuple[str, ...], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for line in lines:
        group = tuple(sorted(set(line.objectives)))
        if line.payer is Payer.ETAT and line.source in PAID_TO_DEPARTEMENT:
            groups[group][0] += line.amount
        elif line.payer is Payer.DEPARTEMENT:
            groups[group][1] += line.amount
    return {group: (state, dept) for group, (state, dept) in groups.items()}


def cofinancing_findings(year: int, lines: Iterable[FundedLine]) -> list[Finding]:
    """One finding per group of objectives where the Département puts less than the State."""
    out: list[Finding] = []
    for group, (state, dept) in sorted(cofinancing_totals(lines).items()):
        if dept >= state:
            continue
        label = " et ".join(group)
        out.append(Finding(
            PolicyRule.COFINANCING, year, f"{PolicyRule.COFINANCING.value}/{year}/{label}",
            f"objectif n° {label} ({year})",
            "le Département apporte moins que l'État (BOP 304 + FIR, valorisation comprise, hors ONDAM)",
            f"≥ {format_eur(state)}", format_eur(dept)))
    return out


def maintenance_findings(year: int, *, reference_year: int | None, reference: Decimal | None,
                         planned: Decimal | None) -> list[Finding]:
    """The Département's ASE + PMI spending planned for ``year`` below its reference year's."""
    if reference is None or planned is None or planned >= reference:
        return []
    return [Finding(
        PolicyRule.MAINTENANCE_OF_EFFORT, year, f"{PolicyRule.MAINTENANCE_OF_EFFORT.value}/{year}",
        f"dépenses ASE + PMI du Département ({year})",
        f"en baisse par rapport à l'année de référence {reference_year or ''}".rstrip(),
        f"≥ {format_eur(reference)}", format_eur(planned))]
