"""A third contract of our making with the cases real ones have, through the cycle from an
operator's inputs only; every figure checked against its hand computation written here.

Yonne (89), contract 2024 covering 2024 and 2025, from ``minimal_contract``:
- fiches 1-6 carry 1 000 € of State money each (FIR on 1, 3, 5; BOP 304 on 2, 4, 6), matched by
  1 000 € of the Département; fiche 99 carries 500 € of ONDAM;
- fiche 1's objective gets only 400 € from the Département: a co-financing finding, signed with a
  reason;
- fiche 7 carries 600 € of FIR the ARS pays straight to the perinatal network (600 € of the
  Département): FIR 3 600 €, of which 3 000 € paid to the Département;
- the 2024 report comes from its spreadsheet with one NR value and two fiches lacking consumption;
- the 2025 avenant carries the 2024 credits and 12 000 € of another contract's leftover.
"""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session, select
from typer.testing import CliRunner

from cdppe.cli.app import app
from cdppe.present.documents import generate_step_documents
from cdppe.services.amendments import AmendmentRefusedError, open_amendment
from cdppe.services.lifecycle import record_answer
from models import AmendmentLine, Contract, Exercice, FindingReason
from models.amendment_request import AmendmentRequest, EnvelopeChange
from models.answers import PaymentAnswer
from models.enums import AmendmentPart, FundingSource, Phase, SignatoryRole
from tests.db.cdppe.documents.conftest import plain, read_doc
from tests.db.cdppe.test_lifecycle import AS_OF, WHO, deliberate
from tests.db.cdppe.test_policy_findings import sign
from tests.db.cdppe.test_report_sheet import fill
from tests.factories import minimal_contract, with_next_year

runner = CliRunner()
D = Decimal
NETWORK = "Réseau périnatal de l'Yonne"
ORIGIN = "contrat de prévention et de lutte contre la pauvreté 2023"


def yonne() -> dict[str, Any]:
    data = minimal_contract()
    data["departement"] = {"code": "89", "name": "Yonne"}
    data["fiches"][0]["money"][1]["amount"] = "400.00"
    second_objective = data["fiches"][1]["objectives"][0]
    data["fiches"].append({"number": "7", "objectives": [second_objective], "title": "Staff périnatal",
                           "money": [{"exercice": 2024, "payer": "etat", "source": "FIR", "amount": "600.00",
                                      "payee": NETWORK},
                                     {"exercice": 2024, "payer": "departement", "source": "FIR",
                                      "amount": "600.00", "valorisation": True}]})
    data["exercices"][0]["envelope"].update({"fir": "3600.00", "state_total": "7100.00",
                                             "departement_share": "6000.00"})
    with_next_year(data)
    data["indicators"] = [{"code": "EPP", "label": "Entretiens prénataux", "fiche": "1",
                           "values": [{"year": 2024, "target": "20"}]}]
    return data


@pytest.fixture
def signed_and_paid(cli_db: str, session: Session, tmp_path: Path) -> tuple[Contract, Exercice, Exercice]:
    source = tmp_path / "yonne.yaml"
    source.write_text(yaml.safe_dump(yonne(), allow_unicode=True), encoding="utf-8")
    validated = runner.invoke(app, ["contract", "validate", str(source)])
    assert validated.exit_code == 0 and "2 constat(s)" in validated.stdout  # the objective, in 2024 and 2025
    assert runner.invoke(app, ["contract", "import", str(source)]).exit_code == 0
    contract = session.exec(select(Contract)).one()
    ex24, ex25 = session.exec(select(Exercice).order_by(Exercice.year)).all()  # type: ignore[arg-type]
    assert (ex24.departement_share, ex24.state_total) == (D("6000.00"), D("7100.00"))  # 3 000 + 3 600 − 600
    deliberate(session, contract, ex24)
    sign(session, contract, ex24, SignatoryRole.PREFET, 2, "Action nouvelle, part départementale croissante")
    sign(session, contract, ex24, SignatoryRole.ARS, 3)
    sign(session, contract, ex24, SignatoryRole.DEPARTEMENT, 4)
    for source_, amount in ((FundingSource.BOP304, "3000.00"), (FundingSource.FIR, "3000.00")):
        record_answer(session, contract, ex24, Phase.CREDIT_PAYMENT, PaymentAnswer(
            source=source_, notified_amount=amount, received_on=date(2025, 1, 10), answered_by=WHO), AS_OF)
    session.commit()
    assert session.exec(select(FindingReason)).one().recorded_by == WHO
    return contract, ex24, ex25


