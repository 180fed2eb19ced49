"""Queries the avenants need: last year's exercice, State money lines, avenants by key or status."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from models import Amendment, Contract, Exercice, FicheAction, MoneyLine
from models.enums import AmendmentStatus, FundingSource, Payer


def departement_exercice(session: Session, *, departement_code: str, year: int) -> Exercice | None:
    """The Département's exercice of ``year``, whichever of its contracts it belongs to."""
    rows = session.exec(
        select(Exercice).join(Contract, col(Contract.id) == col(Exercice.contract_id))
        .where(Contract.departement_code == departement_code, Exercice.year == year)).all()
    return rows[0] if rows else None


def state_money_lines(session: Session, *, exercice_id: int | None,
                      without: FundingSource | None = None) -> Sequence[MoneyLine]:
    """The exercice's State money lines (all sources, or all but ``without``)."""
    query = select(MoneyLine).where(MoneyLine.exercice_id == exercice_id, MoneyLine.payer == Payer.ETAT)
    if without is not None:
        query = query.where(MoneyLine.source != without)
    return session.exec(query).all()


def fiches_with_money_in(session: Session, *, exercice_id: int | None) -> dict[int | None, str]:
    """Fiche id -> number, for the fiches with a money line in the exercice."""
    return {f.id: f.number for f in session.exec(select(FicheAction).join(
        MoneyLine, col(MoneyLine.fiche_id) == col(FicheAction.id)).where(
        MoneyLine.exercice_id == exercice_id))}


def amendment_by_request(session: Session, *, request_key: str) -> Amendment | None:
    return session.exec(select(Amendment).where(Amendment.request_key == request_key)).first()


def open_amendment_of(session: Session, *, exercice_id: int | None) -> Amendment | None:
    """The exercice's avenant still being deliberated and signed, if any."""
    return session.exec(select(Amendment).where(Amendment.exercice_id == exercice_id,
                                                Amendment.status == AmendmentStatus.OPEN)).first()


def contract_amendments(session: Session, *, contract_id: int | None) -> Sequence[Amendment]:
    """Every avenant of the contract, all exercices, in number order (avenants are numbered per contract)."""
    return session.exec(select(Amendment).join(Exercice, col(Exercice.id) == Amendment.exercice_id)
                        .where(Exercice.contract_id == contract_id).order_by(col(Amendment.number))).all()
