"""``cdppe simulate``: a whole national year, accelerated, through the real flows."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from cdppe.simulation.runner import SimulationResult
    from cdppe.store.simulation_summary import Summary as SimulationSummary

console = Console()
err = Console(stderr=True)


def simulate_command(
    departments: Annotated[int, typer.Option("--departments", help="Nombre de Départements (1 à 101)")] = 101,
    year: Annotated[int, typer.Option("--year", help="Exercice simulé")] = 2025,
    out: Annotated[Path, typer.Option("--out", help="Dossier de sortie (base SQLite, documents, courriels)")]
    = Path("out/simulation"),
    seed: Annotated[int, typer.Option("--seed", help="Graine : même graine, même résultat")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Résumé en JSON")] = False,
    prefect_db: Annotated[str | None, typer.Option(
        "--prefect-db", help="Base du serveur Prefect temporaire (postgresql+asyncpg://...) ; "
        "SQLite par défaut. Ignoré si PREFECT_API_URL désigne un serveur.")] = None,
) -> None:
    """Simule une année complète pour N Départements : relances quotidiennes, étapes, documents, courriels."""
    for name, value in (("PREFECT_LOGGING_LEVEL", "WARNING"), ("PREFECT_SERVER_ANALYTICS_ENABLED", "false")):
        os.environ.setdefault(name, value)
    from cdppe.domain.rules import RuleViolationError
    from cdppe.simulation.runner import simulate
    from cdppe.store.simulation_summary import summarize

    if not 1 <= departments <= 101:
        err.print("[bold red]Erreur[/] : --departments entre 1 et 101.")
        raise typer.Exit(2)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, transient=as_json, disable=as_json)
    with progress:
        task = progress.add_task("Préparation", total=None)

        def on_day(day: object, done: int, total: int) -> None:
            progress.update(task, description=f"Journée du {day}", completed=done, total=total)

        try:
            result = simulate(departments, year, out, seed, on_day=on_day,
                              prefect_database_url=prefect_db)
        except (RuleViolationError, ValueError) as exc:
            err.print(f"[bold red]Erreur[/] : {exc}", highlight=False)
            raise typer.Exit(2) from exc
    from cdppe.store.db import engine_for

    summary = summarize(engine_for(result.database_url), year, result.last_day, result.out / "mail",
                        result.counters.flow_runs, result.wall_seconds)
    if as_json:
        data = {**summary.as_dict(), "year": year, "seed": seed, "out": str(result.out),
                "first_day": result.first_day.isoformat(), "last_day": result.last_day.isoformat(),
                "days": result.days, "late": result.late}
        console.print_json(json.dumps(data, ensure_ascii=False))
        return
    console.print(_summary_table(result, summary, year, seed))


def _summary_table(result: SimulationResult, summary: SimulationSummary, year: int, seed: int) -> Table:
    table = Table(title=f"Simulation {year} — {summary.departements} Département(s), graine {seed}",
                  show_header=False)
    rows = [
        ("Période simulée",
         f"du {result.first_day:%d/%m/%Y} au {result.last_day:%d/%m/%Y} ({result.days} jours)"),
        ("Exercices menés jusqu'au rapport et à l'avenant",
         f"{summary.exercices_complete} / {summary.departements}"),
        ("Phases terminées", str(summary.phases_completed)),
        ("Avenants signés (avec report de crédits)", str(summary.avenants_signed)),
        ("Documents produits", str(summary.documents)),
        ("Courriels envoyés / reçus par le serveur local",
         f"{summary.emails_sent} / {summary.emails_delivered}"),
        ("Relances portées par ces courriels (un par personne et par jour)", str(summary.reminders)),
        ("Escalades au coordinateur portées par ces courriels", str(summary.escalations)),
        ("Étapes en retard (escaladées)", str(summary.overdue_steps)),
        ("Échéances dépassées encore ouvertes", str(summary.open_overdue)),
        ("Exécutions de flows Prefect", str(summary.flow_runs)),
        ("Durée", f"{summary.seconds:.1f} s"),
        ("Dossier", str(result.out)),
    ]
    for label, value in rows:
        table.add_row(label, value)
    return table
