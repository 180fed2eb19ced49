"""The State's money of one exercice by source: the one place its total and the Département's
share are computed (the documents, the checks, the dashboard and the consolidation ask it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from models.enums import FundingSource

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Envelope:
    bop304: Decimal = ZERO
    fir: Decimal = ZERO
    ondam: Decimal = ZERO

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
        """What the Département matches: BOP 304 + FIR (ONDAM is not part of it)."""
        return self.bop304 + self.fir

    def amount(self, source: FundingSource | str) -> Decimal:
        return {FundingSource.BOP304: self.bop304, FundingSource.FIR: self.fir,
                FundingSource.ONDAM: self.ondam}[FundingSource(source)]
