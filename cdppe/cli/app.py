"""The ``cdppe`` command. French output for users; exit 2 for refused input."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from cdppe.cli.campaign import campaign_app
from cdppe.cli.documents import documents_app
from cdppe.cli.errors import SafeGroup
from cdppe.cli.exercices import (
    audit_command,
    contract_consolidate,
    contract_terminate,
    exercice_app,
    export_command,
    show_as_amended,
)
from cdppe.cli.record import record_command, resume_command
from cdppe.cli.reminders import mail_sink, outbox, reminders_app
from cdppe.cli.report import report_app
from cdppe.cli.simulate import simulate_command
from cdppe.core import paths
from cdppe.core.dates import format_date_fr, today_paris
from cdppe.core.money import format_eur, to_money

if TYPE_CHECKING:
    from cdppe.domain.rules import RuleViolationError
    from cdppe.services.importer import ImportResult
    from models.contract_file import ContractFile

app = typer.Typer(
    cls=SafeGroup,  # last resort: a French message and an error id, never a traceback
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Contrats départementaux de prévention et de protection de l'enfance.",
)
db_app = typer.Typer(no_args_is_help=True, help="Base de données.")
contract_app = typer.Typer(no_args_is_help=True, help="Fichiers de contrat.")
# The commands of the other cli modules, in the order `cdppe --help` lists them; each module
# declares its sub-application's commands with that sub-application's decorator. The commands
# of this module follow (their decorators below).
app.add_typer(db_app, name="db")
app.add_typer(contract_app, name="contract")
app.add_typer(documents_app, name="documents")
app.add_typer(reminders_app, name="reminders")  # preview, send
app.command("outbox")(outbox)
app.command("mail-sink")(mail_sink)
app.add_typer(exercice_app, name="exercice")  # open
app.add_typer(report_app, name="report")  # template, import
app.add_typer(campaign_app, name="campaign")  # import
app.command("export")(export_command)
app.command("audit")(audit_command)
contract_app.command("consolidate")(contract_consolidate)
contract_app.command("terminate")(contract_terminate)
app.command("record", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    record_command)
app.command("resume")(resume_command)
app.command("simulate")(simulate_command)

console = Console()
err = Console(stderr=True)

# Commands that start their own Prefect server: a running stack's address must not leak into them.
OWN_SERVER_COMMANDS = {"up", "simulate"}


@app.callback()
def find_stack(ctx: typer.Context) -> None:
    """Every command finds the stack that `make up` started (its address is in the data folder)."""
    import os

    from cdppe.ops.stack_address import apply_address, data_dir_from

    if ctx.invoked_subcommand in OWN_SERVER_COMMANDS:
        return
    apply_address(os.environ, data_dir_from())

EXAMPLES_DIR = paths.EXAMPLES_DIR


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]Erreur[/] : {message}", highlight=False)
    return typer.Exit(code)


def report_violations(exc: RuleViolationError, source: str) -> typer.Exit:
    err.print(f"[bold red]{source} refusé[/] : {len(exc.violations)} problème(s)", highlight=False)
    for v in exc.violations:
        err.print(f"  - {v}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Crée ou met à jour le schéma de la base (migrations Alembic)."""
    from cdppe.store.db import upgrade

    upgrade()
    console.print("Base de données à jour.")


@contract_app.command("validate")
def contract_validate(file: Path) -> None:
    """Vérifie un fichier de contrat sans rien écrire (code 2 s'il est refusé)."""
    from cdppe.domain.rules import RuleViolationError, contract_findings
    from cdppe.services.contract_io import read_contract_file

    try:
        cf = read_contract_file(file)
    except RuleViolationError as exc:
        raise report_violations(exc, str(file)) from exc
    console.print(f"{file} : contrat {cf.key} valide ({len(cf.fiches)} fiches, "
                  f"{len(cf.exercices)} exercice(s)).", highlight=False)
    print_findings([str(finding) for finding in contract_findings(cf)])


