"""``cdppe report template`` and ``cdppe report import``: the execution report's data as the
spreadsheet a Département fills (French output, exit 2 on refusal, nothing written then)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

report_app = typer.Typer(no_args_is_help=True, help="Rapport d'exécution : données par fiche et indicateur.")
console = Console()
err = Console(stderr=True)


@report_app.command("template")
def report_template_command(
    contract: Annotated[str, typer.Argument(help="Contrat : id ou clé (ex. 71-2024)")],
    year: Annotated[int, typer.Argument(help="Exercice du rapport (ex. 2024)", min=2020, max=2100)],
    out: Annotated[Path | None, typer.Option("--out", help="Fichier XLSX à écrire")] = None,
) -> None:
    """Écrit le classeur à remplir (fiches : statut, dates, consommation, bilan ; indicateurs : réalisé)."""
    from cdppe.services.report_sheet import report_template
    from cdppe.store.contracts import ContractNotFoundError, find_contract, find_exercice
    from cdppe.store.db import session_scope

    try:
        with session_scope() as session:
            found = find_contract(session, contract)
            exercice = find_exercice(session, found, year)
            data, key = report_template(session, found, exercice), found.key
    except ContractNotFoundError as exc:
        err.print(f"[bold red]Refusé[/] : {exc}", highlight=False)
        raise typer.Exit(2) from exc
    target = out or Path(f"rapport-{key}-{year}.xlsx")
    try:
        target.write_bytes(data)
    except OSError as exc:
        err.print(f"[bold red]Refusé[/] : écriture impossible de {target} ({exc.strerror})", highlight=False)
        raise typer.Exit(2) from exc
    console.print(f"Classeur du rapport {key} {year} écrit : {target}", highlight=False)


@report_app.command("import")
def report_import_command(
    file: Annotated[Path, typer.Argument(help="Le classeur XLSX rempli")],
    by: Annotated[str, typer.Option("--by", help="Votre nom (conservé dans l'historique)")] = "cli",
) -> None:
    """Relit le classeur rempli : chaque cellule fautive est nommée, et rien n'est écrit dans ce cas."""
    from cdppe.services.report_sheet import ReportSheetError, apply_report_sheet, read_report_sheet
    from cdppe.services.uploads import UploadRefusedError, open_operator_file
    from cdppe.store.db import session_scope

    try:
        with open_operator_file(file, "FICHIER") as stream:
            sheet = read_report_sheet(stream, str(file))
        with session_scope() as session:
            contract, exercice, fiches, indicators = apply_report_sheet(session, sheet, by)
            key, year = contract.key, exercice.year
    except UploadRefusedError as exc:
        err.print(f"[bold red]Refusé[/] : {exc} ; rien n'a été enregistré.", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    except ReportSheetError as exc:
        err.print(f"[bold red]{file} refusé[/] ({len(exc.problems)} problème(s)) ; rien n'a été enregistré :",
                  highlight=False, soft_wrap=True)
        for problem in exc.problems:
            err.print(f"  - {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    console.print(f"Rapport {key} {year} : {fiches} fiche(s) et {indicators} indicateur(s) enregistrés.",
                  highlight=False)


@report_app.command("fiche")
def report_fiche_command(
    contract: Annotated[str, typer.Argument(help="Contrat : id ou clé (ex. 71-2024)")],
    year: Annotated[int, typer.Argument(help="Exercice du rapport (ex. 2024)", min=2020, max=2100)],
    fiche: Annotated[str, typer.Option("--fiche", help="Numéro de la fiche (13a = 13 a)")],
    status: Annotated[str | None, typer.Option(
        help="réalisée, en cours, en retard, abandonnée, prévue")] = None,
    start_date: Annotated[str | None, typer.Option(help="Date de début (JJ/MM/AAAA)")] = None,
    duration: Annotated[str | None, typer.Option(help="Durée")] = None,
    reason: Annotated[str | None, typer.Option(help="Motif (en retard ou abandonnée)")] = None,
    consumed_etat: Annotated[str | None, typer.Option(help="Crédits État consommés (€)")] = None,
    consumed_departement: Annotated[str | None, typer.Option(
        help="Crédits Département consommés (€)")] = None,
    assessment: Annotated[str | None, typer.Option(help="Bilan")] = None,
    outlook: Annotated[str | None, typer.Option(help="Perspectives")] = None,
    highlighted_for: Annotated[str | None, typer.Option(
        help="Action phare pour : BOP 304, FIR ou ONDAM")] = None,
    by: Annotated[str, typer.Option("--by", help="Votre nom (conservé dans l'historique)")] = "cli",
) -> None:
    """Enregistre le rapport d'une fiche (une fiche à la fois ; un champ omis reste vide)."""
    from cdppe.services.report_sheet import ReportSheetError, record_fiche_report
    from cdppe.store.db import session_scope

    fields = {"fiche": fiche, "status": status, "start_date": start_date, "duration": duration,
              "reason": reason, "consumed_etat": consumed_etat, "consumed_departement": consumed_departement,
              "assessment": assessment, "outlook": outlook, "highlighted_for": highlighted_for}
    try:
        with session_scope() as session:
            report = record_fiche_report(session, contract, year, fields, by)
    except ReportSheetError as exc:
        err.print("[bold red]Refusé[/] ; rien n'a été enregistré :", highlight=False)
        for problem in exc.problems:
            err.print(f"  - {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    console.print(f"Fiche {report.number} ({contract} {year}) : {report.status.label} enregistrée.",
                  highlight=False)
