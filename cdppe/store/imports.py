"""Queries and deletions of a contract file's import (the rows a file owns, read to be compared)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, delete, select

from cdppe.store.plan import contract_indicators, contract_objectives
from models import (
    Exercice,
    FicheAction,
    FicheExecution,
    Indicator,
    IndicatorValue,
    MoneyLine,
    Objective,
    PartyMember,
)


def signed_exercices(session: Session, *, contract_id: int | None) -> Sequence[Exercice]:
    """The exercices already in effect (their last signature recorded)."""
    return session.exec(select(Exercice).where(Exercice.contract_id == contract_id,
                                               col(Exercice.effective_date).is_not(None))).all()


def replace_party_members(session: Session, *, contract_id: int) -> None:
    """The contract's people are the file's: the stored ones go before the file's are written."""
    session.exec(delete(PartyMember).where(col(PartyMember.contract_id) == contract_id))


def objectives_by_number(session: Session, *, contract_id: int) -> dict[str, Objective]:
    return {o.number: o for o in contract_objectives(session, contract_id=contract_id)}


def fiche_lines(session: Session, *, fiche_id: int | None, without_avenant: bool = False) -> list[MoneyLine]:
    """A fiche's money lines (only the file's, without those of an avenant, when asked)."""
    query = select(MoneyLine).where(MoneyLine.fiche_id == fiche_id)
    if without_avenant:
        query = query.where(col(MoneyLine.amendment_id).is_(None))
    return list(session.exec(query))


def executions_by_exercice(session: Session, *, fiche_id: int | None) -> dict[int, FicheExecution]:
    rows = session.exec(select(FicheExecution).where(FicheExecution.fiche_id == fiche_id))
    return {execution.exercice_id: execution for execution in rows}


def delete_fiche(session: Session, fiche: FicheAction) -> None:
    """A fiche with every line and execution it has."""
    session.exec(delete(MoneyLine).where(col(MoneyLine.fiche_id) == fiche.id))
    session.exec(delete(FicheExecution).where(col(FicheExecution.fiche_id) == fiche.id))
    session.delete(fiche)


def delete_indicator(session: Session, indicator: Indicator) -> None:
    """An indicator with its values, the values first (no ORM relationship orders the two)."""
    session.exec(delete(IndicatorValue).where(col(IndicatorValue.indicator_id) == indicator.id))
    session.delete(indicator)


def indicators_keyed_by_code(session: Session, *, contract_id: int) -> dict[str, Indicator]:
    return {i.code: i for i in contract_indicators(session, contract_id=contract_id)}
