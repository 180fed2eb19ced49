"""What people answer at the human steps: the typed forms shown in the Prefect UI.

Titles are French (users read them); the same models back ``cdppe record``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.enums import AnswerKind, FundingSource, SignatoryRole

# No control characters (documents are XML: DOCX, HTML): one line, or lines for long texts.
ONE_LINE = r"^[^\x00-\x1f\x7f\ufffe\uffff]*$"
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]*$"

AnsweredBy = Field(title="Votre nom", description="Qui répond (conservé dans l'historique)",
                   min_length=2, max_length=120, pattern=ONE_LINE)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiagnosisAnswer(Answer):
    agreed_on: date = Field(title="Date de validation du diagnostic partagé par les trois parties")
    answered_by: str = AnsweredBy


class DeliberationAnswer(Answer):
    convocation_date: date = Field(title="Date de convocation du conseil départemental")
    session_date: date = Field(title="Date de la séance (conseil ou commission permanente)")
    number: str = Field(title="Numéro de la délibération", min_length=1, max_length=20,
                        pattern=r"^[0-9A-Za-z/_.-]+$")
    vote: str = Field(title="Résultat du vote", description="Par exemple : à l'unanimité",
                      min_length=2, max_length=200, pattern=ONE_LINE)
    answered_by: str = AnsweredBy


class AcknowledgementAnswer(Answer):
    acknowledgement_date: date = Field(
        title="Date de l'accusé de réception de la préfecture (@ctes)",
        description="La délibération devient exécutoire : la signature peut alors s'ouvrir.")
    answered_by: str = AnsweredBy


class SignatureAnswer(Answer):
    role: SignatoryRole = Field(title="Signataire",
                                description="prefet, ars, departement ou budget_controller")
    signatory_name: str = Field(title="Nom de la personne qui a signé", min_length=2, max_length=120,
                                pattern=ONE_LINE)
    signed_on: date = Field(title="Date de la signature")
    # The form keeps the values people type in the CLI and the UI (``papier``); SignatureMethod maps them.
    method: Literal["papier", "electronique"] = Field(default="papier", title="Mode de signature")
    scan_sha256: str | None = Field(
        default=None, title="Empreinte SHA-256 du scan signé déjà déposé",
        description="Déposez d'abord le PDF (page « Déposer un scan signé » du serveur de documents, "
                    "ou --scan FICHIER en ligne de commande), puis collez ici la référence affichée ; "
                    "jamais un chemin de fichier.",
        pattern=r"^[0-9a-f]{64}$")
    findings_reason: str | None = Field(
        default=None, title="Motif de signature malgré les constats",
        description="Obligatoire quand le contrôle des règles (document « Contrôle des règles avant "
                    "signature ») signale un constat non encore motivé : pourquoi les parties signent.",
        min_length=5, max_length=2000, pattern=TEXT)
    answered_by: str = AnsweredBy


class PaymentAnswer(Answer):
    source: FundingSource = Field(title="Enveloppe (BOP304 ou FIR)")
    notified_amount: str = Field(title="Montant notifié en euros (ex. 843728.00)",
                                 pattern=r"^[0-9][0-9  ]*([.,][0-9]{1,2})?$")
    received_on: date = Field(title="Date de réception des fonds")
    answered_by: str = AnsweredBy


class OdpePresentationAnswer(Answer):
    session_date: date = Field(title="Date de la séance de l'ODPE où le contrat a été présenté")
    answered_by: str = AnsweredBy


class OdpeAnswer(Answer):
    session_date: date = Field(title="Date de la séance de l'ODPE sur le projet de rapport")
    favourable: bool = Field(default=True, title="Avis favorable")
    opinion: str = Field(title="Avis de l'ODPE", min_length=2, max_length=4000, pattern=TEXT)
    answered_by: str = AnsweredBy


class ReportAnswer(Answer):
    adopted_on: date = Field(title="Date d'adoption conjointe du rapport d'exécution")
    deliberation_number: str = Field(title="Numéro de la délibération sur le rapport",
                                     min_length=1, max_length=20, pattern=r"^[0-9A-Za-z/_.-]+$")
    transmitted_on: date = Field(title="Date de transmission au Préfet et à l'ARS")
    published_on: date | None = Field(default=None, title="Date de mise en ligne")
    answered_by: str = AnsweredBy


class AmendmentDecisionAnswer(Answer):
    avenant_needed: bool = Field(title="Un avenant est-il nécessaire cette année ?")
    reason: str | None = Field(default=None, title="Motif", max_length=2000, pattern=TEXT)
    answered_by: str = AnsweredBy


ANSWER_TYPES: dict[AnswerKind, type[Answer]] = {
    AnswerKind.DIAGNOSIS: DiagnosisAnswer,
    AnswerKind.DELIBERATION: DeliberationAnswer,
    AnswerKind.ACKNOWLEDGEMENT: AcknowledgementAnswer,
    AnswerKind.SIGNATURE: SignatureAnswer,
    AnswerKind.PAYMENT: PaymentAnswer,
    AnswerKind.ODPE_PRESENTATION: OdpePresentationAnswer,
    AnswerKind.ODPE: OdpeAnswer,
    AnswerKind.REPORT: ReportAnswer,
    AnswerKind.AMENDMENT_DECISION: AmendmentDecisionAnswer,
}
