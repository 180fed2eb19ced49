"""Contract data for document tests: statuses, indicators, hostile text."""

from __future__ import annotations

from typing import Any

from tests.factories import minimal_contract

HOSTILE = "<script>alert('x')</script> {{ 7*7 }} {% if true %}oui{% endif %} & <b>gras</b>"


def reported_contract() -> dict[str, Any]:
    """Seven fiches: implemented, delayed, abandoned, in progress, and three without a report."""
    data = minimal_contract()
    fiches = data["fiches"]
    fiches[0]["description"] = "Recrutement d'une sage-femme\nEntretiens prénataux précoces"
    fiches[0]["execution"] = [{
        "exercice": 2024, "status": "implemented", "start_date": "2024-03-01", "duration": "2024",
        "assessment": "Objectif atteint.", "outlook": "Poursuite de l'action.",
        "consumed_etat": "900.00"}]
    fiches[1]["execution"] = [{"exercice": 2024, "status": "delayed",
                               "reason": "recrutement tardif du chargé de mission"}]
    fiches[2]["execution"] = [{"exercice": 2024, "status": "abandoned",
                               "reason": "la Cour de cassation met un terme au placement à domicile"}]
    fiches[3]["execution"] = [{"exercice": 2024, "status": "in_progress", "consumed_etat": "400.00"}]
    data["indicators"] = [
        {"code": "EPP", "label": "Part des femmes enceintes ayant bénéficié d'un EPP", "unit": "%",
         "objective": "1", "fiche": "1", "baseline_year": 2023, "baseline_value": "6.4",
         "values": [{"year": 2024, "target": "20", "achieved": "6.6"}]},
        {"code": "BSEM", "label": "Nombre de BSEM réalisés", "objective": "3", "fiche": "3",
         "values": [{"year": 2024, "target": "0", "achieved": "787"}]},
        {"code": "VAD", "label": "Femmes ayant bénéficié d'une VAD", "objective": "2",
         "values": [{"year": 2024, "achieved": "188"}]},
        {"code": "CONS", "label": "Enfants vus en consultation", "objective": "4",
         "values": [{"year": 2024, "target": "500"}]},
    ]
    return data


def hostile_contract() -> dict[str, Any]:
    """Template and HTML syntax in every free-text field a document prints."""
    data = reported_contract()
    data["title"] = f"Contrat {HOSTILE}"
    data["parties"]["departement"]["signatory"]["name"] = f"Président {HOSTILE}"
    data["payment_terms"]["account_name"] = f"Paierie {HOSTILE}"
    fiche = data["fiches"][0]
    for name in ("title", "referent", "constat", "description", "partners", "vigilance"):
        fiche[name] = f"{name} {HOSTILE}"
    fiche["execution"][0]["assessment"] = f"Bilan {HOSTILE}"
    data["indicators"][0]["label"] = f"Indicateur {HOSTILE}"
    return data
