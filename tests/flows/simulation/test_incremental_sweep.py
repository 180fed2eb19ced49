"""The incremental daily sweep equals a full recompute, every day of a simulated year of 10
Départements (the plain loop: the same answers, avenants and documents as the flows, without Prefect).

After each day's work, the next day's sweep is run twice in transactions that are rolled back:
incrementally (what the sweep does) and in full (every exercice recomputed). Both must leave the
same deadlines (date, status, rule, calendar SEQUENCE) and plan the same reminders.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from cdppe.core.settings import get_settings
from cdppe.services.reminders.outbox import due_reminders
from cdppe.services.reminders.sync import SyncResult, sync_all_deadlines
from cdppe.simulation.runner import simulate
from cdppe.store.db import get_engine
from models import Deadline

pytestmark = pytest.mark.slow

YEAR, SEED, SIZE = 2025, 3, 10


def next_sweep(day: date, *, full: bool) -> tuple[SyncResult, dict[str, tuple[Any, ...]], list[str]]:
    """What the sweep of ``day`` would leave (deadlines, reminders planned), then rolled back."""
    with Session(get_engine()) as session:
        result = sync_all_deadlines(session, day, full=full, commit_each=False)
        rows = {d.key: (d.due_date, d.status, d.rule, d.legal_date, d.source, d.ics_sequence,
                        d.recipient_role) for d in session.exec(select(Deadline)).all()}
        planned = sorted(r.planned.key for r in due_reminders(session, day))
        session.rollback()
    return result, rows, planned


def test_the_incremental_sweep_equals_a_full_recompute_over_a_year(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "sim"
    monkeypatch.setenv("CDPPE_DATA_DIR", str(out))
    monkeypatch.setenv("CDPPE_DATABASE_URL", f"sqlite:///{out / 'cdppe.sqlite'}")
    checked: list[tuple[date, int, int]] = []

    def compare(day: date, index: int, total: int) -> None:
        tomorrow = day + timedelta(days=1)
        incremental, rows, planned = next_sweep(tomorrow, full=False)
        full, full_rows, full_planned = next_sweep(tomorrow, full=True)
        assert rows == full_rows, tomorrow
        assert planned == full_planned, tomorrow
        assert full.recomputed >= incremental.recomputed
        checked.append((tomorrow, incremental.recomputed, full.recomputed))

    try:
        result = simulate(SIZE, YEAR, out, SEED, orchestrated=False, on_day=compare)
    finally:
        get_settings.cache_clear()
    assert len(checked) == result.days >= 365
    recomputed = sum(n for _, n, _ in checked)
    every = sum(n for _, _, n in checked)
    assert every >= SIZE * 365  # each exercice every day
    assert recomputed < every / 4  # most days, most exercices are left alone
    assert result.counters.avenants == SIZE  # the year really happened: every avenant opened
