"""The State's money of one exercice by source: the one place its total and the Département's
share are computed (the documents, the checks, the dashboard and the consolidation ask it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from models.enums import FundingSource, Payer

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Envelope:
    bop304: Decimal = ZERO
    fir: Decimal = ZERO
    ondam: Decimal = ZERO
    bop304_third_parties: Decimal = ZERO  # part of the BOP 304 the State pays straight to third parties
    fir_third_parties: Decimal = ZERO  # part of the FIR the ARS pays straight to third parties

    @classmethod
    def of(cls, amounts: Mapping[FundingSource, Decimal]) -> Envelope:
        return cls(amounts.get(FundingSource.BOP304, ZERO), amounts.get(FundingSource.FIR, ZERO),
                   amounts.get(FundingSource.ONDAM, ZERO))

    @property
    def state_total(self) -> Decimal:
        """BOP 304 + FIR + ONDAM."""
        return self.bop304 + self.fir + self.ondam

    @property
    def departement_share(self) -> Decimal:
        """What is paid to the Département: BOP 304 + FIR, less what goes straight to third parties
        (a perinatal network, an association); ONDAM is never part of it."""
        return self.paid_to_departement(FundingSource.BOP304) + self.paid_to_departement(FundingSource.FIR)

    def third_parties(self, source: FundingSource | str) -> Decimal:
        return {FundingSource.BOP304: self.bop304_third_parties, FundingSource.FIR: self.fir_third_parties,
                FundingSource.ONDAM: ZERO}[FundingSource(source)]

    def paid_to_departement(self, source: FundingSource | str) -> Decimal:
        """The envelope's money the Département receives (ONDAM: none, it goes to the ESMS)."""
        if FundingSource(source) is FundingSource.ONDAM:
            return ZERO
        return self.amount(source) - self.third_parties(source)

    def amount(self, source: FundingSource | str) -> Decimal:
        return {FundingSource.BOP304: self.bop304, FundingSource.FIR: self.fir,
                FundingSource.ONDAM: self.ondam}[FundingSource(source)]


def third_party_sums(lines: Iterable[tuple[Payer, FundingSource | None, Decimal, str | None]]
                     ) -> tuple[Decimal, Decimal]:
    """(BOP 304, FIR) of the State lines paid to a named third party: ``(payer, source, amount, payee)``."""
    bop = fir = ZERO
    for payer, source, amount, payee in lines:
        if payer is Payer.ETAT and payee:
            if source is FundingSource.BOP304:
                bop += amount
            elif source is FundingSource.FIR:
                fir += amount
    return bop, fir
