"""The legal and budget wording of the documents, as data: the Département's own, else national defaults.

A Département writes, beside its contract (section ``legal`` of the contract
file), which body votes each deliberation, the commissions it consults, the
visas of its earlier deliberations and contracts, where credits and receipts
are imputed in its budget, its preamble's local paragraphs and the civilités
of the signatories. The campaign gives the instruction's date and the laws of
finances of the year. Where nobody gave a fact, the view holds nothing for it,
and the documents say nothing they cannot know (no invented chapitre, number
or date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from cdppe.core.dates import format_date_fr
from cdppe.domain.campaigns import Campaign
from models.contract_file import BudgetLineIn, LawReference, LegalIn
from models.enums import DeliberatingBody


@dataclass(frozen=True)
class Law:
    number: str | None
    day: date | None
    title: str

    @property
    def citation(self) -> str:
        """``la loi n° 2023-1322 du 29 décembre 2023 de finances pour 2024``; by title when unknown."""
        if self.number and self.day:
            return f"la loi n° {self.number} du {format_date_fr(self.day)} {self.title}"
        return f"la loi {self.title}"


_ABBREVIATIONS = {"Monsieur": "M.", "Madame": "Mme"}


@dataclass(frozen=True)
class LegalView:
    contract_body: DeliberatingBody = DeliberatingBody.CONSEIL
    avenant_body: DeliberatingBody = DeliberatingBody.CONSEIL
    commissions: tuple[str, ...] = ()
    visas: tuple[str, ...] = ()
    preamble: tuple[str, ...] = ()
    credits: BudgetLineIn | None = None
    receipts: BudgetLineIn | None = None
    civilites: dict[str, str] = field(default_factory=dict)
    laws: tuple[Law, ...] = ()
    instruction_date: date | None = None
    first_contract_year: int | None = None

    def body(self, avenant_number: int = 0) -> DeliberatingBody:
        """The body that votes the contract (``avenant_number`` 0) or that avenant."""
        return self.avenant_body if avenant_number else self.contract_body

    def civilite(self, role: str) -> str:
        """``Monsieur`` / ``Madame`` as the Département wrote it, else nothing."""
        return self.civilites.get(role, "")

    def abbreviation(self, role: str) -> str:
        """``M.`` / ``Mme`` before a name, else nothing."""
        return _ABBREVIATIONS.get(self.civilite(role), "")

    @property
    def president(self) -> str:
        """``M. le Président`` / ``Mme la Présidente`` as a deliberation names them; nothing when the
        civilité is not given (the documents then say « le Président du conseil départemental »)."""
        return {"M.": "M. le Président", "Mme": "Mme la Présidente"}.get(self.abbreviation("departement"), "")

    @property
    def commissions_sentence(self) -> str:
        """``la Commission A et celui de la Commission B`` (the real deliberations' wording)."""
        if not self.commissions:
            return ""
        return " et celui de ".join(self.commissions)


def _law(ref: LawReference) -> Law:
    return Law(ref.number, ref.day, ref.title)


def default_laws(year: int) -> tuple[Law, ...]:
    """The year's two laws by their titles: what every Département can cite without a number."""
    return (Law(None, None, f"de finances pour {year}"),
            Law(None, None, f"de financement de la sécurité sociale pour {year}"))


def parse_legal(section: dict[str, Any] | None) -> LegalIn:
    """The stored ``legal`` section; an unreadable one (written by an older version) counts as absent."""
    if not section:
        return LegalIn()
    try:
        return LegalIn.model_validate(section)
    except ValidationError:
        return LegalIn()


def legal_view(section: dict[str, Any] | None, campaign: Campaign | None, year: int) -> LegalView:
    """The wording of one exercice's documents: the Département's, the campaign's, then the defaults."""
    legal = parse_legal(section)
    if legal.laws:
        laws = tuple(_law(ref) for ref in legal.laws)
    elif campaign is not None and campaign.laws:
        laws = tuple(_law(ref) for ref in campaign.laws)
    else:
        laws = default_laws(year)
    return LegalView(
        contract_body=legal.bodies.contrat, avenant_body=legal.bodies.avenant,
        commissions=tuple(legal.commissions), visas=tuple(legal.visas), preamble=tuple(legal.preamble),
        credits=legal.credits, receipts=legal.receipts,
        civilites={role.value: civ for role, civ in legal.civilites.items()}, laws=laws,
        instruction_date=campaign.instruction_date if campaign else None,
        first_contract_year=legal.first_contract_year)


_PERIOD = re.compile(r"^\s*(\d{4})\s*(?:[-–]\s*(\d{4}))?\s*$")


def contract_period(first_year: int, generation: str, year: int) -> tuple[int, int]:
    """The years a document of exercice ``year`` says its contract covers.

    The contract's declared period (its generation, ``2025-2027`` or ``2024``), stretched to
    ``year`` when an exercice was opened beyond it: a document of 2024 keeps saying « 2024 »
    after 2025 is opened, and one of 2025 says « 2024-2025 ».
    """
    declared = _PERIOD.match(generation)
    last = int(declared.group(2) or declared.group(1)) if declared else first_year
    return first_year, max(last, year, first_year)


def period_label(first_year: int, last_year: int) -> str:
    return str(first_year) if first_year == last_year else f"{first_year}-{last_year}"


_UNITS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
          "douze", "treize", "quatorze", "quinze", "seize")
_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def number_in_words(n: int) -> str:
    """``6`` → ``six``, ``15`` → ``quinze``, ``21`` → ``vingt et un``, ``80`` → ``quatre-vingts``;
    as the contracts write their counts of objectives (0 to 99; figures beyond)."""
    if n < 0 or n > 99:
        return str(n)
    if n <= 16:
        return _UNITS[n]
    if n < 20:
        return f"dix-{_UNITS[n - 10]}"
    tens, unit = divmod(n, 10)
    if tens in (7, 9):  # soixante-dix, quatre-vingt-dix: the teens on top of 60 / 80
        base = "soixante" if tens == 7 else "quatre-vingt"
        rest = n - (60 if tens == 7 else 80)
        joiner = " et " if rest == 11 and tens == 7 else "-"
        return f"{base}{joiner}{number_in_words(rest)}"
    base = "quatre-vingt" if tens == 8 else _TENS[tens]
    if unit == 0:
        return "quatre-vingts" if tens == 8 else base
    if unit == 1 and tens != 8:
        return f"{base} et un"
    return f"{base}-{_UNITS[unit]}"
