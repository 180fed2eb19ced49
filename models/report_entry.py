"""The form of one fiche's report (typed parameters of the ``rapport-fiche`` deployment, French labels).

The same fields as a row of the report's workbook and as ``cdppe report fiche``; a field left
empty stays unknown (a consumption left empty is never 0 €).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.answers import TEXT, AnsweredBy

MONEY = r"^([0-9][0-9  ]*([.,][0-9]{1,2})?)?$"  # empty: unknown, never 0 €

# The words of a real table of actions (``cdppe.services.report_sheet.STATUS_WORDS``).
FicheStatusWord = Literal["réalisée", "en cours", "engagée", "en retard", "abandonnée", "prévue"]
SourceWord = Literal["BOP 304", "FIR", "ONDAM"]


class FicheReportEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contract: str = Field(title="Contrat (ex. 71-2024)", min_length=1, max_length=40)
    year: int = Field(title="Exercice du rapport", ge=2020, le=2100)
    fiche: str = Field(title="Numéro de la fiche (13a = 13 a)", min_length=1, max_length=20)
    status: FicheStatusWord = Field(default="prévue", title="Statut de l'action")
    start_date: date | None = Field(default=None, title="Date de début")
    duration: str = Field(default="", title="Durée", max_length=200, pattern=TEXT)
    reason: str = Field(default="", title="Motif (obligatoire en retard ou abandonnée)",
                               max_length=2000, pattern=TEXT)
    consumed_etat: str = Field(default="", title="Crédits État consommés en euros (ex. 12500,50)",
                                      pattern=MONEY)
    consumed_departement: str = Field(default="", title="Crédits Département consommés en euros",
                                             pattern=MONEY)
    assessment: str = Field(default="", title="Bilan", max_length=4000, pattern=TEXT)
    outlook: str = Field(default="", title="Perspectives", max_length=4000, pattern=TEXT)
    highlighted_for: SourceWord | None = Field(
        default=None, title="Action phare pour l'enveloppe",
        description="L'action que le Département met en avant pour cette enveloppe (une par enveloppe)")
    answered_by: str = AnsweredBy

    def sheet_fields(self) -> dict[str, str | None]:
        """The fields as ``record_fiche_report`` reads them (the words of a workbook's row; an empty
        field is an empty cell)."""
        texts = {name: getattr(self, name).strip() or None for name in (
            "duration", "reason", "consumed_etat", "consumed_departement", "assessment", "outlook")}
        return {"fiche": self.fiche, "status": self.status, **texts,
                "start_date": self.start_date.isoformat() if self.start_date else None,
                "highlighted_for": self.highlighted_for}


# A refused field named as the form shows it (the workbook's column letter -> the form's field).
FORM_FIELD_OF_COLUMN = {column: FicheReportEntry.model_fields[name].title or name for column, name in {
    "E": "status", "F": "start_date", "H": "reason", "I": "consumed_etat", "J": "consumed_departement",
    "M": "highlighted_for"}.items()}
