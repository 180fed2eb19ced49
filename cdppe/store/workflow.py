"""Queries on the workflow rows: the state of each phase of an exercice."""

from __future__ import annotations

from sqlmodel import Session, select

from models import PhaseState
from models.enums import Phase


def get_phase_state(session: Session, exercice_id: int, phase: Phase, avenant: int = 0) -> PhaseState:
    """The phase's row, created on first use."""
    state = session.exec(select(PhaseState).where(
        PhaseState.exercice_id == exercice_id, PhaseState.phase == phase,
        PhaseState.avenant_number == avenant)).first()
    if state is None:
        state = PhaseState(exercice_id=exercice_id, phase=phase, avenant_number=avenant)
        session.add(state)
        session.flush()
    return state
