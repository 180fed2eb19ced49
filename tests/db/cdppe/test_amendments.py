"""Avenants: carry-over, checks, and one avenant for one request (even at the same time)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from cdppe.services.amendments import AmendmentRefusedError, carry_over_figures, open_amendment
from cdppe.services.contract_io import parse_contract
from cdppe.services.importer import import_contract
from models import (
    Amendment,
    AmendmentLine,
    AuditEvent,
    Contract,
    Exercice,
    FicheAction,
    FicheExecution,
    Indicator,
    MoneyLine,
    Payment,
)
from models.amendment_request import AmendmentRequest, EnvelopeChange, FicheChange, Transfer
from models.enums import AmendmentPart, AmendmentStatus, CarryOverRule, FundingSource
from tests.factories import minimal_contract, with_next_year

AS_OF = date(2025, 6, 30)


def two_years(session: Session, data: dict[str, Any] | None = None) -> tuple[Contract, Exercice, Exercice]:
    """minimal_contract (or ``data``) covering 2024 and 2025, imported."""
    import_contract(session, parse_contract(with_next_year(data or minimal_contract())), "test")
    session.commit()
    contract = session.exec(select(Contract)).one()
    ex24, ex25 = session.exec(select(Exercice).order_by(Exercice.year)).all()  # type: ignore[arg-type]
    return contract, ex24, ex25


FIR_FICHES = ("1", "3", "5")  # minimal_contract: fiches 1, 3, 5 have 1 000 € FIR each (3 000 €)


def pay_and_consume(session: Session, ex: Exercice,
                    consumed: dict[str, str | None] | None = None) -> None:
    """FIR fully paid (3 000 €); the report declares per FIR fiche (default: fiche 1 400 €, the others
    0 €). ``None`` leaves a fiche's consumption blank: unknown."""
    consumed = consumed if consumed is not None else {"1": "400.00", "3": "0.00", "5": "0.00"}
    session.add(Payment(exercice_id=ex.id or 0, source=FundingSource.FIR, planned_amount=ex.fir,
                        notified_amount=ex.fir, received_on=date(2025, 1, 15), recorded_by="t"))
    for number, amount in consumed.items():
        fiche = session.exec(select(FicheAction).where(FicheAction.number == number)).one()
        session.add(FicheExecution(fiche_id=fiche.id or 0, exercice_id=ex.id or 0,
                                   consumed_etat=None if amount is None else Decimal(amount)))
    session.commit()


def carry_lines(session: Session, amendment_id: int) -> dict[AmendmentPart, tuple[Decimal, str | None]]:
    return {line.part: (line.amount, line.label) for line in session.exec(
        select(AmendmentLine).where(AmendmentLine.amendment_id == amendment_id))}


def request(**kwargs: object) -> AmendmentRequest:
    base: dict[str, object] = {"contract": "71-2024", "year": 2025, "requested_by": "Opératrice",
                               "reason": "Report des crédits 2024",
                               "envelopes": [EnvelopeChange(source=FundingSource.FIR,
                                                            supplementary="100.00", to_fiche="1")]}
    base.update(kwargs)
    return AmendmentRequest.model_validate(base)


def test_carry_over_is_paid_minus_consumed(session: Session) -> None:
    contract, ex24, ex25 = two_years(session)
    pay_and_consume(session, ex24)
    expected = ex24.fir - Decimal("400.00")
    [fir] = carry_over_figures(session, ex24, CarryOverRule.NET_PER_ENVELOPE).values()
    assert (fir.source, fir.paid, fir.consumed, fir.net, fir.missing) == (
        FundingSource.FIR, Decimal("3000.00"), Decimal("400.00"), expected, ())
    assert fir.proposed == expected == Decimal("2600.00")
    opened = open_amendment(session, contract, ex25, request(), AS_OF)
    session.commit()
    lines = {line.part: line.amount for line in session.exec(
        select(AmendmentLine).where(AmendmentLine.amendment_id == opened.amendment_id))}
    assert lines[AmendmentPart.CARRY_OVER] == expected
    assert lines[AmendmentPart.INITIAL] == ex25.fir
    assert sum(lines.values()) == ex25.fir + expected + Decimal("100.00")


