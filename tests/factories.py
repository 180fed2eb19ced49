"""Small valid contract files built in code, so rule tests do not depend on the examples; and the
examples themselves, read once per test session."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from cdppe.domain.catalogue import load_catalogue
from cdppe.services.contract_io import load_yaml, read_contract_file
from models.contract_file import ContractFile
from tests.conftest import EXAMPLES


@cache
def _example_file(name: str) -> ContractFile:
    return read_contract_file(EXAMPLES / name)


@cache
def _example_data(name: str) -> Any:
    return load_yaml(EXAMPLES / name)


def example_file(name: str) -> ContractFile:
    """``read_contract_file(EXAMPLES / name)``, parsed once per session (the pure-Python YAML parse
    of an example takes about 0.2 s): each call gets its own deep copy, free to change."""
    return _example_file(name).model_copy(deep=True)


def example_data(name: str) -> Any:
    """``load_yaml(EXAMPLES / name)``, read once per session; each call gets its own deep copy."""
    return copy.deepcopy(_example_data(name))


def person(name: str, email: str) -> dict[str, Any]:
    return {"name": name, "email": email}


def minimal_contract(generation: str = "2024", year: int = 2024) -> dict[str, Any]:
    """One fiche per mandatory objective, each 1 000 € FIR or BOP 304 matched by the Département."""
    catalogue = load_catalogue(generation)
    mandatory = catalogue.mandatory_numbers
    fiches = []
    for i, number in enumerate(mandatory):
        source = "FIR" if i % 2 == 0 else "BOP304"
        fiches.append({
            "number": str(i + 1),
            "objectives": [number],
            "title": f"Action pour l'objectif {number}",
            "money": [
                {"exercice": year, "payer": "etat", "source": source, "amount": "1000.00"},
                {"exercice": year, "payer": "departement", "source": source, "amount": "1000.00",
                 "valorisation": True},
            ],
        })
    fir = sum(1000 for i in range(len(mandatory)) if i % 2 == 0)
    bop = sum(1000 for i in range(len(mandatory)) if i % 2 == 1)
    fiches.append({
        "number": "99", "objectives": [mandatory[0]], "title": "Places ESMS",
        "money": [{"exercice": year, "payer": "etat", "source": "ONDAM", "amount": "500.00"}],
    })
    return copy.deepcopy({
        "departement": {"code": "71", "name": "Saône-et-Loire"},
        "generation": generation,
        "title": f"Contrat de test {year}",
        "parties": {
            "prefet": {"organisation": "Préfecture", "signatory": person("Préfet", "prefet@example.org")},
            "ars": {"organisation": "ARS", "signatory": person("DG ARS", "dg@ars.example.org")},
            "departement": {
                "organisation": "Conseil départemental",
                "signatory": person("Président", "president@cd.example.org"),
                "contacts": [person("Cheffe PMI", "pmi@cd.example.org")],
            },
        },
        "coordinator": person("Coordination", "coordination@example.org"),
        "payment_terms": {
            "account_name": "Paierie départementale", "iban": "FR76 0000 0000 0000",
            "bop304_ordonnateur": "le Préfet", "bop304_comptable": "le Payeur départemental",
            "fir_ordonnateur": "le DG de l'ARS", "fir_comptable": "l'agent comptable de l'ARS",
        },
        "exercices": [{
            "year": year,
            "envelope": {"bop304": f"{bop}.00", "fir": f"{fir}.00", "ondam": "500.00",
                         "state_total": f"{bop + fir + 500}.00",
                         "departement_share": f"{bop + fir}.00"},
            "planned_council_session": f"{year}-11-22",
            "planned_signature": f"{year}-12-16",
        }],
        "objectives": [{"number": n, "mandatory": True} for n in mandatory],
        "fiches": fiches,
    })


def with_next_year(data: dict[str, Any], year: int = 2025) -> dict[str, Any]:
    """The contract file covering ``year`` too: its first exercice's envelope and money again."""
    second = dict(copy.deepcopy(data["exercices"][0]), year=year, planned_council_session=f"{year}-06-20",
                  planned_signature=f"{year}-07-15")
    second.pop("milestones", None)
    data["exercices"].append(second)
    first = data["exercices"][0]["year"]
    for fiche in data["fiches"]:
        fiche["money"] += [dict(m, exercice=year) for m in fiche["money"] if m["exercice"] == first]
    return data
