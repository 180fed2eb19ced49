"""The contract as amended (every signed avenant applied): artifact and document, on demand."""

from __future__ import annotations

from prefect import flow

from tasks.national import publish_consolidated


@flow(name="contract-as-amended", flow_run_name="contrat consolidé {contract}")
def contract_as_amended(contract: str, generate_document: bool = True) -> str:
    """Contrat consolidé : avenants signés appliqués, historique de chaque montant, document."""
    return publish_consolidated(contract, generate_document)
