"""Policy findings at the signature: signed only with a recorded reason (who, when, why), on SQLite
and PostgreSQL; an avenant is judged on each objective's whole money after it."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from cdppe.core.dates import format_date_fr, today_paris
from cdppe.domain.catalogue import load_catalogue
from cdppe.present.dashboard import exercice_rows
from cdppe.present.documents import generate_step_documents
from cdppe.present.documents.french import french_spaces
from cdppe.services.amendments import open_amendment
from cdppe.services.contract_io import parse_contract
from cdppe.services.importer import import_contract
from cdppe.services.lifecycle import AnswerRefusedError, next_need, record_answer
from cdppe.store.policy import exercice_findings
from models import Contract, Exercice, FindingReason, Signature
from models.amendment_request import AmendmentRequest, EnvelopeChange, FicheChange
from models.answers import SignatureAnswer
from models.enums import FundingSource, Phase, PolicyRule, SignatoryRole
from tests.db.cdppe.test_lifecycle import AS_OF, WHO, deliberate
from tests.factories import minimal_contract


def short_contract(session: Session, departement_amount: str = "400.00") -> tuple[Contract, Exercice, str]:
    """The first fiche's objective gets 1 000 € FIR from the State and ``departement_amount`` from the CD."""
    data = minimal_contract()
    data["fiches"][0]["money"][1]["amount"] = departement_amount
    import_contract(session, parse_contract(data), "test")
    session.commit()
    return (session.exec(select(Contract)).one(), session.exec(select(Exercice)).one(),
            data["fiches"][0]["objectives"][0])


def sign(session: Session, contract: Contract, ex: Exercice, role: SignatoryRole, day: int,
         reason: str | None = None) -> str:
    return record_answer(session, contract, ex, Phase.SIGNATURE, SignatureAnswer(
        role=role, signatory_name="X Y", signed_on=date(2024, 12, day), findings_reason=reason,
        answered_by=WHO), AS_OF)


def test_a_signature_with_an_open_finding_needs_a_reason_then_records_it(session: Session) -> None:
    contract, ex, objective = short_contract(session)
    deliberate(session, contract, ex)
    session.commit()
    [state] = exercice_findings(session, ex)
    assert state.finding.rule is PolicyRule.COFINANCING and state.is_open
    assert (state.finding.expected, state.finding.actual) == ("≥ 1\u202f000\u00a0€", "400\u00a0€")

    with pytest.raises(AnswerRefusedError) as refused:
        sign(session, contract, ex, SignatoryRole.PREFET, 2)
    session.rollback()
    assert str(refused.value).startswith("findings_reason : le contrôle des règles signale "
                                         f"objectif n° {objective} (2024)")
    assert session.exec(select(func.count()).select_from(Signature)).one() == 0

    why = "Action nouvelle financée par l'État, la part du Département croît en 2025"
    summary = sign(session, contract, ex, SignatoryRole.PREFET, 2, why)
    session.commit()
    assert "motif enregistré pour 1 constat(s)" in summary
    reason = session.exec(select(FindingReason)).one()
    assert (reason.finding_key, reason.reason, reason.recorded_by) == (
        f"cofinancement/2024/{objective}", why, WHO)
    assert reason.recorded_at.tzinfo is not None and "400" in reason.finding
    assert not exercice_findings(session, ex)[0].is_open

    # the next signatories sign without repeating it; the contract takes effect
    sign(session, contract, ex, SignatoryRole.ARS, 3)
    sign(session, contract, ex, SignatoryRole.DEPARTEMENT, 4)
    session.commit()
    assert ex.effective_date == date(2024, 12, 4)
    assert session.exec(select(func.count()).select_from(FindingReason)).one() == 1


def test_a_contract_without_findings_signs_as_before(session: Session) -> None:
    contract, ex, _ = short_contract(session, departement_amount="1000.00")
    deliberate(session, contract, ex)
    assert exercice_findings(session, ex) == []
    assert "motif" not in sign(session, contract, ex, SignatoryRole.PREFET, 2)


def avenant_request(contract: Contract, etat_amount: str) -> AmendmentRequest:
    """A new FIR line on fiche 1 with no Département money."""
    change = FicheChange(fiche="1", source=FundingSource.FIR, etat_amount=etat_amount,
                         departement_amount="0.00")
    return AmendmentRequest(contract=contract.key, year=2024, requested_by=WHO, reason="Nouvelle action",
                            envelopes=[EnvelopeChange(source=FundingSource.FIR, new_actions=etat_amount)],
                            fiches=[change])


