"""Time: one helper for "now", French date formatting, Europe/Paris everywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    """The one place the wall clock is read; everything else takes ``as_of``."""
    return datetime.now(UTC)


def today_paris(now: datetime | None = None) -> date:
    """Today's date in Europe/Paris (the contracts' legal time), unless ``CDPPE_TODAY`` freezes it."""
    if now is None:
        from cdppe.core.settings import get_settings

        frozen = get_settings().today
        if frozen is not None:
            return frozen
    return (now or utcnow()).astimezone(PARIS).date()


def format_date_fr(day: date) -> str:
    """``22 novembre 2024``; the first of a month is written ``1er``."""
    text = format_date(day, format="d MMMM y", locale="fr_FR")
    if day.day == 1:
        text = "1er" + text[1:]
    return text


def format_datetime_fr(moment: datetime) -> str:
    local = moment.astimezone(PARIS)
    return f"{format_date_fr(local.date())} à {local:%H:%M}"
