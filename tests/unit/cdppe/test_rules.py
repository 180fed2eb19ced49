"""Each rule refuses bad input with the field path and expected vs actual."""

from __future__ import annotations

from typing import Any

import pytest

from cdppe.domain import campaigns
from cdppe.domain.campaigns import Campaign
from cdppe.domain.rules import RuleViolationError, contract_findings
from cdppe.services.contract_io import parse_contract
from models.enums import PolicyMode, PolicyRule
from tests.factories import minimal_contract


def violations(data: dict[str, Any]) -> list[str]:
    with pytest.raises(RuleViolationError) as info:
        parse_contract(data)
    return [str(v) for v in info.value.violations]


def test_minimal_contract_is_valid() -> None:
    cf = parse_contract(minimal_contract())
    assert cf.key == "71-2024"


def test_fir_lines_not_adding_up() -> None:
    data = minimal_contract()
    data["exercices"][0]["envelope"]["fir"] = "999999.00"
    found = violations(data)
    assert any(v.startswith("exercices[0] (2024).envelope.fir : la somme des lignes État FIR")
               for v in found), found
    # the declared totals are checked too: one line per broken rule
    assert any("envelope.state_total" in v for v in found)
    assert any("envelope.departement_share" in v for v in found)


def test_cofinancing_below_the_state_is_a_finding_not_a_refusal() -> None:
    data = minimal_contract()
    fiche = data["fiches"][0]
    fiche["money"][1]["amount"] = "400.00"
    cf = parse_contract(data)  # the parties may sign it: no refusal
    objective = fiche["objectives"][0]
    [finding] = contract_findings(cf)
    assert finding.rule is PolicyRule.COFINANCING and finding.year == 2024
    assert finding.key == f"cofinancement/2024/{objective}"
    text = str(finding)
    assert text.startswith(f"objectif n° {objective} (2024) : le Département apporte moins que l'État")
    assert "attendu : ≥ 1\u202f000\u00a0€" in text and "trouvé : 400\u00a0€" in text


def test_a_campaign_that_refuses_cofinancing_findings_refuses_the_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = minimal_contract()
    data["fiches"][0]["money"][1]["amount"] = "400.00"
    refusing = Campaign(year=2024, instruction="instruction de test",
                        policy={PolicyRule.COFINANCING: PolicyMode.REFUSE})
    monkeypatch.setattr(campaigns, "load_campaign", lambda year: refusing if year == 2024 else None)
    [line] = [v for v in violations(data) if "cofinancement" in v or "Département apporte" in v]
    assert "refusé par la campagne 2024" in line and "trouvé : 400\u00a0€" in line


def test_own_spending_below_the_reference_year_is_a_finding() -> None:
    data = minimal_contract()
    data["exercices"][0].update(reference_year=2023, own_spending_reference="1000000.00",
                                own_spending_planned="999999.99")
    [finding] = contract_findings(parse_contract(data))
    assert finding.rule is PolicyRule.MAINTENANCE_OF_EFFORT
    assert "année de référence 2023" in finding.message and finding.actual == "999\u202f999,99\u00a0€"
    data["exercices"][0]["own_spending_planned"] = "1000000.00"
    assert contract_findings(parse_contract(data)) == []


def test_ondam_only_objective_needs_no_departement_money() -> None:
    data = minimal_contract()
    # fiche 99 is ONDAM only, with no Département line: still valid
    assert data["fiches"][-1]["money"][0]["source"] == "ONDAM"
    parse_contract(data)


def test_deliberation_after_signature_is_refused() -> None:
    data = minimal_contract()
    data["exercices"][0]["milestones"] = {
        "council_session_date": "2024-12-20",
        "signatures": {"prefet": "2024-12-10"},
    }
    found = violations(data)
    assert any(v.startswith("exercices[0] (2024).milestones.signatures.prefet : la signature ne "
                            "peut précéder la délibération") for v in found), found


def test_missing_mandatory_objective() -> None:
    data = minimal_contract()
    removed = data["fiches"].pop(1)
    found = violations(data)
    assert any(f"objectives[{removed['objectives'][0]}] : objectif obligatoire couvert par aucune"
               in v for v in found), found


def test_every_violation_reported_at_once() -> None:
    data = minimal_contract()
    data["exercices"][0]["envelope"]["fir"] = "1.00"
    data["fiches"][0]["money"][1]["amount"] = "1.00"
    data["fiches"][1]["number"] = "13--2"
    found = violations(data)
    assert len(found) >= 3
    assert any("fiches[1].number" in v for v in found)


def test_schema_errors_have_paths() -> None:
    data = minimal_contract()
    data["fiches"][0]["money"][0]["amount"] = "12.345"
    data["coordinator"]["email"] = "pas-une-adresse"
    found = violations(data)
    assert any(v.startswith("fiches[0].money[0].amount") and "plus de deux décimales" in v
               for v in found), found
    assert any(v.startswith("coordinator.email") for v in found), found


def test_header_injection_in_names_is_refused() -> None:
    data = minimal_contract()
    data["parties"]["departement"]["contacts"][0]["name"] = "Cheffe\r\nBcc: x@example.org"
    found = violations(data)
    assert any("parties.departement.contacts[0].name" in v for v in found), found


def test_two_writings_of_one_fiche_number_are_one_fiche_twice() -> None:
    data = minimal_contract()
    data["fiches"][0]["number"] = "13 a"
    data["fiches"][1]["number"] = "13A"
    found = violations(data)
    assert any(v.startswith("fiches[1].number : numéro de fiche déjà utilisé") and "13A" in v
               and "aussi fiches[0], n° 13 a" in v for v in found), found


def test_an_indicator_names_its_fiche_however_the_number_is_written() -> None:
    data = minimal_contract()
    data["fiches"][0]["number"] = "13 a"
    data["indicators"] = [{"code": "I1", "label": "Entretiens", "fiche": "13A"},
                          {"code": "I2", "label": "Visites", "fiche": "13 b"}]
    found = violations(data)
    assert [v for v in found if v.startswith("indicators")] == [
        "indicators[1] (I2).fiche : fiche inconnue (attendu : un numéro de fiche du contrat, trouvé : 13 b)"]
