"""Queries on the outbox of e-mails: counts per status and the latest rows."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from models import OutboxEmail
from models.enums import OutboxStatus


def outbox_counts(session: Session) -> dict[OutboxStatus, int]:
    rows = session.exec(select(OutboxEmail.status, func.count()).group_by(col(OutboxEmail.status))).all()
    return {OutboxStatus(status): count for status, count in rows}


def latest_outbox_rows(session: Session, *, limit: int, status: OutboxStatus | None = None,
                       ) -> Sequence[OutboxEmail]:
    """The ``limit`` newest e-mails (of one status, when given), newest first."""
    query = select(OutboxEmail).order_by(col(OutboxEmail.created_at).desc(),
                                         col(OutboxEmail.id).desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxEmail.status == status)
    return session.exec(query).all()
