"""Next year from this year: Saône-et-Loire 2025 opened from 2024, carry-over, avenant, idempotency."""

from __future__ import annotations

import json
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from cdppe.cli import exercices as cli_exercices
from cdppe.cli.app import app
from cdppe.core.money import format_eur
from cdppe.present.documents import generate_step_documents
from cdppe.services.amendments import open_amendment
from cdppe.services.exercices import ExerciceOpeningError, open_exercice
from cdppe.services.importer import import_contract
from models import (
    AmendmentLine,
    AuditEvent,
    Contract,
    Exercice,
    FicheAction,
    FicheExecution,
    Indicator,
    IndicatorValue,
    MoneyLine,
    Payment,
)
from models.amendment_request import AmendmentRequest, EnvelopeChange
from models.enums import AmendmentPart, FundingSource, Payer, Phase
from tests.conftest import EXAMPLES
from tests.factories import example_file

SAONE = EXAMPLES / "saone-et-loire-2024.yaml"
CREUSE = EXAMPLES / "creuse-2025-2027.yaml"
AS_OF = date(2025, 3, 3)
runner = CliRunner()


def import_example(session: Session, path: Path) -> Contract:
    import_contract(session, example_file(path.name), "test")
    session.commit()
    key = "71-2024" if path == SAONE else "23-2025-2027"
    return session.exec(select(Contract).where(Contract.key == key)).one()


def biggest_state_line(session: Session, ex: Exercice, source: FundingSource) -> MoneyLine:
    lines = session.exec(select(MoneyLine).where(MoneyLine.exercice_id == ex.id,
                                                 MoneyLine.payer == Payer.ETAT,
                                                 MoneyLine.source == source)).all()
    return max(lines, key=lambda m: m.amount)


def pay_and_report(session: Session, ex: Exercice) -> dict[FundingSource, Decimal]:
    """Both envelopes paid in full; the report declares part of two fiches consumed, 0 € for the
    other fiches with State money (a consumption left blank would be unknown, not 0 €)."""
    consumed: dict[FundingSource, Decimal] = {}
    used_by: dict[int, tuple[Decimal, FundingSource | None]] = {}
    for source, amount in ((FundingSource.BOP304, ex.bop304), (FundingSource.FIR, ex.fir)):
        session.add(Payment(exercice_id=ex.id or 0, source=source, planned_amount=amount,
                            notified_amount=amount, received_on=date(2025, 1, 20), recorded_by="t"))
        line = biggest_state_line(session, ex, source)
        used = (line.amount / 2).quantize(Decimal("0.01")) - Decimal("0.37")
        used_by[line.fiche_id] = (used, source)
        consumed[source] = used
    state_fiches = {m.fiche_id for m in session.exec(select(MoneyLine).where(
        MoneyLine.exercice_id == ex.id, MoneyLine.payer == Payer.ETAT,
        MoneyLine.source != FundingSource.ONDAM))}
    for fiche_id in state_fiches:
        used, source = used_by.get(fiche_id, (Decimal("0.00"), None))
        session.add(FicheExecution(fiche_id=fiche_id, exercice_id=ex.id or 0, consumed_etat=used,
                                   consumed_source=source))
    session.commit()
    return consumed


def snapshot(session: Session, ex: Exercice) -> dict[str, Any]:
    """Everything of an exercice that opening the next one must leave alone."""
    session.expire_all()
    row = session.get(Exercice, ex.id)
    assert row is not None
    return {
        "exercice": row.model_dump(),
        "money": sorted((m.fiche_id, m.payer, m.source, m.amount, m.amendment_id) for m in session.exec(
            select(MoneyLine).where(MoneyLine.exercice_id == ex.id))),
        "executions": sorted((e.fiche_id, e.consumed_etat) for e in session.exec(
            select(FicheExecution).where(FicheExecution.exercice_id == ex.id))),
        "payments": sorted((p.source, p.notified_amount) for p in session.exec(
            select(Payment).where(Payment.exercice_id == ex.id))),
        "targets": sorted((v.indicator_id, v.target, v.achieved) for v in session.exec(
            select(IndicatorValue).where(IndicatorValue.year == row.year))),
    }


