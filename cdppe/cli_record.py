"""``cdppe record``: answer a waiting step from the command line, as the UI form does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from cdppe.contracts import ContractNotFoundError, find_contract, find_exercice
from cdppe.dates import today_paris
from cdppe.db import session_scope
from cdppe.lifecycle import (
    AnswerRefusedError,
    current_phase,
    get_phase_state,
    lock_exercice,
    next_need,
    record_answer,
)
from cdppe.uploads import UploadRefusedError, ingest_operator_file
from models import Exercice
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


def resume_waiting_run(flow_run_id: str, fields: dict[str, Any]) -> str:
    """Let a suspended flow run go on; the answer is already in the database."""
    from uuid import UUID

    from prefect.flow_runs import resume_flow_run

    try:
        resume_flow_run(UUID(flow_run_id), run_input=fields)
    except Exception as exc:  # noqa: BLE001 - the answer is recorded whatever Prefect says
        return f"le flow {flow_run_id} n'a pas été relancé ({type(exc).__name__}) ; il reprendra " \
               "à sa prochaine exécution."
    return f"flow {flow_run_id} relancé."


RECORD_ATTEMPTS = 3


def _record_once(contract: str, year: int | None, target: Phase,
                 fields: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    """One transaction: find the step, validate and record; (summary, flow run, answer as JSON)."""
    with session_scope() as session:
        c = find_contract(session, contract)
        if year is None:
            exercices = session.exec(select(Exercice).where(Exercice.contract_id == c.id)
                                     .order_by(Exercice.year)).all()  # type: ignore[arg-type]
            ex = next((e for e in exercices if e.id and current_phase(session, e.id) is not None),
                      exercices[-1])
        else:
            ex = find_exercice(session, c, year)
        assert ex.id is not None
        lock_exercice(session, ex.id)  # an answer given at the same moment waits here, then is seen
        need = next_need(session, ex, target)
        if need is None:
            raise AnswerRefusedError(f"la phase {target.label} de {c.key} {ex.year} n'attend rien.")
        try:
            answer = need.answer_type.model_validate(fields)
        except ValidationError as exc:
            lines = [f"--{'-'.join(str(p) for p in e['loc'])} : {e['msg']}" for e in exc.errors()]
            raise AnswerRefusedError("réponse incomplète ou invalide :\n  " + "\n  ".join(lines)) from exc
        summary = record_answer(session, c, ex, target, answer, today_paris())
        flow_run_id = get_phase_state(session, ex.id, target).flow_run_id
        return summary, flow_run_id, answer.model_dump(mode="json")


def record_fields(contract: str, year: int | None, target: Phase,
                  fields: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    """Record an answer; the loser of two answers given at once gets the same French refusal as a
    second answer given afterwards: its transaction is rolled back and replayed on fresh rows."""
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            return _record_once(contract, year, target, fields)
        except (IntegrityError, OperationalError):
            if attempt == RECORD_ATTEMPTS:
                raise AnswerRefusedError("une autre réponse est enregistrée au même moment sur cet "
                                         "exercice : réessayez dans un instant.") from None
    raise AssertionError("unreachable")  # pragma: no cover


def record_command(ctx: typer.Context, phase: str, contract: str,
                   year: int | None = typer.Option(None, help="Exercice (par défaut : le premier en cours)"),
                   resume: bool = typer.Option(True, help="Relancer le flow en attente")) -> None:
    """Enregistre la réponse attendue par une étape : cdppe record signature 71-2024 --role prefet ...

    --scan FICHIER (signature) : le PDF signé, vérifié puis déposé avec son empreinte SHA-256.
    """
    target = parse_phase(phase)
    fields = parse_fields(list(ctx.args))
    if "scan" in fields:  # the file the operator names, through the one door (cdppe.uploads)
        try:
            fields["scan_sha256"] = ingest_operator_file(Path(fields.pop("scan")), "--scan").sha256
        except UploadRefusedError as exc:
            err.print(f"[bold red]Refusé[/] : {exc} ; rien n'a été enregistré.", highlight=False,
                      soft_wrap=True)
            raise typer.Exit(2) from exc
    try:
        summary, flow_run_id, answer = record_fields(contract, year, target, fields)
    except (AnswerRefusedError, ContractNotFoundError) as exc:
        err.print(f"[bold red]Refusé[/] : {exc}", highlight=False)
        raise typer.Exit(2) from exc
    console.print(f"Enregistré : {summary}.", highlight=False)
    if resume and flow_run_id:
        console.print(resume_waiting_run(flow_run_id, answer), highlight=False)
