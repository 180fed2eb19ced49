"""Keep the ``Deadline`` rows of an exercice equal to what its recorded steps imply.

Call ``sync_deadlines`` after every recorded step (and the daily sweep calls
``sync_all_deadlines``): each deadline the snapshot implies is upserted as
open; one that is no longer implied becomes **done** when its step is
recorded, **cancelled** otherwise (a date moved, the contract was
terminated...). Informational deadlines (credits, avenant window,
termination) are done once their date has passed. Rows are never deleted, so
the reminders already sent keep their deadline.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from cdppe.core.dates import utcnow
from cdppe.domain.cycle import ExerciceSnapshot, step_recorded
from cdppe.domain.deadlines import DeadlineSpec, compute_deadlines, escalates
from cdppe.store.contracts import exercice_snapshot
from cdppe.store.reminders import deadline_by_key, exercice_deadlines, load_every_exercice
from models import Contract, Deadline, Exercice
from models.enums import DeadlineStatus


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    done: int = 0
    cancelled: int = 0
    open: int = 0

    def __iadd__(self, other: SyncResult) -> SyncResult:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


def snapshot_for(session: Session, exercice: Exercice, contract: Contract | None = None,
                 ) -> ExerciceSnapshot:
    contract = contract or session.get(Contract, exercice.contract_id)
    assert contract is not None
    return exercice_snapshot(session, contract, exercice)


def _apply(row: Deadline, spec: DeadlineSpec, status: DeadlineStatus) -> bool:
    """Bring ``row`` to ``spec``; a stored row whose date or status changes gets its calendar
    event's SEQUENCE raised, so calendars replace the event they hold."""
    if row.id is not None and (row.due_date != spec.due_date or row.status != status):
        row.ics_sequence += 1
    values = {"kind": spec.kind, "label": spec.label, "due_date": spec.due_date,
              "legal_date": spec.when.legal, "rule": spec.rule_text,
              "computed_from": spec.computed_from, "source": spec.source,
              "recipient_role": spec.recipient_role, "status": status}
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        row.updated_at = utcnow()
    return changed


def sync_deadlines(session: Session, exercice_id: int, as_of: date) -> SyncResult:
    """Recompute and upsert the deadlines of one exercice; the caller commits.

    Safe to run concurrently: an insert that loses a race on the unique key
    updates the winner's row instead.
    """
    exercice = session.get(Exercice, exercice_id)
    if exercice is None:
        raise LookupError(f"exercice {exercice_id} introuvable")
    contract = session.get(Contract, exercice.contract_id)
    assert contract is not None
    snap = snapshot_for(session, exercice, contract)
    specs = {spec.key(contract.key, exercice.year): spec for spec in compute_deadlines(snap)}
    rows = exercice_deadlines(session, exercice_id=exercice_id)
    result = SyncResult()
    for key, spec in specs.items():
        status = DeadlineStatus.OPEN
        if not escalates(spec.kind) and spec.due_date < as_of:
            status = DeadlineStatus.DONE  # informational date now passed
        row = rows.get(key)
        if row is None:
            row = Deadline(key=key, exercice_id=exercice_id, kind=spec.kind, label=spec.label,
                           due_date=spec.due_date, legal_date=spec.when.legal,
                           rule=spec.rule_text)
            _apply(row, spec, status)
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:  # a concurrent sync inserted it first
                winner = deadline_by_key(session, key=key)
                _apply(winner, spec, status)
                session.add(winner)
                result.updated += 1
            else:
                result.created += 1
        elif _apply(row, spec, status):
            session.add(row)
            result.updated += 1
        if status is DeadlineStatus.OPEN:
            result.open += 1
    for key, row in rows.items():
        if key in specs or row.status is not DeadlineStatus.OPEN:
            continue
        if step_recorded(row.kind, snap):
            row.status = DeadlineStatus.DONE
            result.done += 1
        else:
            row.status = DeadlineStatus.CANCELLED
            result.cancelled += 1
        row.ics_sequence += 1  # calendars cancel the event
        row.updated_at = utcnow()
        session.add(row)
    session.flush()
    return result


def sync_all_deadlines(session: Session, as_of: date) -> SyncResult:
    """``sync_deadlines`` for every exercice of every contract; the caller commits."""
    total = SyncResult()
    exercices = load_every_exercice(session)  # and their contracts: one query each
    for exercice in exercices:
        assert exercice.id is not None
        total += sync_deadlines(session, exercice.id, as_of)
    return total