def test_opening_2025_from_saone_proposes_the_exact_carry_over_and_the_avenant_shows_it(
        session: Session, tmp_path: Path) -> None:
    contract = import_example(session, SAONE)
    ex24 = session.exec(select(Exercice).where(Exercice.year == 2024)).one()
    consumed = pay_and_report(session, ex24)
    before = snapshot(session, ex24)

    result = open_exercice(session, contract, 2025, "Opératrice Dupont", AS_OF)
    session.commit()

    expected = {FundingSource.BOP304: ex24.bop304 - consumed[FundingSource.BOP304],
                FundingSource.FIR: ex24.fir - consumed[FundingSource.FIR]}
    assert result.carry_over == expected
    assert not result.already_opened and result.from_year == 2024
    per_fiche = result.carry_over_per_fiche
    for source in expected:
        line = biggest_state_line(session, ex24, source)
        fiche = session.get(FicheAction, line.fiche_id)
        assert fiche is not None
        assert per_fiche[fiche.number] == line.amount - consumed[source]
    assert snapshot(session, ex24) == before  # nothing of 2024 changed

    ex25 = session.exec(select(Exercice).where(Exercice.year == 2025)).one()
    assert (ex25.bop304, ex25.fir, ex25.ondam) == (ex24.bop304, ex24.fir, ex24.ondam)
    assert ex25.contract_id == contract.id and ex25.reference_year == 2024
    session.refresh(contract)
    assert contract.last_year == 2025
    copied = session.exec(select(func.count()).select_from(MoneyLine).where(
        MoneyLine.exercice_id == ex25.id)).one()
    assert copied == result.record["money_lines_copied"] > 0
    assert result.record["campaign"]["year"] == 2025
    assert result.record["campaign"]["signed_contract"]["date"] == "2025-12-15"
    indicator_targets = {v.indicator_id: v.target for v in session.exec(
        select(IndicatorValue).where(IndicatorValue.year == 2024)) if v.target is not None}
    carried = {v.indicator_id: v.target for v in session.exec(
        select(IndicatorValue).where(IndicatorValue.year == 2025))}
    assert carried == indicator_targets and result.record["targets_carried"] == len(carried)

    again = open_exercice(session, contract, 2025, "Autre opérateur", AS_OF)
    session.commit()
    assert again.already_opened and again.carry_over == expected
    assert session.exec(select(func.count()).select_from(MoneyLine).where(
        MoneyLine.exercice_id == ex25.id)).one() == copied
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "exercice.opened")).all()
    assert [(e.actor, e.exercice_id) for e in events] == [("Opératrice Dupont", ex25.id)]

    request = AmendmentRequest(contract="71-2024", year=2025, requested_by="Opératrice Dupont",
                               reason="Report des crédits 2024 non consommés",
                               envelopes=[EnvelopeChange(source=FundingSource.BOP304, to_fiche="6 et 7"),
                                          EnvelopeChange(source=FundingSource.FIR, to_fiche="1")])
    opened = open_amendment(session, contract, ex25, request, AS_OF)
    session.commit()
    carry_lines = {ln.source: ln.amount for ln in session.exec(select(AmendmentLine).where(
        AmendmentLine.amendment_id == opened.amendment_id,
        AmendmentLine.part == AmendmentPart.CARRY_OVER))}
    assert carry_lines == expected
    assert contract.id is not None and ex25.id is not None
    docs = generate_step_documents(session, contract.id, ex25.id, Phase.AMENDMENT, ("html",),
                                   opened.number, out_dir=tmp_path)
    html = Path(docs[0].path).read_text(encoding="utf-8")
    assert "Report de crédits de l&#39;exercice précédent" in html
    for amount in expected.values():
        assert format_eur(amount) in html
    assert format_eur(ex24.bop304 + expected[FundingSource.BOP304]) in html


