"""State money paid straight to a third party (a perinatal network): not "versés au Département",
not in the FIR payment, not carried over by the Département; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from cdppe.domain.rules import RuleViolationError
from cdppe.present.documents import generate_step_documents
from cdppe.services.contract_io import parse_contract
from cdppe.services.importer import import_contract
from cdppe.services.lifecycle import AnswerRefusedError, record_answer
from models import Contract, Exercice, MoneyLine
from models.answers import PaymentAnswer
from models.enums import FundingSource, Phase, SignatoryRole
from tests.db.cdppe.documents.conftest import plain, read_doc
from tests.db.cdppe.test_lifecycle import AS_OF, WHO, deliberate
from tests.db.cdppe.test_policy_findings import sign
from tests.factories import minimal_contract

NETWORK = "Réseau périnatal de Bourgogne"


def with_network_line(**envelope: str) -> dict[str, Any]:
    """minimal_contract (FIR 3 000 €, BOP 304 3 000 €) plus a new fiche 7 whose 500 € of FIR the ARS
    pays to the perinatal network: FIR 3 500 €, of which 3 000 € paid to the Département."""
    data = minimal_contract()
    objective = data["fiches"][0]["objectives"][0]
    data["fiches"].append({"number": "7", "objectives": [objective], "title": "Staff périnatal",
                           "money": [{"exercice": 2024, "payer": "etat", "source": "FIR", "amount": "500.00",
                                      "payee": NETWORK},
                                     {"exercice": 2024, "payer": "departement", "source": "FIR",
                                      "amount": "500.00", "valorisation": True}]})
    data["exercices"][0]["envelope"].update({"fir": "3500.00", "state_total": "7000.00",
                                             "departement_share": "6000.00", **envelope})
    return data


def test_the_share_paid_to_the_departement_excludes_the_third_party_line() -> None:
    cf = parse_contract(with_network_line())
    assert cf.exercices[0].envelope.departement_share == Decimal("6000.00")
    with pytest.raises(RuleViolationError) as info:
        parse_contract(with_network_line(departement_share="6500.00"))
    assert ("exercices[0] (2024).envelope.departement_share : la part du Département doit valoir "
            "BOP 304 + FIR, moins les lignes versées directement à des tiers (attendu : 6\u202f000\u00a0€, "
            "trouvé : 6\u202f500\u00a0€)") in str(info.value)


def test_only_a_state_bop_or_fir_line_goes_to_a_third_party() -> None:
    data = with_network_line()
    data["fiches"][-1]["money"][1]["payee"] = NETWORK  # a Département line
    with pytest.raises(RuleViolationError) as info:
        parse_contract(data)
    assert "fiches[7] (fiche n° 7).money[1].payee : seule une ligne État BOP 304 ou FIR" in str(info.value)


def test_the_fir_payment_and_the_documents_leave_the_network_money_out(session: Session,
                                                                       tmp_path: Path) -> None:
    import_contract(session, parse_contract(with_network_line()), "test")
    session.commit()
    contract, ex = session.exec(select(Contract)).one(), session.exec(select(Exercice)).one()
    assert session.exec(select(MoneyLine).where(MoneyLine.payee == NETWORK)).one().amount == Decimal("500.00")
    assert (ex.fir, ex.fir_third_parties, ex.departement_share) == (
        Decimal("3500.00"), Decimal("500.00"), Decimal("6000.00"))
    assert ex.expected_payments == {FundingSource.BOP304: Decimal("3000.00"),
                                    FundingSource.FIR: Decimal("3000.00")}

    deliberate(session, contract, ex)
    session.commit()
    with pytest.raises(AnswerRefusedError, match="pas encore en vigueur"):  # no payment before signature
        record_answer(session, contract, ex, Phase.CREDIT_PAYMENT, PaymentAnswer(
            source=FundingSource.FIR, notified_amount="3000.00", received_on=date(2024, 12, 1),
            answered_by=WHO), AS_OF)
    session.rollback()
    for day, role in enumerate((SignatoryRole.PREFET, SignatoryRole.ARS, SignatoryRole.DEPARTEMENT)):
        sign(session, contract, ex, role, 2 + day)
    with pytest.raises(AnswerRefusedError, match="supérieur à l'enveloppe de 3\u202f000\u00a0€"):
        record_answer(session, contract, ex, Phase.CREDIT_PAYMENT, PaymentAnswer(
            source=FundingSource.FIR, notified_amount="3500.00", received_on=date(2025, 1, 10),
            answered_by=WHO), AS_OF)
    session.rollback()

    assert contract.id is not None and ex.id is not None
    texts = {d.kind: plain(read_doc(d)) for d in generate_step_documents(
        session, contract.id, ex.id, Phase.SIGNATURE, ("html",), out_dir=tmp_path)
        + generate_step_documents(session, contract.id, ex.id, Phase.CREDIT_PAYMENT, ("html",),
                                  out_dir=tmp_path)}
    assert ("soit 6 000 € versés au Département (hors 500 € au titre du FIR versés directement par "
            f"l'ARS à {NETWORK}, fiche 7)") in texts["contrat"]
    notice = texts["avis_versement_fir"]
    assert re.search(r"Montant prévu au contrat</th><td>3 000 €", notice)
    assert (f"L'enveloppe FIR de l'exercice s'élève à 3 500 €, dont 500 € versés directement par l'ARS à "
            f"{NETWORK} (fiche 7) : ce montant ne fait pas partie du présent versement.") in notice
