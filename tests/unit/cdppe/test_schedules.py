"""The deployments' schedules read as days: the simulated year sweeps when production would."""

from __future__ import annotations

from datetime import date

from cdppe.core.schedules import DASHBOARD_SCHEDULE, SWEEP_SCHEDULE, CronSpec, firing_days
from cdppe.simulation.runner import sweep_days


def test_the_sweep_fires_on_working_days_only() -> None:
    days = firing_days(SWEEP_SCHEDULE, date(2025, 1, 1), date(2025, 12, 31))
    assert len(days) == 261  # the weekdays of 2025
    assert days[:3] == [date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 3)]
    assert date(2025, 1, 4) not in days and date(2025, 1, 5) not in days  # Saturday, Sunday
    assert date(2025, 1, 6) in days
    assert days == sorted(set(days))
    # the clock changes (30 March, 26 October 2025: Sundays) shift no working day
    assert date(2025, 3, 31) in days and date(2025, 10, 27) in days


def test_both_ends_are_included_and_a_daily_schedule_fires_every_day() -> None:
    assert firing_days(SWEEP_SCHEDULE, date(2025, 1, 6), date(2025, 1, 6)) == [date(2025, 1, 6)]
    assert firing_days(SWEEP_SCHEDULE, date(2025, 1, 4), date(2025, 1, 5)) == []
    assert len(firing_days(DASHBOARD_SCHEDULE, date(2024, 1, 1), date(2024, 12, 31))) == 366
    # an evening schedule is read in its own time zone, not in UTC
    assert firing_days(CronSpec("30 23 * * 5", "Europe/Paris"), date(2025, 1, 1), date(2025, 1, 12)) == \
        [date(2025, 1, 3), date(2025, 1, 10)]


def test_a_thinned_simulation_keeps_the_last_sweep() -> None:
    every = firing_days(SWEEP_SCHEDULE, date(2025, 1, 1), date(2026, 2, 10))
    thinned = sweep_days(date(2025, 1, 1), date(2026, 2, 10), 30)
    assert thinned == set(every[::30]) | {every[-1]}
    assert sweep_days(date(2025, 1, 1), date(2026, 2, 10)) == set(every)
