"""Exact money: ``Decimal`` with two places, parsed strictly, written the French way."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Bound of any single amount: integer cents stay far inside a 64-bit integer even summed.
MAX_AMOUNT = Decimal("999999999999999.99")


class MoneyError(ValueError):
    """An amount that is not a valid euro amount."""


def to_money(value: object) -> Decimal:
    """Parse an amount exactly; floats are refused because they are not exact.

    Accepts ``Decimal``, ``int`` and strings such as ``"1692424.00"``,
    ``"1 692 424 €"`` or ``"539 323,24"``. More than two decimals is an error,
    not a silent rounding.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise MoneyError(f"montant {value!r} : les nombres à virgule flottante sont refusés")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace("€", "").replace("EUR", "")
        for space in (" ", "\u00a0", "\u202f"):
            text = text.replace(space, "")
        if "," in text and "." in text:
            raise MoneyError(f"montant {value!r} : séparateurs décimaux ambigus")
        text = text.replace(",", ".")
        try:
            amount = Decimal(text)
        except (InvalidOperation, ValueError) as exc:
            raise MoneyError(f"montant {_short(value)} : ce n'est pas un nombre") from exc
    else:
        raise MoneyError(f"montant {value!r} : type {type(value).__name__} non accepté")
    if not amount.is_finite():
        raise MoneyError(f"montant {_short(value)} : valeur non finie")
    if abs(amount) > MAX_AMOUNT:
        raise MoneyError(f"montant {_short(value)} : hors limites (au plus "
                         f"{format_eur(MAX_AMOUNT)} en valeur absolue)")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise MoneyError(f"montant {value!r} : plus de deux décimales")
    return amount.quantize(CENT)


def _short(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an integer too long to be written out
        return "(nombre de plus de 4 300 chiffres)"
    return text if len(text) <= 40 else text[:37] + "..."


def to_cents(amount: Decimal) -> int:
    return int(to_money(amount) * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def money_str(amount: Decimal) -> str:
    """Machine form: ``"1692424.00"``."""
    return f"{to_money(amount):.2f}"


def format_eur(amount: Decimal, *, cents: bool | None = None) -> str:
    """French form: ``1 692 424 €`` or ``539 323,24 €`` (non-breaking spaces).

    Cents are shown only when the amount has some, unless ``cents`` forces it.
    """
    amount = to_money(amount)
    show_cents = cents if cents is not None else amount != amount.to_integral_value()
    pattern = "#,##0.00" if show_cents else "#,##0"
    number = format_decimal(amount, format=pattern, locale="fr_FR")
    return f"{number}\u00a0€"