def print_findings(findings: list[str]) -> None:
    """Policy findings after a valid file: they do not refuse it, the signature will ask why."""
    if not findings:
        return
    console.print(f"{len(findings)} constat(s) des règles de cofinancement et de maintien de l'effort "
                  "(signature possible avec un motif enregistré) :", highlight=False)
    for finding in findings:
        console.print(f"  - {finding}", highlight=False, soft_wrap=True)


def _import(cf: ContractFile, actor: str, force: bool) -> ImportResult:
    from cdppe.services.importer import import_contract
    from cdppe.store.db import session_scope

    with session_scope() as session:
        return import_contract(session, cf, actor, force=force)


def _import_once_or_again(attempt: Callable[[], ImportResult]) -> ImportResult:
    """The same new file imported by several processes at once: the losers of the race on the
    unique keys roll back and import again, which finds the winner's contract (``inchangé``)."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    for _ in range(2):
        try:
            return attempt()
        except (IntegrityError, OperationalError):
            continue
    return attempt()


@contract_app.command("import")
def contract_import(file: Path, actor: str = typer.Option("cli", help="Qui importe"),
                    force: Annotated[bool, typer.Option(
                        "--force", help="Remplace aussi ce que le fichier n'a pas créé (ouverture "
                                        "d'exercice) ; le contenu d'un avenant reste")] = False) -> None:
    """Valide puis importe un fichier de contrat, en une seule transaction."""
    from cdppe.domain.rules import RuleViolationError, contract_findings
    from cdppe.services.contract_io import read_contract_file
    from cdppe.services.importer import ImportConflictError
    from cdppe.store.db import upgrade

    try:
        cf = read_contract_file(file)
        upgrade()
        result = _import_once_or_again(lambda: _import(cf, actor, force))
    except RuleViolationError as exc:
        raise report_violations(exc, str(file)) from exc
    except ImportConflictError as exc:
        err.print(f"[bold red]{file} refusé[/] : l'import supprimerait ou modifierait "
                  f"{len(exc.changes)} élément(s) que le fichier n'a pas créés :", highlight=False)
        for change in exc.changes:
            err.print(f"  - {change}", highlight=False, soft_wrap=True)
        err.print("Rien n'a été écrit. Relancez avec --force pour appliquer ces différences "
                  "(le contenu des avenants reste).", highlight=False)
        raise typer.Exit(2) from exc
    labels = {"created": "créé", "updated": "mis à jour", "unchanged": "inchangé"}
    console.print(f"Contrat {result.key} (id {result.contract_id}) {labels[result.outcome]}.",
                  highlight=False)
    for change in result.forced:
        console.print(f"  - forcé : {change}", highlight=False, soft_wrap=True)
    print_findings([str(finding) for finding in contract_findings(cf)])


@contract_app.command("show")
def contract_show(ref: str, as_json: Annotated[bool, typer.Option("--json")] = False,
                  as_amended: Annotated[bool, typer.Option(
                      "--as-amended", help="Version consolidée : avenants signés appliqués, "
                                           "historique de chaque montant")] = False) -> None:
    """Affiche un contrat (id ou clé comme 71-2024)."""
    from cdppe.store.contract_view import ContractNotFoundError, read_contract_summary

    if as_amended:
        return show_as_amended(ref, as_json)

    try:
        summary = read_contract_summary(ref)  # Core rows: no table class to build (starts faster)
    except ContractNotFoundError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]{summary['title']}[/] — {summary['key']} (génération "
                  f"{summary['generation']})", highlight=False)
    table = Table("Exercice", "Total État", "BOP 304", "FIR", "ONDAM", "Part Département",
                  "Prise d'effet", "Rapport dû")
    for ex in summary["exercices"]:
        table.add_row(str(ex["year"]), *(format_eur(to_money(ex[k])) for k in
                      ("state_total", "bop304", "fir", "ondam", "departement_share")),
                      ex["effective_date"] or "—", ex["report_due_date"] or "—")
    console.print(table)
    fiches = Table("Fiche", "Objectif(s)", "Intitulé")
    for f in summary["fiches"]:
        fiches.add_row(f["number"], ", ".join(f["objectives"]), f["title"])
    console.print(fiches)


@contract_app.command("schema")
def contract_schema(out: Path | None = None) -> None:
    """Écrit le schéma JSON des fichiers de contrat (pour les éditeurs)."""
    from models.contract_file import ContractFile

    text = json.dumps(ContractFile.model_json_schema(), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@app.command("deadlines")
def deadlines(ref: str, as_of: Annotated[str | None, typer.Option("--as-of")] = None,
              year: int | None = None) -> None:
    """Liste les échéances à venir d'un contrat, avec leur règle."""
    from cdppe.domain.deadlines import compute_deadlines
    from cdppe.store.contracts import ContractNotFoundError, exercice_snapshot, find_contract
    from cdppe.store.db import session_scope

    when = date.fromisoformat(as_of) if as_of else today_paris()
    try:
        with session_scope() as session:
            contract = find_contract(session, ref)
            from cdppe.store.plan import contract_exercices

            rows = []
            for ex in contract_exercices(session, contract_id=contract.id):
                if year is not None and ex.year != year:
                    continue
                for spec in compute_deadlines(exercice_snapshot(session, contract, ex)):
                    if spec.due_date >= when:
                        rows.append((ex.year, spec))
    except ContractNotFoundError as exc:
        raise fail(str(exc)) from exc
    table = Table("Exercice", "Échéance", "Date", "Destinataire", "Règle",
                  title=f"Échéances au {format_date_fr(when)}")
    for ex_year, spec in sorted(rows, key=lambda r: (r[1].due_date, r[0])):
        table.add_row(str(ex_year), spec.label, format_date_fr(spec.due_date), spec.recipient_role,
                      spec.rule_text)
    console.print(table)


