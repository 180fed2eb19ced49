"""The report's data entered one fiche at a time from the Prefect UI (the ``rapport-fiche`` form)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from cdppe.services.report_sheet import FicheReport, ReportSheetError, record_fiche_report
from cdppe.store.contracts import ContractNotFoundError, find_contract, find_exercice
from cdppe.store.db import session_scope
from models.report_entry import FORM_FIELD_OF_COLUMN, FicheReportEntry


@task(name="enregistrer la fiche du rapport", cache_policy=NO_CACHE)
def record_report_fiche(entry: FicheReportEntry) -> FicheReport | list[str]:
    """The fiche's report written (one transaction), or every reason it is refused, each naming
    the form's field (a result, not an exception: the coordinator reads it in the run's state)."""
    contract_field = FicheReportEntry.model_fields["contract"].title
    try:
        with session_scope() as session:
            try:
                find_exercice(session, find_contract(session, entry.contract), entry.year)
            except ContractNotFoundError as exc:
                return [f"{contract_field} : {exc}"]
            fields = {"A": FicheReportEntry.model_fields["fiche"].title or "fiche", **FORM_FIELD_OF_COLUMN}
            return record_fiche_report(session, entry.contract, entry.year, entry.sheet_fields(),
                                       entry.answered_by, fields)
    except ReportSheetError as exc:
        return exc.problems
