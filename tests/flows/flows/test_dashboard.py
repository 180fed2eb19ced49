"""The national dashboard and the exercice opening on a real Prefect API: artifacts by key."""

from __future__ import annotations

import json
from datetime import date

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from cdppe.present.dashboard import DASHBOARD_KEY, OBJECTIVES_KEY
from cdppe.services.contract_io import read_contract_file
from cdppe.services.importer import import_contract
from flows.dashboard import national_dashboard
from flows.exercice_opening import exercice_opening
from models import Exercice
from models.exercice_request import ExerciceOpeningRequest
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow


def latest(key: str) -> str:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), limit=50)
    assert artifacts, key
    newest = max(artifacts, key=lambda a: a.created or 0)  # type: ignore[arg-type, return-value]
    return str(newest.data)


def latest_table(key: str) -> list[dict[str, str]]:
    rows = json.loads(latest(key))
    assert isinstance(rows, list)
    return rows


def test_dashboard_artifact_has_one_row_per_exercice(prefect_api: str, cli_db: str,
                                                     engine: Engine) -> None:
    with Session(engine) as session:
        for name in ("saone-et-loire-2024.yaml", "creuse-2025-2027.yaml"):
            import_contract(session, read_contract_file(EXAMPLES / name), "test")
        session.commit()

    message = exercice_opening(ExerciceOpeningRequest(
        contract="71-2024", year=2025, requested_by="Opératrice", start_cycle=False))
    assert "Exercice 2025 ouvert à partir de 2024" in message
    opening = latest("cdppe-71-2024-2025-ouverture")
    assert "Report de crédits proposé" in opening and "Campagne nationale 2025" in opening
    assert "## Exercice 2025" in latest("cdppe-71-2024-consolide")

    result = national_dashboard(as_of=date(2025, 3, 3))
    with Session(engine) as session:
        exercices = session.exec(select(func.count()).select_from(Exercice)).one()
    assert exercices == 5 and result["exercices"] == exercices
    rows = latest_table(DASHBOARD_KEY)
    assert len(rows) == exercices
    assert sorted((r["Contrat"], r["Exercice"]) for r in rows) == [
        ("23-2025-2027", "2025"), ("23-2025-2027", "2026"), ("23-2025-2027", "2027"),
        ("71-2024", "2024"), ("71-2024", "2025")]
    saone = next(r for r in rows if (r["Contrat"], r["Exercice"]) == ("71-2024", "2025"))
    assert saone["Phase en cours"] == "diagnostic" and saone["BOP 304 prévu"] == "843\u202f728\u00a0€"
    assert saone["Qui doit agir"].startswith("les trois parties")
    objectives = latest_table(OBJECTIVES_KEY)
    assert objectives and {r["Département"] for r in objectives} == {"23", "71"}