@app.command("doctor")
def doctor() -> None:
    """Dit si la pile est en bonne santé : API Prefect, déploiements, planification, relances, courriels.

    Code 0 si tout va bien, 1 sinon (avec la raison de chaque problème).
    """
    from cdppe.core.settings import get_settings
    from cdppe.ops.doctor import diagnose

    checks = diagnose(get_settings())
    for check in checks:
        mark = "[green]OK[/]" if check.ok else "[bold red]PROBLÈME[/]"
        console.print(f"{mark}  {check.label} : {check.detail}", highlight=False, soft_wrap=True)
    failed = [c for c in checks if not c.ok]
    if failed:
        console.print(f"{len(failed)} problème(s) sur {len(checks)} vérifications.", highlight=False)
        raise typer.Exit(1)
    console.print(f"Tout va bien ({len(checks)} vérifications).", highlight=False)


def load_examples() -> None:
    from cdppe.domain.rules import RuleViolationError
    from cdppe.services.contract_io import read_contract_file
    from cdppe.services.importer import import_contract
    from cdppe.store.db import session_scope, upgrade

    upgrade()
    for file in sorted(EXAMPLES_DIR.glob("*.yaml")):
        try:
            cf = read_contract_file(file)
            with session_scope() as session:
                result = import_contract(session, cf, "make up")
        except RuleViolationError as exc:
            raise report_violations(exc, str(file)) from exc
        console.print(f"Contrat {result.key} : {result.outcome}", highlight=False)


def start_cycles(api_url: str) -> list[str]:
    """Start the run of the phase each unfinished exercice up to this year stands at, once.

    The same idempotency key gives back the same run after a restart; a run that ended
    without completing (cancelled, crashed) is replaced (``cdppe/ops/phase_runs.py``).
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from cdppe.ops.phase_runs import start_phase_run
    from cdppe.services.lifecycle import current_phase
    from cdppe.store.contracts import every_exercice
    from cdppe.store.db import session_scope
    from tasks.cycle import resolve_exercice

    with session_scope() as session:
        todo = [(c.key, e.year, phase) for e, c in every_exercice(session)
                if e.id and e.year <= today_paris().year
                and (phase := current_phase(session, e.id)) is not None]
    run_ids = []
    with temporary_settings({PREFECT_API_URL: api_url}):
        for key, year, phase in todo:
            run = start_phase_run(key, year, phase, 0, resolve_exercice(key, year).tags)
            run_ids.append(str(run.id))
            console.print(f"{key} {year} : phase {phase.label}, run {run.id}", highlight=False)
    return run_ids


def wait_deployments(api_url: str, stack_alive: Callable[[], None], timeout: float = 180) -> None:
    """Until every deployment of deployments/prefect.yaml is registered (each one may be run next)."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from cdppe.ops.doctor import declared_deployments

    expected = declared_deployments().names
    registered: set[str] = set()
    deadline = time.monotonic() + timeout
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            stack_alive()
            registered = {d.name for d in client.read_deployments()}
            if expected <= registered:
                return
            time.sleep(0.5)
    raise TimeoutError("les déploiements ne se sont pas enregistrés à temps : "
                       + ", ".join(sorted(expected - registered)))


