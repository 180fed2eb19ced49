"""Every deadline that the state of one exercice implies (pure: no database, no clock).

A deadline disappears as soon as its step is recorded; feeding a new
snapshot after any date changes recomputes them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from cdppe.core.dates import format_date_fr as _format_date_fr
from cdppe.domain.calendar_rules import (
    _SUBDIVISIONS,
    ShiftedDate,
    at_least_before,
    at_the_latest,
    convocation_deadline,
    credits_usable_until,
    report_due_date,
    termination_deadline,
)
from cdppe.domain.campaigns import Campaign, CampaignDate, load_campaign
from cdppe.domain.cycle import ExerciceSnapshot
from models.enums import FundingSource

format_date_fr = lru_cache(maxsize=8192)(_format_date_fr)  # babel is slow; dates repeat


def calendar_code(departement_code: str | None) -> str | None:
    """The code that selects a holiday calendar: None for the Départements of the common one.

    ``calendar_rules`` caches one calendar per (code, year); mapping the 90-odd
    Départements with the national calendar to one key keeps that cache warm
    when deadlines of all 101 Départements are computed together.
    """
    return departement_code if departement_code in _SUBDIVISIONS else None


PAYMENT_EXPECTED_DAYS = 60
ODPE_BEFORE_REPORT_DAYS = 30


@dataclass(frozen=True)
class DeadlineSpec:
    kind: str
    label: str
    when: ShiftedDate
    rule: str
    computed_from: date | None
    recipient_role: str = "departement"
    escalate: bool = True
    source: str = "contrat"  # contrat | campagne: which rule governs the date

    @property
    def due_date(self) -> date:
        return self.when.effective

    def key(self, contract_key: str, year: int) -> str:
        return f"{contract_key}:{year}:{self.kind}"

    @property
    def rule_text(self) -> str:
        """The rule, and the working-day shift when there was one (shown in every document)."""
        if self.when.shifted:
            return (f"{self.rule} Échéance légale le {format_date_fr(self.when.legal)} "
                    f"({self.when.reason}).")
        return self.rule


# Kinds never escalated to the coordinator: informational dates, and the convocation
# (nothing records it; the deliberation closes it, and its own deadline escalates).
NON_ESCALATING_KINDS = frozenset({"convocation", "credits_usable", "amendment_window", "termination"})


def escalates(kind: str) -> bool:
    """Whether an overdue deadline of this kind is escalated to the coordinator."""
    return kind not in NON_ESCALATING_KINDS


def base_kind(kind: str) -> str:
    """``signature:prefet`` -> ``signature`` (policies are set per base kind)."""
    return kind.split(":", 1)[0]


def _governing(contract_legal: date | None, contract_rule: str, campaign: Campaign | None,
               item: CampaignDate | None, not_before: date | None = None,
               ) -> tuple[date, str, str] | None:
    """The earlier of a contract rule and a campaign date, with the text saying which applied.

    A campaign date on or before ``not_before`` (e.g. a report date before the
    signature it counts from) cannot apply and is ignored.
    """
    if item is not None and not_before is not None and item.day <= not_before:
        item = None
    if campaign is None or item is None:
        if contract_legal is None:
            return None
        return contract_legal, contract_rule, "contrat"
    campaign_rule = (f"{item.label} au plus tard le {format_date_fr(item.day)} "
                     f"({campaign.source_text(item)}).")
    if contract_legal is None:
        return item.day, f"Règle appliquée : date de la campagne nationale. {campaign_rule}", "campagne"
    if item.day < contract_legal:
        return (item.day,
                f"Règle appliquée : date de la campagne nationale, plus précoce que la règle du "
                f"contrat (le {format_date_fr(contract_legal)}). {campaign_rule} "
                f"Règle du contrat : {contract_rule}", "campagne")
    if item.day == contract_legal:
        return (contract_legal,
                f"Règle appliquée : règle du contrat, à la même date que la campagne nationale. "
                f"{contract_rule} {campaign_rule}", "contrat")
    return (contract_legal,
            f"Règle appliquée : règle du contrat, plus précoce que la date de la campagne "
            f"nationale (le {format_date_fr(item.day)}). {contract_rule}", "contrat")


_AUTO = object()


def governing_report_due(year: int, effective: date) -> date:
    """The report's due date the exercice stores and every view shows: the earlier of the contract
    rule (a year after the last signature) and the campaign of ``year``'s date, if it can apply."""
    camp = load_campaign(year)
    found = _governing(report_due_date(effective), "", camp, camp.execution_report if camp else None,
                       not_before=effective)
    assert found is not None
    return found[0]


