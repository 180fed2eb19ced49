"""The amendment form (typed parameters of the ``avenant`` deployment, French labels)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from models.enums import FundingSource


class EnvelopeChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: FundingSource = Field(title="Enveloppe")
    initial: str | None = Field(default=None, title="Montant initialement prévu",
                                description="Par défaut : l'enveloppe actuelle de l'exercice")
    carry_over: str | None = Field(default=None, title="Report de crédits de l'exercice précédent",
                                   description="Laissé vide : le report proposé (versements moins "
                                               "consommation, selon la règle de la campagne) ; un autre "
                                               "montant convenu par les parties demande son motif")
    carry_over_reason: str | None = Field(default=None, title="Motif du report convenu",
                                          description="Obligatoire si le report diffère du report proposé "
                                                      "ou si une consommation de l'exercice précédent manque",
                                          max_length=2000)
    carry_over_other: str = Field(default="0", title="Report de crédits d'un autre contrat")
    carry_over_other_from: str | None = Field(
        default=None, title="Contrat d'origine de ce report",
        description="Ex. : contrat de prévention et de lutte contre la pauvreté 2023 (action transférée)",
        max_length=200)
    supplementary: str = Field(default="0", title="Crédits supplémentaires")
    transfer_in: str = Field(default="0", title="Crédits transférés d'un autre contrat")
    new_actions: str = Field(default="0", title="Nouvelles actions")
    to_fiche: str | None = Field(
        default=None, title="Fiche qui reçoit les crédits ajoutés", max_length=20,
        description="Ce que l'avenant ajoute à l'enveloppe (report, crédits supplémentaires…) et que "
                    "les fiches ci-dessous ne répartissent pas va à cette fiche, pour que le plan d'action "
                    "annexé totalise l'article 1 ; laissé vide : répartissez-le dans « Fiches nouvelles ou "
                    "modifiées »")


class FicheChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fiche: str = Field(title="Numéro de fiche (nouvelle ou modifiée)")
    title: str | None = Field(default=None, title="Intitulé (obligatoire pour une nouvelle fiche)")
    objectives: list[str] = Field(default_factory=list, title="Objectif(s) (nouvelle fiche)")
    source: FundingSource = Field(title="Enveloppe")
    etat_amount: str = Field(title="Financement État")
    departement_amount: str = Field(title="Financement Département")
    valorisation: bool = Field(default=False, title="Valorisation de moyens existants")


class Transfer(BaseModel):
    """Fongibilité: money moved between actions inside one envelope."""

    model_config = ConfigDict(extra="forbid")
    source: FundingSource = Field(title="Enveloppe")
    from_fiche: str = Field(title="Depuis la fiche")
    to_fiche: str = Field(title="Vers la fiche")
    amount: str = Field(title="Montant")
    informed_on: date = Field(title="Date d'information du Préfet (BOP 304) ou de l'ARS (FIR)")


class AmendmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contract: str = Field(title="Contrat (ex. 71-2024)")
    year: int = Field(title="Exercice", ge=2020, le=2100)
    requested_by: str = Field(title="Votre nom", min_length=2, pattern=r"^[^\r\n]*$")
    reason: str = Field(title="Objet de l'avenant", min_length=2, max_length=2000)
    number: int | None = Field(
        default=None, ge=1, le=99, title="Numéro de l'avenant",
        description="Laissé vide : le suivant du contrat (les avenants sont numérotés par contrat, tous "
                    "exercices confondus) ; à indiquer quand le numéro de l'avenant réel diffère")
    another_avenant_reason: str | None = Field(
        default=None, title="Motif d'un autre avenant financier dans l'exercice",
        description="Obligatoire si l'exercice a déjà un avenant (au plus un avenant financier par an)",
        max_length=2000)
    envelopes: list[EnvelopeChange] = Field(default_factory=list, title="Nouvelles enveloppes")
    fiches: list[FicheChange] = Field(default_factory=list, title="Fiches nouvelles ou modifiées")
    transfers: list[Transfer] = Field(default_factory=list, title="Fongibilité entre actions")
