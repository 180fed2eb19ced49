"""The envelope: the State's total and the Département's share, computed in one place."""

from decimal import Decimal

from models.enums import FundingSource
from models.envelope import Envelope


def test_total_share_and_amounts_from_one_envelope() -> None:
    envelope = Envelope(Decimal("843728.00"), Decimal("370395.00"), Decimal("120000.00"))
    assert envelope.state_total == Decimal("1334123.00")
    assert envelope.departement_share == Decimal("1214123.00")  # ONDAM is not matched
    assert envelope.amount("FIR") == envelope.amount(FundingSource.FIR) == Decimal("370395.00")
    assert Envelope.of({FundingSource.BOP304: Decimal("1.10")}) == Envelope(bop304=Decimal("1.10"))
    assert isinstance(envelope.state_total, Decimal)
