"""``cdppe exercice open``, ``cdppe export``, ``cdppe audit``, ``cdppe contract consolidate``
and the ``--as-amended`` view of ``cdppe contract show`` (French output, exit 2 on refusal)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

exercice_app = typer.Typer(no_args_is_help=True, help="Exercices : ouverture de l'année suivante.")
console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]Erreur[/] : {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@exercice_app.command("open")
def exercice_open(
    contract: Annotated[str, typer.Argument(help="Contrat : id ou clé (ex. 71-2024)")],
    year: Annotated[int, typer.Argument(help="Exercice à ouvrir (ex. 2025)", min=2020, max=2100)],
    by: Annotated[str, typer.Option("--by", help="Votre nom (conservé dans l'historique)")] = "cli",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date du jour (AAAA-MM-JJ)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ouvre l'exercice YEAR pré-rempli à partir de YEAR-1 (idempotent)."""
    from cdppe.core.dates import today_paris
    from cdppe.services.exercices import ExerciceOpeningError, open_exercice, opening_markdown
    from cdppe.store.contracts import ContractNotFoundError, find_contract
    from cdppe.store.db import session_scope
    from models import Departement

    when = date.fromisoformat(as_of) if as_of else today_paris()
    try:
        with session_scope() as session:
            found = find_contract(session, contract)
            result = open_exercice(session, found, year, by, when)
            dept = session.get(Departement, found.departement_code)
            name = dept.name if dept else found.departement_code
    except (ContractNotFoundError, ExerciceOpeningError) as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps({"already_opened": result.already_opened, **result.record},
                              ensure_ascii=False, indent=2))
        return
    if result.already_opened:
        console.print(f"Exercice {year} déjà ouvert : rien n'a été modifié.", highlight=False)
    from rich.markdown import Markdown

    console.print(Markdown(opening_markdown(result, name)))


def show_as_amended(ref: str, as_json: bool) -> None:
    """``cdppe contract show ID --as-amended``: current figures and the history of each."""
    from cdppe.core.dates import format_date_fr
    from cdppe.core.money import format_eur
    from cdppe.domain.consolidation import RULES_TEXT
    from cdppe.services.consolidation import consolidate
    from cdppe.store.contracts import ContractNotFoundError, find_contract
    from cdppe.store.db import session_scope

    try:
        with session_scope() as session:
            c = consolidate(session, find_contract(session, ref))
    except ContractNotFoundError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(c.as_json(), ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]{c.title}[/] — {c.key}, version consolidée (avenants signés appliqués)",
                  highlight=False)
    console.print(RULES_TEXT, style="dim", highlight=False)
    for e in c.exercices:
        table = Table("Enveloppe", "Initial", "En vigueur", "Historique",
                      title=f"Exercice {e.year}", title_justify="left")
        for fig in e.envelopes.values():
            history = "\n".join(f"{format_eur(ch.value)} : {ch.label}" for ch in fig.history) \
                if fig.changes else "inchangé"
            table.add_row(fig.label, format_eur(fig.initial), format_eur(fig.current), history)
        table.add_row("Total État", "", format_eur(e.state_total), "")
        table.add_row("dont part du Département", "", format_eur(e.departement_share), "")
        console.print(table)
        for a in e.avenants:
            when = f", en vigueur le {format_date_fr(a.effective_date)}" if a.effective_date else ""
            console.print(f"  Avenant n° {a.number} ({a.status_label}{when}) : {a.reason or '—'}",
                          highlight=False)
        changed = [fig for f in e.fiches for fig in f.figures if fig.changes]
        if changed:
            fiches = Table("Fiche", "En vigueur", "Historique")
            for fig in changed:
                fiches.add_row(fig.label, format_eur(fig.current),
                               "\n".join(f"{format_eur(ch.value)} : {ch.label}" for ch in fig.history))
            console.print(fiches)


def contract_consolidate(
    contract: Annotated[str, typer.Argument(help="Contrat : id ou clé (ex. 71-2024)")],
    formats: Annotated[str, typer.Option("--format", help="html, docx, pdf")] = "html,docx",
    out: Annotated[Path | None, typer.Option("--out", help="Dossier de sortie")] = None,
) -> None:
    """Produit le contrat consolidé (plan d'action et tableau de bord modifiés par avenants)."""
    from cdppe.present.documents import DocumentError, parse_formats
    from cdppe.services.consolidation import generate_consolidated_document
    from cdppe.store.contracts import ContractNotFoundError, find_contract
    from cdppe.store.db import session_scope

    try:
        fmts = parse_formats(formats)
        with session_scope() as session:
            found = find_contract(session, contract)
            assert found.id is not None
            docs = generate_consolidated_document(session, found.id, fmts,
                                                  out.resolve() if out else None)
    except (ContractNotFoundError, DocumentError) as exc:
        raise _fail(str(exc)) from exc
    for doc in docs:
        console.print(f"{doc.fmt} v{doc.version} : {doc.path}", highlight=False)


