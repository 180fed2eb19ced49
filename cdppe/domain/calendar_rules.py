"""The calendar of the contracts: legal deadlines and the working-day rule.

Working-day rule (stated in every document that shows a shifted date):
- a deadline "at the latest on D" that falls on a Saturday, a Sunday or a
  French public holiday moves to the **next working day** (the usual rule,
  as in article 642 of the code de procédure civile);
- a deadline counted backwards from an event ("at least 12 days before the
  session") moves to the **previous working day**, so the minimum notice
  still holds.
Public holidays are those of the Département's territory (the ``holidays``
package): Alsace-Moselle (57, 67, 68) and the overseas départements have
their own extra days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta

CONVOCATION_NOTICE_DAYS = 12  # CGCT L3121-19: report sent 12 days at least before the session

_SUBDIVISIONS = {"57": "57", "67": "6AE", "68": "6AE", "971": "971", "972": "972",
                 "973": "973", "974": "974", "976": "976"}


@lru_cache(maxsize=512)
def _calendar_for(subdiv: str | None, year: int) -> holidays.HolidayBase:
    """Cached by territory (not by Département): 101 codes share a handful of calendars."""
    calendar: holidays.HolidayBase = holidays.country_holidays(
        "FR", years=[year - 1, year, year + 1], subdiv=subdiv, language="fr")
    return calendar


def _holiday_calendar(departement_code: str | None, year: int) -> holidays.HolidayBase:
    return _calendar_for(_SUBDIVISIONS.get(departement_code or ""), year)


def holiday_name(day: date, departement_code: str | None = None) -> str | None:
    name = _holiday_calendar(departement_code, day.year).get(day)
    return str(name) if name else None


def is_working_day(day: date, departement_code: str | None = None) -> bool:
    return day.weekday() < 5 and holiday_name(day, departement_code) is None


def next_working_day(day: date, departement_code: str | None = None) -> date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day, departement_code):
        day += timedelta(days=1)
    return day


def previous_working_day(day: date, departement_code: str | None = None) -> date:
    """``day`` itself if it is a working day, else the last working day before it."""
    while not is_working_day(day, departement_code):
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class ShiftedDate:
    legal: date
    effective: date
    reason: str | None

    @property
    def shifted(self) -> bool:
        return self.legal != self.effective


def _why_not_working(day: date, departement_code: str | None) -> str:
    name = holiday_name(day, departement_code)
    if name:
        return f"jour férié ({name})"
    return "samedi" if day.weekday() == 5 else "dimanche"


def at_the_latest(day: date, departement_code: str | None = None) -> ShiftedDate:
    """A deadline "at the latest on ``day``": a non-working day moves to the next working day."""
    effective = next_working_day(day, departement_code)
    reason = None
    if effective != day:
        reason = f"{_why_not_working(day, departement_code)} : reporté au jour ouvré suivant"
    return ShiftedDate(day, effective, reason)


def at_least_before(event: date, days: int, departement_code: str | None = None) -> ShiftedDate:
    """The last day to act ``days`` days before ``event``; a non-working day moves earlier."""
    legal = event - timedelta(days=days)
    effective = previous_working_day(legal, departement_code)
    reason = None
    if effective != legal:
        reason = f"{_why_not_working(legal, departement_code)} : avancé au jour ouvré précédent"
    return ShiftedDate(legal, effective, reason)


def report_due_date(last_signature: date) -> date:
    """One year after the last signature (article 3 of the contracts).

    A signature on 29 February gives 28 February of the next year: "at the
    latest one year after" must not run past the anniversary, so the earlier
    day is kept (python-dateutil's ``relativedelta`` does exactly this).
    """
    return last_signature + relativedelta(years=1)


def credits_usable_until(exercice_year: int) -> date:
    """Credits of year N may be used from 1 January N to 31 December N+1."""
    return date(exercice_year + 1, 12, 31)


def termination_deadline(year: int) -> date:
    """A party may terminate by registered letter no later than 31 December of a year."""
    return date(year, 12, 31)


def convocation_deadline(session: date, departement_code: str | None = None) -> ShiftedDate:
    """Convocation of the council at least 12 days before its session (CGCT L3121-19)."""
    return at_least_before(session, CONVOCATION_NOTICE_DAYS, departement_code)
