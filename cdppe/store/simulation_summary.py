"""What the simulation produced, read back from the database; and content fingerprints.

The summary counts come from the database (and the mail sink's folder), never
from the runner's own counters, so a test can compare the two.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, col

from models import Amendment, Deadline, Exercice, GeneratedDocument, OutboxEmail, PhaseState, ReminderItem
from models.enums import PHASE_ORDER, AmendmentStatus, DeadlineStatus, OutboxStatus, PhaseStatus, ReminderKind


@dataclass
class Summary:
    departements: int
    phases_completed: int
    exercices_complete: int
    avenants_signed: int
    documents: int
    emails_sent: int
    emails_delivered: int
    reminders: int
    escalations: int
    overdue_steps: int
    open_overdue: int
    flow_runs: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _count(session: Session, statement: Any) -> int:
    return int(session.execute(statement).scalar_one())


def summarize(engine: Engine, year: int, last_day: date, mail_dir: Path, flow_runs: int,
              seconds: float) -> Summary:
    """Counts of the simulated exercices (``year``); overdue = still open after ``last_day``."""
    simulated = select(col(Exercice.id)).where(col(Exercice.year) == year).scalar_subquery()
    in_year = col(PhaseState.exercice_id).in_(simulated)
    completed_phase = col(PhaseState.status) == PhaseStatus.COMPLETED
    with Session(engine) as session:
        completed = session.execute(select(col(PhaseState.exercice_id), func.count()).where(
            in_year, col(PhaseState.avenant_number) == 0, completed_phase).group_by(
            col(PhaseState.exercice_id))).all()
        phases = _count(session, select(func.count()).select_from(PhaseState).where(in_year, completed_phase))
        exercices = _count(session, select(func.count()).select_from(Exercice).where(
            col(Exercice.year) == year))
        avenants = _count(session, select(func.count()).select_from(Amendment).where(
            col(Amendment.exercice_id).in_(simulated), col(Amendment.status) == AmendmentStatus.SIGNED))
        documents = _count(session, select(func.count()).select_from(GeneratedDocument))
        sent = _count(session, select(func.count()).select_from(OutboxEmail).where(
            col(OutboxEmail.status) == OutboxStatus.SENT))
        by_kind: dict[str, int] = {str(k): int(n) for k, n in session.execute(select(
            col(ReminderItem.kind), func.count()).group_by(col(ReminderItem.kind))).all()}
        overdue = _count(session, select(func.count(func.distinct(col(ReminderItem.deadline_id)))).where(
            col(ReminderItem.kind) == ReminderKind.ESCALATION))
        open_overdue = _count(session, select(func.count()).select_from(Deadline).where(
            col(Deadline.status) == DeadlineStatus.OPEN, col(Deadline.due_date) < last_day,
            col(Deadline.exercice_id).in_(simulated)))
    delivered = len(list(mail_dir.glob("*.eml"))) if mail_dir.is_dir() else 0
    return Summary(
        departements=exercices, phases_completed=phases,
        exercices_complete=sum(1 for _, n in completed if n == len(PHASE_ORDER)),
        avenants_signed=avenants, documents=documents, emails_sent=sent, emails_delivered=delivered,
        reminders=by_kind.get("reminder", 0), escalations=by_kind.get("escalation", 0),
        overdue_steps=overdue, open_overdue=open_overdue, flow_runs=flow_runs, seconds=seconds)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_STAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:?\d\d|Z)?")
_MSGID = re.compile(r"<[^<>@\s]+@[^<>\s]+>")
_DTSTAMP = re.compile(r"DTSTAMP:\S+")
_TOKEN_URL = re.compile(r"/(relances|calendrier)/[A-Za-z0-9_-]+")  # a random token, never the same twice


def _normal(value: Any, root: str | None = None) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\r\n ", "")  # iCalendar folds long lines (and the links in them)
    if root:
        text = text.replace(root, "<out>")
    for pattern, token in ((_UUID, "<uuid>"), (_STAMP, "<instant>"), (_MSGID, "<message-id>"),
                           (_DTSTAMP, "DTSTAMP:<instant>"), (_TOKEN_URL, r"/\1/<token>")):
        text = pattern.sub(token, text)
    return text


def _is_instant(column: Any) -> bool:
    kind = column.type
    impl = kind.impl if isinstance(kind, TypeDecorator) else kind
    return isinstance(impl, DateTime) or isinstance(kind, DateTime)


def database_fingerprint(engine: Engine, root: Path | None = None) -> dict[str, str]:
    """sha256 per table of its rows, without what the wall clock or Prefect's ids decide.

    ``root`` (the output folder) is written ``<out>`` in paths. Left out: timestamp columns
    (``*_at``: when the machine did it), flow run ids and the random tokens of the pause pages and
    calendar feeds; normalised inside text: UUIDs (flow runs in links and audit actors), ISO
    instants, Message-IDs, iCalendar DTSTAMPs and those tokens in links. Business dates
    (``as_of``) are all kept.
    """
    out = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns
                       if not _is_instant(c) and c.name not in ("flow_run_id", "token")]
            digest = hashlib.sha256()
            order = list(table.primary_key.columns) or columns
            for row in conn.execute(select(*columns).order_by(*order)):
                digest.update("\x1f".join(_normal(v, str(root) if root else None) for v in row).encode())
                digest.update(b"\x1e")
            out[table.name] = digest.hexdigest()
    return out


def documents_fingerprint(documents_dir: Path) -> dict[str, str]:
    """sha256 of every generated document, by path under the documents folder."""
    return {str(path.relative_to(documents_dir)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(documents_dir.rglob("*")) if path.is_file()}

