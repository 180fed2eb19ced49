"""The simulated year through the real flows: summary = database, same seed = same content.

Three Départements (Creuse, Saône-et-Loire, Ain) with seed 1, which makes some of them
late (escalations). To stay fast the sweep runs on every 30th of its working days here; the
command sweeps on each of them. One run is shared by the tests of this module, the second
checks determinism.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from cdppe.core.settings import get_settings
from cdppe.simulation.runner import SimulationResult, simulate, sweep_days
from cdppe.store.db import engine_for
from cdppe.store.simulation_summary import database_fingerprint, documents_fingerprint, summarize

pytestmark = pytest.mark.slow

YEAR, SEED, SIZE, EVERY = 2025, 1, 3, 30


def run(out: Path, mp: pytest.MonkeyPatch) -> SimulationResult:
    # simulate() points the settings at ``out``; monkeypatch restores them afterwards
    mp.setenv("CDPPE_DATA_DIR", str(out))
    mp.setenv("CDPPE_DATABASE_URL", f"sqlite:///{out / 'cdppe.sqlite'}")
    try:
        return simulate(SIZE, YEAR, out, SEED, sweep_every=EVERY)
    finally:
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def first(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulationResult]:
    with pytest.MonkeyPatch.context() as mp:
        yield run(tmp_path_factory.mktemp("sim-a"), mp)


def scalar(url: str, sql: str) -> int:
    with engine_for(url).connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_summary_matches_the_database(first: SimulationResult) -> None:
    url = first.database_url
    summary = summarize(engine_for(url), YEAR, first.last_day, first.out / "mail",
                        first.counters.flow_runs, first.wall_seconds)
    simulated = f"(SELECT id FROM exercice WHERE year = {YEAR})"
    assert summary.departements == SIZE
    assert summary.exercices_complete == SIZE  # every exercice reached its report and decision
    assert summary.phases_completed == scalar(
        url, f"SELECT count(*) FROM phase_state WHERE status = 'COMPLETED' AND exercice_id IN {simulated}")
    assert summary.phases_completed == SIZE * 11  # 7 phases + the avenant's 4 (its payment the last)
    assert summary.phases_completed == first.counters.phases_completed + 4 * first.counters.avenants
    # each avenant's supplementary BOP 304 credits came as a second tranche
    assert scalar(url, "SELECT count(*) FROM payment WHERE avenant_number = 1 AND source = 'BOP304'") == SIZE
    assert summary.avenants_signed == SIZE == first.counters.avenants
    carried = scalar(url, "SELECT count(DISTINCT amendment_id) FROM amendment_line WHERE part = 'CARRY_OVER'")
    assert carried == SIZE  # one avenant with carry-over per Département
    assert summary.documents == scalar(url, "SELECT count(*) FROM generated_document")
    files = [p for p in (first.out / "documents").rglob("*") if p.is_file()]
    assert len(files) == summary.documents > 0
    assert summary.emails_sent == scalar(url, "SELECT count(*) FROM outbox_email WHERE status = 'SENT'")
    assert summary.emails_delivered == summary.emails_sent > 0  # every e-mail reached the sink
    assert summary.escalations == scalar(url, "SELECT count(*) FROM reminder_item WHERE kind = 'escalation'")
    assert summary.escalations > 0 and summary.overdue_steps > 0  # seed 1 makes some steps late
    # one message per person and day carries every reminder and escalation of that day
    digests = scalar(url, "SELECT count(*) FROM outbox_email WHERE kind = 'digest'")
    assert 0 < digests <= summary.reminders + summary.escalations
    assert scalar(url, "SELECT count(*) FROM outbox_email WHERE status != 'SENT'") == 0
    # every simulated day ran through Prefect: sweeps + phase flows + per avenant its request run
    # and the runs of its own phases (deliberation, signature, application, payment of its new money)
    sweeps = len(sweep_days(first.first_day, first.last_day, EVERY))
    assert first.counters.flow_runs == sweeps + first.counters.phases_completed + (1 + 4) * SIZE


def test_same_seed_same_content(first: SimulationResult, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    second = run(tmp_path / "sim-b", monkeypatch)
    assert database_fingerprint(engine_for(second.database_url), second.out) == \
        database_fingerprint(engine_for(first.database_url), first.out)
    assert documents_fingerprint(second.out / "documents") == documents_fingerprint(first.out / "documents")
