"""Orchestration shared by the phase flows: one top-level run per phase, waiting for people.

Each phase is a run of its own deployment (``Saône-et-Loire 2024 · signature``). While it
waits for an answer it is suspended, named after what it waits for (``En attente de signature
(1/3)``) and holds no process; when the phase is completed its run ends ``Completed`` and
starts the next phase's run. So the runs list of an exercice reads like its status.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.input.run_input import RunInput, run_input_subclass_from_type
from prefect.runtime import flow_run as runtime_flow_run
from prefect.states import Completed
from pydantic import BaseModel, ValidationError

from cdppe.ops.phase_runs import phase_run_label, start_phase_run
from cdppe.ops.prefect_private import form_with_description, suspend_for_input
from cdppe.services.lifecycle import Need, next_phase
from models.answers import Answer
from models.enums import Phase, PhaseStatus
from models.forms import answer_from_form, form_model, form_values, with_initial_data
from tasks.artifacts import publish_phase_artifacts, show_waiting
from tasks.cycle import ExerciceRef, close_phase, find_need, open_phase, record, resolve_exercice

RECORD_ALIASES: dict[Phase, str] = {
    Phase.DIAGNOSIS: "diagnostic", Phase.DELIBERATION: "deliberation", Phase.SIGNATURE: "signature",
    Phase.CREDIT_PAYMENT: "versement", Phase.ODPE_REVIEW: "odpe", Phase.EXECUTION_REPORT: "rapport",
    Phase.AMENDMENT: "avenant",
}


def phase_run_name(phase: Phase) -> Callable[[], str]:
    """``Creuse 2025 · signature`` (``… (avenant n° 1)``): built from the run's parameters.

    A run created with its name (``start_phase_run``) or named by an earlier execution keeps it
    without reading the database: a resumed step starts sooner.
    """

    def name() -> str:
        params: dict[str, Any] = runtime_flow_run.parameters
        contract, year = str(params.get("contract", "?")), int(params.get("year", 0))
        avenant = int(params.get("avenant", 0) or 0)
        current, suffix = runtime_flow_run.name or "", phase_run_label("", phase, avenant)
        if current.endswith(suffix) and current.removesuffix(suffix).strip():
            return current
        try:
            label = resolve_exercice(contract, year).label
        except Exception:  # noqa: BLE001 - a name must never fail the run
            label = f"{contract} {year}"
        return phase_run_label(label, phase, avenant)

    return name


def form_run_name(parameter: str, what: Callable[[dict[str, Any]], str]) -> Callable[[], str]:
    """``Creuse 2025 · <what>`` for a run started from a form (one typed parameter holding the
    contract and the year, as the Prefect UI sends it or as a model)."""

    def name() -> str:
        params: dict[str, Any] = runtime_flow_run.parameters
        value = params.get(parameter)
        data = value.model_dump() if isinstance(value, BaseModel) else dict(value or {})
        try:
            label = resolve_exercice(str(data["contract"]), int(data["year"])).label
        except Exception:  # noqa: BLE001 - a name must never fail the run
            label = f"{data.get('contract')} {data.get('year')}"
        return f"{label} · {what(data)}"

    return name


def current_flow_run_id() -> str | None:
    ctx = FlowRunContext.get()
    return str(ctx.flow_run.id) if ctx and ctx.flow_run else None


def _placeholder(name: str, annotation: Any, default: Any) -> str:
    if name == "scan_sha256":
        return "--scan FICHIER.pdf"
    flag = f"--{name.replace('_', '-')}"
    if default is not None:
        value = getattr(default, "value", default)
        return f'{flag} "{value}"' if isinstance(value, str) and " " in value else f"{flag} {value}"
    text = str(annotation)
    if "date" in text:
        return f"{flag} AAAA-MM-JJ"
    if annotation is bool:
        return f"{flag} true|false"
    members = getattr(annotation, "__members__", None)
    if members:
        return f"{flag} " + "|".join(m.value for m in annotation)
    return f'{flag} "…"'


def record_command_line(ref: ExerciceRef, need: Need, avenant: int = 0) -> str:
    """The exact ``cdppe record`` line that gives this answer from a terminal."""
    parts = ["cdppe record", RECORD_ALIASES[need.phase], ref.contract_key, f"--year {ref.year}"]
    if avenant:
        parts.append(f"--avenant {avenant}")
    for name, f in need.answer_type.model_fields.items():
        default = need.defaults.get(name)
        piece = _placeholder(name, f.annotation, default)
        parts.append(piece if f.is_required() or default is not None else f"[{piece}]")
    return " ".join(parts)


def _form_class(need: Need, description: str, prefill: dict[str, Any]) -> type[RunInput]:
    base = cast(type[RunInput], run_input_subclass_from_type(form_model(need.answer_type)))
    values = {**form_values(need.answer_type, need.defaults), **prefill}
    return form_with_description(cast(type[RunInput], with_initial_data(base, **values)), description)


def wait_for_answer(ref: ExerciceRef, need: Need, attempt: int, avenant: int = 0, error: str | None = None,
                    typed: dict[str, Any] | None = None) -> dict[str, Any]:
    """Suspend this run until a person answers ``need`` (UI form or ``cdppe record``); the form's values.

    Like ``suspend_flow_run(wait_for_input=...)``, but the state is named after what we wait
    for and its keyset does not depend on that name, so the same need and attempt always map
    to the same stored answer (a replay finds it). After a refused answer the state message
    says why (``Réponse refusée : …``) and the form comes back filled with what was typed.
    """
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        raise RuntimeError("wait_for_answer must run inside a flow run")
    pause_key = re.sub(r"[^a-z0-9-]", "-", f"{need.key}-{attempt}".lower())  # Prefect's key rule
    description = need.description
    if error:
        description = f"**Réponse refusée** : {error}\n\n{description}"
    description += f"\n\n_En ligne de commande :_ `{record_command_line(ref, need, avenant)}`"
    return suspend_for_input(ctx.flow_run.id, name=need.waiting_reason[:60], pause_key=pause_key,
                             message=f"Réponse refusée : {error}" if error else need.waiting_reason,
                             keyset_base=f"cdppe-{pause_key}",
                             form=_form_class(need, description, typed or {}))


def refusal_of(exc: ValidationError) -> str:
    return "réponse incomplète ou invalide : " + " ; ".join(
        f"{'.'.join(str(p) for p in e['loc'])} : {e['msg']}" for e in exc.errors())


def answer_loop(ref: ExerciceRef, phase: Phase, avenant: int, need: Need | None) -> None:
    """Until the phase needs nothing more: suspend for each answer, record it or say why not."""
    attempts: dict[str, int] = {}
    errors: dict[str, str] = {}
    typed: dict[str, dict[str, Any]] = {}
    while need is not None:
        attempt = attempts.get(need.key, 1)
        show_waiting(ref, phase, need.waiting_reason, current_flow_run_id(), avenant)
        data = wait_for_answer(ref, need, attempt, avenant, errors.get(need.key), typed.get(need.key))
        current = find_need(ref, phase, avenant)
        if current is None or current.key != need.key:
            need = current  # answered meanwhile with `cdppe record`: nothing to record twice
            continue
        try:
            answer: Answer = answer_from_form(need.answer_type, data)
        except ValidationError as exc:
            ok, message = False, refusal_of(exc)
        else:
            ok, message = record(ref, phase, answer, avenant)
        if ok:
            need = find_need(ref, phase, avenant)
        else:
            attempts[need.key], errors[need.key], typed[need.key] = attempt + 1, message, data


@task(name="lancer la phase suivante", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def start_next_phase(ref: ExerciceRef, phase: Phase, avenant: int = 0) -> str:
    """Start the run of the phase that follows (idempotent); a French line for the state message."""
    following = next_phase(phase, avenant)
    done = f"{phase.label[:1].upper()}{phase.label[1:]} terminé(e)"
    if following is None:
        return f"{done} : le cycle de {ref.label} est terminé." if avenant == 0 else \
            f"{done} : avenant n° {avenant} appliqué."
    run = start_phase_run(ref.contract_key, ref.year, following, avenant, ref.tags, ref.label)
    return f"{done} ; étape suivante : {following.label} (run « {run.name} »)."


def finish_phase(ref: ExerciceRef, phase: Phase, avenant: int = 0) -> None:
    """The documents and the completed mark (one transaction), then what the UI shows."""
    close_phase(ref, phase, current_flow_run_id(), avenant)
    publish_phase_artifacts(ref, phase, avenant)


def from_deployment() -> bool:
    ctx = FlowRunContext.get()
    return bool(ctx and ctx.flow_run and ctx.flow_run.deployment_id)


def run_phase(phase: Phase, contract: str, year: int, avenant: int = 0) -> State[Any]:
    """Drive one phase in its own run: wait for people, finish it, start the next phase's run.

    Called in-process rather than from its deployment (the simulation, benchmarks), the
    phase only completes: whoever called it runs the next one.
    """
    opened = open_phase(contract, year, phase, avenant, current_flow_run_id())
    completed_now = opened.status is not PhaseStatus.COMPLETED
    if completed_now:
        answer_loop(opened.ref, phase, avenant, opened.need)
        close_phase(opened.ref, phase, current_flow_run_id(), avenant)
    # The next phase's run starts before this one publishes what the UI shows: its process
    # starts meanwhile, and the next form comes up sooner.
    message = start_next_phase(opened.ref, phase, avenant) if from_deployment() else \
        f"{phase.label} terminé(e)."
    if completed_now:
        publish_phase_artifacts(opened.ref, phase, avenant)
    return Completed(message=message)
