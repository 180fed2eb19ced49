"""The contract as amended after two signed avenants; the audit trail of all of it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from cdppe.cli import exercices as cli_exercices
from cdppe.cli.app import app
from cdppe.core.dates import utcnow
from cdppe.core.money import format_eur
from cdppe.core.settings import get_settings
from cdppe.services.amendments import apply_signed_amendment, open_amendment
from cdppe.services.consolidation import consolidate, generate_consolidated_document
from cdppe.services.importer import import_contract
from cdppe.services.lifecycle import record_answer
from cdppe.services.reminders import sender
from models import Amendment, Contract, Exercice, FicheAction, MoneyLine, OutboxEmail
from models.amendment_request import AmendmentRequest, EnvelopeChange, FicheChange, Transfer
from models.answers import AcknowledgementAnswer, DeliberationAnswer, SignatureAnswer
from models.enums import FundingSource, Payer, Phase
from tests.factories import example_file

runner = CliRunner()
WHO = "Camille Coordinatrice"


def sign_avenant(session: Session, contract: Contract, ex: Exercice, number: int, start: date) -> date:
    """Deliberation, @ctes receipt and every signature of avenant ``number``; then applied."""
    as_of = start + timedelta(days=40)
    record_answer(session, contract, ex, Phase.DELIBERATION, DeliberationAnswer(
        convocation_date=start, session_date=start + timedelta(days=14), number=f"AV-{number}",
        vote="à l'unanimité", answered_by=WHO), as_of, avenant=number)
    record_answer(session, contract, ex, Phase.DELIBERATION, AcknowledgementAnswer(
        acknowledgement_date=start + timedelta(days=16), answered_by=WHO), as_of, avenant=number)
    last = start
    for i, role in enumerate(ex.expected_signatories):
        last = start + timedelta(days=20 + i)
        record_answer(session, contract, ex, Phase.SIGNATURE, SignatureAnswer(
            role=role, signatory_name=f"Signataire {role.value}", signed_on=last, answered_by=WHO),
            as_of, avenant=number)
    amendment = session.exec(select(Amendment).where(Amendment.exercice_id == ex.id,
                                                     Amendment.number == number)).one()
    assert amendment.status == "signed" and amendment.effective_date == last
    apply_signed_amendment(session, ex, amendment)
    session.commit()
    return last


def fiche_with(session: Session, ex: Exercice, source: FundingSource) -> tuple[str, Decimal]:
    line = max(session.exec(select(MoneyLine).where(
        MoneyLine.exercice_id == ex.id, MoneyLine.payer == Payer.ETAT, MoneyLine.source == source)),
        key=lambda m: m.amount)
    fiche = session.get(FicheAction, line.fiche_id)
    assert fiche is not None
    return fiche.number, line.amount


@pytest.fixture
def two_avenants(session: Session) -> dict[str, object]:
    import_contract(session, example_file("saone-et-loire-2024.yaml"), "import")
    session.commit()
    contract = session.exec(select(Contract)).one()
    ex = session.exec(select(Exercice)).one()
    fir_fiche, fir_amount = fiche_with(session, ex, FundingSource.FIR)
    bop_lines = sorted(session.exec(select(MoneyLine).where(
        MoneyLine.exercice_id == ex.id, MoneyLine.payer == Payer.ETAT,
        MoneyLine.source == FundingSource.BOP304)), key=lambda m: -m.amount)
    numbers = {f.id: f.number for f in session.exec(select(FicheAction))}
    bop_from, bop_to = numbers[bop_lines[0].fiche_id], numbers[bop_lines[1].fiche_id]
    bop_from_amount = sum((m.amount for m in bop_lines if numbers[m.fiche_id] == bop_from), Decimal(0))

    first = AmendmentRequest(
        contract="71-2024", year=2024, requested_by="Opératrice", reason="Crédits supplémentaires FIR",
        envelopes=[EnvelopeChange(source=FundingSource.FIR, supplementary="10000.00")],
        fiches=[FicheChange(fiche=fir_fiche, source=FundingSource.FIR, etat_amount="10000.00",
                            departement_amount="10000.00")])
    open_amendment(session, contract, ex, first, date(2025, 1, 10))
    session.commit()
    on1 = sign_avenant(session, contract, ex, 1, date(2025, 1, 12))
    second = AmendmentRequest(
        contract="71-2024", year=2024, requested_by="Opératrice", reason="Complément FIR et fongibilité",
        another_avenant_reason="Complément de crédits FIR notifié en mai",
        envelopes=[EnvelopeChange(source=FundingSource.FIR, supplementary="5000.00")],
        fiches=[FicheChange(fiche=fir_fiche, source=FundingSource.FIR, etat_amount="5000.00",
                            departement_amount="5000.00")],
        transfers=[Transfer(source=FundingSource.BOP304, from_fiche=bop_from, to_fiche=bop_to,
                            amount="1000.00", informed_on=date(2025, 5, 2))])
    open_amendment(session, contract, ex, second, date(2025, 5, 5))
    session.commit()
    on2 = sign_avenant(session, contract, ex, 2, date(2025, 5, 6))
    return {"contract": contract, "exercice": ex, "on1": on1, "on2": on2, "fir_fiche": fir_fiche,
            "fir_amount": fir_amount, "bop_from": bop_from, "bop_from_amount": bop_from_amount}


def test_two_avenants_give_the_current_figures_and_both_changes(
        session: Session, two_avenants: dict[str, object]) -> None:
    contract = two_avenants["contract"]
    assert isinstance(contract, Contract)
    c = consolidate(session, contract)
    ex = c.exercice(2024)
    fir = ex.envelopes[FundingSource.FIR]
    assert [h.value for h in fir.history] == [Decimal("370395.00"), Decimal("380395.00"),
                                              Decimal("385395.00")]
    assert [(h.origin, h.avenant, h.on) for h in fir.changes] == [
        ("avenant", 1, two_avenants["on1"]), ("avenant", 2, two_avenants["on2"])]
    assert ex.envelopes[FundingSource.BOP304].changes == []  # fongibilité: envelope unchanged
    assert ex.state_total == Decimal("843728.00") + Decimal("385395.00") + Decimal("478301.00")
    fiches = {f.number: f for f in ex.fiches}
    fir_fiche = fiches[str(two_avenants["fir_fiche"])].etat[FundingSource.FIR]
    # both avenants' FIR money went to this fiche: the plan totals the envelope (385 395 €)
    assert fir_fiche.current == two_avenants["fir_amount"] + Decimal("15000.00")  # type: ignore[operator]
    moved = fiches[str(two_avenants["bop_from"])].etat[FundingSource.BOP304]
    assert moved.current == two_avenants["bop_from_amount"] - Decimal("1000.00")  # type: ignore[operator]
    assert [h.avenant for h in moved.changes] == [2]
    exercice = session.exec(select(Exercice)).one()
    assert exercice.fir == fir.current  # same as what apply_signed_amendment wrote


def test_as_amended_cli_document_and_audit(
        cli_db: str, engine: Engine, two_avenants: dict[str, object], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_exercices.console, "width", 250)
    result = runner.invoke(app, ["contract", "show", "71-2024", "--as-amended", "--json"])
    assert result.exit_code == 0, result.output
    fir = json.loads(result.stdout)["exercices"][0]["envelopes"]["FIR"]
    assert fir["initial"] == "370395.00" and fir["current"] == "385395.00"
    assert [(h["avenant"], h["on"]) for h in fir["history"][1:]] == [
        (1, str(two_avenants["on1"])), (2, str(two_avenants["on2"]))]
    human = runner.invoke(app, ["contract", "show", "71-2024", "--as-amended"])
    assert human.exit_code == 0, human.output
    assert format_eur(Decimal("385395.00")) in human.stdout
    assert "avenant n° 1 (en vigueur le" in human.stdout and "avenant n° 2 (en vigueur le" in human.stdout

    with Session(engine) as session:
        contract = session.exec(select(Contract)).one()
        assert contract.id is not None
        docs = generate_consolidated_document(session, contract.id, ("html", "docx"), tmp_path)
        paths = [(d.fmt, Path(d.path)) for d in docs]
        session.commit()
    html = paths[0][1].read_text(encoding="utf-8")
    assert "version consolidée" in html and format_eur(Decimal("385395.00")) in html
    assert "avenant n°\u00a02" in html and "Plan d'action consolidé 2024" in html  # French spacing
    assert paths[1][0] == "docx" and paths[1][1].stat().st_size > 0

    trail = runner.invoke(app, ["audit", "71-2024", "--json"])
    assert trail.exit_code == 0, trail.output
    actions = [e["action"] for e in json.loads(trail.stdout)]
    for action in ("contract.created", "amendment.opened", "answer.deliberation",
                   "answer.acknowledgement", "answer.signature", "amendment.applied",
                   "document.generated"):
        assert action in actions, action
    assert actions.count("amendment.applied") == 2 and actions.count("document.generated") == 2
    table = runner.invoke(app, ["audit", "71-2024", "--action", "amendment"])
    assert "Avenant appliqué aux enveloppes" in table.stdout and WHO not in table.stdout


def test_emails_sent_and_failed_are_audited(cli_db: str, engine: Engine) -> None:
    with Session(engine) as session:
        import_contract(session, example_file("saone-et-loire-2024.yaml"), "import")
        session.commit()
        contract = session.exec(select(Contract)).one()
        rows = [OutboxEmail(key=f"k{i}", contract_id=contract.id, recipient="pmi@cd.example.org",
                            subject=f"Rappel {i}", body_text="x", body_html="x", message_id=f"<{i}@t>")
                for i in (1, 2)]
        session.add_all(rows)
        session.commit()
        ids = [r.id or 0 for r in rows]
    sender._mark_sent(engine, ids[0], utcnow())
    sender._fail(engine, ids[1], utcnow(), "550 boîte inconnue", get_settings())
    result = runner.invoke(app, ["audit", "71-2024", "--action", "email", "--json"])
    events = json.loads(result.stdout)
    assert [(e["action"], e["detail"]["subject"]) for e in events] == [
        ("email.sent", "Rappel 1"), ("email.failed", "Rappel 2")]
    assert "550 boîte inconnue" in events[1]["summary"]
