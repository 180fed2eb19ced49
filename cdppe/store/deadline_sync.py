"""Which exercices the daily sweep must recompute, and how it knows.

Every flush that writes a fact the deadlines are computed from (the contract, an exercice, a
deliberation, a signature, a payment, an ODPE session, the report, a phase, an avenant) marks every
exercice of that contract stale, in the same transaction (a year 2 depends on year 1's signatures).
``sync_deadlines`` records each recompute with the rules it used and the next day that changes a
status by itself. Writes that bypass the ORM (``update()``/``delete()`` statements) on those tables
must call :func:`mark_contracts_stale` themselves; today only the no-op lock of an exercice does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
    Amendment,
    Contract,
    DeadlineSync,
    Deliberation,
    ExecutionReport,
    Exercice,
    OdpePresentation,
    OdpeReview,
    Payment,
    PhaseState,
    Signature,
)
from models.enums import DeadlineStatus
from models.workflow import Deadline

FACTS_BY_EXERCICE = (Deliberation, Signature, Payment, OdpePresentation, OdpeReview, ExecutionReport,
                     PhaseState, Amendment)


def _touched(session: Session) -> tuple[set[int], set[int]]:
    """(exercice ids, contract ids) whose facts this flush writes."""
    exercices: set[int] = set()
    contracts: set[int] = set()
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Contract) and row.id is not None:
            contracts.add(row.id)
        elif isinstance(row, Exercice):
            if row.contract_id is not None:
                contracts.add(row.contract_id)
        elif isinstance(row, FACTS_BY_EXERCICE) and row.exercice_id is not None:
            exercices.add(row.exercice_id)
    return exercices, contracts


def mark_contracts_stale(session: Session, *, exercice_ids: Iterable[int] = (),
                         contract_ids: Iterable[int] = ()) -> None:
    """Every exercice of these contracts (or of these exercices' contracts) is recomputed next sweep."""
    exercices, contracts = sorted(set(exercice_ids)), sorted(set(contract_ids))
    if not exercices and not contracts:
        return
    of_exercices = select(Exercice.contract_id).where(col(Exercice.id).in_(exercices))
    session.execute(update(DeadlineSync).where(or_(col(DeadlineSync.contract_id).in_(contracts),
                                                   col(DeadlineSync.contract_id).in_(of_exercices)))
                    .values(stale=True))


@event.listens_for(Session, "after_flush")
def _mark_stale_after_flush(session: Session, _context: Any) -> None:
    exercices, contracts = _touched(session)
    mark_contracts_stale(session, exercice_ids=exercices, contract_ids=contracts)


def record_synced(session: Session, *, exercice_id: int, contract_id: int, rules_stamp: str,
                  next_check: date | None, now: datetime) -> None:
    """This exercice's deadlines are computed: fresh until a fact, the rules or ``next_check`` say."""
    values: dict[str, Any] = {"stale": False, "rules_stamp": rules_stamp, "next_check": next_check,
                              "synced_at": now, "contract_id": contract_id}
    done = session.execute(update(DeadlineSync).where(col(DeadlineSync.exercice_id) == exercice_id)
                           .values(**values))
    if done.rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():
            session.add(DeadlineSync(exercice_id=exercice_id, **values))
    except IntegrityError:  # a concurrent sync inserted it first
        session.execute(update(DeadlineSync).where(col(DeadlineSync.exercice_id) == exercice_id)
                        .values(**values))


def exercices_due_for_sync(session: Session, *, rules_stamp: str, as_of: date) -> list[int]:
    """Exercices never synced, stale, synced under other rules, or whose next check has come."""
    query = (select(Exercice.id).outerjoin(DeadlineSync, col(DeadlineSync.exercice_id) == col(Exercice.id))
             .where(or_(col(DeadlineSync.id).is_(None), col(DeadlineSync.stale).is_(True),
                        col(DeadlineSync.rules_stamp) != rules_stamp,
                        col(DeadlineSync.next_check) <= as_of))
             .order_by(col(Exercice.id)))
    return [i for i in session.exec(query).all() if i is not None]


def every_exercice_id(session: Session) -> Sequence[int]:
    return [i for i in session.exec(select(Exercice.id).order_by(col(Exercice.id))).all() if i is not None]


def count_open_deadlines(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Deadline)
                            .where(col(Deadline.status) == DeadlineStatus.OPEN)).one())
