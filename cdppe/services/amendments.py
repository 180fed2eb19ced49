"""Avenants: carry-over from what was paid and consumed, checks, and opening exactly once."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from cdppe.core.dates import format_date_fr
from cdppe.core.money import ZERO, MoneyError, format_eur, to_money
from cdppe.domain.campaigns import carry_over_rule, policy_mode
from cdppe.domain.carry_over import EnvelopeCarryOver, FicheUse, carry_over
from cdppe.domain.fiche_numbers import FicheMap, FicheNumberError, parse_fiche_number
from cdppe.domain.policy import FundedLine, cofinancing_findings
from cdppe.store.amendments import (
    amendment_by_request,
    contract_amendments,
    departement_exercice,
    fiches_with_money_in,
    open_amendment_of,
    state_money_lines,
)
from cdppe.store.plan import amendment_lines, contract_exercices, fiche_executions, fiches_by_number
from cdppe.store.policy import exercice_funded_lines
from cdppe.store.workflow import paid_per_source
from models import (
    Amendment,
    AmendmentLine,
    AmendmentTransfer,
    AuditEvent,
    Contract,
    Exercice,
    FicheAction,
    MoneyLine,
)
from models.amendment_request import AmendmentRequest, EnvelopeChange
from models.enums import AmendmentPart, AmendmentStatus, CarryOverRule, FundingSource, Payer, PolicyMode


class AmendmentRefusedError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class OpenedAmendment:
    amendment_id: int
    number: int
    duplicate: bool


def request_key(request: AmendmentRequest) -> str:
    """Same content, same key: two operators sending the same avenant get one."""
    payload = request.model_dump(mode="json", exclude={"requested_by"})
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:40]


def previous_exercice(session: Session, contract: Contract, exercice: Exercice) -> Exercice | None:
    """The exercice of year N-1: same contract, or the Département's previous contract."""
    return departement_exercice(session, departement_code=contract.departement_code, year=exercice.year - 1)


def fiche_sources(session: Session, exercice: Exercice) -> dict[int, FundingSource]:
    """The State envelope that funds each fiche in an exercice (its largest State line)."""
    best: dict[int, tuple[Decimal, FundingSource]] = {}
    for line in state_money_lines(session, exercice_id=exercice.id):
        if line.source and (line.fiche_id not in best or line.amount > best[line.fiche_id][0]):
            best[line.fiche_id] = (line.amount, line.source)
    return {fid: src for fid, (_, src) in best.items()}


def fiche_uses(session: Session, exercice: Exercice) -> list[FicheUse]:
    """Each fiche's State money per envelope (BOP 304, FIR) and the consumption its report declares.

    A fiche declares one consumption figure, against its ``consumed_source`` or else the envelope
    of its largest State line; its lines in another envelope then count as not consumed. Lines paid
    straight to a third party are left out: that money never reaches the Département."""
    numbers = fiches_with_money_in(session, exercice_id=exercice.id)
    planned: dict[tuple[int | None, FundingSource], Decimal] = defaultdict(lambda: ZERO)
    for line in state_money_lines(session, exercice_id=exercice.id, without=FundingSource.ONDAM):
        if line.source is not None and not line.payee:  # a third party's money is not carried over here
            planned[(line.fiche_id, line.source)] += line.amount
    main = fiche_sources(session, exercice)
    executions = fiche_executions(session, exercice_id=exercice.id)
    declared: dict[int | None, tuple[FundingSource | None, Decimal]] = {
        fid: (exe.consumed_source or main.get(fid or 0), exe.consumed_etat)
        for fid, exe in executions.items() if exe.consumed_etat is not None}
    uses = []
    for (fid, source), amount in planned.items():
        consumed: Decimal | None = None
        if fid in declared:
            consumed = declared[fid][1] if declared[fid][0] is source else ZERO
        uses.append(FicheUse(numbers.get(fid, "?"), source, amount, consumed))
    for fid, (against, used) in declared.items():  # declared against an envelope the fiche has no line in
        if against is not None and against is not FundingSource.ONDAM and (fid, against) not in planned:
            uses.append(FicheUse(numbers.get(fid, "?"), against, ZERO, used))
    return uses


