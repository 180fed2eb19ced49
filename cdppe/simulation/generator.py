"""Generated contract files: realistic fiches, amounts and contacts, deterministic from a seed.

Every Département gets one contract with two exercices: the simulated year and
the year before (its history, which the avenant's carry-over comes from). The
example contracts are used for their Départements when they cover the
simulated year; they then get the same year of history added.
"""

from __future__ import annotations

import copy
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from cdppe.core import paths
from cdppe.domain.catalogue import CatalogueObjective, load_catalogue
from cdppe.services.contract_io import load_yaml, parse_contract
from cdppe.simulation.departements import DEPARTEMENTS, Departement

EXAMPLES_DIR = paths.EXAMPLES_DIR
EXAMPLES = ("creuse-2025-2027.yaml", "saone-et-loire-2024.yaml")

FIRST_NAMES = ("Camille", "Claire", "Julien", "Nathalie", "Thomas", "Sophie", "Éric", "Isabelle",
               "Mathieu", "Valérie", "Nicolas", "Sandrine", "Olivier", "Hélène", "Pierre", "Anne",
               "François", "Catherine", "Laurent", "Émilie", "Sébastien", "Aurélie", "David", "Céline")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Lefèbvre", "Michel", "Garcia", "David",
              "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
              "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure")
PARTNERS = ("CAF", "CPAM", "Éducation nationale", "maternités du territoire", "PMI", "associations "
            "de protection de l'enfance", "MDPH", "centres hospitaliers", "PJJ", "missions locales")
ACTION_VERBS = ("Renforcer", "Développer", "Structurer", "Généraliser", "Consolider", "Déployer")


def generation_for(year: int) -> str:
    if year >= 2025:
        return "2025-2027"
    if year == 2024:
        return "2024"
    return "2020-2022"


def _ascii(text: str) -> str:
    """``Île-de-France`` → ``ile-de-france``: e-mail addresses stay ASCII."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "-").replace("'", "-")


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@dataclass
class SimulatedPerson:
    name: str
    email: str
    title: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "email": self.email}
        if self.title:
            out["title"] = self.title
        return out


def _person(rng: random.Random, domain: str, title: str, prefix: str | None = None) -> SimulatedPerson:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    local = prefix or f"{_ascii(first)}.{_ascii(last)}"
    return SimulatedPerson(f"{first} {last}", f"{local}@{domain}", title)


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` euros in ``parts`` shares of at least 1 000 €, multiples of 100 €."""
    weights = [rng.uniform(0.5, 2.0) for _ in range(parts)]
    scale = sum(weights)
    shares = [max(10, int(total * w / scale / 100)) * 100 for w in weights]
    shares[-1] += total - sum(shares)
    return shares


