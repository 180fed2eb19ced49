"""The contract as stored: Département, contract, exercices, objectives, fiches, money, indicators."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from cdppe.core.dates import utcnow
from models.enums import FicheStatus, FundingSource, Payer, SignatoryRole
from models.envelope import Envelope
from models.types import EnumText, ExactDecimalType, MoneyType, UTCDateTime


class DepartementBase(SQLModel):
    code: str = Field(primary_key=True, max_length=3, description="Code INSEE (01-95, 2A, 2B, 971-976)")
    name: str = Field(max_length=80)


class Departement(DepartementBase, table=True):
    pass


class ContractBase(SQLModel):
    key: str = Field(index=True, unique=True, max_length=40, description="<code>-<generation>")
    departement_code: str = Field(foreign_key="departement.code", max_length=3)
    generation: str = Field(max_length=20)
    title: str
    first_year: int
    last_year: int
    coordinator_name: str
    coordinator_email: str


class Contract(ContractBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    source_sha256: str = Field(max_length=64)
    source_document: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    details: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False),
        description="Payment account, ordonnateurs, comptables: read by documents, never queried.",
    )
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContractPublic(ContractBase):
    id: int


class PartyMember(SQLModel, table=True):
    """A signatory or a contact of one of the parties."""

    __tablename__ = "party_member"
    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    party: SignatoryRole
    organisation: str
    name: str
    title: str | None = None
    email: str
    is_signatory: bool = False


class ExerciceBase(SQLModel):
    year: int
    bop304: Decimal = Field(sa_type=MoneyType)
    fir: Decimal = Field(sa_type=MoneyType)
    ondam: Decimal = Field(sa_type=MoneyType)
    bop304_third_parties: Decimal = Field(default=Decimal("0.00"), sa_type=MoneyType,
                                          description="BOP 304 paid straight to third parties")
    fir_third_parties: Decimal = Field(default=Decimal("0.00"), sa_type=MoneyType,
                                       description="FIR paid by the ARS straight to third parties")
    reference_year: int | None = None
    own_spending_reference: Decimal | None = Field(
        default=None, sa_type=MoneyType,
        description="The Département's own ASE + PMI spending in the reference year")
    own_spending_planned: Decimal | None = Field(
        default=None, sa_type=MoneyType, description="The same spending planned for this exercice")
    planned_council_session: date | None = None
    planned_signature: date | None = None
    budget_controller_required: bool = False

    @property
    def expected_signatories(self) -> list[SignatoryRole]:
        """Who signs the contract (and each avenant) of this exercice, in the order asked."""
        roles = [SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT]
        if self.budget_controller_required:
            roles.append(SignatoryRole.BUDGET_CONTROLLER)
        return roles

    @property
    def expected_payments(self) -> dict[FundingSource, Decimal]:
        """The State credits paid to the Département this exercice (ONDAM is not a payment)."""
        envelope = self.envelope
        paid = {source: envelope.paid_to_departement(source)
                for source in (FundingSource.BOP304, FundingSource.FIR)}
        return {source: amount for source, amount in paid.items() if amount > 0}

    @property
    def envelope(self) -> Envelope:
        return Envelope(self.bop304, self.fir, self.ondam, self.bop304_third_parties, self.fir_third_parties)


class Exercice(ExerciceBase, table=True):
    __table_args__ = (UniqueConstraint("contract_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    effective_date: date | None = Field(default=None, description="Date of the last signature")
    report_due_date: date | None = None
    terminated_on: date | None = None

    @property
    def state_total(self) -> Decimal:
        return self.envelope.state_total

    @property
    def departement_share(self) -> Decimal:
        return self.envelope.departement_share


class ObjectiveBase(SQLModel):
    number: str = Field(max_length=10)
    mandatory: bool = False
    title: str | None = None


class Objective(ObjectiveBase, table=True):
    __table_args__ = (UniqueConstraint("contract_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)


class FicheActionBase(SQLModel):
    number: str = Field(max_length=20)
    title: str
    referent: str | None = None
    constat: str | None = Field(default=None, sa_type=Text)
    objectif_operationnel: str | None = Field(default=None, sa_type=Text)
    description: str | None = Field(default=None, sa_type=Text)
    partners: str | None = Field(default=None, sa_type=Text)
    calendar: str | None = Field(default=None, sa_type=Text)
    indicators_text: str | None = Field(default=None, sa_type=Text)
    vigilance: str | None = Field(default=None, sa_type=Text)


class FicheAction(FicheActionBase, table=True):
    __tablename__ = "fiche_action"
    __table_args__ = (UniqueConstraint("contract_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    sort_key: str = Field(max_length=80, description="Natural sort key of the number")
    objective_numbers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class MoneyLine(SQLModel, table=True):
    """One planned amount of a fiche for an exercice; amendment lines point at their avenant."""

    __tablename__ = "money_line"
    id: int | None = Field(default=None, primary_key=True)
    fiche_id: int = Field(foreign_key="fiche_action.id", index=True)
    exercice_id: int = Field(foreign_key="exercice.id", index=True)
    payer: Payer
    source: FundingSource | None = None
    amount: Decimal = Field(sa_type=MoneyType)
    valorisation: bool = False
    label: str | None = None
    payee: str | None = Field(default=None, max_length=200,
                              description="Who receives a State line when it is not the Département")
    amendment_id: int | None = Field(default=None, foreign_key="amendment.id")


class FicheExecution(SQLModel, table=True):
    """What became of a fiche during an exercice (feeds the execution report)."""

    __tablename__ = "fiche_execution"
    __table_args__ = (UniqueConstraint("fiche_id", "exercice_id"),)
    id: int | None = Field(default=None, primary_key=True)
    fiche_id: int = Field(foreign_key="fiche_action.id", index=True)
    exercice_id: int = Field(foreign_key="exercice.id", index=True)
    status: FicheStatus = FicheStatus.PLANNED
    start_date: date | None = None
    duration: str | None = None
    reason: str | None = Field(default=None, sa_type=Text)
    assessment: str | None = Field(default=None, sa_type=Text)
    outlook: str | None = Field(default=None, sa_type=Text)
    consumed_etat: Decimal | None = Field(default=None, sa_type=MoneyType)
    consumed_source: FundingSource | None = None
    consumed_departement: Decimal | None = Field(default=None, sa_type=MoneyType)
    highlighted_for: FundingSource | None = Field(
        default=None, sa_type=EnumText(FundingSource),
        description="The envelope for which the Département puts this action forward in its report")


class Indicator(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("contract_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    code: str = Field(max_length=40)
    label: str
    unit: str | None = None
    objective_number: str | None = None
    fiche_number: str | None = None
    baseline_year: int | None = None
    baseline_value: Decimal | None = Field(default=None, sa_type=ExactDecimalType)


class IndicatorValue(SQLModel, table=True):
    __tablename__ = "indicator_value"
    __table_args__ = (UniqueConstraint("indicator_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    year: int
    target: Decimal | None = Field(default=None, sa_type=ExactDecimalType)
    achieved: Decimal | None = Field(default=None, sa_type=ExactDecimalType)
    achieved_note: str | None = Field(default=None, max_length=200,
                                      description="NR, ND or the text written where no number is given")
