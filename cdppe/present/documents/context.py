"""What the templates see: typed views of one contract and one exercice, built from the database.

Two layers:
- pure computations (plan d'action rows, tableau de bord ratios, execution
  summary) that take plain values and are tested without a database;
- ``build_context`` that reads the database once and returns a
  ``DocumentContext``; ``template_context`` turns it into the mapping one
  template receives.

Values stay typed (``Decimal``, ``date``): formatting happens in the
templates, through the filters of ``cdppe.present.documents.render``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from cdppe.core.dates import today_paris
from cdppe.core.money import ZERO
from cdppe.domain.calendar_rules import convocation_deadline, credits_usable_until
from cdppe.domain.campaigns import load_campaign
from cdppe.domain.catalogue import UnknownGenerationError, load_catalogue
from cdppe.domain.deadlines import governing_report_due
from cdppe.domain.document_kinds import DocumentKind
from cdppe.domain.legal import LegalView, contract_period, legal_view, number_in_words, period_label
from cdppe.domain.plan import (
    IMPLEMENTED_STATUSES,
    STATE_SOURCES,
    Amounts,
    DashboardRow,
    Line,
    Plan,
    ThirdPartyPayment,
    _etat_by_source,
    dashboard_rows,
    fiche_amounts,
    fiche_sort_key,
    plan_rows,
    third_party_payments,
)
from cdppe.domain.policy import cofinancing_totals
from cdppe.present.documents.french import departement_of
from cdppe.store.plan import (
    amendment_lines,
    amendment_numbers,
    amendment_transfers,
    contract_exercices,
    contract_fiches,
    contract_indicators,
    contract_objectives,
    fiche_executions,
    fiche_money_lines,
    fiches_given_money_by,
    find_amendment,
    indicator_values,
    party_members,
)
from cdppe.store.policy import exercice_findings, exercice_funded_lines
from cdppe.store.workflow import (
    find_deliberation,
    find_execution_report,
    find_odpe_presentation,
    find_odpe_review,
    payments_by_source,
    signatures_by_role,
)
from models import (
    Amendment,
    Contract,
    Departement,
    ExecutionReport,
    Exercice,
    FicheAction,
    Objective,
    OdpeReview,
    PartyMember,
    Payment,
)
from models.enums import AmendmentPart, DeliberatingBody, FicheStatus, FundingSource, Payer, SignatoryRole
from models.envelope import Envelope

DEFAULT_BOP304_IMPUTATION = (
    "programme 304 « Inclusion sociale et protection des personnes », action 17 « Protection et "
    "accompagnement des enfants, des jeunes et des familles vulnérables », sous-action 09 "
    "« Stratégie de prévention et de protection de l'enfance »"
)


class DocumentDataError(ValueError):
    """The database lacks what a document needs; the message is French, for users."""


# ---------------------------------------------------------------- pure views


@dataclass(frozen=True)
class Person:
    name: str
    title: str | None
    organisation: str
    email: str












@dataclass(frozen=True)
class ExecutionView:
    status: FicheStatus
    start_date: date | None
    duration: str | None
    reason: str | None
    assessment: str | None
    outlook: str | None
    consumed_etat: Decimal | None
    consumed_source: FundingSource | None = None
    consumed_departement: Decimal | None = None
    highlighted_for: FundingSource | None = None  # chosen by the Département in its report

    @property
    def status_label(self) -> str:
        return self.status.label


@dataclass(frozen=True)
class FicheView:
    number: str
    title: str
    objectives: list[str]
    objective_titles: list[str]
    mandatory: bool
    referent: str | None
    constat: str | None
    objectif_operationnel: str | None
    description: str | None
    partners: str | None
    calendar: str | None
    indicators_text: str | None
    vigilance: str | None
    amounts: Amounts
    sources: list[FundingSource]
    execution: ExecutionView | None
    indicators: list[DashboardRow] = field(default_factory=list)
    etat_by_source: dict[FundingSource, Decimal] = field(default_factory=dict)
    engagement: str | None = None  # the national engagement of its first objective (catalogue)

    @property
    def objectives_label(self) -> str:
        return ", ".join(self.objectives)

    @property
    def sources_label(self) -> str:
        return ", ".join(s.label for s in self.sources) or "—"

    @property
    def status(self) -> FicheStatus:
        return self.execution.status if self.execution else FicheStatus.PLANNED


@dataclass(frozen=True)
class ObjectiveGroup:
    """The fiches of one objective (or set of objectives: « 6 et 7 ») in the report."""

    objectives_label: str
    titles: list[str]
    mandatory: bool
    fiches: list[FicheView]


@dataclass(frozen=True)
class EngagementGroup:
    engagement: str | None
    objectives: list[ObjectiveGroup]


def report_groups(fiches: Sequence[FicheView]) -> list[EngagementGroup]:
    """The fiches grouped as the real reports are: by national engagement, then by objective.

    Groups keep the order in which the fiches first name them; a fiche whose objective the
    catalogue does not know goes under an engagement ``None`` (shown without a heading).
    """
    engagements: dict[str | None, dict[str, ObjectiveGroup]] = {}
    for fiche in fiches:
        objectives = engagements.setdefault(fiche.engagement, {})
        key = fiche.objectives_label
        group = objectives.get(key)
        if group is None:
            group = objectives[key] = ObjectiveGroup(key, [t for t in fiche.objective_titles if t],
                                                     fiche.mandatory, [])
        group.fiches.append(fiche)
    return [EngagementGroup(name, list(groups.values())) for name, groups in engagements.items()]


@dataclass(frozen=True)
class ReasonLine:
    fiche_number: str
    fiche_title: str
    status: FicheStatus
    reason: str


@dataclass(frozen=True)
class HighlightView:
    source: FundingSource
    fiche: FicheView | None
    etat: Decimal
    chosen: bool = False  # put forward by the Département, not picked by the largest-money rule


@dataclass(frozen=True)
class ReportSummary:
    planned: int
    implemented: int
    delayed: int
    abandoned: int
    reasons: list[ReasonLine]
    highlights: list[HighlightView]


@dataclass(frozen=True)
class FinanceRow:
    source: FundingSource
    planned: Decimal
    consumed: Decimal
    paid: Decimal | None
    missing: tuple[str, ...] = ()  # fiches of this envelope whose consumption is not reported

    @property
    def remaining(self) -> Decimal | None:
        """What is left of the money paid: the reliquat. ``None`` before the payment, and while a
        fiche's consumption is unknown (counting it as 0 € would overstate the carry-over)."""
        return None if self.paid is None or self.missing else self.paid - self.consumed


