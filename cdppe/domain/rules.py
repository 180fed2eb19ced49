"""The rules of the contracts, as plain functions.

Each check returns *every* violation it finds, each with the path of the
offending field and the expected vs actual value, so a file is fixed in one
pass. Rules applied, and how:

- envelope arithmetic: State total = BOP 304 + FIR + ONDAM; Département
  share = BOP 304 + FIR; per exercice and source, the sum of the fiches'
  State money lines equals the envelope;
- policy rules (co-financing per objective, maintenance of effort) are *findings*
  (``cdppe.domain.policy``): reported, and refused only where the exercice's
  campaign says ``refuser``;
- every mandatory objective of the generation is covered by a fiche;
- fiche numbers parse (``13-1``, ``13 a``, ``6 et 7``) and are unique;
- dates in order: convocation ≤ session ≤ @ctes receipt ≤ signatures ≤
  payments; ODPE session ≤ report transmission.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cdppe.core.money import ZERO, format_eur
from cdppe.domain.campaigns import policy_mode
from cdppe.domain.catalogue import Catalogue, UnknownGenerationError, load_catalogue
from cdppe.domain.fiche_numbers import FicheMap, FicheNumberError, parse_fiche_number
from cdppe.domain.policy import Finding, FundedLine, cofinancing_findings, maintenance_findings
from models.contract_file import ContractFile, FicheIn
from models.enums import FundingSource, Payer, PolicyMode
from models.envelope import Envelope, third_party_sums


@dataclass(frozen=True)
class Violation:
    path: str
    message: str
    expected: str | None = None
    actual: str | None = None

    def __str__(self) -> str:
        text = f"{self.path} : {self.message}"
        if self.expected is not None:
            text += f" (attendu : {self.expected}, trouvé : {self.actual})"
        elif self.actual is not None:
            text += f" (trouvé : {self.actual})"
        return text


class RuleViolationError(ValueError):
    """Raised where a write is refused; carries every violation."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__("\n".join(str(v) for v in violations))


def _fiche_path(index: int, fiche: FicheIn) -> str:
    return f"fiches[{index}] (fiche n° {fiche.number})"


def check_envelopes(cf: ContractFile) -> list[Violation]:
    out: list[Violation] = []
    for i, ex in enumerate(cf.exercices):
        env = ex.envelope
        path = f"exercices[{i}] ({ex.year}).envelope"
        envelope = Envelope(env.bop304, env.fir, env.ondam, *third_parties(cf, ex.year))
        total, share = envelope.state_total, envelope.departement_share
        if env.state_total is not None and env.state_total != total:
            out.append(Violation(f"{path}.state_total", "le total État doit valoir BOP 304 + FIR + ONDAM",
                                 format_eur(total), format_eur(env.state_total)))
        if env.departement_share is not None and env.departement_share != share:
            out.append(Violation(f"{path}.departement_share",
                                 "la part du Département doit valoir BOP 304 + FIR, moins les "
                                 "lignes versées directement à des tiers",
                                 format_eur(share), format_eur(env.departement_share)))
        sums: dict[FundingSource, Decimal] = defaultdict(lambda: ZERO)
        for fiche in cf.fiches:
            for line in fiche.money:
                if line.exercice == ex.year and line.payer is Payer.ETAT and line.source:
                    sums[line.source] += line.amount
        for source, declared in ((FundingSource.BOP304, env.bop304), (FundingSource.FIR, env.fir),
                                 (FundingSource.ONDAM, env.ondam)):
            if sums[source] != declared:
                out.append(Violation(
                    f"{path}.{source.value.lower()}",
                    f"la somme des lignes État {source.label} des fiches pour {ex.year} "
                    "doit égaler l'enveloppe",
                    format_eur(declared), format_eur(sums[source])))
    return out


def third_parties(cf: ContractFile, year: int) -> tuple[Decimal, Decimal]:
    """(BOP 304, FIR) the file's State lines of ``year`` pay straight to a named third party."""
    return third_party_sums((line.payer, line.source, line.amount, line.payee)
                            for fiche in cf.fiches for line in fiche.money if line.exercice == year)


