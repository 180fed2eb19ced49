"""The stack's health rules, on fixed instants (no server, no database)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cdppe.core.schedules import SWEEP_SCHEDULE, last_occurrence
from cdppe.ops.health import (
    deployments_check,
    outbox_check,
    scheduled_runs_check,
    sweep_check,
)

PARIS = ZoneInfo("Europe/Paris")
SWEEP = [SWEEP_SCHEDULE]  # 08:00 in Paris, Monday to Friday
REGISTERED = datetime(2026, 11, 2, 15, 0, tzinfo=PARIS)  # a Monday afternoon


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


def test_last_occurrence_skips_the_weekend_and_keeps_paris_time() -> None:
    assert last_occurrence(SWEEP[0], at(7, 9)) == at(7, 8)  # Monday 09:00 -> Monday 08:00
    assert last_occurrence(SWEEP[0], at(7, 7)) == at(4, 8)  # Monday 07:00 -> Friday 08:00
    summer = last_occurrence(SWEEP[0], datetime(2026, 7, 1, 7, 30, tzinfo=ZoneInfo("UTC")))
    assert summer.astimezone(ZoneInfo("UTC")).hour == 6  # 08:00 CEST


def test_a_sweep_completed_after_the_latest_occurrence_is_healthy() -> None:
    check = sweep_check(now=at(3, 11), schedules=SWEEP, registered_at=REGISTERED,
                        last_completed_at=at(3, 8, 4))
    assert check.ok and "3 décembre 2026 à 08:04" in check.detail


def test_a_missed_working_day_sweep_is_reported_with_its_date() -> None:
    check = sweep_check(now=at(3, 11), schedules=SWEEP, registered_at=REGISTERED,
                        last_completed_at=at(2, 8, 4))
    assert not check.ok
    assert "la relance prévue le 3 décembre 2026 à 08:00 n'a pas abouti" in check.detail
    assert "dernière réussie : 2 décembre 2026 à 08:04" in check.detail


def test_the_grace_period_leaves_the_morning_sweep_time_to_run() -> None:
    check = sweep_check(now=at(3, 9, 30), schedules=SWEEP, registered_at=REGISTERED,
                        last_completed_at=at(2, 8, 4))
    assert check.ok  # 09:30: today's sweep may still be running; yesterday's counts


def test_monday_morning_accepts_fridays_sweep_72_hours_old() -> None:
    check = sweep_check(now=at(7, 9), schedules=SWEEP, registered_at=REGISTERED,
                        last_completed_at=at(4, 8, 5))
    assert check.ok


def test_no_sweep_is_due_before_the_deployment_existed() -> None:
    fresh = at(3, 15)
    check = sweep_check(now=at(3, 16), schedules=SWEEP, registered_at=fresh, last_completed_at=None)
    assert check.ok and "aucune relance réussie" in check.detail
    later = sweep_check(now=at(4, 11), schedules=SWEEP, registered_at=fresh, last_completed_at=None)
    assert not later.ok and "4 décembre 2026 à 08:00" in later.detail


def test_a_sweep_without_schedule_is_a_problem() -> None:
    assert not sweep_check(now=at(3, 11), schedules=[], registered_at=REGISTERED,
                           last_completed_at=at(3, 8)).ok


def test_scheduled_runs_deployments_and_outbox() -> None:
    now = at(3, 11)
    assert not scheduled_runs_check("relances-quotidiennes", [], now=now).ok
    ok = scheduled_runs_check("relances-quotidiennes", [at(4, 8), at(7, 8)], now=now)
    assert ok.ok and "2 planifiée(s), la prochaine le 4 décembre 2026 à 08:00" in ok.detail
    missing = deployments_check({"avenant", "signature"}, {"signature"})
    assert not missing.ok and missing.detail == "manquants : avenant."
    assert deployments_check({"signature"}, {"signature", "autre"}).ok
    assert outbox_check([], now=now).ok
    stuck = outbox_check([(4, now - timedelta(hours=30)), (9, now - timedelta(hours=2))], now=now)
    assert not stuck.ok and stuck.detail.startswith("2 courriel(s) bloqué(s) depuis le 2 décembre 2026")
    assert "(30 h)" in stuck.detail