@dataclass(frozen=True)
class SessionInfo:
    convocation_date: date | None
    convocation_is_computed: bool
    session_date: date | None
    number: str | None
    acknowledgement_date: date | None
    vote: str | None = None  # as recorded: « à l'unanimité »
    published_on: date | None = None
    body: DeliberatingBody = DeliberatingBody.CONSEIL

    @property
    def adopted(self) -> bool:
        """The vote is recorded: the deliberation exists as adopted, not only as a projet."""
        return bool(self.number and self.vote and self.session_date)


@dataclass(frozen=True)
class EnvelopePart:
    part: AmendmentPart
    amount: Decimal
    label: str | None


@dataclass(frozen=True)
class EnvelopeChange:
    source: FundingSource
    before: Decimal
    after: Decimal
    parts: list[EnvelopePart]


@dataclass(frozen=True)
class TransferView:
    source: FundingSource
    from_fiche: str
    to_fiche: str
    amount: Decimal
    informed_on: date


@dataclass(frozen=True)
class AmendmentView:
    number: int
    reason: str | None
    decision: str | None
    effective_date: date | None
    envelopes: list[EnvelopeChange]
    transfers: list[TransferView]
    new_fiches: list[FicheView]
    third_parties: Decimal = ZERO  # the exercice's State money paid straight to third parties

    @property
    def state_total(self) -> Decimal:
        return sum((e.after for e in self.envelopes), ZERO)

    @property
    def departement_share(self) -> Decimal:
        return sum((e.after for e in self.envelopes if e.source is not FundingSource.ONDAM),
                   ZERO) - self.third_parties

    def amount(self, source: str) -> Decimal:
        return next((e.after for e in self.envelopes if e.source.value == source), ZERO)
















