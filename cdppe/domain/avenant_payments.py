"""What the State pays after an avenant (pure): the avenant's new money, per envelope it pays.

An avenant's new total per envelope is made of parts (``AmendmentPart``). The initially planned
amount was paid with the exercice; the carry-overs (of this contract's previous year, or of
another contract) are credits the Département already holds. What comes on top, the
supplementary credits and the new actions, is a new payment of that envelope, owed once the
avenant is in force. ONDAM goes to the ESMS: it is never paid to the Département.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from models.enums import AmendmentPart, FundingSource

NEW_MONEY_PARTS = frozenset({AmendmentPart.SUPPLEMENTARY, AmendmentPart.NEW_ACTIONS})
PAID_SOURCES = (FundingSource.BOP304, FundingSource.FIR)


def avenant_payments(lines: Iterable[tuple[FundingSource, AmendmentPart, Decimal]],
                     ) -> dict[FundingSource, Decimal]:
    """The payment each envelope owes after the avenant (envelopes with none left out)."""
    due: dict[FundingSource, Decimal] = {}
    for source, part, amount in lines:
        if part in NEW_MONEY_PARTS and source in PAID_SOURCES:
            due[source] = due.get(source, Decimal("0")) + amount
    return {source: amount for source, amount in due.items() if amount > 0}