def report(tmp_path: Path, consumed: dict[str, Any]) -> None:
    book = tmp_path / "rapport-2024.xlsx"
    assert runner.invoke(app, ["report", "template", "89-2024", "2024", "--out", str(book)]).exit_code == 0
    fill(book, {n: {"Statut": "réalisée", "Consommé État": c} for n, c in consumed.items()}, {"EPP": "NR"})
    result = runner.invoke(app, ["report", "import", str(book)])
    assert result.exit_code == 0, result.output


def avenant(contract: Contract) -> AmendmentRequest:
    return AmendmentRequest(contract=contract.key, year=2025, requested_by=WHO,
                            reason="Reports de crédits 2024",
                            envelopes=[EnvelopeChange(source=FundingSource.FIR, carry_over_other="12000.00",
                                                      carry_over_other_from=ORIGIN, to_fiche="5"),
                                       EnvelopeChange(source=FundingSource.BOP304, to_fiche="2")])


def test_the_yonne_avenant_comes_out_exact(signed_and_paid: tuple[Contract, Exercice, Exercice],
                                           session: Session, tmp_path: Path) -> None:
    contract, _, ex25 = signed_and_paid
    # 2024 report: fiches 3 and 5 (FIR) say nothing of their consumption; 7 is the network's money
    report(tmp_path, {"1": 900, "2": 200, "4": 1000, "6": 500})
    with pytest.raises(AmendmentRefusedError) as refused:
        open_amendment(session, contract, ex25, avenant(contract), date(2025, 6, 1))
    session.rollback()
    assert "la consommation 2024 est inconnue pour les fiches 3, 5" in str(refused.value)

    # the report completed: fiche 5 overspends (1 200 € of 1 000 €)
    report(tmp_path, {"1": 900, "2": 200, "3": 300, "4": 1000, "5": 1200, "6": 500})
    opened = open_amendment(session, contract, ex25, avenant(contract), date(2025, 6, 1))
    session.commit()
    assert opened.number == 1
    parts = {(line.source, line.part): line.amount for line in session.exec(
        select(AmendmentLine).where(AmendmentLine.amendment_id == opened.amendment_id))}
    # FIR: paid 3 000 − consumed (900 + 300 + 1 200) = 600 € net (the 2025 campaign's rule);
    # per fiche it would be 100 + 700 + 0 = 800 €. BOP 304: 3 000 − (200 + 1 000 + 500) = 1 300 €.
    assert parts == {
        (FundingSource.FIR, AmendmentPart.INITIAL): D("3600.00"),
        (FundingSource.FIR, AmendmentPart.CARRY_OVER): D("600.00"),
        (FundingSource.FIR, AmendmentPart.CARRY_OVER_OTHER): D("12000.00"),
        (FundingSource.BOP304, AmendmentPart.INITIAL): D("3000.00"),
        (FundingSource.BOP304, AmendmentPart.CARRY_OVER): D("1300.00"),
    }
    assert contract.id is not None and ex25.id is not None
    docs = generate_step_documents(session, contract.id, ex25.id, Phase.SIGNATURE, ("html",), opened.number,
                                   tmp_path / "docs")
    text = html.unescape(plain(read_doc(next(d for d in docs if d.kind == "avenant"))))
    # FIR 3 600 + 600 + 12 000 = 16 200; BOP 3 000 + 1 300 = 4 300; ONDAM 500 unchanged: 21 000 €;
    # paid to the Département: 16 200 + 4 300 − 600 (the network) = 19 900 €
    assert "le soutien financier de l'État s'élève à 21 000 €, dont 19 900 € versés au Département" in text
    assert f"hors 600 € au titre du FIR versés directement par l'ARS à {NETWORK}, fiche 7" in text
    assert f"report de crédits d'un autre contrat : {ORIGIN}" in text
    assert "FIR : 16 200 €" in text and "BOP 304 : 4 300 €" in text
    # its annexed plan d'action totals Article 1: fiche 5 received the 12 600 € FIR, fiche 2 the 1 300 €
    annex = text[text.index("Annexe 1 – Plan d'action"):]
    for source, total in (("FIR", "16 200 €"), ("BOP 304", "4 300 €")):
        row = re.search(rf"Total {source}</td>(.*?)</tr>", annex)
        assert row is not None and total in row.group(1), (source, row)