def generate_contract(dept: Departement, year: int, seed: int) -> dict[str, Any]:
    """A valid contract file (as a dict) for ``dept`` with exercices ``year - 1`` and ``year``.

    The draws from ``rng`` happen in one fixed order (objectives, fiches, signatories, exercices,
    contacts, bank details), so a seed gives the same file every time.
    """
    rng = random.Random(f"{seed}:{dept.code}:{year}")
    generation = generation_for(year)
    catalogue = load_catalogue(generation)
    years = (year - 1, year)
    slug = dept.slug
    gouv, cd = f"{slug}.example.gouv.fr", f"{slug}.example.fr"
    ars_domain = f"ars-{_ascii(dept.region_name)}.example.fr"
    optional = [o for o in catalogue.objectives if not o.mandatory]
    count = max(catalogue.min_optional, min(len(optional), rng.randint(2, 5)))
    chosen = rng.sample(optional, k=count)
    objectives = sorted([o for o in catalogue.objectives if o.mandatory] + chosen,
                        key=lambda o: int(o.number))
    ondam_objective = "13" if generation == "2025-2027" else None

    # Envelopes scale with the population (thousands): about 0.6 to 0.9 € per inhabitant and year.
    per_capita = Decimal(rng.randint(550, 900)) / 1000
    state_total = int(dept.population_k * 1000 * per_capita) // 1000 * 1000
    state_total = max(state_total, 90_000)
    fiche_objectives = [o for o in objectives if o.number != ondam_objective]
    shares = _split(rng, state_total, len(fiche_objectives))
    fiches: list[dict[str, Any]] = []
    indicators: list[dict[str, Any]] = []
    envelope = {y: {"BOP304": Decimal(0), "FIR": Decimal(0), "ONDAM": Decimal(0)} for y in years}
    for index, (objective, share) in enumerate(zip(fiche_objectives, shares, strict=True)):
        fiche, indicator = _fiche(rng, dept, objective, index, share, years, cd, envelope)
        fiches.append(fiche)
        indicators.append(indicator)
    if ondam_objective is not None:
        fiches.append(_ondam_fiche(ondam_objective, state_total, len(fiches) + 1, years, envelope))
    signatories = {
        "prefet": _person(rng, gouv, f"Préfet de {dept.name}", "prefet"),
        "ars": _person(rng, ars_domain, f"Directeur général de l'ARS {dept.region_name}",
                       "directeur-general"),
        "departement": _person(rng, cd, f"Président du conseil départemental de {dept.name}", "president")}
    budget_required = state_total > 1_000_000
    exercices = _exercices(rng, years, envelope, budget_required)
    return {
        "schema_version": 1,
        "departement": {"code": dept.code, "name": dept.name},
        "generation": generation,
        "title": f"Contrat départemental de prévention et de protection de l'enfance {generation} – "
                 f"{dept.name}",
        "parties": _parties(rng, dept, signatories, gouv, cd, ars_domain, budget_required),
        "coordinator": {"name": "Coordination nationale CDPPE",
                        "title": "Coordinateur de la contractualisation",
                        "email": "coordination-cdppe@example.gouv.fr"},
        "payment_terms": _payment_terms(rng, dept),
        "exercices": exercices,
        "objectives": [{"number": o.number, "mandatory": o.mandatory, "title": o.title} for o in objectives],
        "fiches": fiches,
        "indicators": indicators,
    }


def _fiche(rng: random.Random, dept: Departement, objective: CatalogueObjective, index: int, share: int,
           years: tuple[int, int], cd: str, envelope: dict[int, dict[str, Decimal]],
           ) -> tuple[dict[str, Any], dict[str, Any]]:
    """One fiche for ``objective`` with its money for both years, last year's execution, its indicator."""
    year = years[1]
    number = str(index + 1) if rng.random() > 0.15 else f"{index + 1}-1"
    source = "FIR" if int(objective.number) in (1, 2, 3, 4) and rng.random() < 0.7 else "BOP304"
    referent = _person(rng, cd, "Référent de la fiche")
    partners = ", ".join(rng.sample(PARTNERS, k=3))
    money: list[dict[str, Any]] = []
    for y in years:
        etat = Decimal(share if y == year else share - share % 1000 or share)
        dept_amount = (etat * Decimal(rng.randint(100, 160)) / 100).quantize(Decimal("1"))
        money.append({"exercice": y, "payer": "etat", "source": source, "amount": _money(etat)})
        money.append({"exercice": y, "payer": "departement", "source": source,
                      "amount": _money(dept_amount), "valorisation": rng.random() < 0.6})
        envelope[y][source] += etat
    execution = [_execution(rng, Decimal(share - share % 1000 or share), years[0], partners)]
    title = f"{rng.choice(ACTION_VERBS)} : {objective.title}"
    fiche = {
        "number": number, "objectives": [objective.number], "title": title[:200],
        "referent": referent.name,
        "constat": f"Le diagnostic partagé de {dept.name} montre un besoin sur l'objectif "
                   f"n° {objective.number}.",
        "objectif_operationnel": f"Atteindre la cible nationale de l'objectif n° {objective.number} "
                                 f"d'ici la fin du contrat.",
        "description": f"Action conduite par le Département avec les {partners}.",
        "partners": partners, "calendar": f"{years[0]}-{year}",
        "indicators_text": "Voir le tableau de bord.",
        "vigilance": rng.choice(("Recrutements", "Disponibilité des partenaires",
                                 "Systèmes d'information")),
        "money": money, "execution": execution}
    baseline = rng.randint(20, 400)
    indicator = {
        "code": f"IND-{index + 1:02d}", "label": f"Indicateur de l'objectif n° {objective.number}",
        "unit": rng.choice(("nombre", "%")), "objective": objective.number, "fiche": number,
        "baseline_year": years[0] - 1, "baseline_value": str(baseline),
        "values": [{"year": y, "target": str(baseline + 10 * (i + 1)),
                    "achieved": str(baseline + rng.randint(0, 12) * (i + 1)) if y < year else None}
                   for i, y in enumerate(years)]}
    return fiche, indicator


