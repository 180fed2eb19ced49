from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from cdppe.domain.rules import RuleViolationError
from cdppe.services.contract_io import parse_contract
from cdppe.services.importer import import_contract
from models import AuditEvent, Contract, Exercice, FicheAction, MoneyLine
from tests.factories import minimal_contract


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_import_is_idempotent(session: Session) -> None:
    cf = parse_contract(minimal_contract())
    first = import_contract(session, cf, "test")
    session.commit()
    lines = count(session, MoneyLine)
    second = import_contract(session, cf, "test")
    session.commit()
    assert (first.outcome, second.outcome) == ("created", "unchanged")
    assert first.contract_id == second.contract_id
    assert count(session, Contract) == 1
    assert count(session, MoneyLine) == lines
    assert count(session, AuditEvent) == 1


def test_money_is_exact_in_the_database(session: Session) -> None:
    data = minimal_contract()
    data["fiches"][0]["money"][0]["amount"] = "1000.10"
    data["fiches"][0]["money"][1]["amount"] = "1000.10"
    env = data["exercices"][0]["envelope"]
    env["fir"] = str(__import__("decimal").Decimal(env["fir"]) + __import__("decimal").Decimal("0.10"))
    env.pop("state_total")
    env.pop("departement_share")
    import_contract(session, parse_contract(data), "test")
    session.commit()
    session.expire_all()
    exercice = session.exec(select(Exercice)).one()
    assert str(exercice.fir).endswith(".10")
    assert exercice.departement_share == exercice.bop304 + exercice.fir


def test_update_changes_planning_data(session: Session) -> None:
    data = minimal_contract()
    import_contract(session, parse_contract(data), "test")
    session.commit()
    data["fiches"][0]["title"] = "Nouvel intitulé"
    result = import_contract(session, parse_contract(data), "test")
    session.commit()
    assert result.outcome == "updated"
    titles = session.exec(select(FicheAction.title)).all()
    assert "Nouvel intitulé" in titles


def test_signed_exercice_refuses_new_amounts(session: Session) -> None:
    data = minimal_contract()
    data["exercices"][0]["milestones"] = {
        "council_session_date": "2024-11-22", "acknowledgement_date": "2024-11-29",
        "signatures": {"prefet": "2024-12-02", "ars": "2024-12-03", "departement": "2024-12-04"},
    }
    import_contract(session, parse_contract(data), "test")
    session.commit()
    exercice = session.exec(select(Exercice)).one()
    assert exercice.effective_date is not None
    assert exercice.report_due_date is not None
    assert exercice.effective_date.isoformat() == "2024-12-04"
    assert exercice.report_due_date.isoformat() == "2025-09-30"  # campaign 2024, earlier than 2025-12-04

    data["fiches"][0]["money"][1]["amount"] = "5000.00"  # Département money: frozen once signed
    with pytest.raises(RuleViolationError) as info:
        import_contract(session, parse_contract(data), "test")
    session.rollback()
    assert "exercice signé" in str(info.value)
    amounts = session.exec(select(MoneyLine.amount)).all()
    assert all(str(a) != "5000.00" for a in amounts)