def test_an_avenant_line_alone_short_is_accepted_when_the_objective_stays_cofinanced(
        session: Session) -> None:
    contract, ex, _ = short_contract(session, departement_amount="3000.00")
    opened = open_amendment(session, contract, ex, avenant_request(contract, "1500.00"), AS_OF)
    session.commit()
    # 1 000 + 1 500 € of State money against 3 000 € of the Département: no finding
    assert exercice_findings(session, ex, opened.number) == []


def test_an_avenant_leaving_the_objective_short_is_a_finding_of_its_signature(session: Session) -> None:
    contract, ex, objective = short_contract(session, departement_amount="3000.00")
    opened = open_amendment(session, contract, ex, avenant_request(contract, "2500.00"), AS_OF)
    session.commit()
    [state] = exercice_findings(session, ex, opened.number)
    assert state.finding.key == f"cofinancement/2024/{objective}"
    assert state.finding.expected == "≥ 3\u202f500\u00a0€"  # 1 000 + 2 500
    assert state.finding.actual == "3\u202f000\u00a0€"
    assert exercice_findings(session, ex, 0) == []  # the contract as signed had none


def test_the_signature_form_lists_the_findings_then_the_reason_given(session: Session) -> None:
    contract, ex, objective = short_contract(session)
    deliberate(session, contract, ex)
    session.commit()
    need = next_need(session, ex, Phase.SIGNATURE)
    assert need is not None
    assert "**Contrôle des règles : 1 constat(s)**" in need.description
    assert (f"- objectif n° {objective} (2024) : le Département apporte moins que l'État" in need.description
            and "motif à indiquer dans « Motif de signature malgré les constats »" in need.description)
    sign(session, contract, ex, SignatoryRole.PREFET, 2, "Montée en charge progressive")
    session.commit()
    need = next_need(session, ex, Phase.SIGNATURE)
    assert need is not None
    assert f"motif enregistré par {WHO} : Montée en charge progressive" in need.description


def test_the_rule_check_document_shows_each_objective_the_finding_and_its_reason(
        session: Session, tmp_path: Path) -> None:
    contract, ex, objective = short_contract(session)
    deliberate(session, contract, ex)
    sign(session, contract, ex, SignatoryRole.PREFET, 2, "Montée en charge progressive")
    session.commit()
    assert contract.id is not None and ex.id is not None
    docs = generate_step_documents(session, contract.id, ex.id, Phase.SIGNATURE, ("html",), out_dir=tmp_path)
    [check] = [d for d in docs if d.kind == "controle_regles"]
    markup = Path(check.path).read_text("utf-8")
    # collapse only ASCII white space: the text keeps its French non-breaking spaces ("1<sup>er</sup>"
    # reads "1er")
    text = re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ",
                                                            re.sub(r"</?sup>", "", markup))))
    assert "Contrôle des règles avant signature" in text
    # the objective short of co-financing: 1 000 € FIR against 400 €, a gap of -600 €
    assert f"{objective} 1\u202f000\u00a0€ 400\u00a0€ -600\u00a0€ constat" in text
    # every other mandatory objective is listed as met (1 000 € each side)
    others = len(load_catalogue("2024").mandatory_numbers) - 1
    assert text.count("1\u202f000\u00a0€ 1\u202f000\u00a0€ 0\u00a0€ respectée") == others
    assert "Non vérifié\u00a0: le fichier du contrat ne donne pas les dépenses propres ASE + PMI" in text
    assert (f"motif enregistré le {french_spaces(format_date_fr(today_paris()))} par {WHO}\u00a0: "
            "Montée en charge progressive" in text)


def test_the_national_dashboard_counts_findings_and_says_whether_they_are_justified(
        session: Session) -> None:
    contract, ex, objective = short_contract(session)
    [row] = exercice_rows(session, date(2024, 12, 1))
    assert (row.findings_count, row.findings) == (1, f"objectif n° {objective} (2024) : motif à enregistrer")
    deliberate(session, contract, ex)
    sign(session, contract, ex, SignatoryRole.PREFET, 2, "Montée en charge progressive")
    session.commit()
    [row] = exercice_rows(session, date(2024, 12, 3))
    assert row.findings == f"objectif n° {objective} (2024) : signé avec motif"
