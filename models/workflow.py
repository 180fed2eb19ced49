"""The state of the yearly cycle: phases, answers of people, payments, deadlines, avenants."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from cdppe.core.dates import utcnow
from models.enums import (
    AmendmentPart,
    AmendmentStatus,
    DeadlineStatus,
    DeliberationSubject,
    FundingSource,
    Phase,
    PhaseStatus,
    PolicyRule,
    SignatoryRole,
    SignatureMethod,
)
from models.types import EnumText, MoneyType, UTCDateTime


class PhaseState(SQLModel, table=True):
    """One row per phase per exercice (and per avenant): the source of truth of the cycle."""

    __tablename__ = "phase_state"
    __table_args__ = (UniqueConstraint("exercice_id", "avenant_number", "phase"),)
    id: int | None = Field(default=None, primary_key=True)
    exercice_id: int = Field(foreign_key="exercice.id", index=True)
    avenant_number: int = Field(default=0, description="0 for the contract itself, N for avenant N")
    phase: Phase
    status: PhaseStatus = PhaseStatus.PENDING
    waiting_reason: str | None = None
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_on: date | None = Field(default=None, description="Business date of completion")
    recorded_by: str | None = None
    flow_run_id: str | None = Field(default=None, max_length=36)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Deliberation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("exercice_id", "avenant_number", "subject"),)
    id: int | None = Field(default=None, primary_key=True)
    exercice_id: int = Field(foreign_key="exercice.id", index=True)
    avenant_number: int = 0
    subject: DeliberationSubject = Field(default=DeliberationSubject.CONTRACT, sa_type=AutoString)
    convocation_date: date | None = None
    session_date: date
    number: str = Field(max_length=20)
    vote: str
    acknowledgement_date: date | None = Field(default=None, description="@ctes receipt: exécutoire")
    recorded_by: str
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Signature(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("exercice_id", "avenant_number", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    exercice_id: int = Field(foreign_key="exercice.id", index=True)
    avenant_number: int = 0
    role: SignatoryRole
    signatory_name: str
    signed_on: date
    method: SignatureMethod = Field(default=SignatureMethod.PAPER, sa_type=AutoString)
    document_id: int | None = Field(default=None, foreign_key="generated_document.id")
    recorded_by: str
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Payment(SQLModel, table=True):
    """One State payment (a tranche) per envelope: the exercice's (``avenant_number`` 0), then one for
    the new money of each avenant that brings some (BOP 304 by the Préfet, FIR by the ARS)."""

    __table_args__ = (UniqueConstraint("exercice_id", "source", "avenant_number",
                                       name="uq_payment_exercice_source_avenant"),)
    id: int | None = Field(default=None, primary_key=True)
    exercice_id: int = Field(foreign_key="exercice.id", index=True)
    source: FundingSource
    avenant_number: int = Field(default=0, description="0: the exercice's payment; N: avenant n° N's")
    planned_amount: Decimal = Field(sa_type=MoneyType)
    notified_amount: Decimal = Field(sa_type=MoneyType)
    received_on: date
    recorded_by: str
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OdpePresentation(SQLModel, table=True):
    """The ODPE's session where the contract was presented (the first of its two steps)."""

    __tablename__ = "odpe_presentation"
    __table_args__ = (UniqueConstraint("exercice_id"),)
    id: int | None = Field(default=None, primary_key=True)
    exercice_id: int = Field(foreign_key="exercice.id", index=True)
    session_date: date
    recorded_by: str
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OdpeReview(SQLModel, table=True):
    """The ODPE's opinion on the draft execution report (its second step, before the adoption)."""


    __tablename__ = "odpe_review"
    __table_args__ = (UniqueConstraint("exercice_id"),)
    id: int | None = Field(default=None, primary_key=True)
    exercice_id: int = Field(foreign_key="exercice.id", index=True)
    session_date: date
    opinion: str = Field(sa_type=Text)
    favourable: bool = True
    recorded_by: str
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ExecutionReport(SQLModel, table=True):
    __tablename__ = "execution_report"
    __table_args__ = (UniqueConstraint("exercice_id"),)
    id: int | None = Field(default=None, primary_key=True)
    exercice_id: int = Field(foreign_key="exercice.id", index=True)
    adopted_on: date
    transmitted_on: date
    published_on: date | None = None
    recorded_by: str
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Deadline(SQLModel, table=True):
    """A computed deadline; ``key`` is stable so reminders can be deduplicated."""

    __table_args__ = (UniqueConstraint("key"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160)
    exercice_id: int = Field(foreign_key="exercice.id", index=True)
    kind: str = Field(max_length=40)
    label: str
    due_date: date = Field(index=True)
    legal_date: date = Field(description="Date before the shift to a working day")
    rule: str = Field(sa_type=Text)
    computed_from: date | None = None
    source: str = Field(default="contrat", description="contrat | campagne")
    recipient_role: str = Field(default="departement", max_length=40)
    status: DeadlineStatus = DeadlineStatus.OPEN
    ics_sequence: int = Field(default=0, description="SEQUENCE of its calendar event: +1 when its date "
                              "or status changes")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeadlineSync(SQLModel, table=True):
    """When an exercice's deadlines were last computed, and what makes them due again: a fact of its
    contract written since (``stale``), other rules (``rules_stamp``), or a day that changes a
    deadline's status by itself (``next_check``). The daily sweep recomputes only those."""

    __tablename__ = "deadline_sync"
    __table_args__ = (UniqueConstraint("exercice_id"),)
    id: int | None = Field(default=None, primary_key=True)
    exercice_id: int = Field(foreign_key="exercice.id")
    contract_id: int = Field(foreign_key="contract.id", index=True)
    stale: bool = False
    rules_stamp: str = Field(max_length=64)
    next_check: date | None = None
    synced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Amendment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("exercice_id", "number"), UniqueConstraint("request_key"))
    id: int | None = Field(default=None, primary_key=True)
    exercice_id: int = Field(foreign_key="exercice.id", index=True)
    number: int
    request_key: str = Field(max_length=80, description="Idempotency key of the request")
    status: AmendmentStatus = Field(default=AmendmentStatus.OPEN, sa_type=AutoString)
    decision: str | None = None
    reason: str | None = Field(default=None, sa_type=Text)
    opened_by: str
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    flow_run_id: str | None = Field(default=None, max_length=36, description="Run that opened it")
    effective_date: date | None = None


