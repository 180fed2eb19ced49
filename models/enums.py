"""Closed vocabularies of the domain. Values are stable identifiers; labels are French."""

from __future__ import annotations

from enum import StrEnum


class Payer(StrEnum):
    ETAT = "etat"
    DEPARTEMENT = "departement"
    AUTRE = "autre"


class FundingSource(StrEnum):
    BOP304 = "BOP304"
    FIR = "FIR"
    ONDAM = "ONDAM"

    @property
    def label(self) -> str:
        return {"BOP304": "BOP 304", "FIR": "FIR", "ONDAM": "ONDAM médico-social"}[self.value]


class Phase(StrEnum):
    DIAGNOSIS = "diagnosis"
    DELIBERATION = "deliberation"
    SIGNATURE = "signature"
    CREDIT_PAYMENT = "credit_payment"
    ODPE_REVIEW = "odpe_review"
    EXECUTION_REPORT = "execution_report"
    AMENDMENT = "amendment"

    @property
    def label(self) -> str:
        return PHASE_LABELS[self]


PHASE_LABELS: dict[Phase, str] = {
    Phase.DIAGNOSIS: "diagnostic",
    Phase.DELIBERATION: "délibération",
    Phase.SIGNATURE: "signature",
    Phase.CREDIT_PAYMENT: "versement des crédits",
    Phase.ODPE_REVIEW: "avis de l'ODPE",
    Phase.EXECUTION_REPORT: "rapport d'exécution",
    Phase.AMENDMENT: "avenant",
}

PHASE_ORDER: list[Phase] = list(Phase)


class PhaseStatus(StrEnum):
    PENDING = "pending"
    WAITING = "waiting"
    COMPLETED = "completed"
    SKIPPED = "skipped"


class AnswerKind(StrEnum):
    """The answers a phase can wait for: one form (``models.answers``) and one handler each."""

    DIAGNOSIS = "diagnosis"
    DELIBERATION = "deliberation"
    ACKNOWLEDGEMENT = "acknowledgement"
    SIGNATURE = "signature"
    PAYMENT = "payment"
    ODPE_PRESENTATION = "odpe_presentation"
    ODPE = "odpe"
    REPORT = "report"
    AMENDMENT_DECISION = "amendment_decision"


class DeliberationSubject(StrEnum):
    """What a council deliberation approves: the contract (or an avenant), or the execution report."""

    CONTRACT = "contract"
    REPORT = "report"


class SignatureMethod(StrEnum):
    """How a signature was given (both are valid; the scan is archived either way)."""

    PAPER = "papier"
    ELECTRONIC = "electronique"


class AmendmentStatus(StrEnum):
    """An avenant: open (being deliberated and signed), signed (applied to the figures), abandoned."""

    OPEN = "open"
    SIGNED = "signed"
    ABANDONED = "abandoned"

    @property
    def label(self) -> str:
        return {"open": "en cours, non appliqué", "signed": "signé, appliqué",
                "abandoned": "abandonné"}[self.value]


class SignatoryRole(StrEnum):
    PREFET = "prefet"
    ARS = "ars"
    DEPARTEMENT = "departement"
    BUDGET_CONTROLLER = "budget_controller"

    @property
    def label(self) -> str:
        return {
            "prefet": "le Préfet",
            "ars": "le Directeur général de l'ARS",
            "departement": "le Président du conseil départemental",
            "budget_controller": "le contrôleur budgétaire",
        }[self.value]


class FicheStatus(StrEnum):
    PLANNED = "planned"
    IMPLEMENTED = "implemented"
    IN_PROGRESS = "in_progress"
    DELAYED = "delayed"
    ABANDONED = "abandoned"

    @property
    def label(self) -> str:
        return {
            "planned": "prévue",
            "implemented": "réalisée",
            "in_progress": "en cours",
            "delayed": "retardée",
            "abandoned": "abandonnée",
        }[self.value]


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class ContactMode(StrEnum):
    """What a person chose to receive (the coordinator's escalations go whatever it is)."""

    NORMAL = "normal"
    REDUCED = "reduit"
    PAUSED = "suspendu"

    @property
    def label(self) -> str:
        return {"normal": "toutes les relances",
                "reduit": "seulement les relances à 7 jours ou moins de l'échéance",
                "suspendu": "relances suspendues"}[self.value]


class FeedScope(StrEnum):
    """Whose deadlines a calendar feed shows."""

    DEPARTEMENT = "departement"
    COORDINATOR = "coordination"


class ReminderKind(StrEnum):
    REMINDER = "reminder"
    ESCALATION = "escalation"


class DeadlineStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class AmendmentPart(StrEnum):
    INITIAL = "initial"
    CARRY_OVER = "carry_over"
    CARRY_OVER_OTHER = "carry_over_other"
    SUPPLEMENTARY = "supplementary"
    TRANSFER_IN = "transfer_in"
    NEW_ACTIONS = "new_actions"

    @property
    def label(self) -> str:
        return {
            "initial": "montant initialement prévu",
            "carry_over": "report de crédits de l'exercice précédent",
            "carry_over_other": "report de crédits d'un autre contrat",
            "supplementary": "crédits supplémentaires",
            "transfer_in": "crédits transférés d'un autre contrat",
            "new_actions": "nouvelles actions",
        }[self.value]


class PolicyRule(StrEnum):
    """The contracts' policy rules: checked and shown as findings, refused only where a campaign says so."""

    COFINANCING = "cofinancement"
    MAINTENANCE_OF_EFFORT = "maintien_effort"

    @property
    def label(self) -> str:
        return {"cofinancement": "Cofinancement par objectif",
                "maintien_effort": "Maintien de l'effort du Département"}[self.value]


class PolicyMode(StrEnum):
    """What a campaign does with a policy rule's finding."""

    REPORT = "signaler"
    REFUSE = "refuser"


class CarryOverRule(StrEnum):
    """How a campaign counts the unused credits an avenant carries over (it changed between campaigns)."""

    NET_PER_ENVELOPE = "net_par_enveloppe"
    SUM_PER_FICHE = "somme_par_fiche"

    @property
    def label(self) -> str:
        labels = {"net_par_enveloppe": "versé moins consommé, net par enveloppe",
                  "somme_par_fiche": "somme des crédits État non consommés de chaque fiche (une fiche "
                                     "en dépassement n'absorbe pas le reliquat d'une autre)"}
        return labels[self.value]


class DeliberatingBody(StrEnum):
    """Who votes a deliberation: the assembly itself, or its commission permanente by delegation."""

    CONSEIL = "conseil_departemental"
    COMMISSION_PERMANENTE = "commission_permanente"

    @property
    def label(self) -> str:
        return {"conseil_departemental": "le conseil départemental",
                "commission_permanente": "la commission permanente"}[self.value]

    @property
    def heading(self) -> str:
        """The heading of the deliberation's body: ``LE CONSEIL DÉPARTEMENTAL``."""
        return {"conseil_departemental": "Le conseil départemental",
                "commission_permanente": "La commission permanente"}[self.value]

    @property
    def of_label(self) -> str:
        """``du conseil départemental``, ``de la commission permanente``."""
        return {"conseil_departemental": "du conseil départemental",
                "commission_permanente": "de la commission permanente"}[self.value]