def carry_over_figures(session: Session, previous: Exercice,
                       rule: CarryOverRule) -> dict[FundingSource, EnvelopeCarryOver]:
    """Per envelope paid in ``previous``: net and per-fiche carry-over, fiches lacking consumption."""
    paid = defaultdict(lambda: ZERO, paid_per_source(session, exercice_id=previous.id))  # every tranche
    return carry_over(paid, fiche_uses(session, previous), rule)


def _money(value: str, where: str, problems: list[str]) -> Decimal:
    try:
        return to_money(value)
    except MoneyError as exc:
        problems.append(f"{where} : {exc}")
        return ZERO


def plan_amendment(session: Session, contract: Contract, exercice: Exercice, request: AmendmentRequest,
                   as_of: date) -> tuple[list[AmendmentLine], list[AmendmentTransfer], list[str]]:
    """Check the request and build its lines; every problem is listed at once."""
    problems: list[str] = []
    lines = _envelope_lines(session, contract, exercice, request, problems)
    fiches = fiches_by_number(session, contract_id=contract.id)
    transfers = _transfers(session, exercice, request, fiches, as_of, problems)
    _check_fiches(request, fiches, problems)
    _plan_agrees_with_envelopes(exercice, request, lines, fiches, problems)
    _cofinancing_after(session, exercice, request, fiches, problems)
    if not request.envelopes and not request.fiches and not request.transfers:
        problems.append("avenant vide : aucune enveloppe, fiche ni fongibilité")
    return lines, transfers, problems


def added_by_envelope(exercice: Exercice, request: AmendmentRequest, lines: list[AmendmentLine],
                      ) -> dict[FundingSource, tuple[Decimal, Decimal]]:
    """Per envelope the avenant touches: (what Article 1 adds to it, what the request's fiches receive)."""
    to_fiches: dict[FundingSource, Decimal] = defaultdict(lambda: ZERO)
    for fc in request.fiches:
        to_fiches[fc.source] += to_money(fc.etat_amount)
    new_totals: dict[FundingSource, Decimal] = defaultdict(lambda: ZERO)
    for part in lines:
        new_totals[part.source] += part.amount
    current = exercice.envelope
    changed = {env.source for env in request.envelopes}
    return {source: ((new_totals[source] if source in changed else current.amount(source))
                     - current.amount(source), to_fiches[source])
            for source in changed | set(to_fiches)}


def _plan_agrees_with_envelopes(exercice: Exercice, request: AmendmentRequest, lines: list[AmendmentLine],
                                fiches: FicheMap[FicheAction], problems: list[str]) -> None:
    """Article 1 and the annexed plan d'action must agree: what the avenant adds to an envelope
    (its new total minus the current envelope) goes to fiches, listed or named by ``to_fiche``.
    An avenant whose annex would contradict its article is refused here, before it is opened."""
    try:
        added = added_by_envelope(exercice, request, lines)
    except MoneyError:
        return  # the amount's own error is reported by the fiche check
    where = {env.source: f"envelopes[{i}] ({env.source.label})" for i, env in enumerate(request.envelopes)}
    receiver = {env.source: env.to_fiche for env in request.envelopes if env.to_fiche}
    new_or_listed = FicheMap((fc.fiche, fc) for fc in request.fiches)  # « 13a » finds « 13 a »
    for source, (given, listed) in sorted(added.items()):
        place = where.get(source, f"fiches ({source.label})")
        if source in receiver and receiver[source] not in fiches and receiver[source] not in new_or_listed:
            problems.append(f"{place}.to_fiche : fiche {receiver[source]!r} inconnue du contrat")
        elif source in receiver and given >= listed:
            continue
        elif given != listed:
            problems.append(
                f"{place} : l'article 1 porterait l'enveloppe {source.label} de "
                f"{format_eur(exercice.envelope.amount(source))} à "
                f"{format_eur(exercice.envelope.amount(source) + given)} (+ {format_eur(given)}) mais les "
                f"fiches de l'avenant en reçoivent {format_eur(listed)} : le plan d'action annexé ne "
                f"totaliserait pas l'article 1 ; répartissez {format_eur(given - listed)} sur des fiches "
                f"(fiches) ou nommez la fiche qui les reçoit ({place}.to_fiche)")


