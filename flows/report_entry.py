"""The execution report's data, one fiche at a time, from the Prefect UI (``rapport-fiche``): what a
row of the report's workbook holds, with the same checks; the report step itself keeps waiting
for the adoption and transmission."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run as runtime_flow_run
from prefect.states import Completed, Failed

from cdppe.core.money import format_eur
from models.report_entry import FicheReportEntry
from tasks.cycle import resolve_exercice
from tasks.report import record_report_fiche


def report_entry_run_name() -> str:
    params: dict[str, Any] = runtime_flow_run.parameters
    entry = params.get("entry")
    data = entry.model_dump() if isinstance(entry, FicheReportEntry) else dict(entry or {})
    try:
        label = resolve_exercice(str(data["contract"]), int(data["year"])).label
    except Exception:  # noqa: BLE001 - a name must never fail the run
        label = f"{data.get('contract')} {data.get('year')}"
    return f"{label} · rapport, fiche {data.get('fiche')}"


@flow(name="report-entry", flow_run_name=report_entry_run_name)
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
