"""The scripted actor: what the people of each Département answer, and on which day.

Deterministic from the seed. Dates follow the contract's planned council session
and signature; about one Département in four is late somewhere (a deliberation
after the planned signature, a signature after it, a payment after the 60 days),
so reminders escalate to the coordinator. Every Département opens one avenant
that carries over the unused credits of the year before.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from models.amendment_request import AmendmentRequest, EnvelopeChange
from models.answers import (
    AcknowledgementAnswer,
    AmendmentDecisionAnswer,
    Answer,
    DeliberationAnswer,
    DiagnosisAnswer,
    OdpeAnswer,
    OdpePresentationAnswer,
    PaymentAnswer,
    ReportAnswer,
    SignatureAnswer,
)
from models.enums import FundingSource, Phase, SignatoryRole

ROLES = (SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT)
VOTES = ("à l'unanimité", "à l'unanimité des suffrages exprimés", "à la majorité")
OPINIONS = ("Avis favorable : l'observatoire salue la montée en charge des actions de prévention.",
            "Avis favorable, avec une vigilance sur les recrutements en PMI.",
            "Avis favorable ; l'observatoire demande un point d'étape sur les actions retardées.")


@dataclass(frozen=True)
class Step:
    """One answer a person gives on ``day`` (``avenant`` > 0: a step of that avenant)."""

    day: date
    phase: Phase
    answer: Answer
    avenant: int = 0


@dataclass
class YearPlan:
    """Everything one Département does in the simulated year, and its year of history."""

    contract_key: str
    departement_code: str
    history: list[Step] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    avenant_day: date | None = None
    avenant_request: AmendmentRequest | None = None
    late: list[str] = field(default_factory=list)

    @property
    def last_day(self) -> date:
        return max(s.day for s in self.steps)


def _d(rng: random.Random, lo: int, hi: int) -> timedelta:
    return timedelta(days=rng.randint(lo, hi))


def _signatories(data: dict[str, Any], exercice: dict[str, Any]) -> dict[SignatoryRole, str]:
    parties = data["parties"]
    out = {role: parties[role.value]["signatory"]["name"] for role in ROLES}
    if exercice.get("budget_controller_required"):
        out[SignatoryRole.BUDGET_CONTROLLER] = parties["budget_controller"]["name"]
    return out


@dataclass(frozen=True)
class _Timeline:
    """Days after the contract took effect, as fractions of the room left in the simulated year."""

    rng: random.Random
    effective: date
    room: int

    def at(self, fraction: float, jitter: int = 3) -> date:
        days = int(self.room * fraction) + self.rng.randint(0, jitter)
        return self.effective + timedelta(days=max(1, days))


def _cycle(rng: random.Random, data: dict[str, Any], exercice: dict[str, Any], year: int,
           end: date, late: list[str] | None, avenant: bool,
           ) -> tuple[list[Step], date | None]:
    """The steps of one exercice; returns them and the day the avenant is opened (if any).

    The draws from ``rng`` keep one fixed order, so a seed gives the same year every time.
    """
    who = data["parties"]["departement"]["contacts"][0]["name"] if data["parties"]["departement"].get(
        "contacts") else data["coordinator"]["name"]
    steps, effective, late_payment = _until_signed(rng, data, exercice, year, late, who)
    timeline = _Timeline(rng, effective, max((end - effective).days, 40))
    payments = _payments(rng, exercice, timeline, late if late_payment else None, who, steps)
    opened: date | None = None
    odpe_from = timeline.at(0.55, 10)
    if avenant:
        opened = max(max(payments.values()) + _d(rng, 3, 10), timeline.at(0.3, 5))
        odpe_from = max(odpe_from, _avenant_steps(rng, data, exercice, year, opened, who, steps))
    presented = min(effective + timedelta(days=21), odpe_from)  # the contract presented to the ODPE
    steps.append(Step(presented, Phase.ODPE_REVIEW, OdpePresentationAnswer(session_date=presented,
                                                                           answered_by=who)))
    steps += _report_steps(rng, year, odpe_from, avenant, who)
    return sorted(steps, key=lambda s: s.day), opened


def _until_signed(rng: random.Random, data: dict[str, Any], exercice: dict[str, Any], year: int,
                  late: list[str] | None, who: str) -> tuple[list[Step], date, bool]:
    """Diagnosis, deliberation, receipt, signatures (some late); the day it took effect, and whether a
    payment will be late."""
    planned_session = date.fromisoformat(str(exercice["planned_council_session"]))
    planned_signature = date.fromisoformat(str(exercice["planned_signature"]))
    steps: list[Step] = []
    late_delib = late is not None and rng.random() < 0.08
    late_signature = late is not None and rng.random() < 0.15
    late_payment = late is not None and rng.random() < 0.15
    session = planned_session
    if late_delib and late is not None:
        session = planned_signature + _d(rng, 3, 12)
        late.append("délibération")
    diagnosis = max(date(year, 1, 5), planned_session - _d(rng, 35, 60))
    steps.append(Step(diagnosis, Phase.DIAGNOSIS, DiagnosisAnswer(agreed_on=diagnosis, answered_by=who)))
    convocation = session - _d(rng, 13, 20)
    number = f"{year % 100:02d}-{rng.randint(100, 399)}"
    steps.append(Step(session, Phase.DELIBERATION, DeliberationAnswer(
        convocation_date=convocation, session_date=session, number=number, vote=rng.choice(VOTES),
        answered_by=who)))
    ack = session + _d(rng, 2, 7)
    steps.append(Step(ack, Phase.DELIBERATION, AcknowledgementAnswer(acknowledgement_date=ack,
                                                                     answered_by=who)))
    signatories = _signatories(data, exercice)
    window = max((planned_signature - ack).days, 3)
    days = sorted(ack + timedelta(days=rng.randint(1, window)) for _ in signatories)
    if late_signature and late is not None:
        days[-1] = max(planned_signature, days[-1]) + _d(rng, 8, 25)
        late.append("signature")
    for (role, name), day in zip(signatories.items(), days, strict=True):
        steps.append(Step(day, Phase.SIGNATURE, SignatureAnswer(role=role, signatory_name=name,
                                                                signed_on=day, answered_by=who)))
    return steps, days[-1], late_payment


def _payments(rng: random.Random, exercice: dict[str, Any], timeline: _Timeline, late: list[str] | None,
              who: str, steps: list[Step]) -> dict[FundingSource, date]:
    """Both payments (one late when ``late`` is given and there is room), appended to ``steps``."""
    payments = {FundingSource.BOP304: timeline.at(0.08, 20), FundingSource.FIR: timeline.at(0.1, 20)}
    if late is not None and timeline.room > 120:
        source = rng.choice(list(payments))
        payments[source] = timeline.effective + _d(rng, 64, 85)
        late.append("versement")
    for source, day in sorted(payments.items(), key=lambda item: item[1]):
        amount = Decimal(str(exercice["envelope"][source.value.lower()]))
        if amount > 0:
            steps.append(Step(day, Phase.CREDIT_PAYMENT, PaymentAnswer(
                source=source, notified_amount=f"{amount:.2f}", received_on=day, answered_by=who)))
    return payments


AVENANT_FINDINGS_REASON = ("Le report et les crédits supplémentaires sont affectés à une action existante ; "
                           "le cofinancement du Département sera ajusté au prochain avenant.")


def _avenant_steps(rng: random.Random, data: dict[str, Any], exercice: dict[str, Any], year: int,
                   opened: date, who: str, steps: list[Step]) -> date:
    """Avenant n° 1's deliberation, receipt and signatures; returns the day after which the ODPE sits."""
    conv = opened + _d(rng, 1, 3)
    av_session = conv + _d(rng, 12, 16)
    av_ack = av_session + _d(rng, 1, 4)
    steps.append(Step(av_session, Phase.DELIBERATION, DeliberationAnswer(
        convocation_date=conv, session_date=av_session,
        number=f"{year % 100:02d}-{rng.randint(400, 699)}",
        vote=rng.choice(VOTES), answered_by=who), 1))
    steps.append(Step(av_ack, Phase.DELIBERATION, AcknowledgementAnswer(
        acknowledgement_date=av_ack, answered_by=who), 1))
    signatories = _signatories(data, exercice)
    av_days = sorted(av_ack + _d(rng, 1, 10) for _ in signatories)
    for i, ((role, name), day) in enumerate(zip(signatories.items(), av_days, strict=True)):
        steps.append(Step(day, Phase.SIGNATURE, SignatureAnswer(
            role=role, signatory_name=name, signed_on=day, answered_by=who,
            findings_reason=None if i else AVENANT_FINDINGS_REASON), 1))
    return av_days[-1] + _d(rng, 2, 6)