def _envelope_lines(session: Session, contract: Contract, exercice: Exercice, request: AmendmentRequest,
                    problems: list[str]) -> list[AmendmentLine]:
    """Each envelope's parts; the carry-over is the proposed one unless the parties agree another
    figure and say why."""
    prev = previous_exercice(session, contract, exercice)
    figures = carry_over_figures(session, prev, carry_over_rule(exercice.year)) if prev else {}
    current = exercice.envelope
    paid = paid_per_source(session, exercice_id=exercice.id)
    lines: list[AmendmentLine] = []
    seen: set[FundingSource] = set()
    for i, env in enumerate(request.envelopes):
        where = f"envelopes[{i}] ({env.source.label})"
        if env.source in seen:
            problems.append(f"{where} : enveloppe présente deux fois")
        seen.add(env.source)
        carry, carry_label = _carry_part(env, figures.get(env.source), prev, where, problems)
        other, other_label = _carry_other_part(env, where, problems)
        parts = {
            AmendmentPart.INITIAL: (_money(env.initial, f"{where}.initial", problems)
                                    if env.initial is not None else current.amount(env.source)),
            AmendmentPart.CARRY_OVER: carry,
            AmendmentPart.CARRY_OVER_OTHER: other,
            AmendmentPart.SUPPLEMENTARY: _money(env.supplementary, f"{where}.supplementary", problems),
            AmendmentPart.TRANSFER_IN: _money(env.transfer_in, f"{where}.transfer_in", problems),
            AmendmentPart.NEW_ACTIONS: _money(env.new_actions, f"{where}.new_actions", problems),
        }
        labels = {AmendmentPart.CARRY_OVER: carry_label, AmendmentPart.CARRY_OVER_OTHER: other_label}
        total = sum(parts.values(), ZERO)
        if env.source in paid and total < paid[env.source]:
            problems.append(f"{where} : nouveau total {format_eur(total)} inférieur au montant déjà "
                            f"versé {format_eur(paid[env.source])}")
        lines.extend(AmendmentLine(amendment_id=0, source=env.source, part=part, amount=amount,
                                   label=labels.get(part) or part.label)
                     for part, amount in parts.items() if amount or part is AmendmentPart.INITIAL)
    return lines


def _carry_part(env: EnvelopeChange, figure: EnvelopeCarryOver | None, previous: Exercice | None,
                where: str, problems: list[str]) -> tuple[Decimal, str | None]:
    """The carry-over of this contract's previous year: the proposal, or the agreed figure and its reason."""
    proposed = ZERO if figure is None else figure.proposed
    reason = (env.carry_over_reason or "").strip()
    if env.carry_over is None:
        if proposed is None:
            assert figure is not None and previous is not None
            problems.append(
                f"{where}.carry_over : aucun report proposé, la consommation {previous.year} est inconnue "
                f"pour les fiches {', '.join(figure.missing)} ({figure.explanation()}). Renseignez-la "
                "au rapport d'exécution, ou indiquez le report convenu et son motif.")
        return proposed or ZERO, None
    given = _money(env.carry_over, f"{where}.carry_over", problems)
    if given == proposed:
        return given, None
    if not reason:
        shown = "aucun (consommation inconnue)" if proposed is None else format_eur(proposed)
        explained = f" ; {figure.explanation()}" if figure else ""
        problems.append(f"{where}.carry_over_reason : le report convenu ({format_eur(given)}) diffère du "
                        f"report proposé ({shown}{explained}) : indiquez le motif du report convenu")
        return given, None
    shown = "aucun" if proposed is None else format_eur(proposed)
    return given, f"{AmendmentPart.CARRY_OVER.label} (convenu ; proposé : {shown} ; motif : {reason})"


