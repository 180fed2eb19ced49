"""The carry-over an avenant proposes: unused credits of the year before, per envelope.

Two rules have been used by the campaigns (``carry_over_rule`` of a campaign file):

- ``net_par_enveloppe``: notified payments of the envelope minus the State consumption its
  fiches report, never below zero;
- ``somme_par_fiche``: the sum over the envelope's fiches of planned State money minus reported
  consumption, each never below zero (an overspent fiche does not absorb another's remainder).

Both figures are always computed and shown; the campaign's rule gives the proposal. A fiche with
State money in the envelope and no reported consumption makes the consumption *unknown*: there is
no proposal then (0 € would be a guess), and the fiches lacking it are listed. ONDAM is never
carried over here: it is paid by the ARS to the ESMS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from cdppe.core.money import ZERO, format_eur
from cdppe.domain.fiche_numbers import natural_sorted
from models.enums import CarryOverRule, FundingSource


@dataclass(frozen=True)
class FicheUse:
    """One fiche's State money in one envelope and the consumption its report declares."""

    number: str
    source: FundingSource
    planned: Decimal
    consumed: Decimal | None  # None: not reported


@dataclass(frozen=True)
class EnvelopeCarryOver:
    source: FundingSource
    rule: CarryOverRule
    paid: Decimal
    consumed: Decimal  # what is reported
    net: Decimal
    per_fiche: Decimal
    missing: tuple[str, ...]  # fiches with money and no reported consumption

    @property
    def proposed(self) -> Decimal | None:
        """The campaign's figure, or None while some consumption is unknown."""
        if self.missing:
            return None
        return self.net if self.rule is CarryOverRule.NET_PER_ENVELOPE else self.per_fiche

    def explanation(self) -> str:
        """Both figures and the rule, in French (forms, refusals, documents)."""
        text = (f"{self.source.label} : net par enveloppe {format_eur(self.net)} (versé "
                f"{format_eur(self.paid)} − consommé {format_eur(self.consumed)}), somme par fiche "
                f"{format_eur(self.per_fiche)} ; règle de la campagne : {self.rule.label}")
        if self.missing:
            text += (f" ; consommation inconnue pour {len(self.missing)} fiche(s) : "
                     + ", ".join(self.missing))
        return text


def carry_over(paid: Mapping[FundingSource, Decimal], uses: Iterable[FicheUse],
               rule: CarryOverRule) -> dict[FundingSource, EnvelopeCarryOver]:
    """Per envelope paid to the Département: both figures, the missing fiches, the proposal."""
    uses = list(uses)
    out: dict[FundingSource, EnvelopeCarryOver] = {}
    for source, amount in paid.items():
        if source is FundingSource.ONDAM:
            continue
        own = [u for u in uses if u.source is source]
        consumed = sum((u.consumed for u in own if u.consumed is not None), ZERO)
        missing = natural_sorted(sorted({u.number for u in own if u.consumed is None and u.planned > 0}))
        per_fiche = sum((max(u.planned - u.consumed, ZERO) for u in own if u.consumed is not None), ZERO)
        out[source] = EnvelopeCarryOver(source, rule, amount, consumed, max(amount - consumed, ZERO),
                                        per_fiche, tuple(missing))
    return out