def _report_steps(rng: random.Random, year: int, odpe: date, avenant: bool, who: str) -> list[Step]:
    """The ODPE's review, the report (adopted, transmitted, published) and the amendment decision."""
    report_steps = [Step(odpe, Phase.ODPE_REVIEW, OdpeAnswer(session_date=odpe, opinion=rng.choice(OPINIONS),
                                                              answered_by=who))]
    adopted = odpe + _d(rng, 2, 8)
    transmitted = adopted + _d(rng, 1, 4)
    report_steps.append(Step(transmitted, Phase.EXECUTION_REPORT, ReportAnswer(
        adopted_on=adopted, deliberation_number=f"{year % 100:02d}-R{rng.randint(10, 99)}",
        transmitted_on=transmitted, published_on=transmitted + _d(rng, 0, 5), answered_by=who)))
    decided = transmitted + _d(rng, 1, 4)
    report_steps.append(Step(decided, Phase.AMENDMENT, AmendmentDecisionAnswer(
        avenant_needed=avenant, reason=("avenant n° 1 : report des crédits non consommés de "
                                        f"{year - 1}") if avenant else None, answered_by=who)))
    return report_steps


def _receiving_fiche(data: dict[str, Any], year: int, source: FundingSource) -> str | None:
    """The first fiche the State funds from ``source`` in ``year``: it receives what the avenant adds."""
    return next((str(f["number"]) for f in data["fiches"] for m in f.get("money", [])
                 if int(m["exercice"]) == year and m["payer"] == "etat" and m.get("source") == source.value),
                None)


