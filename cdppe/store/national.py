"""Queries of the national dashboard: every exercice with its contract, its phases and payments,
and the contracts' mandatory objectives with their indicators."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlmodel import Session, col, select

from cdppe.core.money import ZERO
from models import (
    Contract,
    Departement,
    Exercice,
    Indicator,
    IndicatorValue,
    Objective,
    Payment,
    PhaseState,
)
from models.enums import FundingSource, Phase


def departement_names(session: Session) -> dict[str, str]:
    return {d.code: d.name for d in session.exec(select(Departement))}


def exercices_by_departement(session: Session) -> Sequence[tuple[Exercice, Contract]]:
    """Every exercice with its contract, by Département, contract key and year."""
    return session.exec(select(Exercice, Contract).join(
        Contract, col(Contract.id) == col(Exercice.contract_id)).order_by(
        col(Contract.departement_code), col(Contract.key), col(Exercice.year))).all()


def contract_phase_states(session: Session, *, exercice_ids: list[int | None],
                          ) -> dict[int, dict[Phase, PhaseState]]:
    """The contract cycle's phase states (no avenant's) of each exercice."""
    states: dict[int, dict[Phase, PhaseState]] = {}
    for s in session.exec(select(PhaseState).where(col(PhaseState.exercice_id).in_(exercice_ids),
                                                   PhaseState.avenant_number == 0)):
        states.setdefault(s.exercice_id, {})[s.phase] = s
    return states


def paid_by_exercice(session: Session, *, exercice_ids: list[int | None],
                     ) -> dict[int, dict[FundingSource, Decimal]]:
    """The notified payments of each exercice, per source."""
    paid: dict[int, dict[FundingSource, Decimal]] = {}
    for p in session.exec(select(Payment).where(col(Payment.exercice_id).in_(exercice_ids))):
        bucket = paid.setdefault(p.exercice_id, {})
        bucket[p.source] = bucket.get(p.source, ZERO) + p.notified_amount
    return paid


def contracts_by_key(session: Session) -> Sequence[Contract]:
    return session.exec(select(Contract).order_by(col(Contract.key))).all()


def indicators_by_code(session: Session, *, contract_id: int | None) -> Sequence[Indicator]:
    return session.exec(select(Indicator).where(Indicator.contract_id == contract_id)
                        .order_by(col(Indicator.code))).all()


def indicator_values_by_key(session: Session, *, indicator_ids: list[int | None],
                            ) -> dict[tuple[int, int], IndicatorValue]:
    """(indicator id, year) -> its value."""
    rows = session.exec(select(IndicatorValue).where(col(IndicatorValue.indicator_id).in_(indicator_ids)))
    return {(v.indicator_id, v.year): v for v in rows}


def mandatory_objectives(session: Session, *, contract_id: int | None) -> Sequence[Objective]:
    return session.exec(select(Objective).where(Objective.contract_id == contract_id,
                                                col(Objective.mandatory).is_(True))).all()
