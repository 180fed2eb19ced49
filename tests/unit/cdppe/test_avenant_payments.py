"""What the State pays after an avenant: its new money only, per envelope it pays (pure)."""

from __future__ import annotations

from decimal import Decimal

from cdppe.domain.avenant_payments import avenant_payments
from models.enums import AmendmentPart, FundingSource

FIR, BOP, ONDAM = FundingSource.FIR, FundingSource.BOP304, FundingSource.ONDAM


def test_supplementary_credits_and_new_actions_are_paid_carry_overs_are_not() -> None:
    lines = [(FIR, AmendmentPart.INITIAL, Decimal("370395.00")),
             (FIR, AmendmentPart.CARRY_OVER, Decimal("12000.00")),
             (FIR, AmendmentPart.SUPPLEMENTARY, Decimal("25000.00")),
             (FIR, AmendmentPart.NEW_ACTIONS, Decimal("5000.50")),
             (BOP, AmendmentPart.INITIAL, Decimal("843728.00")),
             (BOP, AmendmentPart.CARRY_OVER_OTHER, Decimal("30000.00")),
             (BOP, AmendmentPart.TRANSFER_IN, Decimal("1000.00")),
             (ONDAM, AmendmentPart.SUPPLEMENTARY, Decimal("9000.00"))]  # ONDAM goes to the ESMS
    assert avenant_payments(lines) == {FIR: Decimal("30000.50")}


def test_an_avenant_without_new_money_owes_no_payment() -> None:
    assert avenant_payments([(FIR, AmendmentPart.INITIAL, Decimal("100.00")),
                             (FIR, AmendmentPart.SUPPLEMENTARY, Decimal("0.00"))]) == {}