def report_summary(fiches: list[FicheView]) -> ReportSummary:
    """Counts of the execution report, computed from the fiches' statuses.

    - planned: every fiche of the contract for the exercice;
    - implemented ("mises en œuvre"): implemented, in progress or delayed;
    - delayed and abandoned: their status, each listed with its reason.
    Per funding source, the most relevant action is the one the Département puts
    forward (its report's "action phare"); where it chose none, the non-abandoned
    fiche with the largest State money on that envelope (rule stated in the report).
    """
    reasons = [
        ReasonLine(f.number, f.title, f.status, (f.execution.reason if f.execution else None)
                   or "motif non renseigné")
        for f in fiches if f.status in (FicheStatus.DELAYED, FicheStatus.ABANDONED)
    ]
    highlights = []
    for source in STATE_SOURCES:
        chosen = next((f for f in fiches if f.execution and f.execution.highlighted_for is source), None)
        if chosen is not None:
            highlights.append(HighlightView(source, chosen, chosen.etat_by_source.get(source, ZERO), True))
            continue
        best: FicheView | None = None
        best_amount = ZERO
        for fiche in fiches:
            if fiche.status is FicheStatus.ABANDONED or source not in fiche.sources:
                continue
            amount = fiche.etat_by_source.get(source, ZERO)
            if best is None or amount > best_amount:
                best, best_amount = fiche, amount
        if best is not None:
            highlights.append(HighlightView(source, best, best_amount))
    return ReportSummary(
        planned=len(fiches),
        implemented=sum(1 for f in fiches if f.status in IMPLEMENTED_STATUSES),
        delayed=sum(1 for f in fiches if f.status is FicheStatus.DELAYED),
        abandoned=sum(1 for f in fiches if f.status is FicheStatus.ABANDONED),
        reasons=reasons,
        highlights=highlights,
    )


def consumed_source(fiche: FicheView) -> FundingSource | None:
    """The envelope a fiche's consumption counts against: recorded, else its only State source."""
    if fiche.execution and fiche.execution.consumed_source:
        return fiche.execution.consumed_source
    return fiche.sources[0] if len(fiche.sources) == 1 else None




# ---------------------------------------------------------------- the whole context


@dataclass(frozen=True)
class ExerciceView:
    id: int
    year: int
    bop304: Decimal
    fir: Decimal
    ondam: Decimal
    reference_year: int | None
    effective_date: date | None
    report_due_date: date | None
    budget_controller_required: bool
    credits_from: date
    credits_until: date
    bop304_third_parties: Decimal = ZERO
    fir_third_parties: Decimal = ZERO
    third_parties: tuple[ThirdPartyPayment, ...] = ()

    @property
    def envelope(self) -> Envelope:
        return Envelope(self.bop304, self.fir, self.ondam, self.bop304_third_parties, self.fir_third_parties)

    def paid_to_departement(self, source: str) -> Decimal:
        return self.envelope.paid_to_departement(source)

    @property
    def state_total(self) -> Decimal:
        return self.envelope.state_total

    @property
    def departement_share(self) -> Decimal:
        return self.envelope.departement_share

    def amount(self, source: str) -> Decimal:
        return self.envelope.amount(source)


@dataclass(frozen=True)
class CofinancingRow:
    objectives: str
    state: Decimal
    departement: Decimal

    @property
    def gap(self) -> Decimal:
        return self.departement - self.state

    @property
    def met(self) -> bool:
        return self.departement >= self.state


@dataclass(frozen=True)
class FindingView:
    text: str
    rule: str
    refused: bool
    reason: str | None
    reason_by: str | None
    reason_on: date | None


@dataclass(frozen=True)
class RuleCheck:
    """The one-page rule check for the préfecture and the ARS before a signature."""

    cofinancing: list[CofinancingRow]
    own_spending_reference: Decimal | None
    own_spending_planned: Decimal | None
    findings: list[FindingView]


def _rule_check(session: Session, exercice: Exercice, avenant_number: int) -> RuleCheck:
    lines = exercice_funded_lines(session, exercice_id=exercice.id, up_to_avenant=avenant_number)
    rows = [CofinancingRow(" et ".join(group), state, dept)
            for group, (state, dept) in sorted(cofinancing_totals(lines).items()) if state or dept]
    findings = [FindingView(str(s.finding), s.finding.rule.label, s.refused,
                            s.reason.reason if s.reason else None, s.reason.recorded_by if s.reason else None,
                            today_paris(s.reason.recorded_at) if s.reason else None)
                for s in exercice_findings(session, exercice, avenant_number)]
    return RuleCheck(rows, exercice.own_spending_reference, exercice.own_spending_planned, findings)


