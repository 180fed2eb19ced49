"""The pure layer: ratios, plan d'action, French formatting, HTML escaping."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from markupsafe import Markup

from cdppe.domain.plan import Line, attainment, gap, plan_rows
from cdppe.present.documents.french import departement_of
from cdppe.present.documents.render import environment, fr_date, fr_money, fr_number, paragraphs
from models.contract_file import IndicatorValueIn, split_achieved
from models.enums import FundingSource, Payer


def test_attainment_never_gives_an_error_value() -> None:
    assert attainment(None, Decimal("12")) == (None, "sans objet")
    assert attainment(Decimal("0"), Decimal("12")) == (None, "sans objet")
    assert attainment(Decimal("0.00"), None) == (None, "sans objet")
    assert attainment(Decimal("20"), None) == (None, "non renseigné")
    ratio, text = attainment(Decimal("20"), Decimal("6.6"))
    assert ratio == Decimal("33.0")
    assert text == "33\u00a0%"
    assert attainment(Decimal("3"), Decimal("1"))[1] == "33,3\u00a0%"
    assert attainment(Decimal("50"), Decimal("0"))[1] == "0\u00a0%"


def test_french_formats() -> None:
    assert fr_money(Decimal("1692424.00")) == "1\u202f692\u202f424\u00a0€"
    assert fr_money(Decimal("539323.24")) == "539\u202f323,24\u00a0€"
    assert fr_money(None) == "—"
    assert fr_date(date(2024, 11, 22)) == "22 novembre 2024"
    assert fr_date(date(2025, 3, 1)) == "1er mars 2025"
    assert fr_date(None) == "…"
    assert fr_number(Decimal("6.6"), "%") == "6,6\u00a0%"
    assert fr_number(None) == "—"
    assert departement_of("23", "Creuse") == "de la Creuse"
    assert departement_of("71", "Saône-et-Loire") == "de Saône-et-Loire"
    assert departement_of("01", "Ain") == "de l'Ain"
    assert departement_of("59", "Nord") == "du Nord"


def test_paragraphs_escape_each_line() -> None:
    html = paragraphs("<b>un</b>\n\n{{ 7*7 }}")
    assert isinstance(html, Markup)
    assert str(html) == "<p>&lt;b&gt;un&lt;/b&gt;</p><p>{{ 7*7 }}</p>"
    assert str(paragraphs(None, "à compléter")) == "<p>à compléter</p>"


def test_environment_autoescapes_and_is_strict() -> None:
    env = environment()
    assert env.autoescape is True
    out = env.from_string("{{ v }}").render(v="<script>{{ 7*7 }}</script>")
    assert out == "&lt;script&gt;{{ 7*7 }}&lt;/script&gt;"


def test_plan_rows_group_by_fiche_and_source() -> None:
    lines = [
        Line("1", Payer.ETAT, FundingSource.FIR, Decimal("62334.00")),
        Line("1", Payer.DEPARTEMENT, None, Decimal("124666.00"), valorisation=True),
        Line("6 et 7", Payer.ETAT, FundingSource.BOP304, Decimal("245000.00")),
        Line("6 et 7", Payer.DEPARTEMENT, FundingSource.BOP304, Decimal("245000.00")),
        Line("9", Payer.ETAT, FundingSource.ONDAM, Decimal("478301.00")),
    ]
    fiches = [("9", "ESMS", ["9"]), ("6 et 7", "CRIP", ["6", "7"]), ("1", "EPP", ["1"]),
              ("2", "BSEM", ["3"])]
    plan = plan_rows(2024, fiches, lines, {"1": "EPP", "6": "CRIP"}, {"1": True, "6": True})
    assert [r.fiche_number for r in plan.rows] == ["1", "2", "6 et 7", "9"]
    first = plan.rows[0]
    assert (first.source, first.amounts.etat, first.amounts.departement) == (
        FundingSource.FIR, Decimal("62334.00"), Decimal("124666.00"))
    assert plan.rows[1].source is None and plan.rows[1].amounts.total == 0
    assert plan.rows[2].objectives == "6, 7" and plan.rows[2].mandatory
    assert list(plan.by_source) == [FundingSource.BOP304, FundingSource.FIR, FundingSource.ONDAM]
    assert plan.by_source[FundingSource.ONDAM].etat == Decimal("478301.00")
    assert plan.total.etat == Decimal("785635.00")
    assert plan.total.valorisation == Decimal("124666.00")


def test_the_gap_is_achieved_minus_target_over_target() -> None:
    """The Saône-et-Loire EPP indicator: 6.6 % achieved for a 20 % target is −67 %."""
    assert gap(Decimal("20"), Decimal("6.6")) == (Decimal("-67.0"), "-67\u00a0%")
    assert gap(Decimal("500"), Decimal("787")) == (Decimal("57.4"), "+57,4\u00a0%")
    assert gap(Decimal("10"), Decimal("10")) == (Decimal("0.0"), "0\u00a0%")
    assert gap(Decimal("0"), Decimal("12")) == (None, "sans objet")


@pytest.mark.parametrize(("note", "text"), [("NR", "non renseigné"), ("ND", "non disponible"),
                                            ("Données en cours de consolidation",
                                             "Données en cours de consolidation")])
def test_a_value_written_as_nr_nd_or_text_is_shown_not_counted(note: str, text: str) -> None:
    assert attainment(Decimal("20"), None, note) == (None, text)
    assert gap(Decimal("20"), None, note) == (None, text)


@pytest.mark.parametrize(("written", "stored"), [
    ("12", (Decimal("12"), None)), ("6,6", (Decimal("6.6"), None)), ("1 250", (Decimal("1250"), None)),
    ("nr", (None, "NR")), (" ND ", (None, "ND")), ("en cours", (None, "en cours")), (None, (None, None))])
def test_achieved_values_are_read_as_the_departements_write_them(
        written: str | None, stored: tuple[Decimal | None, str | None]) -> None:
    assert split_achieved(IndicatorValueIn(year=2024, achieved=written).achieved) == stored