def _carry_other_part(env: EnvelopeChange, where: str, problems: list[str]) -> tuple[Decimal, str | None]:
    """Unused credits of another contract carried into this one: the contract must be named."""
    amount = _money(env.carry_over_other, f"{where}.carry_over_other", problems)
    origin = (env.carry_over_other_from or "").strip()
    if amount and not origin:
        problems.append(f"{where}.carry_over_other_from : nommez le contrat d'origine du report "
                        f"de {format_eur(amount)}")
    if not amount:
        return amount, None
    return amount, f"{AmendmentPart.CARRY_OVER_OTHER.label} : {origin}"


def _transfers(session: Session, exercice: Exercice, request: AmendmentRequest,
               fiches: FicheMap[FicheAction], as_of: date, problems: list[str]) -> list[AmendmentTransfer]:
    """Fongibilité: State money moved between known fiches, within what the giving fiche has."""
    ids = {fiche.id: fiche.number for fiche in fiches.values()}
    state_money: dict[tuple[str, FundingSource], Decimal] = defaultdict(lambda: ZERO)
    for line in state_money_lines(session, exercice_id=exercice.id):
        if line.source and line.fiche_id in ids:
            state_money[(ids[line.fiche_id], line.source)] += line.amount
    transfers: list[AmendmentTransfer] = []
    for i, tr in enumerate(request.transfers):
        where = f"transfers[{i}]"
        amount = _money(tr.amount, f"{where}.amount", problems)
        for name in (tr.from_fiche, tr.to_fiche):
            if name not in fiches:
                problems.append(f"{where} : fiche {name!r} inconnue")
        if tr.source is FundingSource.ONDAM:
            problems.append(f"{where} : la fongibilité ne concerne que le BOP 304 et le FIR")
        giver, taker = fiches.get(tr.from_fiche), fiches.get(tr.to_fiche)
        available = state_money.get((giver.number, tr.source), ZERO) if giver else ZERO
        if tr.from_fiche in fiches and amount > available:
            problems.append(f"{where} : {format_eur(amount)} transférés depuis la fiche {tr.from_fiche} "
                            f"qui n'a que {format_eur(available)} sur le {tr.source.label}")
        if tr.informed_on > as_of:
            problems.append(f"{where}.informed_on : date d'information dans le futur "
                            f"({format_date_fr(tr.informed_on)})")
        transfers.append(AmendmentTransfer(
            amendment_id=0, source=tr.source, from_fiche=giver.number if giver else tr.from_fiche,
            to_fiche=taker.number if taker else tr.to_fiche, amount=amount, informed_on=tr.informed_on))
    return transfers


def _check_fiches(request: AmendmentRequest, fiches: FicheMap[FicheAction], problems: list[str]) -> None:
    for i, fc in enumerate(request.fiches):
        where = f"fiches[{i}] (fiche n° {fc.fiche})"
        try:
            parse_fiche_number(fc.fiche)
        except FicheNumberError as exc:
            problems.append(f"{where} : {exc}")
        _money(fc.etat_amount, f"{where}.etat_amount", problems)
        _money(fc.departement_amount, f"{where}.departement_amount", problems)
        if fc.fiche not in fiches and (not fc.title or not fc.objectives):
            problems.append(f"{where} : une nouvelle fiche demande un intitulé et ses objectifs")


