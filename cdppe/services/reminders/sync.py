"""Keep the ``Deadline`` rows of an exercice equal to what its recorded steps imply.

Call ``sync_deadlines`` after every recorded step (and the daily sweep calls
``sync_all_deadlines``): each deadline the snapshot implies is upserted as
open; one that is no longer implied becomes **done** when its step is
recorded, **cancelled** otherwise (a date moved, the contract was
terminated...). Informational deadlines (credits, avenant window,
termination) are done once their date has passed. Rows are never deleted, so
the reminders already sent keep their deadline.

The daily sweep is incremental: it recomputes only the exercices whose contract had a fact
written since their last sync (marked by the store's flush listener), those last synced under
other rules (the deadline and calendar code, the campaign files, the holidays), and those whose
next check (the day after an informational deadline) has come. The result equals a full
recompute (``full=True``); a test compares both over a simulated year.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import metadata, resources

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from cdppe.core.dates import utcnow
from cdppe.domain.campaigns import published_dir
from cdppe.domain.cycle import ExerciceSnapshot, step_recorded
from cdppe.domain.deadlines import DeadlineSpec, compute_deadlines, escalates
from cdppe.store.contracts import exercice_snapshot
from cdppe.store.deadline_sync import (
    count_open_deadlines,
    every_exercice_id,
    exercices_due_for_sync,
    record_synced,
)
from cdppe.store.reminders import deadline_by_key, exercice_deadlines, load_every_exercice
from models import Contract, Deadline, Exercice
from models.enums import DeadlineStatus

RULE_MODULES = ("deadlines.py", "calendar_rules.py", "campaigns.py", "cycle.py", "catalogue.py")


@lru_cache(maxsize=1)
def _packaged_rules() -> str:
    digest = hashlib.sha256()
    domain = resources.files("cdppe.domain")
    for name in RULE_MODULES:
        digest.update((domain / name).read_bytes())
    digest.update((resources.files("cdppe.core") / "dates.py").read_bytes())  # the dates in rule texts
    for item in sorted((domain / "campaigns").iterdir(), key=lambda t: t.name):
        if item.name.endswith(".yaml"):
            digest.update(item.name.encode() + item.read_bytes())
    digest.update(metadata.version("holidays").encode())
    return digest.hexdigest()


def rules_stamp() -> str:
    """What the deadlines are computed with, besides the facts: the rules' code, the packaged and
    published campaigns, the public holidays. A change means every exercice is recomputed once."""
    digest = hashlib.sha256(_packaged_rules().encode())
    published = published_dir()
    if published.is_dir():
        for path in sorted(published.glob("*.yaml")):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def next_check(specs: Iterable[DeadlineSpec], as_of: date) -> date | None:
    """The first day on which time alone changes a status: the day after an informational deadline."""
    days = [spec.due_date + timedelta(days=1) for spec in specs
            if not escalates(spec.kind) and spec.due_date >= as_of]
    return min(days, default=None)


@dataclass
class SyncResult:
    recomputed: int = 0
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


def sync_deadlines(session: Session, exercice_id: int, as_of: date, *, stamp: str | None = None,
                   ) -> SyncResult:
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
    assert contract.id is not None
    # Its sync row first, then its deadlines: the order an answer's transaction locks them in
    # (its flush marks the contract stale, then it syncs), so the two never wait on each other.
    record_synced(session, exercice_id=exercice_id, contract_id=contract.id,
                  rules_stamp=stamp or rules_stamp(), next_check=next_check(specs.values(), as_of),
                  now=utcnow())
    rows = exercice_deadlines(session, exercice_id=exercice_id)
    result = SyncResult(recomputed=1)
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
    _close_unimplied(session, rows, specs, snap, result)
    session.flush()
    return result


def _close_unimplied(session: Session, rows: dict[str, Deadline], specs: dict[str, DeadlineSpec],
                     snap: ExerciceSnapshot, result: SyncResult) -> None:
    """An open deadline the facts no longer imply: done when its step is recorded, else cancelled."""
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


def sync_all_deadlines(session: Session, as_of: date, *, full: bool = False,
                       commit_each: bool = True) -> SyncResult:
    """``sync_deadlines`` for every exercice whose deadlines may have changed (``full``: every
    one), each committed on its own (``commit_each``), so that the sweep never holds an exercice's
    rows while an answer waits for them. ``open`` counts every open deadline after it."""
    stamp = rules_stamp()
    if full:
        ids = list(every_exercice_id(session))
    else:
        ids = exercices_due_for_sync(session, rules_stamp=stamp, as_of=as_of)
    total = SyncResult()
    if len(ids) > 1:
        load_every_exercice(session)  # and their contracts: one query each
    for exercice_id in ids:
        total += sync_deadlines(session, exercice_id, as_of, stamp=stamp)
        if commit_each:
            session.commit()
    total.open = count_open_deadlines(session)
    return total
