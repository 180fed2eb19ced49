"""The contract file: the human-editable YAML that describes one contract.

These are the input models at the edge; ``schemas/contract.schema.json`` is
generated from them (``cdppe contract schema``) so editors can validate files.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
)

from cdppe.core.money import money_str, to_money
from models.enums import DeliberatingBody, FicheStatus, FundingSource, Payer, SignatoryRole

Money = Annotated[
    Decimal,
    BeforeValidator(to_money),
    PlainSerializer(money_str, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^-?[0-9][0-9  ]*([.,][0-9]{1,2})?( ?€)?$"},
                {"type": "integer"},
                {"type": "number", "multipleOf": 0.01},
            ],
            "description": "Montant en euros, au centime près (ex. 1692424.00)",
        }
    ),
]

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
DEPARTEMENT_CODE_RE = re.compile(r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$")


def _check_email(value: str) -> str:
    """A deliverable-looking ASCII address (``email-validator``), in its normalised ASCII form.

    SMTPUTF8 is not implemented by the sender, so a non-ASCII part before the ``@`` is
    refused here rather than failing later at every reminder run.
    """
    if not value.rpartition("@")[0].isascii():
        raise ValueError(f"adresse électronique {value!r} : caractères accentués ou non ASCII avant "
                         "le @ non acceptés (l'envoi SMTPUTF8 n'est pas pris en charge) ; "
                         "donnez une adresse en caractères ASCII")
    if not EMAIL_RE.match(value):
        raise ValueError(f"adresse électronique invalide : {value!r}")
    try:
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(f"adresse électronique invalide : {value!r} ({exc})") from None
    return checked.ascii_email or value


Email = Annotated[str, BeforeValidator(lambda v: _check_email(str(v).strip()))]
SingleLine = Annotated[str, Field(pattern=r"^[^\r\n]*$", min_length=1, max_length=300)]
Year = Annotated[int, Field(ge=1990, le=2100)]
MEASURE_MAX_CHARS = 40  # indicator values are stored as text of at most 40 characters


def _check_measure(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite():
        raise ValueError("valeur non finie")
    if len(str(value)) > MEASURE_MAX_CHARS:
        raise ValueError(f"valeur trop longue (au plus {MEASURE_MAX_CHARS} caractères)")
    return value


Measure = Annotated[Decimal, AfterValidator(_check_measure)]

# Real tableaux de bord hold NR (non renseigné), ND (non disponible) or a sentence where a number
# is expected: kept as they are written, never turned into 0 nor lost.
ACHIEVED_NOTES = {"NR": "non renseigné", "ND": "non disponible"}
ACHIEVED_TEXT_MAX = 200


def parse_achieved(value: Any) -> Decimal | str | None:
    """A number (``12``, ``6,6``, ``1 250``), ``NR``, ``ND`` or a short text."""
    if value is None or isinstance(value, Decimal):
        return _check_measure(value)
    if isinstance(value, bool):
        raise ValueError("valeur attendue : un nombre, NR, ND ou un texte court")
    if isinstance(value, int | float):
        return _check_measure(Decimal(str(value)))
    text = " ".join(str(value).split())
    if not text:
        return None
    if text.upper() in ACHIEVED_NOTES:
        return text.upper()
    try:
        return _check_measure(Decimal(text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
                                      .replace(",", ".")))
    except InvalidOperation:
        pass
    if len(text) > ACHIEVED_TEXT_MAX:
        raise ValueError(f"texte trop long (au plus {ACHIEVED_TEXT_MAX} caractères)")
    return text


def split_achieved(value: Decimal | str | None) -> tuple[Decimal | None, str | None]:
    """(number, note) as stored: a number, or NR / ND / the text."""
    return (value, None) if isinstance(value, Decimal) or value is None else (None, value)


Achieved = Annotated[Decimal | str, BeforeValidator(parse_achieved)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_max_length=20_000)


class PersonIn(_In):
    name: SingleLine
    title: SingleLine | None = None
    email: Email


class PartyIn(_In):
    organisation: SingleLine
    signatory: PersonIn
    contacts: list[PersonIn] = Field(default_factory=list)


class PartiesIn(_In):
    prefet: PartyIn
    ars: PartyIn
    departement: PartyIn
    budget_controller: PersonIn | None = None


class LawReference(_In):
    """A law cited by number and date: ``loi n° 2023-1322 du 29 décembre 2023 de finances pour 2024``."""

    number: str = Field(pattern=r"^[0-9]{4}-[0-9]{1,5}$", description="Numéro : 2023-1322")
    day: date = Field(alias="date", description="Date de la loi")
    title: SingleLine = Field(description="Ce qui suit la date : « de finances pour 2024 »")


class BudgetLineIn(_In):
    """Where a deliberation imputes credits or receipts in the Département's budget."""

    programme: SingleLine | None = None
    operation: SingleLine | None = None
    chapitre: str | None = Field(default=None, max_length=10, pattern=r"^[0-9A-Za-z]+$")
    article: str | None = Field(default=None, max_length=10, pattern=r"^[0-9A-Za-z]+$")
    fonction: str | None = Field(default=None, max_length=10, pattern=r"^[0-9A-Za-z]+$")
    complement: SingleLine | None = Field(
        default=None, description="Suite de la phrase, ex. « et les programmes et opérations concernés "
                                  "de la direction de l'enfance et des familles »")

    @property
    def phrase(self) -> str:
        """``sur le programme « … », l'opération « … », chapitre 012, article 74718``."""
        parts = [f"le programme « {self.programme} »"] if self.programme else []
        if self.operation:
            parts.append(f"l'opération « {self.operation} »")
        codes = (("chapitre", self.chapitre), ("article", self.article), ("fonction", self.fonction))
        parts += [f"{label} {value}" for label, value in codes if value]
        text = ", ".join(parts)
        if self.complement:
            text = f"{text} {self.complement}" if text else self.complement
        return f"sur {text}" if parts else text


