"""A person's choice of reminders: all, only the last week's, or none, until a day; set from the
pause page a message links to (its token is the credential) or by an operator (``cdppe reminders
contact``). The coordinator's escalations go whatever the choice."""

from __future__ import annotations

import secrets
from datetime import date

from sqlmodel import Session

from cdppe.core.dates import utcnow
from cdppe.core.settings import Settings
from cdppe.store.audit import current_actor, record_event
from cdppe.store.notifications import found_or_inserted, preference_by_email
from models import ContactPreference
from models.enums import ContactMode


class ChoiceRefusedError(ValueError):
    """A choice that cannot be recorded; the message names the field, in French."""


def new_token() -> str:
    """192 random bits, URL-safe: the only credential of a pause page or a calendar feed."""
    return secrets.token_urlsafe(24)


def ensure_preference(session: Session, email: str) -> ContactPreference:
    """The person's row (created with the normal choice and a fresh token when missing)."""
    address = email.strip().lower()
    return found_or_inserted(session, lambda: preference_by_email(session, email=address),
                             lambda: ContactPreference(email=address, token=new_token()))


def pause_url(settings: Settings, preference: ContactPreference) -> str:
    return f"{settings.documents_url.rstrip('/')}/relances/{preference.token}"


def parse_mode(value: str) -> ContactMode:
    try:
        return ContactMode(value.strip().lower())
    except ValueError as exc:
        raise ChoiceRefusedError(f"mode : {value!r} inconnu (attendu : normal, reduit ou suspendu)") from exc


def parse_until(value: str | None) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ChoiceRefusedError(f"jusqu'au : date {text!r} invalide (attendu AAAA-MM-JJ)") from exc


def set_choice(session: Session, preference: ContactPreference, mode: ContactMode, *,
               until: date | None, today: date, by: str | None = None) -> ContactPreference:
    """Record the choice (the caller commits), with its audit event; a past ``until`` is refused."""
    if until is not None and until < today:
        raise ChoiceRefusedError(f"jusqu'au : le {until.isoformat()} est déjà passé")
    if mode is ContactMode.NORMAL:
        until = None
    preference.mode, preference.until = mode, until
    preference.updated_by = by or current_actor()
    preference.updated_at = utcnow()
    session.add(preference)
    record_event(session, "contact.preference",
                 {"email": preference.email, "mode": mode.value,
                  "until": until.isoformat() if until else None}, actor=preference.updated_by)
    return preference
