"""The document kinds: which template renders each one and which step produces it.

A kind is a closed identifier (it is part of file names); its French title is
what users read.
"""

from __future__ import annotations

from enum import StrEnum

from models.enums import FundingSource, Phase


class DocumentKind(StrEnum):
    FICHES_ACTION = "fiches_action"
    PLAN_ACTION = "plan_action"
    CONVOCATION = "convocation"
    PROJET_DELIBERATION = "projet_deliberation"
    DELIBERATION = "deliberation"
    CONTRAT = "contrat"
    CONTROLE_REGLES = "controle_regles"
    AVIS_VERSEMENT_BOP304 = "avis_versement_bop304"
    AVIS_VERSEMENT_FIR = "avis_versement_fir"
    SAISINE_ODPE = "saisine_odpe"
    AVIS_ODPE = "avis_odpe"
    RAPPORT_EXECUTION = "rapport_execution"
    AVENANT = "avenant"
    CONTRAT_CONSOLIDE = "contrat_consolide"  # not a step's: cdppe.present.documents.consolidated

    @property
    def label(self) -> str:
        """The French title of the document."""
        return KIND_TITLES[self]

    @property
    def template(self) -> str:
        return KIND_TEMPLATES.get(self, f"{self.value}.html.j2")

    @property
    def step(self) -> Phase:
        return next(step for step, kinds in STEP_KINDS.items() if self in kinds)

    @property
    def envelope(self) -> FundingSource | None:
        """The envelope of a payment notice, ``None`` for every other kind."""
        return {
            DocumentKind.AVIS_VERSEMENT_BOP304: FundingSource.BOP304,
            DocumentKind.AVIS_VERSEMENT_FIR: FundingSource.FIR,
        }.get(self)


KIND_TITLES: dict[DocumentKind, str] = {
    DocumentKind.FICHES_ACTION: "Fiches action",
    DocumentKind.PLAN_ACTION: "Plan d'action",
    DocumentKind.CONVOCATION: "Convocation du conseil départemental",
    DocumentKind.PROJET_DELIBERATION: "Projet de délibération",
    DocumentKind.DELIBERATION: "Délibération",
    DocumentKind.CONTRAT: "Contrat départemental de prévention et de protection de l'enfance",
    DocumentKind.CONTROLE_REGLES: "Contrôle des règles avant signature",
    DocumentKind.AVIS_VERSEMENT_BOP304: "Avis de versement des crédits du BOP 304",
    DocumentKind.AVIS_VERSEMENT_FIR: "Avis de versement des crédits du FIR",
    DocumentKind.SAISINE_ODPE: "Saisine de l'observatoire départemental de la protection de l'enfance",
    DocumentKind.AVIS_ODPE: "Relevé d'avis de l'observatoire départemental de la protection de l'enfance",
    DocumentKind.RAPPORT_EXECUTION: "Rapport d'exécution",
    DocumentKind.AVENANT: "Avenant au contrat départemental de prévention et de protection de l'enfance",
    DocumentKind.CONTRAT_CONSOLIDE: "Contrat consolidé (plan d'action et tableau de bord avec avenants)",
}

KIND_TEMPLATES: dict[DocumentKind, str] = {
    DocumentKind.AVIS_VERSEMENT_BOP304: "avis_versement.html.j2",
    DocumentKind.AVIS_VERSEMENT_FIR: "avis_versement.html.j2",
}

STEP_KINDS: dict[Phase, tuple[DocumentKind, ...]] = {
    Phase.DIAGNOSIS: (DocumentKind.FICHES_ACTION, DocumentKind.PLAN_ACTION),
    Phase.DELIBERATION: (DocumentKind.CONVOCATION, DocumentKind.PROJET_DELIBERATION,
                         DocumentKind.DELIBERATION),
    Phase.SIGNATURE: (DocumentKind.CONTRAT, DocumentKind.CONTROLE_REGLES),
    Phase.CREDIT_PAYMENT: (DocumentKind.AVIS_VERSEMENT_BOP304, DocumentKind.AVIS_VERSEMENT_FIR),
    Phase.ODPE_REVIEW: (DocumentKind.SAISINE_ODPE, DocumentKind.AVIS_ODPE),
    Phase.EXECUTION_REPORT: (DocumentKind.RAPPORT_EXECUTION,),
    Phase.AMENDMENT: (DocumentKind.AVENANT,),
}

FORMATS: tuple[str, ...] = ("html", "docx", "pdf")