@dataclass(frozen=True)
class DocumentContext:
    """Everything the documents of one contract, exercice and avenant may show."""

    contract_id: int
    contract_key: str
    title: str
    generation: str
    departement_code: str
    departement_name: str
    first_year: int
    last_year: int
    coordinator: Person
    parties: dict[str, Person]
    contacts: dict[str, list[Person]]
    payment_terms: dict[str, str | None]
    exercice: ExerciceView
    exercices: list[ExerciceView]
    objectives_mandatory: int
    objectives_chosen: int
    fiches: list[FicheView]
    plan: Plan
    plans: list[Plan]
    dashboard: list[DashboardRow]
    dashboard_all_years: list[DashboardRow]
    session: SessionInfo
    signatures: dict[str, date]
    payments: dict[str, Payment]
    odpe_presented_on: date | None  # the ODPE was presented the contract
    odpe: OdpeReview | None
    report: ExecutionReport | None
    summary: ReportSummary
    finances: list[FinanceRow]
    amendment: AmendmentView | None
    avenant_number: int
    today: date
    rule_check: RuleCheck
    legal: LegalView
    engagements: dict[str, str] = field(default_factory=dict)  # objective number → national engagement
    optional_in_catalogue: int = 0  # the optional objectives the generation's catalogue offers

    @property
    def report_groups(self) -> list[EngagementGroup]:
        return report_groups(self.fiches)

    @property
    def years_label(self) -> str:
        """The contract's period as this exercice's documents state it (never a later exercice's)."""
        return period_label(self.first_year, self.last_year)

    @property
    def departement_article(self) -> str:
        """``de la Creuse``, ``de Saône-et-Loire``."""
        return departement_of(self.departement_code, self.departement_name)


def _person(member: PartyMember) -> Person:
    return Person(member.name, member.title, member.organisation, member.email)


def _exercice_view(ex: Exercice, lines: Sequence[Line] = ()) -> ExerciceView:
    assert ex.id is not None
    return ExerciceView(
        id=ex.id, year=ex.year, bop304=ex.bop304, fir=ex.fir, ondam=ex.ondam,
        bop304_third_parties=ex.bop304_third_parties, fir_third_parties=ex.fir_third_parties,
        third_parties=tuple(third_party_payments(lines)),
        reference_year=ex.reference_year, effective_date=ex.effective_date,
        report_due_date=ex.report_due_date or (governing_report_due(ex.year, ex.effective_date)
                                               if ex.effective_date else None),
        budget_controller_required=ex.budget_controller_required,
        credits_from=date(ex.year, 1, 1), credits_until=credits_usable_until(ex.year))


def _milestones(contract: Contract, year: int) -> dict[str, Any]:
    for ex in contract.source_document.get("exercices", []):
        if ex.get("year") == year:
            return dict(ex.get("milestones") or {})
    return {}


