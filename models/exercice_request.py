"""The form of the ``ouverture-exercice`` deployment (French labels)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ExerciceOpeningRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contract: str = Field(title="Contrat (ex. 71-2024)", min_length=1, max_length=40)
    year: int = Field(title="Exercice à ouvrir", description="Pré-rempli à partir de l'exercice "
                      "précédent : fiches, montants, cibles, report de crédits proposé, "
                      "calendrier de la campagne nationale.", ge=2020, le=2100)
    requested_by: str = Field(title="Votre nom", min_length=2, max_length=120, pattern=r"^[^\r\n]*$")
    start_cycle: bool = Field(default=True, title="Démarrer le cycle annuel de cet exercice")
