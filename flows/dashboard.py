"""National dashboard for coordinators: every contract and exercice, daily and on demand."""

from __future__ import annotations

from datetime import date

from prefect import flow

from tasks.national import publish_dashboard


@flow(name="national-dashboard", flow_run_name="tableau de bord national")
def national_dashboard(as_of: date | None = None) -> dict[str, int]:
    """Tableau de bord national : phase, attente, échéances, retards, crédits ; objectifs obligatoires."""
    return publish_dashboard(as_of)