def _iso(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def build_context(session: Session, contract_id: int, exercice_id: int,
                  avenant_number: int = 0, today: date | None = None) -> DocumentContext:
    """Read one contract and exercice (and avenant) from the database, once."""
    contract, exercice = _contract_and_exercice(session, contract_id, exercice_id)
    assert contract.id is not None and exercice.id is not None
    departement = session.get(Departement, contract.departement_code)
    first_year, last_year = contract_period(contract.first_year, contract.generation, exercice.year)
    exercices = [e for e in contract_exercices(session, contract_id=contract_id) if e.year <= last_year]
    legal = legal_view(contract.source_document.get("legal"), load_campaign(exercice.year), exercice.year)
    parties, contacts = _parties(session, contract)
    objectives = contract_objectives(session, contract_id=contract_id)
    objective_titles, engagements = _objective_titles(contract, objectives)
    mandatory = {o.number: o.mandatory for o in objectives}
    amendment = _amendment(session, contract, exercice, avenant_number)
    fiche_rows = contract_fiches(session, contract_id=contract_id)
    lines_by_exercice = _lines_by_exercice(session, fiche_rows, exercices, avenant_number)
    indicators = contract_indicators(session, contract_id=contract_id)
    values = indicator_values(session, indicator_ids=[i.id for i in indicators])
    dashboard_all = dashboard_rows(indicators, values, [e.year for e in exercices])
    dashboard = [r for r in dashboard_all if r.year == exercice.year]
    fiches = _fiche_views(session, exercice, fiche_rows, lines_by_exercice[exercice.id],
                          (objective_titles, engagements), mandatory, dashboard)
    triples = [(f.number, f.title, list(f.objective_numbers)) for f in fiche_rows]
    plans = [plan_rows(e.year, triples, lines_by_exercice[e.id or 0], objective_titles, mandatory)
             for e in exercices]
    milestones = _milestones(contract, exercice.year)
    payments = {source.value: p for source, p in payments_by_source(session, exercice_id=exercice.id).items()}
    ex_view = _exercice_view(exercice, lines_by_exercice[exercice.id])
    return DocumentContext(
        contract_id=contract.id, contract_key=contract.key, title=contract.title,
        generation=contract.generation, departement_code=contract.departement_code,
        departement_name=departement.name if departement else contract.departement_code,
        first_year=first_year, last_year=last_year,
        coordinator=Person(contract.coordinator_name, None, "", contract.coordinator_email),
        parties=parties, contacts=contacts, payment_terms=_payment_terms(contract),
        exercice=ex_view, exercices=[_exercice_view(e, lines_by_exercice[e.id or 0]) for e in exercices],
        objectives_mandatory=sum(1 for o in objectives if o.mandatory),
        objectives_chosen=sum(1 for o in objectives if not o.mandatory),
        fiches=fiches, plan=next(p for p in plans if p.year == exercice.year), plans=plans,
        dashboard=dashboard, dashboard_all_years=dashboard_all,
        session=_session_info(session, contract, exercice, avenant_number, milestones,
                              legal.body(avenant_number)),
        signatures=_signature_dates(session, exercice, avenant_number, milestones),
        payments=payments, odpe=find_odpe_review(session, exercice_id=exercice.id),
        odpe_presented_on=_odpe_presented_on(session, exercice),
        report=find_execution_report(session, exercice_id=exercice.id), summary=report_summary(fiches),
        finances=_finances(ex_view, fiches, payments),
        amendment=None if amendment is None else _amendment_view(session, amendment, ex_view, fiches,
                                                                 avenant_number),
        avenant_number=avenant_number, today=today or today_paris(),
        rule_check=_rule_check(session, exercice, avenant_number), legal=legal, engagements=engagements,
        optional_in_catalogue=_optional_in_catalogue(contract.generation))


def _contract_and_exercice(session: Session, contract_id: int, exercice_id: int) -> tuple[Contract, Exercice]:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise DocumentDataError(f"contrat n° {contract_id} introuvable")
    exercice = session.get(Exercice, exercice_id)
    if exercice is None or exercice.contract_id != contract_id:
        raise DocumentDataError(f"exercice n° {exercice_id} absent du contrat {contract.key}")
    return contract, exercice


def _parties(session: Session, contract: Contract) -> tuple[dict[str, Person], dict[str, list[Person]]]:
    """The signatory of each party (all three are required) and the other contacts of each."""
    members = party_members(session, contract_id=contract.id)
    parties = {pm.party.value: _person(pm) for pm in members if pm.is_signatory}
    contacts: dict[str, list[Person]] = defaultdict(list)
    for pm in members:
        if not pm.is_signatory:
            contacts[pm.party.value].append(_person(pm))
    for role in (SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT):
        if role.value not in parties:
            raise DocumentDataError(f"contrat {contract.key} : signataire « {role.label} » manquant")
    return parties, dict(contacts)


def _optional_in_catalogue(generation: str) -> int:
    try:
        return sum(1 for o in load_catalogue(generation).objectives if not o.mandatory)
    except UnknownGenerationError:
        return 0


def _objective_titles(contract: Contract, objectives: Sequence[Objective],
                      ) -> tuple[dict[str, str], dict[str, str]]:
    """Each objective's title (the contract's own, else the national catalogue's of its generation)
    and its national engagement where the catalogue gives one."""
    try:
        catalogue = load_catalogue(contract.generation)
    except UnknownGenerationError:
        catalogue = None
    titles, engagements = {}, {}
    for o in objectives:
        entry = catalogue.get(o.number) if catalogue else None
        titles[o.number] = o.title or (entry.title if entry else "")
        if entry is not None and entry.engagement:
            engagements[o.number] = entry.engagement
    return titles, engagements


def _amendment(session: Session, contract: Contract, exercice: Exercice, avenant_number: int,
               ) -> Amendment | None:
    if not avenant_number:
        return None
    amendment = find_amendment(session, exercice_id=exercice.id, number=avenant_number)
    if amendment is None:
        raise DocumentDataError(f"avenant n° {avenant_number} absent de l'exercice {exercice.year} "
                                f"du contrat {contract.key}")
    return amendment


def _lines_by_exercice(session: Session, fiche_rows: Sequence[FicheAction], exercices: Sequence[Exercice],
                       avenant_number: int) -> dict[int, list[Line]]:
    """Each exercice's money lines as this document sees them: a later avenant's are not part of it."""
    fiche_numbers = {f.id: f.number for f in fiche_rows}
    numbers = amendment_numbers(session, exercice_ids=[e.id for e in exercices])
    lines: dict[int, list[Line]] = defaultdict(list)
    for m in fiche_money_lines(session, fiche_ids=fiche_numbers):
        if m.amendment_id is not None and numbers.get(m.amendment_id, 0) > avenant_number:
            continue
        lines[m.exercice_id].append(Line(fiche_numbers[m.fiche_id], m.payer, m.source, m.amount,
                                         m.valorisation, m.payee))
    return lines


def _fiche_views(session: Session, exercice: Exercice, fiche_rows: Sequence[FicheAction],
                 year_lines: list[Line], national: tuple[dict[str, str], dict[str, str]],
                 mandatory: dict[str, bool], dashboard: list[DashboardRow]) -> list[FicheView]:
    objective_titles, engagements = national
    executions = fiche_executions(session, exercice_id=exercice.id)
    fiches = []
    for f in fiche_rows:
        own = [ln for ln in year_lines if ln.fiche_number == f.number]
        exe = executions.get(f.id)
        fiches.append(FicheView(
            number=f.number, title=f.title, objectives=list(f.objective_numbers),
            objective_titles=[objective_titles.get(o, "") for o in f.objective_numbers],
            mandatory=any(mandatory.get(o, False) for o in f.objective_numbers),
            referent=f.referent, constat=f.constat, objectif_operationnel=f.objectif_operationnel,
            description=f.description, partners=f.partners, calendar=f.calendar,
            indicators_text=f.indicators_text, vigilance=f.vigilance, amounts=fiche_amounts(own),
            sources=[s for s in STATE_SOURCES
                     if any(ln.source is s and ln.payer is Payer.ETAT for ln in own)],
            execution=None if exe is None else ExecutionView(
                exe.status, exe.start_date, exe.duration, exe.reason, exe.assessment, exe.outlook,
                exe.consumed_etat, exe.consumed_source, exe.consumed_departement, exe.highlighted_for),
            indicators=[r for r in dashboard if r.fiche == f.number],
            etat_by_source=_etat_by_source(own),
            engagement=next((engagements[o] for o in f.objective_numbers if o in engagements), None),
        ))
    fiches.sort(key=lambda fv: fiche_sort_key(fv.number))
    return fiches


def _session_info(session: Session, contract: Contract, exercice: Exercice, avenant_number: int,
                  milestones: dict[str, Any], body: DeliberatingBody) -> SessionInfo:
    """The council session: as recorded, else (for the contract) as the contract file planned it;
    a convocation date nobody gave is computed from the session's date."""
    delib = find_deliberation(session, exercice_id=exercice.id, avenant=avenant_number)
    planned = {} if avenant_number else milestones
    session_date = (delib.session_date if delib else None) or _iso(planned.get("council_session_date")) or (
        None if avenant_number else exercice.planned_council_session)
    convocation = (delib.convocation_date if delib else None) or _iso(planned.get("convocation_date"))
    computed = False
    if convocation is None and session_date is not None:
        convocation = convocation_deadline(session_date, contract.departement_code).effective
        computed = True
    return SessionInfo(
        convocation_date=convocation, convocation_is_computed=computed, session_date=session_date,
        number=(delib.number if delib else None) or planned.get("deliberation_number"),
        acknowledgement_date=(delib.acknowledgement_date if delib else None) or _iso(
            planned.get("acknowledgement_date")),
        vote=(delib.vote if delib else None) or planned.get("vote"),
        published_on=_iso(planned.get("publication_date")), body=body)


def _signature_dates(session: Session, exercice: Exercice, avenant_number: int,
                     milestones: dict[str, Any]) -> dict[str, date]:
    signed = signatures_by_role(session, exercice_id=exercice.id, avenant=avenant_number)
    signatures = {role.value: s.signed_on for role, s in signed.items()}
    if not signatures and not avenant_number:
        signatures = {k: d for k, v in (milestones.get("signatures") or {}).items()
                      if (d := _iso(v)) is not None}
    return signatures


def _finances(ex_view: ExerciceView, fiches: list[FicheView],
              payments: dict[str, Payment]) -> list[FinanceRow]:
    """Per State source: planned, consumed by the fiches that name it, and the notified payment."""
    finances = []
    for source in STATE_SOURCES:
        planned = ex_view.amount(source.value) if source is FundingSource.ONDAM else \
            ex_view.paid_to_departement(source.value)
        consumed = sum((f.execution.consumed_etat or ZERO for f in fiches
                        if f.execution and consumed_source(f) is source), ZERO)
        pay = payments.get(source.value)
        third = {n for t in ex_view.third_parties if t.source is source for n in t.fiches}
        missing = tuple(f.number for f in fiches if source in f.sources and source is not FundingSource.ONDAM
                        and f.number not in third
                        and (f.execution is None or f.execution.consumed_etat is None))
        if planned or consumed or pay:
            finances.append(FinanceRow(source, planned, consumed, pay.notified_amount if pay else None,
                                       missing))
    return finances


def _payment_terms(contract: Contract) -> dict[str, str | None]:
    terms = {k: (None if v is None else str(v))
             for k, v in (contract.details.get("payment_terms") or {}).items()}
    if not terms.get("bop304_imputation"):
        terms["bop304_imputation"] = DEFAULT_BOP304_IMPUTATION
    terms.setdefault("bic", None)
    return terms


def _amendment_view(session: Session, amendment: Amendment, exercice: ExerciceView,
                    fiches: list[FicheView], avenant_number: int) -> AmendmentView:
    """Each envelope's new total is the sum of its parts; an envelope without parts is unchanged.

    The fiches annexed to the avenant are those the avenant gives money to (its money lines).
    """
    lines = amendment_lines(session, amendment_id=amendment.id)
    envelopes = []
    for source in STATE_SOURCES:
        parts = [EnvelopePart(ln.part, ln.amount, ln.label) for ln in lines if ln.source is source]
        before = exercice.amount(source.value)
        after = sum((p.amount for p in parts), ZERO) if parts else before
        if parts or before:
            envelopes.append(EnvelopeChange(source, before, after, parts))
    amended_fiches = fiches_given_money_by(session, amendment_id=amendment.id)
    return AmendmentView(
        number=avenant_number, reason=amendment.reason, decision=amendment.decision,
        effective_date=amendment.effective_date, envelopes=envelopes,
        transfers=[TransferView(t.source, t.from_fiche, t.to_fiche, t.amount, t.informed_on)
                   for t in amendment_transfers(session, amendment_id=amendment.id)],
        new_fiches=[f for f in fiches if f.number in amended_fiches],
        third_parties=exercice.bop304_third_parties + exercice.fir_third_parties)


def template_context(ctx: DocumentContext, kind: DocumentKind,
                     template_version: str = "") -> dict[str, Any]:
    """The mapping one template receives: the whole context plus what is specific to ``kind``."""
    envelope = kind.envelope
    title = kind.label
    if kind is DocumentKind.CONVOCATION:
        title = f"Convocation {ctx.session.body.of_label}"
    return {
        "c": ctx,
        "kind": kind.value,
        "doc_title": title,
        "envelope": envelope,
        "payment": ctx.payments.get(envelope.value) if envelope else None,
        "template_version": template_version,
        "FicheStatus": FicheStatus,
        "FundingSource": FundingSource,
        "words": number_in_words,
    }


def _odpe_presented_on(session: Session, exercice: Exercice) -> date | None:
    presented = find_odpe_presentation(session, exercice_id=exercice.id)
    return presented.session_date if presented else None
