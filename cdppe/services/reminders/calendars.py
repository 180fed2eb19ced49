"""Calendar feeds: one ``.ics`` URL per Département and per coordinator, which calendar applications
subscribe to and which always shows the current deadlines (a moved one with a higher SEQUENCE, a
done or withdrawn one cancelled). The URL's token is its only credential."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from cdppe.core.settings import Settings
from cdppe.present.reminder_emails import CalendarEvent, calendar_ics, mail_domain
from cdppe.services.reminders.planning import deadline_info, flow_run_link
from cdppe.services.reminders.preferences import new_token
from cdppe.store.notifications import (
    feed_by_token,
    feed_deadline_rows,
    feed_of,
    feed_subjects,
    found_or_inserted,
)
from models import CalendarFeed
from models.enums import DeadlineStatus, FeedScope


def ensure_feed(session: Session, scope: FeedScope, value: str) -> CalendarFeed:
    """The feed of a Département (its code) or of a coordinator (an address), created when missing."""
    value = value.strip().lower() if scope is FeedScope.COORDINATOR else value.strip()
    return found_or_inserted(session, lambda: feed_of(session, scope=scope, value=value),
                             lambda: CalendarFeed(scope=scope, scope_value=value, token=new_token()))


def feed_url(settings: Settings, feed: CalendarFeed) -> str:
    return f"{settings.documents_url.rstrip('/')}/calendrier/{feed.token}.ics"


def feed_name(feed: CalendarFeed) -> str:
    if feed.scope is FeedScope.DEPARTEMENT:
        return f"Échéances CDPPE — Département {feed.scope_value}"
    return f"Échéances CDPPE — coordination {feed.scope_value}"


def feed_events(session: Session, feed: CalendarFeed, settings: Settings) -> list[CalendarEvent]:
    """Every deadline of the feed's contracts: open ones confirmed, the others cancelled."""
    out = []
    runs_list = flow_run_link(settings.ui_url, None)
    for raw in feed_deadline_rows(session, scope=feed.scope, value=feed.scope_value):
        info, _ = deadline_info(raw)
        row = raw[0]
        out.append(CalendarEvent(info, row.ics_sequence, runs_list,
                                 cancelled=row.status is not DeadlineStatus.OPEN))
    return out


def render_feed(session: Session, token: str, settings: Settings, now: datetime) -> str | None:
    """The feed's calendar, or None for an unknown token."""
    feed = feed_by_token(session, token=token)
    if feed is None:
        return None
    return calendar_ics(feed_events(session, feed, settings), domain=mail_domain(settings.mail_from),
                        dtstamp=now, method=None, name=feed_name(feed))


@dataclass(frozen=True)
class FeedLink:
    name: str
    url: str


def every_feed(session: Session, settings: Settings) -> Sequence[FeedLink]:
    """The feed of every Département and every coordinator of the contracts (created when missing)."""
    departements: dict[str, None] = {}
    coordinators: dict[str, None] = {}
    for code, coordinator in feed_subjects(session):
        departements[code] = None
        coordinators[coordinator.lower()] = None
    feeds = ([ensure_feed(session, FeedScope.DEPARTEMENT, code) for code in departements]
             + [ensure_feed(session, FeedScope.COORDINATOR, address) for address in coordinators])
    return [FeedLink(feed_name(feed), feed_url(settings, feed)) for feed in feeds]
