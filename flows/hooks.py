"""What each completed phase produces beyond its state: documents and deadlines."""

from __future__ import annotations

from models.enums import Phase
from tasks.cycle import ExerciceRef
from tasks.documents import generate_documents


def on_phase_completed(ref: ExerciceRef, phase: Phase, avenant: int = 0) -> None:
    if phase is Phase.AMENDMENT and avenant == 0:
        return  # the yearly decision alone produces no document; each avenant has its own
    generate_documents(ref.contract_id, ref.exercice_id, phase, ("html", "docx"), avenant)