def _cofinancing_after(session: Session, exercice: Exercice, request: AmendmentRequest,
                       fiches: FicheMap[FicheAction], problems: list[str]) -> None:
    """Each objective's whole money once the avenant applies; a shortfall is a finding shown at the
    avenant's signature, refused here only where the campaign refuses it."""
    lines = exercice_funded_lines(session, exercice_id=exercice.id, up_to_avenant=None)
    for fc in request.fiches:
        known = fiches.get(fc.fiche)
        objectives = tuple(known.objective_numbers) if known else tuple(fc.objectives)
        for payer, amount in ((Payer.ETAT, fc.etat_amount), (Payer.DEPARTEMENT, fc.departement_amount)):
            try:
                lines.append(FundedLine(objectives, payer, fc.source, to_money(amount)))
            except MoneyError:
                pass  # reported by _check_fiches
    for finding in cofinancing_findings(exercice.year, lines):
        if policy_mode(finding.year, finding.rule) is PolicyMode.REFUSE:
            problems.append(f"{finding} ; refusé par la campagne {finding.year}")


def open_amendment(session: Session, contract: Contract, exercice: Exercice, request: AmendmentRequest,
                   as_of: date, flow_run_id: str | None = None) -> OpenedAmendment:
    """Open avenant N+1 once; the same request again (even concurrently) returns the same avenant.

    ``duplicate`` is False for the flow run that opened it (so it goes on after a
    resume) and True for any other request with the same content.
    """
    key = request_key(request)
    existing = amendment_by_request(session, request_key=key)
    if existing is not None:
        assert existing.id is not None
        mine = flow_run_id is not None and existing.flow_run_id == flow_run_id
        return OpenedAmendment(existing.id, existing.number, duplicate=not mine)
    lines, transfers, problems = plan_amendment(session, contract, exercice, request, as_of)
    still_open = open_amendment_of(session, exercice_id=exercice.id)
    if still_open is not None and still_open.request_key == key:  # opened meanwhile by another run
        assert still_open.id is not None
        return OpenedAmendment(still_open.id, still_open.number, duplicate=True)
    if still_open is not None:
        problems.append(f"l'avenant n° {still_open.number} de cet exercice n'est pas encore signé")
    number = _avenant_number(session, contract, exercice, request, problems)
    if problems:
        meanwhile = amendment_by_request(session, request_key=key)
        if meanwhile is not None:  # an identical request committed while this one was checked
            assert meanwhile.id is not None
            return OpenedAmendment(meanwhile.id, meanwhile.number, duplicate=True)
        raise AmendmentRefusedError(problems)
    assert exercice.id is not None
    amendment = Amendment(exercice_id=exercice.id, number=number, request_key=key, reason=request.reason,
                          opened_by=request.requested_by, flow_run_id=flow_run_id)
    try:
        with session.begin_nested():
            session.add(amendment)
            session.flush()
    except IntegrityError:
        return _opened_meanwhile(session, key)
    assert amendment.id is not None
    for row in [*lines, *transfers]:
        row.amendment_id = amendment.id
        session.add(row)
    _write_fiche_money(session, contract, exercice, request, amendment.id)
    _write_remainders(session, contract, exercice, request, lines, amendment.id)
    session.add(AuditEvent(contract_id=contract.id, exercice_id=exercice.id, actor=request.requested_by,
                           action="amendment.opened",
                           detail={"number": amendment.number, "request": request.model_dump(mode="json")}))
    session.flush()
    return OpenedAmendment(amendment.id, amendment.number, duplicate=False)


def _avenant_number(session: Session, contract: Contract, exercice: Exercice, request: AmendmentRequest,
                    problems: list[str]) -> int:
    """The contract's next number, or the operator's (the real avenant's) when it is free; a second
    avenant in one exercice only with its reason (at most one financial avenant a year)."""
    existing = contract_amendments(session, contract_id=contract.id)
    this_year = [a for a in existing
                 if a.exercice_id == exercice.id and a.status != AmendmentStatus.ABANDONED]
    if this_year and not (request.another_avenant_reason or "").strip():
        problems.append(f"another_avenant_reason : l'exercice {exercice.year} a déjà l'avenant n° "
                        f"{this_year[-1].number} (au plus un avenant financier par an) : indiquez le motif "
                        "d'un autre avenant")
    following = max((a.number for a in existing), default=0) + 1
    if request.number is None:
        return following
    taken = next((a for a in existing if a.number == request.number), None)
    if taken is not None:
        year = next((e.year for e in contract_exercices(session, contract_id=contract.id)
                     if e.id == taken.exercice_id), exercice.year)
        problems.append(f"number : le numéro {request.number} est déjà celui d'un avenant du contrat "
                        f"(exercice {year}) ; le suivant libre est le n° {following}")
    return request.number


