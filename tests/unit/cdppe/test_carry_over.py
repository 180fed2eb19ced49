"""The carry-over proposal as a pure rule: both figures, the campaign's choice, unknown consumption."""

from __future__ import annotations

from decimal import Decimal

from cdppe.domain.carry_over import FicheUse, carry_over
from models.enums import CarryOverRule, FundingSource, Payer
from models.envelope import Envelope, third_party_sums

FIR, BOP = FundingSource.FIR, FundingSource.BOP304
D = Decimal


def uses(*rows: tuple[str, FundingSource, str, str | None]) -> list[FicheUse]:
    return [FicheUse(n, s, D(p), None if c is None else D(c)) for n, s, p, c in rows]


def test_net_and_per_fiche_differ_when_one_fiche_overspends() -> None:
    """Paid 10 000 €; fiche A 6 000 € planned, 7 000 € spent; fiche B 4 000 € planned, 1 000 € spent."""
    plan = uses(("A", FIR, "6000", "7000"), ("B", FIR, "4000", "1000"))
    net = carry_over({FIR: D("10000")}, plan, CarryOverRule.NET_PER_ENVELOPE)[FIR]
    per = carry_over({FIR: D("10000")}, plan, CarryOverRule.SUM_PER_FICHE)[FIR]
    assert (net.consumed, net.net, net.per_fiche) == (D("8000"), D("2000"), D("3000"))
    assert (net.proposed, per.proposed) == (D("2000"), D("3000"))


def test_unknown_consumption_gives_no_proposal_and_lists_the_fiches_in_order() -> None:
    plan = uses(("13 a", FIR, "100", None), ("2", FIR, "100", "50"), ("10", FIR, "100", None),
                ("4", BOP, "100", None))
    fir = carry_over({FIR: D("300")}, plan, CarryOverRule.NET_PER_ENVELOPE)[FIR]
    assert fir.missing == ("10", "13 a") and fir.proposed is None
    assert "consommation inconnue pour 2 fiche(s) : 10, 13 a" in fir.explanation()
    assert set(carry_over({FIR: D("300")}, plan, CarryOverRule.NET_PER_ENVELOPE)) == {FIR}  # BOP not paid


def test_overconsumption_never_carries_a_negative_amount() -> None:
    fir = carry_over({FIR: D("100")}, uses(("1", FIR, "100", "150")), CarryOverRule.NET_PER_ENVELOPE)[FIR]
    assert (fir.net, fir.per_fiche) == (D("0"), D("0"))


def test_the_departement_receives_its_envelope_less_the_third_parties() -> None:
    bop, fir = third_party_sums([(Payer.ETAT, FIR, D("500.00"), "Réseau périnatal"),
                                 (Payer.ETAT, FIR, D("2500.00"), None),
                                 (Payer.DEPARTEMENT, FIR, D("900.00"), "ignored: not a State line"),
                                 (Payer.ETAT, FundingSource.ONDAM, D("80.00"), "ESMS")])
    assert (bop, fir) == (D("0.00"), D("500.00"))
    envelope = Envelope(D("1000.00"), D("3000.00"), D("80.00"), bop, fir)
    assert envelope.paid_to_departement(FIR) == D("2500.00")
    assert envelope.paid_to_departement(FundingSource.ONDAM) == D("0.00")
    assert (envelope.departement_share, envelope.state_total) == (D("3500.00"), D("4080.00"))