def wait_first_human_step(api_url: str, run_ids: list[str], timeout: float = 240) -> dict[str, str]:
    """For --check: every started cycle reaches a waiting (suspended) state."""
    import time
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    deadline = time.monotonic() + timeout
    states: dict[str, str] = {}
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = [client.read_flow_run(UUID(run_id)) for run_id in run_ids]
            states = {f"{r.name}": (r.state.name or "?") if r.state else "?" for r in runs}
            if all(r.state is not None and r.state.is_paused() for r in runs):
                return states
            time.sleep(1)
    raise TimeoutError(f"cycles non suspendus à temps : {states}")


def stop_on_sigterm() -> None:
    """`kill` stops the stack as cleanly as Ctrl-C does, and Ctrl-C works even when started in background."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)


@app.command("up")
def up(check: Annotated[bool, typer.Option(help="Vérifie puis arrête (CI)")] = False,
       port: Annotated[int, typer.Option(help="Port de l'API et de l'interface Prefect")] = 4200,
       smtp_port: Annotated[int | None, typer.Option(
           help="Port de la boîte mail locale (par défaut CDPPE_SINK_PORT, 8025)")] = None,
       documents_port: Annotated[int | None, typer.Option(
           help="Port du serveur de documents (par défaut : celui de l'interface + 1)")] = None) -> None:
    """Lance tout en local : base, serveur Prefect et UI, boîte mail locale, déploiements, exemples."""
    import time

    from cdppe.core.settings import get_settings
    from cdppe.ops.local_stack import busy_ports, start_stack

    settings = get_settings()
    busy = busy_ports(settings, port, smtp_port, documents_port)
    if busy:
        for line in busy:
            err.print(f"[bold red]Refusé[/] : {line}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    stop_on_sigterm()
    load_examples()
    stack = start_stack(settings, port=port, sink_port=smtp_port, documents_port=documents_port)
    try:
        wait_deployments(stack.api_url, stack.check_alive)
        run_ids = start_cycles(stack.api_url)
        ui = stack.api_url.removesuffix("/api")
        data = settings.data_dir.resolve()
        console.print(f"\n[bold]Interface Prefect[/] : {ui}", highlight=False)
        console.print(f"[bold]Courriels[/] (fichiers .eml) : {data / 'mail'}", highlight=False)
        console.print(f"[bold]Documents[/] : {stack.address.documents_url if stack.address else ''} "
                      f"({data / 'documents'})", highlight=False)
        console.print(f"[bold]Journaux[/] : {data / 'logs'}", highlight=False)
        if check:
            for run_id, state in wait_first_human_step(stack.api_url, run_ids).items():
                console.print(f"  {run_id} : {state}", highlight=False)
            console.print("Vérification réussie : les cycles attendent leur première réponse.")
            return
        console.print("Ctrl-C pour tout arrêter ; `make up` reprend là où le système en était.")
        while True:
            time.sleep(2)
            stack.check_alive(warn=lambda message: err.print(f"[bold yellow]Attention[/] : {message}",
                                                             highlight=False, soft_wrap=True))
    except KeyboardInterrupt:
        console.print("\nArrêt demandé.")
    finally:
        stack.stop()
        console.print("Tout est arrêté.")

