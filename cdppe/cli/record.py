"""``cdppe record`` and ``cdppe resume``: their command lines (the work is in ``cdppe.cli.recording``,
imported when a command runs, so that ``cdppe --help`` does not load the database layer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from models.enums import Phase

console = Console()
err = Console(stderr=True)

PHASE_ALIASES = {
    "diagnostic": Phase.DIAGNOSIS, "deliberation": Phase.DELIBERATION, "délibération": Phase.DELIBERATION,
    "signature": Phase.SIGNATURE, "versement": Phase.CREDIT_PAYMENT, "paiement": Phase.CREDIT_PAYMENT,
    "odpe": Phase.ODPE_REVIEW, "rapport": Phase.EXECUTION_REPORT, "avenant": Phase.AMENDMENT,
}


def parse_phase(text: str) -> Phase:
    try:
        return Phase(text)
    except ValueError:
        if text.lower() in PHASE_ALIASES:
            return PHASE_ALIASES[text.lower()]
    known = ", ".join([p.value for p in Phase] + list(PHASE_ALIASES))
    raise typer.BadParameter(f"phase inconnue {text!r} (connues : {known})")


def parse_fields(args: list[str]) -> dict[str, Any]:
    """``--signed-on 2024-12-02 --role prefet`` → ``{"signed_on": ..., "role": ...}``."""
    fields: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            raise typer.BadParameter(f"argument inattendu {arg!r} : utilisez --champ valeur")
        name = arg[2:].replace("-", "_")
        if "=" in name:
            name, value = name.split("=", 1)
            i += 1
        elif i + 1 < len(args) and not args[i + 1].startswith("--"):
            value = args[i + 1]
            i += 2
        else:
            value, i = "true", i + 1
        fields[name] = value
    return fields


def record_command(ctx: typer.Context, phase: str, contract: str,
                   year: int | None = typer.Option(None, help="Exercice (par défaut : le premier en cours)"),
                   avenant: int = typer.Option(0, min=0, help="Étape de l'avenant n° N (délibération, "
                                                               "signature) ; 0 : le contrat"),
                   resume: bool = typer.Option(True, help="Relancer le flow en attente")) -> None:
    """Enregistre la réponse attendue par une étape : cdppe record signature 71-2024 --role prefet ...

    Quand l'étape attend dans Prefect, le serveur doit répondre avant que rien ne soit
    enregistré : une réponse n'est jamais gardée en base pendant que son run reste suspendu.
    --scan FICHIER (signature) : le PDF signé, vérifié puis déposé avec son empreinte SHA-256.
    """
    from cdppe.cli.recording import ResumeError, record_fields, resume_hint, resume_waiting_run
    from cdppe.ops.prefect_access import PrefectUnavailableError
    from cdppe.services.lifecycle import AnswerRefusedError
    from cdppe.services.uploads import UploadRefusedError, ingest_operator_file
    from cdppe.store.contracts import ContractNotFoundError

    target = parse_phase(phase)
    fields = parse_fields(list(ctx.args))
    if "scan" in fields:  # the file the operator names, through the one door (cdppe.services.uploads)
        try:
            fields["scan_sha256"] = ingest_operator_file(Path(fields.pop("scan")), "--scan").sha256
        except UploadRefusedError as exc:
            err.print(f"[bold red]Refusé[/] : {exc} ; rien n'a été enregistré.", highlight=False,
                      soft_wrap=True)
            raise typer.Exit(2) from exc
    try:
        summary, flow_run_id, answer, key, ex_year = record_fields(contract, year, target, fields, resume,
                                                                   avenant)
    except (AnswerRefusedError, ContractNotFoundError) as exc:
        err.print(f"[bold red]Refusé[/] : {exc}", highlight=False)
        raise typer.Exit(2) from exc
    except PrefectUnavailableError as exc:
        err.print(f"[bold red]Rien n'a été enregistré[/] : {exc}\n"
                  "(pour enregistrer sans relancer le run : --no-resume)", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    console.print(f"Enregistré : {summary}.", highlight=False)
    if resume and flow_run_id:
        try:
            console.print(resume_waiting_run(flow_run_id, answer), highlight=False)
        except ResumeError as exc:
            err.print(f"[bold red]Réponse enregistrée, mais le run en attente n'a pas été relancé[/] "
                      f"({exc}). Relancez-le avec : {resume_hint(key, ex_year)}", highlight=False,
                      soft_wrap=True)
            raise typer.Exit(1) from exc


def resume_command(contract: str, year: int | None = typer.Option(
        None, help="Exercice (par défaut : le premier en cours)")) -> None:
    """Relance le run suspendu d'un exercice (après une réponse enregistrée avec --no-resume)."""
    from cdppe.cli.recording import ResumeError, resume_waiting_run, waiting_exercice
    from cdppe.ops.prefect_access import PrefectUnavailableError, require_prefect_api
    from cdppe.services.lifecycle import AnswerRefusedError, current_phase
    from cdppe.store.contracts import ContractNotFoundError
    from cdppe.store.db import session_scope
    from cdppe.store.workflow import get_phase_state

    try:
        with session_scope() as session:
            c, ex = waiting_exercice(session, contract, year)
            assert ex.id is not None
            phase = current_phase(session, ex.id)
            flow_run_id = get_phase_state(session, ex.id, phase).flow_run_id if phase else None
            if not flow_run_id:
                raise AnswerRefusedError(f"aucun run en attente pour {c.key} {ex.year}.")
        require_prefect_api()
        console.print(resume_waiting_run(flow_run_id, None), highlight=False)
    except (AnswerRefusedError, ContractNotFoundError) as exc:
        err.print(f"[bold red]Refusé[/] : {exc}", highlight=False)
        raise typer.Exit(2) from exc
    except (PrefectUnavailableError, ResumeError) as exc:
        err.print(f"[bold red]Erreur[/] : {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