def _execution(rng: random.Random, previous_etat: Decimal, previous_year: int,
               partners: str) -> dict[str, Any]:
    """Last year's execution of a fiche: mostly implemented, some late or abandoned, never overspent."""
    roll = rng.random()
    status = ("implemented" if roll < 0.6 else "in_progress" if roll < 0.8 else
              "delayed" if roll < 0.93 else "abandoned")
    consumed = previous_etat if status == "implemented" else (
        previous_etat * Decimal(rng.randint(35, 90)) / 100).quantize(Decimal("0.01"))
    if status == "abandoned":
        consumed = Decimal("0.00")
    return {
        "exercice": previous_year, "status": status,
        "start_date": date(previous_year, rng.randint(1, 6), rng.randint(1, 28)).isoformat(),
        "duration": rng.choice(("12 mois", "18 mois", "pluriannuelle")),
        "reason": None if status in ("implemented", "in_progress") else rng.choice((
            "recrutement différé", "partenaire indisponible", "réorganisation du service")),
        "assessment": f"Action {'menée' if status == 'implemented' else 'engagée'} avec les {partners}.",
        "outlook": "Poursuite et évaluation en lien avec l'ODPE.",
        "consumed_etat": _money(consumed)}


def _ondam_fiche(objective: str, state_total: int, number: int, years: tuple[int, int],
                 envelope: dict[int, dict[str, Decimal]]) -> dict[str, Any]:
    """The 2025-2027 generation's ONDAM objective: places funded by the health insurance, no co-funding."""
    amount = Decimal(max(50_000, state_total // 4 // 1000 * 1000))
    for y in years:
        envelope[y]["ONDAM"] += amount
    return {
        "number": str(number), "objectives": [objective],
        "title": "Places et dispositifs ASE / handicap en établissements (ONDAM)",
        "referent": "Délégation départementale de l'ARS", "partners": "ESMS, MDPH",
        "money": [{"exercice": y, "payer": "etat", "source": "ONDAM", "amount": _money(amount)}
                  for y in years]}


def _exercices(rng: random.Random, years: tuple[int, int], envelope: dict[int, dict[str, Decimal]],
               budget_required: bool) -> list[dict[str, Any]]:
    exercices = []
    for y in years:
        council = _weekday(date(y, 2, 1) + timedelta(days=rng.randint(10, 55)))
        env = envelope[y]
        exercices.append({
            "year": y,
            "envelope": {"bop304": _money(env["BOP304"]), "fir": _money(env["FIR"]),
                         "ondam": _money(env["ONDAM"]),
                         "state_total": _money(env["BOP304"] + env["FIR"] + env["ONDAM"]),
                         "departement_share": _money(env["BOP304"] + env["FIR"])},
            "reference_year": y - 1,
            "planned_council_session": council.isoformat(),
            "planned_signature": _weekday(council + timedelta(days=rng.randint(28, 45))).isoformat(),
            "budget_controller_required": budget_required})
    return exercices


def _parties(rng: random.Random, dept: Departement, signatories: dict[str, SimulatedPerson], gouv: str,
             cd: str, ars_domain: str, budget_required: bool) -> dict[str, Any]:
    parties: dict[str, Any] = {
        "prefet": {"organisation": f"Préfecture de {dept.name}", "signatory": signatories["prefet"].as_dict(),
                   "contacts": [_person(rng, gouv, "Référente protection de l'enfance, DDETS").as_dict()]},
        "ars": {"organisation": f"Agence régionale de santé {dept.region_name}",
                "signatory": signatories["ars"].as_dict(),
                "contacts": [_person(rng, ars_domain, f"Délégation départementale ({dept.code})").as_dict()]},
        "departement": {"organisation": f"Département de {dept.name}",
                        "signatory": signatories["departement"].as_dict(),
                        "contacts": [_person(rng, cd, "Direction de l'enfance et de la famille").as_dict(),
                                     _person(rng, cd, "Cheffe de service PMI").as_dict()]},
    }
    if budget_required:
        parties["budget_controller"] = _person(rng, f"dgfip-{dept.region.lower()}.example.gouv.fr",
                                               "Contrôleur budgétaire en région").as_dict()
    return parties


def _payment_terms(rng: random.Random, dept: Departement) -> dict[str, str]:
    return {
        "account_name": f"Paierie départementale de {dept.name}",
        "iban": f"FR76 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)} "
                f"{rng.randint(1000, 9999)} {rng.randint(1000, 9999)} {rng.randint(100, 999)}",
        "bop304_ordonnateur": f"le Préfet de {dept.name}",
        "bop304_comptable": f"le Payeur départemental de {dept.name}",
        "fir_ordonnateur": f"le directeur général de l'ARS {dept.region_name}",
        "fir_comptable": f"l'agent comptable de l'ARS {dept.region_name}"}


def with_history(data: dict[str, Any], year: int, seed: int) -> dict[str, Any]:
    """An example contract with the year before ``year`` added (same envelope, reported execution)."""
    if any(e["year"] == year - 1 for e in data["exercices"]):
        return data
    rng = random.Random(f"{seed}:{data['departement']['code']}:history")
    out = copy.deepcopy(data)
    current = next(e for e in out["exercices"] if e["year"] == year)
    previous = copy.deepcopy(current)
    previous["year"] = year - 1
    previous.pop("milestones", None)
    for key in ("planned_council_session", "planned_signature"):
        if previous.get(key):
            planned = date.fromisoformat(str(previous[key]))
            previous[key] = planned.replace(year=year - 1).isoformat()
    if previous.get("reference_year"):
        previous["reference_year"] = year - 2
    out["exercices"] = [previous, *out["exercices"]]
    for fiche in out["fiches"]:
        lines = [dict(m, exercice=year - 1) for m in fiche.get("money", []) if m["exercice"] == year]
        fiche["money"] = lines + list(fiche.get("money", []))
        etat = sum((Decimal(str(m["amount"])) for m in lines
                    if m["payer"] == "etat" and m.get("source") in ("BOP304", "FIR")), Decimal(0))
        if etat and not any(e["exercice"] == year - 1 for e in fiche.get("execution", [])):
            used = (etat * Decimal(rng.randint(55, 100)) / 100).quantize(Decimal("0.01"))
            fiche.setdefault("execution", []).append({
                "exercice": year - 1, "status": "implemented" if used == etat else "in_progress",
                "consumed_etat": _money(used)})
    return out


def load_examples(year: int, seed: int) -> dict[str, dict[str, Any]]:
    """The example contracts that cover ``year``, by Département code, with their history."""
    out = {}
    for name in EXAMPLES:
        data = load_yaml(EXAMPLES_DIR / name)
        if any(e["year"] == year for e in data["exercices"]):
            out[str(data["departement"]["code"])] = with_history(data, year, seed)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def select_departements(count: int) -> list[Departement]:
    """The Départements of the examples first, then INSEE order: the same N for the same count."""
    first = [d for d in DEPARTEMENTS if d.code in ("23", "71")]
    rest = [d for d in DEPARTEMENTS if d.code not in ("23", "71")]
    return (first + rest)[:count]


def scenario_contracts(count: int, year: int, seed: int, out_dir: Path | None = None,
                       ) -> list[dict[str, Any]]:
    """The contract files of the simulation, validated; written as YAML in ``out_dir`` if given."""
    if not 1 <= count <= len(DEPARTEMENTS):
        raise ValueError(f"nombre de Départements entre 1 et {len(DEPARTEMENTS)} (demandé : {count})")
    examples = load_examples(year, seed)
    contracts = []
    for dept in select_departements(count):
        data = _jsonable(examples.get(dept.code) or generate_contract(dept, year, seed))
        parse_contract(data, f"{dept.code}")  # raises RuleViolationError: a generator bug
        contracts.append(data)
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / f"{dept.code}.yaml").write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return contracts
