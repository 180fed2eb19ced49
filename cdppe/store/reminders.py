"""Queries of the reminders: deadlines, the parties and runs of the contracts e-mails are about,
and the outbox rows to send, to retry or found stuck."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from models import Contract, Deadline, Exercice, OutboxEmail, PartyMember, PhaseState
from models.enums import DeadlineStatus, OutboxStatus


def members_of(session: Session, *, contract_ids: list[int]) -> Sequence[PartyMember]:
    """The parties' people of these contracts, in the order they were entered."""
    return session.exec(select(PartyMember).where(col(PartyMember.contract_id).in_(contract_ids))
                        .order_by(col(PartyMember.id))).all()


def contract_runs(session: Session, *, contract_ids: list[int]) -> Sequence[tuple[PhaseState, int]]:
    """The contract cycle's phase states that have a flow run, with their contract's id."""
    query = (select(PhaseState, Exercice.contract_id)
             .join(Exercice, col(Exercice.id) == col(PhaseState.exercice_id))
             .where(col(Exercice.contract_id).in_(contract_ids), PhaseState.avenant_number == 0,
                    col(PhaseState.flow_run_id).is_not(None)))
    return session.exec(query).all()


def contracts_with_ids(session: Session, *, contract_ids: Sequence[int | None]) -> Sequence[Contract]:
    return session.exec(select(Contract).where(col(Contract.id).in_(contract_ids))).all()


def deadline_rows_query() -> Any:
    """Deadlines with (exercice id, year, contract id, key, Département), earliest first: the rows
    :func:`cdppe.services.reminders.planning.deadline_info` reads. Columns only: loading whole
    contracts would parse their source document once per deadline."""
    return (sa_select(Deadline, col(Exercice.id), col(Exercice.year), col(Contract.id), col(Contract.key),
                      col(Contract.departement_code))
            .join(Exercice, col(Exercice.id) == col(Deadline.exercice_id))
            .join(Contract, col(Contract.id) == col(Exercice.contract_id))
            .order_by(col(Deadline.due_date), col(Deadline.id)))


def open_deadline_rows(session: Session, *, contract_id: int | None = None) -> Sequence[Any]:
    """Open deadlines (all contracts, or one), as :func:`deadline_rows_query` gives them."""
    query = deadline_rows_query().where(col(Deadline.status) == DeadlineStatus.OPEN)
    if contract_id is not None:
        query = query.where(col(Contract.id) == contract_id)
    return session.execute(query).all()


def deadline_rows_with_ids(session: Session, *, ids: Sequence[int]) -> Sequence[Any]:
    """Deadlines of any status, as :func:`deadline_rows_query` gives them."""
    if not ids:
        return []
    return session.execute(deadline_rows_query().where(col(Deadline.id).in_(sorted(set(ids))))).all()


def outbox_key_taken(session: Session, *, key: str) -> bool:
    return session.exec(select(OutboxEmail.id).where(OutboxEmail.key == key)).first() is not None


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(col(OutboxEmail.next_attempt_at).is_(None), col(OutboxEmail.next_attempt_at) <= now)


def claim_outbox_row(session: Session, *, row_id: int, now: datetime, lease_until: datetime) -> bool:
    """Take a pending, due row for this sender until ``lease_until`` (one more attempt); False if
    another sender has it. One UPDATE, so two senders never take the same row."""
    claimed = session.exec(
        update(OutboxEmail)
        .where(col(OutboxEmail.id) == row_id, col(OutboxEmail.status) == OutboxStatus.PENDING, _due(now))
        .values(next_attempt_at=lease_until, attempts=col(OutboxEmail.attempts) + 1)
    ).rowcount
    return bool(claimed == 1)


def mark_outbox_sent(session: Session, *, row_id: int, now: datetime) -> None:
    """Sent; ``last_error`` is kept: it tells why a sent e-mail went out late."""
    session.exec(update(OutboxEmail).where(col(OutboxEmail.id) == row_id)
                 .values(status=OutboxStatus.SENT, sent_at=now, next_attempt_at=None))


def pending_outbox_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Pending e-mails due by ``now``, oldest first."""
    rows = session.exec(select(OutboxEmail.id)
                        .where(OutboxEmail.status == OutboxStatus.PENDING, _due(now))
                        .order_by(col(OutboxEmail.created_at), col(OutboxEmail.id))
                        .limit(limit)).all()
    return [r for r in rows if r is not None]


def tried_pending_before(session: Session, *, limit: datetime) -> list[tuple[int, datetime]]:
    """(id, due since) of pending e-mails already tried and due before ``limit``."""
    rows = session.exec(select(OutboxEmail.id, OutboxEmail.next_attempt_at).where(
        OutboxEmail.status == OutboxStatus.PENDING, col(OutboxEmail.attempts) >= 1,
        col(OutboxEmail.next_attempt_at) <= limit)).all()
    return [(row_id, since) for row_id, since in rows if row_id is not None and since is not None]


def contract_ids_of_outbox(session: Session, *, ids: list[int]) -> set[int]:
    return {c for c in session.exec(select(OutboxEmail.contract_id).where(
        col(OutboxEmail.id).in_(ids))).all() if c is not None}


def members_newest_first(session: Session, *, contract_ids: set[int]) -> Sequence[PartyMember]:
    return session.exec(select(PartyMember).where(
        col(PartyMember.contract_id).in_(contract_ids)).order_by(col(PartyMember.id).desc())).all()


def exercice_deadlines(session: Session, *, exercice_id: int) -> dict[str, Deadline]:
    return {row.key: row for row in session.exec(select(Deadline).where(Deadline.exercice_id == exercice_id))}


def deadline_by_key(session: Session, *, key: str) -> Deadline:
    return session.exec(select(Deadline).where(Deadline.key == key)).one()


def load_every_exercice(session: Session) -> Sequence[Exercice]:
    """Every exercice, with its contract loaded in the session without its source document (a large
    JSON), so that reading them one by one afterwards costs no query."""
    list(session.exec(select(Contract).options(defer(Contract.source_document))))  # type: ignore[arg-type]
    return session.exec(select(Exercice).order_by(col(Exercice.id))).all()


