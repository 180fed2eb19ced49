"""The execution report's data, one fiche at a time, from the Prefect UI (``rapport-fiche``): what a
row of the report's workbook holds, with the same checks; the report step itself keeps waiting
for the adoption and transmission."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed

from cdppe.core.money import format_eur
from flows.common import form_run_name
from models.report_entry import FicheReportEntry
from tasks.report import record_report_fiche


def _fiche(data: dict[str, Any]) -> str:
    return f"rapport, fiche {data.get('fiche')}"


@flow(name="report-entry", flow_run_name=form_run_name("entry", _fiche))
def report_entry(entry: FicheReportEntry) -> State[Any]:
    """Rapport d'exécution : statut, consommation, bilan et perspectives d'une fiche (une à la fois)."""
    recorded = record_report_fiche(entry)
    if isinstance(recorded, list):  # each bad field named, nothing written
        return Failed(name="Refusé", message="Fiche refusée, rien n'a été enregistré :\n"
                                             + "\n".join(f"- {problem}" for problem in recorded))
    consumed = ("consommation État inconnue" if recorded.consumed_etat is None
                else f"État consommé {format_eur(recorded.consumed_etat)}")
    return Completed(message=f"Fiche {recorded.number} du rapport {entry.year} enregistrée : "
                             f"{recorded.status.label}, {consumed}.")
