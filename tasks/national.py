"""Tasks of the coordinators' views: opening an exercice, the contract as amended, the dashboard."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from cdppe.core.dates import format_date_fr, today_paris
from cdppe.present.dashboard import (
    DASHBOARD_KEY,
    EXERCICE_COLUMNS,
    OBJECTIVE_COLUMNS,
    OBJECTIVES_KEY,
    artifact_table,
    exercice_rows,
    objective_rows,
)
from cdppe.present.documents.consolidated import consolidated_markdown
from cdppe.services.consolidation import consolidate
from cdppe.services.exercices import OpeningResult, open_exercice, opening_markdown
from cdppe.store.contracts import find_contract
from cdppe.store.db import session_scope
from models import Departement
from models.exercice_request import ExerciceOpeningRequest


def consolidated_key(contract_key: str) -> str:
    return f"cdppe-{contract_key.lower()}-consolide"


@task(cache_policy=NO_CACHE)
def open_next_exercice(request: ExerciceOpeningRequest, as_of: date | None = None) -> OpeningResult:
    """Refusals raise ExerciceOpeningError (French): the run fails with that message."""
    when = as_of or today_paris()
    with session_scope() as session:
        contract = find_contract(session, request.contract)
        result = open_exercice(session, contract, request.year, request.requested_by, when)
        dept = session.get(Departement, contract.departement_code)
        name = dept.name if dept else contract.departement_code
    create_markdown_artifact(
        markdown=opening_markdown(result, name),
        key=f"cdppe-{result.contract_key.lower()}-{result.year}-ouverture",
        description=f"{name} {result.year} : ouverture de l'exercice")
    return result


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def publish_consolidated(contract: str, generate_document: bool = False) -> str:
    """The contract as amended, as a Markdown artifact (and the document when asked)."""
    with session_scope() as session:
        found = find_contract(session, contract)
        consolidation = consolidate(session, found)
        if generate_document:
            from cdppe.services.consolidation import generate_consolidated_document

            assert found.id is not None
            generate_consolidated_document(session, found.id)
    key = consolidated_key(consolidation.key)
    create_markdown_artifact(markdown=consolidated_markdown(consolidation), key=key,
                             description=f"Contrat consolidé {consolidation.key} "
                                         f"({consolidation.departement_name})")
    return key


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def publish_dashboard(as_of: date | None = None) -> dict[str, int]:
    when = as_of or today_paris()
    with session_scope() as session:
        exercices = exercice_rows(session, when)
        objectives = objective_rows(session)
    create_table_artifact(
        table=artifact_table(exercices, EXERCICE_COLUMNS), key=DASHBOARD_KEY,
        description=f"Tableau de bord national au {format_date_fr(when)} : {len(exercices)} "
                    "exercice(s), phase en cours, échéances, retards, crédits prévus et versés")
    create_table_artifact(
        table=artifact_table(objectives, OBJECTIVE_COLUMNS), key=OBJECTIVES_KEY,
        description=f"Objectifs obligatoires au {format_date_fr(when)} : cibles et réalisations "
                    "par Département")
    return {"exercices": len(exercices), "objectifs": len(objectives),
            "en_retard": sum(1 for r in exercices if r.overdue_count)}
