"""Documents that agree with themselves: every total an annex prints equals the figure its article states.

Pure comparison of two mappings of amounts per State envelope (what an article
states, what an annex totals); the document layer says which article and which
annex of which kind are compared, and refuses to write a document that
contradicts itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from cdppe.core.money import ZERO, format_eur
from cdppe.domain.plan import STATE_SOURCES
from models.enums import FundingSource


@dataclass(frozen=True)
class AnnexMismatch:
    what: str
    article: str
    article_amount: Decimal
    annex: str
    annex_amount: Decimal

    @property
    def message(self) -> str:
        return (f"{self.what} : {self.article} porte {format_eur(self.article_amount)}, "
                f"{self.annex} totalise {format_eur(self.annex_amount)}")


def compare_envelopes(article: str, stated: Mapping[FundingSource, Decimal], annex: str,
                      totalled: Mapping[FundingSource, Decimal]) -> list[AnnexMismatch]:
    """Each envelope, then the State total: the article's figure against the annex's total."""
    out = []
    for source in STATE_SOURCES:
        left, right = stated.get(source, ZERO), totalled.get(source, ZERO)
        if left != right:
            out.append(AnnexMismatch(source.label, article, left, annex, right))
    left_total = sum(stated.values(), ZERO)
    right_total = sum(totalled.values(), ZERO)
    if left_total != right_total:
        out.append(AnnexMismatch("total État", article, left_total, annex, right_total))
    return out
