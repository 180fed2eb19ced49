from decimal import Decimal

import pytest

from cdppe.core.money import MoneyError, format_eur, from_cents, money_str, to_cents, to_money


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_french_format_whole_and_cents() -> None:
    assert plain(format_eur(Decimal("1692424"))) == "1 692 424 €"
    assert plain(format_eur(Decimal("539323.24"))) == "539 323,24 €"
    assert plain(format_eur(Decimal("0.5"))) == "0,50 €"
    assert "\u00a0€" in format_eur(Decimal("12"))  # never a line break before the sign


@pytest.mark.parametrize("raw,expected", [
    ("1692424.00", "1692424.00"), ("1 692 424 €", "1692424.00"), ("539 323,24", "539323.24"),
    (843728, "843728.00"), (Decimal("0.1"), "0.10"),
])
def test_parse_exact(raw: object, expected: str) -> None:
    assert money_str(to_money(raw)) == expected


@pytest.mark.parametrize("raw", [0.1, "12.345", "abc", "1,234.5", None, "NaN"])
def test_parse_refuses(raw: object) -> None:
    with pytest.raises(MoneyError):
        to_money(raw)


def test_cents_round_trip_is_exact() -> None:
    amount = Decimal("9999999999.99")
    assert from_cents(to_cents(amount)) == amount
    assert sum((to_money("0.10") for _ in range(10)), Decimal(0)) == Decimal("1.00")
