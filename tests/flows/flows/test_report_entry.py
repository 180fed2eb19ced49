"""The report's data one fiche at a time through the ``rapport-fiche`` deployment, on a real Prefect
API: a fiche written as a workbook row would be; a bad entry refused with each form field named and
nothing written; the form's schema refuses what is not a fiche's report before any run starts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from prefect.deployments import run_deployment
from prefect.exceptions import PrefectHTTPStatusError
from sqlmodel import Session, select

from cdppe.services.contract_io import read_contract_file
from cdppe.services.importer import import_contract
from cdppe.store.db import engine_for, upgrade
from models import FicheAction, FicheExecution
from models.enums import FicheStatus, FundingSource
from tests.conftest import EXAMPLES
from tests.flows.driver import start_serving

pytestmark = pytest.mark.slow
DEPLOYMENT = "report-entry/rapport-fiche"
ENTRY = {"contract": "71-2024", "year": 2024, "answered_by": "Camille Martin"}


def executions(db_url: str) -> dict[str, FicheExecution]:
    with Session(engine_for(db_url)) as session:
        rows = session.exec(select(FicheAction.number, FicheExecution).join(
            FicheExecution, FicheExecution.fiche_id == FicheAction.id)).all()
        return {number: exe for number, exe in rows}


def facts(rows: dict[str, FicheExecution]) -> dict[str, tuple[object, ...]]:
    return {n: (e.status, e.reason, e.consumed_etat, e.consumed_departement) for n, e in rows.items()}


def test_one_fiche_of_the_report_from_the_ui_form(prefect_api: str, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'rapport.sqlite'}"
    engine = engine_for(db_url)
    upgrade(engine)
    with Session(engine) as session:
        import_contract(session, read_contract_file(EXAMPLES / "saone-et-loire-2024.yaml"), "test")
        session.commit()
    before = executions(db_url)
    served = start_serving(prefect_api, db_url, tmp_path / "data", tmp_path / "serve.log")
    try:
        done = run_deployment(DEPLOYMENT, timeout=180, parameters={"entry": {
            **ENTRY, "fiche": "3", "status": "en retard", "reason": "recrutement d'une sage-femme en cours",
            "consumed_etat": "12 500,50", "consumed_departement": "4000", "highlighted_for": "FIR",
            "assessment": "Visites reprises en septembre."}})
        assert done.state is not None and done.state.is_completed(), done.state
        assert done.name == "Saône-et-Loire 2024 · rapport, fiche 3"
        assert done.state.message == ("Fiche 3 du rapport 2024 enregistrée : retardée, État consommé "
                                      "12\u202f500,50\xa0€.")
        fiche = executions(db_url)["3"]
        assert (fiche.status, fiche.reason) == (FicheStatus.DELAYED, "recrutement d'une sage-femme en cours")
        assert (fiche.consumed_etat, fiche.consumed_departement) == (Decimal("12500.50"), Decimal("4000"))
        assert fiche.highlighted_for is FundingSource.FIR

        refused = run_deployment(DEPLOYMENT, timeout=180, parameters={"entry": {
            **ENTRY, "fiche": "99", "status": "abandonnée"}})
        assert refused.state is not None and refused.state.is_failed() and refused.state.name == "Refusé"
        message = str(refused.state.message)
        assert message.startswith("Fiche refusée, rien n'a été enregistré :\n- ")
        assert "Motif (obligatoire en retard ou abandonnée) : motif obligatoire" in message, message
        unknown = run_deployment(DEPLOYMENT, timeout=180, parameters={"entry": {**ENTRY, "fiche": "99"}})
        assert unknown.state is not None
        assert "fiche 99 inconnue du contrat 71-2024" in str(unknown.state.message)
        other = run_deployment(DEPLOYMENT, timeout=180, parameters={"entry": {**ENTRY, "contract": "99-1999",
                                                                              "fiche": "1"}})
        assert other.state is not None and "\n- Contrat (ex. 71-2024) : " in str(other.state.message)
        with pytest.raises(PrefectHTTPStatusError):  # text in an amount: the form refuses it
            run_deployment(DEPLOYMENT, timeout=0, parameters={"entry": {
                **ENTRY, "fiche": "1", "consumed_etat": "beaucoup"}})
        assert facts(executions(db_url)) == facts(before) | {"3": facts(executions(db_url))["3"]}
    finally:
        served.kill()
