"""``cdppe reminders preview|send``, ``cdppe outbox`` and ``cdppe mail-sink`` (French output)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cdppe.core.dates import format_date_fr, format_datetime_fr, today_paris

reminders_app = typer.Typer(no_args_is_help=True, help="Relances des échéances par courriel.")
console = Console()
err = Console(stderr=True)

AsOf = Annotated[str | None, typer.Option("--as-of", help="Date du jour simulée (AAAA-MM-JJ)")]


def _day(value: str | None) -> date:
    if value is None:
        return today_paris()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        err.print(f"[bold red]Erreur[/] : date invalide {value!r} (attendu AAAA-MM-JJ)",
                  highlight=False)
        raise typer.Exit(2) from exc


@reminders_app.command("preview")
def preview(contract: str, as_of: AsOf = None) -> None:
    """Ce qui partirait à cette date : à qui, pourquoi (n'écrit rien)."""

    from cdppe.core.settings import get_settings
    from cdppe.domain.deadlines import compute_deadlines
    from cdppe.domain.digest import allowed
    from cdppe.domain.reminder_policy import DeadlineInfo, ReminderPolicy
    from cdppe.services.reminders.outbox import choices_of, existing_keys, load_contexts, plan_for
    from cdppe.services.reminders.sync import snapshot_for
    from cdppe.store.contracts import ContractNotFoundError, find_contract
    from cdppe.store.db import session_scope
    from cdppe.store.plan import contract_exercices

    day = _day(as_of)
    try:
        with session_scope() as session:
            found = find_contract(session, contract)
            assert found.id is not None
            deadlines = []
            for ex in contract_exercices(session, contract_id=found.id):
                assert ex.id is not None
                for spec in compute_deadlines(snapshot_for(session, ex, found)):
                    deadlines.append((DeadlineInfo.from_spec(
                        spec, found.key, found.departement_code, ex.year, found.id), ex.id))
            due = plan_for(deadlines, load_contexts(session, [found.id]),
                           ReminderPolicy.from_settings(get_settings()), day)
            known = existing_keys(session, [d.planned.key for d in due])
            choices = choices_of(session, due)
    except ContractNotFoundError as exc:
        err.print(f"[bold red]Erreur[/] : {exc}", highlight=False)
        raise typer.Exit(2) from exc
    if not due:
        console.print(f"Aucune relance à envoyer le {format_date_fr(day)} pour {found.key}.",
                      highlight=False)
        return
    from cdppe.present.reminder_emails import one_line  # names from the data: no escape sequence, no markup

    table = Table("Échéance", "Date", "Relance", "Destinataire", "Règle appliquée", "État",
                  title=f"Relances du {format_date_fr(day)} — {found.key}")
    for item in due:
        p = item.planned
        table.add_row(p.deadline.label, format_date_fr(p.deadline.due_date),
                      "relance coordination" if p.kind == "escalation" else p.slot,
                      Text(one_line(f"{p.recipient.name} <{p.recipient.email}>")), p.deadline.rule,
                      "déjà envoyée" if p.key in known
                      else "à envoyer" if allowed(p, choices.get(p.recipient.email.lower()), day)
                      else "retenue (choix de la personne)")
    console.print(table)


@reminders_app.command("contact")
def contact(email: str,
            mode: Annotated[str, typer.Option(help="normal, reduit (7 jours ou moins avant l'échéance) "
                                                   "ou suspendu")],
            until: Annotated[str | None, typer.Option(help="Dernier jour du choix (AAAA-MM-JJ)")] = None,
            by: Annotated[str | None, typer.Option(help="Qui enregistre ce choix")] = None) -> None:
    """Ce qu'une personne reçoit : toutes ses relances, les seules dernières, ou aucune (les
    retards restent signalés à la coordination)."""
    from cdppe.services.reminders.preferences import (
        ChoiceRefusedError,
        ensure_preference,
        parse_mode,
        parse_until,
        set_choice,
    )
    from cdppe.store.db import session_scope, upgrade

    upgrade()
    try:
        chosen, last_day = parse_mode(mode), parse_until(until)
        with session_scope() as session:
            pref = set_choice(session, ensure_preference(session, email), chosen, until=last_day,
                              today=today_paris(), by=by)
            label = pref.mode.label + (f" jusqu'au {format_date_fr(pref.until)}" if pref.until else "")
    except ChoiceRefusedError as exc:
        named = str(exc).replace("jusqu'au :", "--until :", 1).replace("mode :", "--mode :", 1)
        err.print(f"[bold red]Refusé ; rien n'a été enregistré[/] : {named}", highlight=False)
        raise typer.Exit(2) from exc
    console.print(f"{email.strip().lower()} : {label}.", highlight=False)


@reminders_app.command("feeds")
def feeds() -> None:
    """Les adresses d'abonnement aux calendriers (une par Département, une par coordination)."""
    from cdppe.core.settings import get_settings
    from cdppe.services.reminders.calendars import every_feed
    from cdppe.store.db import session_scope, upgrade

    upgrade()
    with session_scope() as session:
        links = every_feed(session, get_settings())
    if not links:
        console.print("Aucun contrat importé : aucun calendrier.", highlight=False)
    for link in links:
        console.print(f"{link.name} : {link.url}", highlight=False, soft_wrap=True)


@reminders_app.command("send")
def send(as_of: AsOf = None) -> None:
    """Recalcule les échéances, met en file les relances du jour et envoie la file."""
    from cdppe.services.reminders.outbox import queue_due_reminders
    from cdppe.services.reminders.sender import drain_outbox
    from cdppe.services.reminders.sync import sync_all_deadlines
    from cdppe.store.db import get_engine, session_scope, upgrade

    day = _day(as_of)
    upgrade()
    with session_scope() as session:
        sync_all_deadlines(session, day)
    queued = queue_due_reminders(get_engine(), day)
    sent = asyncio.run(drain_outbox(get_engine()))
    console.print(f"Relances du {format_date_fr(day)} : {queued.reminders} relance(s) dans "
                  f"{queued.queued} courriel(s) mis en file ({queued.duplicates} déjà envoyée(s), "
                  f"{queued.held} retenue(s) par le choix des personnes), {sent.sent} envoyé(s), "
                  f"{sent.deferred} différée(s), {sent.failed} en échec.", highlight=False)
    for reason in sorted(set(sent.errors)):
        err.print(f"  - {reason}", highlight=False)


def outbox(status: Annotated[str | None, typer.Option(
        help="pending, sent ou failed")] = None,
           limit: Annotated[int, typer.Option(help="Nombre de lignes")] = 50) -> None:
    """Liste la file des courriels : en attente, envoyés, en échec (avec le motif)."""

    from cdppe.store.db import session_scope
    from cdppe.store.outbox import latest_outbox_rows, outbox_counts
    from models.enums import OutboxStatus

    labels = {OutboxStatus.PENDING: "en attente", OutboxStatus.SENT: "envoyé",
              OutboxStatus.FAILED: "en échec"}
    wanted = None
    if status is not None:
        try:
            wanted = OutboxStatus(status)
        except ValueError as exc:
            err.print(f"[bold red]Erreur[/] : état inconnu {status!r} (pending, sent, failed)",
                      highlight=False)
            raise typer.Exit(2) from exc
    with session_scope() as session:
        counts = outbox_counts(session)
        rows = latest_outbox_rows(session, limit=limit, status=wanted)
    console.print(", ".join(f"{labels[s]} : {counts.get(s, 0)}" for s in OutboxStatus),
                  highlight=False)
    table = Table("Id", "État", "Type", "Destinataire", "Objet", "Essais", "Prochain essai",
                  "Envoyé le", "Motif")
    for row in rows:
        table.add_row(str(row.id), labels[row.status], row.kind, row.recipient, row.subject,
                      str(row.attempts),
                      format_datetime_fr(row.next_attempt_at)
                      if row.next_attempt_at and row.status is OutboxStatus.PENDING else "—",
                      format_datetime_fr(row.sent_at) if row.sent_at else "—",
                      row.last_error or "")
    console.print(table)


def mail_sink(host: Annotated[str | None, typer.Option(help="Adresse d'écoute")] = None,
              port: Annotated[int | None, typer.Option(help="Port d'écoute")] = None) -> None:
    """Serveur SMTP local : chaque courriel reçu est écrit en .eml dans le dossier du courrier."""
    from cdppe.core.settings import get_settings
    from cdppe.ops.mail_sink import serve_forever

    settings = get_settings()
    host, port = host or settings.sink_host, port or settings.sink_port
    console.print(f"Serveur SMTP local sur {host}:{port}, courriels dans "
                  f"{settings.mail_dir.resolve()} (Ctrl-C pour arrêter).", highlight=False)
    serve_forever(settings.mail_dir, host, port)