def export_command(
    fmt: Annotated[str, typer.Option("--format", help="csv ou xlsx")] = "xlsx",
    out: Annotated[Path | None, typer.Option("--out", help="Fichier (défaut : "
                                                           "tableau-de-bord-national.<format>)")] = None,
    table: Annotated[str, typer.Option("--table", help="CSV : exercices ou objectifs")] = "exercices",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date du jour (AAAA-MM-JJ)")] = None,
) -> None:
    """Exporte le tableau de bord national (exercices, objectifs obligatoires) en CSV ou XLSX."""
    from cdppe.core.dates import today_paris
    from cdppe.present.dashboard import EXERCICE_COLUMNS, OBJECTIVE_COLUMNS, exercice_rows, objective_rows
    from cdppe.services.export import TABLES, export_csv, export_xlsx, write_export
    from cdppe.store.db import session_scope

    fmt = fmt.strip().lower()
    if fmt not in ("csv", "xlsx"):
        raise _fail(f"format {fmt!r} inconnu (formats : csv, xlsx)")
    if table not in TABLES:
        raise _fail(f"table {table!r} inconnue (tables : {', '.join(TABLES)})")
    when = date.fromisoformat(as_of) if as_of else today_paris()
    with session_scope() as session:
        exercices = exercice_rows(session, when)
        objectives = objective_rows(session)
    if fmt == "xlsx":
        data = export_xlsx(exercices, objectives)
    elif table == "exercices":
        data = export_csv(exercices, EXERCICE_COLUMNS)
    else:
        data = export_csv(objectives, OBJECTIVE_COLUMNS)
    path = out or Path(f"tableau-de-bord-national.{fmt}")
    write_export(path, data)
    console.print(f"{path} : {len(exercices)} exercice(s), {len(objectives)} ligne(s) d'objectifs "
                  "obligatoires.", highlight=False)


def audit_command(
    contract: Annotated[str, typer.Argument(help="Contrat : id ou clé (ex. 71-2024)")],
    action: Annotated[str | None, typer.Option("--action", help="Préfixe : answer, document, "
                                                               "email, amendment...")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Exercice")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Historique d'un contrat : qui, quand, quoi (réponses, étapes, avenants, documents, courriels)."""
    from cdppe.store.audit import audit_trail
    from cdppe.store.contracts import ContractNotFoundError, find_contract
    from cdppe.store.db import session_scope

    try:
        with session_scope() as session:
            found = find_contract(session, contract)
            lines = audit_trail(session, found, action, year)
    except ContractNotFoundError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps([{"at": ln.at.isoformat(), "actor": ln.actor, "action": ln.action,
                                "year": ln.year, "summary": ln.summary, "detail": ln.detail}
                               for ln in lines], ensure_ascii=False, indent=2))
        return
    table = Table("Quand", "Qui", "Quoi", "Exercice", "Détail",
                  title=f"Historique du contrat {found.key} ({len(lines)} événement(s))")
    for ln in lines:
        table.add_row(ln.at_text, ln.actor, ln.label, str(ln.year or "—"), ln.summary)
    console.print(table)




def contract_terminate(
    contract: Annotated[str, typer.Argument(help="Contrat : id ou clé (ex. 71-2024)")],
    year: Annotated[int, typer.Argument(help="Dernier exercice du contrat (ex. 2025)", min=2020, max=2100)],
    party: Annotated[str, typer.Option("--party", help="Qui dénonce : prefet, ars ou departement")],
    on: Annotated[str, typer.Option("--on", help="Date de la lettre recommandée (AAAA-MM-JJ)")],
    by: Annotated[str, typer.Option("--by", help="Votre nom (conservé dans l'historique)")] = "cli",
) -> None:
    """Enregistre la dénonciation du contrat (lettre recommandée au plus tard le 31 décembre) ;
    le rapport d'exécution reste dû."""
    from cdppe.core.dates import format_date_fr, today_paris
    from cdppe.services.termination import TerminationRefusedError, terminate
    from cdppe.store.contracts import ContractNotFoundError
    from cdppe.store.db import session_scope
    from models.enums import SignatoryRole

    try:
        role = SignatoryRole(party)
    except ValueError as exc:
        raise _fail(f"--party : {party!r} inconnu (prefet, ars ou departement)") from exc
    try:
        letter = date.fromisoformat(on)
    except ValueError as exc:
        raise _fail(f"--on : date {on!r} illisible (attendu : AAAA-MM-JJ)") from exc
    try:
        with session_scope() as session:
            done = terminate(session, contract, year, role, letter, by, today_paris())
    except (TerminationRefusedError, ContractNotFoundError) as exc:
        raise _fail(str(exc)) from exc
    due = f" ; le rapport d'exécution reste dû le {format_date_fr(done.report_due_date)}" \
        if done.report_due_date else " ; le rapport d'exécution reste dû"
    console.print(f"Contrat {done.contract_key} dénoncé par {done.party.label} (lettre du "
                  f"{format_date_fr(done.letter_date)}), fin après l'exercice {done.year}{due}.",
                  highlight=False)