def check_money_lines(cf: ContractFile) -> list[Violation]:
    out: list[Violation] = []
    years = {ex.year for ex in cf.exercices}
    for i, fiche in enumerate(cf.fiches):
        for j, line in enumerate(fiche.money):
            path = f"{_fiche_path(i, fiche)}.money[{j}]"
            if line.exercice not in years:
                out.append(Violation(f"{path}.exercice", "exercice absent du contrat",
                                     ", ".join(map(str, sorted(years))), str(line.exercice)))
            if line.amount < ZERO:
                out.append(Violation(f"{path}.amount", "un montant ne peut être négatif",
                                     "≥ 0 €", format_eur(line.amount)))
            if line.payer is Payer.ETAT and line.source is None:
                out.append(Violation(f"{path}.source", "une ligne État doit indiquer son enveloppe",
                                     "BOP304, FIR ou ONDAM", "rien"))
            if line.payee and (line.payer is not Payer.ETAT or line.source is FundingSource.ONDAM):
                out.append(Violation(f"{path}.payee",
                                     "seule une ligne État BOP 304 ou FIR peut être versée à un tiers "
                                     "(l'ONDAM va toujours aux établissements)",
                                     "vide", line.payee))
            if line.payer is Payer.ETAT and line.valorisation:
                out.append(Violation(f"{path}.valorisation",
                                     "seul le Département valorise des moyens existants",
                                     "false", "true"))
    return out


def funded_lines(cf: ContractFile, year: int) -> list[FundedLine]:
    """The file's money lines of one exercice, as the policy rules read them."""
    return [FundedLine(tuple(fiche.objectives), line.payer, line.source, line.amount)
            for fiche in cf.fiches for line in fiche.money if line.exercice == year]


def contract_findings(cf: ContractFile) -> list[Finding]:
    """Every policy rule's finding on the file: shown, and signed only with a recorded reason."""
    out: list[Finding] = []
    for ex in cf.exercices:
        out += cofinancing_findings(ex.year, funded_lines(cf, ex.year))
        out += maintenance_findings(ex.year, reference_year=ex.reference_year,
                                    reference=ex.own_spending_reference, planned=ex.own_spending_planned)
    return out


def refused_findings(findings: list[Finding]) -> list[Violation]:
    """The findings a campaign turns into refusals (``policy:`` of the exercice's campaign)."""
    return [Violation(f.subject, f"{f.message} ; refusé par la campagne {f.year}", f.expected, f.actual)
            for f in findings if policy_mode(f.year, f.rule) is PolicyMode.REFUSE]


def check_objectives(cf: ContractFile, catalogue: Catalogue) -> list[Violation]:
    out: list[Violation] = []
    declared = {o.number for o in cf.objectives}
    seen: set[str] = set()
    for i, obj in enumerate(cf.objectives):
        if obj.number in seen:
            out.append(Violation(f"objectives[{i}].number", "objectif déclaré deux fois",
                                 "une fois", obj.number))
        seen.add(obj.number)
        ref = catalogue.get(obj.number)
        if ref is None:
            out.append(Violation(f"objectives[{i}].number",
                                 f"objectif absent du catalogue {catalogue.generation}",
                                 "un numéro du catalogue", obj.number))
        elif ref.mandatory != obj.mandatory:
            out.append(Violation(f"objectives[{i}].mandatory",
                                 f"le catalogue {catalogue.generation} dit autrement",
                                 str(ref.mandatory).lower(), str(obj.mandatory).lower()))
    covered = {n for f in cf.fiches for n in f.objectives}
    for number in catalogue.mandatory_numbers:
        if number not in covered:
            out.append(Violation(f"objectives[{number}]",
                                 "objectif obligatoire couvert par aucune fiche action",
                                 "au moins une fiche", "aucune"))
    for i, fiche in enumerate(cf.fiches):
        for number in fiche.objectives:
            if number not in declared:
                out.append(Violation(f"{_fiche_path(i, fiche)}.objectives",
                                     "objectif non déclaré dans la liste des objectifs du contrat",
                                     ", ".join(sorted(declared)), number))
    return out


def check_fiche_numbers(cf: ContractFile) -> list[Violation]:
    """Numbers parse and are unique in their normal form: ``13a`` and ``13 a`` are one fiche."""
    out: list[Violation] = []
    seen: FicheMap[int] = FicheMap()
    for i, fiche in enumerate(cf.fiches):
        try:
            parse_fiche_number(fiche.number)
        except FicheNumberError as exc:
            out.append(Violation(f"fiches[{i}].number", str(exc)))
        first = seen.get(fiche.number)
        if first is not None:
            out.append(Violation(f"fiches[{i}].number", "numéro de fiche déjà utilisé",
                                 "un numéro unique",
                                 f"{fiche.number} (aussi fiches[{first}], n° {cf.fiches[first].number})"))
        else:
            seen[fiche.number] = i
    for i, ind in enumerate(cf.indicators):
        if ind.fiche is not None and ind.fiche not in seen:
            out.append(Violation(f"indicators[{i}] ({ind.code}).fiche", "fiche inconnue",
                                 "un numéro de fiche du contrat", ind.fiche))
    return out