class AmendmentLine(SQLModel, table=True):
    """One part of an envelope's new total in an avenant."""

    __tablename__ = "amendment_line"
    id: int | None = Field(default=None, primary_key=True)
    amendment_id: int = Field(foreign_key="amendment.id", index=True)
    source: FundingSource
    part: AmendmentPart
    amount: Decimal = Field(sa_type=MoneyType)
    label: str | None = None


class AmendmentTransfer(SQLModel, table=True):
    """Money moved between actions inside one envelope (fongibilité)."""

    __tablename__ = "amendment_transfer"
    id: int | None = Field(default=None, primary_key=True)
    amendment_id: int = Field(foreign_key="amendment.id", index=True)
    source: FundingSource
    from_fiche: str
    to_fiche: str
    amount: Decimal = Field(sa_type=MoneyType)
    informed_on: date


class FindingReason(SQLModel, table=True):
    """Why the parties sign although a policy rule reports a finding: who, when, why."""

    __tablename__ = "finding_reason"
    __table_args__ = (UniqueConstraint("exercice_id", "avenant_number", "finding_key"),)
    id: int | None = Field(default=None, primary_key=True)
    exercice_id: int = Field(foreign_key="exercice.id", index=True)
    avenant_number: int = Field(default=0, description="0 for the contract itself, N for avenant N")
    finding_key: str = Field(max_length=200)
    rule: PolicyRule = Field(sa_type=EnumText(PolicyRule))
    finding: str = Field(sa_type=Text, description="The finding as shown when the reason was given")
    reason: str = Field(sa_type=Text)
    recorded_by: str
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