def test_wrong_carry_over_and_bad_transfer_refused(session: Session) -> None:
    contract, ex24, ex25 = two_years(session)
    pay_and_consume(session, ex24)
    bad = request(envelopes=[EnvelopeChange(source=FundingSource.FIR, carry_over="5.00")],
                  transfers=[Transfer(source=FundingSource.FIR, from_fiche="1", to_fiche="404",
                                      amount="999999.00", informed_on=date(2025, 3, 1))])
    with pytest.raises(AmendmentRefusedError) as info:
        open_amendment(session, contract, ex25, bad, AS_OF)
    session.rollback()
    text = str(info.value)
    assert ("carry_over_reason : le report convenu (5\u00a0€) diffère du report proposé "
            "(2\u202f600\u00a0€") in text
    assert "fiche '404' inconnue" in text and "n'a que" in text
    assert session.exec(select(func.count()).select_from(Amendment)).one() == 0


def test_same_request_twice_gives_one_avenant(session: Session) -> None:
    contract, _, ex25 = two_years(session)
    first = open_amendment(session, contract, ex25, request(), AS_OF, flow_run_id="run-a")
    session.commit()
    again = open_amendment(session, contract, ex25, request(requested_by="Autre opérateur"), AS_OF,
                           flow_run_id="run-b")
    resumed = open_amendment(session, contract, ex25, request(), AS_OF, flow_run_id="run-a")
    assert (first.number, first.duplicate) == (1, False)
    assert (again.number, again.duplicate) == (1, True)
    assert resumed.duplicate is False  # the run that opened it goes on after a resume
    assert session.exec(select(func.count()).select_from(Amendment)).one() == 1