def _order(out: list[Violation], path: str, earlier: tuple[str, date | None],
           later: tuple[str, date | None]) -> None:
    (a_name, a), (b_name, b) = earlier, later
    if a is not None and b is not None and a > b:
        out.append(Violation(path, f"{b_name} ne peut précéder {a_name}",
                             f"≥ {a.isoformat()}", b.isoformat()))


def check_dates(cf: ContractFile) -> list[Violation]:
    out: list[Violation] = []
    for i, ex in enumerate(cf.exercices):
        base = f"exercices[{i}] ({ex.year})"
        _order(out, f"{base}.planned_signature",
               ("la séance prévue du conseil", ex.planned_council_session),
               ("la signature prévue", ex.planned_signature))
        m = ex.milestones
        if m is None:
            continue
        p = f"{base}.milestones"
        _order(out, f"{p}.council_session_date", ("la convocation", m.convocation_date),
               ("la séance du conseil", m.council_session_date))
        _order(out, f"{p}.acknowledgement_date", ("la délibération", m.council_session_date),
               ("l'accusé de réception @ctes", m.acknowledgement_date))
        last_signature = max(m.signatures.values(), default=None)
        for role, signed in m.signatures.items():
            _order(out, f"{p}.signatures.{role.value}", ("la délibération", m.council_session_date),
                   ("la signature", signed))
            _order(out, f"{p}.signatures.{role.value}",
                   ("l'accusé de réception @ctes", m.acknowledgement_date), ("la signature", signed))
        for source, paid in m.payments.items():
            _order(out, f"{p}.payments.{source.value}", ("la dernière signature", last_signature),
                   ("le versement", paid))
        _order(out, f"{p}.report_transmitted_on", ("la séance de l'ODPE", m.odpe_session_date),
               ("la transmission du rapport", m.report_transmitted_on))
    years = [ex.year for ex in cf.exercices]
    if len(set(years)) != len(years):
        out.append(Violation("exercices", "exercice déclaré deux fois", "années distinctes",
                             ", ".join(map(str, years))))
    return out


def _duplicates(out: list[Violation], values: list[tuple[str, object]], message: str) -> None:
    seen: set[object] = set()
    for path, value in values:
        if value in seen:
            out.append(Violation(path, message, "une valeur unique", str(value)))
        seen.add(value)


def check_uniqueness(cf: ContractFile) -> list[Violation]:
    """What the database keeps unique, checked first so the file is refused with its field;
    and every exercice a fiche's execution or an indicator's year names is in the contract."""
    out: list[Violation] = []
    years = {ex.year for ex in cf.exercices}
    _duplicates(out, [(f"indicators[{i}].code", ind.code) for i, ind in enumerate(cf.indicators)],
                "code d'indicateur déjà utilisé")
    for i, ind in enumerate(cf.indicators):
        _duplicates(out, [(f"indicators[{i}] ({ind.code}).values[{j}].year", v.year)
                          for j, v in enumerate(ind.values)], "année déjà renseignée pour cet indicateur")
    for i, fiche in enumerate(cf.fiches):
        path = _fiche_path(i, fiche)
        _duplicates(out, [(f"{path}.execution[{j}].exercice", e.exercice)
                          for j, e in enumerate(fiche.execution)],
                    "exécution déjà renseignée pour cet exercice")
        for j, exe in enumerate(fiche.execution):
            if exe.exercice not in years:
                out.append(Violation(f"{path}.execution[{j}].exercice", "exercice absent du contrat",
                                     ", ".join(map(str, sorted(years))), str(exe.exercice)))
        try:
            if len(parse_fiche_number(fiche.number).sort_key) > 80:
                out.append(Violation(f"{path}.number", "numéro de fiche trop découpé"))
        except FicheNumberError:
            pass  # reported by check_fiche_numbers
    return out


def check_contract(cf: ContractFile) -> list[Violation]:
    """Every rule at once; an empty list means the contract is valid."""
    try:
        catalogue = load_catalogue(cf.generation)
    except UnknownGenerationError as exc:
        return [Violation("generation", str(exc))]
    return [
        *check_fiche_numbers(cf),
        *check_objectives(cf, catalogue),
        *check_money_lines(cf),
        *check_envelopes(cf),
        *refused_findings(contract_findings(cf)),
        *check_dates(cf),
        *check_uniqueness(cf),
    ]