class DeliberatingBodiesIn(_In):
    """Which body votes each deliberation (the commission permanente by delegation, or the assembly).

    ``rapport`` is kept for the deliberation on the execution report, which no document renders yet.
    """

    contrat: DeliberatingBody = DeliberatingBody.CONSEIL
    avenant: DeliberatingBody = DeliberatingBody.CONSEIL
    rapport: DeliberatingBody = DeliberatingBody.CONSEIL


class LegalIn(_In):
    """The Département's own legal and budget wording; what is absent, the documents do not invent."""

    bodies: DeliberatingBodiesIn = Field(default_factory=DeliberatingBodiesIn)
    commissions: list[SingleLine] = Field(
        default_factory=list, description="Commissions consultées, ex. « la Commission finances »")
    visas: list[Annotated[str, Field(min_length=3, max_length=1000)]] = Field(
        default_factory=list, description="Délibérations et contrats antérieurs, tels qu'écrits après « Vu »")
    preamble: list[Annotated[str, Field(min_length=3, max_length=5000)]] = Field(
        default_factory=list, description="Paragraphes locaux du préambule du contrat")
    credits: BudgetLineIn | None = None
    receipts: BudgetLineIn | None = None
    civilites: dict[SignatoryRole, Literal["Monsieur", "Madame"]] = Field(default_factory=dict)
    laws: list[LawReference] = Field(
        default_factory=list, description="Lois de finances citées (défaut : celles de la campagne)")
    first_contract_year: Year | None = Field(
        default=None, description="Année de première contractualisation du Département (ex. 2020)")


class DepartementIn(_In):
    code: str = Field(description="Code INSEE du Département", max_length=3)
    name: Annotated[SingleLine, Field(max_length=80)]

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: Any) -> str:
        text = str(value).strip().upper().zfill(2)
        if not DEPARTEMENT_CODE_RE.match(text):
            raise ValueError(f"code de Département inconnu : {value!r}")
        return text


class PaymentTermsIn(_In):
    account_name: SingleLine
    iban: SingleLine
    bic: SingleLine | None = None
    bop304_ordonnateur: SingleLine
    bop304_comptable: SingleLine
    bop304_imputation: str | None = None
    fir_ordonnateur: SingleLine
    fir_comptable: SingleLine


class EnvelopeIn(_In):
    bop304: Money
    fir: Money
    ondam: Money = Decimal("0.00")
    state_total: Money | None = Field(default=None, description="Total État déclaré (vérifié)")
    departement_share: Money | None = Field(
        default=None, description="Part versée au Département déclarée (vérifiée) : BOP 304 + FIR, "
                                  "moins les lignes versées directement à des tiers"
    )