def plan_departement(data: dict[str, Any], year: int, seed: int) -> YearPlan:
    code = str(data["departement"]["code"])
    rng = random.Random(f"{seed}:{code}:actor")
    key = f"{code}-{data['generation']}"
    by_year = {int(e["year"]): e for e in data["exercices"]}
    history, _ = _cycle(rng, data, by_year[year - 1], year - 1, date(year - 1, 12, 10), None, False)
    late: list[str] = []
    steps, opened = _cycle(rng, data, by_year[year], year, date(year, 12, 20), late, True)
    who = data["parties"]["departement"]["signatory"]["name"]
    request = AmendmentRequest(
        contract=key, year=year, requested_by=who,
        reason=f"Report des crédits {year - 1} non consommés et crédits supplémentaires",
        envelopes=[EnvelopeChange(source=FundingSource.BOP304,
                                  supplementary=f"{rng.randint(1, 20) * 1000}.00",
                                  to_fiche=_receiving_fiche(data, year, FundingSource.BOP304)),
                   EnvelopeChange(source=FundingSource.FIR,
                                  to_fiche=_receiving_fiche(data, year, FundingSource.FIR))])
    signed = max((s.day for s in steps if s.avenant == 1 and s.phase is Phase.SIGNATURE), default=None)
    if signed is not None:  # the State pays the avenant's supplementary BOP 304 credits the day it is signed
        steps.append(Step(signed, Phase.CREDIT_PAYMENT, PaymentAnswer(
            source=FundingSource.BOP304, notified_amount=next(
                e.supplementary for e in request.envelopes if e.source is FundingSource.BOP304),
            received_on=signed, answered_by=who), 1))
        steps.sort(key=lambda s: s.day)
    return YearPlan(key, code, history, steps, opened, request, late)
