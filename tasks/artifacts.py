"""Tasks that publish what coordinators see in the Prefect UI."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from cdppe.present.summaries import exercice_progress, phase_markdown, plan_action_table
from cdppe.store.db import session_scope
from models import Contract, Exercice
from models.enums import Phase
from tasks.cycle import ExerciceRef, mark_waiting


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def publish_phase_artifacts(ref: ExerciceRef, phase: Phase, avenant: int = 0) -> None:
    """What a completed phase shows in the UI: its summary, the plan d'action after the
    diagnosis, the exercice's progress (one task: three artifacts, one task run)."""
    publish_phase_summary.fn(ref, phase, avenant)
    if phase is Phase.DIAGNOSIS:
        publish_plan_action.fn(ref)
    publish_progress.fn(ref)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def publish_phase_summary(ref: ExerciceRef, phase: Phase, avenant: int = 0) -> None:
    with session_scope() as session:
        contract = session.get(Contract, ref.contract_id)
        exercice = session.get(Exercice, ref.exercice_id)
        assert contract is not None and exercice is not None
        markdown = phase_markdown(session, contract, exercice, phase, avenant)
    suffix = f"-avenant-{avenant}" if avenant else ""
    create_markdown_artifact(markdown=markdown, key=f"{ref.slug}-{phase.value.replace('_', '-')}{suffix}",
                             description=f"{ref.label} · {phase.label}")


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def publish_plan_action(ref: ExerciceRef) -> None:
    with session_scope() as session:
        contract = session.get(Contract, ref.contract_id)
        exercice = session.get(Exercice, ref.exercice_id)
        assert contract is not None and exercice is not None
        table = plan_action_table(session, contract, exercice)
    create_table_artifact(table=table, key=f"{ref.slug}-plan-action",
                          description=f"Plan d'action — {ref.label}")


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def publish_progress(ref: ExerciceRef) -> None:
    """The exercice's progress: one artifact, created once and then updated in place."""
    from prefect.artifacts import update_progress_artifact
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with session_scope() as session:
        progress, text = exercice_progress(session, ref.exercice_id)
    key, description = f"{ref.slug}-avancement", f"{ref.label} : {text}"
    with get_client(sync_client=True) as client:
        existing = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                                         limit=1)
    if existing:
        update_progress_artifact(existing[0].id, progress=progress, description=description)
    else:
        create_progress_artifact(progress=progress, key=key, description=description)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def show_waiting(ref: ExerciceRef, phase: Phase, reason: str, flow_run_id: str | None,
                 avenant: int = 0) -> None:
    """The phase waits for ``reason`` in this run: recorded, and the exercice's progress says so."""
    mark_waiting(ref, phase, reason, flow_run_id, avenant)
    if avenant == 0:
        publish_progress.fn(ref)