def test_concurrent_requests_give_one_avenant(engine: Engine) -> None:
    with Session(engine) as session:
        two_years(session)
    results: list[object] = []
    barrier = threading.Barrier(2)

    def operator(name: str) -> None:
        with Session(engine, expire_on_commit=False) as session:
            contract = session.exec(select(Contract)).one()
            ex25 = session.exec(select(Exercice).where(Exercice.year == 2025)).one()
            barrier.wait()
            try:
                results.append(open_amendment(session, contract, ex25, request(requested_by=name), AS_OF,
                                              flow_run_id=name))
                session.commit()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                session.rollback()
                results.append(exc)

    threads = [threading.Thread(target=operator, args=(n,)) for n in ("op-1", "op-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Amendment)).one() == 1
    assert all(not isinstance(r, AssertionError) for r in results), results


def test_an_identical_request_committed_during_the_checks_is_the_same_avenant(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seen in CI: operator B's checks read « no open avenant », then operator A's identical request
    committed avenant 1, and B was refused for a second avenant without a reason."""
    import cdppe.services.amendments as amendments

    with Session(engine) as session:
        two_years(session)
    read_open = amendments.open_amendment_of
    calls: list[int] = []

    def open_then_other_operator_commits(session: Session, **kwargs: Any) -> Any:
        found = read_open(session, **kwargs)
        calls.append(1)
        if len(calls) > 1:
            return found  # operator A's own checks
        with Session(engine) as other:  # operator A, in its own transaction, commits now
            contract = other.exec(select(Contract)).one()
            ex25 = other.exec(select(Exercice).where(Exercice.year == 2025)).one()
            open_amendment(other, contract, ex25, request(requested_by="Opérateur A"), AS_OF,
                           flow_run_id="run-a")
            other.commit()
        return found

    with Session(engine) as session:
        contract = session.exec(select(Contract)).one()
        ex25 = session.exec(select(Exercice).where(Exercice.year == 2025)).one()
        monkeypatch.setattr(amendments, "open_amendment_of", open_then_other_operator_commits)
        opened = open_amendment(session, contract, ex25, request(requested_by="Opérateur B"), AS_OF,
                                flow_run_id="run-b")
        monkeypatch.undo()
        assert (opened.number, opened.duplicate) == (1, True)
        session.commit()
        assert session.exec(select(func.count()).select_from(Amendment)).one() == 1


def test_an_avenant_writing_13A_amends_fiche_13_a_and_creates_no_new_fiche(session: Session) -> None:
    data = minimal_contract()
    data["fiches"][0]["number"] = "13 a"
    data["indicators"] = [{"code": "I1", "label": "Entretiens", "fiche": "13A"}]
    contract, _, ex25 = two_years(session, data)
    fiches_before = session.exec(select(func.count()).select_from(FicheAction)).one()
    change = FicheChange(fiche="13A", source=FundingSource.FIR, etat_amount="100.00",
                         departement_amount="100.00")
    opened = open_amendment(session, contract, ex25, request(
        envelopes=[EnvelopeChange(source=FundingSource.FIR, new_actions="100.00")], fiches=[change]), AS_OF)
    session.commit()
    assert session.exec(select(func.count()).select_from(FicheAction)).one() == fiches_before
    fiche = session.exec(select(FicheAction).where(FicheAction.number == "13 a")).one()
    avenant_lines = session.exec(select(MoneyLine).where(
        MoneyLine.fiche_id == fiche.id, MoneyLine.amendment_id == opened.amendment_id)).all()
    assert sorted(line.amount for line in avenant_lines) == [Decimal("100.00"), Decimal("100.00")]
    indicator = session.exec(select(Indicator)).one()
    assert indicator.fiche_number == "13 a"


def test_unknown_consumption_blocks_the_proposal_and_names_the_fiches(session: Session) -> None:
    contract, ex24, ex25 = two_years(session)
    pay_and_consume(session, ex24, {"1": "400.00", "3": None})  # 3 blank, 5 never reported
    [fir] = carry_over_figures(session, ex24, CarryOverRule.NET_PER_ENVELOPE).values()
    assert fir.missing == ("3", "5") and fir.proposed is None
    assert fir.net == Decimal("2600.00")  # what 0 € for the blanks would have given, never proposed
    with pytest.raises(AmendmentRefusedError) as info:
        open_amendment(session, contract, ex25, request(), AS_OF)
    session.rollback()
    assert "envelopes[0] (FIR).carry_over : aucun report proposé, la consommation 2024 est inconnue " \
           "pour les fiches 3, 5" in str(info.value)
    assert session.exec(select(func.count()).select_from(Amendment)).one() == 0


def test_the_parties_agree_another_carry_over_with_a_reason(session: Session) -> None:
    contract, ex24, ex25 = two_years(session)
    pay_and_consume(session, ex24, {"1": "400.00", "3": None})
    agreed = [EnvelopeChange(source=FundingSource.FIR, carry_over="1800.00", to_fiche="3",
                             carry_over_reason="Fiche 5 soldée au 31 décembre selon le bilan comptable")]
    opened = open_amendment(session, contract, ex25, request(envelopes=agreed), AS_OF)
    session.commit()
    amount, label = carry_lines(session, opened.amendment_id)[AmendmentPart.CARRY_OVER]
    assert amount == Decimal("1800.00")
    assert label == ("report de crédits de l'exercice précédent (convenu ; proposé : aucun ; motif : "
                     "Fiche 5 soldée au 31 décembre selon le bilan comptable)")


def test_sum_per_fiche_does_not_let_an_overspent_fiche_absorb_another_remainder(session: Session) -> None:
    """Fiche 1 overspends (1 300 € of 1 000 €), fiche 3 spends 200 €, fiche 5 spends 1 000 €: net per
    envelope 3 000 − 2 500 = 500 €; sum per fiche 0 + 800 + 0 = 800 €."""
    contract, ex24, ex25 = two_years(session)
    pay_and_consume(session, ex24, {"1": "1300.00", "3": "200.00", "5": "1000.00"})
    net = carry_over_figures(session, ex24, CarryOverRule.NET_PER_ENVELOPE)[FundingSource.FIR]
    per_fiche = carry_over_figures(session, ex24, CarryOverRule.SUM_PER_FICHE)[FundingSource.FIR]
    assert (net.net, net.per_fiche, net.proposed) == (Decimal("500.00"), Decimal("800.00"), Decimal("500.00"))
    assert per_fiche.proposed == Decimal("800.00")
    assert "net par enveloppe 500\u00a0€" in per_fiche.explanation()
    assert "somme par fiche 800\u00a0€" in per_fiche.explanation()


def test_a_carry_over_from_another_contract_is_its_own_named_part(session: Session) -> None:
    contract, ex24, ex25 = two_years(session)
    pay_and_consume(session, ex24)
    unnamed = [EnvelopeChange(source=FundingSource.FIR, carry_over_other="12000.00")]
    with pytest.raises(AmendmentRefusedError) as info:
        open_amendment(session, contract, ex25, request(envelopes=unnamed), AS_OF)
    session.rollback()
    assert "envelopes[0] (FIR).carry_over_other_from : nommez le contrat d'origine" in str(info.value)
    origin = "contrat de prévention et de lutte contre la pauvreté 2023"
    named = [EnvelopeChange(source=FundingSource.FIR, carry_over_other="12000.00",
                            carry_over_other_from=origin, to_fiche="5")]
    opened = open_amendment(session, contract, ex25, request(envelopes=named), AS_OF)
    session.commit()
    lines = carry_lines(session, opened.amendment_id)
    assert lines[AmendmentPart.CARRY_OVER_OTHER] == (
        Decimal("12000.00"),
        f"report de crédits d'un autre contrat : {origin}")
    assert lines[AmendmentPart.CARRY_OVER][0] == Decimal("2600.00")
    # the envelope's new total is the sum of its parts: 3 000 + 2 600 + 12 000
    assert sum(amount for amount, _ in lines.values()) == Decimal("17600.00")


def test_avenants_are_numbered_per_contract_across_its_exercices(session: Session) -> None:
    contract, ex24, ex25 = two_years(session)
    first = open_amendment(session, contract, ex24, request(year=2024, reason="Avenant 2024"), AS_OF)
    second = open_amendment(session, contract, ex25, request(reason="Avenant 2025"), AS_OF)
    session.commit()
    assert (first.number, second.number) == (1, 2)  # the 2025 avenant of the contract is n° 2


def test_the_operator_gives_the_real_number_when_it_differs_and_a_taken_one_is_refused(
        session: Session) -> None:
    contract, ex24, ex25 = two_years(session)
    open_amendment(session, contract, ex24, request(year=2024, reason="Avenant 2024"), AS_OF)
    session.commit()
    with pytest.raises(AmendmentRefusedError) as info:
        open_amendment(session, contract, ex25, request(number=1), AS_OF)
    session.rollback()
    assert str(info.value) == ("number : le numéro 1 est déjà celui d'un avenant du contrat "
                               "(exercice 2024) ; le suivant libre est le n° 2")
    assert open_amendment(session, contract, ex25, request(number=3), AS_OF).number == 3


def test_a_second_avenant_in_one_exercice_needs_its_reason(session: Session) -> None:
    contract, _, ex25 = two_years(session)
    first = open_amendment(session, contract, ex25, request(), AS_OF)
    signed = session.get(Amendment, first.amendment_id)
    assert signed is not None
    signed.status = AmendmentStatus.SIGNED
    session.commit()
    again = request(reason="Crédits supplémentaires de fin d'année",
                    envelopes=[EnvelopeChange(source=FundingSource.FIR, supplementary="50.00", to_fiche="1")])
    with pytest.raises(AmendmentRefusedError) as info:
        open_amendment(session, contract, ex25, again, AS_OF)
    session.rollback()
    assert str(info.value).startswith("another_avenant_reason : l'exercice 2025 a déjà l'avenant n° 1 "
                                      "(au plus un avenant financier par an)")
    why = "Notification tardive de crédits FIR supplémentaires par l'ARS"
    second = open_amendment(session, contract, ex25, again.model_copy(update={"another_avenant_reason": why}),
                            AS_OF)
    session.commit()
    assert second.number == 2
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "amendment.opened")
                         .order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
    assert event is not None and event.detail["request"]["another_avenant_reason"] == why


def test_an_avenants_new_money_opens_a_payment_owed_once_it_is_in_force(session: Session) -> None:
    """100 € of supplementary FIR credits: a second FIR tranche, for avenant n° 1, after its signature;
    the carry-over is not paid again, the next year's carry-over counts both tranches."""
    from cdppe.services.lifecycle import AnswerRefusedError, next_need, phase_sequence, record_answer
    from cdppe.store.workflow import paid_per_source
    from models.answers import PaymentAnswer
    from models.enums import Phase
    from tests.db.cdppe.test_consolidation import sign_avenant
    from tests.db.cdppe.test_lifecycle import deliberate, sign_all

    contract, ex24, _ = two_years(session)
    deliberate(session, contract, ex24)
    sign_all(session, contract, ex24)
    record_answer(session, contract, ex24, Phase.CREDIT_PAYMENT, PaymentAnswer(
        source=FundingSource.FIR, notified_amount="3000.00", received_on=date(2025, 1, 15),
        answered_by="Camille"), AS_OF)
    session.commit()
    cofinanced = [FicheChange(fiche="1", source=FundingSource.FIR, etat_amount="100.00",
                              departement_amount="100.00")]  # no policy finding to sign through
    open_amendment(session, contract, ex24, request(
        year=2024, envelopes=[EnvelopeChange(source=FundingSource.FIR, supplementary="100.00")],
        fiches=cofinanced), AS_OF)
    session.commit()
    assert phase_sequence(1)[-1] is Phase.CREDIT_PAYMENT
    assert next_need(session, ex24, Phase.CREDIT_PAYMENT, avenant=1) is None  # nothing owed unsigned
    in_force = sign_avenant(session, contract, ex24, 1, date(2025, 3, 3))
    need = next_need(session, ex24, Phase.CREDIT_PAYMENT, avenant=1)
    assert need is not None and need.waiting_reason == "En attente du versement FIR (0/1)"
    assert need.description.endswith("(prévu : 100\xa0€, crédits nouveaux de l'avenant n° 1).")

    def pay(source: FundingSource, amount: str, day: date) -> str:
        return record_answer(session, contract, ex24, Phase.CREDIT_PAYMENT, PaymentAnswer(
            source=source, notified_amount=amount, received_on=day, answered_by="Camille"), AS_OF, avenant=1)

    day_before = in_force - timedelta(days=1)
    for source, amount, day, reason in (
            (FundingSource.FIR, "100.00", day_before, "avant la prise d'effet de l'avenant n° 1"),
            (FundingSource.FIR, "100.01", in_force, "supérieur à l'enveloppe de 100\xa0€"),
            (FundingSource.BOP304, "10.00", in_force, "aucun versement BOP 304 n'est prévu par l'avenant")):
        with pytest.raises(AnswerRefusedError, match=reason):
            pay(source, amount, day)
        session.rollback()
    pay(FundingSource.FIR, "100.00", in_force + timedelta(days=9))
    session.commit()
    assert next_need(session, ex24, Phase.CREDIT_PAYMENT, avenant=1) is None
    assert paid_per_source(session, exercice_id=ex24.id) == {FundingSource.FIR: Decimal("3100.00")}
    tranches = session.exec(select(Payment.avenant_number, Payment.notified_amount).order_by(
        Payment.avenant_number)).all()  # type: ignore[arg-type]
    assert [(n, amount) for n, amount in tranches] == [(0, Decimal("3000.00")), (1, Decimal("100.00"))]


def test_what_an_avenant_adds_goes_to_fiches_so_its_plan_totals_its_article(session: Session) -> None:
    """2 600 € carried over and 100 € supplementary: + 2 700 € in Article 1. Without a fiche to receive
    them, refused with both figures and nothing written; named, fiche 1 receives them."""
    contract, ex24, ex25 = two_years(session)
    pay_and_consume(session, ex24)
    unplaced = request(envelopes=[EnvelopeChange(source=FundingSource.FIR, supplementary="100.00")])
    with pytest.raises(AmendmentRefusedError) as info:
        open_amendment(session, contract, ex25, unplaced, AS_OF)
    session.rollback()
    text = str(info.value)
    assert ("envelopes[0] (FIR) : l'article 1 porterait l'enveloppe FIR de 3\u202f000\u00a0€ à "
            "5\u202f700\u00a0€ (+ 2\u202f700\u00a0€) mais les fiches de l'avenant en reçoivent "
            "0\u00a0€") in text
    assert "(envelopes[0] (FIR).to_fiche)" in text
    assert session.exec(select(func.count()).select_from(Amendment)).one() == 0
    unknown = request(envelopes=[EnvelopeChange(source=FundingSource.FIR, to_fiche="404")])
    with pytest.raises(AmendmentRefusedError, match=r"to_fiche : fiche '404' inconnue"):
        open_amendment(session, contract, ex25, unknown, AS_OF)
    session.rollback()

    opened = open_amendment(session, contract, ex25, request(), AS_OF)
    session.commit()
    added = session.exec(select(MoneyLine).where(MoneyLine.amendment_id == opened.amendment_id)).all()
    fiche_1 = session.exec(select(FicheAction).where(FicheAction.number == "1")).one()
    assert [(m.fiche_id, m.source, m.amount) for m in added] == [
        (fiche_1.id, FundingSource.FIR, Decimal("2700.00"))]


def test_to_fiche_may_name_the_new_fiche_of_the_avenant_as_written_otherwise(session: Session) -> None:
    """« 13a » names the new fiche « 13 a »: it receives its listed 100 € and the 100 € left over."""
    contract, _, ex25 = two_years(session)
    objective = minimal_contract()["objectives"][0]["number"]
    new = FicheChange(fiche="13 a", title="Nouvelle action", objectives=[objective], source=FundingSource.FIR,
                      etat_amount="100.00", departement_amount="100.00")
    opened = open_amendment(session, contract, ex25, request(
        envelopes=[EnvelopeChange(source=FundingSource.FIR, supplementary="200.00", to_fiche="13a")],
        fiches=[new]), AS_OF)
    session.commit()
    fiche = session.exec(select(FicheAction).where(FicheAction.number == "13 a")).one()
    etat = session.exec(select(MoneyLine.amount).where(
        MoneyLine.amendment_id == opened.amendment_id, MoneyLine.fiche_id == fiche.id,
        MoneyLine.payer == "etat")).all()
    assert sorted(etat) == [Decimal("100.00"), Decimal("100.00")]