def compute_deadlines(snap: ExerciceSnapshot, campaign: Campaign | None | object = _AUTO,
                      ) -> list[DeadlineSpec]:
    """Every open deadline of one exercice, from its contract rules and its year's campaign.

    ``campaign`` defaults to the calendar of ``snap.year`` (``cdppe/domain/campaigns``);
    pass None to apply the contract rules alone.
    """
    camp: Campaign | None = (load_campaign(snap.year) if campaign is _AUTO
                             else campaign if isinstance(campaign, Campaign) else None)
    code = calendar_code(snap.departement_code)
    out = _deliberation_deadlines(snap, camp, code) + _signature_deadlines(snap, camp, code)
    effective = snap.effective_date
    if effective is not None:
        out += _payment_deadlines(snap, effective, code)
        out += _report_deadlines(snap, effective, camp, code)
    if snap.terminated_on is None:
        out.append(DeadlineSpec(
            "termination", "Date limite de dénonciation du contrat",
            ShiftedDate(termination_deadline(snap.year), termination_deadline(snap.year), None),
            "Dénonciation par lettre recommandée avec accusé de réception au plus tard le "
            f"31 décembre {snap.year} (article 6) ; date fixe, non reportée.", None,
            recipient_role="all", escalate=False))
    return sorted(out, key=lambda d: (d.due_date, d.kind))


def _signing(snap: ExerciceSnapshot, camp: Campaign | None) -> tuple[date, str, str] | None:
    """When the contract is to be signed: the planned signature or the campaign's date."""
    signature_rule = None
    if snap.planned_signature:
        signature_rule = ("Le contrat prend effet à la date de la dernière signature ; signature "
                          f"prévue le {format_date_fr(snap.planned_signature)}.")
    return _governing(snap.planned_signature, signature_rule or "",
                      camp, camp.signed_contract if camp else None)


def _deliberation_deadlines(snap: ExerciceSnapshot, camp: Campaign | None,
                            code: str | None) -> list[DeadlineSpec]:
    """Before the council deliberates: convocation, the campaign's draft, the deliberation itself."""
    if snap.deliberation_session is not None or snap.approved_by_contract:
        return []
    out: list[DeadlineSpec] = []
    if snap.planned_council_session:
        out.append(DeadlineSpec(
            "convocation", "Convocation du conseil départemental",
            convocation_deadline(snap.planned_council_session, code),
            "Le rapport est adressé aux conseillers départementaux douze jours au moins avant "
            f"la séance du {format_date_fr(snap.planned_council_session)} (CGCT, art. L3121-19).",
            snap.planned_council_session))
    if (camp is not None and camp.draft is not None and snap.effective_date is None
            and not snap.signed and snap.draft_sent_on is None):
        out.append(DeadlineSpec(
            "campaign_draft", camp.draft.label, at_the_latest(camp.draft.day, code),
            f"Règle appliquée : date de la campagne nationale. {camp.draft.label} au plus tard "
            f"le {format_date_fr(camp.draft.day)} ({camp.source_text(camp.draft)}).",
            camp.instruction_date, source="campagne"))
    signing = _signing(snap, camp)
    if signing is not None:
        sign_day, _, sign_source = signing
        out.append(DeadlineSpec(
            "deliberation", "Délibération approuvant le contrat",
            at_least_before(sign_day, 1, code),
            "La délibération autorisant le Président à signer précède la signature attendue le "
            f"{format_date_fr(sign_day)}"
            + (" (date de la campagne nationale)." if sign_source == "campagne" else "."),
            sign_day, source=sign_source))
    return out