class MilestonesIn(_In):
    """Steps already taken outside the tool (optional)."""

    convocation_date: date | None = None
    council_session_date: date | None = None
    deliberation_number: str | None = Field(default=None, max_length=20)
    vote: SingleLine | None = Field(default=None, description="Résultat du vote : « à l'unanimité »")
    acknowledgement_date: date | None = None
    publication_date: date | None = Field(default=None, description="Publication ou notification")
    signatures: dict[SignatoryRole, date] = Field(default_factory=dict)
    payments: dict[FundingSource, date] = Field(default_factory=dict)
    odpe_session_date: date | None = None
    report_transmitted_on: date | None = None


class ExerciceIn(_In):
    year: int = Field(ge=2020, le=2100)
    envelope: EnvelopeIn
    reference_year: Year | None = None
    own_spending_reference: Money | None = Field(
        default=None, description="Dépenses propres ASE + PMI du Département l'année de référence")
    own_spending_planned: Money | None = Field(
        default=None, description="Les mêmes dépenses prévues pour l'exercice (maintien de l'effort)")
    planned_council_session: date | None = None
    planned_signature: date | None = None
    budget_controller_required: bool = False
    milestones: MilestonesIn | None = None


class ObjectiveIn(_In):
    number: str = Field(max_length=10)
    mandatory: bool = False
    title: str | None = None

    @field_validator("number", mode="before")
    @classmethod
    def _number(cls, value: Any) -> str:
        return str(value).strip()


class MoneyLineIn(_In):
    exercice: Year
    payer: Payer
    source: FundingSource | None = Field(
        default=None, description="Enveloppe (BOP304, FIR, ONDAM) ; obligatoire pour l'État"
    )
    amount: Money
    valorisation: bool = False
    label: str | None = None
    payee: str | None = Field(
        default=None, max_length=200,
        description="Bénéficiaire d'une ligne État versée directement à un tiers (ex. réseau périnatal) ; "
                    "vide : le Département")


class FicheExecutionIn(_In):
    exercice: Year
    status: FicheStatus
    start_date: date | None = None
    duration: str | None = None
    reason: str | None = None
    assessment: str | None = None
    outlook: str | None = None
    consumed_etat: Money | None = None


class FicheIn(_In):
    number: str = Field(description="Numéro tel qu'écrit : 1, 13-1, 13 a, 6 et 7, 29-4", max_length=20)
    objectives: list[str] = Field(min_length=1)
    title: str
    referent: str | None = None
    constat: str | None = None
    objectif_operationnel: str | None = None
    description: str | None = None
    partners: str | None = None
    calendar: str | None = None
    indicators_text: str | None = None
    vigilance: str | None = None
    money: list[MoneyLineIn] = Field(default_factory=list)
    execution: list[FicheExecutionIn] = Field(default_factory=list)

    @field_validator("number", mode="before")
    @classmethod
    def _num(cls, value: Any) -> str:
        return str(value).strip()

    @field_validator("objectives", mode="before")
    @classmethod
    def _objs(cls, value: Any) -> list[str]:
        if not isinstance(value, list):
            value = [value]
        return [str(v).strip() for v in value]


class IndicatorValueIn(_In):
    year: Year
    target: Measure | None = None
    achieved: Achieved | None = Field(default=None, description="Un nombre, NR (non renseigné), "
                                                                "ND (non disponible) ou un texte court")


class IndicatorIn(_In):
    code: str = Field(max_length=40)
    label: str
    unit: str | None = None
    objective: str | None = None
    fiche: str | None = None
    baseline_year: Year | None = None
    baseline_value: Measure | None = None
    values: list[IndicatorValueIn] = Field(default_factory=list)

    @field_validator("objective", "fiche", mode="before")
    @classmethod
    def _str(cls, value: Any) -> str | None:
        return None if value is None else str(value).strip()


class ContractFile(_In):
    """One contract of one Département, for one or more exercices."""

    schema_version: Literal[1] = 1
    departement: DepartementIn
    generation: str = Field(description="Génération du catalogue d'objectifs : 2020-2022, 2024, 2025-2027",
                            max_length=20)
    title: str
    parties: PartiesIn
    coordinator: PersonIn
    payment_terms: PaymentTermsIn
    exercices: list[ExerciceIn] = Field(min_length=1)
    objectives: list[ObjectiveIn] = Field(min_length=1)
    fiches: list[FicheIn] = Field(min_length=1)
    indicators: list[IndicatorIn] = Field(default_factory=list)
    legal: LegalIn | None = None

    @property
    def key(self) -> str:
        return f"{self.departement.code}-{self.generation}"
