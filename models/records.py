"""What the system produced: documents, e-mails, and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from cdppe.core.dates import utcnow
from models.enums import OutboxStatus
from models.types import UTCDateTime


class GeneratedDocument(SQLModel, table=True):
    __tablename__ = "generated_document"
    __table_args__ = (
        UniqueConstraint("contract_id", "exercice_id", "avenant_number", "kind", "fmt", "version"),
    )
    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    exercice_id: int | None = Field(default=None, foreign_key="exercice.id")
    avenant_number: int = 0
    step: str = Field(max_length=40)
    kind: str = Field(max_length=60)
    fmt: str = Field(max_length=10)
    version: int = 1
    path: str
    sha256: str = Field(max_length=64)
    template_version: str = Field(max_length=64)
    signed: bool = False
    generated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutboxEmail(SQLModel, table=True):
    """Every e-mail, written before it is sent; ``key`` makes each one unique."""

    __tablename__ = "outbox_email"
    __table_args__ = (UniqueConstraint("key"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=240)
    contract_id: int | None = Field(default=None, foreign_key="contract.id")
    deadline_id: int | None = Field(default=None, foreign_key="deadline.id")
    kind: str = Field(default="digest", max_length=20,
                      description="digest | alert (reminder | escalation before digests)")
    recipient: str
    subject: str
    body_text: str = Field(sa_type=Text)
    body_html: str = Field(sa_type=Text)
    ics: str | None = Field(default=None, sa_type=Text)
    ics_cancel: str | None = Field(default=None, sa_type=Text, description="METHOD:CANCEL calendar")
    reply_to: list[list[str]] | None = Field(default=None, sa_column=Column(JSON),
                                             description="[[name, address], ...] fixed when queued")
    unsubscribe_url: str | None = Field(default=None, sa_type=Text, description="the pause page")
    message_id: str = Field(max_length=200)
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    contract_id: int | None = Field(default=None, foreign_key="contract.id", index=True)
    exercice_id: int | None = Field(default=None, foreign_key="exercice.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str
    action: str = Field(max_length=60)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
