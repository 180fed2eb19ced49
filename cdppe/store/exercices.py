"""Queries the opening of a new exercice needs: the contract's exercices by year, what last year
declared, and whether the new exercice already has money."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from models import Exercice, FicheExecution, MoneyLine
from models.enums import Payer


def exercices_by_year(session: Session, *, contract_id: int | None) -> dict[int, Exercice]:
    return {e.year: e for e in session.exec(select(Exercice).where(Exercice.contract_id == contract_id))}


def declared_consumptions(session: Session, *, exercice_id: int | None) -> int:
    """How many fiches the exercice's report gives a consumption for."""
    return session.exec(select(func.count()).select_from(FicheExecution).where(
        FicheExecution.exercice_id == exercice_id, col(FicheExecution.consumed_etat).is_not(None))).one()


def valorised_departement_lines(session: Session, *, exercice_id: int | None) -> Sequence[MoneyLine]:
    """The Département's lines that are valorisation (staff time, premises), not money paid."""
    return session.exec(select(MoneyLine).where(
        MoneyLine.exercice_id == exercice_id, MoneyLine.payer == Payer.DEPARTEMENT,
        col(MoneyLine.valorisation).is_(True))).all()


def money_line_count(session: Session, *, exercice_id: int | None) -> int:
    return session.exec(select(func.count()).select_from(MoneyLine).where(
        MoneyLine.exercice_id == exercice_id)).one()

