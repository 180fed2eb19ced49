"""The schedules the deployments run on: one definition read by the deployments, the health
checks and the simulated year (which sweeps on the days the real schedule fires)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cronsim import CronSim


@dataclass(frozen=True)
class CronSpec:
    cron: str
    timezone: str


# The reminder sweep: 08:00 in Paris on working days (a weekend's reminders go out on Monday).
SWEEP_SCHEDULE = CronSpec("0 8 * * 1-5", "Europe/Paris")
# The national dashboard: every morning, before the sweep.
DASHBOARD_SCHEDULE = CronSpec("0 7 * * *", "Europe/Paris")


def last_occurrence(schedule: CronSpec, before: datetime) -> datetime:
    """The latest moment at or before ``before`` that ``schedule`` fires (tz-aware)."""
    local = before.astimezone(ZoneInfo(schedule.timezone))
    return next(iter(CronSim(schedule.cron, local, reverse=True)))


def firing_days(schedule: CronSpec, first: date, last: date) -> list[date]:
    """The days from ``first`` to ``last`` (both included) on which ``schedule`` fires, in order."""
    zone = ZoneInfo(schedule.timezone)
    start = datetime.combine(first, time.min, zone) - timedelta(microseconds=1)
    days: list[date] = []
    for moment in CronSim(schedule.cron, start):
        day = moment.date()
        if day > last:
            return days
        if not days or days[-1] != day:
            days.append(day)
    return days