def _opened_meanwhile(session: Session, key: str) -> OpenedAmendment:
    """Another transaction took the number first: the same request is that avenant, another is refused."""
    session.expire_all()
    winner = amendment_by_request(session, request_key=key)
    if winner is None:
        raise AmendmentRefusedError(["un autre avenant vient d'être ouvert sur cet exercice ; "
                                     "réessayez"]) from None
    assert winner.id is not None
    return OpenedAmendment(winner.id, winner.number, duplicate=True)


def _write_fiche_money(session: Session, contract: Contract, exercice: Exercice, request: AmendmentRequest,
                       amendment_id: int) -> None:
    """The avenant's money for each fiche (a new fiche is created first), State and Département lines."""
    fiches = fiches_by_number(session, contract_id=contract.id)
    for fc in request.fiches:
        fiche = fiches.get(fc.fiche)
        if fiche is None:
            assert contract.id is not None and fc.title is not None
            fiche = FicheAction(contract_id=contract.id, number=fc.fiche, title=fc.title,
                                sort_key=parse_fiche_number(fc.fiche).sort_key,
                                objective_numbers=list(fc.objectives))
            session.add(fiche)
            session.flush()
        assert fiche.id is not None and exercice.id is not None
        session.add(MoneyLine(fiche_id=fiche.id, exercice_id=exercice.id, payer=Payer.ETAT,
                              source=fc.source, amount=to_money(fc.etat_amount), amendment_id=amendment_id))
        session.add(MoneyLine(fiche_id=fiche.id, exercice_id=exercice.id, payer=Payer.DEPARTEMENT,
                              source=fc.source, amount=to_money(fc.departement_amount),
                              valorisation=fc.valorisation, amendment_id=amendment_id))


def _write_remainders(session: Session, contract: Contract, exercice: Exercice, request: AmendmentRequest,
                      lines: list[AmendmentLine], amendment_id: int) -> None:
    """What an envelope gains beyond the listed fiches goes to its ``to_fiche`` (a State line)."""
    added = added_by_envelope(exercice, request, lines)
    fiches = fiches_by_number(session, contract_id=contract.id)
    for env in request.envelopes:
        given, listed = added[env.source]
        if env.to_fiche and given != listed:
            fiche = fiches[env.to_fiche]
            assert fiche.id is not None and exercice.id is not None
            session.add(MoneyLine(fiche_id=fiche.id, exercice_id=exercice.id, payer=Payer.ETAT,
                                  source=env.source, amount=given - listed, amendment_id=amendment_id,
                                  label=f"crédits ajoutés par l'avenant ({env.source.label})"))


def apply_signed_amendment(session: Session, exercice: Exercice, amendment: Amendment) -> dict[str, str]:
    """Once signed, the exercice's envelopes become the avenant's totals (history stays in the lines)."""
    totals: dict[FundingSource, Decimal] = defaultdict(lambda: ZERO)
    for line in amendment_lines(session, amendment_id=amendment.id):
        totals[line.source] += line.amount
    changed = {}
    for source, attr in ((FundingSource.BOP304, "bop304"), (FundingSource.FIR, "fir"),
                         (FundingSource.ONDAM, "ondam")):
        if source in totals:
            setattr(exercice, attr, totals[source])
            changed[source.value] = f"{totals[source]:.2f}"
    session.add(exercice)
    session.add(AuditEvent(contract_id=exercice.contract_id, exercice_id=exercice.id,
                           actor=f"avenant n° {amendment.number} ({amendment.opened_by})",
                           action="amendment.applied",
                           detail={"number": amendment.number, "envelopes": changed}))
    session.flush()
    return changed
