"""Queries on a contract's plan: exercices, parties, objectives, fiches, money lines, indicators,
executions and the avenants' lines (keyword-only, each the one place its query is written)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from cdppe.domain.fiche_numbers import FicheMap
from models import (
    Amendment,
    AmendmentLine,
    AmendmentTransfer,
    Exercice,
    FicheAction,
    FicheExecution,
    Indicator,
    IndicatorValue,
    MoneyLine,
    Objective,
    PartyMember,
)


def contract_exercices(session: Session, *, contract_id: int | None) -> Sequence[Exercice]:
    """The contract's exercices, first year first."""
    return session.exec(select(Exercice).where(Exercice.contract_id == contract_id)
                        .order_by(col(Exercice.year))).all()


def party_members(session: Session, *, contract_id: int | None) -> Sequence[PartyMember]:
    return session.exec(select(PartyMember).where(PartyMember.contract_id == contract_id)
                        .order_by(col(PartyMember.id))).all()


def contract_objectives(session: Session, *, contract_id: int | None) -> Sequence[Objective]:
    return session.exec(select(Objective).where(Objective.contract_id == contract_id)).all()


def contract_fiches(session: Session, *, contract_id: int | None) -> Sequence[FicheAction]:
    """The contract's fiches in the order of their numbers."""
    return session.exec(select(FicheAction).where(FicheAction.contract_id == contract_id)
                        .order_by(col(FicheAction.sort_key))).all()


def fiches_by_number(session: Session, *, contract_id: int | None) -> FicheMap[FicheAction]:
    """The contract's fiches by number in its normal form (``13a`` finds ``13 a``), in id order."""
    rows = session.exec(select(FicheAction).where(FicheAction.contract_id == contract_id))
    return FicheMap((fiche.number, fiche) for fiche in rows)


def fiche_money_lines(session: Session, *, fiche_ids: Iterable[int | None]) -> Sequence[MoneyLine]:
    return session.exec(select(MoneyLine).where(col(MoneyLine.fiche_id).in_(list(fiche_ids)))).all()


def find_amendment(session: Session, *, exercice_id: int | None, number: int) -> Amendment | None:
    return session.exec(select(Amendment).where(
        Amendment.exercice_id == exercice_id, Amendment.number == number)).first()


def amendment_numbers(session: Session, *, exercice_ids: Iterable[int | None]) -> dict[int | None, int]:
    """Avenant id -> its number, for the avenants of these exercices."""
    rows = session.exec(select(Amendment).where(col(Amendment.exercice_id).in_(list(exercice_ids))))
    return {amendment.id: amendment.number for amendment in rows}


def amendment_lines(session: Session, *, amendment_id: int | None) -> Sequence[AmendmentLine]:
    return session.exec(select(AmendmentLine).where(AmendmentLine.amendment_id == amendment_id)
                        .order_by(col(AmendmentLine.id))).all()


def amendment_transfers(session: Session, *, amendment_id: int | None) -> Sequence[AmendmentTransfer]:
    return session.exec(select(AmendmentTransfer).where(AmendmentTransfer.amendment_id == amendment_id)
                        .order_by(col(AmendmentTransfer.id))).all()


def fiches_given_money_by(session: Session, *, amendment_id: int | None) -> set[str]:
    """The numbers of the fiches an avenant gives money to (new fiches or reinforcements)."""
    return set(session.exec(select(FicheAction.number).join(
        MoneyLine, col(MoneyLine.fiche_id) == col(FicheAction.id)).where(
        MoneyLine.amendment_id == amendment_id)).all())


def contract_indicators(session: Session, *, contract_id: int | None) -> Sequence[Indicator]:
    return session.exec(select(Indicator).where(Indicator.contract_id == contract_id)).all()


def indicator_value_rows(session: Session, *, indicator_id: int | None) -> list[IndicatorValue]:
    """One indicator's values (every year)."""
    return list(session.exec(select(IndicatorValue).where(IndicatorValue.indicator_id == indicator_id)))


def indicator_values(session: Session, *, indicator_ids: Iterable[int | None]) -> Sequence[IndicatorValue]:
    return session.exec(select(IndicatorValue).where(
        col(IndicatorValue.indicator_id).in_(list(indicator_ids)))).all()


def fiche_executions(session: Session, *, exercice_id: int | None) -> dict[int | None, FicheExecution]:
    """Fiche id -> what the exercice's report says of it."""
    rows = session.exec(select(FicheExecution).where(FicheExecution.exercice_id == exercice_id))
    return {execution.fiche_id: execution for execution in rows}


def exercice_amendments(session: Session, *, exercice_id: int | None) -> Sequence[Amendment]:
    """The exercice's avenants in the order of their numbers."""
    return session.exec(select(Amendment).where(Amendment.exercice_id == exercice_id)
                        .order_by(col(Amendment.number))).all()


def exercice_money_lines(session: Session, *, exercice_id: int | None) -> Sequence[MoneyLine]:
    """The exercice's money lines in the order they were written."""
    return session.exec(select(MoneyLine).where(MoneyLine.exercice_id == exercice_id)
                        .order_by(col(MoneyLine.id))).all()


def fiche_objectives(session: Session, *,
                     fiche_ids: Iterable[int | None]) -> dict[int | None, tuple[str, ...]]:
    """Fiche id -> the objectives it serves."""
    rows = session.exec(select(FicheAction).where(col(FicheAction.id).in_(list(fiche_ids))))
    return {fiche.id: tuple(fiche.objective_numbers) for fiche in rows}