def test_opening_an_exercice_the_contract_already_covers(session: Session) -> None:
    contract = import_example(session, CREUSE)
    ex25 = session.exec(select(Exercice).where(Exercice.year == 2025)).one()
    ex26 = session.exec(select(Exercice).where(Exercice.year == 2026)).one()
    lines_before = session.exec(select(func.count()).select_from(MoneyLine).where(
        MoneyLine.exercice_id == ex26.id)).one()
    result = open_exercice(session, contract, 2026, "Opérateur", AS_OF)
    session.commit()
    assert result.exercice_id == ex26.id and not result.record["exercice_added"]
    assert result.record["money_lines_copied"] == 0  # the contract file planned 2026 already
    assert session.exec(select(func.count()).select_from(MoneyLine).where(
        MoneyLine.exercice_id == ex26.id)).one() == lines_before
    assert result.carry_over == {}  # nothing paid in 2025 yet: nothing to carry
    assert any("aucun versement" in w for w in result.record["warnings"])
    assert session.exec(select(func.count()).select_from(Exercice)).one() == 3
    assert ex25.id is not None
    indicators = session.exec(select(Indicator)).all()
    assert indicators  # Creuse follows indicators: a 2026 target exists for each with an earlier one
    with pytest.raises(ExerciceOpeningError, match="2028"):
        open_exercice(session, contract, 2029, "Opérateur", AS_OF)


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_exercices.console, "width", 250)


def test_cli_exercice_open_is_idempotent(cli_db: str, wide: None) -> None:
    assert runner.invoke(app, ["contract", "import", str(SAONE)]).exit_code == 0
    first = runner.invoke(app, ["exercice", "open", "71-2024", "2025", "--by", "Camille",
                                "--as-of", "2025-03-03"])
    assert first.exit_code == 0, first.output
    assert "Report de crédits proposé" in first.stdout and "Campagne nationale 2025" in first.stdout
    second = runner.invoke(app, ["exercice", "open", "71-2024", "2025", "--json"])
    assert second.exit_code == 0, second.output
    data = json.loads(second.stdout)
    assert data["already_opened"] is True and data["opened_by"] == "Camille"
    refused = runner.invoke(app, ["exercice", "open", "71-2024", "2027"])
    assert refused.exit_code == 2 and "2026" in refused.output


def test_two_operators_opening_at_once_give_one_exercice(engine: Engine) -> None:
    with Session(engine) as session:
        import_example(session, SAONE)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def operator(name: str) -> None:
        with Session(engine, expire_on_commit=False) as session:
            contract = session.exec(select(Contract)).one()
            barrier.wait()
            try:
                outcomes.append(open_exercice(session, contract, 2025, name, AS_OF).already_opened)
                session.commit()
            except Exception as exc:  # noqa: BLE001 - a lost race may surface as a DB error
                session.rollback()
                outcomes.append(exc)

    threads = [threading.Thread(target=operator, args=(n,)) for n in ("op-1", "op-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as session:
        ex25 = session.exec(select(Exercice).where(Exercice.year == 2025)).one()
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "exercice.opened")).all()
        assert len(events) == 1, (outcomes, [(e.actor, e.exercice_id) for e in events])
        lines = session.exec(select(func.count()).select_from(MoneyLine).where(
            MoneyLine.exercice_id == ex25.id)).one()
    assert outcomes.count(False) == 1, outcomes  # one opened it; the other saw it or was told to retry
    assert all(o is True or isinstance(o, ExerciceOpeningError | OperationalError) for o in outcomes
               if o is not False), outcomes
    with Session(engine) as session:
        contract = session.exec(select(Contract)).one()
        assert open_exercice(session, contract, 2025, "op-3", AS_OF).already_opened
        assert session.exec(select(func.count()).select_from(MoneyLine).where(
            MoneyLine.exercice_id == ex25.id)).one() == lines
