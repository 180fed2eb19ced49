"""The documents' legal wording as data, the contract's period, the annex checks: pure rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cdppe.domain.annexes import compare_envelopes
from cdppe.domain.campaigns import load_campaign
from cdppe.domain.legal import contract_period, legal_view, number_in_words, period_label
from models.contract_file import BudgetLineIn
from models.enums import DeliberatingBody, FundingSource

BOP, FIR, ONDAM = FundingSource.BOP304, FundingSource.FIR, FundingSource.ONDAM


def test_nothing_given_means_nothing_invented() -> None:
    view = legal_view(None, None, 2031)
    assert view.body(0) is DeliberatingBody.CONSEIL and view.body(1) is DeliberatingBody.CONSEIL
    assert (view.commissions, view.visas, view.preamble) == ((), (), ())
    assert view.credits is None and view.receipts is None
    assert view.civilite("prefet") == "" and view.instruction_date is None
    assert [law.citation for law in view.laws] == [
        "la loi de finances pour 2031", "la loi de financement de la sécurité sociale pour 2031"]


def test_the_campaign_cites_its_laws_and_the_departement_overrides_them() -> None:
    campaign = load_campaign(2024)
    view = legal_view({}, campaign, 2024)
    assert view.instruction_date == date(2024, 8, 14)
    assert view.laws[0].citation == "la loi n° 2023-1322 du 29 décembre 2023 de finances pour 2024"
    law = {"number": "2022-1726", "date": "2022-12-30", "title": "de finances pour 2023"}
    own = legal_view({"laws": [law], "bodies": {"avenant": "commission_permanente"},
                      "civilites": {"departement": "Madame"}}, campaign, 2024)
    assert [law.citation for law in own.laws] == [
        "la loi n° 2022-1726 du 30 décembre 2022 de finances pour 2023"]
    assert own.body(0) is DeliberatingBody.CONSEIL and own.body(2) is DeliberatingBody.COMMISSION_PERMANENTE
    assert own.civilite("departement") == "Madame" and own.abbreviation("departement") == "Mme"
    assert own.president == "Mme la Présidente" and own.abbreviation("prefet") == ""
    assert legal_view({"civilites": {"departement": "Monsieur"}}, None, 2024).president == "M. le Président"
    assert view.president == ""  # no civilité given: the documents name the function alone


def test_an_unreadable_section_counts_as_absent() -> None:
    assert legal_view({"bodies": {"contrat": "assemblée"}}, None, 2024).body(0) is DeliberatingBody.CONSEIL


@pytest.mark.parametrize(("line", "phrase"), [
    ({"programme": "P", "operation": "Frais de personnel", "chapitre": "012"},
     "sur le programme « P », l'opération « Frais de personnel », chapitre 012"),
    ({"operation": "Participation de l'Etat", "article": "74718"},
     "sur l'opération « Participation de l'Etat », article 74718"),
    ({"programme": "P", "fonction": "51", "complement": "et les opérations concernées"},
     "sur le programme « P », fonction 51 et les opérations concernées"),
])
def test_an_imputation_reads_as_the_deliberations_write_it(line: dict[str, str], phrase: str) -> None:
    assert BudgetLineIn.model_validate(line).phrase == phrase


@pytest.mark.parametrize(("first", "generation", "year", "label"), [
    (2024, "2024", 2024, "2024"),
    (2024, "2024", 2025, "2024-2025"),  # a one-year contract continued: the 2025 documents
    (2025, "2025-2027", 2025, "2025-2027"),  # a multi-year contract, from its first year
    (2025, "2025-2027", 2027, "2025-2027"),
    (2020, "2020-2022", 2023, "2020-2023"),
    (2024, "inconnue", 2024, "2024"),
])
def test_a_document_states_its_own_exercices_period(first: int, generation: str, year: int,
                                                     label: str) -> None:
    assert period_label(*contract_period(first, generation, year)) == label


@pytest.mark.parametrize(("n", "words"), [
    (1, "un"), (6, "six"), (9, "neuf"), (12, "douze"), (15, "quinze"), (17, "dix-sept"), (21, "vingt et un"),
    (29, "vingt-neuf"), (71, "soixante et onze"), (80, "quatre-vingts"), (81, "quatre-vingt-un"),
    (99, "quatre-vingt-dix-neuf"), (100, "100"),
])
def test_counts_in_words(n: int, words: str) -> None:
    assert number_in_words(n) == words


def test_an_annex_that_does_not_total_its_article_names_both_figures() -> None:
    assert compare_envelopes("l'article 1", {BOP: Decimal("10"), FIR: Decimal("5")}, "le plan",
                             {BOP: Decimal("10"), FIR: Decimal("5"), ONDAM: Decimal("0")}) == []
    found = compare_envelopes("l'article 1", {BOP: Decimal("4250.40"), FIR: Decimal("3000")}, "le plan",
                              {BOP: Decimal("3000"), FIR: Decimal("3000")})
    assert [(m.what, m.article_amount, m.annex_amount) for m in found] == [
        ("BOP 304", Decimal("4250.40"), Decimal("3000")), ("total État", Decimal("7250.40"), Decimal("6000"))]
    assert found[0].message == ("BOP 304 : l'article 1 porte 4\u202f250,40\u00a0€, le plan totalise "
                                "3\u202f000\u00a0€")
