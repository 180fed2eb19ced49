"""Finding 1 of issue 17: a re-import never deletes or changes what an avenant or an opening made."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from cdppe.cli.app import app
from cdppe.services.amendments import apply_signed_amendment, open_amendment
from cdppe.services.contract_io import parse_contract
from cdppe.services.exercices import open_exercice
from cdppe.services.importer import ImportConflictError, import_contract
from models import (
    Amendment,
    AmendmentLine,
    AuditEvent,
    Contract,
    Exercice,
    FicheAction,
    Indicator,
    IndicatorValue,
    MoneyLine,
)
from models.amendment_request import AmendmentRequest, EnvelopeChange, FicheChange
from models.enums import AmendmentPart, FundingSource
from tests.factories import example_data, minimal_contract

AS_OF = date(2025, 6, 30)


def two_years() -> dict[str, Any]:
    data = minimal_contract()
    data["exercices"].append(dict(copy.deepcopy(data["exercices"][0]), year=2025,
                                  planned_council_session="2025-06-20", planned_signature="2025-07-15"))
    for fiche in data["fiches"]:
        fiche["money"] += [dict(m, exercice=2025) for m in fiche["money"]]
    return data


def with_avenant_fiche(session: Session, data: dict[str, Any]) -> tuple[Contract, Amendment]:
    """Import ``data``, then open avenant n° 1 on 2025 adding fiche 16 and money on fiche 1."""
    import_contract(session, parse_contract(data), "test")
    session.commit()
    contract = session.exec(select(Contract)).one()
    ex25 = session.exec(select(Exercice).where(Exercice.year == 2025)).one()
    objective = data["objectives"][0]["number"]
    request = AmendmentRequest(
        contract=contract.key, year=2025, requested_by="Opératrice", reason="Nouvelle action",
        envelopes=[EnvelopeChange(source=FundingSource.FIR, new_actions="300.00", supplementary="50.00")],
        fiches=[FicheChange(fiche="16", title="Nouvelle action de l'avenant", objectives=[objective],
                            source=FundingSource.FIR, etat_amount="300.00", departement_amount="300.00"),
                FicheChange(fiche="1", source=FundingSource.FIR, etat_amount="50.00",
                            departement_amount="50.00")])
    opened = open_amendment(session, contract, ex25, request, AS_OF)
    session.commit()
    amendment = session.get(Amendment, opened.amendment_id)
    assert amendment is not None
    return contract, amendment


def avenant_lines(session: Session, amendment: Amendment) -> list[tuple[str, str]]:
    rows = session.exec(select(FicheAction.number, MoneyLine.amount).join(
        MoneyLine, MoneyLine.fiche_id == FicheAction.id).where(  # type: ignore[arg-type]
        MoneyLine.amendment_id == amendment.id)).all()
    return sorted((n, str(a)) for n, a in rows)


def test_typo_fix_keeps_the_fiche_and_lines_of_an_avenant(session: Session) -> None:
    data = two_years()
    _, amendment = with_avenant_fiche(session, data)
    before = avenant_lines(session, amendment)
    assert ("16", "300.00") in before and ("1", "50.00") in before

    data["fiches"][0]["title"] = "Action corrigée (faute de frappe)"
    result = import_contract(session, parse_contract(data), "test")
    session.commit()

    assert result.outcome == "updated" and result.forced == ()
    assert session.exec(select(FicheAction).where(FicheAction.number == "16")).one().title == \
        "Nouvelle action de l'avenant"
    assert avenant_lines(session, amendment) == before
    assert session.exec(select(FicheAction.title).where(FicheAction.number == "1")).one() == \
        "Action corrigée (faute de frappe)"


def test_removing_a_fiche_an_avenant_funded_is_refused_then_forced_keeps_the_avenant(
        session: Session) -> None:
    data = two_years()
    _, amendment = with_avenant_fiche(session, data)
    before = avenant_lines(session, amendment)
    lines_before = session.exec(select(func.count()).select_from(MoneyLine)).one()
    removed = copy.deepcopy(data)
    removed["fiches"] = [f for f in removed["fiches"] if f["number"] != "1"]
    for ex in removed["exercices"]:  # fiche 1 had 1 000 € FIR a year
        ex["envelope"].update(fir=str(Decimal(ex["envelope"]["fir"]) - 1000), state_total=None,
                              departement_share=None)
    cf = parse_contract(removed)  # fiche 99 still carries fiche 1's objective

    with pytest.raises(ImportConflictError) as info:
        import_contract(session, cf, "test")
    session.rollback()
    assert "fiche 1" in str(info.value) and "avenant n° 1" in str(info.value)
    assert session.exec(select(func.count()).select_from(MoneyLine)).one() == lines_before

    result = import_contract(session, cf, "test", force=True)
    session.commit()
    assert [c.what for c in result.forced] == ["fiche 1"] and result.forced[0].kept
    assert avenant_lines(session, amendment) == before  # the avenant's content stays
    fiche1 = session.exec(select(FicheAction).where(FicheAction.number == "1")).one()
    left = session.exec(select(MoneyLine).where(MoneyLine.fiche_id == fiche1.id)).all()
    assert {line.amendment_id for line in left} == {amendment.id}
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "contract.updated")).one()
    assert "fiche 1" in event.detail["forced"][0]


def test_signed_avenant_envelope_stays_even_with_force(session: Session) -> None:
    data = two_years()
    _, amendment = with_avenant_fiche(session, data)
    ex25 = session.exec(select(Exercice).where(Exercice.year == 2025)).one()
    session.add(AmendmentLine(amendment_id=amendment.id or 0, source=FundingSource.FIR,
                              part=AmendmentPart.SUPPLEMENTARY, amount=Decimal("9999.00"), label="x"))
    amendment.status = "signed"
    session.add(amendment)
    session.flush()
    apply_signed_amendment(session, ex25, amendment)
    session.commit()
    signed_fir = ex25.fir
    assert signed_fir == Decimal("3000.00") + Decimal("350.00") + Decimal("9999.00")  # initial + request + x
    data["title"] = "Titre corrigé"
    result = import_contract(session, parse_contract(data), "test")  # the file's envelope unchanged
    session.commit()
    assert result.forced == ()
    session.refresh(ex25)
    assert ex25.fir == signed_fir  # the file's (older) envelope does not undo the avenant

    env = data["exercices"][1]["envelope"]
    env.update(fir=str(Decimal(env["fir"]) + 1), state_total=None, departement_share=None)
    for line in data["fiches"][0]["money"][2:]:  # fiche 1, FIR, 2025: one euro more
        line["amount"] = "1001.00"
    with pytest.raises(ImportConflictError) as info:
        import_contract(session, parse_contract(data), "test")
    session.rollback()
    assert "fixée par l'avenant n° 1 signé" in str(info.value)
    forced = import_contract(session, parse_contract(data), "test", force=True)
    session.commit()
    assert [c.kept for c in forced.forced] == [True]
    session.refresh(ex25)
    assert ex25.fir == signed_fir


def opened_saone(session: Session) -> tuple[Contract, dict[str, Any]]:
    data = example_data("saone-et-loire-2024.yaml")
    import_contract(session, parse_contract(data), "test")
    session.commit()
    contract = session.exec(select(Contract)).one()
    open_exercice(session, contract, 2025, "Opératrice", AS_OF)
    session.commit()
    return contract, data


def state_money(session: Session, ex: Exercice) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for number, amount in session.exec(select(FicheAction.number, MoneyLine.amount).join(
            MoneyLine, MoneyLine.fiche_id == FicheAction.id).where(  # type: ignore[arg-type]
            MoneyLine.exercice_id == ex.id)):
        sums[number] = sums.get(number, Decimal(0)) + amount
    return sums


def test_opening_lines_and_targets_survive_a_reimport_listing_the_year(session: Session) -> None:
    _, data = opened_saone(session)
    ex25 = session.exec(select(Exercice).where(Exercice.year == 2025)).one()
    money = state_money(session, ex25)
    targets = session.exec(select(func.count()).select_from(IndicatorValue).where(
        IndicatorValue.year == 2025)).one()
    assert money and targets > 0
    zero = copy.deepcopy(data)  # 2025 listed with nothing in it: the opening's envelope would go
    zero["exercices"].append({"year": 2025, "envelope": {"bop304": "0", "fir": "0", "ondam": "0"}})
    with pytest.raises(ImportConflictError) as info:
        import_contract(session, parse_contract(zero), "test")
    session.rollback()
    assert [c.what for c in info.value.changes] == ["enveloppe 2025"]

    same = copy.deepcopy(data)  # 2025 listed with the money the opening copied: nothing lost
    same["exercices"].append({"year": 2025, "envelope": {
        "bop304": str(ex25.bop304), "fir": str(ex25.fir), "ondam": str(ex25.ondam)}})
    for fiche in same["fiches"]:
        fiche["money"] += [dict(m, exercice=2025) for m in fiche["money"] if m["exercice"] == 2024]
    result = import_contract(session, parse_contract(same), "test")
    session.commit()

    assert result.outcome == "updated" and result.forced == ()
    assert state_money(session, ex25) == money
    assert session.exec(select(func.count()).select_from(IndicatorValue).where(
        IndicatorValue.year == 2025)).one() == targets


def test_cli_shows_the_difference_in_french_and_refuses_without_force(
        cli_db: str, tmp_path: Path) -> None:
    from cdppe.store.db import session_scope

    with session_scope() as session:
        opened_saone(session)
        ex25 = session.exec(select(Exercice).where(Exercice.year == 2025)).one()
        fir25 = ex25.fir
    data = example_data("saone-et-loire-2024.yaml")
    data["exercices"].append({"year": 2025, "envelope": {"bop304": "0", "fir": "0", "ondam": "0"}})
    path = tmp_path / "contrat.yaml"
    path.write_text(yaml.safe_dump(json.loads(json.dumps(data, default=str)), allow_unicode=True),
                    encoding="utf-8")
    runner = CliRunner()

    refused = runner.invoke(app, ["contract", "import", str(path)])
    assert refused.exit_code == 2, refused.output
    assert "enveloppe 2025 (calculée à l'ouverture de l'exercice 2025)" in refused.output
    assert "--force" in refused.output
    with session_scope() as session:
        assert session.exec(select(Exercice.fir).where(Exercice.year == 2025)).one() == fir25

    forced = runner.invoke(app, ["contract", "import", str(path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "enveloppe 2025" in forced.output
    with session_scope() as session:
        ex25 = session.exec(select(Exercice).where(Exercice.year == 2025)).one()
        assert str(ex25.fir) == "0.00"
        assert session.exec(select(func.count()).select_from(MoneyLine).where(
            MoneyLine.exercice_id == ex25.id)).one() > 0  # the opening's lines stay


def test_a_reimport_removing_an_indicator_with_values_deletes_it_and_its_values(session: Session) -> None:
    data = minimal_contract()
    data["indicators"] = [
        {"code": "I1", "label": "Entretiens", "values": [{"year": 2024, "target": "10", "achieved": "8"}]},
        {"code": "I2", "label": "Visites", "values": [{"year": 2024, "target": "5"}]},
    ]
    import_contract(session, parse_contract(data), "test")
    session.commit()
    data["indicators"] = data["indicators"][1:]
    import_contract(session, parse_contract(data), "test")
    session.commit()
    assert [i.code for i in session.exec(select(Indicator))] == ["I2"]
    assert session.exec(select(func.count()).select_from(IndicatorValue)).one() == 1
