"""What is due, for whom, about which contract: the reminders' planning over the database (read only).

The pure rules are :mod:`cdppe.domain.reminder_policy`; this module loads what they need (open
deadlines, the parties' people, the runs a reminder links to) and hands it to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from cdppe.core.settings import get_settings
from cdppe.domain.reminder_policy import (
    DeadlineInfo,
    Member,
    PlannedReminder,
    Recipient,
    ReminderPolicy,
    plan_reminders,
    recipients_for,
)
from cdppe.store.reminders import (
    contract_runs,
    contracts_with_ids,
    members_of,
    open_deadline_rows,
)
from models.enums import Phase, PhaseStatus

# The phase whose flow run a reminder links to (the form where the step is recorded).
KIND_PHASE: dict[str, Phase] = {
    "campaign_draft": Phase.DIAGNOSIS,
    "convocation": Phase.DELIBERATION,
    "deliberation": Phase.DELIBERATION,
    "signature": Phase.SIGNATURE,
    "payment": Phase.CREDIT_PAYMENT,
    "odpe": Phase.ODPE_REVIEW,
    "report": Phase.EXECUTION_REPORT,
    "amendment_window": Phase.AMENDMENT,
}


@dataclass(frozen=True)
class ContractContext:
    contract_id: int
    key: str
    title: str
    departement_code: str
    coordinator: Recipient
    members: tuple[Member, ...]
    phase_runs: dict[tuple[int, Phase], str] = field(default_factory=dict)
    waiting_runs: dict[int, str] = field(default_factory=dict)  # exercice -> the run that waits now

    def run_for(self, exercice_id: int, phase: Phase | None) -> str | None:
        """The run an e-mail about ``phase`` opens: that phase's run, else the exercice's waiting run."""
        found = self.phase_runs.get((exercice_id, phase)) if phase else None
        return found or self.waiting_runs.get(exercice_id)

    def recipients(self, deadline: DeadlineInfo) -> list[Recipient]:
        return recipients_for(deadline, self.members)

    def coordinator_for(self, deadline: DeadlineInfo) -> Recipient:
        return self.coordinator


@dataclass(frozen=True)
class DueReminder:
    planned: PlannedReminder
    context: ContractContext
    exercice_id: int


def flow_run_link(ui_url: str, flow_run_id: str | None) -> str:
    base = ui_url.rstrip("/")
    return f"{base}/runs/flow-run/{flow_run_id}" if flow_run_id else f"{base}/runs"


def load_contexts(session: Session, contract_ids: Iterable[int]) -> dict[int, ContractContext]:
    ids = sorted(set(contract_ids))
    if not ids:
        return {}
    members: dict[int, list[Member]] = {i: [] for i in ids}
    for m in members_of(session, contract_ids=ids):
        members[m.contract_id].append(Member(m.party.value, m.name, m.email, m.is_signatory))
    runs: dict[int, dict[tuple[int, Phase], str]] = {i: {} for i in ids}
    waiting: dict[int, dict[int, str]] = {i: {} for i in ids}
    for state, contract_id in contract_runs(session, contract_ids=ids):
        assert state.flow_run_id is not None
        runs[contract_id][(state.exercice_id, state.phase)] = state.flow_run_id
        if state.status is PhaseStatus.WAITING:
            waiting[contract_id][state.exercice_id] = state.flow_run_id
    out = {}
    for contract in contracts_with_ids(session, contract_ids=ids):
        assert contract.id is not None
        out[contract.id] = ContractContext(
            contract.id, contract.key, contract.title, contract.departement_code,
            Recipient(contract.coordinator_name, contract.coordinator_email, "coordinator"),
            tuple(members[contract.id]), runs[contract.id], waiting[contract.id])
    return out


def deadline_info(row: Any) -> tuple[DeadlineInfo, int]:
    """(deadline, its exercice id) from a row of (Deadline, exercice id, year, contract id, key, code)."""
    dl, ex_id, year, cid, key, code = row
    assert ex_id is not None
    return (DeadlineInfo(dl.key, dl.kind, dl.label, dl.due_date, dl.legal_date, dl.rule, dl.source,
                         dl.recipient_role, key, code, year, dl.id, cid), ex_id)


def open_deadlines(session: Session, contract_id: int | None = None,
                   ) -> list[tuple[DeadlineInfo, int]]:
    """Open deadlines with their exercice id (all contracts, or one)."""
    return [deadline_info(row) for row in open_deadline_rows(session, contract_id=contract_id)]


def plan_for(deadlines: Sequence[tuple[DeadlineInfo, int]], contexts: dict[int, ContractContext],
             policy: ReminderPolicy, as_of: date) -> list[DueReminder]:
    """The pure planner over deadlines of several contracts."""
    out: list[DueReminder] = []
    for info, exercice_id in deadlines:
        assert info.contract_id is not None
        ctx = contexts[info.contract_id]
        for planned in plan_reminders([info], ctx.recipients, ctx.coordinator_for, policy, as_of):
            out.append(DueReminder(planned, ctx, exercice_id))
    return out


def due_reminders(session: Session, as_of: date, *, policy: ReminderPolicy | None = None,
                  contract_id: int | None = None) -> list[DueReminder]:
    """What is due on ``as_of`` from the open deadlines in the database (read only)."""
    policy = policy or ReminderPolicy.from_settings(get_settings())
    deadlines = open_deadlines(session, contract_id)
    contexts = load_contexts(session, {d.contract_id for d, _ in deadlines if d.contract_id})
    return plan_for(deadlines, contexts, policy, as_of)