def _signature_deadlines(snap: ExerciceSnapshot, camp: Campaign | None,
                         code: str | None) -> list[DeadlineSpec]:
    """One deadline per signature still missing, until the contract takes effect."""
    signing = _signing(snap, camp)
    if snap.effective_date is not None or signing is None or snap.approved_by_contract:
        return []
    sign_day, sign_text, sign_source = signing
    counted_from = snap.planned_signature if sign_source == "contrat" else (
        camp.instruction_date if camp else None)
    return [DeadlineSpec(f"signature:{role.value}", f"Signature du contrat par {role.label}",
                         at_the_latest(sign_day, code), sign_text, counted_from,
                         recipient_role=role.value, source=sign_source)
            for role in sorted(snap.signatories_expected - set(snap.signed))]


def _payment_deadlines(snap: ExerciceSnapshot, effective: date, code: str | None) -> list[DeadlineSpec]:
    """The payments still expected (none once the contract is terminated), and the credits' end."""
    out = []
    if snap.terminated_on is None:
        for source in sorted(snap.payments_expected - set(snap.payments_received)):
            payer = "prefet" if source is FundingSource.BOP304 else "ars"
            out.append(DeadlineSpec(
                f"payment:{source.value}", f"Versement des crédits {source.label}",
                at_the_latest(effective + timedelta(days=PAYMENT_EXPECTED_DAYS), code),
                f"Versement attendu dans les {PAYMENT_EXPECTED_DAYS} jours suivant la dernière "
                f"signature du {format_date_fr(effective)} (article 4 : deux versements annuels).",
                effective, recipient_role=payer))
    out.append(DeadlineSpec(
        "credits_usable", "Fin de la période d'utilisation des crédits",
        at_the_latest(credits_usable_until(snap.year), code),
        f"Les crédits {snap.year} sont utilisables du 1er janvier {snap.year} au "
        f"31 décembre {snap.year + 1} ; le reliquat est reporté par avenant.",
        date(snap.year, 1, 1), escalate=False))
    return out


def _report_deadlines(snap: ExerciceSnapshot, effective: date, camp: Campaign | None,
                      code: str | None) -> list[DeadlineSpec]:
    """The ODPE's review and the report (a year after the last signature, or the campaign's date),
    and the end of the year's window for an avenant."""
    out = []
    if snap.report_transmitted_on is None:
        report = _governing(
            report_due_date(effective),
            "Le rapport d'exécution est transmis au Préfet et à l'ARS au plus tard un an après "
            f"la dernière signature du contrat, le {format_date_fr(effective)} (article 3).",
            camp, camp.execution_report if camp else None, not_before=effective)
        assert report is not None
        report_day, report_text, report_source = report
        if snap.odpe_session is None:
            out.append(DeadlineSpec(
                "odpe", "Avis de l'ODPE sur le projet de rapport",
                at_least_before(report_day, ODPE_BEFORE_REPORT_DAYS, code),
                "L'ODPE donne son avis sur le projet de rapport avant son adoption (article 3) ; "
                f"séance à tenir au moins {ODPE_BEFORE_REPORT_DAYS} jours avant l'échéance du "
                f"rapport, le {format_date_fr(report_day)}"
                + (" (date de la campagne nationale)." if report_source == "campagne" else "."),
                effective, source=report_source))
        out.append(DeadlineSpec(
            "report", "Transmission du rapport d'exécution",
            at_the_latest(report_day, code), report_text, effective, source=report_source))
    if snap.terminated_on is None:
        out.append(DeadlineSpec(
            "amendment_window", "Fin de la fenêtre d'avenant de l'exercice",
            at_the_latest(date(snap.year, 12, 31), code),
            "Un avenant annuel au plus, en cours d'année (article 5).", effective, escalate=False))
    return out
